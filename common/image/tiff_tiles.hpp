// The JPEG tiles of a tiled TIFF level, read without libtiff on the request path. The layout of
// a level (where each tile's bytes are, the shared JPEG tables, the colour coding) is read once
// with libtiff and kept per source version; a tile is then one pread, made a standalone JPEG,
// and, for a render, decoded with TurboJPEG into the shared cache of decoded tiles.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "decoded_tiles.hpp"
#include "image_plan.hpp"
#include "source_info.hpp"
#include "yuv420.hpp"

namespace iiif {

struct TiffJpegLevel {
    int fd = -1;  // the file, open for as long as the layout is kept
    int width = 0, height = 0;
    int tile_width = 0, tile_height = 0;
    int tiles_across = 0, tiles_down = 0;
    int bands = 0;        // 3 (YCbCr or RGB coded) or 1 (grey)
    bool rgb = false;     // coded as RGB: a lone tile needs an Adobe marker to say so
    bool yuv420 = false;  // YCbCr with chroma halved on both axes: read_tiff_region_yuv takes it
    std::string prefix;   // SOI, the Adobe marker if needed, the tables without SOI and EOI
    std::vector<std::uint64_t> offsets, byte_counts;

    TiffJpegLevel() = default;
    TiffJpegLevel(const TiffJpegLevel&) = delete;
    TiffJpegLevel& operator=(const TiffJpegLevel&) = delete;
    ~TiffJpegLevel();
};
using SharedTiffJpegLevel = std::shared_ptr<const TiffJpegLevel>;

// The layout of `level` of the tiled TIFF at `path`, kept under `identity` (see
// ResolvedSource::identity; empty: read for this call only). nullptr when the level is not one
// this reader takes: not JPEG, not 8-bit grey or 3-sample colour, an alpha band, an ICC profile
// (pixels that need converting), planar, or tiles and sizes other than the probe found.
SharedTiffJpegLevel tiff_jpeg_level(const std::string& path, const SourceInfo& source,
                                    const SourceLevel& level, const std::string& identity);

// Tile `index` (row-major) as a standalone JPEG. nullopt when its bytes are absent or do not
// start a JPEG stream.
std::optional<std::string> tiff_tile_jpeg(const TiffJpegLevel& layout, std::size_t index);

// Tile `index` as a standalone JPEG whose header (tables, frame, scan) was read and is of the
// level's tile size, as the tiles decoded here are checked: what a client's decoder needs to
// read it. IiifError 422 for a damaged tile.
std::string tiff_tile_checked_jpeg(const TiffJpegLevel& layout, std::size_t index);

// The pixels of `region` (in the level's pixels, inside it) decoded from the tiles it covers,
// each tile through decoded_tiles() under `identity` (empty: not kept). nullopt when the level
// is not one tiff_jpeg_level takes. Throws IiifError(422) for a tile that does not decode.
std::optional<Pixels> read_tiff_region(const std::string& path, const SourceInfo& source,
                                       const SourceLevel& level, const PixelRect& region,
                                       const std::string& identity);

// The pixels of `region` of a `yuv420` level as its tiles code them, into `out` (region.w x
// region.h, placed by the caller): luma copied, chroma copied when the region starts on an even
// pixel and, on an odd one, the mean of the two chroma samples either side of the region's
// (what decoding with JPEG's upsampling and encoding again with its downsampling give). Each
// tile through decoded_tiles() under `identity` (empty: not kept), as planes, half the bytes of
// RGB. False when a tile's stream is not YCbCr 4:2:0 after all (the level is then read as RGB);
// throws IiifError(422) for a tile that does not decode.
bool read_tiff_region_yuv(const TiffJpegLevel& layout, const SourceLevel& level,
                          const PixelRect& region, const std::string& identity, Yuv420& out);

// How many level layouts the process keeps open (default 64; each holds a file descriptor).
void set_tiff_layout_capacity(std::size_t capacity);

}  // namespace iiif
