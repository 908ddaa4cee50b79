// Takedown reaches the tile cache (daemon/cache_purger.hpp): the real iiifd, following the real
// Redis events stream, deletes a withdrawn or purged object's entries from a tiles.mdb that
// this test process fills as nginx's workers would, and leaves every other entry alone.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.hpp"
#include "catalog.hpp"
#include "test_images.hpp"
#include "tile_cache.hpp"

using namespace daemon_harness;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

const std::string kTakedown = R"({"reason": "court order", "requested_by": "Legal"})";

std::string image(const std::string& name) {
    return test_images::save(test_images::quadrants(200, 150), name);
}

std::string fresh_dir(const std::string& name) {
    const fs::path dir = test_images::scratch_dir() / name;
    fs::remove_all(dir);
    return dir.string();
}

std::unique_ptr<iiif::TileCache> open_cache(const std::string& dir) {
    std::string error;
    std::unique_ptr<iiif::TileCache> cache = iiif::TileCache::open(dir, 64 << 20, &error);
    INFO(error);
    REQUIRE(cache);
    return cache;
}

std::string page_group(const std::string& ark, int page) {
    std::optional<std::string> key = iiif::catalog_image_key(ark + "/f" + std::to_string(page));
    REQUIRE(key);
    return iiif::image_cache_group(*key);
}

// What a worker would store for a page: its info.json and `tiles` tiles.
void fill(iiif::TileCache& cache, const std::string& group, int tiles) {
    REQUIRE(cache.put(iiif::make_cache_key(group, "info|3|" + group), "application/ld+json", "{}"));
    for (int i = 1; i < tiles; ++i)
        REQUIRE(
            cache.put(iiif::make_cache_key(group, "image|3|" + std::to_string(i) + ",0,256,256"),
                      "image/jpeg", std::string(2000, 'j')));
}

// Deposits an object of `pages` pages and waits for its job; its ARK.
std::string deposit(const Daemon& iiifd, const std::string& name, int pages) {
    std::vector<std::string> files;
    for (int page = 1; page <= pages; ++page)
        files.push_back(image(name + "-" + std::to_string(page) + ".jpg"));
    HttpResponse response = iiifd.post_object(files, R"({"title": ")" + name + R"("})");
    REQUIRE(response.status == 202);
    REQUIRE(json_text(iiifd.wait_for_job(json_text(response.body, "job")), "state") == "done");
    return json_text(response.body, "ark");
}

HttpResponse take_down(const Daemon& iiifd, const std::string& ark, const std::string& action) {
    return http("POST", iiifd.url("/api/v1/objects/" + ark + "/" + action), iiifd.auth(),
                kTakedown);
}

// Polls until every group is empty, at most `limit`; how long it took, or nullopt.
std::optional<std::chrono::milliseconds> emptied(iiif::TileCache& cache,
                                                 const std::vector<std::string>& groups,
                                                 std::chrono::milliseconds limit) {
    const auto start = Clock::now();
    for (;;) {
        std::int64_t left = 0;
        for (const std::string& group : groups) left += cache.count_group(group);
        const auto waited =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        if (left == 0) return waited;
        if (waited > limit) return std::nullopt;
        std::this_thread::sleep_for(10ms);
    }
}

DaemonOptions with_cache(const std::string& dir) {
    DaemonOptions options;
    options.hot_folder = false;
    options.extra_config = "[cache]\ntile_cache = \"" + dir + "/\"\n";
    return options;
}

}  // namespace

TEST_CASE(
    "cache purge: a withdrawal deletes both pages' entries within a second, a purge those made "
    "since, and no other object's",
    "[cache_purge]") {
    const std::string dir = fresh_dir("tiles-withdraw");
    std::unique_ptr<iiif::TileCache> cache = open_cache(dir);  // as nginx makes it
    RedisServer redis;
    Daemon iiifd(redis, with_cache(dir));
    iiifd.start();

    const std::string ark = deposit(iiifd, "letter", 2);
    const std::string other = deposit(iiifd, "map", 1);
    const std::vector<std::string> pages = {page_group(ark, 1), page_group(ark, 2)};
    fill(*cache, pages[0], 30);
    fill(*cache, pages[1], 20);
    fill(*cache, page_group(other, 1), 25);
    REQUIRE(cache->put(iiif::make_cache_key("source|/elsewhere/a.tif"), "text/plain", "s"));
    REQUIRE(cache->count_group(pages[0]) == 30);
    REQUIRE(cache->count_group(pages[1]) == 20);

    REQUIRE(take_down(iiifd, ark, "withdraw").status == 200);
    std::optional<std::chrono::milliseconds> took = emptied(*cache, pages, 1000ms);
    REQUIRE(took);
    CHECK(took->count() <= 1000);
    CHECK(cache->count_group(page_group(other, 1)) == 25);
    CHECK(cache->get(iiif::make_cache_key("source|/elsewhere/a.tif")));
    CHECK(cache->stats().entries == 26);
    CHECK_FALSE(cache->get(iiif::make_cache_key(pages[0], "info|3|" + pages[0])));
    CHECK(cache->get(iiif::make_cache_key(page_group(other, 1), "info|3|" + page_group(other, 1))));

    // Entries made after the withdrawal (a render that was under way) go with the purge.
    fill(*cache, pages[0], 4);
    fill(*cache, pages[1], 3);
    REQUIRE(take_down(iiifd, ark, "purge").status == 200);
    REQUIRE(emptied(*cache, pages, 1000ms));
    CHECK(cache->count_group(page_group(other, 1)) == 25);
    CHECK(cache->stats().entries == 26);

    const std::string log = iiifd.log();
    CHECK(log.find("cache purger: object.withdrawn " + ark + ": 50 cache entries deleted") !=
          std::string::npos);
    CHECK(log.find("cache purger: object.purged " + ark + ": 7 cache entries deleted") !=
          std::string::npos);
    CHECK(iiifd.stop() == 0);
}

