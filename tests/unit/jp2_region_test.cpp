// JPEG 2000 regions decoded with OpenJPEG directly (jp2_region.hpp), checked against libvips'
// jp2kload of the same level, cropped: files made here by libvips' jp2ksave, lossless and lossy,
// tiled and untiled, odd-sized, at every level and over regions that meet the level's edges.
#include "jp2_region.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "iiif_error.hpp"
#include "image_source.hpp"
#include "test_images.hpp"

using namespace iiif;
using vips::VImage;

namespace {

constexpr int kWidth = 1003, kHeight = 757;

// Gradients and noise: a photograph's texture, so lossy coding has work to do. Seeded, so every
// run codes the same picture.
VImage picture(int bands) {
    VImage xy = VImage::xyz(kWidth, kHeight);
    VImage noise =
        VImage::gaussnoise(kWidth, kHeight, VImage::option()->set("sigma", 30)->set("seed", 7)) +
        128;
    std::vector<VImage> channels = {xy[0] * (255.0 / kWidth), xy[1] * (255.0 / kHeight), noise,
                                    (xy[0] + xy[1]) * (255.0 / (kWidth + kHeight))};
    VImage rgba = VImage::bandjoin(channels).cast(VIPS_FORMAT_UCHAR);
    if (bands >= 3)
        return rgba.extract_band(0, VImage::option()->set("n", bands))
            .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
    VImage grey = (rgba[0] / 2 + rgba[2] / 2).cast(VIPS_FORMAT_UCHAR);
    if (bands == 2) grey = grey.bandjoin(rgba[3]);
    return grey.copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_B_W));
}

struct Jp2Case {
    const char* name;
    int bands;
    const char* options;
};
// Tiles of 256 and 512; "untiled" is one tile larger than the picture.
constexpr Jp2Case kLossless[] = {
    {"lossless-rgb-256.jp2", 3, "[lossless,tile-width=256,tile-height=256]"},
    {"lossless-rgba-512.jp2", 4, "[lossless,tile-width=512,tile-height=512]"},
    {"lossless-grey-untiled.jp2", 1, "[lossless,tile-width=1024,tile-height=1024]"},
};
constexpr Jp2Case kLossy[] = {
    {"lossy-rgb-512.jp2", 3, "[Q=45,tile-width=512,tile-height=512]"},
    {"lossy-rgb-untiled.jp2", 3, "[Q=45,tile-width=1024,tile-height=1024]"},
    {"lossy-grey-alpha-256.jp2", 2, "[Q=45,tile-width=256,tile-height=256]"},
};

std::string saved(const Jp2Case& c) {
    return test_images::save(picture(c.bands), c.name, c.options);
}

// libvips' pixels for level `page`.
Pixels libvips_level(const std::string& path, int page) {
    VImage level = VImage::jp2kload(path.c_str(), VImage::option()->set("page", page));
    Pixels pixels(level.width(), level.height(), level.bands());
    size_t size = 0;
    void* memory = level.write_to_memory(&size);
    REQUIRE(size == pixels.byte_size());
    std::copy_n(static_cast<const std::uint8_t*>(memory), size, pixels.data.get());
    g_free(memory);
    return pixels;
}

Pixels crop(const Pixels& pixels, const PixelRect& region) {
    Pixels out(region.w, region.h, pixels.bands);
    for (int y = 0; y < region.h; ++y)
        std::copy_n(pixels.row(region.y + y) + static_cast<size_t>(region.x) * pixels.bands,
                    out.row_bytes(), out.row(y));
    return out;
}

// Regions of a w x h level: all of it, an interior one, one at the right and bottom edges, a
// column and a row one pixel wide, the last pixel, and the block-aligned square at (256, 256).
std::vector<PixelRect> regions_of(int w, int h) {
    std::vector<PixelRect> regions = {
        {0, 0, w, h},
        {w / 3, h / 4, std::max(1, w / 3), std::max(1, h / 2)},
        {std::max(0, w - 150), std::max(0, h - 100), std::min(w, 150), std::min(h, 100)},
        {w / 2, 0, 1, h},
        {0, h / 2, w, 1},
        {w - 1, h - 1, 1, 1},
    };
    if (w >= 512 && h >= 512) regions.push_back({256, 256, 256, 256});
    return regions;
}

struct Difference {
    double mean = 0;  // mean absolute difference per sample
    int max = 0;
};
Difference difference(const Pixels& a, const Pixels& b) {
    REQUIRE(a.width == b.width);
    REQUIRE(a.height == b.height);
    REQUIRE(a.bands == b.bands);
    Difference d;
    std::uint64_t sum = 0;
    for (size_t i = 0; i < a.byte_size(); ++i) {
        int e = std::abs(int{a.data[i]} - int{b.data[i]});
        sum += static_cast<std::uint64_t>(e);
        d.max = std::max(d.max, e);
    }
    d.mean = static_cast<double>(sum) / static_cast<double>(a.byte_size());
    return d;
}

