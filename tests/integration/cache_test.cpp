// The tile cache as nginx uses it (tile_cache.hpp): what $iiif_cache_status logs, that a hit is
// the very bytes of the render, that entries outlive nginx, that a replaced source is never
// answered from its old entries, and that a corrupt cache costs speed, not answers.
#include <arpa/inet.h>
#include <fcntl.h>
#include <lmdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
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

// Whether the location has sendfile on or off, a cache hit is written from LMDB's map.
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

TEST_CASE("A cache hit is the rendered bytes, with sendfile on or off, whole and in ranges",
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

namespace {

// Empties the cache's entries and their stamps, as a takedown purge or evictions would: their
// pages become free for the next writes.
void empty_cache(const std::string& dir) {
    MDB_env* env = nullptr;
    REQUIRE(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 4);
    REQUIRE(mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0664) == 0);
    MDB_txn* txn = nullptr;
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    for (const char* name : {"entries", "recency"}) {
        MDB_dbi dbi;
        REQUIRE(mdb_dbi_open(txn, name, 0, &dbi) == 0);
        REQUIRE(mdb_drop(txn, dbi, 0) == 0);
    }
    REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
}

// The bytes the kernel read from files on the process's behalf (read, pread, sendfile): its
// rchar, from /proc/{pid}/io.
long long bytes_read(pid_t pid) {
    std::ifstream io("/proc/" + std::to_string(pid) + "/io");
    std::string field;
    long long value = 0;
    while (io >> field >> value)
        if (field == "rchar:") return value;
    FAIL("no rchar in /proc/" << pid << "/io");
    return -1;
}

// A raw HTTP/1.0 exchange on 127.0.0.1:port whose reader can stop in the middle of the body.
class RawClient {
  public:
    RawClient(int port, const std::string& path) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(static_cast<uint16_t>(port));
        REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        REQUIRE(send(fd_, request.data(), request.size(), 0) ==
                static_cast<ssize_t>(request.size()));
    }
    ~RawClient() { close(fd_); }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    // Reads up to the end of the headers; returns them.
    std::string headers() {
        std::string text;
        char c;
        while (text.find("\r\n\r\n") == std::string::npos) {
            REQUIRE(recv(fd_, &c, 1, 0) == 1);
            text.push_back(c);
        }
        return text;
    }
    // Reads `size` bytes of the body, or to the end of the stream when size is npos.
    std::string body(size_t size) {
        std::string out;
        char buffer[16384];
        while (out.size() < size) {
            const size_t want = std::min(sizeof buffer, size - out.size());
            const ssize_t got = recv(fd_, buffer, want, 0);
            if (got <= 0) break;
            out.append(buffer, static_cast<size_t>(got));
        }
        return out;
    }

  private:
    int fd_ = -1;
};

}  // namespace

TEST_CASE(
    "A hit its client has not read yet keeps its bytes when its entry is purged and its pages "
    "written again",
    "[cache]") {
    // The end of a hit lies in the kernel's socket buffers after nginx has finished the
    // request. Were it sent by reference to data.mdb's pages (sendfile), the writes that reuse
    // the purged entry's pages would change what the client still has to read.
    NginxOptions options;
    options.location_extra = "sendfile on;";
    options.worker_processes = 1;
    Nginx nginx(options);
    const std::string& noise = noise_png(300);
    for (int i = 0; i < 12; ++i) nginx.add_image("noise" + std::to_string(i) + ".png", noise);
    nginx.start();
    const std::string path = "/iiif/3/noise0/full/max/0/default.png";
    Response miss = get(nginx.url(path));
    REQUIRE(miss.status == 200);
    REQUIRE(miss.body.size() > 150000);

    constexpr size_t kUnread = 48 * 1024;  // fits the socket buffers, so nginx finishes
    const std::vector<pid_t> workers = nginx.worker_pids();
    REQUIRE(workers.size() == 1);
    const pid_t worker = workers.front();
    const long long read_before = bytes_read(worker);
    RawClient client(nginx.port(), path);
    const std::string headers = client.headers();
    CHECK_THAT(headers, Contains("200 OK"));
    std::string body = client.body(miss.body.size() - kUnread);
    REQUIRE(nginx.cache_statuses(path, 2) == std::vector<std::string>{"MISS", "HIT"});
    // Not sent with sendfile from data.mdb, which counts the body as read by the worker.
    CHECK(bytes_read(worker) - read_before < 4096);
    // The entry gone, and as many entries of the same size written as the pages it took.
    empty_cache(nginx.path("cache"));
    for (int i = 1; i < 12; ++i) {
        const std::string other = "/iiif/3/noise" + std::to_string(i) + "/full/max/0/default.png";
        Response rendered = get(nginx.url(other));
        REQUIRE(rendered.status == 200);
        REQUIRE(rendered.body.size() == miss.body.size());
        // The first request took a snapshot after the purge; past the module's tick (5 s),
        // nothing holds the purged pages from reuse but what the hit's response still needs.
        if (i == 1) std::this_thread::sleep_for(std::chrono::milliseconds(5500));
    }

    body += client.body(std::string::npos);
    CHECK(body.size() == miss.body.size());
    CHECK(body == miss.body);
    CHECK_FALSE(nginx.worker_crashed());
}

