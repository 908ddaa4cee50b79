// The module's metrics (`location = /iiif-metrics { iiif_metrics; }`, ngx_http_iiif_metrics.c):
// Prometheus' text format, every counter summed over the workers through shared memory, after
// known sequences of requests; what the location answers and what the configuration refuses.
#include <sys/types.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "catalog.hpp"
#include "catalog_fixture.hpp"
#include "fixtures.hpp"
#include "http_client.hpp"
#include "test_images.hpp"
#include "tile_cache.hpp"

using integration::fetch_concurrently;
using integration::get;
using integration::Nginx;
using integration::NginxOptions;
using integration::Request;
using integration::Response;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kMetricsLocation = R"(location = /iiif-metrics {
            iiif_metrics;
            allow 127.0.0.1;
            deny all;
        })";

const std::string kInfo = "/iiif/3/master/info.json";
const std::string kTileA = "/iiif/3/master/0,0,256,256/256,/0/default.jpg";
const std::string kTileB = "/iiif/3/master/256,0,256,256/256,/0/default.jpg";

const std::vector<std::string> kKinds = {"tile", "info", "manifest", "resolver"};
const std::vector<std::string> kStatuses = {"200", "204", "206", "302", "303", "304", "400",
                                            "401", "403", "404", "405", "410", "412", "415",
                                            "416", "422", "499", "500", "501", "503", "other"};

// Two workers, each with a listening socket of its own (reuseport), so that the connections of
// a test go to both, and the metrics location.
NginxOptions metrics_options() {
    NginxOptions options;
    options.worker_processes = 2;
    options.listen_options = " reuseport";
    options.server_extra = kMetricsLocation;
    return options;
}

// One scrape: each sample's value by its name and labels, as written.
struct Scrape {
    Response response;
    std::map<std::string, std::string> samples;
    std::vector<std::string> types;  // "name type", in order

    // The value of a sample, "" when it is absent.
    std::string operator[](const std::string& sample) const {
        auto found = samples.find(sample);
        return found == samples.end() ? "" : found->second;
    }
    long long requests() const {
        long long total = 0;
        for (const auto& [sample, value] : samples)
            if (sample.rfind("iiif_requests_total{", 0) == 0) total += std::stoll(value);
        return total;
    }
};

Scrape scrape(const Nginx& nginx, const std::string& path = "/iiif-metrics") {
    Scrape result;
    result.response = get(nginx.url(path));
    std::istringstream lines(result.response.body);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("# TYPE ", 0) == 0) {
            result.types.push_back(line.substr(7));
        } else if (!line.empty() && line[0] != '#') {
            const size_t space = line.rfind(' ');
            result.samples[line.substr(0, space)] = line.substr(space + 1);
        }
    }
    return result;
}

