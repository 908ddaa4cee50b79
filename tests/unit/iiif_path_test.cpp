// Request paths below the service prefix (IIIF Image API 3.0 and 2.1, sections 2, 3 and 9):
// parsed from the right into a base URI, an information request or an image request, with the
// identifier percent-decoded after splitting so that an encoded slash stays in the identifier.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "iiif_error.hpp"
#include "image_request.hpp"
#include "spec_helpers.hpp"

using iiif::ApiVersion;
using iiif::IiifPath;
using iiif::ImageRequest;

using spec::both_versions;
using spec::status_of;
using spec::v2;
using spec::v3;
using spec::version_name;

namespace {


const char* kind_name(IiifPath::Kind kind) {
    switch (kind) {
        case IiifPath::Kind::base:
            return "base";
        case IiifPath::Kind::info:
            return "info";
        case IiifPath::Kind::image:
            return "image";
    }
    return "?";
}


// Every field of a parsed image request, to compare two requests in one readable line.
std::string describe(const ImageRequest& request) {
    std::ostringstream text;
    text.precision(17);
    const auto& region = request.region;
    const auto& size = request.size;
    text << "region " << static_cast<int>(region.kind) << " " << region.x << "," << region.y << ","
         << region.w << "," << region.h << " | size " << static_cast<int>(size.kind)
         << (size.upscale ? " ^" : "") << " " << size.width << "," << size.height << " pct "
         << size.percent << " | rotation " << (request.rotation.mirror ? "!" : "")
         << request.rotation.degrees << " | " << iiif::quality_name(request.quality) << "."
         << iiif::format_extension(request.format);
    return text.str();
}

struct PathRow {
    ApiVersion version;
    const char* path;
    IiifPath::Kind kind;
    const char* identifier;
};

void check_path(const PathRow& row) {
    INFO("Image API " << version_name(row.version) << ", path \"" << row.path << "\"");
    const IiifPath parsed = iiif::parse_iiif_path(row.version, row.path);
    CHECK(kind_name(parsed.kind) == std::string(kind_name(row.kind)));
    CHECK(parsed.identifier == row.identifier);
}

// An image request path, its identifier and its four parameters once decoded.
struct ImagePathRow {
    ApiVersion version;
    const char* path;
    const char* identifier;
    const char* region;
    const char* size;
    const char* rotation;
    const char* quality_format;
};

void check_image_path(const ImagePathRow& row) {
    INFO("Image API " << version_name(row.version) << ", path \"" << row.path << "\"");
    const IiifPath parsed = iiif::parse_iiif_path(row.version, row.path);
    CHECK(kind_name(parsed.kind) == std::string("image"));
    CHECK(parsed.identifier == row.identifier);
    CHECK(describe(parsed.image) ==
          describe(iiif::parse_image_request(row.version, row.region, row.size, row.rotation,
                                             row.quality_format)));
}

struct RefusedRow {
    ApiVersion version;
    const char* path;
    int status;
};

void check_refused(const RefusedRow& row) {
    INFO("Image API " << version_name(row.version) << ", path \"" << row.path << "\"");
    CHECK(status_of([&] { iiif::parse_iiif_path(row.version, row.path); }) == row.status);
}

using Kind = IiifPath::Kind;

TEST_CASE("path: the URI examples of section 9 are image requests", "[path]") {
    // The spec's table leaves the format out of some paths; here each has .jpg.
    const ImagePathRow rows[] = {
        {v3, "id1/full/max/0/default.jpg", "id1", "full", "max", "0", "default.jpg"},
        {v3, "id1/0,10,100,200/pct:50/90/default.png", "id1", "0,10,100,200", "pct:50", "90",
         "default.png"},
        {v3, "id1/pct:10,10,80,80/50,/22.5/color.jpg", "id1", "pct:10,10,80,80", "50,", "22.5",
         "color.jpg"},
        {v3, "bb157hs6068/full/max/270/gray.jpg", "bb157hs6068", "full", "max", "270", "gray.jpg"},
        {v3, "ark:%2F12025%2F654xz321/full/max/0/default.jpg", "ark:/12025/654xz321", "full", "max",
         "0", "default.jpg"},
        {v3, "urn:foo:a123,456/full/max/0/default.jpg", "urn:foo:a123,456", "full", "max", "0",
         "default.jpg"},
        {v3, "urn:sici:1046-8188(199501)13:1%253C69:FTTHBI%253E2.0.TX;2-4/full/max/0/default.jpg",
         "urn:sici:1046-8188(199501)13:1%3C69:FTTHBI%3E2.0.TX;2-4", "full", "max", "0",
         "default.jpg"},
        {v3, "http:%2F%2Fexample.com%2F%3F54%23a/full/max/0/default.jpg",
         "http://example.com/?54#a", "full", "max", "0", "default.jpg"},
        {v2, "id1/full/full/0/default.jpg", "id1", "full", "full", "0", "default.jpg"},
        {v2, "id1/0,10,100,200/pct:50/90/default.png", "id1", "0,10,100,200", "pct:50", "90",
         "default.png"},
        {v2, "id1/pct:10,10,80,80/50,/22.5/color.jpg", "id1", "pct:10,10,80,80", "50,", "22.5",
         "color.jpg"},
        {v2, "bb157hs6068/full/full/270/gray.jpg", "bb157hs6068", "full", "full", "270",
         "gray.jpg"},
        {v2, "ark:%2F12025%2F654xz321/full/full/0/default.jpg", "ark:/12025/654xz321", "full",
         "full", "0", "default.jpg"},
        {v2, "urn:foo:a123,456/full/full/0/default.jpg", "urn:foo:a123,456", "full", "full", "0",
         "default.jpg"},
        {v2, "urn:sici:1046-8188(199501)13:1%253C69:FTTHBI%253E2.0.TX;2-4/full/full/0/default.jpg",
         "urn:sici:1046-8188(199501)13:1%3C69:FTTHBI%3E2.0.TX;2-4", "full", "full", "0",
         "default.jpg"},
        {v2, "http:%2F%2Fexample.com%2F%3F54%23a/full/full/0/default.jpg",
         "http://example.com/?54#a", "full", "full", "0", "default.jpg"},
    };
    for (const auto& row : rows) check_image_path(row);
}

TEST_CASE("path: an image request is the last four segments, the identifier all before them",
          "[path]") {
    const ImagePathRow rows[] = {
        // Sections 2.1 of both specs.
        {v3, "abcd1234/full/max/0/default.jpg", "abcd1234", "full", "max", "0", "default.jpg"},
        {v2, "abcd1234/full/full/0/default.jpg", "abcd1234", "full", "full", "0", "default.jpg"},
        // Section 4.6 of both specs.
        {v3, "abcd1234/125,15,120,140/90,/!345/gray.jpg", "abcd1234", "125,15,120,140", "90,",
         "!345", "gray.jpg"},
        {v2, "abcd1234/125,15,120,140/90,/!345/gray.jpg", "abcd1234", "125,15,120,140", "90,",
         "!345", "gray.jpg"},
        // Identifiers that arrive with raw slashes.
        {v3, "ark:/12345/bc12/f1/full/max/0/default.jpg", "ark:/12345/bc12/f1", "full", "max", "0",
         "default.jpg"},
        {v2, "ark:/12345/bc12/f1/full/full/0/default.jpg", "ark:/12345/bc12/f1", "full", "full",
         "0", "default.jpg"},
        {v3, "a/b/c/square/^max/!90/gray.png", "a/b/c", "square", "^max", "!90", "gray.png"},
        {v3, "a/b%2Fc/full/max/0/default.jpg", "a/b/c", "full", "max", "0", "default.jpg"},
        {v3, "dir/image.tif/full/max/0/default.jpg", "dir/image.tif", "full", "max", "0",
         "default.jpg"},
    };
    for (const auto& row : rows) check_image_path(row);
}

TEST_CASE("path: each parameter segment is percent-decoded before it is parsed", "[path]") {
    const ImagePathRow rows[] = {
        {v3, "abc/pct%3A10,10,10,10/max/0/default.jpg", "abc", "pct:10,10,10,10", "max", "0",
         "default.jpg"},
        {v3, "abc/125%2C15%2C120%2C140/max/0/default.jpg", "abc", "125,15,120,140", "max", "0",
         "default.jpg"},
        {v3, "abc/full/%5Emax/0/default.jpg", "abc", "full", "^max", "0", "default.jpg"},
        {v3, "abc/full/%21225,100/0/default.jpg", "abc", "full", "!225,100", "0", "default.jpg"},
        {v3, "abc/full/max/%2190/default.jpg", "abc", "full", "max", "!90", "default.jpg"},
        {v2, "abc/full/pct%3a50/0/default.jpg", "abc", "full", "pct:50", "0", "default.jpg"},
    };
    for (const auto& row : rows) check_image_path(row);
}

TEST_CASE("path: {identifier}/info.json is an information request", "[path]") {
    const PathRow rows[] = {
        {v3, "abcd1234/info.json", Kind::info, "abcd1234"},  // section 2.2
        {v2, "abcd1234/info.json", Kind::info, "abcd1234"},
        {v3, "a%2Fb/info.json", Kind::info, "a/b"},
        {v3, "a%2fb/info.json", Kind::info, "a/b"},
        {v3, "a/b/info.json", Kind::info, "a/b"},
        {v3, "ark:/12345/bc12/f1/info.json", Kind::info, "ark:/12345/bc12/f1"},
        {v2, "ark:/12345/bc12/f1/info.json", Kind::info, "ark:/12345/bc12/f1"},
        {v3, "ark:%2F12025%2F654xz321/info.json", Kind::info, "ark:/12025/654xz321"},
        {v3, "http:%2F%2Fexample.com%2F%3F54%23a/info.json", Kind::info,
         "http://example.com/?54#a"},
        {v3, "image.tif/info.json", Kind::info, "image.tif"},
        {v3, "a%20b/info.json", Kind::info, "a b"},
    };
    for (const auto& row : rows) check_path(row);
}

TEST_CASE("path: a path without info.json or a format is the base URI", "[path]") {
    const PathRow rows[] = {
        {v3, "abc", Kind::base, "abc"},
        {v2, "abcd1234", Kind::base, "abcd1234"},
        {v3, "ark:/12345/bc12/f1", Kind::base, "ark:/12345/bc12/f1"},
        {v2, "ark:/12345/bc12/f1", Kind::base, "ark:/12345/bc12/f1"},
        {v3, "ark:%2F12345%2Fbc12%2Ff1", Kind::base, "ark:/12345/bc12/f1"},
        {v3, "urn:foo:a123,456", Kind::base, "urn:foo:a123,456"},
        {v3, "a%20b", Kind::base, "a b"},
        // A last segment without a '.' names no format, so this is no image request.
        {v3, "abc/full/max/0/default", Kind::base, "abc/full/max/0/default"},
        // Fewer than five segments cannot be an image request, whatever dots they hold: the
        // identifier "image.tif" gets its redirect to info.json like any other.
        {v3, "image.tif", Kind::base, "image.tif"},
        {v2, "scans/page.001.jp2", Kind::base, "scans/page.001.jp2"},
        {v3, "full/max/0/default.jpg", Kind::base, "full/max/0/default.jpg"},
        {v3, "default.jpg", Kind::base, "default.jpg"},
    };
    for (const auto& row : rows) check_path(row);
}

TEST_CASE("path: an image request with an empty identifier is 400", "[path]") {
    const RefusedRow rows[] = {
        {v3, "/full/max/0/default.jpg", 400},
        {v2, "/full/full/0/default.jpg", 400},
        {v3, "/info.json", 400},
        {v3, "info.json", 400},
    };
    for (const auto& row : rows) check_refused(row);
}

TEST_CASE("path: a malformed percent escape or an encoded NUL is 400", "[path]") {
    const char* malformed[] = {
        "%G1/info.json",
        "abc%2/info.json",
        "abc%/info.json",
        "abc%00/info.json",
        "abc%00/full/max/0/default.jpg",
        "abc/pct%3G10,10,10,10/max/0/default.jpg",
        "abc/full/max/0/default.jpg%00",
        "abc%",
        "abc%G1",
        "abc%2",
    };
    for (const char* path : malformed) {
        for (ApiVersion version : both_versions) check_refused({version, path, 400});
    }
}

TEST_CASE("path: an invalid parameter is refused as when parsed alone", "[path]") {
    const RefusedRow rows[] = {
        {v3, "abc/full/max/0/default.jp2", 501},     {v2, "abc/full/full/0/default.jp2", 415},
        {v3, "abc/full/max/0/default.pdf", 501},     {v2, "abc/full/full/0/default.pdf", 415},
        {v3, "abc/full/full/0/default.jpg", 400},    {v2, "abc/full/^max/0/default.jpg", 400},
        {v3, "abc/full/max/0/native.jpg", 400},      {v2, "abc/full/full/0/native.jpg", 400},
        {v3, "abc/full/max/0/default.bmp", 400},     {v3, "abc/full/max/-90/default.jpg", 400},
        {v3, "abc/pct%3A10/max/0/default.jpg", 400}, {v3, "abc/0,0,0,10/max/0/default.jpg", 400},
    };
    for (const auto& row : rows) check_refused(row);
}

struct DecodeRow {
    const char* text;
    const char* decoded;
};

TEST_CASE("percent_decode: each %XX is one byte, decoded once, and + stays +", "[path]") {
    const DecodeRow rows[] = {
        {"", ""},
        {"plain", "plain"},
        {"a%2Fb", "a/b"},
        {"a%2fb", "a/b"},
        {"%41", "A"},
        {"%e2%82%ac", "\xe2\x82\xac"},
        {"%252F", "%2F"},
        {"a+b", "a+b"},
        {"ark:%2F12025%2F654xz321", "ark:/12025/654xz321"},
        {"http:%2F%2Fexample.com%2F%3F54%23a", "http://example.com/?54#a"},
    };
    for (const auto& row : rows) {
        INFO("\"" << row.text << "\"");
        CHECK(iiif::percent_decode(row.text) == row.decoded);
    }
}

TEST_CASE("percent_decode: a malformed escape or an encoded NUL is 400", "[path]") {
    const char* rows[] = {"%", "%2", "%G1", "%1G", "%%", "a%00b", "%00", "abc%"};
    for (const char* text : rows) {
        INFO("\"" << text << "\"");
        CHECK(status_of([&] { iiif::percent_decode(text); }) == 400);
    }
}

}  // namespace
