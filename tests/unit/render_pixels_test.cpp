// Rendering checked by sampling pixels of a pattern with known colours at known places
// (test_images.hpp: red top-left, green top-right, blue bottom-left, white bottom-right).
#include <tiffio.h>

#include <catch2/catch.hpp>
#include <vector>

#include "iiif_error.hpp"
#include "image_plan.hpp"
#include "image_request.hpp"
#include "image_source.hpp"
#include "renderer.hpp"
#include "tile_passthrough.hpp"
#include "test_images.hpp"

using namespace iiif;
using namespace test_images;

namespace {

RenderedImage render(const std::string& path, const std::string& request,
                     ApiVersion version = ApiVersion::v3, const Limits& limits = {},
                     const RenderOptions& options = {}) {
    IiifPath parsed = parse_iiif_path(version, "id/" + request);
    SourceInfo source = probe_source(path);
    ImagePlan plan = plan_image(parsed.image, source.width, source.height, limits);
    return render_image(path, source, plan, options);
}

const std::string& png_source() {
    static const std::string path = save(quadrants(), "quadrants.png");
    return path;
}

// Every source format, lossless where the format allows it.
struct SourceCase {
    const char* name;
    const char* options;
    int tolerance;  // per channel, for lossy encodings
};
constexpr SourceCase kSources[] = {
    {"pyramid-deflate.tif", "[tile,pyramid,compression=deflate,tile-width=64,tile-height=64]", 0},
    {"pyramid-jpeg.tif", "[tile,pyramid,compression=jpeg,Q=95,tile-width=64,tile-height=64]", 12},
    {"plain.tif", "", 0},
    {"lossless.jp2", "[lossless,tile-width=128,tile-height=128]", 0},
    {"plain.jpg", "[Q=95]", 12},
    {"plain.png", "", 0},
};

void check_quadrants(const RenderedImage& out, int tolerance) {
    REQUIRE(out.width == kWidth);
    REQUIRE(out.height == kHeight);
    CHECK(near(pixel_at(out.bytes, 50, 50), kRed, tolerance));
    CHECK(near(pixel_at(out.bytes, 350, 50), kGreen, tolerance));
    CHECK(near(pixel_at(out.bytes, 50, 250), kBlue, tolerance));
    CHECK(near(pixel_at(out.bytes, 350, 250), kWhite, tolerance));
}

}  // namespace

TEST_CASE("every source format renders full/max with its colours in place", "[render]") {
    for (const SourceCase& source : kSources) {
        INFO(source.name);
        std::string path = save(quadrants(), source.name, source.options);
        check_quadrants(render(path, "full/max/0/default.png"), source.tolerance);
    }
}

TEST_CASE("a pixel region returns exactly that part of the image", "[render]") {
    RenderedImage out = render(png_source(), "200,0,200,150/max/0/default.png");
    REQUIRE(out.width == 200);
    REQUIRE(out.height == 150);
    CHECK(near(pixel_at(out.bytes, 100, 75), kGreen, 0));
    CHECK(near(pixel_at(out.bytes, 0, 0), kGreen, 0));
    CHECK(near(pixel_at(out.bytes, 199, 149), kGreen, 0));
}

TEST_CASE("a region straddling a boundary keeps the boundary in place", "[render]") {
    // x 150..249 crosses the red/green boundary at 200, so output column 50 is the first green.
    RenderedImage out = render(png_source(), "150,0,100,100/max/0/default.png");
    REQUIRE(out.width == 100);
    CHECK(near(pixel_at(out.bytes, 49, 50), kRed, 0));
    CHECK(near(pixel_at(out.bytes, 50, 50), kGreen, 0));
}

TEST_CASE("a percent region selects the bottom-left quadrant", "[render]") {
    RenderedImage out = render(png_source(), "pct:0,50,50,50/max/0/default.png");
    REQUIRE(out.width == 200);
    REQUIRE(out.height == 150);
    CHECK(near(pixel_at(out.bytes, 100, 75), kBlue, 0));
}

TEST_CASE("a region partly outside the image is cropped at its edge", "[render]") {
    RenderedImage out = render(png_source(), "300,200,500,500/max/0/default.png");
    REQUIRE(out.width == 100);
    REQUIRE(out.height == 100);
    CHECK(near(pixel_at(out.bytes, 50, 50), kWhite, 0));
}