// Sets decoded_tiles()' capacity for a test, and puts it back empty as it was.
struct CacheCapacity {
    size_t before = decoded_tiles().capacity();
    explicit CacheCapacity(size_t bytes) {
        decoded_tiles().clear();
        decoded_tiles().set_capacity(bytes);
    }
    ~CacheCapacity() {
        decoded_tiles().clear();
        decoded_tiles().set_capacity(before);
    }
};

// Every level and region of `c`, decoded with nothing kept and then block by block through the
// cache; the largest mean and per-sample differences from libvips seen.
Difference worst_difference(const std::string& path, int bands) {
    SourceInfo source = probe_source(path);
    REQUIRE(source.levels.size() == 4);  // jp2ksave: log2(757) - 5 resolution levels
    Difference worst;
    for (size_t kept : {size_t{0}, size_t{64} << 20}) {
        CacheCapacity capacity(kept);
        for (const SourceLevel& level : source.levels) {
            const Pixels theirs = libvips_level(path, level.page);
            for (const PixelRect& region : regions_of(level.width, level.height)) {
                INFO(path << " page " << level.page << " region " << region.x << "," << region.y
                          << "," << region.w << "," << region.h << " cache " << kept);
                std::optional<Pixels> ours =
                    read_jp2_region(path, source, level, region, "id:" + path);
                REQUIRE(ours);
                REQUIRE(ours->bands == bands);
                Difference d = difference(*ours, crop(theirs, region));
                worst.mean = std::max(worst.mean, d.mean);
                worst.max = std::max(worst.max, d.max);
            }
        }
    }
    return worst;
}

std::string read_bytes(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

std::string write_bytes(const std::string& name, const std::string& bytes) {
    std::string path = (test_images::scratch_dir() / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

// The JP2 at `path` with its colr box's content from byte 0 (METH) on replaced by `content`.
std::string with_colour_box(const std::string& path, const std::string& name,
                            const std::string& content) {
    std::string bytes = read_bytes(path);
    size_t colr = bytes.find("colr");
    REQUIRE(colr != std::string::npos);
    bytes.replace(colr + 4, content.size(), content);
    return write_bytes(name, bytes);
}

std::optional<Pixels> read_all(const std::string& path, size_t page = 0,
                               const std::string& identity = "") {
    SourceInfo source = probe_source(path);
    const SourceLevel& level = source.levels.at(page);
    return read_jp2_region(path, source, level, {0, 0, level.width, level.height}, identity);
}

}  // namespace

TEST_CASE("A lossless JPEG 2000 region is libvips' decode of it, sample for sample",
          "[jp2_region]") {
    for (const Jp2Case& c : kLossless) {
        INFO(c.name);
        Difference d = worst_difference(saved(c), c.bands);
        CHECK(d.max == 0);
    }
}

TEST_CASE("A raw JPEG 2000 codestream, without JP2 boxes, is read as RGB", "[jp2_region]") {
    // The codestream of a JP2 is its jp2c box's content, to the end of the file here.
    std::string jp2 = read_bytes(saved(kLossless[0]));
    size_t box = jp2.find("jp2c");
    REQUIRE(box != std::string::npos);
    std::string j2k = write_bytes("raw.j2k", jp2.substr(box + 4));
    Difference d = worst_difference(j2k, 3);
    CHECK(d.max == 0);
}

TEST_CASE("A lossy JPEG 2000 region is libvips' decode of it", "[jp2_region]") {
    // Both are OpenJPEG's decode of the same code-blocks, whether a whole tile or an area of it
    // is asked for: measured identical (mean 0, max 0) with OpenJPEG 2.5.0. The bound leaves
    // room for a rounding difference in a partial inverse wavelet transform, no more.
    for (const Jp2Case& c : kLossy) {
        INFO(c.name);
        Difference d = worst_difference(saved(c), c.bands);
        CHECK(d.mean <= 0.01);
        CHECK(d.max <= 1);
    }
}

TEST_CASE("A JPEG 2000 that is not 8-bit unsubsampled sRGB or grey is left to libvips",
          "[jp2_region]") {
    VImage rgb = picture(3);
    std::string sixteen = test_images::save(
        (rgb.cast(VIPS_FORMAT_USHORT) * 256)
            .cast(VIPS_FORMAT_USHORT)
            .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_RGB16)),
        "sixteen.jp2", "[lossless,tile-width=256,tile-height=256]");
    std::string subsampled = test_images::save(
        rgb, "subsampled.jp2", "[Q=45,subsample-mode=on,tile-width=256,tile-height=256]");
    std::string signed_grey =
        test_images::save((picture(1) - 128).cast(VIPS_FORMAT_CHAR), "signed.jp2", "[lossless]");
    std::string plain = saved(kLossless[0]);
    // METH 1, EnumCS 18: sYCC; METH 2: an ICC profile (the 4 bytes left as its "profile").
    std::string sycc =
        with_colour_box(plain, "sycc.jp2", std::string("\x01\x00\x00\x00\x00\x00\x12", 7));
    std::string icc = with_colour_box(plain, "icc.jp2", std::string("\x02\x00\x00", 3));
    for (const std::string& path : {sixteen, subsampled, signed_grey, sycc, icc}) {
        INFO(path);
        CHECK_FALSE(read_all(path));
    }
    CHECK(read_all(plain));
}

