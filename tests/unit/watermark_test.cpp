// Watermarks on rendered outputs, checked by sampling pixels. The source is a flat grey (128)
// of 400 x 300; the usual mark is 200 x 100 of opaque red at scale 0.25 with a margin of 10, so
// it is drawn 100 x 50, and at bottom-right covers x 290..389, y 240..289.
#include "watermark.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "access.hpp"
#include "iiif_error.hpp"
#include "image_plan.hpp"
#include "image_request.hpp"
#include "image_source.hpp"
#include "renderer.hpp"
#include "test_images.hpp"
#include "tile_passthrough.hpp"

using namespace iiif;
using namespace test_images;

namespace {

constexpr Rgb kGrey{128, 128, 128};

RenderedImage render(const std::string& path, const std::string& request,
                     const WatermarkSpec* mark) {
    IiifPath parsed = parse_iiif_path(ApiVersion::v3, "id/" + request);
    SourceInfo source = probe_source(path);
    ImagePlan plan = plan_image(parsed.image, source.width, source.height, {});
    return render_image(path, source, plan, {}, "", mark);
}

const std::string& grey_source() {
    static const std::string path = save(solid(kWidth, kHeight, kGrey), "wm-grey.png");
    return path;
}

const std::string& red_source() {
    static const std::string path = save(solid(kWidth, kHeight, kRed), "wm-red-source.png");
    return path;
}

const std::string& red_mark() {
    static const std::string path = save(solid(200, 100, kRed).bandjoin_const({255}), "mark.png");
    return path;
}

WatermarkSpec red_spec() {
    WatermarkSpec spec;
    spec.name = "red";
    spec.image = red_mark();
    spec.position = "bottom-right";
    spec.opacity = 1;
    spec.scale = 0.25;
    spec.margin = 10;
    spec.min_size = 0;
    return spec;
}

bool is(const RenderedImage& out, int x, int y, Rgb colour) {
    return near(pixel_at(out.bytes, x, y), colour, 0);
}

std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The smallest rectangle holding every pixel where `a` and `b` differ (x1, y1 exclusive).
struct Changed {
    int x0, y0, x1, y1;
    long count;
};
Changed changed_pixels(const std::string& a, const std::string& b) {
    vips::VImage diff = (decode(a) != decode(b)).bandor().cast(VIPS_FORMAT_UCHAR);
    size_t size = 0;
    auto* data = static_cast<unsigned char*>(diff.write_to_memory(&size));
    Changed changed{diff.width(), diff.height(), 0, 0, 0};
    for (int y = 0; y < diff.height(); ++y)
        for (int x = 0; x < diff.width(); ++x)
            if (data[static_cast<size_t>(y) * static_cast<size_t>(diff.width()) +
                     static_cast<size_t>(x)]) {
                changed.x0 = std::min(changed.x0, x);
                changed.y0 = std::min(changed.y0, y);
                changed.x1 = std::max(changed.x1, x + 1);
                changed.y1 = std::max(changed.y1, y + 1);
                ++changed.count;
            }
    g_free(data);
    return changed;
}

}  // namespace

TEST_CASE("an opaque mark covers exactly its box and nothing else", "[watermark]") {
    WatermarkSpec spec = red_spec();
    RenderedImage out = render(grey_source(), "full/max/0/default.png", &spec);
    REQUIRE(out.width == kWidth);
    REQUIRE(out.height == kHeight);
    CHECK(is(out, 290, 240, kRed));
    CHECK(is(out, 389, 289, kRed));
    CHECK(is(out, 340, 265, kRed));
    CHECK(is(out, 0, 0, kGrey));
    CHECK(is(out, 289, 240, kGrey));
    CHECK(is(out, 290, 239, kGrey));
    CHECK(is(out, 390, 289, kGrey));
    CHECK(is(out, 389, 290, kGrey));
    CHECK(is(out, 399, 299, kGrey));
    Changed changed =
        changed_pixels(out.bytes, render(grey_source(), "full/max/0/default.png", nullptr).bytes);
    CHECK(changed.x0 == 290);
    CHECK(changed.y0 == 240);
    CHECK(changed.x1 == 390);
    CHECK(changed.y1 == 290);
    CHECK(changed.count == 100 * 50);
}

