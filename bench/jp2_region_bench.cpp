// bench_jp2_region: JPEG 2000 regions decoded by read_jp2_region (jp2_region.hpp) against
// libvips' jp2kload of the level and a crop, as the renderer reads them today, on one process's
// single thread. Each request is made by every side in turn, the order rotating, so the
// machine's noise falls on all of them alike.
//
//   bench_jp2_region [--tiles N] [--regions N] [--repeats N] [--pass-level L] [--mix]
//                    [--cache-mb MB] [--seed S] FILE...
//
// Sides: "libvips" (jp2kload with page = the reduce factor, random access, fail_on error, opened
// for the request, cropped and written to memory), "region" (read_jp2_region without an
// identity: exactly the region decoded, nothing kept), "blocks" (with an identity and a
// decoded_tiles() capacity of --cache-mb: the level's blocks decoded and kept).
// Workloads, each starting with an empty cache:
//   (a) per level, N random 256x256 tiles of the level on the 256-pixel grid, as a viewer asks
//       for them (OpenSeadragon with 256-pixel tiles), in random order;
//   (b) N random 1000x1000 full-resolution regions read at level 1 (500x500);
//   (c) the whole of level 3, N times (the first "blocks" read is cold, the next ones warm);
//   (d) with --pass-level L, every 256x256 tile of level L once, in random order: a viewer that
//       ends up asking for a block's neighbours too;
//   (e) with --mix, every tile of the info.json tile grid (the codestream's tiles, of each
//       level) once, all levels in one random order: one pass of the serving bench's JPEG 2000
//       tile mix.
// Output: a Markdown table per file, milliseconds per request (wall time, mean and median, and
// the process's CPU time, mean: the work done, OpenJPEG's threads included, which other load on
// the machine changes much less), and the decoded_tiles() hits and misses of the "blocks" side.
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <vector>
#include <vips/vips8>

#include "decoded_tiles.hpp"
#include "iiif_error.hpp"
#include "image_source.hpp"
#include "jp2_region.hpp"
#include "renderer.hpp"

using namespace iiif;
using vips::VImage;

