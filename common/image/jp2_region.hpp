// Regions of a JPEG 2000 level decoded with OpenJPEG directly, without libvips: only the
// code-blocks and tiles a region needs are decoded, and decoded blocks are kept in the process's
// decoded_tiles() for the next request that overlaps them.
#pragma once

#include <optional>
#include <string>

#include "decoded_tiles.hpp"
#include "image_plan.hpp"
#include "source_info.hpp"

namespace iiif {

// Decodes `region` (x, y, w, h in pixels of `level`, inside it) of the JPEG 2000 file at `path`
// at `level` (level.page is OpenJPEG's reduce factor: the level is ceil(W/2^page) x
// ceil(H/2^page)), into 8-bit interleaved pixels (grey, grey+alpha, RGB or RGBA).
//
// With an `identity` (the source's: path, size, mtime, inode) and a decoded_tiles() capacity,
// the level is decoded in blocks that are kept under keys starting with `identity`: squares of
// 128 pixels of the level, aligned as a viewer's tiles are; the blocks a region misses are
// decoded as one area. Without either, exactly the region is decoded and nothing is kept.
//
// nullopt: a file this decoder declines, for libvips' jp2kload to read: precision other than 8
// bits, signed or subsampled components, more than 4 of them, an ICC profile, a colour space
// other than sRGB, grey or unspecified, a palette, an image origin other than (0, 0), or a
// header that does not match `source`. Throws IiifError(422, "source image is damaged: ...")
// when OpenJPEG fails on the data.
std::optional<Pixels> read_jp2_region(const std::string& path, const SourceInfo& source,
                                      const SourceLevel& level, const PixelRect& region,
                                      const std::string& identity);

}  // namespace iiif
