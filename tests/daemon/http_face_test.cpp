// iiifd's HTTP face under slow, idle and malformed clients (http_server.hpp), on the real
// iiifd and redis-server: slow clients hold no thread and stop nobody, each deadline cuts off
// what it should, and multipart bodies read the same however they are cut over the network.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.hpp"
#include "test_images.hpp"

using namespace daemon_harness;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

size_t threads_of(pid_t pid) {
    const fs::path tasks = "/proc/" + std::to_string(pid) + "/task";
    return static_cast<size_t>(
        std::distance(fs::directory_iterator(tasks), fs::directory_iterator()));
}

size_t entries(const std::string& directory) {
    if (!fs::exists(directory)) return 0;
    return static_cast<size_t>(
        std::distance(fs::directory_iterator(directory), fs::directory_iterator()));
}

// A request answered by each audience of the server, timed: OAI-PMH, the deposit API, the
// Auth 2.0 sign-in page. Their statuses, and whether all came within `within`.
struct Round {
    long oai = 0, api = 0, auth = 0;
    bool quick = false;
};

Round answer_round(const Daemon& iiifd, std::chrono::milliseconds within) {
    const auto start = Clock::now();
    Round round;
    round.oai = http("GET", iiifd.url("/oai?verb=Identify"), {}).status;
    round.api = iiifd.get("/api/v1/session").status;
    round.auth = http("GET", iiifd.url("/auth/login"), {}).status;
    round.quick = Clock::now() - start < within;
    return round;
}

std::string image(const std::string& name) {
    return test_images::save(test_images::quadrants(64, 48), name);
}

const std::string kBoundary = "deposit-boundary-7d1f";

// A deposit's multipart body: two JPEG files and a metadata part.
std::string deposit_body() {
    std::string body;
    for (const std::string name : {"one.jpg", "two.jpg"}) {
        body += "--" + kBoundary +
                "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name +
                "\"\r\nContent-Type: image/jpeg\r\n\r\n" + read_file(image(name)) + "\r\n";
    }
    body += "--" + kBoundary +
            "\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n"
            "{\"title\": \"Cut anywhere\"}\r\n";
    body += "--" + kBoundary + "--\r\n";
    return body;
}

std::string deposit_head(size_t length) {
    return "POST /api/v1/objects HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
           "Authorization: Bearer " +
           Daemon::key() + "\r\nContent-Type: multipart/form-data; boundary=" + kBoundary +
           "\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
}

long status_of(const std::string& response) {
    if (!response.starts_with("HTTP/1.1 ") || response.size() < 12) return 0;
    return std::stol(response.substr(9, 3));
}

std::string body_of(const std::string& response) {
    const size_t end = response.find("\r\n\r\n");
    return end == std::string::npos ? "" : response.substr(end + 4);
}

// Sends `text` in pieces of `piece` bytes, each its own segment (RawConnection sets
// TCP_NODELAY) and read apart (a pause between them).
void send_in_pieces(RawConnection& connection, const std::string& text, size_t piece) {
    for (size_t at = 0; at < text.size(); at += piece) {
        REQUIRE(connection.send_text(text.substr(at, piece)));
        std::this_thread::sleep_for(2ms);
    }
}

}  // namespace

