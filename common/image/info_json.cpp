#include "info_json.hpp"

#include <jansson.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "iiif_error.hpp"
#include "json.hpp"

namespace iiif {
namespace {

// Every list below states only what the renderer and the HTTP layer really do.
constexpr const char* kExtraFormats3[] = {"webp", "tif", "gif"};  // jpg, png: level 2
constexpr const char* kExtraQualities3[] = {"gray", "bitonal"};   // default, color: level 2
constexpr const char* kExtraFeatures3[] = {"mirroring", "rotationArbitrary", "sizeUpscaling"};
constexpr const char* kHttpFeatures3[] = {"canonicalLinkHeader", "profileLinkHeader"};

constexpr const char* kFormats2[] = {"jpg", "png", "webp", "tif", "gif"};
constexpr const char* kQualities2[] = {"default", "color", "gray", "bitonal"};
constexpr const char* kFeatures2[] = {
    "mirroring",    "rotationArbitrary", "rotationBy90s",    "regionByPct",       "regionByPx",
    "regionSquare", "sizeAboveFull",     "sizeByConfinedWh", "sizeByDistortedWh", "sizeByForcedWh",
    "sizeByH",      "sizeByPct",         "sizeByW",          "sizeByWh"};
constexpr const char* kHttpFeatures2[] = {"baseUriRedirect", "canonicalLinkHeader", "cors",
                                          "jsonldMediaType", "profileLinkHeader"};

void append_strings(json_t* array, auto const& names) {
    for (const char* name : names) json_array_append_new(array, json_string(name));
}

void set_integer(json_t* object, const char* key, long long value) {
    json_object_set_new(object, key, json_integer(value));
}

bool within_limits(int width, int height, const Limits& limits) {
    if (limits.max_width && width > limits.max_width) return false;
    if (limits.max_height && height > limits.max_height) return false;
    if (limits.max_area && static_cast<std::int64_t>(width) * height > limits.max_area)
        return false;
    return true;
}

json_t* size_object(int width, int height) {
    json_t* size = json_object();
    set_integer(size, "width", width);
    set_integer(size, "height", height);
    return size;
}

// The sizes a viewer may ask for whole: every level, then halvings of the smallest one down to
// a thumbnail (the last whose longer side is at least kSmallestSizeEdge), so that a flat source
// (a JPEG, a PNG) offers thumbnails too. Ascending widths.
json_t* sizes_array(const SourceInfo& source, const Limits& limits) {
    std::vector<std::pair<int, int>> sizes;
    for (const SourceLevel& level : source.levels) sizes.emplace_back(level.width, level.height);
    if (!source.levels.empty()) {
        for (int factor = source.levels.back().scale_factor * 2;; factor *= 2) {
            const int width = ceil_div(source.width, factor);
            const int height = ceil_div(source.height, factor);
            if (std::max(width, height) < kSmallestSizeEdge || factor > (1 << 30) / 2) break;
            sizes.emplace_back(width, height);
        }
    }
    json_t* array = json_array();
    for (auto size = sizes.rbegin(); size != sizes.rend(); ++size)
        if (within_limits(size->first, size->second, limits))
            json_array_append_new(array, size_object(size->first, size->second));
    return array;
}

json_t* tiles_array(const SourceInfo& source, int default_tile_size, const Limits& limits) {
    TileDeclaration tiles = tile_declaration(source, default_tile_size);
    if (limits.max_scale > 0) {
        // Degraded: only the levels no finer than allowed, or the first power of two that is.
        const double finest = 1.0 / limits.max_scale;
        std::erase_if(tiles.scale_factors, [finest](int factor) { return factor < finest - 1e-9; });
        if (tiles.scale_factors.empty()) {
            int factor = 1;
            while (factor < finest - 1e-9) factor *= 2;
            tiles.scale_factors.push_back(factor);
        }
    }
    json_t* tile = json_object();
    set_integer(tile, "width", tiles.width);
    set_integer(tile, "height", tiles.height);
    json_t* factors = json_array();
    for (int factor : tiles.scale_factors) json_array_append_new(factors, json_integer(factor));
    json_object_set_new(tile, "scaleFactors", factors);
    json_t* array = json_array();
    json_array_append_new(array, tile);
    return array;
}

void set_limits(json_t* object, const Limits& limits) {
    if (limits.max_width) set_integer(object, "maxWidth", limits.max_width);
    if (limits.max_height) set_integer(object, "maxHeight", limits.max_height);
    if (limits.max_area) set_integer(object, "maxArea", limits.max_area);
}

// With services of other APIs (IIIF Auth 2.0), their context comes first and the Image API's
// last, as a list.
void set_context(json_t* root, const char* image_context, const InfoOptions& options) {
    if (options.services.empty()) {
        json_object_set_new(root, "@context", json_string(image_context));
        return;
    }
    json_object_set_new(root, "@context",
                        json_pack("[ss]", "http://iiif.io/api/auth/2/context.json", image_context));
}

void set_services(json_t* root, const std::string& services) {
    if (services.empty()) return;
    json_error_t error;
    json_t* array = json_loads(services.c_str(), 0, &error);
    if (!json_is_array(array)) {
        json_decref(array);
        throw IiifError(500, "info.json: services are no JSON array");
    }
    json_object_set_new(root, "service", array);
}

Json info_v3(const SourceInfo& source, const InfoOptions& options) {
    Json info(json_object());
    json_t* root = info.get();
    set_context(root, "http://iiif.io/api/image/3/context.json", options);
    json_object_set_new(root, "id", json_string(options.id.c_str()));
    json_object_set_new(root, "type", json_string("ImageService3"));
    json_object_set_new(root, "protocol", json_string("http://iiif.io/api/image"));
    json_object_set_new(root, "profile", json_string("level2"));
    set_integer(root, "width", source.width);
    set_integer(root, "height", source.height);
    set_limits(root, options.limits);
    json_object_set_new(root, "sizes", sizes_array(source, options.limits));
    json_object_set_new(root, "tiles",
                        tiles_array(source, options.default_tile_size, options.limits));

    json_t* formats = json_array();
    append_strings(formats, kExtraFormats3);
    json_object_set_new(root, "extraFormats", formats);
    json_t* qualities = json_array();
    append_strings(qualities, kExtraQualities3);
    json_object_set_new(root, "extraQualities", qualities);
    json_t* features = json_array();
    append_strings(features, kExtraFeatures3);
    if (options.http_features) append_strings(features, kHttpFeatures3);
    json_object_set_new(root, "extraFeatures", features);
    if (!options.rights.empty())
        json_object_set_new(root, "rights", json_string(options.rights.c_str()));
    set_services(root, options.services);
    return info;
}

Json info_v2(const SourceInfo& source, const InfoOptions& options) {
    Json info(json_object());
    json_t* root = info.get();
    set_context(root, "http://iiif.io/api/image/2/context.json", options);
    json_object_set_new(root, "@id", json_string(options.id.c_str()));
    json_object_set_new(root, "protocol", json_string("http://iiif.io/api/image"));
    set_integer(root, "width", source.width);
    set_integer(root, "height", source.height);
    json_object_set_new(root, "sizes", sizes_array(source, options.limits));
    json_object_set_new(root, "tiles",
                        tiles_array(source, options.default_tile_size, options.limits));

    json_t* description = json_object();
    json_t* formats = json_array();
    append_strings(formats, kFormats2);
    json_object_set_new(description, "formats", formats);
    json_t* qualities = json_array();
    append_strings(qualities, kQualities2);
    json_object_set_new(description, "qualities", qualities);
    json_t* supports = json_array();
    append_strings(supports, kFeatures2);
    if (options.http_features) append_strings(supports, kHttpFeatures2);
    json_object_set_new(description, "supports", supports);
    set_limits(description, options.limits);

    json_t* profile = json_array();
    json_array_append_new(profile, json_string("http://iiif.io/api/image/2/level2.json"));
    json_array_append_new(profile, description);
    json_object_set_new(root, "profile", profile);
    if (!options.rights.empty())
        json_object_set_new(root, "license", json_string(options.rights.c_str()));
    set_services(root, options.services);
    return info;
}

}  // namespace

TileDeclaration tile_declaration(const SourceInfo& source, int default_tile_size) {
    TileDeclaration tiles;
    tiles.width = source.tiled ? source.tile_width : default_tile_size;
    tiles.height = source.tiled ? source.tile_height : default_tile_size;
    for (const SourceLevel& level : source.levels)
        tiles.scale_factors.push_back(level.scale_factor);
    // Past the source's own levels, virtual ones (rendered from the smallest real level) until
    // one tile holds the whole image: a viewer zoomed out then pulls a few small tiles, not
    // every full-resolution one.
    if (tiles.width > 0 && tiles.height > 0 && !tiles.scale_factors.empty()) {
        for (int factor = tiles.scale_factors.back();
             (ceil_div(source.width, factor) > tiles.width ||
              ceil_div(source.height, factor) > tiles.height) &&
             factor <= (1 << 30) / 2;) {
            factor *= 2;
            tiles.scale_factors.push_back(factor);
        }
    }
    return tiles;
}

std::string info_json(const SourceInfo& source, const InfoOptions& options) {
    Json info =
        options.version == ApiVersion::v3 ? info_v3(source, options) : info_v2(source, options);
    size_t flags = JSON_PRESERVE_ORDER | (options.pretty ? JSON_INDENT(2) : JSON_COMPACT);
    return json_text(info.get(), flags);
}

}  // namespace iiif