TEST_CASE("opacity blends the mark over the output in proportion", "[watermark]") {
    WatermarkSpec spec = red_spec();
    spec.opacity = 0.5;
    Pixel pixel = pixel_at(render(grey_source(), "full/max/0/default.png", &spec).bytes, 340, 265);
    // 128 + (255 - 128) * 0.5 = 191.5 in red; 128 * 0.5 = 64 in green and blue.
    CHECK(std::abs(pixel.r - 191.5) <= 1);
    CHECK(std::abs(pixel.g - 64) <= 1);
    CHECK(std::abs(pixel.b - 64) <= 1);
}

TEST_CASE("each of the nine positions puts the mark in its place", "[watermark]") {
    struct Place {
        const char* position;
        int x, y;  // the box's top-left corner; the box is 100 x 50
    };
    constexpr Place kPlaces[] = {
        {"top-left", 10, 10},     {"top", 150, 10},     {"top-right", 290, 10},
        {"left", 10, 125},        {"center", 150, 125}, {"right", 290, 125},
        {"bottom-left", 10, 240}, {"bottom", 150, 240}, {"bottom-right", 290, 240},
    };
    for (const Place& place : kPlaces) {
        INFO(place.position);
        WatermarkSpec spec = red_spec();
        spec.position = place.position;
        RenderedImage out = render(grey_source(), "full/max/0/default.png", &spec);
        CHECK(is(out, place.x, place.y, kRed));
        CHECK(is(out, place.x + 99, place.y + 49, kRed));
        CHECK(is(out, place.x - 1, place.y, kGrey));
        CHECK(is(out, place.x, place.y - 1, kGrey));
        CHECK(is(out, place.x + 100, place.y + 49, kGrey));
        CHECK(is(out, place.x + 99, place.y + 50, kGrey));
    }
}

TEST_CASE("the mark keeps its aspect and never leaves the margins", "[watermark]") {
    // A mark as tall as it is wide at scale 1 would be 400 x 400: it is fitted to the 280 rows
    // between the margins, so 280 x 280, centred.
    std::string square = save(solid(50, 50, kRed).bandjoin_const({255}), "square-mark.png");
    WatermarkSpec spec = red_spec();
    spec.image = square;
    spec.scale = 1;
    spec.position = "center";
    RenderedImage out = render(grey_source(), "full/max/0/default.png", &spec);
    Changed changed = changed_pixels(out.bytes, file_bytes(grey_source()));
    CHECK(changed.x0 == 60);
    CHECK(changed.y0 == 10);
    CHECK(changed.x1 == 340);
    CHECK(changed.y1 == 290);
}

TEST_CASE("on a small output the margins narrow to a quarter of it, so the mark is in",
          "[watermark]") {
    WatermarkSpec spec = red_spec();  // margins of 10, a 2:1 mark at a quarter of the width
    struct Row {
        const char* size;
        int x0, y0, x1, y1;  // the mark's box, x1 and y1 exclusive
    };
    const Row rows[] = {
        // 40 x 30: margins of 7 (a quarter of 30), the mark 10 x 5 at the bottom right.
        {"40,30", 23, 18, 33, 23},
        // 16 x 12: margins of 3, the mark 4 x 2.
        {"16,12", 9, 7, 13, 9},
        // 4 x 3: no margins, the mark 1 x 1.
        {"4,3", 3, 2, 4, 3},
        // 1 x 1: the whole output.
        {"1,1", 0, 0, 1, 1},
    };
    for (const Row& row : rows) {
        INFO(row.size);
        const std::string request = "full/" + std::string(row.size) + "/0/default.png";
        RenderedImage out = render(grey_source(), request, &spec);
        Changed changed = changed_pixels(out.bytes, render(grey_source(), request, nullptr).bytes);
        CHECK(changed.x0 == row.x0);
        CHECK(changed.y0 == row.y0);
        CHECK(changed.x1 == row.x1);
        CHECK(changed.y1 == row.y1);
        CHECK(is(out, row.x0, row.y0, kRed));
    }
}

