// What the core knows of a source image without decoding its pixels: its size and the
// resolutions it can deliver cheaply (pyramid levels, JPEG 2000 resolution levels, JPEG
// shrink-on-load), and its tiling.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iiif {

enum class SourceFormat { tiff, jp2, jpeg, png, webp, gif, other };

// One cheaply readable resolution. scale_factor is a power of two (1 = full resolution).
struct SourceLevel {
    int scale_factor = 1;
    int width = 0, height = 0;
    int page = 0;    // tiffload / jp2kload "page" that holds this level
    int shrink = 1;  // jpegload "shrink" that yields this level
};

struct SourceInfo {
    SourceFormat format = SourceFormat::other;
    int width = 0, height = 0;
    bool tiled = false;  // random access to regions without decoding the whole level
    int tile_width = 0;  // native tile size when tiled
    int tile_height = 0;
    std::vector<SourceLevel> levels;  // ascending scale factors, levels[0] is full resolution
};

std::string_view source_format_name(SourceFormat format);

// The size of a level at `factor`: the Image API's ceil(length / factor), for any length
// (length + factor - 1 would overflow near int's limit).
inline int ceil_div(int length, int factor) {
    return length / factor + (length % factor != 0 ? 1 : 0);
}

// A compact text form, for keeping probed sources in the tile cache; parse returns nullopt for
// anything it did not write.
std::string serialize_source_info(const SourceInfo& source);
std::optional<SourceInfo> parse_source_info(std::string_view text);

}  // namespace iiif
