// bench_render: render_image in a loop, without nginx, on a few threads that share one process's
// decoded-tile cache as an nginx worker's render threads do: the CPU time of a render, for the
// workloads of the serving bench that no tile cache answers.
//
//   bench_render [--threads N] [--seconds S] [--cache-mb MB] [--quality Q] [--seed S]
//                [--workload full|regions|all] FILE
//
// Workloads: "full", full/1000,/0/default.jpg again and again; "regions", random
// x,y,1000,1000/500,/0/default.jpg (x and y uniform over the image). Each runs for --seconds
// after one unmeasured second of warm-up (the decoded-tile cache filled as a running server's
// is). Output per workload: renders, renders per second of wall time, and CPU milliseconds per
// render (the threads' own CPU time: what other load on the machine changes least).
#include <time.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "decoded_tiles.hpp"
#include "iiif_error.hpp"
#include "image_plan.hpp"
#include "image_request.hpp"
#include "image_source.hpp"
#include "renderer.hpp"

using namespace iiif;

namespace {

double thread_cpu_ms() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

std::string region_path(const SourceInfo& source, std::mt19937& random) {
    const int x = std::uniform_int_distribution<int>(0, source.width - 1000)(random);
    const int y = std::uniform_int_distribution<int>(0, source.height - 1000)(random);
    return "img/" + std::to_string(x) + "," + std::to_string(y) + ",1000,1000/500,/0/default.jpg";
}

struct Totals {
    std::atomic<long> renders{0};
    std::atomic<long> bytes{0};
    std::atomic<long long> cpu_us{0};
};

void worker(const std::string& file, const SourceInfo& source, const std::string& workload,
            const RenderOptions& options, unsigned seed, const std::atomic<int>& phase,
            Totals& totals) {
    std::mt19937 random(seed);
    long renders = 0, bytes = 0;
    double cpu = 0;
    while (phase.load() < 2) {
        const bool measured = phase.load() == 1;
        const std::string path =
            workload == "full" ? "img/full/1000,/0/default.jpg" : region_path(source, random);
        const double start = thread_cpu_ms();
        const IiifPath parsed = parse_iiif_path(ApiVersion::v3, path);
        const ImagePlan plan = plan_image(parsed.image, source.width, source.height, {});
        const RenderedImage image = render_image(file, source, plan, options, "bench|" + file);
        if (measured) {
            cpu += thread_cpu_ms() - start;
            ++renders;
            bytes += static_cast<long>(image.bytes.size());
        }
    }
    totals.renders += renders;
    totals.bytes += bytes;
    totals.cpu_us += static_cast<long long>(cpu * 1e3);
}

void run(const std::string& file, const SourceInfo& source, const std::string& workload,
         const RenderOptions& options, int threads, double seconds, unsigned seed) {
    std::atomic<int> phase{0};
    Totals totals;
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i)
        pool.emplace_back(worker, std::cref(file), std::cref(source), std::cref(workload),
                          std::cref(options), seed + static_cast<unsigned>(i), std::cref(phase),
                          std::ref(totals));
    std::this_thread::sleep_for(std::chrono::seconds(1));
    phase = 1;
    const auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    phase = 2;
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (std::thread& thread : pool) thread.join();
    const long renders = totals.renders.load();
    std::printf("| %s | %d | %ld | %.0f | %.3f | %.1f |\n", workload.c_str(), threads, renders,
                static_cast<double>(renders) / wall,
                static_cast<double>(totals.cpu_us.load()) / 1e3 / static_cast<double>(renders),
                static_cast<double>(totals.bytes.load()) / 1024.0 / static_cast<double>(renders));
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"render_image in a loop: CPU time per uncached render"};
    std::string file, workload = "all";
    int threads = 2, cache_mb = 96, quality = 85;
    double seconds = 5;
    unsigned seed = 1;
    app.add_option("file", file, "a tiled TIFF")->required()->check(CLI::ExistingFile);
    app.add_option("--threads", threads, "render threads");
    app.add_option("--seconds", seconds, "measured seconds per workload");
    app.add_option("--cache-mb", cache_mb, "decoded_tiles() capacity, MiB (the module's 96)");
    app.add_option("--quality", quality, "JPEG quality (the module's 85)");
    app.add_option("--workload", workload, "full, regions or all");
    app.add_option("--seed", seed, "random seed");
    CLI11_PARSE(app, argc, argv);

    init_renderer(argv[0], 1);
    decoded_tiles().set_capacity(static_cast<size_t>(cache_mb) << 20);
    RenderOptions options;
    options.jpeg_quality = quality;
    try {
        const SourceInfo source = probe_source(file);
        std::printf(
            "| workload | threads | renders | renders/s (wall) | CPU ms/render | KB |\n"
            "| --- | ---: | ---: | ---: | ---: | ---: |\n");
        for (const char* name : {"full", "regions"})
            if (workload == "all" || workload == name)
                run(file, source, name, options, threads, seconds, seed);
    } catch (const IiifError& error) {
        std::fprintf(stderr, "bench_render: %d %s\n", error.status, error.reason.c_str());
        return 1;
    }
    return 0;
}
