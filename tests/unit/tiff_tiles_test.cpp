// The JPEG TIFF tile reader (TurboJPEG, tile by tile through the decoded-tile cache) against
// libvips' own decode of the same level: the same pixels, at every level, at edges and odd sizes.
#include "tiff_tiles.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vips/vips8>

#include "iiif_error.hpp"
#include "image_source.hpp"
#include "test_images.hpp"

using namespace iiif;
using vips::VImage;

namespace {

// A picture with detail in every channel (gradients and noise), so that chroma subsampling and
// upsampling show if they differ.
VImage detailed(int width, int height, int bands) {
    VImage xy = VImage::xyz(width, height);
    VImage noise = VImage::gaussnoise(
        width, height, VImage::option()->set("sigma", 30.0)->set("seed", 1003));
    VImage r = (xy[0] * (255.0 / width)).cast(VIPS_FORMAT_UCHAR);
    VImage g = (xy[1] * (255.0 / height)).cast(VIPS_FORMAT_UCHAR);
    VImage b = noise.cast(VIPS_FORMAT_UCHAR);
    if (bands == 1) return (r / 2 + b / 2).cast(VIPS_FORMAT_UCHAR);
    return r.bandjoin(g).bandjoin(b).copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
}

// libvips' decode of `region` of page `page`, as 8-bit interleaved bytes.
std::vector<std::uint8_t> vips_region(const std::string& path, int page, const PixelRect& r) {
    VImage level = VImage::tiffload(path.c_str(), VImage::option()->set("page", page));
    VImage crop = level.crop(r.x, r.y, r.w, r.h).copy_memory();
    const auto* data = static_cast<const std::uint8_t*>(crop.data());
    return {data, data + static_cast<size_t>(r.w) * r.h * crop.bands()};
}

double mean_abs_difference(const Pixels& ours, const std::vector<std::uint8_t>& theirs) {
    REQUIRE(ours.byte_size() == theirs.size());
    double sum = 0;
    for (size_t i = 0; i < theirs.size(); ++i) sum += std::abs(int(ours.data[i]) - int(theirs[i]));
    return sum / static_cast<double>(theirs.size());
}

struct Case {
    const char* name;
    int bands;
    int quality;  // vips codes YCbCr 4:2:0 below 90, RGB from 90
};

}  // namespace

TEST_CASE("JPEG TIFF regions decode to libvips' pixels at every level", "[tiff_tiles]") {
    for (Case c : {Case{"ycbcr", 3, 75}, Case{"rgb", 3, 92}, Case{"grey", 1, 80}}) {
        SECTION(c.name) {
            const std::string path = test_images::save(
                detailed(1003, 757, c.bands), std::string("tiles-") + c.name + ".tif",
                "[tile,tile-width=128,tile-height=128,pyramid,compression=jpeg,Q=" +
                    std::to_string(c.quality) + "]");
            const SourceInfo source = probe_source(path);
            REQUIRE(source.tiled);
            REQUIRE(source.levels.size() == 4);  // 1003, 502, 251, 126 wide
            for (const SourceLevel& level : source.levels) {
                INFO("level " << level.page << " (" << level.width << "x" << level.height << ")");
                const std::vector<PixelRect> regions = {
                    {0, 0, level.width, level.height},                   // the whole level
                    {level.width / 3, level.height / 4, 97, 61},         // interior, across tiles
                    {level.width - 45, level.height - 30, 45, 30},       // bottom-right edge
                    {level.width - 1, 0, 1, level.height},               // one column
                    {0, level.height - 1, level.width, 1},               // one row
                };
                for (const PixelRect& r : regions) {
                    if (r.x < 0 || r.y < 0 || r.w <= 0 || r.h <= 0 || r.x + r.w > level.width ||
                        r.y + r.h > level.height)
                        continue;
                    INFO("region " << r.x << "," << r.y << "," << r.w << "," << r.h);
                    std::optional<Pixels> ours = read_tiff_region(path, source, level, r, "");
                    REQUIRE(ours);
                    CHECK(ours->width == r.w);
                    CHECK(ours->height == r.h);
                    CHECK(ours->bands == c.bands);
                    // The same libjpeg-turbo decode, upsampling and colour conversion as
                    // libtiff's JPEG codec inside libvips: exactly the same bytes.
                    CHECK(mean_abs_difference(*ours, vips_region(path, level.page, r)) == 0.0);
                }
            }
        }
    }
}

