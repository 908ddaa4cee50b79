// The request grammar of the IIIF Image API 3.0 and 2.1 (sections 4.1 to 4.5 of both specs), one
// table per rule. A row is a parameter as it appears in a URI and either the exact value it
// parses to or the exact status it is refused with. Rules that need the image's size (cropping,
// upscaling, limits) are planning rules and live in plan_test.cpp.
#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "iiif_error.hpp"
#include "image_request.hpp"
#include "spec_helpers.hpp"

using iiif::ApiVersion;
using iiif::Format;
using iiif::ImageRequest;
using iiif::Quality;
using iiif::RegionSpec;
using iiif::SizeSpec;

using spec::both_versions;
using spec::status_of;
using spec::v2;
using spec::v3;
using spec::version_name;

namespace {



// Requests that vary one parameter; the others are the plainest values valid in both versions.
ImageRequest with_region(ApiVersion version, std::string_view region) {
    return iiif::parse_image_request(version, region, "max", "0", "default.jpg");
}
ImageRequest with_size(ApiVersion version, std::string_view size) {
    return iiif::parse_image_request(version, "full", size, "0", "default.jpg");
}
ImageRequest with_rotation(ApiVersion version, std::string_view rotation) {
    return iiif::parse_image_request(version, "full", "max", rotation, "default.jpg");
}
ImageRequest with_quality_format(ApiVersion version, std::string_view quality_dot_format) {
    return iiif::parse_image_request(version, "full", "max", "0", quality_dot_format);
}

struct RefusedRow {
    const char* text;
    int status;
};

// --- 4.1 Region --------------------------------------------------------------------------------

struct RegionRow {
    const char* text;
    RegionSpec::Kind kind;
    double x, y, w, h;
};

void check_region(const RegionRow& row) {
    for (ApiVersion version : both_versions) {
        INFO("Image API " << version_name(version) << ", region \"" << row.text << "\"");
        const RegionSpec region = with_region(version, row.text).region;
        CHECK(region.kind == row.kind);
        if (row.kind == RegionSpec::Kind::pixels || row.kind == RegionSpec::Kind::percent) {
            CHECK(region.x == row.x);
            CHECK(region.y == row.y);
            CHECK(region.w == row.w);
            CHECK(region.h == row.h);
        }
    }
}

void check_region_refused(const RefusedRow& row) {
    for (ApiVersion version : both_versions) {
        INFO("Image API " << version_name(version) << ", region \"" << row.text << "\"");
        CHECK(status_of([&] { with_region(version, row.text); }) == row.status);
    }
}

TEST_CASE("region: full and square are keywords in 2.1 and 3.0", "[grammar][region]") {
    const RegionRow rows[] = {
        {"full", RegionSpec::Kind::full, 0, 0, 0, 0},
        {"square", RegionSpec::Kind::square, 0, 0, 0, 0},
    };
    for (const auto& row : rows) check_region(row);
}

TEST_CASE("region: x,y,w,h is four non-negative integers in pixels", "[grammar][region]") {
    const RegionRow rows[] = {
        {"125,15,120,140", RegionSpec::Kind::pixels, 125, 15, 120, 140},  // spec example 3
        {"125,15,200,200", RegionSpec::Kind::pixels, 125, 15, 200, 200},  // spec example 5
        {"0,10,100,200", RegionSpec::Kind::pixels, 0, 10, 100, 200},      // section 9 example
        {"0,0,1,1", RegionSpec::Kind::pixels, 0, 0, 1, 1},
        {"9999,7999,1,1", RegionSpec::Kind::pixels, 9999, 7999, 1, 1},
        {"0,0,10000,8000", RegionSpec::Kind::pixels, 0, 0, 10000, 8000},
    };
    for (const auto& row : rows) check_region(row);
}

TEST_CASE("region: pct:x,y,w,h is four non-negative decimal percentages", "[grammar][region]") {
    const RegionRow rows[] = {
        {"pct:41.6,7.5,40,70", RegionSpec::Kind::percent, 41.6, 7.5, 40, 70},  // spec example 4
        {"pct:41.6,7.5,66.6,100", RegionSpec::Kind::percent, 41.6, 7.5, 66.6, 100},  // example 6
        {"pct:10,10,80,80", RegionSpec::Kind::percent, 10, 10, 80, 80},  // section 9 example
        {"pct:0,0,100,100", RegionSpec::Kind::percent, 0, 0, 100, 100},
        {"pct:0.25,0,10.5,10", RegionSpec::Kind::percent, 0.25, 0, 10.5, 10},
        {"pct:0,0,150,150", RegionSpec::Kind::percent, 0, 0, 150, 150},  // cropped when planned
    };
    for (const auto& row : rows) check_region(row);
}

TEST_CASE("region: a pixel value that is not a non-negative integer is 400", "[grammar][region]") {
    const RefusedRow rows[] = {
        {"-1,0,10,10", 400},  {"0,-1,10,10", 400}, {"1.5,0,10,10", 400}, {"+1,0,10,10", 400},
        {"1e3,0,10,10", 400}, {" 1,0,10,10", 400}, {"1 ,0,10,10", 400},  {"0x1,0,10,10", 400},
        {"a,b,c,d", 400},     {"1,0,10", 400},     {"1,0,10,10,5", 400}, {"1,,10,10", 400},
        {",0,10,10", 400},    {"1,0,10,10,", 400},
    };
    for (const auto& row : rows) check_region_refused(row);
}

TEST_CASE("region: a percentage that is not a non-negative decimal is 400", "[grammar][region]") {
    const RefusedRow rows[] = {
        {"pct:-5,0,10,10", 400},
        {"pct:1e2,0,10,10", 400},
        {"pct:.5,0,10,10", 400},
        {"pct:5.,0,10,10", 400},
        {"pct:+5,0,10,10", 400},
        {"pct:1.2.3,0,10,10", 400},
        {"pct: 5,0,10,10", 400},
        {"pct:,0,10,10", 400},
        {"pct:inf,0,10,10", 400},
        {"pct:nan,0,10,10", 400},
        {"pct:", 400},
        {"pct:10,10,10", 400},
        {"pct:10,10,10,10,10", 400},
        {"PCT:10,10,10,10", 400},
        {"pct10,10,10,10", 400},
    };
    for (const auto& row : rows) check_region_refused(row);
}

TEST_CASE("region: a zero width or height is 400", "[grammar][region]") {
    const RefusedRow rows[] = {
        {"0,0,0,10", 400},        {"0,0,10,0", 400},     {"0,0,0,0", 400},
        {"pct:0,0,0,10", 400},    {"pct:0,0,10,0", 400}, {"pct:0,0,0.0,10", 400},
        {"pct:0,0,10,0.00", 400},
    };
    for (const auto& row : rows) check_region_refused(row);
}

TEST_CASE("region: any other value is 400", "[grammar][region]") {
    const RefusedRow rows[] = {
        {"", 400},        {"Full", 400},  {"FULL", 400}, {"Square", 400},
        {"squares", 400}, {"fullx", 400}, {"max", 400},  {"abc", 400},
    };
    for (const auto& row : rows) check_region_refused(row);
}

// --- 4.2 Size ----------------------------------------------------------------------------------

struct SizeRow {
    const char* text;
    SizeSpec::Kind kind;
    bool upscale;
    int width, height;
    double percent;
};

void check_size(ApiVersion version, const SizeRow& row) {
    INFO("Image API " << version_name(version) << ", size \"" << row.text << "\"");
    const SizeSpec size = with_size(version, row.text).size;
    CHECK(size.kind == row.kind);
    CHECK(size.upscale == row.upscale);
    switch (row.kind) {
        case SizeSpec::Kind::width:
            CHECK(size.width == row.width);
            break;
        case SizeSpec::Kind::height:
            CHECK(size.height == row.height);
            break;
        case SizeSpec::Kind::exact:
        case SizeSpec::Kind::best_fit:
            CHECK(size.width == row.width);
            CHECK(size.height == row.height);
            break;
        case SizeSpec::Kind::percent:
            CHECK(size.percent == row.percent);
            break;
        case SizeSpec::Kind::full:
        case SizeSpec::Kind::max:
            break;
    }
}

void check_size_refused(ApiVersion version, const RefusedRow& row) {
    INFO("Image API " << version_name(version) << ", size \"" << row.text << "\"");
    CHECK(status_of([&] { with_size(version, row.text); }) == row.status);
}

using Kind = SizeSpec::Kind;

TEST_CASE("3.0 size: max, w, ,h, pct:n, w,h and !w,h with or without ^", "[grammar][size][3.0]") {
    const SizeRow rows[] = {
        // The examples of section 4.2, each form then its ^ form.
        {"max", Kind::max, false, 0, 0, 0},
        {"^max", Kind::max, true, 0, 0, 0},
        {"150,", Kind::width, false, 150, 0, 0},
        {"^360,", Kind::width, true, 360, 0, 0},
        {",150", Kind::height, false, 0, 150, 0},
        {"^,240", Kind::height, true, 0, 240, 0},
        {"pct:50", Kind::percent, false, 0, 0, 50},
        {"^pct:120", Kind::percent, true, 0, 0, 120},
        {"225,100", Kind::exact, false, 225, 100, 0},
        {"^360,360", Kind::exact, true, 360, 360, 0},
        {"!225,100", Kind::best_fit, false, 225, 100, 0},
        {"^!360,360", Kind::best_fit, true, 360, 360, 0},
        // Sections 4.6 and 9.
        {"90,", Kind::width, false, 90, 0, 0},
        {"50,", Kind::width, false, 50, 0, 0},
        // Bounds of the grammar; whether the image allows them is decided when planning.
        {"1,", Kind::width, false, 1, 0, 0},
        {",1", Kind::height, false, 0, 1, 0},
        {"1,1", Kind::exact, false, 1, 1, 0},
        {"!1,1", Kind::best_fit, false, 1, 1, 0},
        {"pct:41.5", Kind::percent, false, 0, 0, 41.5},
        {"pct:100", Kind::percent, false, 0, 0, 100},
        {"pct:0.5", Kind::percent, false, 0, 0, 0.5},
        {"^pct:250", Kind::percent, true, 0, 0, 250},
    };
    for (const auto& row : rows) check_size(ApiVersion::v3, row);
}

TEST_CASE("3.0 size: full is not a 3.0 size and is 400", "[grammar][size][3.0]") {
    const RefusedRow rows[] = {{"full", 400}, {"^full", 400}, {"Full", 400}};
    for (const auto& row : rows) check_size_refused(ApiVersion::v3, row);
}

TEST_CASE("3.0 size: a zero dimension is 400", "[grammar][size][3.0]") {
    const RefusedRow rows[] = {
        {"0,", 400},      {",0", 400},     {"0,0", 400},    {"^0,", 400},
        {"^,0", 400},     {"^0,0", 400},   {"pct:0", 400},  {"^pct:0", 400},
        {"pct:0.0", 400}, {"!0,100", 400}, {"!100,0", 400}, {"^!0,0", 400},
    };
    for (const auto& row : rows) check_size_refused(ApiVersion::v3, row);
}

TEST_CASE("3.0 size: a malformed size is 400", "[grammar][size][3.0]") {
    const RefusedRow rows[] = {
        {"", 400},           {",", 400},      {"^,", 400},     {"!100,", 400},   {"!,100", 400},
        {"!,", 400},         {"abc", 400},    {"^", 400},      {"^^max", 400},   {"^ max", 400},
        {"Max", 400},        {"MAX", 400},    {"max,", 400},   {"pct:", 400},    {"pct:-5", 400},
        {"pct:1e2", 400},    {"pct:.5", 400}, {"pct:5.", 400}, {"pct: 50", 400}, {"pct50", 400},
        {"-150,", 400},      {"150.5,", 400}, {"+150,", 400},  {"1e2,", 400},    {"0x10,", 400},
        {"150,100,50", 400}, {"150,,", 400},  {"150, ", 400},  {" 150,", 400},   {"!^100,100", 400},
        {",^240", 400},  // example 3 of section 4.2 as misprinted; the 3.0 form is ^,240
    };
    for (const auto& row : rows) check_size_refused(ApiVersion::v3, row);
}

TEST_CASE("2.1 size: full, max, w, ,h, pct:n, w,h and !w,h", "[grammar][size][2.1]") {
    const SizeRow rows[] = {
        // The examples of section 4.2.
        {"full", Kind::full, false, 0, 0, 0},
        {"max", Kind::max, false, 0, 0, 0},
        {"150,", Kind::width, false, 150, 0, 0},
        {",150", Kind::height, false, 0, 150, 0},
        {"pct:50", Kind::percent, false, 0, 0, 50},
        {"225,100", Kind::exact, false, 225, 100, 0},
        {"!225,100", Kind::best_fit, false, 225, 100, 0},
        // Sections 4.6 and 9.
        {"90,", Kind::width, false, 90, 0, 0},
        {"50,", Kind::width, false, 50, 0, 0},
        // 2.1 may scale above the full size, so n may exceed 100.
        {"pct:150", Kind::percent, false, 0, 0, 150},
        {"pct:41.5", Kind::percent, false, 0, 0, 41.5},
        {"400,", Kind::width, false, 400, 0, 0},
    };
    for (const auto& row : rows) check_size(ApiVersion::v2, row);
}

TEST_CASE("2.1 size: the ^ prefix does not exist in 2.1 and is 400", "[grammar][size][2.1]") {
    const RefusedRow rows[] = {
        {"^max", 400},    {"^full", 400},    {"^150,", 400},     {"^,150", 400},
        {"^pct:50", 400}, {"^225,100", 400}, {"^!225,100", 400},
    };
    for (const auto& row : rows) check_size_refused(ApiVersion::v2, row);
}

TEST_CASE("2.1 size: a zero dimension or a malformed size is 400", "[grammar][size][2.1]") {
    const RefusedRow rows[] = {
        {"0,", 400},     {",0", 400},     {"0,0", 400},    {"pct:0", 400},
        {"!0,100", 400}, {",", 400},      {"!100,", 400},  {"!,100", 400},
        {"abc", 400},    {"", 400},       {"Full", 400},   {"FULL", 400},
        {"-150,", 400},  {"150.5,", 400}, {"pct:-5", 400}, {"pct:.5", 400},
    };
    for (const auto& row : rows) check_size_refused(ApiVersion::v2, row);
}

// --- 4.3 Rotation ------------------------------------------------------------------------------

struct RotationRow {
    const char* text;
    bool mirror;
    double degrees;
};

TEST_CASE("rotation: n or !n, n a decimal number of degrees from 0 to 360", "[grammar][rotation]") {
    const RotationRow rows[] = {
        // The examples of section 4.3 and 4.6.
        {"0", false, 0},
        {"180", false, 180},
        {"90", false, 90},
        {"22.5", false, 22.5},
        {"!0", true, 0},
        {"!180", true, 180},
        {"!345", true, 345},
        // Section 9 and the bounds of the range.
        {"270", false, 270},
        {"360", false, 360},
        {"!360", true, 360},
        {"90.5", false, 90.5},
        {"0.5", false, 0.5},
        {"359.99", false, 359.99},
        {"90.0", false, 90},
        {"45", false, 45},
        {"!22.5", true, 22.5},
    };
    for (const auto& row : rows) {
        for (ApiVersion version : both_versions) {
            INFO("Image API " << version_name(version) << ", rotation \"" << row.text << "\"");
            const auto rotation = with_rotation(version, row.text).rotation;
            CHECK(rotation.mirror == row.mirror);
            CHECK(rotation.degrees == row.degrees);
        }
    }
}

TEST_CASE("rotation: a value out of range or malformed is 400", "[grammar][rotation]") {
    const RefusedRow rows[] = {
        {"-90", 400},  {"361", 400},  {"360.1", 400}, {"360.0000001", 400},
        {"1000", 400}, {"!361", 400}, {"!-90", 400},  {"abc", 400},
        {"", 400},     {"1e2", 400},  {"!!90", 400},  {" 90", 400},
        {"90 ", 400},  {"!", 400},    {"+90", 400},   {"inf", 400},
        {"nan", 400},  {"9 0", 400},  {"90,", 400},   {"90!", 400},
    };
    for (const auto& row : rows) {
        for (ApiVersion version : both_versions) {
            INFO("Image API " << version_name(version) << ", rotation \"" << row.text << "\"");
            CHECK(status_of([&] { with_rotation(version, row.text); }) == row.status);
        }
    }
}

// --- 4.4 Quality and 4.5 Format ----------------------------------------------------------------

struct QualityRow {
    const char* text;
    Quality quality;
};

TEST_CASE("quality: default, color, gray and bitonal", "[grammar][quality]") {
    const QualityRow rows[] = {
        {"default.jpg", Quality::default_quality},
        {"color.jpg", Quality::color},
        {"gray.jpg", Quality::gray},
        {"bitonal.jpg", Quality::bitonal},
    };
    for (const auto& row : rows) {
        for (ApiVersion version : both_versions) {
            INFO("Image API " << version_name(version) << ", \"" << row.text << "\"");
            CHECK(with_quality_format(version, row.text).quality == row.quality);
        }
    }
}

TEST_CASE("quality: any other quality is 400, native included", "[grammar][quality]") {
    const RefusedRow rows[] = {
        {"grey.jpg", 400},   {"Default.jpg", 400},  {"native.jpg", 400}, {"GRAY.jpg", 400},
        {"colour.jpg", 400}, {"bitonal2.jpg", 400}, {".jpg", 400},       {"default .jpg", 400},
    };
    for (const auto& row : rows) {
        for (ApiVersion version : both_versions) {
            INFO("Image API " << version_name(version) << ", \"" << row.text << "\"");
            CHECK(status_of([&] { with_quality_format(version, row.text); }) == row.status);
        }
    }
}

struct FormatRow {
    const char* text;
    Format format;
};

TEST_CASE("format: jpg, png, webp, tif and gif are offered", "[grammar][format]") {
    const FormatRow rows[] = {
        {"default.jpg", Format::jpg}, {"default.png", Format::png}, {"default.webp", Format::webp},
        {"default.tif", Format::tif}, {"default.gif", Format::gif},
    };
    for (const auto& row : rows) {
        for (ApiVersion version : both_versions) {
            INFO("Image API " << version_name(version) << ", \"" << row.text << "\"");
            CHECK(with_quality_format(version, row.text).format == row.format);
        }
    }
}

TEST_CASE("3.0 format: jp2 and pdf are valid but not implemented, 501", "[grammar][format][3.0]") {
    const RefusedRow rows[] = {{"default.jp2", 501}, {"default.pdf", 501}, {"gray.jp2", 501}};
    for (const auto& row : rows) {
        INFO("\"" << row.text << "\"");
        CHECK(status_of([&] { with_quality_format(ApiVersion::v3, row.text); }) == row.status);
    }
}

TEST_CASE("2.1 format: jp2 and pdf are an unsupported media type, 415", "[grammar][format][2.1]") {
    const RefusedRow rows[] = {{"default.jp2", 415}, {"default.pdf", 415}, {"gray.jp2", 415}};
    for (const auto& row : rows) {
        INFO("\"" << row.text << "\"");
        CHECK(status_of([&] { with_quality_format(ApiVersion::v2, row.text); }) == row.status);
    }
}

TEST_CASE("format: an unknown format or a missing one is 400", "[grammar][format]") {
    const RefusedRow rows[] = {
        {"default.jpeg", 400}, {"default.JPG", 400}, {"default.bmp", 400},
        {"default.tiff", 400}, {"default.", 400},    {"default.jp2 ", 400},
        {"default", 400},      {"defaultjpg", 400},  {"default.png.jpg", 400},
    };
    for (const auto& row : rows) {
        for (ApiVersion version : both_versions) {
            INFO("Image API " << version_name(version) << ", \"" << row.text << "\"");
            CHECK(status_of([&] { with_quality_format(version, row.text); }) == row.status);
        }
    }
}

struct FormatNameRow {
    Format format;
    const char* extension;
    const char* media_type;
};

TEST_CASE("format: each extension has the media type of the spec's table", "[grammar][format]") {
    const FormatNameRow rows[] = {
        {Format::jpg, "jpg", "image/jpeg"},   {Format::tif, "tif", "image/tiff"},
        {Format::png, "png", "image/png"},    {Format::gif, "gif", "image/gif"},
        {Format::webp, "webp", "image/webp"},
    };
    for (const auto& row : rows) {
        INFO(row.extension);
        CHECK(iiif::format_extension(row.format) == row.extension);
        CHECK(iiif::format_media_type(row.format) == row.media_type);
    }
}

TEST_CASE("quality: each quality is named as in the URI", "[grammar][quality]") {
    const std::pair<Quality, const char*> rows[] = {
        {Quality::default_quality, "default"},
        {Quality::color, "color"},
        {Quality::gray, "gray"},
        {Quality::bitonal, "bitonal"},
    };
    for (const auto& [quality, name] : rows) {
        INFO(name);
        CHECK(iiif::quality_name(quality) == name);
    }
}

}  // namespace
