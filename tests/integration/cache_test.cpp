// The tile cache as nginx uses it (tile_cache.hpp): what $iiif_cache_status logs, that a hit is
// the very bytes of the render, that entries outlive nginx, that a replaced source is never
// answered from its old entries, and that a corrupt cache costs speed, not answers.
#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <future>
#include <map>
#include <sstream>
#include <thread>

#include "fixtures.hpp"
#include "http_client.hpp"
#include "test_images.hpp"
#include "tile_cache.hpp"

using Catch::Matchers::Contains;
using integration::fetch;
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

// A picture of noise, `side` pixels square, made once per size: its renders compress badly, so
// they are large enough to lie in many pages of the cache and to take a while to send.
const std::string& noise_png(int side) {
    static std::map<int, std::string> made;
    auto found = made.find(side);
    if (found != made.end()) return found->second;
    auto band = [side] {
        return vips::VImage::gaussnoise(side, side, vips::VImage::option()->set("sigma", 80));
    };
    std::string path =
        (test_images::scratch_dir() / ("noise-" + std::to_string(side) + ".png")).string();
    band()
        .bandjoin({band(), band()})
        .cast(VIPS_FORMAT_UCHAR)
        .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB))
        .write_to_file(path.c_str());
    return made.emplace(side, path).first->second;
}

// How nginx may send a cache hit: from data.mdb with sendfile, or from the map in memory.
const std::vector<std::string> kSendModes = {"sendfile on;", "sendfile off;"};

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

TEST_CASE(
    "A cache hit is the rendered bytes sent with sendfile or from memory, whole and in "
    "ranges",
    "[cache]") {
    std::string first_hit;
    for (const std::string& mode : kSendModes) {
        INFO(mode);
        NginxOptions options;
        options.location_extra = mode;
        Nginx nginx(options);
        nginx.add_image("noise.png", noise_png(300));
        nginx.start();
        const std::string path = "/iiif/3/noise/full/max/0/default.png";
        Response miss = get(nginx.url(path));
        Response hit = get(nginx.url(path));
        REQUIRE(miss.status == 200);
        REQUIRE(hit.status == 200);
        REQUIRE(nginx.cache_statuses(path, 2) == std::vector<std::string>{"MISS", "HIT"});
        REQUIRE(miss.body.size() > 100000);
        CHECK(hit.body == miss.body);
        CHECK(hit.header("Content-Length") == std::to_string(miss.body.size()));

        Response middle = get(nginx.url(path), {"Range: bytes=5000-70535"});
        CHECK(middle.status == 206);
        CHECK(middle.body == miss.body.substr(5000, 65536));
        Response tail = get(nginx.url(path), {"Range: bytes=-1000"});
        CHECK(tail.status == 206);
        CHECK(tail.body == miss.body.substr(miss.body.size() - 1000));
        Response head = fetch({nginx.url(path), {}, "HEAD"});
        CHECK(head.body.empty());
        CHECK(head.header("Content-Length") == std::to_string(miss.body.size()));
        CHECK(nginx.cache_statuses(path, 5) ==
              std::vector<std::string>{"MISS", "HIT", "HIT", "HIT", "HIT"});

        // The same render, whichever way it was sent.
        if (first_hit.empty()) first_hit = hit.body;
        CHECK(hit.body == first_hit);
        CHECK_FALSE(nginx.worker_crashed());
    }
}