TEST_CASE("Decoded tiles are kept and reused under the source's identity", "[tiff_tiles]") {
    const std::string path = test_images::save(
        detailed(600, 400, 3), "tiles-cached.tif",
        "[tile,tile-width=128,tile-height=128,pyramid,compression=jpeg,Q=85]");
    const SourceInfo source = probe_source(path);
    DecodedTileCache& cache = decoded_tiles();
    const size_t capacity = cache.capacity();
    cache.clear();
    cache.set_capacity(64 << 20);
    const PixelRect region{100, 50, 300, 200};  // columns 0-3, rows 0-1 of 128-pixel tiles
    const auto misses = cache.misses(), hits = cache.hits();
    std::optional<Pixels> first = read_tiff_region(path, source, source.levels[0], region, "id1");
    CHECK(cache.misses() - misses == 8);
    CHECK(cache.hits() - hits == 0);
    std::optional<Pixels> second = read_tiff_region(path, source, source.levels[0], region, "id1");
    CHECK(cache.misses() - misses == 8);
    CHECK(cache.hits() - hits == 8);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(std::equal(first->data.get(), first->data.get() + first->byte_size(),
                     second->data.get()));
    // Another identity (the file replaced) decodes afresh.
    read_tiff_region(path, source, source.levels[0], region, "id2");
    CHECK(cache.misses() - misses == 16);
    cache.clear();
    cache.set_capacity(capacity);
}

TEST_CASE("TIFFs that are not JPEG-tiled are declined for libvips", "[tiff_tiles]") {
    const std::string deflate = test_images::save(
        detailed(300, 200, 3), "tiles-deflate.tif", "[tile,pyramid,compression=deflate]");
    const SourceInfo deflate_source = probe_source(deflate);
    CHECK_FALSE(read_tiff_region(deflate, deflate_source, deflate_source.levels[0], {0, 0, 10, 10},
                                 ""));
    // An embedded ICC profile: its pixels need converting, which libvips does.
    VImage profiled = detailed(300, 200, 3).icc_transform(
        "srgb", VImage::option()->set("embedded", false)->set("input_profile", "srgb"));
    REQUIRE(profiled.get_typeof(VIPS_META_ICC_NAME) != 0);
    const std::string icc = test_images::save(profiled, "tiles-icc.tif",
                                              "[tile,pyramid,compression=jpeg]");
    const SourceInfo icc_source = probe_source(icc);
    REQUIRE(icc_source.tiled);
    CHECK_FALSE(read_tiff_region(icc, icc_source, icc_source.levels[0], {0, 0, 10, 10}, ""));
    // Strips, not tiles.
    const std::string strips = test_images::save(detailed(300, 200, 3), "tiles-strips.tif",
                                                 "[compression=jpeg]");
    const SourceInfo strips_source = probe_source(strips);
    CHECK_FALSE(read_tiff_region(strips, strips_source, strips_source.levels[0], {0, 0, 10, 10},
                                 ""));
}