TEST_CASE("transparent parts of a PNG mark leave the output visible", "[watermark]") {
    // Left half transparent (over blue, which must not bleed in), right half opaque red.
    vips::VImage left = solid(100, 100, kBlue).bandjoin_const({0});
    vips::VImage right = solid(100, 100, kRed).bandjoin_const({255});
    WatermarkSpec spec = red_spec();
    spec.image = save(left.join(right, VIPS_DIRECTION_HORIZONTAL), "half-transparent.png");
    RenderedImage out = render(grey_source(), "full/max/0/default.png", &spec);
    CHECK(is(out, 290, 240, kGrey));
    CHECK(is(out, 320, 265, kGrey));
    CHECK(is(out, 360, 265, kRed));
    CHECK(is(out, 389, 289, kRed));
}

TEST_CASE("a text mark draws inside its box only", "[watermark]") {
    WatermarkSpec spec = red_spec();
    spec.image.clear();
    spec.text = "Archive & Co";
    spec.color = "#ff0000";
    RenderedImage out = render(grey_source(), "full/max/0/default.png", &spec);
    Changed changed = changed_pixels(out.bytes, file_bytes(grey_source()));
    // 100 wide at the right margin and on the bottom margin; a line of text is far wider than
    // it is tall.
    CHECK(changed.count > 200);
    CHECK(changed.x0 >= 290);
    CHECK(changed.x0 <= 295);
    CHECK(changed.x1 <= 390);
    CHECK(changed.x1 >= 385);
    CHECK(changed.y1 <= 290);
    CHECK(changed.y0 >= 260);
    // The ink is the colour asked for: the most covered pixels are pure red.
    vips::VImage red_ink = (decode(out.bytes) == std::vector<double>{255, 0, 0}).bandand();
    CHECK(red_ink.max() == 255);
}

TEST_CASE("an output whose longer side is below min_size is not marked", "[watermark]") {
    WatermarkSpec spec = red_spec();
    spec.min_size = 401;
    CHECK(render(grey_source(), "full/max/0/default.png", &spec).bytes ==
          render(grey_source(), "full/max/0/default.png", nullptr).bytes);
    spec.min_size = 400;
    CHECK(is(render(grey_source(), "full/max/0/default.png", &spec), 340, 265, kRed));
    // Measured on the output, not the source: 200 x 150 is below 300.
    spec.min_size = 300;
    CHECK(render(grey_source(), "full/200,/0/default.png", &spec).bytes ==
          render(grey_source(), "full/200,/0/default.png", nullptr).bytes);
}

TEST_CASE("a gray output carries the mark in grey", "[watermark]") {
    WatermarkSpec spec = red_spec();
    RenderedImage out = render(grey_source(), "full/max/0/gray.png", &spec);
    REQUIRE(decode(out.bytes).bands() == 1);
    // Exactly the grey that red and the source's grey each become in a gray output.
    int red = pixel_at(render(red_source(), "full/max/0/gray.png", nullptr).bytes, 0, 0).r;
    int grey = pixel_at(render(grey_source(), "full/max/0/gray.png", nullptr).bytes, 0, 0).r;
    REQUIRE(red != grey);
    CHECK(pixel_at(out.bytes, 340, 265).r == red);
    CHECK(pixel_at(out.bytes, 289, 265).r == grey);
    CHECK(pixel_at(out.bytes, 0, 0).r == grey);
}

TEST_CASE("a bitonal output carries the mark in black and white", "[watermark]") {
    // Red is darker than the threshold, the source's grey of 128 is not.
    WatermarkSpec spec = red_spec();
    RenderedImage out = render(grey_source(), "full/max/0/bitonal.png", &spec);
    REQUIRE(decode(out.bytes).bands() == 1);
    CHECK(pixel_at(out.bytes, 340, 265).r == 0);
    CHECK(pixel_at(out.bytes, 289, 265).r == 255);
}