// A request is counted when nginx logs it, just after its client has the answer: scrapes until
// `requests` are counted, for 5 s at most.
Scrape scrape_counting(const Nginx& nginx, long long requests,
                       const std::string& path = "/iiif-metrics") {
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    for (;;) {
        Scrape result = scrape(nginx, path);
        if (result.requests() >= requests || Clock::now() >= deadline) return result;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::string requests(const std::string& kind, const std::string& status) {
    return "iiif_requests_total{kind=\"" + kind + "\",status=\"" + status + "\"}";
}

// Every line of iiif_requests_total: those of `expected`, and 0 for all others.
void check_requests(const Scrape& scrape, const std::map<std::string, std::string>& expected) {
    for (const std::string& kind : kKinds) {
        for (const std::string& status : kStatuses) {
            const std::string sample = requests(kind, status);
            auto found = expected.find(sample);
            INFO(sample);
            CHECK(scrape[sample] == (found == expected.end() ? "0" : found->second));
        }
    }
}

const std::vector<std::string> kBuckets = {"0.005", "0.01", "0.25", "0.5", "1",
                                           "2.5",   "5",    "10",   "+Inf"};

// The histogram's buckets never decrease, the last holds every render, and so does the count.
void check_renders(const Scrape& scrape, const std::string& renders) {
    long long previous = 0;
    for (const std::string& le : kBuckets) {
        const std::string value = scrape["iiif_render_seconds_bucket{le=\"" + le + "\"}"];
        INFO("le " << le);
        REQUIRE_FALSE(value.empty());
        CHECK(std::stoll(value) >= previous);
        previous = std::stoll(value);
    }
    CHECK(scrape["iiif_render_seconds_bucket{le=\"+Inf\"}"] == renders);
    CHECK(scrape["iiif_render_seconds_count"] == renders);
    CHECK(scrape["iiif_renders_running"] == "0");
    CHECK(scrape["iiif_renders_waiting"] == "0");
}

// The pids of the workers that logged `uri` in DIR/pids.log, once `count` were logged (5 s at
// most).
std::set<std::string> workers_that_logged(const Nginx& nginx, const std::string& uri, int count) {
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    for (;;) {
        std::set<std::string> pids;
        int logged = 0;
        std::ifstream log(nginx.path("pids.log"));
        std::string pid, logged_uri;
        while (log >> pid >> logged_uri) {
            if (logged_uri != uri) continue;
            pids.insert(pid);
            ++logged;
        }
        if (logged >= count || Clock::now() >= deadline) return pids;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace

TEST_CASE("iiif_metrics counts requests by kind and status, cache hits and misses and renders",
          "[metrics]") {
    auto nginx = fixtures::serve_master(metrics_options());
    for (int i = 0; i < 3; ++i) REQUIRE(get(nginx->url(kInfo)).status == 200);
    REQUIRE(get(nginx->url(kTileA)).status == 200);
    REQUIRE(get(nginx->url(kTileB)).status == 200);
    REQUIRE(get(nginx->url(kTileA)).status == 200);
    REQUIRE(get(nginx->url("/iiif/3/master/full/max/x/default.jpg")).status == 400);
    REQUIRE(get(nginx->url("/iiif/3/absent/full/max/0/default.jpg")).status == 404);

    Scrape first = scrape_counting(*nginx, 8);
    REQUIRE(first.response.status == 200);
    CHECK(first.response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(first.response.header("Cache-Control") == "no-store");
    CHECK(first.types ==
          std::vector<std::string>{
              "iiif_requests_total counter", "iiif_tile_cache_hits_total counter",
              "iiif_tile_cache_misses_total counter", "iiif_tile_cache_evictions_total counter",
              "iiif_tile_cache_size_bytes gauge", "iiif_tile_cache_max_bytes gauge",
              "iiif_native_tiles_total counter", "iiif_render_seconds histogram",
              "iiif_renders_running gauge", "iiif_renders_waiting gauge",
              "iiif_renders_queued_total counter", "iiif_renders_refused_total counter"});
    check_requests(first, {{requests("info", "200"), "3"},
                           {requests("tile", "200"), "3"},
                           {requests("tile", "400"), "1"},
                           {requests("tile", "404"), "1"}});
    CHECK(first["iiif_tile_cache_hits_total{kind=\"info\"}"] == "2");
    CHECK(first["iiif_tile_cache_misses_total{kind=\"info\"}"] == "1");
    CHECK(first["iiif_tile_cache_hits_total{kind=\"tile\"}"] == "1");
    CHECK(first["iiif_tile_cache_misses_total{kind=\"tile\"}"] == "2");
    CHECK(first["iiif_tile_cache_evictions_total"] == "0");
    CHECK(first["iiif_native_tiles_total"] == "0");  // a deflate master: every tile decoded
    // The location's cache is the harness's: 1 GiB, one file for both locations.
    CHECK(first["iiif_tile_cache_max_bytes"] == "1073741824");
    CHECK(std::stoll(first["iiif_tile_cache_size_bytes"]) > 0);
    // info.json once (its probe) and the two tiles; the 400 and the 404 were answered at once.
    check_renders(first, "3");
    CHECK(std::stod(first["iiif_render_seconds_sum"]) > 0);
    CHECK(first["iiif_renders_queued_total"] == "0");
    for (const char* reason : {"queue_full", "timeout", "pool_full"})
        CHECK(first[std::string("iiif_renders_refused_total{reason=\"") + reason + "\"}"] == "0");

    // The scrapes themselves are no request of the module's.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Scrape second = scrape(*nginx);
    CHECK(second.requests() == 8);
    for (const auto& [sample, value] : first.samples) {
        if (sample == "iiif_tile_cache_size_bytes") continue;
        INFO(sample);
        CHECK(second[sample] == value);
    }
    CHECK_FALSE(nginx->worker_crashed());
}

TEST_CASE("iiif_metrics sums the counts of every worker", "[metrics]") {
    NginxOptions options = metrics_options();
    options.http_extra = "log_format pids '$pid $request_uri'; access_log {dir}/pids.log pids;";
    auto nginx = fixtures::serve_master(options);
    constexpr int kRequests = 40;  // each on a connection of its own
    for (int i = 0; i < kRequests; ++i) REQUIRE(get(nginx->url(kInfo)).status == 200);

    // Both workers answered some (with reuseport, a connection's ports choose its worker).
    REQUIRE(workers_that_logged(*nginx, kInfo, kRequests).size() == 2);
    Scrape scrape = scrape_counting(*nginx, kRequests);
    check_requests(scrape, {{requests("info", "200"), "40"}});
    CHECK(scrape["iiif_tile_cache_misses_total{kind=\"info\"}"] == "1");
    CHECK(scrape["iiif_tile_cache_hits_total{kind=\"info\"}"] == "39");
    check_renders(scrape, "1");
}

TEST_CASE("iiif_metrics keeps its counts across a reload", "[metrics]") {
    auto nginx = fixtures::serve_master(metrics_options());
    REQUIRE(get(nginx->url(kInfo)).status == 200);
    REQUIRE(get(nginx->url(kTileA)).status == 200);
    REQUIRE(scrape_counting(*nginx, 2).requests() == 2);

    const std::vector<pid_t> before = nginx->worker_pids();
    nginx->reload();
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    auto replaced = [&] {
        for (pid_t pid : nginx->worker_pids())
            for (pid_t old : before)
                if (pid == old) return false;
        return nginx->worker_pids().size() == 2;
    };
    while (!replaced() && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(replaced());

    REQUIRE(get(nginx->url(kTileA)).status == 200);
    Scrape scrape = scrape_counting(*nginx, 3);
    check_requests(scrape, {{requests("info", "200"), "1"}, {requests("tile", "200"), "2"}});
    CHECK(scrape["iiif_tile_cache_hits_total{kind=\"tile\"}"] == "1");
    CHECK(scrape["iiif_tile_cache_misses_total{kind=\"tile\"}"] == "1");
    check_renders(scrape, "2");
}

TEST_CASE("iiif_metrics counts manifests and the ARK resolver's answers", "[metrics]") {
    constexpr const char* kArk = "ark:/67375/39D-6W3GQPXD-V";
    NginxOptions options = metrics_options();
    options.location_extra = "iiif_catalog {dir}/catalog.mdb;";
    options.server_extra += R"(
        location /ark: {
            iiif_ark_resolver;
            iiif_catalog {dir}/catalog.mdb;
        })";
    Nginx nginx(options);
    fixtures::Catalog catalog(nginx);
    iiif::PublicationSettings settings;
    settings.base_url = nginx.base();
    settings.naan = "67375";
    settings.shoulders = {{"39D", "Estampes", "", "", ""}};
    catalog.writer().set_publication(settings);
    catalog.publish_object(kArk, fixtures::master_tiff());
    nginx.start();

    REQUIRE(get(nginx.url("/iiif/3/" + std::string(kArk) + "/manifest")).status == 200);
    REQUIRE(get(nginx.url("/iiif/2/" + std::string(kArk) + "/manifest")).status == 200);
    REQUIRE(get(nginx.url("/iiif/3/ark:/67375/39D-0000000-0/manifest")).status == 404);
    REQUIRE(get(nginx.url("/iiif/3/collection/absent")).status == 404);
    REQUIRE(get(nginx.url("/" + std::string(kArk))).status == 302);
    REQUIRE(get(nginx.url("/ark:/67375/39D-0000000-0")).status == 404);
    REQUIRE(get(nginx.url("/" + std::string(kArk)), {}, "DELETE").status == 405);

    Scrape scrape = scrape_counting(nginx, 7);
    check_requests(scrape, {{requests("manifest", "200"), "2"},
                            {requests("manifest", "404"), "2"},
                            {requests("resolver", "302"), "1"},
                            {requests("resolver", "404"), "1"},
                            {requests("resolver", "405"), "1"}});
    // Documents come from the catalog: no render, no tile cache.
    check_renders(scrape, "0");
    CHECK(scrape["iiif_tile_cache_misses_total{kind=\"tile\"}"] == "0");
    CHECK(scrape["iiif_tile_cache_hits_total{kind=\"tile\"}"] == "0");
    CHECK_FALSE(nginx.worker_crashed());
}

TEST_CASE("iiif_metrics counts native tiles served as stored", "[metrics]") {
    Nginx nginx(metrics_options());
    nginx.add_image("native.tif",
                    test_images::save(test_images::quadrants(1024, 1024), "metrics-native.tif",
                                      "[tile,pyramid,compression=jpeg,Q=90,tile-width=256,"
                                      "tile-height=256]"));
    nginx.start();
    // An interior tile at its level's resolution, as a JPEG: the stored bytes.
    REQUIRE(get(nginx.url("/iiif/3/native/256,0,256,256/256,/0/default.jpg")).status == 200);
    // Off the tiles' grid: decoded and encoded.
    REQUIRE(get(nginx.url("/iiif/3/native/10,0,256,256/256,/0/default.jpg")).status == 200);

    Scrape scrape = scrape_counting(nginx, 2);
    check_requests(scrape, {{requests("tile", "200"), "2"}});
    CHECK(scrape["iiif_native_tiles_total"] == "1");
    check_renders(scrape, "2");
}

TEST_CASE("iiif_metrics counts the tile cache's evictions, summed over the workers", "[metrics]") {
    constexpr const char* kArk = "ark:/67375/39D-6W3GQPXD-V";
    NginxOptions options = metrics_options();
    // Catalog mode: the catalog describes the source, so the cache holds renders only.
    options.location_extra = "iiif_catalog {dir}/catalog.mdb; iiif_cache_max_size 16m;";
    Nginx nginx(options);
    // Noise hardly compresses: each render below is a PNG of about 2 MB (an entry may hold a
    // quarter of the cache), so twelve of them outgrow 16 MB.
    auto band = [] {
        return vips::VImage::gaussnoise(1000, 1000, vips::VImage::option()->set("sigma", 80));
    };
    const std::string noise = test_images::save(
        band()
            .bandjoin({band(), band()})
            .cast(VIPS_FORMAT_UCHAR)
            .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB)),
        "metrics-noise.tif", fixtures::kPyramid);
    fixtures::Catalog catalog(nginx);
    catalog.publish_object(kArk, noise);
    nginx.start();
    constexpr int kRenders = 12;
    for (int i = 0; i < kRenders; ++i) {
        const std::string width = std::to_string(1000 - i);
        REQUIRE(
            get(nginx.url("/iiif/3/" + std::string(kArk) + "/f2/full/" + width + ",/0/default.png"))
                .status == 200);
    }

    Scrape scrape = scrape_counting(nginx, kRenders);
    check_requests(scrape, {{requests("tile", "200"), "12"}});
    check_renders(scrape, "12");
    // Each render was stored; those no longer there were evicted.
    std::string error;
    auto cache = iiif::TileCache::open_existing(nginx.path("cache"), &error);
    INFO(error);
    REQUIRE(cache);
    const iiif::CacheStats stats = cache->stats();
    const long long evicted = kRenders - stats.entries;
    INFO("entries " << stats.entries << ", " << stats.used_bytes << " bytes");
    CHECK(evicted > 0);
    CHECK(scrape["iiif_tile_cache_evictions_total"] == std::to_string(evicted));
    CHECK(scrape["iiif_tile_cache_max_bytes"] == std::to_string(16 << 20));
    CHECK(std::stoll(scrape["iiif_tile_cache_size_bytes"]) == stats.used_bytes);
}

TEST_CASE("iiif_metrics counts renders that waited and renders refused", "[metrics][slow]") {
    NginxOptions options = metrics_options();
    // Admission is per worker: one worker, so that the three renders meet.
    options.worker_processes = 1;
    options.listen_options.clear();
    options.http_extra =
        "iiif_render_slots 1; iiif_render_queue 1; iiif_render_queue_timeout 200ms;";
    Nginx nginx(options);
    nginx.add_image("slow.tif", fixtures::slow_tiff(8000));
    nginx.start();
    REQUIRE(get(nginx.url("/iiif/3/slow/info.json")).status == 200);  // probed, so costed

    // One runs (half a second at least); one waits, past its 200 ms; the third finds the
    // queue full.
    std::vector<Request> heavy;
    for (int width : {2000, 2001, 2002})
        heavy.push_back(
            {nginx.url("/iiif/3/slow/full/" + std::to_string(width) + ",/0/default.png"),
             {},
             "GET"});
    std::vector<Response> responses = fetch_concurrently(heavy, 60);
    int served = 0;
    for (const Response& response : responses) served += response.status == 200;
    REQUIRE(served == 1);

    Scrape scrape = scrape_counting(nginx, 4);
    check_requests(scrape, {{requests("info", "200"), "1"},
                            {requests("tile", "200"), "1"},
                            {requests("tile", "503"), "2"}});
    CHECK(scrape["iiif_renders_queued_total"] == "1");
    CHECK(scrape["iiif_renders_refused_total{reason=\"timeout\"}"] == "1");
    CHECK(scrape["iiif_renders_refused_total{reason=\"queue_full\"}"] == "1");
    CHECK(scrape["iiif_renders_refused_total{reason=\"pool_full\"}"] == "0");
    check_renders(scrape, "2");  // info.json's probe and the one that ran
}

TEST_CASE("The iiif_metrics location answers GET and HEAD only", "[metrics]") {
    auto nginx = fixtures::serve_master(metrics_options());
    Response post = get(nginx->url("/iiif-metrics"), {}, "POST");
    CHECK(post.status == 405);
    CHECK(post.header("Allow") == "GET, HEAD");
    CHECK(get(nginx->url("/iiif-metrics"), {}, "DELETE").status == 405);

    Response head = get(nginx->url("/iiif-metrics"), {}, "HEAD");
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(head.header("Cache-Control") == "no-store");
    Response body = get(nginx->url("/iiif-metrics"));
    CHECK(head.header("Content-Length") == std::to_string(body.body.size()));
    // Nothing of these is a request of the image service's.
    CHECK(scrape(*nginx).requests() == 0);
}

TEST_CASE("nginx -t refuses iiif_metrics with an argument, twice, or beside iiif", "[metrics]") {
    struct Case {
        const char* location;
        const char* message;
    };
    const Case cases[] = {
        {"location = /m { iiif_metrics on; }",
         "invalid number of arguments in \"iiif_metrics\" directive"},
        {"location = /m { iiif_metrics; iiif_metrics; }",
         "\"iiif_metrics\" directive is duplicate"},
        {"location = /m { iiif_metrics; iiif 3; iiif_source_dir /tmp; }",
         "\"iiif_metrics\" cannot share a location with \"iiif\" or \"iiif_ark_resolver\""},
        {"location = /m { iiif_ark_resolver; iiif_catalog /tmp/c.mdb; iiif_metrics; }",
         "\"iiif_metrics\" cannot share a location with \"iiif\" or \"iiif_ark_resolver\""},
        {"iiif_metrics;", "\"iiif_metrics\" directive is not allowed here"},
    };
    for (const Case& c : cases) {
        NginxOptions options;
        options.server_extra = c.location;
        Nginx nginx(options);
        integration::CommandResult result = nginx.test_config();
        INFO(c.location << "\n" << result.output);
        CHECK(result.exit_code == 1);
        CHECK(result.output.find(c.message) != std::string::npos);
    }
}

TEST_CASE("iiif_metrics in a location inside an iiif location serves the metrics", "[metrics]") {
    NginxOptions options = metrics_options();
    options.iiif_locations = false;
    options.server_extra = R"(location /iiif/3/ {
            iiif 3;
            iiif_source_dir {dir}/images;
            iiif_thread_pool iiif;
            location = /iiif/3/metrics {
                iiif_metrics;
            }
        })";
    Nginx nginx(options);
    nginx.add_image("master.tif", fixtures::master_tiff());
    nginx.start();
    REQUIRE(get(nginx.url(kInfo)).status == 200);

    Scrape scrape = scrape_counting(nginx, 1, "/iiif/3/metrics");
    REQUIRE(scrape.response.status == 200);
    CHECK(scrape.response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
    check_requests(scrape, {{requests("info", "200"), "1"}});
}
