// The deposit API of the real iiifd, with a real redis-server, over HTTP: authentication,
// deposits and their jobs, reading and changing objects, and every error as JSON with its status.
#include <lmdb.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.hpp"
#include "test_images.hpp"

using namespace daemon_harness;
namespace fs = std::filesystem;

namespace {

std::string image(const std::string& name, int width = 400, int height = 300) {
    return test_images::save(test_images::quadrants(width, height), name);
}

std::string text_file(const std::string& name, const std::string& contents) {
    std::string path = (test_images::scratch_dir() / name).string();
    write_file(path, contents);
    return path;
}

// Each file of a job's status as "name state page", with " (error)" when it has one.
std::vector<std::string> files_of(const std::string& status) {
    std::vector<std::string> files;
    for (const std::string& file : json_array(status, "files")) {
        std::string line = json_text(file, "name") + " " + json_text(file, "state") + " " +
                           std::to_string(json_integer(file, "page"));
        if (!json_text(file, "error").empty()) line += " (error)";
        files.push_back(line);
    }
    return files;
}

size_t entries(const std::string& directory) {
    if (!fs::exists(directory)) return 0;
    return static_cast<size_t>(
        std::distance(fs::directory_iterator(directory), fs::directory_iterator()));
}

// How many ARKs the catalog has minted (its `arks` database), read as nginx would, beside the
// running iiifd.
size_t minted_arks(const std::string& catalog_path) {
    MDB_env* env = nullptr;
    REQUIRE(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 32);
    REQUIRE(mdb_env_open(env, catalog_path.c_str(), MDB_RDONLY | MDB_NOSUBDIR | MDB_NOTLS, 0644) ==
            0);
    MDB_txn* txn = nullptr;
    REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
    MDB_dbi arks;
    REQUIRE(mdb_dbi_open(txn, "arks", 0, &arks) == 0);
    MDB_stat stat;
    REQUIRE(mdb_stat(txn, arks, &stat) == 0);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return stat.ms_entries;
}

const std::string kMetadata = R"({"title": [{"value": "Carte de Cassini", "lang": "fr"}],
    "creator": ["Cassini, César-François"], "sets": ["maps:france"],
    "license": "https://creativecommons.org/licenses/by/4.0/"})";

}  // namespace

TEST_CASE("api: no key or a wrong key is 401 with a JSON error", "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();

    HttpResponse none = http("GET", iiifd.url("/api/v1/objects"), {});
    CHECK(none.status == 401);
    CHECK(json_text(none.body, "error") == "missing or invalid API key");

    HttpResponse wrong = http("GET", iiifd.url("/api/v1/objects"),
                              {"Authorization: Bearer not-the-key-0123456789abcdef"});
    CHECK(wrong.status == 401);
    CHECK(json_text(wrong.body, "error") == "missing or invalid API key");

    HttpResponse deposit =
        post_multipart(iiifd.url("/api/v1/objects"), {}, {file_part(image("a.jpg"))});
    CHECK(deposit.status == 401);
    CHECK(entries(iiifd.staging()) == 0);

    CHECK(iiifd.get("/api/v1/objects").status == 200);
}

TEST_CASE(
    "api: a deposit of two images is 202 with job and ARK and its job ends done with pages 1 and 2",
    "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();

    HttpResponse deposit = iiifd.post_object({image("a.jpg"), image("b.png")}, kMetadata);
    REQUIRE(deposit.status == 202);
    std::string job = json_text(deposit.body, "job");
    std::string ark = json_text(deposit.body, "ark");
    CHECK(job.size() == 24);
    CHECK_THAT(ark, Catch::StartsWith("ark:/99999/fk4-"));
    CHECK(json_text(deposit.body, "status_url") == "/api/v1/jobs/" + job);

    std::string status = iiifd.wait_for_job(job);
    CHECK(json_text(status, "state") == "done");
    CHECK(json_text(status, "ark") == ark);
    CHECK(json_text(status, "origin") == "api");
    CHECK(files_of(status) == std::vector<std::string>{"a.jpg done 1", "b.png done 2"});
    // A finished job leaves neither staging files nor a stream entry, and its record goes after
    // 30 days.
    CHECK(entries(iiifd.staging()) == 0);
    CHECK(redis.integer({"XLEN", "iiif:ingest"}) == 0);
    const long long ttl = redis.integer({"TTL", "iiif:job:" + job});
    CHECK(ttl > 30LL * 24 * 3600 - 120);
    CHECK(ttl <= 30LL * 24 * 3600);
}