TEST_CASE("the mark is upright on a rotated or mirrored output", "[watermark]") {
    // Rotated by 90 the output is 300 x 400; the mark is 75 x 38 (0.25 of 300, aspect 2:1)
    // at its bottom-right corner: x 215..289, y 352..389.
    WatermarkSpec spec = red_spec();
    RenderedImage out = render(grey_source(), "full/max/90/default.png", &spec);
    REQUIRE(out.width == 300);
    CHECK(is(out, 215, 352, kRed));
    CHECK(is(out, 289, 389, kRed));
    CHECK(is(out, 214, 352, kGrey));
    CHECK(is(out, 289, 390, kGrey));
    RenderedImage mirrored = render(grey_source(), "full/max/!0/default.png", &spec);
    CHECK(is(mirrored, 290, 240, kRed));
    CHECK(is(mirrored, 289, 240, kGrey));
}

TEST_CASE("an output with alpha keeps it, and the mark is opaque over transparency",
          "[watermark]") {
    // 45 degrees: 495 x 495 with transparent corners; the mark at top-left covers one.
    WatermarkSpec spec = red_spec();
    spec.position = "top-left";
    RenderedImage out = render(grey_source(), "full/max/45/default.png", &spec);
    REQUIRE(decode(out.bytes).bands() == 4);
    Pixel marked = pixel_at(out.bytes, 12, 12);
    CHECK(near(marked, kRed, 0));
    CHECK(marked.a == 255);
    CHECK(pixel_at(out.bytes, 5, 5).a == 0);
    CHECK(pixel_at(out.bytes, 494, 0).a == 0);
}

TEST_CASE("a native tile is decoded and marked, not passed through", "[watermark]") {
    std::string path = save(solid(1024, 1024, kGrey), "wm-native-tiles.tif",
                            "[tile,pyramid,compression=jpeg,Q=90,tile-width=256,tile-height=256]");
    SourceInfo source = probe_source(path);
    IiifPath parsed = parse_iiif_path(ApiVersion::v3, "id/256,0,256,256/256,/0/default.jpg");
    ImagePlan plan = plan_image(parsed.image, source.width, source.height, {});
    auto native = native_tile_jpeg(path, source, choose_level(source, plan), plan);
    REQUIRE(native);
    WatermarkSpec spec = red_spec();
    RenderedImage out = render_image(path, source, plan, {}, "", &spec);
    CHECK(out.bytes != *native);
    // 64 x 32 at the bottom-right: x 182..245, y 214..245; JPEG, so nearly red.
    CHECK(near(pixel_at(out.bytes, 214, 230), kRed, 8));
    CHECK(near(pixel_at(out.bytes, 20, 20), kGrey, 8));
    // Below min_size the tile is passed through as stored.
    spec.min_size = 257;
    CHECK(render_image(path, source, plan, {}, "", &spec).bytes == *native);
}

TEST_CASE("the master is not touched", "[watermark]") {
    std::string master = save(solid(kWidth, kHeight, kGrey), "wm-master.png");
    const std::string before = file_bytes(master);
    const auto modified = std::filesystem::last_write_time(master);
    WatermarkSpec spec = red_spec();
    render(master, "full/max/0/default.png", &spec);
    render(master, "full/max/0/default.jpg", &spec);
    CHECK(file_bytes(master) == before);
    CHECK(std::filesystem::last_write_time(master) == modified);
}

TEST_CASE("renders on many threads share one mark and agree", "[watermark]") {
    WatermarkSpec spec = red_spec();
    spec.image = save(solid(200, 100, kGreen).bandjoin_const({255}), "threads-mark.png");
    std::vector<std::string> outputs(8);
    std::vector<std::thread> threads;
    for (std::string& output : outputs)
        threads.emplace_back(
            [&] { output = render(grey_source(), "full/max/0/default.png", &spec).bytes; });
    for (std::thread& thread : threads) thread.join();
    for (const std::string& output : outputs) CHECK(output == outputs.front());
    CHECK(is(RenderedImage{outputs.front(), "", 0, 0}, 340, 265, kGreen));
}