TEST_CASE("square takes the centred square of the shorter side", "[render]") {
    RenderedImage out = render(png_source(), "square/max/0/default.png");
    REQUIRE(out.width == 300);
    REQUIRE(out.height == 300);
    // x 50..349 of the source: the boundary at 200 lands on column 150.
    CHECK(near(pixel_at(out.bytes, 149, 10), kRed, 0));
    CHECK(near(pixel_at(out.bytes, 150, 10), kGreen, 0));
}

TEST_CASE("sizes scale to the exact planned dimensions from every source", "[render]") {
    for (const SourceCase& source : kSources) {
        INFO(source.name);
        std::string path = save(quadrants(), source.name, source.options);
        RenderedImage out = render(path, "full/200,/0/default.png");
        REQUIRE(out.width == 200);
        REQUIRE(out.height == 150);
        CHECK(near(pixel_at(out.bytes, 25, 25), kRed, source.tolerance + 4));
        CHECK(near(pixel_at(out.bytes, 175, 25), kGreen, source.tolerance + 4));
        CHECK(near(pixel_at(out.bytes, 25, 125), kBlue, source.tolerance + 4));
        CHECK(near(pixel_at(out.bytes, 175, 125), kWhite, source.tolerance + 4));
    }
}

TEST_CASE("w,h distorts to exactly w by h", "[render]") {
    RenderedImage out = render(png_source(), "full/100,300/0/default.png");
    REQUIRE(out.width == 100);
    REQUIRE(out.height == 300);
    CHECK(near(pixel_at(out.bytes, 10, 10), kRed, 0));
    CHECK(near(pixel_at(out.bytes, 90, 290), kWhite, 0));
}

TEST_CASE("^ upscales in 3.0", "[render]") {
    RenderedImage out = render(png_source(), "full/^800,/0/default.png");
    REQUIRE(out.width == 800);
    REQUIRE(out.height == 600);
    CHECK(near(pixel_at(out.bytes, 100, 100), kRed, 0));
    CHECK(near(pixel_at(out.bytes, 700, 500), kWhite, 0));
}

TEST_CASE("! mirrors on the vertical axis", "[render]") {
    RenderedImage out = render(png_source(), "full/max/!0/default.png");
    CHECK(near(pixel_at(out.bytes, 50, 50), kGreen, 0));
    CHECK(near(pixel_at(out.bytes, 350, 50), kRed, 0));
    CHECK(near(pixel_at(out.bytes, 50, 250), kWhite, 0));
    CHECK(near(pixel_at(out.bytes, 350, 250), kBlue, 0));
}

TEST_CASE("rotation by 90 turns the image clockwise", "[render]") {
    RenderedImage out = render(png_source(), "full/max/90/default.png");
    REQUIRE(out.width == kHeight);
    REQUIRE(out.height == kWidth);
    CHECK(near(pixel_at(out.bytes, 50, 50), kBlue, 0));
    CHECK(near(pixel_at(out.bytes, 250, 50), kRed, 0));
    CHECK(near(pixel_at(out.bytes, 50, 350), kWhite, 0));
    CHECK(near(pixel_at(out.bytes, 250, 350), kGreen, 0));
}

TEST_CASE("rotation by 180 and 270", "[render]") {
    RenderedImage half = render(png_source(), "full/max/180/default.png");
    REQUIRE(half.width == kWidth);
    CHECK(near(pixel_at(half.bytes, 50, 50), kWhite, 0));
    CHECK(near(pixel_at(half.bytes, 350, 250), kRed, 0));
    RenderedImage three = render(png_source(), "full/max/270/default.png");
    REQUIRE(three.width == kHeight);
    REQUIRE(three.height == kWidth);
    CHECK(near(pixel_at(three.bytes, 50, 50), kGreen, 0));
    CHECK(near(pixel_at(three.bytes, 250, 350), kBlue, 0));
}

TEST_CASE("mirroring happens before rotation", "[render]") {
    // Mirrored: green | red over white | blue; then 90 clockwise.
    RenderedImage out = render(png_source(), "full/max/!90/default.png");
    CHECK(near(pixel_at(out.bytes, 50, 50), kWhite, 0));
    CHECK(near(pixel_at(out.bytes, 250, 50), kGreen, 0));
    CHECK(near(pixel_at(out.bytes, 50, 350), kBlue, 0));
    CHECK(near(pixel_at(out.bytes, 250, 350), kRed, 0));
}