namespace {

double now_ms() {
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

double cpu_ms() {
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

void libvips_region(const std::string& path, const SourceLevel& level, const PixelRect& region) {
    VImage image = VImage::jp2kload(path.c_str(), VImage::option()
                                                      ->set("page", level.page)
                                                      ->set("access", VIPS_ACCESS_RANDOM)
                                                      ->set("fail_on", VIPS_FAIL_ON_ERROR))
                       .crop(region.x, region.y, region.w, region.h);
    size_t size = 0;
    g_free(image.write_to_memory(&size));
}

void ours(const std::string& path, const SourceInfo& source, const SourceLevel& level,
          const PixelRect& region, const std::string& identity) {
    if (!read_jp2_region(path, source, level, region, identity))
        throw IiifError(500, "declined: " + path);
}

struct Request {
    const SourceLevel* level;
    PixelRect region;
};

struct Times {
    std::vector<double> ms, cpu;

    static double mean(const std::vector<double>& values) {
        return values.empty() ? 0
                              : std::accumulate(values.begin(), values.end(), 0.0) /
                                    static_cast<double>(values.size());
    }
    double median() const {
        if (ms.empty()) return 0;
        std::vector<double> sorted = ms;
        std::sort(sorted.begin(), sorted.end());
        size_t n = sorted.size();
        return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
    void time(const std::function<void()>& request) {
        const double wall = now_ms(), work = cpu_ms();
        request();
        ms.push_back(now_ms() - wall);
        cpu.push_back(cpu_ms() - work);
    }
    // The first request's times, or the next ones'.
    Times first() const { return {{ms.front()}, {cpu.front()}}; }
    Times next() const { return {{ms.begin() + 1, ms.end()}, {cpu.begin() + 1, cpu.end()}}; }
};

struct Sides {
    Times libvips, region, blocks;
    std::uint64_t hits = 0, misses = 0;
};

// Every request by every side, the order rotating; the cache emptied first.
Sides run(const std::string& path, const SourceInfo& source, const std::vector<Request>& requests,
          const std::string& identity) {
    decoded_tiles().clear();
    const std::uint64_t hits = decoded_tiles().hits(), misses = decoded_tiles().misses();
    Sides sides;
    for (size_t i = 0; i < requests.size(); ++i) {
        const Request& request = requests[i];
        std::function<void()> side[3] = {
            [&] {
                sides.libvips.time([&] { libvips_region(path, *request.level, request.region); });
            },
            [&] {
                sides.region.time([&] { ours(path, source, *request.level, request.region, ""); });
            },
            [&] {
                sides.blocks.time(
                    [&] { ours(path, source, *request.level, request.region, identity); });
            },
        };
        for (size_t k = 0; k < 3; ++k) side[(i + k) % 3]();
    }
    sides.hits = decoded_tiles().hits() - hits;
    sides.misses = decoded_tiles().misses() - misses;
    return sides;
}

std::string cell(const Times& times) {
    char text[64];
    std::snprintf(text, sizeof text, "%.1f / %.1f / %.1f", Times::mean(times.ms), times.median(),
                  Times::mean(times.cpu));
    return text;
}

void print_row(const std::string& workload, const Sides& sides) {
    std::printf("| %s | %zu | %s | %s | %s | %llu / %llu |\n", workload.c_str(),
                sides.libvips.ms.size(), cell(sides.libvips).c_str(), cell(sides.region).c_str(),
                cell(sides.blocks).c_str(), static_cast<unsigned long long>(sides.hits),
                static_cast<unsigned long long>(sides.misses));
    std::fflush(stdout);
}

// Level `level`'s tiles on the grid of `w` x `h` pixels of the level, in random order.
std::vector<Request> tiles_of(const SourceLevel& level, std::mt19937& random, int w = 256,
                              int h = 256) {
    std::vector<Request> all;
    for (int y = 0; y < level.height; y += h)
        for (int x = 0; x < level.width; x += w)
            all.push_back(
                {&level, {x, y, std::min(w, level.width - x), std::min(h, level.height - y)}});
    std::shuffle(all.begin(), all.end(), random);
    return all;
}

void bench_file(const std::string& path, int tiles, int regions, int repeats, int pass_level,
                bool mix, unsigned seed) {
    const SourceInfo source = probe_source(path);
    const std::string identity = "bench|" + path;
    std::mt19937 random(seed);
    std::printf("\n%s: %dx%d, tiles %dx%d, %zu levels\n\n", path.c_str(), source.width,
                source.height, source.tile_width, source.tile_height, source.levels.size());
    std::printf(
        "| workload | requests | libvips ms (wall mean / median / CPU mean) | region ms | "
        "blocks ms | blocks hits / misses |\n| --- | --- | --- | --- | --- | --- |\n");

    // (a) random 256-pixel tiles at each level.
    for (const SourceLevel& level : source.levels) {
        std::vector<Request> some = tiles_of(level, random);
        some.resize(std::min<size_t>(some.size(), static_cast<size_t>(tiles)));
        print_row("(a) 256 tiles, level " + std::to_string(level.page),
                  run(path, source, some, identity));
    }

    // (b) random 1000x1000 regions read at level 1.
    const SourceLevel& one = source.levels.at(1);
    std::vector<Request> at_one;
    for (int i = 0; i < regions; ++i) {
        int x = std::uniform_int_distribution<int>(0, (source.width - 1000) / 2)(random);
        int y = std::uniform_int_distribution<int>(0, (source.height - 1000) / 2)(random);
        at_one.push_back({&one, {x, y, 500, 500}});
    }
    print_row("(b) 1000x1000 at level 1", run(path, source, at_one, identity));

    // (c) the whole of level 3: the first read, then the next ones.
    const SourceLevel& three = source.levels.at(3);
    std::vector<Request> whole(static_cast<size_t>(repeats),
                               {&three, {0, 0, three.width, three.height}});
    Sides sides = run(path, source, whole, identity);
    print_row("(c) level 3 whole, all reads", sides);
    Sides first{sides.libvips.first(), sides.region.first(), sides.blocks.first()};
    Sides next{sides.libvips.next(), sides.region.next(), sides.blocks.next()};
    print_row("(c) level 3 whole, first read", first);
    print_row("(c) level 3 whole, next reads", next);

    // (d) every tile of one level.
    if (pass_level >= 0) {
        const SourceLevel& level = source.levels.at(static_cast<size_t>(pass_level));
        print_row("(d) every 256 tile, level " + std::to_string(level.page),
                  run(path, source, tiles_of(level, random), identity));
    }

    // (e) the tile mix of the image's info.json: at every level, the tiles of the codestream's
    // tile size (what info.json declares for a tiled JPEG 2000), all levels together in one
    // random order, each once.
    if (mix) {
        std::vector<Request> all;
        for (const SourceLevel& level : source.levels) {
            std::vector<Request> some =
                tiles_of(level, random, source.tile_width, source.tile_height);
            all.insert(all.end(), some.begin(), some.end());
        }
        std::shuffle(all.begin(), all.end(), random);
        print_row("(e) info.json tile mix, " + std::to_string(source.tile_width) + " tiles",
                  run(path, source, all, identity));
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"JPEG 2000 regions: read_jp2_region against libvips' jp2kload"};
    std::vector<std::string> files;
    int tiles = 24, regions = 12, repeats = 3, pass_level = -1, cache_mb = 512;
    bool mix = false;
    unsigned seed = 1;
    app.add_option("files", files, "JPEG 2000 files")->required()->check(CLI::ExistingFile);
    app.add_option("--tiles", tiles, "random 256x256 tiles per level (a)");
    app.add_option("--regions", regions, "random 1000x1000 regions at level 1 (b)");
    app.add_option("--repeats", repeats, "reads of the whole level 3 (c)")
        ->check(CLI::Range(2, 1000));
    app.add_option("--pass-level", pass_level, "every 256x256 tile of this level (d)");
    app.add_flag("--mix", mix, "every tile of the info.json tile grid at every level (e)");
    app.add_option("--cache-mb", cache_mb, "decoded_tiles() capacity of the blocks side, MiB");
    app.add_option("--seed", seed, "random seed");
    CLI11_PARSE(app, argc, argv);

    // As the module runs libvips: one thread per render.
    init_renderer(argv[0], 1);
    decoded_tiles().set_capacity(static_cast<size_t>(cache_mb) << 20);
    try {
        for (const std::string& file : files)
            bench_file(file, tiles, regions, repeats, pass_level, mix, seed);
    } catch (const IiifError& error) {
        std::fprintf(stderr, "bench_jp2_region: %d %s\n", error.status, error.reason.c_str());
        return 1;
    } catch (const vips::VError& error) {
        std::fprintf(stderr, "bench_jp2_region: libvips: %s\n", error.what());
        return 1;
    }
    return 0;
}