namespace {

// The worker's open send-arena segments (memory files named iiif-send-arena).
int arena_segments(pid_t pid) {
    int count = 0;
    const std::string fds = "/proc/" + std::to_string(pid) + "/fd";
    for (const auto& entry : std::filesystem::directory_iterator(fds)) {
        std::error_code error;
        const auto target = std::filesystem::read_symlink(entry.path(), error);
        if (!error && target.string().starts_with("/memfd:iiif-send-arena")) ++count;
    }
    return count;
}

}  // namespace

TEST_CASE(
    "A hit sent from the send arena keeps its bytes while a slow client reads it and the arena "
    "moves on to new segments",
    "[cache][send_arena]") {
    // Hits seen before are sent with sendfile() from the worker's send arena. A slow client's
    // response waits in nginx (limit_rate), which calls sendfile() again each time the rate
    // lets it, long after the arena has moved on: the segment must stay open and unchanged.
    NginxOptions options;
    // (limit_rate from a map, not `if`: an `if` block is a location of its own, with its own
    // memo, where the slow request would be a first hit.)
    options.location_extra = "sendfile on; limit_rate $slow_rate;";
    // Segments of 1 MiB, bodies up to 64 KiB.
    options.http_extra = "iiif_send_arena_size 2m; map $arg_slow $slow_rate { default 0; 1 4096; }";
    options.worker_processes = 1;
    Nginx nginx(options);
    constexpr int kImages = 72;  // three segments' worth, of 8 different pictures
    for (int i = 0; i < kImages; ++i)
        nginx.add_image("n" + std::to_string(i) + ".png", noise_png(150 + i % 8));
    nginx.start();
    const std::vector<pid_t> workers = nginx.worker_pids();
    REQUIRE(workers.size() == 1);
    const pid_t worker = workers.front();
    auto path_of = [](int i) {
        return "/iiif/3/n" + std::to_string(i) + "/full/max/0/default.png";
    };

    const std::string path = path_of(0);
    Response miss = get(nginx.url(path));
    REQUIRE(miss.status == 200);
    REQUIRE(miss.body.size() > 30000);
    REQUIRE(miss.body.size() < 65536);
    REQUIRE(get(nginx.url(path)).body == miss.body);  // the first hit, from memory
    // From the second hit on, sendfile() from the arena: the worker reads the body's bytes.
    long long read_before = bytes_read(worker);
    REQUIRE(get(nginx.url(path)).body == miss.body);
    CHECK(bytes_read(worker) - read_before >= static_cast<long long>(miss.body.size()));

    // A slow client of that hit: at 4 KiB/s, its 30 KB and more take over seven seconds.
    auto slow = std::async(std::launch::async, [&] { return get(nginx.url(path + "?slow=1")); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // Meanwhile every other image rendered and sent from the arena: three segments' worth.
    for (int i = 1; i < kImages; ++i) {
        Response rendered = get(nginx.url(path_of(i)));
        REQUIRE(rendered.status == 200);
        for (int n = 0; n < 2; ++n) REQUIRE(get(nginx.url(path_of(i))).body == rendered.body);
    }
    // The arena has moved on while the slow client was still being sent to.
    CHECK(slow.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
    Response sent = slow.get();
    CHECK(sent.status == 200);
    CHECK(sent.seconds > 7.0);
    CHECK(sent.body == miss.body);
    // Once no response holds the old segments, only the current one is open.
    CHECK(arena_segments(worker) == 1);
    CHECK_FALSE(nginx.worker_crashed());
}