TEST_CASE("arbitrary rotation: transparent corners in png, white in jpg", "[render]") {
    RenderedImage png = render(png_source(), "full/max/45/default.png");
    // Bounding box of 400x300 turned by 45 degrees: (400+300)/sqrt(2) = 494.97 on each side,
    // so the smallest whole box that holds it is 495.
    CHECK(png.width == 495);
    CHECK(png.height == 495);
    CHECK(pixel_at(png.bytes, 0, 0).a == 0);
    Pixel centre = pixel_at(png.bytes, png.width / 2, png.height / 2);
    CHECK(centre.a == 255);

    RenderedImage jpg = render(png_source(), "full/max/45/default.jpg");
    CHECK(near(pixel_at(jpg.bytes, 2, 2), kWhite, 3));
}

TEST_CASE("gray quality returns one grey channel with luminance order kept", "[render]") {
    RenderedImage out = render(png_source(), "full/max/0/gray.png");
    vips::VImage image = decode(out.bytes);
    REQUIRE(image.bands() == 1);
    int red = pixel_at(out.bytes, 50, 50).r;
    int green = pixel_at(out.bytes, 350, 50).r;
    int blue = pixel_at(out.bytes, 50, 250).r;
    int white = pixel_at(out.bytes, 350, 250).r;
    CHECK(white == 255);
    // Linear luminance as libvips weighs it (0.2 R + 0.7 G + 0.1 B), gamma-encoded back to
    // sRGB: pure red, green and blue become 123, 218 and 89.
    CHECK(std::abs(red - 123) <= 2);
    CHECK(std::abs(green - 218) <= 2);
    CHECK(std::abs(blue - 89) <= 2);
}

TEST_CASE("bitonal quality returns only black and white", "[render]") {
    RenderedImage out = render(png_source(), "full/max/0/bitonal.png");
    vips::VImage image = decode(out.bytes);
    REQUIRE(image.bands() == 1);
    CHECK(image.max() == 255);
    CHECK(image.min() == 0);
    CHECK(pixel_at(out.bytes, 50, 50).r == 0);     // red is dark
    CHECK(pixel_at(out.bytes, 350, 50).r == 255);  // green is light
    CHECK(pixel_at(out.bytes, 50, 250).r == 0);    // blue is dark
    CHECK(pixel_at(out.bytes, 350, 250).r == 255);
    // Exactly two values: the histogram of a 0/255 image has nothing in between.
    vips::VImage mid = (image > 0) & (image < 255);
    CHECK(mid.max() == 0);
}

TEST_CASE("every output format is encoded as its media type says", "[render]") {
    struct FormatCase {
        const char* ext;
        const char* media_type;
        const char* loader;
    };
    constexpr FormatCase kFormats[] = {{"jpg", "image/jpeg", "jpegload_buffer"},
                                       {"png", "image/png", "pngload_buffer"},
                                       {"webp", "image/webp", "webpload_buffer"},
                                       {"tif", "image/tiff", "tiffload_buffer"},
                                       {"gif", "image/gif", "gifload_buffer"}};
    for (const FormatCase& format : kFormats) {
        INFO(format.ext);
        RenderedImage out =
            render(png_source(), std::string("full/200,/0/default.") + format.ext);
        CHECK(out.media_type == format.media_type);
        vips::VImage image = decode(out.bytes);
        CHECK(image.width() == 200);
        CHECK(image.height() == 150);
        CHECK(std::string(image.get_string("vips-loader")) == format.loader);
        CHECK(near(pixel_at(out.bytes, 25, 25), kRed, 16));
    }
}

TEST_CASE("jpeg quality is configurable", "[render]") {
    RenderOptions low, high;
    low.jpeg_quality = 10;
    high.jpeg_quality = 95;
    std::string noisy = save(
        (quadrants() + vips::VImage::gaussnoise(kWidth, kHeight)).cast(VIPS_FORMAT_UCHAR),
        "noise.png");
    auto small = render(noisy, "full/max/0/default.jpg", ApiVersion::v3, {}, low);
    auto large = render(noisy, "full/max/0/default.jpg", ApiVersion::v3, {}, high);
    CHECK(small.bytes.size() < large.bytes.size());
}

TEST_CASE("outputs carry no metadata of the source", "[render]") {
    vips::VImage tagged = quadrants().copy();
    tagged.set("exif-ifd0-Artist", "secret");
    std::string path = save(tagged, "tagged.jpg", "[Q=90]");
    RenderedImage out = render(path, "full/max/0/default.jpg");
    CHECK(out.bytes.find("secret") == std::string::npos);
    CHECK(out.bytes.find("Exif") == std::string::npos);
}

