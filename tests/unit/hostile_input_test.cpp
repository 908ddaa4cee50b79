// Sources that are missing, damaged, truncated or that lie about their size: each ends in an
// IiifError with the right status, before any large allocation, and never in a crash.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "iiif_error.hpp"
#include "image_plan.hpp"
#include "image_request.hpp"
#include "image_source.hpp"
#include "renderer.hpp"
#include "spec_helpers.hpp"
#include "test_images.hpp"

using namespace iiif;
using namespace test_images;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string write_file(const std::string& name, const std::string& bytes) {
    std::string path = (scratch_dir() / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

// Status of probing and rendering `request` from `path`; 200 when everything succeeds.
int status_of(const std::string& path, const std::string& request = "full/100,/0/default.jpg",
              const RenderOptions& options = {}) {
    try {
        SourceInfo source = probe_source(path);
        IiifPath parsed = parse_iiif_path(ApiVersion::v3, "id/" + request);
        ImagePlan plan = plan_image(parsed.image, source.width, source.height, {});
        render_image(path, source, plan, options);
        return 200;
    } catch (const IiifError& error) {
        return error.status;
    }
}

std::string truncated(const std::string& name, const std::string& options, double fraction) {
    std::string path =
        save((quadrants(800, 600) + vips::VImage::gaussnoise(800, 600)).cast(VIPS_FORMAT_UCHAR), name,
             options);
    std::string bytes = read_file(path);
    return write_file("truncated-" + name,
                      bytes.substr(0, static_cast<size_t>(static_cast<double>(bytes.size()) * fraction)));
}

// A PNG declaring width x height in its IHDR, followed by one empty IDAT and IEND: a valid
// header over no pixel data.
std::string png_declaring(const std::string& name, uint32_t width, uint32_t height) {
    auto be32 = [](uint32_t v) {
        return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    };
    auto chunk = [&](const std::string& type_and_data) {
        uLong crc = crc32(0, reinterpret_cast<const Bytef*>(type_and_data.data()),
                          static_cast<uInt>(type_and_data.size()));
        return be32(static_cast<uint32_t>(type_and_data.size() - 4)) + type_and_data +
               be32(static_cast<uint32_t>(crc));
    };
    const std::string empty_zlib_stream{0x78, 0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01};
    std::string bytes = "\x89PNG\r\n\x1a\n" +
                        chunk("IHDR" + be32(width) + be32(height) + std::string{8, 2, 0, 0, 0}) +
                        chunk("IDAT" + empty_zlib_stream) + chunk("IEND");
    return write_file(name, bytes);
}

}  // namespace

TEST_CASE("a missing source is 404", "[hostile]") {
    CHECK(status_of((scratch_dir() / "nothing-here.tif").string()) == 404);
}

TEST_CASE("a directory is not a source: 404", "[hostile]") {
    CHECK(status_of(scratch_dir().string()) == 404);
}

TEST_CASE("an empty file is 422", "[hostile]") {
    CHECK(status_of(write_file("empty.jpg", "")) == 422);
}

TEST_CASE("text or random bytes are not an image: 415", "[hostile]") {
    CHECK(status_of(write_file("text.jpg", "this is not an image, only text\n")) == 415);
    std::string noise(4096, '\0');
    for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 7919 + 13) % 251);
    CHECK(status_of(write_file("noise.tif", noise)) == 415);
}

TEST_CASE("formats libvips reads but we do not serve are refused: 415", "[hostile]") {
    // An SVG could reference files or the network; only the raster formats of the spec pass.
    CHECK(status_of(write_file("drawing.svg",
                               "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>")) ==
          415);
}

TEST_CASE("a truncated JPEG is 422", "[hostile]") {
    CHECK(status_of(truncated("cut.jpg", "[Q=90]", 0.5)) == 422);
}

TEST_CASE("a truncated PNG is 422", "[hostile]") {
    CHECK(status_of(truncated("cut.png", "", 0.5)) == 422);
}

TEST_CASE("a truncated pyramidal TIFF is 422", "[hostile]") {
    CHECK(status_of(truncated("cut.tif", "[tile,pyramid,compression=deflate]", 0.3),
                    "full/max/0/default.jpg") == 422);
}

TEST_CASE("a truncated JPEG 2000 is 422", "[hostile]") {
    CHECK(status_of(truncated("cut.jp2", "[lossless]", 0.4), "full/max/0/default.jpg") == 422);
}

TEST_CASE("headers cut before the dimensions are 422", "[hostile]") {
    std::string tif = read_file(save(quadrants(), "whole.tif", "[tile,compression=deflate]"));
    CHECK(status_of(write_file("header-only.tif", tif.substr(0, 12))) == 422);
    std::string jp2 = read_file(save(quadrants(), "whole.jp2"));
    CHECK(status_of(write_file("header-only.jp2", jp2.substr(0, 40))) == 422);
    std::string jpg = read_file(save(quadrants(), "whole.jpg"));
    CHECK(status_of(write_file("header-only.jpg", jpg.substr(0, 20))) == 422);
}

