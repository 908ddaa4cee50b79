// Pyramidal TIFF masters written with libtiff: tiled JPEG, colour coded as YCbCr with 4:2:0
// chroma subsampling (grey as one sample), each level half the one before (a 2x2 average made
// here from the level before, kept in memory or in a mapped temporary file beside the master)
// until one tile holds it, each level a directory of its own (the reduced ones marked so).
//
// Why not libvips' tiffsave: libvips 8.14 codes JPEG tiles as RGB without subsampling from Q 90
// up, with no option to ask otherwise, and a passed-through tile is then about three times the
// bytes of the same tile from any other IIIF server at the same quality setting. Here the
// quality setting means what it means for every JPEG a viewer gets.
#pragma once

#include <functional>
#include <string>
#include <vips/vips8>

namespace iiifd {

struct TiffMasterOptions {
    int quality = 90;      // JPEG quality, 1 to 100
    int tile_size = 256;   // tiles of tile_size x tile_size (a multiple of 16)
    bool bigtiff = false;  // BigTIFF, for masters that may pass 4 GiB
};

// Writes `image` (8-bit, one band or three, sRGB; best in memory or mapped, such as a decoded
// .v file, which is then read in place) to `path`, calling `progress` with the percent of tiles
// written (0 to 100) as it goes. Throws std::runtime_error naming the path when libtiff or
// libvips fails; `path` may then hold a partial file, which the caller removes.
void write_tiff_master(const vips::VImage& image, const std::string& path,
                       const TiffMasterOptions& options,
                       const std::function<void(int percent)>& progress = {});

}  // namespace iiifd