TEST_CASE("an embedded ICC profile is converted to sRGB and not sent", "[render]") {
    // A CMYK JPEG with libvips' built-in CMYK profile: the output must be sRGB red.
    vips::VImage cmyk = solid(64, 64, kRed).icc_transform(
        "cmyk", vips::VImage::option()->set("embedded", false)->set("input_profile", "srgb"));
    std::string path = save(cmyk, "cmyk.jpg", "[Q=95]");
    RenderedImage out = render(path, "full/max/0/default.png");
    vips::VImage image = decode(out.bytes);
    CHECK(image.bands() == 3);
    CHECK(image.get_typeof(VIPS_META_ICC_NAME) == 0);
    Pixel centre = pixel_at(out.bytes, 32, 32);
    CHECK(centre.r > 200);
    CHECK(centre.g < 80);
    CHECK(centre.b < 80);
}

TEST_CASE("2.1 requests render the same pixels as 3.0", "[render]") {
    RenderedImage v2 = render(png_source(), "full/full/90/default.png", ApiVersion::v2);
    RenderedImage v3 = render(png_source(), "full/max/90/default.png", ApiVersion::v3);
    CHECK(v2.width == v3.width);
    CHECK(v2.height == v3.height);
    CHECK(v2.bytes == v3.bytes);
}

TEST_CASE("the level just above the output size is chosen", "[plan]") {
    SourceInfo source;
    source.width = 10000;
    source.height = 8000;
    source.tiled = true;
    for (int s = 1; s <= 64; s *= 2) source.levels.push_back({s, (10000 + s - 1) / s, (8000 + s - 1) / s, 0, 1});
    auto level_for = [&](const char* request) {
        IiifPath parsed = parse_iiif_path(ApiVersion::v3, std::string("id/") + request);
        return choose_level(source, plan_image(parsed.image, 10000, 8000, {})).scale_factor;
    };
    CHECK(level_for("full/1000,/0/default.jpg") == 8);   // 1250 wide >= 1000 > 625
    CHECK(level_for("full/max/0/default.jpg") == 1);
    CHECK(level_for("full/625,/0/default.jpg") == 16);
    CHECK(level_for("full/157,/0/default.jpg") == 64);   // coarsest level, 157 wide
    CHECK(level_for("0,0,4096,4096/256,/0/default.jpg") == 16);  // an OpenSeadragon tile
    CHECK(level_for("full/^20000,/0/default.jpg") == 1);
    CHECK(level_for("0,0,100,100/max/0/default.jpg") == 1);
}

namespace {

// Writes a tiled RGB TIFF whose pages are uniform colours of the given sizes (libtiff directly:
// no encoder would write a pyramid whose levels disagree).
std::string write_pages(const std::string& name,
                        std::initializer_list<std::pair<int, Rgb>> pages) {
    std::string path = (scratch_dir() / name).string();
    TIFF* tiff = TIFFOpen(path.c_str(), "w");
    REQUIRE(tiff != nullptr);
    for (const auto& [side, colour] : pages) {
        TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, side);
        TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, side);
        TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, 3);
        TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 8);
        TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
        TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        TIFFSetField(tiff, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
        TIFFSetField(tiff, TIFFTAG_TILEWIDTH, 64);
        TIFFSetField(tiff, TIFFTAG_TILELENGTH, 64);
        std::vector<unsigned char> tile(64 * 64 * 3);
        for (size_t i = 0; i < tile.size(); i += 3) {
            tile[i] = static_cast<unsigned char>(colour.r);
            tile[i + 1] = static_cast<unsigned char>(colour.g);
            tile[i + 2] = static_cast<unsigned char>(colour.b);
        }
        for (int y = 0; y < side; y += 64)
            for (int x = 0; x < side; x += 64)
                REQUIRE(TIFFWriteTile(tiff, tile.data(), static_cast<uint32_t>(x),
                                      static_cast<uint32_t>(y), 0, 0) >= 0);
        REQUIRE(TIFFWriteDirectory(tiff) == 1);
    }
    TIFFClose(tiff);
    return path;
}

}  // namespace

TEST_CASE("a pyramid is read at the chosen level, not at full resolution", "[render]") {
    // Full level red, half level blue: a half-size request must come out blue, proving the full
    // level was never decoded; a full-size request comes out red.
    std::string path = write_pages("two-level.tif", {{512, kRed}, {256, kBlue}});
    SourceInfo source = probe_source(path);
    REQUIRE(source.levels.size() == 2);
    CHECK(source.levels[1].scale_factor == 2);
    RenderedImage out = render(path, "full/256,/0/default.png");
    CHECK(near(pixel_at(out.bytes, 128, 128), kBlue, 0));
    RenderedImage big = render(path, "full/512,/0/default.png");
    CHECK(near(pixel_at(big.bytes, 128, 128), kRed, 0));
}

