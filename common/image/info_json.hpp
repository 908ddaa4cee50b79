// The image information document (info.json) for Image API 3.0 and 2.1.
#pragma once

#include <string>
#include <vector>

#include "image_plan.hpp"
#include "image_request.hpp"
#include "source_info.hpp"

namespace iiif {

struct InfoOptions {
    ApiVersion version = ApiVersion::v3;
    std::string id;  // the image's base URI, e.g. https://example.org/iiif/3/abc
    Limits limits;
    std::string rights;  // licence URI; omitted when empty
    // Features that belong to the HTTP layer (CORS, base URI redirect, JSON-LD media type, link
    // headers). Declared only when the server that publishes this document implements them.
    bool http_features = true;
    int default_tile_size = 512;  // tile size declared for sources that are not tiled
    bool pretty = false;
    // Services the image declares (a JSON array, e.g. the IIIF Auth 2.0 probe service), as
    // "service"; omitted when empty.
    std::string services;
};

std::string info_json(const SourceInfo& source, const InfoOptions& options);

// The layout of what info_json() declares, part of a cached info.json's key: bumped whenever
// the same source and options give another document (2: virtual scale factors and sizes down
// to a thumbnail), so no cache serves a document of an older layout.
inline constexpr int kInfoJsonLayout = 2;
// The longer side of the smallest size "sizes" lists (a thumbnail).
inline constexpr int kSmallestSizeEdge = 64;

// The tile size and scale factors declared for a source: its levels', then virtual ones until
// a single tile holds the image. Exposed for tests and the module.
struct TileDeclaration {
    int width = 0, height = 0;
    std::vector<int> scale_factors;
};
TileDeclaration tile_declaration(const SourceInfo& source, int default_tile_size);

}  // namespace iiif
