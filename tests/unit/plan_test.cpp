// Planning an image request against an image of known size (IIIF Image API 3.0 and 2.1, sections
// 4.1, 4.2, 4.3 and 4.7/4.8): the pixel region read, the output size and the canonical form. One
// table per rule; most rows use the 300x200 image of the spec's figures, so that a row reads like
// the example it comes from.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "iiif_error.hpp"
#include "image_plan.hpp"
#include "image_request.hpp"
#include "spec_helpers.hpp"

using iiif::ApiVersion;
using iiif::Dimensions;
using iiif::Format;
using iiif::ImagePlan;
using iiif::Limits;
using iiif::PixelRect;
using iiif::Quality;

using spec::both_versions;
using spec::status_of;
using spec::v2;
using spec::v3;
using spec::version_name;

namespace {



ImagePlan plan_request(ApiVersion version, const char* region, const char* size,
                       const char* rotation, const char* quality_format, int image_width,
                       int image_height, const Limits& limits) {
    return iiif::plan_image(
        iiif::parse_image_request(version, region, size, rotation, quality_format), image_width,
        image_height, limits);
}

// The limits of the rows: none, one of them, or those of the example of section 5.2 (3.0).
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

std::string rect_text(const PixelRect& rect) {
    return std::to_string(rect.x) + "," + std::to_string(rect.y) + "," + std::to_string(rect.w) +
           "," + std::to_string(rect.h);
}

// A request with rotation 0 and default.jpg, and what it plans to.
struct PlanRow {
    ApiVersion version;
    const char* region;
    const char* size;
    int image_width, image_height;
    const char* read;  // the pixel region, "x,y,w,h"
    int width, height;
    const char* canonical;
    Limits limits = {};
};

void check_plans(const PlanRow& row) {
    INFO("Image API " << version_name(row.version) << ", " << row.region << "/" << row.size
                      << "/0/default.jpg on " << row.image_width << "x" << row.image_height
                      << " (maxWidth " << row.limits.max_width << ", maxHeight "
                      << row.limits.max_height << ", maxArea " << row.limits.max_area << ")");
    const ImagePlan plan = plan_request(row.version, row.region, row.size, "0", "default.jpg",
                                        row.image_width, row.image_height, row.limits);
    CHECK(rect_text(plan.region) == row.read);
    CHECK(plan.width == row.width);
    CHECK(plan.height == row.height);
    CHECK(plan.canonical == row.canonical);
}

struct RefusedRow {
    ApiVersion version;
    const char* region;
    const char* size;
    int image_width, image_height;
    int status;
    Limits limits = {};
};

void check_refused(const RefusedRow& row) {
    INFO("Image API " << version_name(row.version) << ", " << row.region << "/" << row.size
                      << "/0/default.jpg on " << row.image_width << "x" << row.image_height
                      << " (maxWidth " << row.limits.max_width << ", maxHeight "
                      << row.limits.max_height << ", maxArea " << row.limits.max_area << ")");
    CHECK(status_of([&] {
              plan_request(row.version, row.region, row.size, "0", "default.jpg", row.image_width,
                           row.image_height, row.limits);
          }) == row.status);
}

// --- 4.1 Region --------------------------------------------------------------------------------

TEST_CASE("region: the spec's examples on a 300x200 image", "[plan][region]") {
    const PlanRow rows[] = {
        {v3, "full", "max", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg"},
        {v3, "square", "max", 300, 200, "50,0,200,200", 200, 200, "50,0,200,200/max/0/default.jpg"},
        {v3, "125,15,120,140", "max", 300, 200, "125,15,120,140", 120, 140,
         "125,15,120,140/max/0/default.jpg"},
        {v3, "pct:41.6,7.5,40,70", "max", 300, 200, "125,15,120,140", 120, 140,
         "125,15,120,140/max/0/default.jpg"},
        // "N.B. Returned image is 175,185 px"
        {v3, "125,15,200,200", "max", 300, 200, "125,15,175,185", 175, 185,
         "125,15,175,185/max/0/default.jpg"},
        {v3, "pct:41.6,7.5,66.6,100", "max", 300, 200, "125,15,175,185", 175, 185,
         "125,15,175,185/max/0/default.jpg"},
        {v2, "full", "full", 300, 200, "0,0,300,200", 300, 200, "full/full/0/default.jpg"},
        {v2, "square", "full", 300, 200, "50,0,200,200", 200, 200,
         "50,0,200,200/full/0/default.jpg"},
        {v2, "125,15,120,140", "full", 300, 200, "125,15,120,140", 120, 140,
         "125,15,120,140/full/0/default.jpg"},
        {v2, "pct:41.6,7.5,40,70", "full", 300, 200, "125,15,120,140", 120, 140,
         "125,15,120,140/full/0/default.jpg"},
        {v2, "125,15,200,200", "full", 300, 200, "125,15,175,185", 175, 185,
         "125,15,175,185/full/0/default.jpg"},
        {v2, "pct:41.6,7.5,66.6,100", "full", 300, 200, "125,15,175,185", 175, 185,
         "125,15,175,185/full/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("region: a region extending beyond the image is cropped at its edge", "[plan][region]") {
    const PlanRow rows[] = {
        {v3, "0,0,300,200", "max", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg"},
        {v3, "0,0,1000,1000", "max", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg"},
        {v3, "299,199,10,10", "max", 300, 200, "299,199,1,1", 1, 1,
         "299,199,1,1/max/0/default.jpg"},
        {v3, "200,100,200,200", "max", 300, 200, "200,100,100,100", 100, 100,
         "200,100,100,100/max/0/default.jpg"},
        {v3, "pct:0,0,150,150", "max", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg"},
        {v3, "pct:50,50,100,100", "max", 300, 200, "150,100,150,100", 150, 100,
         "150,100,150,100/max/0/default.jpg"},
        {v2, "0,0,1000,1000", "full", 300, 200, "0,0,300,200", 300, 200, "full/full/0/default.jpg"},
        {v2, "200,100,200,200", "full", 300, 200, "200,100,100,100", 100, 100,
         "200,100,100,100/full/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("region: a region entirely outside the image is 400", "[plan][region]") {
    const char* regions[] = {
        "300,0,10,10",     "0,200,10,10",     "300,200,1,1",       "1000,1000,10,10",
        "pct:100,0,10,10", "pct:0,100,10,10", "pct:150,150,10,10",
    };
    for (const char* region : regions) {
        for (ApiVersion version : both_versions) {
            check_refused({version, region, "max", 300, 200, 400});
        }
    }
}

TEST_CASE("region: percentages are rounded to the nearest pixel", "[plan][region]") {
    const PlanRow rows[] = {
        {v3, "pct:0,0,50,50", "max", 301, 201, "0,0,151,101", 151, 101,
         "0,0,151,101/max/0/default.jpg"},
        {v3, "pct:50,50,50,50", "max", 301, 201, "151,101,150,100", 150, 100,
         "151,101,150,100/max/0/default.jpg"},
        {v3, "pct:10,10,10,10", "max", 10000, 8000, "1000,800,1000,800", 1000, 800,
         "1000,800,1000,800/max/0/default.jpg"},
        {v3, "pct:33.3,0,33.4,100", "max", 1000, 1000, "333,0,334,1000", 334, 1000,
         "333,0,334,1000/max/0/default.jpg"},
        {v3, "pct:0,0,0.2,10", "max", 300, 200, "0,0,1,20", 1, 20, "0,0,1,20/max/0/default.jpg"},
        {v2, "pct:10,10,80,80", "full", 1000, 800, "100,80,800,640", 800, 640,
         "100,80,800,640/full/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("region: a percentage region that rounds to zero pixels is 400", "[plan][region]") {
    for (ApiVersion version : both_versions) {
        check_refused({version, "pct:0,0,0.1,10", "max", 300, 200, 400});
        check_refused({version, "pct:0,0,10,0.2", "max", 300, 200, 400});
    }
}

TEST_CASE("region: square is the largest square, centred in the longer dimension",
          "[plan][region]") {
    const PlanRow rows[] = {
        {v3, "square", "max", 300, 200, "50,0,200,200", 200, 200, "50,0,200,200/max/0/default.jpg"},
        {v3, "square", "max", 200, 300, "0,50,200,200", 200, 200, "0,50,200,200/max/0/default.jpg"},
        {v3, "square", "max", 301, 200, "50,0,200,200", 200, 200, "50,0,200,200/max/0/default.jpg"},
        {v3, "square", "max", 10000, 8000, "1000,0,8000,8000", 8000, 8000,
         "1000,0,8000,8000/max/0/default.jpg"},
        {v3, "square", "max", 1, 5, "0,2,1,1", 1, 1, "0,2,1,1/max/0/default.jpg"},
        // The square of a square image is the whole image, so its canonical region is full.
        {v3, "square", "max", 200, 200, "0,0,200,200", 200, 200, "full/max/0/default.jpg"},
        {v2, "square", "full", 200, 200, "0,0,200,200", 200, 200, "full/full/0/default.jpg"},
        {v2, "square", "full", 200, 300, "0,50,200,200", 200, 200,
         "0,50,200,200/full/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

// --- 4.2 Size, 3.0 -----------------------------------------------------------------------------

TEST_CASE("3.0 size: the spec's examples on a 300x200 image", "[plan][size][3.0]") {
    const PlanRow rows[] = {
        // "Assuming that the image has a maxWidth of 200px"
        {v3, "full", "max", 300, 200, "0,0,300,200", 200, 133, "full/max/0/default.jpg",
         max_width(200)},
        // "Assuming that the image has a maxWidth of 360px"
        {v3, "full", "^max", 300, 200, "0,0,300,200", 360, 240, "full/^360,240/0/default.jpg",
         max_width(360)},
        {v3, "full", "150,", 300, 200, "0,0,300,200", 150, 100, "full/150,100/0/default.jpg"},
        {v3, "full", "^360,", 300, 200, "0,0,300,200", 360, 240, "full/^360,240/0/default.jpg"},
        {v3, "full", ",150", 300, 200, "0,0,300,200", 225, 150, "full/225,150/0/default.jpg"},
        {v3, "full", "^,240", 300, 200, "0,0,300,200", 360, 240, "full/^360,240/0/default.jpg"},
        {v3, "full", "pct:50", 300, 200, "0,0,300,200", 150, 100, "full/150,100/0/default.jpg"},
        {v3, "full", "^pct:120", 300, 200, "0,0,300,200", 360, 240, "full/^360,240/0/default.jpg"},
        {v3, "full", "225,100", 300, 200, "0,0,300,200", 225, 100, "full/225,100/0/default.jpg"},
        {v3, "full", "^360,360", 300, 200, "0,0,300,200", 360, 360, "full/^360,360/0/default.jpg"},
        // "Returned image is 150,100 px"
        {v3, "full", "!225,100", 300, 200, "0,0,300,200", 150, 100, "full/150,100/0/default.jpg"},
        // "Returned image is 360,240 px"
        {v3, "full", "^!360,360", 300, 200, "0,0,300,200", 360, 240, "full/^360,240/0/default.jpg"},
        // Without limits, max and ^max are the region's own size.
        {v3, "full", "max", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg"},
        {v3, "full", "^max", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("3.0 size: w, larger than the region without ^ is 400", "[plan][size][3.0]") {
    const RefusedRow rows[] = {
        {v3, "full", "301,", 300, 200, 400},
        {v3, "125,15,120,140", "121,", 300, 200, 400},
        {v3, "125,15,200,200", "176,", 300, 200, 400},  // the region is cropped to 175x185 first
        {v3, "square", "201,", 300, 200, 400},
    };
    for (const auto& row : rows) check_refused(row);
}

TEST_CASE("3.0 size: ,h larger than the region without ^ is 400", "[plan][size][3.0]") {
    const RefusedRow rows[] = {
        {v3, "full", ",201", 300, 200, 400},
        {v3, "pct:41.6,7.5,40,70", ",141", 300, 200, 400},
        {v3, "125,15,200,200", ",186", 300, 200, 400},
    };
    for (const auto& row : rows) check_refused(row);
}

TEST_CASE("3.0 size: w,h larger than the region without ^ is 400", "[plan][size][3.0]") {
    const RefusedRow rows[] = {
        {v3, "full", "301,200", 300, 200, 400},
        {v3, "full", "300,201", 300, 200, 400},
        {v3, "full", "400,100", 300, 200, 400},
        {v3, "full", "100,400", 300, 200, 400},
    };
    for (const auto& row : rows) check_refused(row);
}

TEST_CASE("3.0 size: pct:n above 100 without ^ is 400", "[plan][size][3.0]") {
    const RefusedRow rows[] = {
        {v3, "full", "pct:120", 300, 200, 400},  // example 4 of section 4.2, printed without ^
        {v3, "full", "pct:100.5", 300, 200, 400},
        {v3, "125,15,120,140", "pct:101", 300, 200, 400},
    };
    for (const auto& row : rows) check_refused(row);
}

TEST_CASE("3.0 size: with ^ the same sizes upscale the region", "[plan][size][3.0]") {
    const PlanRow rows[] = {
        {v3, "full", "^301,", 300, 200, "0,0,300,200", 301, 201, "full/^301,201/0/default.jpg"},
        {v3, "full", "^,201", 300, 200, "0,0,300,200", 302, 201, "full/^302,201/0/default.jpg"},
        {v3, "full", "^400,100", 300, 200, "0,0,300,200", 400, 100, "full/^400,100/0/default.jpg"},
        {v3, "full", "^100,400", 300, 200, "0,0,300,200", 100, 400, "full/^100,400/0/default.jpg"},
        {v3, "full", "^pct:100.5", 300, 200, "0,0,300,200", 302, 201,
         "full/^302,201/0/default.jpg"},
        {v3, "125,15,120,140", "^240,", 300, 200, "125,15,120,140", 240, 280,
         "125,15,120,140/^240,280/0/default.jpg"},
        {v3, "125,15,200,200", "^pct:200", 300, 200, "125,15,175,185", 350, 370,
         "125,15,175,185/^350,370/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("3.0 size: with ^ a size within the region is not upscaled", "[plan][size][3.0]") {
    const PlanRow rows[] = {
        {v3, "full", "^150,", 300, 200, "0,0,300,200", 150, 100, "full/150,100/0/default.jpg"},
        {v3, "full", "^pct:50", 300, 200, "0,0,300,200", 150, 100, "full/150,100/0/default.jpg"},
        {v3, "full", "^300,200", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg"},
        {v3, "full", "^!150,150", 300, 200, "0,0,300,200", 150, 100, "full/150,100/0/default.jpg"},
        {v3, "full", "^,100", 300, 200, "0,0,300,200", 150, 100, "full/150,100/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("3.0 size: a size equal to the region is max", "[plan][size][3.0]") {
    const PlanRow rows[] = {
        {v3, "full", "300,", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg"},
        {v3, "full", ",200", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg"},
        {v3, "full", "300,200", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg"},
        {v3, "full", "pct:100", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg"},
        {v3, "full", "!300,300", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg"},
        {v3, "125,15,120,140", "120,", 300, 200, "125,15,120,140", 120, 140,
         "125,15,120,140/max/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("3.0 size: !w,h without ^ is never larger than the region", "[plan][size][3.0]") {
    const PlanRow rows[] = {
        {v3, "full", "!600,300", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg"},
        {v3, "full", "!1000,1000", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg"},
        {v3, "full", "!300,1000", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg"},
        {v3, "125,15,120,140", "!240,240", 300, 200, "125,15,120,140", 120, 140,
         "125,15,120,140/max/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("3.0 size: ^!w,h fits the region inside w,h, upscaling it", "[plan][size][3.0]") {
    const PlanRow rows[] = {
        {v3, "full", "^!400,400", 300, 200, "0,0,300,200", 400, 267, "full/^400,267/0/default.jpg"},
        {v3, "full", "^!600,300", 300, 200, "0,0,300,200", 450, 300, "full/^450,300/0/default.jpg"},
        {v3, "full", "^!300,300", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg"},
        {v3, "125,15,120,140", "^!240,240", 300, 200, "125,15,120,140", 206, 240,
         "125,15,120,140/^206,240/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("3.0 canonical size: max, else w,h, and ^w,h when the region is upscaled",
          "[plan][size][canonical][3.0]") {
    const PlanRow rows[] = {
        {v3, "full", "150,99", 300, 200, "0,0,300,200", 150, 99, "full/150,99/0/default.jpg"},
        {v3, "125,15,120,140", "pct:50", 300, 200, "125,15,120,140", 60, 70,
         "125,15,120,140/60,70/0/default.jpg"},
        {v3, "full", "^300,201", 300, 200, "0,0,300,200", 300, 201, "full/^300,201/0/default.jpg"},
        {v3, "full", "^299,201", 300, 200, "0,0,300,200", 299, 201, "full/^299,201/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

// --- 4.2 Size, both versions -------------------------------------------------------------------

TEST_CASE("size: w, and ,h keep the aspect ratio, rounded to the nearest pixel but at least 1",
          "[plan][size]") {
    const PlanRow rows[] = {
        {v3, "full", "100,", 300, 200, "0,0,300,200", 100, 67, "full/100,67/0/default.jpg"},
        {v3, "full", ",100", 300, 200, "0,0,300,200", 150, 100, "full/150,100/0/default.jpg"},
        {v3, "full", "1,", 300, 200, "0,0,300,200", 1, 1, "full/1,1/0/default.jpg"},
        {v3, "full", "10,", 300, 1, "0,0,300,1", 10, 1, "full/10,1/0/default.jpg"},
        {v3, "full", ",1", 10, 1000, "0,0,10,1000", 1, 1, "full/1,1/0/default.jpg"},
        {v3, "full", ",1", 1000, 10, "0,0,1000,10", 100, 1, "full/100,1/0/default.jpg"},
        {v2, "full", "100,", 300, 200, "0,0,300,200", 100, 67, "full/100,/0/default.jpg"},
        {v2, "full", ",100", 300, 200, "0,0,300,200", 150, 100, "full/150,/0/default.jpg"},
        {v2, "full", ",1", 1000, 10, "0,0,1000,10", 100, 1, "full/100,/0/default.jpg"},
        // 1, would give 1x100 here, so the canonical form must say both sides.
        {v2, "full", ",1", 10, 1000, "0,0,10,1000", 1, 1, "full/1,1/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("size: pct:n scales both sides of the region, rounded to the nearest pixel",
          "[plan][size]") {
    const PlanRow rows[] = {
        {v3, "full", "pct:50", 301, 201, "0,0,301,201", 151, 101, "full/151,101/0/default.jpg"},
        {v3, "full", "pct:0.5", 300, 200, "0,0,300,200", 2, 1, "full/2,1/0/default.jpg"},
        {v3, "full", "pct:41.5", 1000, 800, "0,0,1000,800", 415, 332, "full/415,332/0/default.jpg"},
        {v2, "full", "pct:50", 301, 201, "0,0,301,201", 151, 101, "full/151,/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("size: pct:n that rounds a side to zero pixels is 400", "[plan][size]") {
    const RefusedRow rows[] = {
        // pct:0.1 of 300x200 is 0x0, pct:0.2 is 1x0, pct:1 of 10x1000 is 0x10.
        {v3, "full", "pct:0.1", 300, 200, 400}, {v3, "full", "pct:0.2", 300, 200, 400},
        {v3, "full", "pct:1", 10, 1000, 400},   {v2, "full", "pct:0.1", 300, 200, 400},
        {v2, "full", "pct:0.2", 300, 200, 400},
    };
    for (const auto& row : rows) check_refused(row);
}

TEST_CASE("size: !w,h fits the region inside w,h keeping its aspect ratio", "[plan][size]") {
    const PlanRow rows[] = {
        {v3, "full", "!100,100", 300, 200, "0,0,300,200", 100, 67, "full/100,67/0/default.jpg"},
        {v3, "full", "!100,100", 200, 300, "0,0,200,300", 67, 100, "full/67,100/0/default.jpg"},
        {v3, "full", "!150,100", 300, 200, "0,0,300,200", 150, 100, "full/150,100/0/default.jpg"},
        {v3, "full", "!1,1", 300, 200, "0,0,300,200", 1, 1, "full/1,1/0/default.jpg"},
        {v2, "full", "!100,100", 300, 200, "0,0,300,200", 100, 67, "full/100,/0/default.jpg"},
        // 67, would give 67x101 here, so the canonical form must say both sides.
        {v2, "full", "!100,100", 200, 300, "0,0,200,300", 67, 100, "full/67,100/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

// --- 4.2 Size, 2.1 -----------------------------------------------------------------------------

TEST_CASE("2.1 size: the spec's examples on a 300x200 image", "[plan][size][2.1]") {
    const PlanRow rows[] = {
        {v2, "full", "full", 300, 200, "0,0,300,200", 300, 200, "full/full/0/default.jpg"},
        // "Assuming that the image has a maxWidth of 200px"
        {v2, "full", "max", 300, 200, "0,0,300,200", 200, 133, "full/200,/0/default.jpg",
         max_width(200)},
        {v2, "full", "150,", 300, 200, "0,0,300,200", 150, 100, "full/150,/0/default.jpg"},
        {v2, "full", ",150", 300, 200, "0,0,300,200", 225, 150, "full/225,/0/default.jpg"},
        {v2, "full", "pct:50", 300, 200, "0,0,300,200", 150, 100, "full/150,/0/default.jpg"},
        {v2, "full", "225,100", 300, 200, "0,0,300,200", 225, 100, "full/225,100/0/default.jpg"},
        // "Returned image is 150,100 px"
        {v2, "full", "!225,100", 300, 200, "0,0,300,200", 150, 100, "full/150,/0/default.jpg"},
        // "This is the same as full if none of these properties are provided."
        {v2, "full", "max", 300, 200, "0,0,300,200", 300, 200, "full/full/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("2.1 size: a size above the region is served (sizeAboveFull)", "[plan][size][2.1]") {
    const PlanRow rows[] = {
        {v2, "full", "pct:150", 300, 200, "0,0,300,200", 450, 300, "full/450,/0/default.jpg"},
        {v2, "full", "600,", 300, 200, "0,0,300,200", 600, 400, "full/600,/0/default.jpg"},
        {v2, "full", ",400", 300, 200, "0,0,300,200", 600, 400, "full/600,/0/default.jpg"},
        {v2, "full", "!600,600", 300, 200, "0,0,300,200", 600, 400, "full/600,/0/default.jpg"},
        {v2, "full", "600,300", 300, 200, "0,0,300,200", 600, 300, "full/600,300/0/default.jpg"},
        {v2, "125,15,120,140", "240,", 300, 200, "125,15,120,140", 240, 280,
         "125,15,120,140/240,/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("2.1 canonical size: full when unscaled, w, when the aspect ratio is kept, else w,h",
          "[plan][size][canonical][2.1]") {
    const PlanRow rows[] = {
        {v2, "full", "300,200", 300, 200, "0,0,300,200", 300, 200, "full/full/0/default.jpg"},
        {v2, "full", "300,", 300, 200, "0,0,300,200", 300, 200, "full/full/0/default.jpg"},
        {v2, "full", ",200", 300, 200, "0,0,300,200", 300, 200, "full/full/0/default.jpg"},
        {v2, "full", "pct:100", 300, 200, "0,0,300,200", 300, 200, "full/full/0/default.jpg"},
        {v2, "full", "!300,300", 300, 200, "0,0,300,200", 300, 200, "full/full/0/default.jpg"},
        {v2, "full", "150,100", 300, 200, "0,0,300,200", 150, 100, "full/150,/0/default.jpg"},
        {v2, "full", "150,99", 300, 200, "0,0,300,200", 150, 99, "full/150,99/0/default.jpg"},
        {v2, "125,15,120,140", "full", 300, 200, "125,15,120,140", 120, 140,
         "125,15,120,140/full/0/default.jpg"},
        // The Link header example of section 4.7.
        {v2, "full", "400,", 600, 400, "0,0,600,400", 400, 267, "full/400,/0/default.jpg"},
    };
    for (const auto& row : rows) check_plans(row);
}

// --- Limits: maxWidth, maxHeight, maxArea ------------------------------------------------------

TEST_CASE("size: max is the region scaled down to maxWidth, maxHeight and maxArea",
          "[plan][size][limits]") {
    const PlanRow rows[] = {
        {v3, "full", "max", 300, 200, "0,0,300,200", 150, 100, "full/max/0/default.jpg",
         max_width_height(1000, 100)},
        {v3, "full", "max", 300, 200, "0,0,300,200", 122, 81, "full/max/0/default.jpg",
         max_area(10000)},
        // The limits of the technical properties example of section 5.2 (3.0).
        {v3, "full", "max", 6000, 4000, "0,0,6000,4000", 2449, 1632, "full/max/0/default.jpg",
         spec_limits},
        {v3, "125,15,120,140", "max", 300, 200, "125,15,120,140", 60, 70,
         "125,15,120,140/max/0/default.jpg", max_width(60)},
        {v2, "full", "max", 300, 200, "0,0,300,200", 122, 81, "full/122,/0/default.jpg",
         max_area(10000)},
        // 2449, would give 2449x1633, so the canonical form must say both sides.
        {v2, "full", "max", 6000, 4000, "0,0,6000,4000", 2449, 1632, "full/2449,1632/0/default.jpg",
         spec_limits},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("3.0 size: ^max is the region scaled to the limits, upscaled if need be",
          "[plan][size][limits][3.0]") {
    const PlanRow rows[] = {
        {v3, "full", "^max", 300, 200, "0,0,300,200", 600, 400, "full/^600,400/0/default.jpg",
         max_area(240000)},
        {v3, "full", "^max", 300, 200, "0,0,300,200", 200, 133, "full/max/0/default.jpg",
         max_width(200)},
        {v3, "full", "^max", 300, 200, "0,0,300,200", 300, 200, "full/max/0/default.jpg",
         max_area(60000)},
        {v3, "125,15,120,140", "^max", 300, 200, "125,15,120,140", 240, 280,
         "125,15,120,140/^240,280/0/default.jpg", max_width(240)},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("size: an explicit size beyond maxWidth, maxHeight or maxArea is 400",
          "[plan][size][limits]") {
    const RefusedRow rows[] = {
        {v3, "full", "250,", 300, 200, 400, max_width(200)},
        {v3, "full", "^361,", 300, 200, 400, max_width(360)},
        {v3, "full", "^400,100", 300, 200, 400, max_width(360)},
        {v3, "full", ",150", 300, 200, 400, max_width_height(1000, 100)},
        {v3, "full", "pct:50", 300, 200, 400, max_area(10000)},
        {v3, "full", "^pct:200", 300, 200, 400, max_area(100000)},
        {v2, "full", "400,", 300, 200, 400, max_width(300)},
        {v2, "full", "pct:150", 300, 200, 400, max_area(100000)},
        {v2, "full", "300,201", 300, 200, 400, max_width_height(1000, 200)},
    };
    for (const auto& row : rows) check_refused(row);
}

TEST_CASE("size: !w,h is as large as possible but not larger than the server's limits",
          "[plan][size][limits]") {
    const PlanRow rows[] = {
        {v3, "full", "!1000,1000", 300, 200, "0,0,300,200", 200, 133, "full/max/0/default.jpg",
         max_width(200)},
        {v3, "full", "^!1000,1000", 300, 200, "0,0,300,200", 360, 240,
         "full/^360,240/0/default.jpg", max_width(360)},
        {v3, "full", "!150,150", 300, 200, "0,0,300,200", 122, 81, "full/max/0/default.jpg",
         max_area(10000)},
        {v2, "full", "!600,600", 300, 200, "0,0,300,200", 150, 100, "full/150,/0/default.jpg",
         max_width_height(1000, 100)},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("size: an explicit size within the limits is served", "[plan][size][limits]") {
    const PlanRow rows[] = {
        {v3, "full", "200,", 300, 200, "0,0,300,200", 200, 133, "full/max/0/default.jpg",
         max_width(200)},
        {v3, "full", "^360,", 300, 200, "0,0,300,200", 360, 240, "full/^360,240/0/default.jpg",
         max_width(360)},
        {v3, "full", ",100", 300, 200, "0,0,300,200", 150, 100, "full/max/0/default.jpg",
         max_width_height(1000, 100)},
        {v3, "full", "100,", 300, 200, "0,0,300,200", 100, 67, "full/100,67/0/default.jpg",
         max_area(10000)},
        {v2, "full", "300,", 300, 200, "0,0,300,200", 300, 200, "full/full/0/default.jpg",
         max_width(300)},
        {v2, "full", "pct:100", 300, 200, "0,0,300,200", 300, 200, "full/full/0/default.jpg",
         max_area(60000)},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("2.1 size: full is scaled down to the limits, as max is", "[plan][size][limits][2.1]") {
    const PlanRow rows[] = {
        {v2, "full", "full", 300, 200, "0,0,300,200", 200, 133, "full/200,/0/default.jpg",
         max_width(200)},
        {v2, "full", "full", 300, 200, "0,0,300,200", 122, 81, "full/122,/0/default.jpg",
         max_area(10000)},
        {v2, "125,15,120,140", "full", 300, 200, "125,15,120,140", 60, 70,
         "125,15,120,140/60,/0/default.jpg", max_width_height(1000, 70)},
        {v2, "full", "full", 300, 200, "0,0,300,200", 300, 200, "full/full/0/default.jpg",
         max_width_height(300, 200)},
    };
    for (const auto& row : rows) check_plans(row);
}

TEST_CASE("size: an output wider or taller than its format holds is 400, rotation included",
          "[plan][size][limits]") {
    struct Row {
        const char* size;
        const char* rotation;
        const char* quality_format;
        int status;
    };
    const Row rows[] = {
        {"^65500,", "0", "default.jpg", 200},   {"^65501,", "0", "default.jpg", 400},
        {"^,65501", "0", "default.jpg", 400},   {"^65536,1", "0", "default.jpg", 400},
        {"^16383,", "0", "default.webp", 200},  {"^16384,", "0", "default.webp", 400},
        {"^65535,", "0", "default.gif", 200},   {"^65536,", "0", "default.gif", 400},
        {"^65536,1", "0", "default.png", 200},  {"^65536,1", "0", "default.tif", 200},
        {"^1,65501", "90", "default.png", 200}, {"^1,65501", "90", "default.jpg", 400},
        // 16000 x 10667 fits in a WebP upright or turned by 90 degrees, not by 45 (18857 a side).
        {"^16000,", "90", "default.webp", 200}, {"^16000,", "45", "default.webp", 400},
    };
    for (const Row& row : rows) {
        INFO("full/" << row.size << "/" << row.rotation << "/" << row.quality_format);
        CHECK(status_of([&] {
                  plan_request(v3, "full", row.size, row.rotation, row.quality_format, 300, 200,
                               no_limits);
              }) == row.status);
    }
}

struct MaxSizeRow {
    int region_width, region_height;
    Limits limits;
    bool upscale;
    int width, height;
};

TEST_CASE("max_size: the largest size within every limit, above the region only with ^",
          "[plan][limits]") {
    const MaxSizeRow rows[] = {
        {300, 200, no_limits, false, 300, 200},
        {300, 200, no_limits, true, 300, 200},
        {300, 200, max_width(200), false, 200, 133},
        {300, 200, max_width(360), true, 360, 240},
        {300, 200, max_width(360), false, 300, 200},
        {300, 200, max_width_height(300, 200), false, 300, 200},
        {300, 200, max_width_height(1000, 100), false, 150, 100},
        {300, 200, max_area(10000), false, 122, 81},
        {300, 200, max_area(60000), true, 300, 200},
        {300, 200, max_area(240000), true, 600, 400},
        {6000, 4000, spec_limits, false, 2449, 1632},
        {10000, 8000, spec_limits, false, 2236, 1788},
        {10000, 8000, max_area(1000000), false, 1118, 894},
        {4000, 3000, max_width(1000), false, 1000, 750},
        {1, 1000, max_width_height(1000, 10), false, 1, 10},
        {1000, 1, max_width(10), false, 10, 1},
    };
    for (const auto& row : rows) {
        INFO(row.region_width << "x" << row.region_height << " (maxWidth " << row.limits.max_width
                              << ", maxHeight " << row.limits.max_height << ", maxArea "
                              << row.limits.max_area << ")" << (row.upscale ? " with ^" : ""));
        const Dimensions size =
            iiif::max_size(row.region_width, row.region_height, row.limits, row.upscale);
        CHECK(size.width == row.width);
        CHECK(size.height == row.height);
        if (row.limits.max_width > 0) CHECK(size.width <= row.limits.max_width);
        if (row.limits.max_height > 0) CHECK(size.height <= row.limits.max_height);
        if (row.limits.max_area > 0) {
            CHECK(static_cast<std::int64_t>(size.width) * size.height <= row.limits.max_area);
        }
    }
}

// --- 4.3 Rotation, 4.4 Quality, 4.5 Format, and the whole request ------------------------------

struct RequestRow {
    ApiVersion version;
    const char* region;
    const char* size;
    const char* rotation;
    const char* quality_format;
    int image_width, image_height;
    const char* read;
    int width, height;
    bool mirror;
    double degrees;
    Quality quality;
    Format format;
    const char* canonical;
};

void check_request_plans(const RequestRow& row) {
    INFO("Image API " << version_name(row.version) << ", " << row.region << "/" << row.size << "/"
                      << row.rotation << "/" << row.quality_format << " on " << row.image_width
                      << "x" << row.image_height);
    const ImagePlan plan =
        plan_request(row.version, row.region, row.size, row.rotation, row.quality_format,
                     row.image_width, row.image_height, no_limits);
    CHECK(rect_text(plan.region) == row.read);
    CHECK(plan.width == row.width);
    CHECK(plan.height == row.height);
    CHECK(plan.mirror == row.mirror);
    CHECK(plan.degrees == row.degrees);
    CHECK(plan.quality == row.quality);
    CHECK(plan.format == row.format);
    CHECK(plan.canonical == row.canonical);
}

TEST_CASE("order of implementation: region, then size, then mirroring and rotation",
          "[plan][canonical]") {
    // The example of section 4.6 on the 300x200 image: 125,15,120,140/90,/!345/gray.jpg
    const RequestRow rows[] = {
        {v3, "125,15,120,140", "90,", "!345", "gray.jpg", 300, 200, "125,15,120,140", 90, 105, true,
         345, Quality::gray, Format::jpg, "125,15,120,140/90,105/!345/gray.jpg"},
        {v2, "125,15,120,140", "90,", "!345", "gray.jpg", 300, 200, "125,15,120,140", 90, 105, true,
         345, Quality::gray, Format::jpg, "125,15,120,140/90,/!345/gray.jpg"},
    };
    for (const auto& row : rows) check_request_plans(row);
}

TEST_CASE("the URI examples of section 9 plan to their canonical form", "[plan][canonical]") {
    // On a 1000x800 image.
    const RequestRow rows[] = {
        {v3, "full", "max", "0", "default.jpg", 1000, 800, "0,0,1000,800", 1000, 800, false, 0,
         Quality::default_quality, Format::jpg, "full/max/0/default.jpg"},
        {v3, "0,10,100,200", "pct:50", "90", "default.png", 1000, 800, "0,10,100,200", 50, 100,
         false, 90, Quality::default_quality, Format::png, "0,10,100,200/50,100/90/default.png"},
        {v3, "pct:10,10,80,80", "50,", "22.5", "color.jpg", 1000, 800, "100,80,800,640", 50, 40,
         false, 22.5, Quality::color, Format::jpg, "100,80,800,640/50,40/22.5/color.jpg"},
        {v3, "full", "max", "270", "gray.jpg", 1000, 800, "0,0,1000,800", 1000, 800, false, 270,
         Quality::gray, Format::jpg, "full/max/270/gray.jpg"},
        {v2, "full", "full", "0", "default.jpg", 1000, 800, "0,0,1000,800", 1000, 800, false, 0,
         Quality::default_quality, Format::jpg, "full/full/0/default.jpg"},
        {v2, "0,10,100,200", "pct:50", "90", "default.png", 1000, 800, "0,10,100,200", 50, 100,
         false, 90, Quality::default_quality, Format::png, "0,10,100,200/50,/90/default.png"},
        {v2, "pct:10,10,80,80", "50,", "22.5", "color.jpg", 1000, 800, "100,80,800,640", 50, 40,
         false, 22.5, Quality::color, Format::jpg, "100,80,800,640/50,/22.5/color.jpg"},
        {v2, "full", "full", "270", "gray.jpg", 1000, 800, "0,0,1000,800", 1000, 800, false, 270,
         Quality::gray, Format::jpg, "full/full/270/gray.jpg"},
    };
    for (const auto& row : rows) check_request_plans(row);
}

struct RotationRow {
    const char* rotation;
    bool mirror;
    double degrees;
    const char* canonical;
};

TEST_CASE("canonical rotation: ! when mirrored, then an integer if possible, else a decimal",
          "[plan][rotation][canonical]") {
    const RotationRow rows[] = {
        // The examples of section 4.3.
        {"0", false, 0, "0"},
        {"180", false, 180, "180"},
        {"90", false, 90, "90"},
        {"22.5", false, 22.5, "22.5"},
        {"!0", true, 0, "!0"},
        {"!180", true, 180, "!180"},
        // Section 9, the ends of the range, and values written in a longer form.
        {"270", false, 270, "270"},
        {"360", false, 360, "360"},
        {"!345", true, 345, "!345"},
        {"!22.5", true, 22.5, "!22.5"},
        {"90.0", false, 90, "90"},
        {"22.50", false, 22.5, "22.5"},
        {"0.5", false, 0.5, "0.5"},
        {"0.50", false, 0.5, "0.5"},
        {"359.99", false, 359.99, "359.99"},
        {"12.345", false, 12.345, "12.345"},
    };
    for (const auto& row : rows) {
        for (ApiVersion version : both_versions) {
            const std::string size = version == v3 ? "max" : "full";
            INFO("Image API " << version_name(version) << ", rotation \"" << row.rotation << "\"");
            const ImagePlan plan = plan_request(version, "full", size.c_str(), row.rotation,
                                                "default.jpg", 300, 200, no_limits);
            CHECK(plan.mirror == row.mirror);
            CHECK(plan.degrees == row.degrees);
            CHECK(plan.canonical ==
                  "full/" + size + "/" + std::string(row.canonical) + "/default.jpg");
        }
    }
}

struct QualityFormatRow {
    const char* quality_format;
    Quality quality;
    Format format;
};

TEST_CASE("canonical quality and format: the quality string and the explicit format",
          "[plan][canonical]") {
    const QualityFormatRow rows[] = {
        {"default.jpg", Quality::default_quality, Format::jpg},
        {"color.png", Quality::color, Format::png},
        {"gray.webp", Quality::gray, Format::webp},
        {"bitonal.tif", Quality::bitonal, Format::tif},
        {"default.gif", Quality::default_quality, Format::gif},
        {"color.jpg", Quality::color, Format::jpg},
    };
    for (const auto& row : rows) {
        for (ApiVersion version : both_versions) {
            const std::string size = version == v3 ? "max" : "full";
            INFO("Image API " << version_name(version) << ", \"" << row.quality_format << "\"");
            const ImagePlan plan = plan_request(version, "full", size.c_str(), "0",
                                                row.quality_format, 300, 200, no_limits);
            CHECK(plan.quality == row.quality);
            CHECK(plan.format == row.format);
            CHECK(plan.canonical == "full/" + size + "/0/" + std::string(row.quality_format));
        }
    }
}

struct RotatedRow {
    int width, height;
    double degrees;
    int rotated_width, rotated_height;
};

TEST_CASE("rotated_size: a multiple of 90 degrees keeps or swaps the sides", "[plan][rotation]") {
    const RotatedRow rows[] = {
        {300, 200, 0, 300, 200},   {300, 200, 90, 200, 300},  {300, 200, 180, 300, 200},
        {300, 200, 270, 200, 300}, {300, 200, 360, 300, 200}, {1, 1000, 90, 1000, 1},
    };
    for (const auto& row : rows) {
        INFO(row.width << "x" << row.height << " rotated by " << row.degrees);
        const Dimensions rotated = iiif::rotated_size(row.width, row.height, row.degrees);
        CHECK(rotated.width == row.rotated_width);
        CHECK(rotated.height == row.rotated_height);
    }
}

}  // namespace

TEST_CASE("degraded access: the image fitted to the size, and no request finer than that",
          "[plan][access]") {
    // 2000 x 1500 fitted to 400: scale 0.2, 400 x 300.
    const Limits degraded = iiif::degraded_limits(no_limits, 2000, 1500, 400);
    CHECK(degraded.max_scale == 0.2);
    CHECK(degraded.max_width == 400);
    CHECK(degraded.max_height == 300);
    CHECK(iiif::degraded_limits(spec_limits, 2000, 1500, 400).max_area == 4000000);
    // An image already within the size is not degraded at all.
    CHECK(iiif::degraded_limits(no_limits, 300, 200, 400).max_scale == 0);

    const ImagePlan max = plan_request(v3, "full", "max", "0", "default.jpg", 2000, 1500, degraded);
    CHECK(max.width == 400);
    CHECK(max.height == 300);
    CHECK(max.canonical == "full/max/0/default.jpg");
    CHECK(iiif::within_scale(max, degraded));
    // A best fit of a small region shrinks to the region's share of 400 px.
    const ImagePlan fit =
        plan_request(v3, "0,0,500,500", "!400,400", "0", "default.jpg", 2000, 1500, degraded);
    CHECK(fit.width == 100);
    CHECK(fit.height == 100);
    CHECK(iiif::within_scale(fit, degraded));
    // A coarse tile (scale 1/8) is within; a full-resolution one, or an upscaled region, is not.
    CHECK(iiif::within_scale(
        plan_request(v3, "0,0,1024,1024", "128,", "0", "default.jpg", 2000, 1500, degraded),
        degraded));
    CHECK_FALSE(iiif::within_scale(
        plan_request(v3, "0,0,256,256", "256,", "0", "default.jpg", 2000, 1500, no_limits),
        degraded));
    CHECK_FALSE(iiif::within_scale(
        plan_request(v3, "0,0,100,100", "^400,", "0", "default.jpg", 2000, 1500, no_limits),
        degraded));
    // Edge tiles round up: 1000 px at 0.2 is 200, and 201 is one too many.
    CHECK(iiif::within_scale(
        plan_request(v3, "0,0,1000,1000", "200,", "0", "default.jpg", 2000, 1500, no_limits),
        degraded));
    CHECK_FALSE(iiif::within_scale(
        plan_request(v3, "0,0,1000,1000", "201,", "0", "default.jpg", 2000, 1500, no_limits),
        degraded));
    CHECK(iiif::within_scale(
        plan_request(v3, "0,0,256,256", "256,", "0", "default.jpg", 2000, 1500, no_limits),
        no_limits));
}