TEST_CASE("api: the deposited object reads back with its metadata and two image ids", "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    HttpResponse deposit = iiifd.post_object({image("a.jpg"), image("b.png")}, kMetadata);
    REQUIRE(deposit.status == 202);
    std::string ark = json_text(deposit.body, "ark");
    REQUIRE(json_text(iiifd.wait_for_job(json_text(deposit.body, "job")), "state") == "done");

    HttpResponse object = iiifd.get("/api/v1/objects/" + ark);
    REQUIRE(object.status == 200);
    CHECK(json_text(object.body, "ark") == ark);
    CHECK(json_text(object.body, "state") == "active");
    CHECK(json_array(object.body, "images") == std::vector<std::string>{ark + "/f1", ark + "/f2"});
    CHECK(json_array(object.body, "metadata.title") ==
          std::vector<std::string>{R"({"value":"Carte de Cassini","lang":"fr"})"});
    CHECK(json_array(object.body, "metadata.creator") ==
          std::vector<std::string>{R"({"value":"Cassini, César-François"})"});
    CHECK(json_array(object.body, "metadata.sets") == std::vector<std::string>{"maps:france"});
    CHECK(json_text(object.body, "metadata.license") ==
          "https://creativecommons.org/licenses/by/4.0/");
    // No provider given: the configured institution.
    CHECK(json_text(object.body, "metadata.provider") == "Test Library");

    std::string encoded = ark;
    for (size_t at = 0; (at = encoded.find_first_of(":/", at)) != std::string::npos;)
        encoded.replace(at, 1, encoded[at] == ':' ? "%3A" : "%2F");
    HttpResponse by_encoded = iiifd.get("/api/v1/objects/" + encoded);
    CHECK(by_encoded.status == 200);
    CHECK(by_encoded.body == object.body);
}

TEST_CASE("api: a text file among images is refused with a reason and the images are ingested",
          "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    HttpResponse deposit = iiifd.post_object(
        {image("a.jpg"), text_file("notes.txt", "not an image\n"), image("b.png")});
    REQUIRE(deposit.status == 202);

    std::string status = iiifd.wait_for_job(json_text(deposit.body, "job"));
    CHECK(json_text(status, "state") == "done");
    CHECK(files_of(status) ==
          std::vector<std::string>{"a.jpg done 1", "notes.txt refused -1 (error)", "b.png done 2"});
    std::string refused = json_array(status, "files")[1];
    CHECK_THAT(json_text(refused, "error"), Catch::Contains("not an image"));

    std::string ark = json_text(deposit.body, "ark");
    CHECK(json_array(iiifd.get("/api/v1/objects/" + ark).body, "images") ==
          std::vector<std::string>{ark + "/f1", ark + "/f2"});
}

