#include "tile_passthrough.hpp"

#include "tiff_tiles.hpp"

namespace iiif {
namespace {

// Everything that would change the pixels between the stored tile and the answer rules the
// shortcut out.
bool plan_is_a_native_tile(const SourceInfo& source, const SourceLevel& level,
                           const ImagePlan& plan) {
    if (source.format != SourceFormat::tiff || !source.tiled) return false;
    if (plan.format != Format::jpg || plan.mirror || plan.degrees != 0) return false;
    if (plan.quality != Quality::default_quality && plan.quality != Quality::color) return false;
    const int s = level.scale_factor;
    const long long span_w = static_cast<long long>(source.tile_width) * s;
    const long long span_h = static_cast<long long>(source.tile_height) * s;
    if (plan.width != source.tile_width || plan.height != source.tile_height) return false;
    if (plan.region.w != span_w || plan.region.h != span_h) return false;
    if (plan.region.x % span_w != 0 || plan.region.y % span_h != 0) return false;
    // Interior tiles only: an edge tile is padded in the file and must be cropped.
    const long long level_x = plan.region.x / s, level_y = plan.region.y / s;
    return level_x + source.tile_width <= level.width &&
           level_y + source.tile_height <= level.height;
}

}  // namespace

std::optional<std::string> native_tile_jpeg(const std::string& path, const SourceInfo& source,
                                            const SourceLevel& level, const ImagePlan& plan,
                                            const std::string& identity) {
    if (!plan_is_a_native_tile(source, level, plan)) return std::nullopt;
    SharedTiffJpegLevel layout = tiff_jpeg_level(path, source, level, identity);
    if (!layout) return std::nullopt;
    const auto column = static_cast<size_t>(plan.region.x / level.scale_factor / source.tile_width);
    const auto row = static_cast<size_t>(plan.region.y / level.scale_factor / source.tile_height);
    // Checked as a decoded tile is: a damaged file's tile is refused (422), never sent as stored.
    return tiff_tile_checked_jpeg(*layout, row * static_cast<size_t>(layout->tiles_across) + column);
}

}  // namespace iiif
