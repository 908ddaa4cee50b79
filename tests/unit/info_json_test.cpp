// The image information document (section 5 of the IIIF Image API 3.0 and 2.1), parsed back with
// jansson and checked property by property. A property is compared as its compact JSON text, so
// that a row says exactly what the document holds ("3000", "\"level2\"", "absent").
#include "info_json.hpp"

#include <jansson.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "spec_helpers.hpp"

using iiif::ApiVersion;
using iiif::InfoOptions;
using iiif::Limits;
using iiif::SourceFormat;
using iiif::SourceInfo;

using spec::both_versions;
using spec::version_name;

namespace {

struct JsonDecref {
    void operator()(json_t* value) const { json_decref(value); }
};
using Json = std::unique_ptr<json_t, JsonDecref>;

Json parse_info(const SourceInfo& source, const InfoOptions& options) {
    const std::string text = iiif::info_json(source, options);
    json_error_t error;
    Json document{json_loads(text.c_str(), 0, &error)};
    INFO("info.json: " << text);
    INFO("jansson: " << error.text);
    REQUIRE(document != nullptr);
    REQUIRE(json_is_object(document.get()));
    return document;
}

// The compact JSON text of a value, or "absent".
std::string text_of(const json_t* value) {
    if (value == nullptr) return "absent";
    char* dumped = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    std::string text = dumped;
    std::free(dumped);
    return text;
}

std::string field(const json_t* object, const char* key) {
    return text_of(json_object_get(object, key));
}

std::vector<std::string> strings_of(const json_t* array) {
    std::vector<std::string> strings;
    for (size_t i = 0; i < json_array_size(array); ++i) {
        const json_t* item = json_array_get(array, i);
        strings.push_back(json_is_string(item) ? json_string_value(item) : text_of(item));
    }
    return strings;
}

bool contains(const std::vector<std::string>& strings, const std::string& wanted) {
    return std::find(strings.begin(), strings.end(), wanted) != strings.end();
}

// "256x256 [1,2,4]" per tile object, separated by " | ".
std::string tiles_of(const json_t* document) {
    const json_t* tiles = json_object_get(document, "tiles");
    if (!json_is_array(tiles)) return text_of(tiles);
    std::string text;
    for (size_t i = 0; i < json_array_size(tiles); ++i) {
        const json_t* tile = json_array_get(tiles, i);
        if (i > 0) text += " | ";
        text +=
            field(tile, "width") + "x" + field(tile, "height") + " " + field(tile, "scaleFactors");
    }
    return text;
}

// "157x125 313x250 ..." in the order of the document.
std::string sizes_of(const json_t* document) {
    const json_t* sizes = json_object_get(document, "sizes");
    if (!json_is_array(sizes)) return text_of(sizes);
    std::string text;
    for (size_t i = 0; i < json_array_size(sizes); ++i) {
        const json_t* size = json_array_get(sizes, i);
        if (i > 0) text += " ";
        text += field(size, "width") + "x" + field(size, "height");
    }
    return text;
}

// A pyramidal TIFF of 10000x8000 in 256x256 tiles, with levels down to 1/64.
SourceInfo tiled_tiff() {
    SourceInfo source{.format = SourceFormat::tiff,
                      .width = 10000,
                      .height = 8000,
                      .tiled = true,
                      .tile_width = 256,
                      .tile_height = 256,
                      .levels = {}};
    for (int page = 0, scale = 1; scale <= 64; ++page, scale *= 2) {
        source.levels.push_back({.scale_factor = scale,
                                 .width = (10000 + scale - 1) / scale,
                                 .height = (8000 + scale - 1) / scale,
                                 .page = page});
    }
    return source;
}

// A pyramidal TIFF of 3000x2000 in 512x256 tiles, with levels down to 1/4.
SourceInfo strip_tiled_tiff() {
    return {.format = SourceFormat::tiff,
            .width = 3000,
            .height = 2000,
            .tiled = true,
            .tile_width = 512,
            .tile_height = 256,
            .levels = {{.scale_factor = 1, .width = 3000, .height = 2000, .page = 0},
                       {.scale_factor = 2, .width = 1500, .height = 1000, .page = 1},
                       {.scale_factor = 4, .width = 750, .height = 500, .page = 2}}};
}

// A PNG of 2000x1500: one level, no tiles.
SourceInfo untiled_png() {
    return {.format = SourceFormat::png,
            .width = 2000,
            .height = 1500,
            .levels = {{.scale_factor = 1, .width = 2000, .height = 1500}}};
}

// A JPEG of 4000x3000, whose decoder shrinks by 2, 4 and 8 on load.
SourceInfo shrinkable_jpeg() {
    return {.format = SourceFormat::jpeg,
            .width = 4000,
            .height = 3000,
            .levels = {{.scale_factor = 1, .width = 4000, .height = 3000, .shrink = 1},
                       {.scale_factor = 2, .width = 2000, .height = 1500, .shrink = 2},
                       {.scale_factor = 4, .width = 1000, .height = 750, .shrink = 4},
                       {.scale_factor = 8, .width = 500, .height = 375, .shrink = 8}}};
}

InfoOptions options_for(ApiVersion version) {
    InfoOptions options;
    options.version = version;
    options.id = version == ApiVersion::v3 ? "https://example.org/iiif/3/abcd1234"
                                           : "https://example.org/iiif/2/abcd1234";
    return options;
}

struct SourceRow {
    const char* name;
    SourceInfo source;
    const char* width;
    const char* height;
};

const SourceRow source_rows[] = {
    {"tiled TIFF", tiled_tiff(), "10000", "8000"},
    {"untiled PNG", untiled_png(), "2000", "1500"},
    {"JPEG with shrink-on-load", shrinkable_jpeg(), "4000", "3000"},
};

// The limits of the rows: none, one or two of them, or those of the example of section 5.2 (3.0).
const Limits no_limits{};
const Limits spec_limits{.max_width = 3000, .max_height = 2000, .max_area = 4000000};
Limits max_width(int width) {
    return {.max_width = width, .max_height = 0, .max_area = 0};
}
Limits max_width_height(int width, int height) {
    return {.max_width = width, .max_height = height, .max_area = 0};
}
Limits max_area(std::int64_t area) {
    return {.max_width = 0, .max_height = 0, .max_area = area};
}

struct LimitsRow {
    Limits limits;
    const char* max_width;
    const char* max_height;
    const char* max_area;
};

const LimitsRow limits_rows[] = {
    {no_limits, "absent", "absent", "absent"},
    {spec_limits, "3000", "2000", "4000000"},
    {max_width(3000), "3000", "absent", "absent"},
    {max_width_height(3000, 2000), "3000", "2000", "absent"},
    {max_area(4000000), "absent", "absent", "4000000"},
};

struct RightsRow {
    const char* rights;
    const char* declared;
};

const RightsRow rights_rows[] = {
    {"", "absent"},
    {"http://rightsstatements.org/vocab/InC-EDU/1.0/",
     "\"http://rightsstatements.org/vocab/InC-EDU/1.0/\""},
    {"https://creativecommons.org/licenses/by/4.0/",
     "\"https://creativecommons.org/licenses/by/4.0/\""},
};

// --- Both versions -----------------------------------------------------------------------------

// "256x256 [1,2,4]", as tiles_of() writes a tile object.
std::string declaration_text(const iiif::TileDeclaration& tiles) {
    std::string text = std::to_string(tiles.width) + "x" + std::to_string(tiles.height) + " [";
    for (size_t i = 0; i < tiles.scale_factors.size(); ++i) {
        if (i > 0) text += ",";
        text += std::to_string(tiles.scale_factors[i]);
    }
    return text + "]";
}

struct TilesRow {
    const char* name;
    SourceInfo source;
    int default_tile_size;
    const char* declared;
};

TEST_CASE(
    "info.json: tiles are the native tiles, or default-sized ones, at the levels' scales, then "
    "at virtual ones until one tile holds the image",
    "[info]") {
    const TilesRow rows[] = {
        {"tiled TIFF", tiled_tiff(), 512, "256x256 [1,2,4,8,16,32,64]"},
        {"TIFF in 512x256 tiles", strip_tiled_tiff(), 512, "512x256 [1,2,4,8]"},
        {"untiled PNG", untiled_png(), 512, "512x512 [1,2,4]"},
        {"untiled PNG", untiled_png(), 1024, "1024x1024 [1,2]"},
        {"JPEG with shrink-on-load", shrinkable_jpeg(), 512, "512x512 [1,2,4,8]"},
        {"JPEG with shrink-on-load", shrinkable_jpeg(), 256, "256x256 [1,2,4,8,16]"},
    };
    for (const auto& row : rows) {
        INFO(row.name << ", default tile size " << row.default_tile_size);
        CHECK(declaration_text(iiif::tile_declaration(row.source, row.default_tile_size)) ==
              row.declared);
        for (ApiVersion version : both_versions) {
            INFO("Image API " << version_name(version));
            InfoOptions options = options_for(version);
            options.default_tile_size = row.default_tile_size;
            CHECK(tiles_of(parse_info(row.source, options).get()) == row.declared);
        }
    }
}

struct SizesRow {
    const char* name;
    SourceInfo source;
    Limits limits;
    const char* declared;
};

TEST_CASE(
    "info.json: sizes are the levels then halvings down to a thumbnail (longer side 64 or more), "
    "smallest first, within the limits",
    "[info]") {
    const SizesRow rows[] = {
        {"tiled TIFF", tiled_tiff(), no_limits,
         "79x63 157x125 313x250 625x500 1250x1000 2500x2000 5000x4000 10000x8000"},
        {"tiled TIFF", tiled_tiff(), max_width(3000),
         "79x63 157x125 313x250 625x500 1250x1000 2500x2000"},
        {"tiled TIFF", tiled_tiff(), spec_limits, "79x63 157x125 313x250 625x500 1250x1000"},
        {"tiled TIFF", tiled_tiff(), max_area(1000000), "79x63 157x125 313x250 625x500"},
        {"TIFF in 512x256 tiles", strip_tiled_tiff(), no_limits,
         "94x63 188x125 375x250 750x500 1500x1000 3000x2000"},
        {"untiled PNG", untiled_png(), no_limits, "125x94 250x188 500x375 1000x750 2000x1500"},
        {"JPEG with shrink-on-load", shrinkable_jpeg(), no_limits,
         "125x94 250x188 500x375 1000x750 2000x1500 4000x3000"},
        {"JPEG with shrink-on-load", shrinkable_jpeg(), max_width_height(4000, 1500),
         "125x94 250x188 500x375 1000x750 2000x1500"},
    };
    for (const auto& row : rows) {
        for (ApiVersion version : both_versions) {
            INFO("Image API " << version_name(version) << ", " << row.name << " (maxWidth "
                              << row.limits.max_width << ", maxHeight " << row.limits.max_height
                              << ", maxArea " << row.limits.max_area << ")");
            InfoOptions options = options_for(version);
            options.limits = row.limits;
            CHECK(sizes_of(parse_info(row.source, options).get()) == row.declared);
        }
    }
}

TEST_CASE("info.json: pretty printing changes the layout, not the document", "[info]") {
    for (const auto& row : source_rows) {
        for (ApiVersion version : both_versions) {
            INFO("Image API " << version_name(version) << ", " << row.name);
            InfoOptions options = options_for(version);
            options.limits = spec_limits;
            options.rights = "https://creativecommons.org/licenses/by/4.0/";
            const Json compact = parse_info(row.source, options);
            options.pretty = true;
            const Json pretty = parse_info(row.source, options);
            CHECK(json_equal(compact.get(), pretty.get()) == 1);
        }
    }
}

// --- 3.0 ---------------------------------------------------------------------------------------

TEST_CASE("3.0 info.json: the technical properties of section 5.2", "[info][3.0]") {
    for (const auto& row : source_rows) {
        INFO(row.name);
        const Json info = parse_info(row.source, options_for(ApiVersion::v3));
        CHECK(field(info.get(), "@context") == "\"http://iiif.io/api/image/3/context.json\"");
        CHECK(field(info.get(), "id") == "\"https://example.org/iiif/3/abcd1234\"");
        CHECK(field(info.get(), "type") == "\"ImageService3\"");
        CHECK(field(info.get(), "protocol") == "\"http://iiif.io/api/image\"");
        CHECK(field(info.get(), "profile") == "\"level2\"");
        CHECK(field(info.get(), "width") == row.width);
        CHECK(field(info.get(), "height") == row.height);
    }
}

TEST_CASE("3.0 info.json: maxWidth, maxHeight and maxArea are declared exactly when set",
          "[info][limits][3.0]") {
    for (const auto& row : limits_rows) {
        INFO("maxWidth " << row.limits.max_width << ", maxHeight " << row.limits.max_height
                         << ", maxArea " << row.limits.max_area);
        InfoOptions options = options_for(ApiVersion::v3);
        options.limits = row.limits;
        const Json info = parse_info(tiled_tiff(), options);
        CHECK(field(info.get(), "maxWidth") == row.max_width);
        CHECK(field(info.get(), "maxHeight") == row.max_height);
        CHECK(field(info.get(), "maxArea") == row.max_area);
    }
}

TEST_CASE("3.0 info.json: extraFormats, extraQualities and extraFeatures beyond level 2",
          "[info][3.0]") {
    for (bool http_features : {true, false}) {
        INFO("http_features " << http_features);
        InfoOptions options = options_for(ApiVersion::v3);
        options.http_features = http_features;
        const Json info = parse_info(tiled_tiff(), options);
        // jpg and png are level 2 formats, color a level 2 quality.
        CHECK(field(info.get(), "extraFormats") == R"(["webp","tif","gif"])");
        CHECK(field(info.get(), "extraQualities") == R"(["gray","bitonal"])");
        const auto features = strings_of(json_object_get(info.get(), "extraFeatures"));
        CAPTURE(field(info.get(), "extraFeatures"));
        CHECK(contains(features, "mirroring"));
        CHECK(contains(features, "rotationArbitrary"));
        CHECK(contains(features, "sizeUpscaling"));
        CHECK(contains(features, "canonicalLinkHeader") == http_features);
        CHECK(contains(features, "profileLinkHeader") == http_features);
    }
}

TEST_CASE("3.0 info.json: rights is declared exactly when set", "[info][3.0]") {
    for (const auto& row : rights_rows) {
        INFO("rights \"" << row.rights << "\"");
        InfoOptions options = options_for(ApiVersion::v3);
        options.rights = row.rights;
        CHECK(field(parse_info(untiled_png(), options).get(), "rights") == row.declared);
    }
}

// --- 2.1 ---------------------------------------------------------------------------------------

TEST_CASE("2.1 info.json: the technical properties of section 5.2", "[info][2.1]") {
    for (const auto& row : source_rows) {
        INFO(row.name);
        const Json info = parse_info(row.source, options_for(ApiVersion::v2));
        CHECK(field(info.get(), "@context") == "\"http://iiif.io/api/image/2/context.json\"");
        CHECK(field(info.get(), "@id") == "\"https://example.org/iiif/2/abcd1234\"");
        CHECK(field(info.get(), "protocol") == "\"http://iiif.io/api/image\"");
        CHECK(field(info.get(), "width") == row.width);
        CHECK(field(info.get(), "height") == row.height);
        const json_t* profile = json_object_get(info.get(), "profile");
        REQUIRE(json_is_array(profile));
        REQUIRE(json_array_size(profile) == 2);
        CHECK(text_of(json_array_get(profile, 0)) == "\"http://iiif.io/api/image/2/level2.json\"");
        CHECK(json_is_object(json_array_get(profile, 1)));
    }
}

// The profile object that follows the compliance level URI.
const json_t* profile_description(const json_t* info) {
    const json_t* profile = json_object_get(info, "profile");
    INFO("profile: " << text_of(profile));
    REQUIRE(json_array_size(profile) == 2);
    const json_t* description = json_array_get(profile, 1);
    REQUIRE(json_is_object(description));
    return description;
}

TEST_CASE("2.1 info.json: the profile declares formats, qualities and supported features",
          "[info][2.1]") {
    for (bool http_features : {true, false}) {
        INFO("http_features " << http_features);
        InfoOptions options = options_for(ApiVersion::v2);
        options.http_features = http_features;
        const Json info = parse_info(tiled_tiff(), options);
        const json_t* description = profile_description(info.get());
        const auto formats = strings_of(json_object_get(description, "formats"));
        CAPTURE(field(description, "formats"));
        for (const char* format : {"jpg", "png", "webp", "tif", "gif"}) {
            INFO("format " << format);
            CHECK(contains(formats, format));
        }
        CHECK(field(description, "qualities") == R"(["default","color","gray","bitonal"])");
        const auto supports = strings_of(json_object_get(description, "supports"));
        CAPTURE(field(description, "supports"));
        for (const char* feature :
             {"mirroring", "rotationArbitrary", "sizeAboveFull", "regionSquare"}) {
            INFO("feature " << feature);
            CHECK(contains(supports, feature));
        }
        for (const char* feature : {"canonicalLinkHeader", "profileLinkHeader", "baseUriRedirect",
                                    "cors", "jsonldMediaType"}) {
            INFO("feature " << feature);
            CHECK(contains(supports, feature) == http_features);
        }
    }
}

TEST_CASE("2.1 info.json: maxWidth, maxHeight and maxArea are declared in the profile when set",
          "[info][limits][2.1]") {
    for (const auto& row : limits_rows) {
        INFO("maxWidth " << row.limits.max_width << ", maxHeight " << row.limits.max_height
                         << ", maxArea " << row.limits.max_area);
        InfoOptions options = options_for(ApiVersion::v2);
        options.limits = row.limits;
        const Json info = parse_info(tiled_tiff(), options);
        const json_t* description = profile_description(info.get());
        CHECK(field(description, "maxWidth") == row.max_width);
        CHECK(field(description, "maxHeight") == row.max_height);
        CHECK(field(description, "maxArea") == row.max_area);
    }
}

TEST_CASE("2.1 info.json: license is declared exactly when set", "[info][2.1]") {
    for (const auto& row : rights_rows) {
        INFO("rights \"" << row.rights << "\"");
        InfoOptions options = options_for(ApiVersion::v2);
        options.rights = row.rights;
        CHECK(field(parse_info(untiled_png(), options).get(), "license") == row.declared);
    }
}

}  // namespace

