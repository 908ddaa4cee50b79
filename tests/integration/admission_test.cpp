// Admission of renders by cost (ngx_http_iiif_render.c): identical requests share one render,
// a render nobody waits for is dropped or cancelled, heavy renders run within their slots and
// budget and otherwise wait briefly or get 503 with Retry-After, and light renders never wait
// behind them. The heavy renders here decode a big flat source whole (64 million pixels).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <future>
#include <thread>

#include "fixtures.hpp"
#include "http_client.hpp"
#include "proc_threads.hpp"

using integration::fetch;
using integration::fetch_concurrently;
using integration::get;
using integration::Nginx;
using integration::NginxOptions;
using integration::Request;
using integration::Response;
using Clock = std::chrono::steady_clock;

namespace {

// A render no earlier request of this process asked for: full region, a width of its own.
std::string heavy_path() {
    static std::atomic<int> width{2000};
    return "/iiif/3/slow/full/" + std::to_string(width++) + ",/0/default.png";
}

std::unique_ptr<Nginx> serve(NginxOptions options) {
    auto nginx = std::make_unique<Nginx>(std::move(options));
    nginx->add_image("slow.tif", fixtures::slow_tiff(8000));
    nginx->add_image("master.tif", fixtures::master_tiff());
    nginx->start();
    REQUIRE(get(nginx->url("/iiif/3/slow/info.json")).status == 200);  // probed, so costed
    REQUIRE(get(nginx->url("/iiif/3/master/info.json")).status == 200);
    return nginx;
}

// Sends a GET for `path` and closes the connection after `wait`, without reading.
void abandon(const Nginx& nginx, const std::string& path, std::chrono::milliseconds wait) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(nginx.port()));
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    REQUIRE(send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
    std::this_thread::sleep_for(wait);
    close(fd);
}

int count(const std::vector<std::string>& values, const std::string& value) {
    return static_cast<int>(std::count(values.begin(), values.end(), value));
}

bool is_number(const std::string& text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

TEST_CASE("Identical requests in flight share one render", "[admission][slow]") {
    auto nginx = serve({});
    const std::string path = heavy_path();
    std::vector<Request> requests(8, Request{nginx->url(path), {}, "GET"});
    std::vector<Response> responses = fetch_concurrently(requests, 60);

    for (const Response& response : responses) {
        REQUIRE(response.status == 200);
        CHECK(response.body == responses.front().body);
        CHECK(response.header("Content-Type") == "image/png");
    }
    // One request rendered; the others were answered by its render.
    const std::vector<std::string> statuses = nginx->cache_statuses(path, 8);
    REQUIRE(statuses.size() == 8);
    CHECK(count(statuses, "MISS") == 1);
    CHECK(count(statuses, "SHARED") == 7);
    // And it was stored once: the next one is a hit.
    CHECK(get(nginx->url(path)).status == 200);
    CHECK(nginx->cache_statuses(path, 9).back() == "HIT");
    CHECK_FALSE(nginx->worker_crashed());
}

TEST_CASE("A waiting render whose client has gone is dropped before it starts",
          "[admission][slow]") {
    NginxOptions options;
    options.http_extra = "iiif_render_slots 1;";
    auto nginx = serve(options);
    const std::string first = heavy_path(), dropped = heavy_path();

    auto running = std::async(std::launch::async, [&] { return fetch({nginx->url(first), {}, "GET"}, 60); });
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // `first` holds the slot
    abandon(*nginx, dropped, std::chrono::milliseconds(100));      // queued, then gone
    REQUIRE(running.get().status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // time it would have run

    // Never rendered, so never stored: asked again, it is rendered now.
    Response again = fetch({nginx->url(dropped), {}, "GET"}, 60);
    CHECK(again.status == 200);
    CHECK(nginx->cache_statuses(dropped, 2) == std::vector<std::string>{"-", "MISS"});
    CHECK_FALSE(nginx->worker_crashed());
}

TEST_CASE("A running render whose only client has gone is cancelled and stores nothing",
          "[admission][slow]") {
    auto nginx = serve({});
    const std::string path = heavy_path();
    abandon(*nginx, path, std::chrono::milliseconds(200));  // gone while it renders
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));

    Response again = fetch({nginx->url(path), {}, "GET"}, 60);
    CHECK(again.status == 200);
    CHECK(nginx->cache_statuses(path, 2) == std::vector<std::string>{"-", "MISS"});
    CHECK_FALSE(nginx->worker_crashed());
}

