// The tile cache as nginx uses it (tile_cache.hpp): what $iiif_cache_status logs, that a hit is
// the very bytes of the render, that entries outlive nginx, that a replaced source is never
// answered from its old entries, and that a corrupt cache costs speed, not answers.
#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>

#include "fixtures.hpp"
#include "http_client.hpp"
#include "test_images.hpp"

using Catch::Matchers::Contains;
using integration::get;
using integration::Nginx;
using integration::NginxOptions;
using integration::Response;

namespace {

const std::string kImage = "/iiif/3/master/full/300,/0/default.jpg";
const std::string kInfo = "/iiif/3/master/info.json";

// Writes a 64 x 64 solid picture as images/{name}.tif and moves its mtime to `mtime`.
void write_solid(const Nginx& nginx, const std::string& name, test_images::Rgb colour,
                 std::time_t mtime) {
    std::string path = nginx.path("images/" + name + ".tif");
    fixtures::write_pyramid(test_images::solid(64, 64, colour), path);
    chmod(path.c_str(), 0644);
    struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
    REQUIRE(utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

}  // namespace

TEST_CASE("$iiif_cache_status is MISS for a first request and HIT for the same again", "[cache]") {
    auto nginx = fixtures::serve_master();
    for (const std::string& path : {kInfo, kImage}) {
        INFO(path);
        CHECK(get(nginx->url(path)).status == 200);
        CHECK(get(nginx->url(path)).status == 200);
        CHECK(nginx->cache_statuses(path, 2) == std::vector<std::string>{"MISS", "HIT"});
    }
}

TEST_CASE("$iiif_cache_status is BYPASS without iiif_cache_path", "[cache]") {
    NginxOptions options;
    options.cache = false;
    auto nginx = fixtures::serve_master(options);
    for (const std::string& path : {kInfo, kImage}) {
        INFO(path);
        CHECK(get(nginx->url(path)).status == 200);
        CHECK(get(nginx->url(path)).status == 200);
        CHECK(nginx->cache_statuses(path, 2) == std::vector<std::string>{"BYPASS", "BYPASS"});
    }
}

TEST_CASE("A cache hit is byte for byte the rendered image, with the same headers", "[cache]") {
    auto nginx = fixtures::serve_master();
    Response miss = get(nginx->url(kImage));
    Response hit = get(nginx->url(kImage));
    REQUIRE(miss.status == 200);
    REQUIRE(hit.status == 200);
    CHECK(nginx->cache_statuses(kImage, 2) == std::vector<std::string>{"MISS", "HIT"});
    CHECK(hit.body == miss.body);
    for (const char* header : {"Content-Type", "ETag", "Last-Modified", "Link", "Cache-Control",
                               "Access-Control-Allow-Origin", "Content-Length"}) {
        INFO(header);
        CHECK(hit.header(header) == miss.header(header));
    }
}

TEST_CASE("The cache survives a restart of nginx", "[cache]") {
    auto nginx = fixtures::serve_master();
    Response before = get(nginx->url(kImage));
    REQUIRE(before.status == 200);
    REQUIRE(nginx->cache_statuses(kImage, 1) == std::vector<std::string>{"MISS"});

    nginx->restart();
    Response after = get(nginx->url(kImage));
    REQUIRE(after.status == 200);
    CHECK(nginx->cache_statuses(kImage, 2) == std::vector<std::string>{"MISS", "HIT"});
    CHECK(after.body == before.body);
}

TEST_CASE("A replaced source is rendered anew, never answered from the old entries", "[cache]") {
    Nginx nginx;
    std::time_t now = std::time(nullptr);
    write_solid(nginx, "x", test_images::kRed, now - 60);
    nginx.start();
    const std::string path = "/iiif/3/x/full/max/0/default.png";

    Response red = get(nginx.url(path));
    REQUIRE(red.status == 200);
    CHECK(test_images::near(test_images::pixel_at(red.body, 32, 32), test_images::kRed, 0));
    REQUIRE(get(nginx.url(path)).status == 200);
    REQUIRE(nginx.cache_statuses(path, 2) == std::vector<std::string>{"MISS", "HIT"});

    // The same size, another picture, another mtime.
    write_solid(nginx, "x", test_images::kBlue, now - 30);
    Response blue = get(nginx.url(path));
    REQUIRE(blue.status == 200);
    CHECK(test_images::near(test_images::pixel_at(blue.body, 32, 32), test_images::kBlue, 0));
    CHECK(nginx.cache_statuses(path, 3) == std::vector<std::string>{"MISS", "HIT", "MISS"});
    CHECK(blue.header("ETag") != red.header("ETag"));

    Response info = get(nginx.url("/iiif/3/x/info.json"));
    CHECK(info.status == 200);
}

TEST_CASE("A corrupt cache file is reported and bypassed, and every request still succeeds",
          "[cache]") {
    Nginx nginx;
    nginx.add_image("master.tif", fixtures::master_tiff());
    nginx.write_file("cache/data.mdb", std::string(64 * 1024, '\xAB'));
    chmod(nginx.path("cache/data.mdb").c_str(), 0666);
    nginx.start();

    for (const std::string& path : {kInfo, kImage, kImage}) {
        INFO(path);
        CHECK(get(nginx.url(path)).status == 200);
    }
    CHECK(nginx.cache_statuses(kInfo, 1) == std::vector<std::string>{"BYPASS"});
    CHECK(nginx.cache_statuses(kImage, 2) == std::vector<std::string>{"BYPASS", "BYPASS"});
    std::string log = nginx.error_log();
    INFO(log);
    CHECK_THAT(log, Contains("cache " + nginx.path("cache")));
    CHECK_FALSE(nginx.worker_crashed());
}