TEST_CASE("api: bad metadata is 400 and nothing is queued", "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();

    HttpResponse unknown_field = iiifd.post_object({image("a.jpg")}, R"({"titel": "x"})");
    CHECK(unknown_field.status == 400);
    CHECK_THAT(json_text(unknown_field.body, "error"), Catch::StartsWith("metadata: titel"));

    HttpResponse not_json = iiifd.post_object({image("a.jpg")}, "{");
    CHECK(not_json.status == 400);
    CHECK_THAT(json_text(not_json.body, "error"), Catch::StartsWith("metadata:"));

    HttpResponse bad_license =
        iiifd.post_object({image("a.jpg")}, R"({"license": "https://example.org/mine"})");
    CHECK(bad_license.status == 400);

    HttpResponse bad_access = iiifd.post_object({image("a.jpg")}, R"({"access": "staff-only"})");
    CHECK(bad_access.status == 400);
    CHECK(json_text(bad_access.body, "error") ==
          "metadata: access: no such policy: \"staff-only\"");

    CHECK(redis.integer({"XLEN", "iiif:ingest"}) == 0);
    CHECK(redis.strings({"KEYS", "iiif:job:*"}).empty());
    CHECK(entries(iiifd.staging()) == 0);
    CHECK(json_array(iiifd.get("/api/v1/objects").body, "objects").empty());
}

TEST_CASE(
    "api: an origin is iiifd's to set: a deposit or a PATCH naming one is 400 and changes nothing",
    "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    const std::string origin =
        R"("origin": {"partner": "bm-lyon", "base_url": "https://oai.example.org/oai",)"
        R"( "identifier": "oai:example.org:1", "datestamp": "2024-01-31",)"
        R"( "metadata_namespace": "http://www.openarchives.org/OAI/2.0/oai_dc/",)"
        R"( "harvested": 1780272000})";

    HttpResponse deposit = iiifd.post_object({image("a.jpg")}, R"({"title": "x", )" + origin + "}");
    CHECK(deposit.status == 400);
    CHECK(json_text(deposit.body, "error") == "metadata: origin: unknown field");
    CHECK(redis.integer({"XLEN", "iiif:ingest"}) == 0);
    CHECK(entries(iiifd.staging()) == 0);

    HttpResponse accepted = iiifd.post_object({image("a.jpg")}, kMetadata);
    REQUIRE(accepted.status == 202);
    const std::string ark = json_text(accepted.body, "ark");
    REQUIRE(json_text(iiifd.wait_for_job(json_text(accepted.body, "job")), "state") == "done");
    const std::string record = iiifd.get("/api/v1/objects/" + ark).body;
    HttpResponse patched = iiifd.patch("/api/v1/objects/" + ark, "{" + origin + "}");
    CHECK(patched.status == 400);
    CHECK(json_text(patched.body, "error") == "metadata: origin: unknown field");
    CHECK(iiifd.get("/api/v1/objects/" + ark).body == record);
}

TEST_CASE("api: a deposit without a file is 400 and one that is not multipart 415", "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();

    HttpResponse no_file = post_multipart(iiifd.url("/api/v1/objects"), iiifd.auth(),
                                          {metadata_part(R"({"title": "x"})")});
    CHECK(no_file.status == 400);
    CHECK(json_text(no_file.body, "error") == "no file part in the deposit");

    HttpResponse unknown_part = post_multipart(iiifd.url("/api/v1/objects"), iiifd.auth(),
                                               {{"files", "a.jpg", "bytes", ""}});
    CHECK(unknown_part.status == 400);
    CHECK(json_text(unknown_part.body, "error") ==
          "unknown part \"files\" (expected file, metadata or pages)");

    std::vector<std::string> headers = iiifd.auth();
    headers.push_back("Content-Type: image/jpeg");
    HttpResponse raw = http("POST", iiifd.url("/api/v1/objects"), headers, "\xff\xd8\xff");
    CHECK(raw.status == 415);
    CHECK(json_text(raw.body, "error") == "expected multipart/form-data with file parts");
    CHECK(entries(iiifd.staging()) == 0);
}

TEST_CASE("api: a file over max_file_bytes is 413", "[api]") {
    RedisServer redis;
    DaemonOptions options;
    options.max_file_bytes = 10000;
    Daemon iiifd(redis, options);
    iiifd.start();

    HttpResponse big = iiifd.post_object({text_file("big.tif", std::string(50000, 'x'))});
    CHECK(big.status == 413);
    CHECK(json_text(big.body, "error") == "big.tif is larger than 10000 bytes");
    CHECK(entries(iiifd.staging()) == 0);
    CHECK(redis.integer({"XLEN", "iiif:ingest"}) == 0);
}

TEST_CASE("api: an unknown job or object is 404", "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();

    HttpResponse job = iiifd.get("/api/v1/jobs/0123456789abcdef01234567");
    CHECK(job.status == 404);
    CHECK(json_text(job.body, "error") == "no job 0123456789abcdef01234567");

    HttpResponse object = iiifd.get("/api/v1/objects/ark:/99999/fk4-bcdfghjk-x");
    CHECK(object.status == 404);
    CHECK(json_text(object.body, "error") == "no object ark:/99999/fk4-bcdfghjk-x");

    HttpResponse patch = iiifd.patch("/api/v1/objects/ark:/99999/fk4-bcdfghjk-x", "{}");
    CHECK(patch.status == 404);

    HttpResponse endpoint = iiifd.get("/api/v1/nothing");
    CHECK(endpoint.status == 404);
    CHECK(json_text(endpoint.body, "error") == "not found");
}

TEST_CASE("api: PATCH replaces the metadata keys it gives and GET and object.json reflect it",
          "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    HttpResponse deposit = iiifd.post_object({image("a.jpg")}, kMetadata);
    REQUIRE(deposit.status == 202);
    std::string ark = json_text(deposit.body, "ark");
    REQUIRE(json_text(iiifd.wait_for_job(json_text(deposit.body, "job")), "state") == "done");

    HttpResponse patched =
        iiifd.patch("/api/v1/objects/" + ark,
                    R"({"title": [{"value": "Map of France", "lang": "en"}], "creator": null})");
    REQUIRE(patched.status == 200);

    HttpResponse object = iiifd.get("/api/v1/objects/" + ark);
    CHECK(json_array(object.body, "metadata.title") ==
          std::vector<std::string>{R"({"value":"Map of France","lang":"en"})"});
    CHECK(json_array(object.body, "metadata.creator").empty());
    CHECK(json_array(object.body, "metadata.sets") == std::vector<std::string>{"maps:france"});
    CHECK(json_array(object.body, "images") == std::vector<std::string>{ark + "/f1"});
    CHECK(json_integer(object.body, "updated") >= json_integer(object.body, "created"));

    // The storage root, from which the catalog is rebuilt, has the change too.
    std::string name = ark.substr(ark.rfind('/') + 1);
    std::string document = read_file(iiifd.storage_root() + "/99999/" + name + "/object.json");
    CHECK_THAT(document, Catch::Contains("Map of France"));
    CHECK_THAT(document, !Catch::Contains("Carte de Cassini"));

    std::vector<std::string> events = redis.strings({"XRANGE", "iiif:events", "-", "+"});
    CHECK(events.size() == 2);
    CHECK(redis.integer({"XLEN", "iiif:events"}) == 2);

    HttpResponse bad = iiifd.patch("/api/v1/objects/" + ark, R"({"date": 1789})");
    CHECK(bad.status == 400);
    CHECK_THAT(json_text(bad.body, "error"), Catch::StartsWith("metadata: date"));
}

TEST_CASE("api: the object list pages with an opaque cursor", "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    std::vector<std::string> arks;
    for (const char* title : {"One", "Two", "Three"}) {
        HttpResponse deposit =
            iiifd.post_object({image("a.jpg")}, std::string(R"({"title": ")") + title + "\"}");
        REQUIRE(deposit.status == 202);
        REQUIRE(json_text(iiifd.wait_for_job(json_text(deposit.body, "job")), "state") == "done");
        arks.push_back(json_text(deposit.body, "ark"));
    }

    HttpResponse first = iiifd.get("/api/v1/objects?limit=2");
    REQUIRE(first.status == 200);
    std::vector<std::string> page = json_array(first.body, "objects");
    REQUIRE(page.size() == 2);
    std::string cursor = json_text(first.body, "next_cursor");
    REQUIRE_FALSE(cursor.empty());
    HttpResponse second = iiifd.get("/api/v1/objects?limit=2&cursor=" + cursor);
    REQUIRE(second.status == 200);
    std::vector<std::string> rest = json_array(second.body, "objects");
    REQUIRE(rest.size() == 1);
    CHECK(json_text(second.body, "next_cursor").empty());

    std::vector<std::string> listed;
    for (const std::string& item : page) listed.push_back(json_text(item, "ark"));
    listed.push_back(json_text(rest[0], "ark"));
    std::sort(listed.begin(), listed.end());
    std::sort(arks.begin(), arks.end());
    CHECK(listed == arks);
    CHECK(json_text(rest[0], "state") == "active");
    CHECK_FALSE(json_text(rest[0], "title").empty());

    CHECK(iiifd.get("/api/v1/objects?cursor=zz").status == 400);
    CHECK(iiifd.get("/api/v1/objects?limit=0").status == 400);
}

TEST_CASE("api: with Redis down a deposit is 503 and nothing is minted or staged", "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    redis.stop();

    HttpResponse deposit = iiifd.post_object({image("a.jpg")});
    CHECK(deposit.status == 503);
    CHECK(json_text(deposit.body, "error") == "the job queue (Redis) is unavailable");
    CHECK(entries(iiifd.staging()) == 0);
    CHECK(iiifd.get("/api/v1/jobs/0123456789abcdef01234567").status == 503);

    // Back again: the same daemon takes deposits without a restart.
    redis.start();
    HttpResponse again = iiifd.post_object({image("a.jpg")});
    REQUIRE(again.status == 202);
    CHECK(json_text(iiifd.wait_for_job(json_text(again.body, "job")), "state") == "done");
}

TEST_CASE(
    "api: while Redis answers BUSY (or LOADING) a deposit is 503, not 500, and nothing is "
    "staged",
    "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    // A script that never ends: past lua-time-limit, Redis answers every other command BUSY until
    // SCRIPT KILL, as it answers LOADING while it reads its data after a restart.
    redis.text({"CONFIG", "SET", "lua-time-limit", "10"});
    std::thread script([&] {
        try {
            redis.text({"EVAL", "while true do end", "0"});
        } catch (const std::exception&) {
            // killed: the expected end
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));

    HttpResponse deposit = iiifd.post_object({image("a.jpg")});
    CHECK(deposit.status == 503);
    CHECK(deposit.headers.find("Retry-After: 5\r\n") != std::string::npos);
    CHECK(json_text(deposit.body, "error") == "the job queue (Redis) is unavailable");
    CHECK(entries(iiifd.staging()) == 0);

    redis.text({"SCRIPT", "KILL"});
    script.join();
    HttpResponse again = iiifd.post_object({image("a.jpg")});
    REQUIRE(again.status == 202);
    CHECK(json_text(iiifd.wait_for_job(json_text(again.body, "job")), "state") == "done");
}

TEST_CASE(
    "api: PATCH naming a set over 200 characters is 400 and changes neither object.json "
    "nor the catalog",
    "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    HttpResponse deposit = iiifd.post_object({image("a.jpg")}, kMetadata);
    REQUIRE(deposit.status == 202);
    const std::string ark = json_text(deposit.body, "ark");
    REQUIRE(json_text(iiifd.wait_for_job(json_text(deposit.body, "job")), "state") == "done");
    const std::string object_file =
        iiifd.storage_root() + "/99999/" + ark.substr(ark.rfind('/') + 1) + "/object.json";
    const std::string document = read_file(object_file);
    const std::string record = iiifd.get("/api/v1/objects/" + ark).body;
    const long long events = redis.integer({"XLEN", "iiif:events"});

    HttpResponse patched =
        iiifd.patch("/api/v1/objects/" + ark, R"({"sets": [")" + std::string(600, 's') + R"("]})");
    CHECK(patched.status == 400);
    CHECK(json_text(patched.body, "error") == "metadata: sets[0]: longer than 200 characters");
    CHECK(read_file(object_file) == document);
    CHECK(iiifd.get("/api/v1/objects/" + ark).body == record);
    CHECK(redis.integer({"XLEN", "iiif:events"}) == events);

    HttpResponse long_value = iiifd.patch(
        "/api/v1/objects/" + ark, R"({"description": ")" + std::string(16385, 'd') + R"("})");
    CHECK(long_value.status == 400);
    CHECK(json_text(long_value.body, "error") ==
          "metadata: description[0]: longer than 16384 bytes");
    CHECK(read_file(object_file) == document);

    // At the limits, the change is made, on disk and in the catalog.
    HttpResponse at_limits =
        iiifd.patch("/api/v1/objects/" + ark, R"({"sets": [")" + std::string(200, 's') +
                                                  R"("], "description": ")" +
                                                  std::string(16384, 'd') + R"("})");
    CHECK(at_limits.status == 200);
    CHECK(json_array(iiifd.get("/api/v1/objects/" + ark).body, "metadata.sets") ==
          std::vector<std::string>{std::string(200, 's')});
    CHECK_THAT(read_file(object_file), Catch::Contains(std::string(200, 's')));
}