TEST_CASE("info.json: degraded access declares the fitted size and only the levels no finer",
          "[info][access]") {
    for (ApiVersion version : both_versions) {
        INFO("Image API " << version_name(version));
        InfoOptions options = options_for(version);
        // 10000 x 8000 fitted to 800: scale 0.08, so scale factors of 12.5 and more.
        options.limits = iiif::degraded_limits(Limits{}, 10000, 8000, 800);
        Json info = parse_info(tiled_tiff(), options);
        CHECK(tiles_of(info.get()) == "256x256 [16,32,64]");
        const json_t* limits = version == ApiVersion::v3
                                   ? info.get()
                                   : json_array_get(json_object_get(info.get(), "profile"), 1);
        CHECK(field(limits, "maxWidth") == "800");
        CHECK(field(limits, "maxHeight") == "640");
        CHECK(field(info.get(), "width") == "10000");
        // Fitted below the smallest level: the first power of two that is coarse enough.
        options.limits = iiif::degraded_limits(Limits{}, 10000, 8000, 100);
        CHECK(tiles_of(parse_info(tiled_tiff(), options).get()) == "256x256 [128]");
    }
}

TEST_CASE("info.json: the services given are declared as \"service\"", "[info][access]") {
    for (ApiVersion version : both_versions) {
        INFO("Image API " << version_name(version));
        InfoOptions options = options_for(version);
        CHECK(field(parse_info(tiled_tiff(), options).get(), "service") == "absent");
        options.services = R"([{"id":"https://x/probe","type":"AuthProbeService2"}])";
        CHECK(field(parse_info(tiled_tiff(), options).get(), "service") ==
              R"([{"id":"https://x/probe","type":"AuthProbeService2"}])");
    }
}
