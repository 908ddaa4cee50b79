// The pyramidal TIFF masters iiifd writes (tiff_master.hpp): their layout as libtiff reads it,
// their pixels at every level against libvips' own reduction of the source, and their tiles
// passed through as JPEG with YCbCr 4:2:0, as small as a viewer expects.
#include "tiff_master.hpp"

#include <tiffio.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "image_plan.hpp"
#include "image_request.hpp"
#include "image_source.hpp"
#include "renderer.hpp"
#include "test_images.hpp"
#include "tile_passthrough.hpp"

using namespace iiif;
using iiifd::write_tiff_master;
using test_images::decode;
using test_images::near;
using test_images::pixel_at;
using test_images::quadrants;

namespace {

struct TiffCloser {
    void operator()(TIFF* tiff) const { TIFFClose(tiff); }
};

struct Directory {
    uint32_t width = 0, height = 0, tile_width = 0, tile_height = 0, subfile = 0;
    uint16_t compression = 0, photometric = 0, samples = 0, sub_x = 0, sub_y = 0;
};

std::vector<Directory> directories(const std::string& path) {
    std::unique_ptr<TIFF, TiffCloser> tiff(TIFFOpen(path.c_str(), "rm"));
    REQUIRE(tiff);
    std::vector<Directory> found;
    do {
        Directory d;
        TIFF* t = tiff.get();
        TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &d.width);
        TIFFGetField(t, TIFFTAG_IMAGELENGTH, &d.height);
        TIFFGetField(t, TIFFTAG_TILEWIDTH, &d.tile_width);
        TIFFGetField(t, TIFFTAG_TILELENGTH, &d.tile_height);
        TIFFGetFieldDefaulted(t, TIFFTAG_SUBFILETYPE, &d.subfile);
        TIFFGetField(t, TIFFTAG_COMPRESSION, &d.compression);
        TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &d.photometric);
        TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &d.samples);
        if (d.photometric == PHOTOMETRIC_YCBCR)
            TIFFGetFieldDefaulted(t, TIFFTAG_YCBCRSUBSAMPLING, &d.sub_x, &d.sub_y);
        found.push_back(d);
    } while (TIFFReadDirectory(tiff.get()));
    return found;
}

std::string master_of(const vips::VImage& image, const std::string& name, int tile = 256) {
    const std::string path = (test_images::scratch_dir() / name).string();
    write_tiff_master(image, path, {90, tile, false});
    return path;
}

// The sampling factors of each component in the frame header (SOF) of a JPEG stream: "22 11 11"
// for YCbCr 4:2:0.
std::string sampling_factors(const std::string& jpeg) {
    for (size_t at = 2; at + 4 <= jpeg.size() && static_cast<unsigned char>(jpeg[at]) == 0xFF;) {
        const auto marker = static_cast<unsigned char>(jpeg[at + 1]);
        const size_t length = (static_cast<unsigned char>(jpeg[at + 2]) << 8) |
                              static_cast<unsigned char>(jpeg[at + 3]);
        if (marker == 0xC0 || marker == 0xC1 || marker == 0xC2) {
            const int components = static_cast<unsigned char>(jpeg[at + 9]);
            std::string factors;
            for (int c = 0; c < components; ++c) {
                char hex[4];
                std::snprintf(hex, sizeof hex, "%02x",
                              static_cast<unsigned char>(jpeg[at + 10 + 3 * c + 1]));
                factors += (c ? " " : "") + std::string(hex);
            }
            return factors;
        }
        at += 2 + length;
    }
    return "";
}

// Mean absolute difference per sample of two images of the same size.
double mean_difference(const vips::VImage& a, const vips::VImage& b) {
    return (a.cast(VIPS_FORMAT_FLOAT) - b.cast(VIPS_FORMAT_FLOAT)).abs().avg();
}

}  // namespace

TEST_CASE(
    "a colour master is tiled JPEG in YCbCr 4:2:0, each level half the one before until "
    "one tile holds it",
    "[tiff_master]") {
    const std::string path = master_of(quadrants(1000, 700), "colour.tif");
    const std::vector<Directory> levels = directories(path);
    REQUIRE(levels.size() == 3);
    const uint32_t sizes[][2] = {{1000, 700}, {500, 350}, {250, 175}};
    for (size_t i = 0; i < levels.size(); ++i) {
        INFO("level " << i);
        CHECK(levels[i].width == sizes[i][0]);
        CHECK(levels[i].height == sizes[i][1]);
        CHECK(levels[i].tile_width == 256);
        CHECK(levels[i].tile_height == 256);
        CHECK(levels[i].subfile == (i == 0 ? 0u : static_cast<uint32_t>(FILETYPE_REDUCEDIMAGE)));
        CHECK(levels[i].compression == COMPRESSION_JPEG);
        CHECK(levels[i].photometric == PHOTOMETRIC_YCBCR);
        CHECK(levels[i].samples == 3);
        CHECK(levels[i].sub_x == 2);
        CHECK(levels[i].sub_y == 2);
    }
    const SourceInfo source = probe_source(path);
    CHECK(source.tiled);
    CHECK(source.tile_width == 256);
    REQUIRE(source.levels.size() == 3);
    CHECK(source.levels[2].scale_factor == 4);
}