TEST_CASE("A damaged tile is a 422, not a crash", "[tiff_tiles]") {
    const std::string path = test_images::save(
        detailed(512, 512, 3), "tiles-damaged.tif",
        "[tile,tile-width=256,tile-height=256,compression=jpeg,Q=85]");
    const SourceInfo source = probe_source(path);
    // Overwrite the middle of the file (tile data) with garbage that is not JPEG.
    const auto size = std::filesystem::file_size(path);
    {
        std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(static_cast<std::streamoff>(size / 4));
        std::string garbage(size / 2, '\x5A');
        file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    try {
        read_tiff_region(path, source, source.levels[0], {0, 0, 512, 512}, "");
        FAIL("no error");
    } catch (const IiifError& error) {
        CHECK(error.status == 422);
    }
}

// Found by tests/fuzz/render_fuzzer: TurboJPEG keeps a handle that failed in a tile's header
// broken ("two SOI markers" for every stream after), and each thread keeps its handle, so one
// damaged tile made every later tile on that thread, of any source, a 422.
TEST_CASE("A damaged tile leaves the next tiles of the thread decodable", "[tiff_tiles]") {
    const std::string options = "[tile,tile-width=64,tile-height=64,compression=jpeg,Q=85]";
    const std::string good = test_images::save(detailed(128, 128, 3), "tiles-after.tif", options);
    const std::string bad = test_images::save(detailed(128, 128, 3), "tiles-bad-sof.tif", options);
    // The first tile's frame header (SOF0) says 2 bits per sample: its header does not read.
    std::string bytes;
    {
        std::ifstream in(bad, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    const size_t frame = bytes.find("\xFF\xC0");
    REQUIRE(frame != std::string::npos);
    bytes[frame + 4] = 2;
    std::ofstream(bad, std::ios::binary | std::ios::trunc) << bytes;

    const SourceInfo bad_source = probe_source(bad);
    try {
        read_tiff_region(bad, bad_source, bad_source.levels[0], {0, 0, 64, 64}, "");
        FAIL("no error");
    } catch (const IiifError& error) {
        CHECK(error.status == 422);
        CHECK(error.reason == "source image is damaged: Unsupported JPEG data precision 2");
    }
    const SourceInfo source = probe_source(good);
    const PixelRect region{0, 0, 128, 128};
    std::optional<Pixels> ours = read_tiff_region(good, source, source.levels[0], region, "");
    REQUIRE(ours);
    CHECK(mean_abs_difference(*ours, vips_region(good, 0, region)) == 0.0);
}

TEST_CASE("A BigTIFF is read as a TIFF: probed, its JPEG tiles decoded as a classic one's",
          "[tiff_tiles]") {
    const std::string options =
        "[tile,tile-width=128,tile-height=128,pyramid,compression=jpeg,Q=75";
    const std::string classic =
        test_images::save(detailed(600, 400, 3), "tiles-classic.tif", options + "]");
    const std::string big =
        test_images::save(detailed(600, 400, 3), "tiles-bigtiff.tif", options + ",bigtiff]");
    std::string header(8, '\0');
    std::ifstream(big, std::ios::binary).read(header.data(), 8);
    // Little-endian, version 43, offsets of 8 bytes.
    REQUIRE(header == std::string("II\x2B\0\x08\0\0\0", 8));

    const SourceInfo source = probe_source(big);
    CHECK(source.format == SourceFormat::tiff);
    CHECK(source.tiled);
    CHECK(source.tile_width == 128);
    REQUIRE(source.levels.size() == probe_source(classic).levels.size());
    const PixelRect region{50, 25, 200, 150};  // across tiles of level 1, 300 x 200
    std::optional<Pixels> ours = read_tiff_region(big, source, source.levels[1], region, "");
    REQUIRE(ours);
    CHECK(mean_abs_difference(*ours, vips_region(big, 1, region)) == 0.0);

    // Big-endian BigTIFF is TIFF too: this one's header leads nowhere, so it is damaged (422),
    // not some other format (415).
    const std::string big_endian = (test_images::scratch_dir() / "tiles-mm-bigtiff.tif").string();
    std::ofstream(big_endian, std::ios::binary)
        << std::string("MM\0\x2B\0\x08\0\0\0\0\0\0\0\0\0\x10garbage", 23);
    try {
        probe_source(big_endian);
        FAIL("no error");
    } catch (const IiifError& error) {
        CHECK(error.status == 422);
    }
}