TEST_CASE("pages that are not a level end the pyramid", "[render]") {
    // A two-page document (same size twice) is not a pyramid: one level only.
    std::string path = write_pages("document.tif", {{256, kRed}, {256, kGreen}});
    SourceInfo source = probe_source(path);
    REQUIRE(source.levels.size() == 1);
    CHECK(near(pixel_at(render(path, "full/max/0/default.png").bytes, 10, 10), kRed, 0));
}

TEST_CASE("an interior native tile of a JPEG TIFF is served as stored, without re-encoding",
          "[render]") {
    std::string path = save(quadrants(1024, 1024), "native-tiles.tif",
                            "[tile,pyramid,compression=jpeg,Q=90,tile-width=256,tile-height=256]");
    SourceInfo source = probe_source(path);
    IiifPath parsed = parse_iiif_path(ApiVersion::v3, "id/256,0,256,256/256,/0/default.jpg");
    ImagePlan plan = plan_image(parsed.image, source.width, source.height, {});
    const SourceLevel& level = choose_level(source, plan);
    REQUIRE(level.scale_factor == 1);
    auto native = native_tile_jpeg(path, source, level, plan);
    REQUIRE(native);
    RenderedImage out = render_image(path, source, plan, {});
    CHECK(out.bytes == *native);
    CHECK(out.media_type == "image/jpeg");
    vips::VImage tile = decode(out.bytes);
    CHECK(tile.width() == 256);
    CHECK(tile.height() == 256);
    CHECK(near(pixel_at(out.bytes, 128, 128), kRed, 8));

    // A tile of the half level (scale factor 2), top-right quadrant: green.
    parsed = parse_iiif_path(ApiVersion::v3, "id/512,0,512,512/256,/0/default.jpg");
    plan = plan_image(parsed.image, source.width, source.height, {});
    REQUIRE(choose_level(source, plan).scale_factor == 2);
    REQUIRE(native_tile_jpeg(path, source, choose_level(source, plan), plan));
    CHECK(near(pixel_at(render_image(path, source, plan, {}).bytes, 128, 128), kGreen, 8));
}

TEST_CASE("requests that are not exactly a native tile are rendered, not passed through",
          "[render]") {
    std::string path = save(quadrants(1000, 1000), "edge-tiles.tif",
                            "[tile,pyramid,compression=jpeg,Q=90,tile-width=256,tile-height=256]");
    SourceInfo source = probe_source(path);
    auto native = [&](const char* request) {
        IiifPath parsed = parse_iiif_path(ApiVersion::v3, std::string("id/") + request);
        ImagePlan plan = plan_image(parsed.image, source.width, source.height, {});
        return native_tile_jpeg(path, source, choose_level(source, plan), plan).has_value();
    };
    CHECK(native("0,0,256,256/256,/0/default.jpg"));
    CHECK_FALSE(native("768,0,232,256/232,/0/default.jpg"));  // edge tile, padded in the file
    CHECK_FALSE(native("0,0,256,256/256,/0/default.png"));    // another format
    CHECK_FALSE(native("0,0,256,256/256,/0/gray.jpg"));       // another quality
    CHECK_FALSE(native("0,0,256,256/256,/!0/default.jpg"));   // mirrored
    CHECK_FALSE(native("0,0,256,256/256,/90/default.jpg"));   // rotated
    CHECK_FALSE(native("10,0,256,256/256,/0/default.jpg"));   // off the grid
    CHECK_FALSE(native("0,0,256,256/128,/0/default.jpg"));    // scaled
    std::string deflate = save(quadrants(1024, 1024), "deflate-tiles.tif",
                               "[tile,pyramid,compression=deflate,tile-width=256,tile-height=256]");
    SourceInfo deflate_source = probe_source(deflate);
    IiifPath parsed = parse_iiif_path(ApiVersion::v3, "id/0,0,256,256/256,/0/default.jpg");
    ImagePlan plan = plan_image(parsed.image, 1024, 1024, {});
    CHECK_FALSE(native_tile_jpeg(deflate, deflate_source, choose_level(deflate_source, plan), plan));
}
