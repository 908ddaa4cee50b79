// Rendering off the event loop (ngx_http_iiif_module.c): renders run on nginx's thread pool, so
// one worker renders in parallel and serves other requests meanwhile; a full queue is refused at
// once with 503; a graceful reload waits for the renders in flight. The renders here are made
// slow on purpose: a big source without pyramid or tiles is decoded whole for any request.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "fixtures.hpp"
#include "http_client.hpp"
#include "test_images.hpp"

using integration::fetch;
using integration::fetch_concurrently;
using integration::get;
using integration::Nginx;
using integration::NginxOptions;
using integration::Request;
using integration::Response;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kMinimumSlowSeconds = 0.3;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// A render of `identifier` that no earlier request of this process has asked for, so neither
// the cache nor libvips' operation cache can answer it: full region, `n` pixels wide.
std::string slow_render(const Nginx& nginx, const std::string& identifier) {
    static std::atomic<int> width{1000};
    return nginx.url("/iiif/3/" + identifier + "/full/" + std::to_string(width++) +
                     ",/0/default.png");
}

Request get_of(std::string url) {
    return {std::move(url), {}, "GET"};
}

// Serves slow_tiff() under "slow" and returns a started nginx.
std::unique_ptr<Nginx> serve_slow(NginxOptions options, int side = 8000) {
    auto nginx = std::make_unique<Nginx>(std::move(options));
    nginx->add_image("slow.tif", fixtures::slow_tiff(side));
    nginx->start();
    REQUIRE(get(nginx->url("/iiif/3/slow/info.json")).status == 200);  // probed once, cached
    return nginx;
}

// The time of one slow render alone; REQUIREs it to be 200.
double time_one(const Nginx& nginx) {
    auto start = Clock::now();
    Response response = get(slow_render(nginx, "slow"));
    double seconds = seconds_since(start);
    REQUIRE(response.status == 200);
    return seconds;
}

}  // namespace

TEST_CASE("Renders run in parallel on the thread pool: two take less than twice one",
          "[concurrency][slow]") {
    NginxOptions options;
    options.worker_processes = 1;
    options.threads = 4;
    // Each render decodes the whole source: two at once need room for both.
    options.http_extra = "iiif_render_budget 1000m;";
    std::unique_ptr<Nginx> nginx;
    double single = 0;
    // Slow enough that the parallel speed-up is measurable; bigger if this machine is fast.
    for (int side : {8000, 12000}) {
        nginx = serve_slow(options, side);
        single = time_one(*nginx);
        if (single >= kMinimumSlowSeconds) break;
    }
    INFO("one render alone: " << single << " s");
    REQUIRE(single >= kMinimumSlowSeconds);

    // Serialised renders take twice one whatever the machine's load. Other processes can slow
    // the parallel pair down as well, so each attempt measures one render alone (the mean of
    // two, one after the other) just before the pair, and a few attempts are allowed.
    double parallel = 0;
    for (int attempt = 0; attempt < 4; ++attempt) {
        single = (time_one(*nginx) + time_one(*nginx)) / 2;
        auto start = Clock::now();
        std::vector<Response> responses = fetch_concurrently(
            {get_of(slow_render(*nginx, "slow")), get_of(slow_render(*nginx, "slow"))}, 60);
        parallel = seconds_since(start);
        REQUIRE(responses[0].status == 200);
        REQUIRE(responses[1].status == 200);
        if (parallel < 1.6 * single) break;
        WARN("attempt " << attempt + 1 << ": one render " << single << " s, two in parallel "
                        << parallel << " s (" << responses[0].seconds << " s and "
                        << responses[1].seconds << " s)");
    }
    INFO("one render alone: " << single << " s, two in parallel: " << parallel << " s");
    CHECK(parallel < 1.6 * single);
}

TEST_CASE("A static file is served at once while renders run", "[concurrency][slow]") {
    NginxOptions options;
    options.worker_processes = 1;
    options.threads = 4;
    auto nginx = serve_slow(options);

    auto renders_start = Clock::now();
    auto renders = std::async(std::launch::async, [&] {
        auto responses = fetch_concurrently(
            {get_of(slow_render(*nginx, "slow")), get_of(slow_render(*nginx, "slow"))}, 60);
        return std::pair{responses, seconds_since(renders_start)};
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the renders are under way

    auto start = Clock::now();
    Response file = get(nginx->url("/static/x.txt"));
    double file_seconds = seconds_since(start);
    double file_done = seconds_since(renders_start);
    auto [responses, renders_done] = renders.get();

    CHECK(file.status == 200);
    CHECK(file.body == "static\n");
    INFO("static file: " << file_seconds << " s; renders done after " << renders_done << " s");
    CHECK(file_seconds < 0.1);
    CHECK(file_done < renders_done);  // it really was served while they ran
    CHECK(responses[0].status == 200);
    CHECK(responses[1].status == 200);
}

TEST_CASE("A full render queue answers 503 with Retry-After at once", "[concurrency][slow]") {
    NginxOptions options;
    options.worker_processes = 1;
    options.threads = 1;
    options.max_queue = 1;
    // The thread pool's queue, not the module's admission, is what fills here.
    options.http_extra = "iiif_render_budget 1000m; iiif_render_slots 8;";
    auto nginx = serve_slow(options);

    std::vector<Request> requests;
    for (int i = 0; i < 6; ++i) requests.push_back(get_of(slow_render(*nginx, "slow")));
    std::vector<Response> responses = fetch_concurrently(requests, 60);

    int refused = 0;
    for (const Response& response : responses) {
        INFO("status " << response.status << " " << response.error
                       << (response.status == 200 ? "" : response.body));
        if (response.status == 503) {
            ++refused;
            CHECK_FALSE(response.header("Retry-After").empty());
            CHECK(response.header("Retry-After").find_first_not_of("0123456789") ==
                  std::string::npos);
            CHECK(response.header("Content-Type") == "text/plain; charset=utf-8");
            CHECK(response.header("Access-Control-Allow-Origin") == "*");
            CHECK(response.seconds < 0.5);  // refused, not queued
        } else {
            CHECK(response.status == 200);
        }
    }
    CHECK(refused >= 1);
    CHECK(refused < 6);
    CHECK_FALSE(nginx->worker_crashed());
}

TEST_CASE("A graceful reload (SIGHUP) lets a render in flight complete with 200",
          "[concurrency][slow]") {
    NginxOptions options;
    options.worker_processes = 1;
    options.threads = 4;
    auto nginx = serve_slow(options);

    std::string url = slow_render(*nginx, "slow");
    auto start = Clock::now();
    auto render = std::async(std::launch::async, [&] {
        Response response = fetch(get_of(url), 60);
        return std::pair{response, seconds_since(start)};
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    nginx->reload();
    double reloaded = seconds_since(start);
    auto [response, done] = render.get();

    INFO("SIGHUP after " << reloaded << " s, render done after " << done << " s: " << response.error
                         << response.body.substr(0, 200));
    CHECK(done > reloaded);  // it was in flight
    REQUIRE(response.status == 200);
    vips::VImage image = test_images::decode(response.body);
    CHECK(image.width() == image.height());
    CHECK(image.width() >= 1000);

    // And the new generation of workers serves.
    CHECK(get(nginx->url("/iiif/3/slow/info.json")).status == 200);
    CHECK(nginx->running());
    CHECK_FALSE(nginx->worker_crashed());
}