TEST_CASE("A purge while a cache hit is being sent does not change the bytes the client gets",
          "[cache]") {
    for (const std::string& mode : kSendModes) {
        INFO(mode);
        NginxOptions options;
        // "?slow=1" sends at 256 KB/s: the response is in flight for seconds.
        options.location_extra = mode + " if ($arg_slow) { set $limit_rate 262144; }";
        options.worker_processes = 1;
        Nginx nginx(options);
        nginx.add_image("noise.png", noise_png(500));
        nginx.start();
        const std::string path = "/iiif/3/noise/full/max/0/default.png";
        Response reference = get(nginx.url(path));
        REQUIRE(reference.status == 200);
        REQUIRE(reference.body.size() > 400000);

        auto slow =
            std::async(std::launch::async, [&] { return get(nginx.url(path + "?slow=1")); });
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        // iiifd's purger, on a takedown: every entry of the image.
        std::string error;
        auto purger = iiif::TileCache::open_existing(nginx.path("cache"), &error);
        REQUIRE(purger);
        CHECK(purger->purge_group("file|" + nginx.path("images/noise.png")) >= 2);
        purger.reset();
        // New renders of the same size, which take the purged entry's pages were they free.
        for (const char* rotation : {"90", "180", "270", "!0", "!90", "!180"}) {
            INFO(rotation);
            CHECK(get(nginx.url("/iiif/3/noise/full/max/" + std::string(rotation) + "/default.png"))
                      .status == 200);
        }
        REQUIRE(slow.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
        Response sent = slow.get();
        CHECK(sent.status == 200);
        CHECK(sent.seconds > 1.0);  // it was in flight during the purge
        CHECK(sent.body == reference.body);
        CHECK(nginx.cache_statuses(path + "?slow=1", 1) == std::vector<std::string>{"HIT"});
        CHECK_FALSE(nginx.worker_crashed());
    }
}

namespace {

// LMDB reader slots of the cache at `dir` holding a snapshot now (mdb_reader_list: one line per
// slot in use, "pid thread txnid", txnid "-" for a reset transaction keeping its slot).
int active_readers(const std::string& dir) {
    MDB_env* env = nullptr;
    REQUIRE(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 4);
    REQUIRE(mdb_env_open(env, dir.c_str(), MDB_RDONLY | MDB_NOTLS, 0644) == 0);
    std::string list;
    mdb_reader_list(
        env,
        [](const char* message, void* out) {
            static_cast<std::string*>(out)->append(message);
            return 0;
        },
        &list);
    mdb_env_close(env);
    int active = 0;
    std::istringstream lines(list);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream fields(line);
        std::string pid, thread, txnid;
        if (fields >> pid >> thread >> txnid && pid != "pid" && txnid != "-") ++active;
    }
    return active;
}

}  // namespace

TEST_CASE(
    "Slow clients of cache hits share read snapshots while renders commit: the reader "
    "slots in use stay few",
    "[cache]") {
    NginxOptions options;
    options.location_extra = "sendfile on; if ($arg_slow) { set $limit_rate 65536; }";
    options.worker_processes = 1;
    Nginx nginx(options);
    nginx.add_image("noise.png", noise_png(300));
    nginx.add_image("master.tif", fixtures::master_tiff());
    nginx.start();
    const std::string hit = "/iiif/3/noise/full/max/0/default.png";
    REQUIRE(get(nginx.url(hit)).status == 200);

    // 24 slow hits in flight (a few seconds each), a commit (a render) between each two.
    std::vector<std::future<Response>> slow;
    for (int i = 0; i < 24; ++i) {
        slow.push_back(
            std::async(std::launch::async, [&] { return get(nginx.url(hit + "?slow=1")); }));
        REQUIRE(get(nginx.url("/iiif/3/master/full/" + std::to_string(100 + i) + ",/0/default.jpg"))
                    .status == 200);
    }
    // At most 8 pinned snapshots, besides the render threads' own transactions (4).
    const int readers = active_readers(nginx.path("cache"));
    INFO(readers << " readers");
    CHECK(readers <= 8 + 4);
    std::string first_body;
    for (auto& response : slow) {
        Response sent = response.get();
        CHECK(sent.status == 200);
        CHECK(sent.seconds > 1.0);  // in flight while the others started and renders committed
        if (first_body.empty()) first_body = sent.body;
        CHECK(sent.body == first_body);
    }
    CHECK(nginx.cache_statuses(hit + "?slow=1", 24) == std::vector<std::string>(24, "HIT"));
    CHECK_FALSE(nginx.worker_crashed());
}