TEST_CASE(
    "api: a deposit naming a set of 5000 characters is 400 and nothing is staged, queued "
    "or minted",
    "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    const size_t minted = minted_arks(iiifd.catalog_path());

    HttpResponse deposit = iiifd.post_object(
        {image("a.jpg")}, R"({"title": "x", "sets": [")" + std::string(5000, 's') + R"("]})");
    CHECK(deposit.status == 400);
    CHECK(json_text(deposit.body, "error") == "metadata: sets[0]: longer than 200 characters");
    CHECK(entries(iiifd.staging()) == 0);
    CHECK(redis.integer({"XLEN", "iiif:ingest"}) == 0);
    CHECK(redis.strings({"KEYS", "iiif:job:*"}).empty());
    CHECK(minted_arks(iiifd.catalog_path()) == minted);
    CHECK(entries(iiifd.storage_root() + "/99999") == 0);
}

TEST_CASE("api: an identifier over 256 characters is 400 naming the limit", "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    const std::string ark = "ark:/99999/fk4-" + std::string(600, 'b');
    const std::string reason = "identifier: longer than 256 characters";
    for (const HttpResponse& response :
         {iiifd.get("/api/v1/objects/" + ark), iiifd.patch("/api/v1/objects/" + ark, "{}"),
          http("POST", iiifd.url("/api/v1/objects/" + ark + "/withdraw"), iiifd.auth(),
               R"({"reason": "r", "requested_by": "x"})")}) {
        CHECK(response.status == 400);
        CHECK(json_text(response.body, "error") == reason);
    }
    HttpResponse set = iiifd.get("/api/v1/public/objects?set=" + std::string(600, 's'));
    CHECK(set.status == 400);
    CHECK(json_text(set.body, "error") == "set: longer than 200 characters");
}

