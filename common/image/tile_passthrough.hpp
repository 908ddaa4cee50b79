// Serving a native tile as it is stored. When a request asks for exactly one interior tile of a
// JPEG-compressed tiled TIFF, at the level's own resolution, as a plain JPEG, the tile's bytes
// already are the answer: they are read raw (tiff_tiles.hpp) and given the TIFF's shared JPEG
// tables, with no decode and no encode. This is what viewers ask for most of the time.
#pragma once

#include <optional>
#include <string>

#include "image_plan.hpp"
#include "source_info.hpp"

namespace iiif {

// The JPEG bytes of the native tile the plan asks for, or nullopt when the plan is not such a
// request (or anything about the file makes the shortcut unsafe: then the renderer decodes).
// IiifError 422 when the tile is damaged, as decoding it would be. The level's layout is kept under `identity` (tiff_tiles.hpp; empty: read for this call).
std::optional<std::string> native_tile_jpeg(const std::string& path, const SourceInfo& source,
                                            const SourceLevel& level, const ImagePlan& plan,
                                            const std::string& identity = "");

}  // namespace iiif