TEST_CASE("a PNG declaring 200000 x 200000 pixels is refused at the header: 422", "[hostile]") {
    CHECK(status_of(png_declaring("huge.png", 200000, 200000)) == 422);
}

TEST_CASE("a PNG declaring zero width is 422", "[hostile]") {
    CHECK(status_of(png_declaring("zero.png", 0, 100)) == 422);
}

TEST_CASE("a source whose decode would exceed the pixel limit is refused before decoding",
          "[hostile]") {
    // 60000 x 60000 is within the dimension limit, but an untiled PNG must be decoded whole:
    // 3.6 gigapixels are refused by arithmetic, before libvips reads a single row.
    std::string path = png_declaring("big.png", 60000, 60000);
    SourceInfo source = probe_source(path);
    CHECK(source.width == 60000);
    CHECK(status_of(path, "full/100,/0/default.jpg") == 400);
}

TEST_CASE("an output over the pixel limit is refused: 400", "[hostile]") {
    std::string path = save(quadrants(), "limit.png");
    RenderOptions options;
    options.max_output_pixels = 100 * 75;
    CHECK(status_of(path, "full/100,/0/default.png", options) == 200);
    CHECK(status_of(path, "full/101,/0/default.png", options) == 400);
    // Rotation grows the bounding box: 100x75 at 45 degrees is 124x124.
    CHECK(status_of(path, "full/100,/45/default.png", options) == 400);
}

TEST_CASE("a tiled source is limited by the region it decodes, not its whole size",
          "[hostile]") {
    std::string path = save(quadrants(2000, 2000), "tiled-limit.tif",
                            "[tile,pyramid,compression=deflate,tile-width=256,tile-height=256]");
    RenderOptions options;
    options.max_decode_pixels = 600 * 600;
    CHECK(status_of(path, "0,0,512,512/max/0/default.png", options) == 200);
    CHECK(status_of(path, "full/250,/0/default.png", options) == 200);  // read at 1/8
    CHECK(status_of(path, "0,0,1024,1024/max/0/default.png", options) == 400);
}

TEST_CASE("renderable limits: the configured ones, capped to what the guards let through",
          "[hostile][limits]") {
    const RenderOptions guards;  // 100 megapixels out, 400 decoded
    const Limits none = renderable_limits({}, guards);
    CHECK(none.max_width == 16383);  // WebP's largest side
    CHECK(none.max_height == 16383);
    CHECK(none.max_area == 50'000'000);  // an eighth of the decode guard
    const Limits own =
        renderable_limits({.max_width = 3000, .max_height = 0, .max_area = 4'000'000}, guards);
    CHECK(own.max_width == 3000);
    CHECK(own.max_height == 16383);
    CHECK(own.max_area == 4'000'000);
    const Limits over = renderable_limits(
        {.max_width = 20000, .max_height = 20000, .max_area = 200'000'000}, guards);
    CHECK(over.max_width == 16383);
    CHECK(over.max_area == 50'000'000);
    RenderOptions small;
    small.max_output_pixels = 1'000'000;
    CHECK(renderable_limits({}, small).max_area == 1'000'000);
}

TEST_CASE("a source whose largest allowed size cannot be decoded is refused whole: 422",
          "[hostile][limits]") {
    const RenderOptions guards;
    const Limits limits = renderable_limits({}, guards);
    // An untiled 30000 x 20000 PNG is decoded whole for any request: 600 megapixels.
    SourceInfo flat{.format = SourceFormat::png,
                    .width = 30000,
                    .height = 20000,
                    .levels = {{.scale_factor = 1, .width = 30000, .height = 20000}}};
    CHECK(spec::status_of([&] { check_renderable(flat, limits, guards); }) == 422);
    // The same size as a JPEG decodes at 1/2 for its largest size (8660 x 5773): 150 megapixels.
    SourceInfo jpeg = flat;
    jpeg.format = SourceFormat::jpeg;
    for (int shrink : {2, 4, 8})
        jpeg.levels.push_back({.scale_factor = shrink,
                               .width = 30000 / shrink,
                               .height = 20000 / shrink,
                               .shrink = shrink});
    CHECK(spec::status_of([&] { check_renderable(jpeg, limits, guards); }) == 200);
    // A pyramid is read at the level just above its largest size.
    SourceInfo pyramid{.format = SourceFormat::tiff,
                       .width = 100000,
                       .height = 100000,
                       .tiled = true,
                       .tile_width = 256,
                       .tile_height = 256,
                       .levels = {}};
    for (int factor = 1; factor <= 512; factor *= 2)
        pyramid.levels.push_back({.scale_factor = factor,
                                  .width = ceil_div(100000, factor),
                                  .height = ceil_div(100000, factor),
                                  .page = static_cast<int>(pyramid.levels.size())});
    CHECK(spec::status_of([&] { check_renderable(pyramid, limits, guards); }) == 200);
    // One whose pyramid stops at 1/4 leaves 25000 x 25000 to decode.
    pyramid.levels.resize(3);
    CHECK(spec::status_of([&] { check_renderable(pyramid, limits, guards); }) == 422);
}