TEST_CASE(
    "api: an object route takes an object's ARK exactly: anything under it or after it is 404 "
    "and changes nothing",
    "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    HttpResponse deposit = iiifd.post_object({image("a.jpg")}, kMetadata);
    REQUIRE(deposit.status == 202);
    const std::string ark = json_text(deposit.body, "ark");
    REQUIRE(json_text(iiifd.wait_for_job(json_text(deposit.body, "job")), "state") == "done");
    const std::string object = "/api/v1/objects/" + ark;
    const std::string takedown = R"({"reason": "rights owner request", "requested_by": "tests"})";
    const std::string refusal = "not an object's ARK (nothing may follow its name)";

    // %2F is decoded before routing: the first is ark + "/../../staging".
    for (const std::string under :
         {"%2F..%2F..%2Fstaging", "/f1", "%2Ff1", "/", ".", ".f1", "/withdraw", "/f1/x"}) {
        INFO(under);
        for (const std::string action : {"withdraw", "reinstate", "purge"}) {
            INFO(action);
            HttpResponse answer =
                http("POST", iiifd.url(object + under + "/" + action), iiifd.auth(), takedown);
            CHECK(answer.status == 404);
            CHECK(json_text(answer.body, "error") == refusal);
        }
        HttpResponse read = iiifd.get(object + under);
        CHECK(read.status == 404);
        CHECK(json_text(read.body, "error") == refusal);
        HttpResponse patched = iiifd.patch(object + under, R"({"creator": ["Someone else"]})");
        CHECK(patched.status == 404);
        CHECK(json_text(patched.body, "error") == refusal);
    }

    // Nothing happened to the object: still active, its metadata as deposited, one event.
    HttpResponse record = iiifd.get(object);
    REQUIRE(record.status == 200);
    CHECK(json_text(record.body, "state") == "active");
    CHECK(json_array(record.body, "metadata.creator") ==
          std::vector<std::string>{R"({"value":"Cassini, César-François"})"});
    CHECK(redis.integer({"XLEN", "iiif:events"}) == 1);
    CHECK_FALSE(fs::exists(iiifd.storage_root() + "/withdrawals.log"));

    // Any spelling of the ARK itself is the object: "ark:" without '/', the label's case,
    // hyphens left out.
    const std::string name = ark.substr(ark.rfind('/') + 1);
    std::string bare = name;
    std::erase(bare, '-');
    for (const std::string& spelling :
         {"ark:99999/" + name, "ARK:/99999/" + name, "ark:/99999/" + bare}) {
        INFO(spelling);
        HttpResponse same = iiifd.get("/api/v1/objects/" + spelling);
        CHECK(same.status == 200);
        CHECK(json_text(same.body, "ark") == ark);
    }
    HttpResponse withdrawn = http("POST", iiifd.url(object + "/withdraw"), iiifd.auth(), takedown);
    CHECK(withdrawn.status == 200);
    CHECK(json_text(withdrawn.body, "state") == "withdrawn");
}

TEST_CASE(
    "api: a file name that is not UTF-8 is made valid (U+FFFD for each bad sequence, the "
    "extension kept) and the deposit is taken",
    "[api]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    const std::string replacement = "\xEF\xBF\xBD";
    const std::string long_name = std::string(300, 'a') + "\xE9.png";  // Latin-1 é
    HttpResponse deposit =
        post_multipart(iiifd.url("/api/v1/objects"), iiifd.auth(),
                       {{"file", "caf\xE9.jpg", "", image("a.jpg")},
                        {"file", "\xC3\x28-\xF0\x9F\x98\x80.png", "", image("b.png")},
                        {"file", long_name, "", image("c.png")}});
    REQUIRE(deposit.status == 202);

    const std::string status = iiifd.wait_for_job(json_text(deposit.body, "job"));
    CHECK(json_text(status, "state") == "done");
    // A cut name keeps its end, where the extension is: 200 bytes, whole characters.
    CHECK(files_of(status) ==
          std::vector<std::string>{"caf" + replacement + ".jpg done 1",
                                   replacement + "(-\xF0\x9F\x98\x80.png done 2",
                                   std::string(193, 'a') + replacement + ".png done 3"});
}