TEST_CASE("a mark whose PNG has gone is a server error, not a damaged source", "[watermark]") {
    WatermarkSpec spec = red_spec();
    spec.image = (scratch_dir() / "no-such-mark.png").string();
    try {
        render(grey_source(), "full/max/0/default.png", &spec);
        FAIL("rendered without its mark");
    } catch (const IiifError& error) {
        CHECK(error.status == 500);
    }
}

TEST_CASE("watermark_problem accepts a usable image mark and a usable text mark", "[watermark]") {
    CHECK_FALSE(watermark_problem(red_spec()));
    WatermarkSpec text = red_spec();
    text.image.clear();
    text.text = "Archive";
    CHECK_FALSE(watermark_problem(text));
}

TEST_CASE("watermark_problem wants exactly one of image and text", "[watermark]") {
    WatermarkSpec both = red_spec();
    both.text = "Archive";
    CHECK(watermark_problem(both) == "needs exactly one of image and text");
    WatermarkSpec neither = red_spec();
    neither.image.clear();
    CHECK(watermark_problem(neither) == "needs exactly one of image and text");
}

TEST_CASE("watermark_problem wants an image that exists and is a PNG", "[watermark]") {
    WatermarkSpec missing = red_spec();
    missing.image = (scratch_dir() / "absent.png").string();
    CHECK(watermark_problem(missing) == "image " + missing.image + " does not exist");
    WatermarkSpec jpeg = red_spec();
    jpeg.image = save(solid(20, 20, kRed), "mark.jpg");
    CHECK(watermark_problem(jpeg) == "image " + jpeg.image + " is not a readable PNG");
    WatermarkSpec truncated = red_spec();
    std::string bytes = file_bytes(red_mark());
    truncated.image = (scratch_dir() / "truncated.png").string();
    std::ofstream(truncated.image, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    CHECK(watermark_problem(truncated) == "image " + truncated.image + " is not a readable PNG");
}

TEST_CASE("watermark_problem wants one of the nine positions", "[watermark]") {
    WatermarkSpec spec = red_spec();
    spec.position = "middle";
    auto problem = watermark_problem(spec);
    REQUIRE(problem);
    CHECK(problem->starts_with("position \"middle\" is not one of"));
}

TEST_CASE("watermark_problem wants opacity and scale above 0 and at most 1", "[watermark]") {
    for (double value : {0.0, -0.5, 1.5}) {
        INFO(value);
        WatermarkSpec opacity = red_spec();
        opacity.opacity = value;
        CHECK(watermark_problem(opacity) == "opacity must be greater than 0 and at most 1");
        WatermarkSpec scale = red_spec();
        scale.scale = value;
        CHECK(watermark_problem(scale) == "scale must be greater than 0 and at most 1");
    }
    WatermarkSpec full = red_spec();
    full.opacity = 1;
    full.scale = 1;
    CHECK_FALSE(watermark_problem(full));
}

TEST_CASE("watermark_problem wants margin and min_size not negative", "[watermark]") {
    WatermarkSpec margin = red_spec();
    margin.margin = -1;
    CHECK(watermark_problem(margin) == "margin must not be negative");
    WatermarkSpec min_size = red_spec();
    min_size.min_size = -1;
    CHECK(watermark_problem(min_size) == "min_size must not be negative");
}

TEST_CASE("watermark_problem wants the colour as #rrggbb", "[watermark]") {
    for (const char* colour : {"red", "#fff", "#12345g", "ff0000", "#ff00000", "#-f0000"}) {
        INFO(colour);
        WatermarkSpec spec = red_spec();
        spec.image.clear();
        spec.text = "Archive";
        spec.color = colour;
        CHECK(watermark_problem(spec) == "color \"" + std::string(colour) + "\" is not #rrggbb");
    }
    WatermarkSpec upper = red_spec();
    upper.color = "#A0B1C2";
    CHECK_FALSE(watermark_problem(upper));
}
