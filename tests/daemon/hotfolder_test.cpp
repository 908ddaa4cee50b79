// The hot folder of the real iiifd: a subfolder dropped in becomes one object, its files in name
// order with its metadata.json; a refused one is renamed .failed with the reason.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.hpp"
#include "test_images.hpp"

using namespace daemon_harness;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Waits (at most 30 s) for `path` to exist.
bool appears(const std::string& path) {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (fs::exists(path)) return true;
        std::this_thread::sleep_for(100ms);
    }
    return false;
}

}  // namespace

TEST_CASE(
    "hotfolder: a settled subfolder is one object with its files in name order and metadata.json",
    "[hotfolder]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();

    // Written in place, the way a copy lands: the files arrive one by one.
    std::string book = iiifd.hot_folder() + "/book";
    fs::create_directories(book);
    test_images::quadrants(300, 200).write_to_file((book + "/02-verso.png").c_str());
    test_images::quadrants(300, 200).write_to_file((book + "/01-recto.jpg").c_str());
    write_file(book + "/metadata.json", R"({"title": "Livre d'heures", "sets": ["books"]})");
    write_file(book + "/pages.json", R"({"rule": "folio", "start": 7})");

    REQUIRE(appears(book + ".iiifd.json"));
    CHECK_FALSE(fs::exists(book));
    std::string receipt = read_file(book + ".iiifd.json");
    std::string job = json_text(receipt, "job");
    std::string ark = json_text(receipt, "ark");
    CHECK(json_array(receipt, "files") == std::vector<std::string>{"01-recto.jpg", "02-verso.png"});

    std::string status = iiifd.wait_for_job(job);
    CHECK(json_text(status, "state") == "done");
    CHECK(json_text(status, "origin") == "hotfolder");
    std::vector<std::string> files = json_array(status, "files");
    REQUIRE(files.size() == 2);
    CHECK(json_text(files[0], "name") == "01-recto.jpg");
    CHECK(json_integer(files[0], "page") == 1);
    CHECK(json_text(files[1], "name") == "02-verso.png");
    CHECK(json_integer(files[1], "page") == 2);

    HttpResponse object = iiifd.get("/api/v1/objects/" + ark);
    CHECK(json_array(object.body, "metadata.title") ==
          std::vector<std::string>{R"({"value":"Livre d'heures"})"});
    CHECK(json_array(object.body, "metadata.sets") == std::vector<std::string>{"books"});
    CHECK(json_array(object.body, "images").size() == 2);
    // Its pages labelled by pages.json; it belongs to the home institution.
    CHECK(json_text(object.body, "institution") == "main");
    HttpResponse pages = iiifd.get("/api/v1/objects/" + ark + "/pages");
    REQUIRE(json_array(pages.body, "pages").size() == 2);
    CHECK(json_text(json_array(pages.body, "pages")[0], "label") == "f. 7r");
    CHECK(json_text(json_array(pages.body, "pages")[1], "label") == "f. 7v");
}

TEST_CASE("hotfolder: a subfolder with a bad pages.json is renamed .failed with the reason",
          "[hotfolder]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    std::string folder = iiifd.hot_folder() + "/badpages";
    fs::create_directories(folder);
    test_images::quadrants(300, 200).write_to_file((folder + "/01.jpg").c_str());
    write_file(folder + "/pages.json", R"({"rule": "roman"})");
    REQUIRE(appears(folder + ".failed/iiifd-error.txt"));
    CHECK(read_file(folder + ".failed/iiifd-error.txt") ==
          "pages.json: pages.rule: one of page, folio, filename\n");
    CHECK(redis.strings({"KEYS", "iiif:job:*"}).empty());
}

TEST_CASE("hotfolder: a subfolder with a bad metadata.json is renamed .failed with the reason",
          "[hotfolder]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();

    std::string folder = iiifd.hot_folder() + "/bad";
    fs::create_directories(folder);
    test_images::quadrants(300, 200).write_to_file((folder + "/01.jpg").c_str());
    write_file(folder + "/metadata.json", R"({"title": "x", "licence": "cc-by"})");

    REQUIRE(appears(folder + ".failed/iiifd-error.txt"));
    CHECK_FALSE(fs::exists(folder));
    CHECK_THAT(read_file(folder + ".failed/iiifd-error.txt"),
               Catch::StartsWith("metadata.json: metadata: licence"));
    CHECK(fs::exists(folder + ".failed/01.jpg"));
    CHECK(redis.strings({"KEYS", "iiif:job:*"}).empty());
}

TEST_CASE("hotfolder: a file name that is not UTF-8 is recorded made valid, the extension kept",
          "[hotfolder]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();

    std::string folder = iiifd.hot_folder() + "/latin1";
    fs::create_directories(folder);
    test_images::quadrants(300, 200).write_to_file((folder + "/01-caf\xE9.png").c_str());
    REQUIRE(appears(folder + ".iiifd.json"));
    const std::string receipt = read_file(folder + ".iiifd.json");
    CHECK(json_array(receipt, "files") == std::vector<std::string>{"01-caf\xEF\xBF\xBD.png"});
    const std::string status = iiifd.wait_for_job(json_text(receipt, "job"));
    CHECK(json_text(status, "state") == "done");
    std::vector<std::string> files = json_array(status, "files");
    REQUIRE(files.size() == 1);
    CHECK(json_text(files[0], "name") == "01-caf\xEF\xBF\xBD.png");
}

TEST_CASE(
    "hotfolder: a metadata.json naming an undefined access policy is refused like the API "
    "refuses it",
    "[hotfolder]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();

    std::string folder = iiifd.hot_folder() + "/secret";
    fs::create_directories(folder);
    test_images::quadrants(300, 200).write_to_file((folder + "/01.jpg").c_str());
    write_file(folder + "/metadata.json", R"({"title": "x", "access": "staff-only"})");

    REQUIRE(appears(folder + ".failed/iiifd-error.txt"));
    CHECK_FALSE(fs::exists(folder));
    CHECK(read_file(folder + ".failed/iiifd-error.txt") ==
          "metadata.json: metadata: access: no such policy: \"staff-only\"\n");
    CHECK(fs::exists(folder + ".failed/01.jpg"));
    CHECK(redis.strings({"KEYS", "iiif:job:*"}).empty());
    CHECK(json_array(iiifd.get("/api/v1/objects").body, "objects").empty());
}