TEST_CASE(
    "http face: 40 clients sending a header line now and then hold no thread, stop nobody, and "
    "are cut off at header_timeout",
    "[http_face]") {
    RedisServer redis;
    DaemonOptions options;
    options.http_config = "header_timeout = 3\n";
    Daemon iiifd(redis, options);
    iiifd.start();
    const size_t threads = threads_of(iiifd.pid());

    std::vector<std::unique_ptr<RawConnection>> slow;
    for (int i = 0; i < 40; ++i) {
        slow.push_back(std::make_unique<RawConnection>(iiifd.port()));
        REQUIRE(slow.back()->send_text("GET /oai?verb=Identify HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
    }
    const auto opened = Clock::now();
    for (int line = 0; line < 3; ++line) {
        for (auto& connection : slow)
            connection->send_text("X-Slow: " + std::to_string(line) + "\r\n");
        const Round round = answer_round(iiifd, 1s);
        CHECK(round.oai == 200);
        CHECK(round.api == 200);
        CHECK(round.auth == 200);
        CHECK(round.quick);
        std::this_thread::sleep_for(500ms);
    }
    CHECK(threads_of(iiifd.pid()) == threads);

    // Cut off at 3 s (and the next look at the deadlines), though still sending.
    size_t closed = 0;
    for (auto& connection : slow) {
        connection->send_text("X-Slow: late\r\n");
        if (connection->closed_within(5s)) ++closed;
    }
    CHECK(closed == 40);
    CHECK(Clock::now() - opened >= 3s);
    CHECK(Clock::now() - opened < 8s);
    CHECK(answer_round(iiifd, 1s).quick);
}

TEST_CASE(
    "http face: 200 silent connections hold no thread and are closed at header_timeout, a "
    "request between them is answered at once",
    "[http_face]") {
    RedisServer redis;
    DaemonOptions options;
    options.http_config = "header_timeout = 2\n";
    Daemon iiifd(redis, options);
    iiifd.start();
    const size_t threads = threads_of(iiifd.pid());

    std::vector<std::unique_ptr<RawConnection>> silent;
    for (int i = 0; i < 200; ++i) silent.push_back(std::make_unique<RawConnection>(iiifd.port()));
    const Round round = answer_round(iiifd, 1s);
    CHECK(round.oai == 200);
    CHECK(round.api == 200);
    CHECK(round.auth == 200);
    CHECK(round.quick);
    CHECK(threads_of(iiifd.pid()) == threads);

    size_t closed = 0;
    for (auto& connection : silent)
        if (connection->closed_within(4s)) ++closed;
    CHECK(closed == 200);
}

TEST_CASE(
    "http face: 24 deposits trickling their bodies stop nobody, gone, they leave nothing staged",
    "[http_face]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    const size_t threads = threads_of(iiifd.pid());
    const std::string body = deposit_body();

    {
        std::vector<std::unique_ptr<RawConnection>> uploads;
        for (int i = 0; i < 24; ++i) {
            uploads.push_back(std::make_unique<RawConnection>(iiifd.port()));
            REQUIRE(uploads.back()->send_text(deposit_head(body.size()) + body.substr(0, 300)));
        }
        for (int round = 0; round < 3; ++round) {
            for (size_t i = 0; i < uploads.size(); ++i)
                REQUIRE(uploads[i]->send_text(body.substr(300 + round * 10, 10)));
            const Round answered = answer_round(iiifd, 1s);
            CHECK(answered.oai == 200);
            CHECK(answered.api == 200);
            CHECK(answered.auth == 200);
            CHECK(answered.quick);
            std::this_thread::sleep_for(300ms);
        }
        CHECK(threads_of(iiifd.pid()) == threads);
        // Each has begun its first file in its staging directory.
        CHECK(entries(iiifd.staging()) == 24);
    }
    // The clients are gone: what they staged goes with them.
    const auto deadline = Clock::now() + 5s;
    while (entries(iiifd.staging()) != 0 && Clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    CHECK(entries(iiifd.staging()) == 0);
    CHECK(redis.integer({"XLEN", "iiif:ingest"}) == 0);
}

TEST_CASE(
    "http face: a small body that stops coming is cut off at body_timeout, an upload that stops at "
    "idle_timeout",
    "[http_face]") {
    RedisServer redis;
    DaemonOptions options;
    options.http_config = "body_timeout = 2\nidle_timeout = 3\n";
    Daemon iiifd(redis, options);
    iiifd.start();

    RawConnection patch(iiifd.port());
    // The server's deadline runs from the headers it has read: after this.
    const auto patch_sent = Clock::now();
    REQUIRE(
        patch.send_text("PATCH /api/v1/objects/ark:/99999/fk4-1 HTTP/1.1\r\nHost: x\r\n"
                        "Authorization: Bearer " +
                        Daemon::key() +
                        "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                        "{\"title\""));
    const std::string body = deposit_body();
    RawConnection upload(iiifd.port());
    REQUIRE(upload.send_text(deposit_head(body.size()) + body.substr(0, 500)));
    const auto sent = Clock::now();

    CHECK(patch.closed_within(5s));
    const auto patch_cut = Clock::now() - patch_sent;
    CHECK(patch_cut >= 2s);
    CHECK(patch_cut < 4s);
    CHECK(upload.closed_within(5s));
    const auto upload_cut = Clock::now() - sent;
    // libmicrohttpd counts idle time in whole seconds of its own clock: the 3 s timeout may
    // end up to a second early, never before the body_timeout's 2 s have passed.
    CHECK(upload_cut >= 2s);
    CHECK(upload_cut < 6s);
    const auto deadline = Clock::now() + 3s;
    while (entries(iiifd.staging()) != 0 && Clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    CHECK(entries(iiifd.staging()) == 0);
}

TEST_CASE(
    "http face: a multipart deposit cut into pieces of any size over the reads keeps every part",
    "[http_face]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    const std::string body = deposit_body();
    // 1 byte at a time over the first boundary and the first part's headers, then pieces that
    // fall anywhere over the rest.
    for (size_t piece : {size_t{1}, size_t{7}, size_t{61}, size_t{4096}}) {
        INFO("pieces of " << piece << " bytes");
        RawConnection connection(iiifd.port());
        REQUIRE(connection.send_text(deposit_head(body.size())));
        send_in_pieces(connection, body.substr(0, 200), piece);
        send_in_pieces(connection, body.substr(200), piece == 1 ? 997 : piece);
        const std::string response = connection.read_to_end(20s);
        REQUIRE(status_of(response) == 202);
        const std::string status = iiifd.wait_for_job(json_text(body_of(response), "job"));
        CHECK(json_text(status, "state") == "done");
        std::vector<std::string> names;
        for (const std::string& file : json_array(status, "files"))
            names.push_back(json_text(file, "name"));
        CHECK(names == std::vector<std::string>{"one.jpg", "two.jpg"});
    }
}

TEST_CASE(
    "http face: a part after the closing boundary, or an epilogue, makes a deposit 400 and "
    "leaves nothing",
    "[http_face]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    const std::string after_close = "\r\n--" + kBoundary +
                                    "\r\nContent-Disposition: form-data; name=\"file\"; "
                                    "filename=\"three.jpg\"\r\n\r\nxyz\r\n--" +
                                    kBoundary + "--\r\n";
    const std::string epilogue(5 << 20, 'e');
    for (const std::string& tail : {after_close, epilogue}) {
        INFO(tail.size() << " bytes after the closing boundary");
        const std::string body = deposit_body() + tail;
        RawConnection connection(iiifd.port());
        REQUIRE(connection.send_text(deposit_head(body.size()) + body));
        const std::string response = connection.read_to_end(20s);
        CHECK(status_of(response) == 400);
        CHECK(json_text(body_of(response), "error") == "malformed multipart body");
        CHECK(entries(iiifd.staging()) == 0);
    }
    CHECK(redis.integer({"XLEN", "iiif:ingest"}) == 0);
    CHECK(json_array(iiifd.get("/api/v1/objects").body, "objects").empty());
}

TEST_CASE(
    "http face: an unknown path is 404, a known one with another method 405 with Allow, HEAD is "
    "GET without a body, a page is gzip for who takes it",
    "[http_face]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();

    HttpResponse unknown = http("GET", iiifd.url("/nothing/here"), {});
    CHECK(unknown.status == 404);
    CHECK(json_text(unknown.body, "error") == "not found");
    HttpResponse wrong = http("DELETE", iiifd.url("/api/v1/objects"), iiifd.auth());
    CHECK(wrong.status == 405);
    CHECK(wrong.headers.find("\r\nAllow: POST, GET\r\n") != std::string::npos);
    CHECK(json_text(wrong.body, "error") == "method not allowed");

    // A refusal of a request without a body keeps the connection for the next one.
    RawConnection kept(iiifd.port());
    REQUIRE(
        kept.send_text("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /api/v1/objects HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /oai?verb=Identify HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    const std::string three = kept.read_to_end(5s);
    CHECK(status_of(three) == 404);
    const size_t second = three.find("HTTP/1.1 ", 1);
    REQUIRE(second != std::string::npos);
    CHECK(status_of(three.substr(second)) == 401);
    const size_t third = three.find("HTTP/1.1 ", second + 1);
    REQUIRE(third != std::string::npos);
    CHECK(status_of(three.substr(third)) == 200);

    HttpResponse head = http("HEAD", iiifd.url("/api/v1/public/sets"), {});
    CHECK(head.status == 200);
    CHECK(head.body.empty());

    RawConnection connection(iiifd.port());
    REQUIRE(
        connection.send_text("GET /auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                             "Accept-Encoding: gzip\r\n\r\n"));
    const std::string response = connection.read_to_end(5s);
    CHECK(status_of(response) == 200);
    CHECK(response.find("\r\nContent-Encoding: gzip\r\n") != std::string::npos);
    CHECK(body_of(response).substr(0, 2) == "\x1f\x8b");
}