TEST_CASE("A truncated JPEG 2000 is a damaged source, 422", "[jp2_region]") {
    const std::string intact = saved(kLossy[0]);
    const SourceInfo source = probe_source(intact);
    const SourceLevel& level = source.levels[0];
    const std::string whole = read_bytes(intact);
    // Cut in the tiles' data, and in the codestream's main header (40 bytes into SIZ).
    const size_t cuts[] = {whole.size() * 6 / 10, whole.find("jp2c") + 4 + 40};
    for (size_t cut : cuts) {
        std::string truncated = write_bytes("truncated.jp2", whole.substr(0, cut));
        for (size_t kept : {size_t{0}, size_t{64} << 20}) {
            CacheCapacity capacity(kept);
            INFO("cut at " << cut << ", cache " << kept);
            try {
                read_jp2_region(truncated, source, level, {0, 0, level.width, level.height},
                                "id:truncated");
                FAIL("no error");
            } catch (const IiifError& error) {
                CHECK(error.status == 422);
                CHECK(error.reason.rfind("source image is damaged: ", 0) == 0);
            }
        }
    }
}

TEST_CASE("A JPEG 2000 region read again comes from the decoded blocks kept", "[jp2_region]") {
    CacheCapacity capacity(64 << 20);
    std::string path =
        test_images::save(picture(3), "kept.jp2", "[Q=45,tile-width=256,tile-height=256]");
    SourceInfo source = probe_source(path);
    const SourceLevel& level = source.levels[0];
    // Across the four 128-pixel blocks around (256, 256).
    const PixelRect region{200, 180, 150, 200};
    std::optional<Pixels> first = read_jp2_region(path, source, level, region, "id:kept");
    REQUIRE(first);
    CHECK(decoded_tiles().entries() == 4);
    CHECK(decoded_tiles().bytes() == 4 * 128 * 128 * 3);
    const std::uint64_t hits = decoded_tiles().hits();
    // The file gone, the kept blocks still answer.
    std::filesystem::remove(path);
    std::optional<Pixels> second = read_jp2_region(path, source, level, region, "id:kept");
    REQUIRE(second);
    CHECK(decoded_tiles().hits() == hits + 4);
    Difference d = difference(*first, *second);
    CHECK(d.max == 0);
}

TEST_CASE("A JPEG 2000 region without the source's identity is not kept", "[jp2_region]") {
    CacheCapacity capacity(64 << 20);
    std::string path = saved(kLossless[0]);
    CHECK(read_all(path, 1));
    CHECK(decoded_tiles().entries() == 0);
    CHECK(read_all(path, 1, "id:levels"));
    // Level 1 of 1003 x 757 is 502 x 379: 4 x 3 blocks of 128 pixels.
    CHECK(decoded_tiles().entries() == 12);
}

TEST_CASE("JPEG 2000 regions read from several threads at once are those read alone",
          "[jp2_region]") {
    std::string path = saved(kLossy[2]);
    SourceInfo source = probe_source(path);
    struct Read {
        const SourceLevel* level;
        PixelRect region;
    };
    std::vector<Read> reads;
    for (const SourceLevel& level : source.levels)
        for (const PixelRect& region : regions_of(level.width, level.height))
            reads.push_back({&level, region});
    std::vector<Pixels> alone;
    for (const Read& read : reads)
        alone.push_back(*read_jp2_region(path, source, *read.level, read.region, ""));

    // Four threads over the same blocks, each from its own starting point: some decode a block,
    // others wait for it.
    CacheCapacity capacity(64 << 20);
    constexpr int kThreads = 4;
    std::vector<std::vector<std::optional<Pixels>>> seen(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            seen[t].resize(reads.size());
            for (size_t k = 0; k < reads.size(); ++k) {
                size_t i = (k + t * reads.size() / kThreads) % reads.size();
                seen[t][i] =
                    read_jp2_region(path, source, *reads[i].level, reads[i].region, "id:threads");
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    for (int t = 0; t < kThreads; ++t) {
        for (size_t i = 0; i < reads.size(); ++i) {
            INFO("thread " << t << " read " << i);
            REQUIRE(seen[t][i]);
            CHECK(difference(*seen[t][i], alone[i]).max == 0);
        }
    }
}