TEST_CASE("Heavy renders beyond their slots and queue get 503 with Retry-After at once",
          "[admission][slow]") {
    NginxOptions options;
    options.http_extra = "iiif_render_slots 1; iiif_render_queue 1;";
    auto nginx = serve(options);
    std::vector<Request> requests;
    for (int i = 0; i < 3; ++i) requests.push_back({nginx->url(heavy_path()), {}, "GET"});
    std::vector<Response> responses = fetch_concurrently(requests, 60);

    int served = 0, refused = 0;
    for (const Response& response : responses) {
        if (response.status == 200) {
            ++served;
            continue;
        }
        INFO(response.status << " " << response.body);
        REQUIRE(response.status == 503);
        ++refused;
        CHECK(is_number(response.header("Retry-After")));
        CHECK(response.header("Access-Control-Allow-Origin") == "*");
        CHECK(response.seconds < 0.5);  // refused, not queued
    }
    CHECK(served == 2);  // one running, one waiting for it
    CHECK(refused == 1);
    CHECK_FALSE(nginx->worker_crashed());
}

TEST_CASE("A heavy render that waits longer than the queue timeout gets 503 with Retry-After",
          "[admission][slow]") {
    NginxOptions options;
    options.http_extra = "iiif_render_slots 1; iiif_render_queue_timeout 200ms;";
    auto nginx = serve(options);
    const std::string first = heavy_path();
    auto start = Clock::now();
    auto running = std::async(std::launch::async, [&] { return fetch({nginx->url(first), {}, "GET"}, 60); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Response waited = fetch({nginx->url(heavy_path()), {}, "GET"}, 60);
    const double waited_done = std::chrono::duration<double>(Clock::now() - start).count();
    Response ran = running.get();
    const double ran_done = std::chrono::duration<double>(Clock::now() - start).count();

    CHECK(ran.status == 200);
    REQUIRE(waited.status == 503);
    CHECK(is_number(waited.header("Retry-After")));
    CHECK(waited.seconds >= 0.15);  // it did wait for its turn
    INFO("refused after " << waited_done << " s, the first done after " << ran_done << " s");
    CHECK(waited_done < ran_done);
    CHECK_FALSE(nginx->worker_crashed());
}

TEST_CASE("A light render does not wait behind heavy ones", "[admission][slow]") {
    NginxOptions options;
    options.threads = 2;
    options.http_extra = "iiif_render_slots 1;";
    auto nginx = serve(options);
    std::vector<Request> heavy;
    for (int i = 0; i < 3; ++i) heavy.push_back({nginx->url(heavy_path()), {}, "GET"});
    auto start = Clock::now();
    auto renders = std::async(std::launch::async, [&] {
        auto responses = fetch_concurrently(heavy, 60);
        return std::pair{responses, std::chrono::duration<double>(Clock::now() - start).count()};
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // one runs, two wait

    // An uncached tile of the pyramid: a few hundred thousand pixels.
    const std::string tile = "/iiif/3/master/0,0,256,256/256,/0/default.jpg";
    Response light = get(nginx->url(tile));
    const double light_done = std::chrono::duration<double>(Clock::now() - start).count();
    auto [responses, heavy_done] = renders.get();

    CHECK(light.status == 200);
    CHECK(nginx->cache_statuses(tile, 1) == std::vector<std::string>{"MISS"});
    INFO("tile: " << light.seconds << " s; heavy renders done after " << heavy_done << " s");
    CHECK(light.seconds < 0.5);
    CHECK(light_done < heavy_done);
    for (const Response& response : responses) CHECK(response.status == 200);
    CHECK_FALSE(nginx->worker_crashed());
}


TEST_CASE("Render threads yield to the event loop: they run niced, the worker's loop does not",
          "[admission]") {
    NginxOptions options;
    options.threads = 2;
    auto nginx = serve(options);
    const std::vector<pid_t> workers = nginx->worker_pids();
    REQUIRE(workers.size() == 1);
    // Both threads of the pool have rendered by now (two info.json probes, then these).
    std::vector<Request> requests;
    for (int i = 0; i < 4; ++i) requests.push_back({nginx->url(heavy_path()), {}, "GET"});
    for (const Response& response : fetch_concurrently(requests, 60))
        REQUIRE(response.status == 200);

    const std::map<pid_t, int> nice = test_proc::thread_nice(workers.front());
    REQUIRE(nice.count(workers.front()) == 1);
    const int base = nice.at(workers.front());  // the event loop: nginx's own niceness
    REQUIRE(base <= 18);
    const int render_nice = std::min(base + 10, 19);
    // Every other thread works for renders: the pool's, and libvips' threads they started,
    // which inherit their priority.
    int niced = 0;
    for (const auto& [tid, value] : nice)
        if (value == render_nice) ++niced;
    INFO(nice.size() << " threads");
    CHECK(niced == static_cast<int>(nice.size()) - 1);
    CHECK(niced >= 2);
    CHECK_FALSE(nginx->worker_crashed());
}