TEST_CASE("cache purge: an iiifd without [cache] starts and takes objects down without purging",
          "[cache_purge]") {
    RedisServer redis;
    DaemonOptions options;
    options.hot_folder = false;
    Daemon iiifd(redis, options);
    iiifd.start();
    const std::string ark = deposit(iiifd, "plain", 1);
    CHECK(take_down(iiifd, ark, "withdraw").status == 200);
    CHECK(take_down(iiifd, ark, "purge").status == 200);
    CHECK(iiifd.log().find("cache purger") == std::string::npos);
    CHECK(iiifd.stop() == 0);
}

TEST_CASE(
    "cache purge: where nginx has made no cache yet, a withdrawal works, says so, and makes none",
    "[cache_purge]") {
    const std::string dir = fresh_dir("tiles-absent");
    RedisServer redis;
    Daemon iiifd(redis, with_cache(dir));
    iiifd.start();
    const std::string ark = deposit(iiifd, "early", 1);
    CHECK(take_down(iiifd, ark, "withdraw").status == 200);
    const auto deadline = Clock::now() + 2s;
    while (iiifd.log().find("nothing is purged") == std::string::npos && Clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    CHECK(iiifd.log().find("cache " + dir + ": data.mdb") != std::string::npos);
    CHECK_FALSE(fs::exists(dir));

    // Once nginx has made it, the next takedown purges.
    std::unique_ptr<iiif::TileCache> cache = open_cache(dir);
    const std::string second = deposit(iiifd, "later", 1);
    fill(*cache, page_group(second, 1), 5);
    CHECK(take_down(iiifd, second, "withdraw").status == 200);
    CHECK(emptied(*cache, {page_group(second, 1)}, 1000ms));
    CHECK(iiifd.stop() == 0);
}

TEST_CASE("cache purge: the follower reconnects after Redis restarts and sees the next takedown",
          "[cache_purge]") {
    const std::string dir = fresh_dir("tiles-restart");
    std::unique_ptr<iiif::TileCache> cache = open_cache(dir);
    RedisServer redis;
    Daemon iiifd(redis, with_cache(dir));
    iiifd.start();
    const std::string ark = deposit(iiifd, "restart", 1);
    fill(*cache, page_group(ark, 1), 6);

    redis.stop();
    std::this_thread::sleep_for(1s);
    redis.start();
    REQUIRE(take_down(iiifd, ark, "withdraw").status == 200);
    // Within the longest back-off (5 s) and a read.
    CHECK(emptied(*cache, {page_group(ark, 1)}, 6000ms));
    CHECK(iiifd.log().find("cache purger: redis is back") != std::string::npos);
    CHECK(iiifd.stop() == 0);
}

TEST_CASE("cache purge: [cache] tile_cache must be an absolute path", "[cache_purge]") {
    RedisServer redis;
    DaemonOptions options;
    options.extra_config = "[cache]\ntile_cache = \"var/cache/iiif\"\n";
    Daemon iiifd(redis, options);
    CommandResult check = iiifd.run_iiifd({"--check-config"});
    CHECK(check.exit_code == 1);
    CHECK(check.output.find("[cache] tile_cache: must be an absolute path") != std::string::npos);

    options.extra_config = "[cache]\ntiles = \"/x\"\n";
    Daemon unknown(redis, options);
    CommandResult misspelt = unknown.run_iiifd({"--check-config"});
    CHECK(misspelt.exit_code == 1);
    CHECK(misspelt.output.find("[cache] tiles: unknown key") != std::string::npos);
}