TEST_CASE("odd sizes round each level up, as ceil(full / 2^n)", "[tiff_master]") {
    const std::vector<Directory> levels =
        directories(master_of(quadrants(1001, 513), "odd.tif", 128));
    REQUIRE(levels.size() == 4);
    CHECK(levels[1].width == 501);
    CHECK(levels[1].height == 257);
    CHECK(levels[2].width == 251);
    CHECK(levels[2].height == 129);
    CHECK(levels[3].width == 126);
    CHECK(levels[3].height == 65);
}

TEST_CASE("a grey master keeps one sample, and 512 tiles when asked", "[tiff_master]") {
    const vips::VImage grey = quadrants(1200, 900).colourspace(VIPS_INTERPRETATION_B_W);
    const std::vector<Directory> levels = directories(master_of(grey, "grey.tif", 512));
    REQUIRE(levels.size() == 3);
    CHECK(levels[0].tile_width == 512);
    CHECK(levels[0].photometric == PHOTOMETRIC_MINISBLACK);
    CHECK(levels[0].samples == 1);
    CHECK(levels[1].width == 600);
    CHECK(levels[1].height == 450);
    CHECK(levels[2].width == 300);
    CHECK(levels[2].height == 225);
}

TEST_CASE("every level of a master holds the source's pixels, reduced as libvips reduces them",
          "[tiff_master]") {
    // Flat colours with sharp edges between them: JPEG at Q 90 and 4:2:0 stay close on average.
    const vips::VImage source = quadrants(1000, 700);
    const std::string path = master_of(source, "pixels.tif");
    for (int page = 0; page < 3; ++page) {
        INFO("page " << page);
        const vips::VImage level =
            vips::VImage::new_from_file(path.c_str(), vips::VImage::option()->set("page", page));
        const vips::VImage expected =
            page == 0 ? source : source.shrink(1 << page, 1 << page).cast(VIPS_FORMAT_UCHAR);
        REQUIRE(level.width() == expected.width());
        REQUIRE(level.height() == expected.height());
        CHECK(level.bands() == 3);
        CHECK(mean_difference(level, expected) < 2.0);
    }
}

TEST_CASE("a master's interior tile passes through as a JPEG in YCbCr 4:2:0 of the right colours",
          "[tiff_master]") {
    const std::string path = master_of(quadrants(1024, 1024), "passthrough.tif");
    const SourceInfo source = probe_source(path);
    const IiifPath parsed = parse_iiif_path(ApiVersion::v3, "id/512,0,256,256/256,/0/default.jpg");
    const ImagePlan plan = plan_image(parsed.image, source.width, source.height, {});
    const SourceLevel& level = choose_level(source, plan);
    REQUIRE(level.scale_factor == 1);
    const auto native = native_tile_jpeg(path, source, level, plan);
    REQUIRE(native);
    CHECK(sampling_factors(*native) == "22 11 11");
    const vips::VImage tile = decode(*native);
    CHECK(tile.width() == 256);
    CHECK(tile.height() == 256);
    CHECK(near(pixel_at(*native, 128, 128), test_images::kGreen, 8));
    // libvips' own Q 90 tiles of the same pixels are RGB, without subsampling: larger.
    const std::string rgb =
        test_images::save(quadrants(1024, 1024), "rgb-q90.tif",
                          "[tile,pyramid,compression=jpeg,Q=90,tile-width=256,tile-height=256]");
    const auto rgb_native = native_tile_jpeg(rgb, probe_source(rgb), level, plan);
    REQUIRE(rgb_native);
    CHECK(sampling_factors(*rgb_native) == "11 11 11");
}

TEST_CASE("a BigTIFF master, as written past 1 GiB of pixels, is probed and its tiles served",
          "[tiff_master]") {
    const std::string path = (test_images::scratch_dir() / "bigtiff-master.tif").string();
    write_tiff_master(quadrants(1024, 1024), path, {90, 256, true});
    std::string header(4, '\0');
    std::ifstream(path, std::ios::binary).read(header.data(), 4);
    REQUIRE(header == std::string("II\x2B\0", 4));

    const SourceInfo source = probe_source(path);
    CHECK(source.format == SourceFormat::tiff);
    CHECK(source.tiled);
    CHECK(source.tile_width == 256);
    REQUIRE(source.levels.size() == 3);
    CHECK(source.levels[2].scale_factor == 4);
    const IiifPath parsed = parse_iiif_path(ApiVersion::v3, "id/512,0,256,256/256,/0/default.jpg");
    const ImagePlan plan = plan_image(parsed.image, source.width, source.height, {});
    const auto native = native_tile_jpeg(path, source, choose_level(source, plan), plan);
    REQUIRE(native);
    CHECK(sampling_factors(*native) == "22 11 11");
    CHECK(near(pixel_at(*native, 128, 128), test_images::kGreen, 8));
}
