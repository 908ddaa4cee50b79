// The Redis feed with the real iiifd and redis-server: the CLI goes through the same queue, a
// clean stop lets the job under way finish, and neither a kill -9 of iiifd nor a restart of
// Redis in the middle of a batch (with its data or without) loses, doubles or corrupts an
// object.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.hpp"
#include "catalog.hpp"
#include "catalog_fixtures.hpp"
#include "daemon_config.hpp"
#include "deposits.hpp"
#include "directory.hpp"
#include "iiif_error.hpp"
#include "job_queue.hpp"
#include "proc_threads.hpp"
#include "storage.hpp"
#include "test_images.hpp"

using namespace daemon_harness;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string image(const std::string& name, int width = 400, int height = 300) {
    return test_images::save(test_images::quadrants(width, height), name);
}

// Two large pages, different from one another, for batches that take some time.
std::vector<std::string> large_pages() {
    static const std::vector<std::string> pages = {
        image("large-1.jpg", 2000, 1500),
        test_images::save(test_images::quadrants(2000, 1500).flip(VIPS_DIRECTION_HORIZONTAL),
                          "large-2.jpg")};
    return pages;
}

struct Deposit {
    std::string job;
    std::string ark;
};

std::vector<Deposit> deposit_batch(const Daemon& iiifd, int objects) {
    std::vector<Deposit> deposits;
    for (int i = 0; i < objects; ++i) {
        HttpResponse response = iiifd.post_object(
            large_pages(), R"({"title": "Object )" + std::to_string(i + 1) + "\"}");
        REQUIRE(response.status == 202);
        deposits.push_back({json_text(response.body, "job"), json_text(response.body, "ark")});
    }
    return deposits;
}

int jobs_in_state(const RedisServer& redis, const std::vector<Deposit>& deposits,
                  const std::string& state) {
    int count = 0;
    for (const Deposit& deposit : deposits) {
        if (redis.text({"HGET", "iiif:job:" + deposit.job, "state"}) == state) count += 1;
    }
    return count;
}

std::vector<std::string> visible_files(const std::string& directory) {
    std::vector<std::string> names;
    if (!fs::exists(directory)) return names;
    for (const fs::directory_entry& entry : fs::directory_iterator(directory)) {
        std::string name = entry.path().filename().string();
        if (name.front() != '.') names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

// Every deposit is one object in the catalog with its two pages, each page's master and
// original on disk once, with the checksums the record gives; and nothing else is there.
void check_batch_intact(const Daemon& iiifd, const std::vector<Deposit>& deposits) {
    std::string error;
    std::unique_ptr<iiif::CatalogReader> catalog =
        iiif::CatalogReader::open(iiifd.catalog_path(), &error);
    REQUIRE(catalog);
    CHECK(catalog->object_count() == static_cast<std::int64_t>(deposits.size()));
    std::set<std::string> original_digests;
    for (const std::string& page : large_pages())
        original_digests.insert(iiifd::sha256_of_file(page));

    for (const Deposit& deposit : deposits) {
        INFO("object " << deposit.ark);
        std::optional<iiif::ObjectRecord> object = catalog->object(deposit.ark);
        REQUIRE(object);
        CHECK(object->images == std::vector<std::string>{deposit.ark + "/f1", deposit.ark + "/f2"});
        for (const std::string& id : object->images) {
            std::optional<iiif::ImageRecord> image = catalog->image(id);
            REQUIRE(image);
            CHECK(iiifd::sha256_of_file(image->master_path) == image->master_sha256);
            CHECK(iiifd::sha256_of_file(image->original_path) == image->original_sha256);
            CHECK(original_digests.count(image->original_sha256) == 1);
        }
        std::string directory =
            iiifd.storage_root() + "/99999/" + deposit.ark.substr(deposit.ark.rfind('/') + 1);
        CHECK(visible_files(directory + "/masters") ==
              std::vector<std::string>{"f1.tif", "f2.tif"});
        CHECK(visible_files(directory + "/originals").size() == 2);
    }
    CHECK(visible_files(iiifd.storage_root() + "/99999").size() == deposits.size());
    CHECK(visible_files(iiifd.staging()).empty());
}

// A temporary file as a process killed in the middle of a write leaves it: made by a child
// process that then exits.
std::string temporary_of_dead_process(const std::string& directory, const std::string& suffix) {
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        std::string path = iiifd::create_temporary_file(directory, suffix);
        ssize_t ignored = write(pipe_fds[1], path.data(), path.size());
        (void)ignored;
        _exit(0);
    }
    close(pipe_fds[1]);
    std::string path;
    char buffer[512];
    for (ssize_t got; (got = read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
        path.append(buffer, static_cast<size_t>(got));
    close(pipe_fds[0]);
    waitpid(child, nullptr, 0);
    write_file(path, "half written");
    return path;
}

// Every regular file under `directory` and its SHA-256.
std::map<std::string, std::string> digests_under(const std::string& directory) {
    std::map<std::string, std::string> digests;
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(directory)) {
        if (entry.is_regular_file())
            digests[entry.path().string()] = iiifd::sha256_of_file(entry.path().string());
    }
    return digests;
}

}  // namespace

TEST_CASE("queue: iiifd ingest queues a deposit that a daemon started later ingests", "[queue]") {
    RedisServer redis;
    Daemon iiifd(redis);

    CommandResult result =
        iiifd.run_iiifd({"ingest", image("a.jpg"), image("b.png"), "--title",
                         "From the command line", "--set", "maps", "--set", "maps:france"});
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    std::string ark = result.output.substr(result.output.find("ark: ") + 5);
    ark = ark.substr(0, ark.find('\n'));
    std::string job = result.output.substr(result.output.find("job: ") + 5);
    job = job.substr(0, job.find('\n'));
    CHECK_THAT(ark, Catch::StartsWith("ark:/99999/fk4-"));
    CHECK(job.size() == 24);

    iiifd.start();
    std::string status = iiifd.wait_for_job(job);
    CHECK(json_text(status, "state") == "done");
    CHECK(json_text(status, "origin") == "cli");
    CHECK(json_array(status, "files").size() == 2);

    HttpResponse object = iiifd.get("/api/v1/objects/" + ark);
    CHECK(json_array(object.body, "metadata.title") ==
          std::vector<std::string>{R"({"value":"From the command line"})"});
    CHECK(json_array(object.body, "metadata.sets") ==
          std::vector<std::string>{"maps", "maps:france"});
    CHECK(json_array(object.body, "images") == std::vector<std::string>{ark + "/f1", ark + "/f2"});
}

TEST_CASE("queue: iiifd ingest of a missing file fails with the reason and queues nothing",
          "[queue]") {
    RedisServer redis;
    Daemon iiifd(redis);
    CommandResult result = iiifd.run_iiifd({"ingest", "/nonexistent/a.jpg"});
    CHECK(result.exit_code == 1);
    CHECK(result.output == "iiifd: /nonexistent/a.jpg: no such file or directory\n");
    CHECK(redis.strings({"KEYS", "iiif:job:*"}).empty());
}

TEST_CASE("queue: iiifd ingest records a file name that is not UTF-8 made valid", "[queue]") {
    RedisServer redis;
    Daemon iiifd(redis);
    const fs::path latin1 = test_images::scratch_dir() / "cli-latin1" / "caf\xE9.png";
    fs::create_directories(latin1.parent_path());
    fs::copy_file(image("b.png"), latin1, fs::copy_options::overwrite_existing);

    CommandResult result = iiifd.run_iiifd({"ingest", latin1.string()});
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    std::string job = result.output.substr(result.output.find("job: ") + 5);
    job = job.substr(0, job.find('\n'));
    iiifd.start();
    const std::string status = iiifd.wait_for_job(job);
    CHECK(json_text(status, "state") == "done");
    std::vector<std::string> files = json_array(status, "files");
    REQUIRE(files.size() == 1);
    CHECK(json_text(files[0], "name") == "caf\xEF\xBF\xBD.png");
}

TEST_CASE(
    "queue: Deposits::accept, where the API, the hot folder and the CLI end, refuses a policy "
    "the configuration does not define before anything is queued",
    "[queue]") {
    RedisServer redis;
    Daemon iiifd(redis);
    const iiifd::DaemonConfig config = iiifd::load_daemon_config(iiifd.config_path());
    fs::create_directories(fs::path(config.catalog_path).parent_path());
    std::unique_ptr<iiif::CatalogWriter> catalog =
        catalog_fixtures::open_writer(config.catalog_path);
    iiifd::AuditLog audit(iiifd::audit_log_path(config.storage_root));
    iiifd::Directory directory(config, *catalog, audit);
    directory.bootstrap();
    const iiifd::Deposits deposits(config, *catalog, directory);
    iiifd::Redis connection("127.0.0.1", redis.port());
    const iiifd::DepositSource cli{"cli", "", {"tester", "command line"}};
    const std::string staged = config.staging_dir + "/file.png";

    iiif::ObjectMetadata metadata;
    metadata.access = "staff-only";
    try {
        deposits.accept(connection, "0123456789abcdef01234567", {{staged, "file.png"}}, metadata,
                        cli);
        FAIL("accepted");
    } catch (const iiif::IiifError& error) {
        CHECK(error.status == 400);
        CHECK(error.reason == "metadata: access: no such policy: \"staff-only\"");
    }
    CHECK(redis.strings({"KEYS", "iiif:job:*"}).empty());
    CHECK(redis.integer({"EXISTS", "iiif:ingest"}) == 0);

    metadata.access = "public";
    // Where an adapter has staged the job's files, and where its job.json goes.
    fs::create_directories(config.staging_dir + "/0123456789abcdef01234568");
    const iiifd::IngestJob job = deposits.accept(connection, "0123456789abcdef01234568",
                                                 {{staged, "file.png"}}, metadata, cli);
    CHECK(redis.integer({"XLEN", "iiif:ingest"}) == 1);
    CHECK(daemon_harness::read_file(config.staging_dir + "/0123456789abcdef01234568/job.json") ==
          iiifd::ingest_job_to_json(job) + "\n");
    CHECK(catalog->reader().ark_minted(job.ark));
    CHECK(job.institution == "main");
    CHECK(job.metadata.provider == config.institution);
    // Recorded in the audit log, with who deposited.
    size_t next = 0;
    const std::vector<iiifd::AuditEntry> entries = audit.recent(1, "", 0, &next);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].action == "object.deposit");
    CHECK(entries[0].target == job.ark);
    CHECK(entries[0].actor.account == "tester");
    CHECK(entries[0].institution == "main");

    // An institution the directory does not know: refused before anything is minted.
    try {
        deposits.accept(connection, "0123456789abcdef01234569", {{staged, "file.png"}}, metadata,
                        {"cli", "nowhere", {"tester", "command line"}});
        FAIL("accepted");
    } catch (const iiif::IiifError& error) {
        CHECK(error.status == 400);
        CHECK(error.reason == "institution: no such institution: nowhere");
    }
    CHECK(redis.integer({"XLEN", "iiif:ingest"}) == 1);
}

TEST_CASE("queue: iiifd rebuild gives back the catalog from the storage root", "[queue]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    HttpResponse deposit = iiifd.post_object({image("a.jpg"), image("b.png")});
    REQUIRE(deposit.status == 202);
    REQUIRE(json_text(iiifd.wait_for_job(json_text(deposit.body, "job")), "state") == "done");
    CHECK(iiifd.stop() == 0);

    CommandResult result = iiifd.run_iiifd({"rebuild"});
    CHECK(result.exit_code == 0);
    CHECK(result.output == "objects: 1\nimages: 2\n");
}

TEST_CASE("queue: SIGTERM lets the job under way finish and exits 0", "[queue]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    std::vector<Deposit> deposits = deposit_batch(iiifd, 1);
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (jobs_in_state(redis, deposits, "queued") == 1 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    REQUIRE(jobs_in_state(redis, deposits, "queued") == 0);

    auto stopping = std::chrono::steady_clock::now();
    CHECK(iiifd.stop() == 0);
    CHECK(std::chrono::steady_clock::now() - stopping < 35s);
    CHECK(jobs_in_state(redis, deposits, "done") == 1);
    CHECK_THAT(iiifd.log(), Catch::Contains("stopped"));
}

TEST_CASE(
    "queue: after a kill -9 of iiifd mid-batch and a restart every object is there once "
    "with valid checksums",
    "[queue]") {
    RedisServer redis;
    DaemonOptions options;
    options.reclaim_idle_seconds = 2;
    Daemon iiifd(redis, options);
    iiifd.start();
    constexpr int kObjects = 20;  // the batch size the issue names
    std::vector<Deposit> deposits = deposit_batch(iiifd, kObjects);

    // Killed once some objects are done and others are not.
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (jobs_in_state(redis, deposits, "done") < 2 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    iiifd.kill_hard();
    int done_when_killed = jobs_in_state(redis, deposits, "done");
    int running_when_killed = jobs_in_state(redis, deposits, "running");
    INFO("done when killed: " << done_when_killed << ", running: " << running_when_killed);
    REQUIRE(done_when_killed >= 2);
    REQUIRE(done_when_killed < kObjects);

    // A new process is a new consumer: it takes over what the dead one left pending.
    iiifd.start();
    for (const Deposit& deposit : deposits)
        CHECK(json_text(iiifd.wait_for_job(deposit.job, 90s), "state") == "done");
    CHECK(redis.integer({"XLEN", "iiif:ingest"}) == 0);
    if (running_when_killed > 0) CHECK_THAT(iiifd.log(), Catch::Contains("taken over"));
    CHECK(iiifd.stop() == 0);
    check_batch_intact(iiifd, deposits);
}

TEST_CASE("queue: a Redis restart in the middle of a batch loses no job", "[queue]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    std::vector<Deposit> deposits = deposit_batch(iiifd, 4);

    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (jobs_in_state(redis, deposits, "done") < 1 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    redis.stop();
    std::this_thread::sleep_for(500ms);
    redis.start();

    for (const Deposit& deposit : deposits)
        CHECK(json_text(iiifd.wait_for_job(deposit.job, 90s), "state") == "done");
    CHECK(iiifd.stop() == 0);
    check_batch_intact(iiifd, deposits);
}

TEST_CASE("queue: a job recorded without reasons and progress reads back with them", "[queue]") {
    RedisServer redis;
    DaemonOptions options;
    options.hot_folder = false;
    Daemon iiifd(redis, options);
    iiifd.start();
    // As an iiifd before reasons and progress wrote it, a job it left for this one to answer.
    const std::string id = "0123456789abcdef01234567";
    redis.integer({"HSET", "iiif:job:" + id, "state", "failed", "ark", "ark:/99999/fk4-x", "origin",
                   "api", "files",
                   R"([{"name":"a.jpg","state":"done","page":1,"error":null},)"
                   R"({"name":"b.txt","state":"refused","page":null,"error":"not an image"},)"
                   R"({"name":"c.jpg","state":"failed","page":null,"error":"disk full"}])",
                   "error", "", "attempts", "1", "created", "1700000000", "updated", "1700000001"});
    HttpResponse status = iiifd.get("/api/v1/jobs/" + id);
    REQUIRE(status.status == 200);
    CHECK(
        json_array(status.body, "files") ==
        std::vector<std::string>{
            R"({"name":"a.jpg","state":"done","page":1,"error":null,"reason":"","progress":100})",
            R"({"name":"b.txt","state":"refused","page":null,"error":"not an image","reason":"","progress":0})",
            R"({"name":"c.jpg","state":"failed","page":null,"error":"disk full","reason":"internal","progress":0})"});
}

TEST_CASE("queue: a job queued before its consumer group exists is delivered to the group",
          "[queue]") {
    RedisServer redis;
    iiifd::DaemonConfig config;
    config.consumer_name = "worker-a";
    iiifd::Redis connection("127.0.0.1", redis.port());
    iiifd::IngestJob job;
    job.id = iiifd::new_job_id();
    job.ark = "ark:/99999/fk4-7qkf8pnd-p";
    job.origin = "api";
    job.files = {{"/staging/" + job.id + "/1-a.jpg", "a.jpg"}};

    // An empty Redis (a first start, or one that lost its data) and no worker connected yet.
    iiifd::enqueue_job(connection, config, job);
    // What a worker does once it (re)connects.
    iiifd::ensure_consumer_group(connection, config);
    iiifd::JobConsumer consumer(config, connection);
    std::optional<iiifd::Delivery> delivery = consumer.next(100ms);
    REQUIRE(delivery);
    CHECK(delivery->payload == iiifd::ingest_job_to_json(job));
    CHECK_FALSE(delivery->reclaimed);
    CHECK(redis.integer({"XLEN", "iiif:ingest"}) == 1);
}

TEST_CASE("queue: a deposit accepted while Redis comes back without its data is ingested",
          "[queue]") {
    RedisServer redis;
    DaemonOptions options;
    options.workers = 1;
    options.hot_folder = false;
    Daemon iiifd(redis, options);
    iiifd.start();
    redis.stop();
    redis.forget_data();
    // Long enough for the worker's reconnection backoff to pass a few seconds.
    std::this_thread::sleep_for(3500ms);
    redis.start();

    // Before the worker is back: the deposit makes the stream.
    HttpResponse deposit = iiifd.post_object({image("a.jpg")});
    REQUIRE(deposit.status == 202);
    std::string status = iiifd.wait_for_job(json_text(deposit.body, "job"), 30s);
    CHECK(json_text(status, "state") == "done");
    CHECK(json_array(status, "files").size() == 1);
    CHECK(redis.integer({"XLEN", "iiif:ingest"}) == 0);
}

TEST_CASE("queue: a restart of iiifd takes up the jobs its consumer group passed over", "[queue]") {
    RedisServer redis;
    DaemonOptions options;
    options.hot_folder = false;
    Daemon iiifd(redis, options);
    CommandResult queued = iiifd.run_iiifd({"ingest", image("a.jpg"), "--title", "Passed over"});
    REQUIRE(queued.exit_code == 0);
    std::string job = queued.output.substr(queued.output.find("job: ") + 5);
    job = job.substr(0, job.find('\n'));
    // What an iiifd that made its group at "$" after the job was queued left: the entry in the
    // stream, behind the group's last delivered id, owned by no consumer.
    redis.integer({"XGROUP", "DESTROY", "iiif:ingest", "iiifd"});
    redis.text({"XGROUP", "CREATE", "iiif:ingest", "iiifd", "$"});
    REQUIRE(redis.text({"HGET", "iiif:job:" + job, "state"}) == "queued");

    iiifd.start();
    std::string status = iiifd.wait_for_job(job, 30s);
    CHECK(json_text(status, "state") == "done");
    CHECK(json_integer(status, "attempts") == 1);
    CHECK(redis.integer({"XLEN", "iiif:ingest"}) == 0);
    CHECK_THAT(iiifd.log(),
               Catch::Contains("re-queued 1 job(s) the consumer group had passed over"));
}

TEST_CASE("queue: a start removes the temporary files of a killed iiifd and nothing else",
          "[queue]") {
    RedisServer redis;
    DaemonOptions options;
    options.hot_folder = false;
    Daemon iiifd(redis, options);
    iiifd.start();
    HttpResponse deposit = iiifd.post_object({image("a.jpg")});
    REQUIRE(deposit.status == 202);
    const std::string ark = json_text(deposit.body, "ark");
    REQUIRE(json_text(iiifd.wait_for_job(json_text(deposit.body, "job")), "state") == "done");
    REQUIRE(iiifd.stop() == 0);

    const std::string object = iiifd.storage_root() + "/99999/" + ark.substr(ark.rfind('/') + 1);
    // What a kill -9 in the middle of a conversion leaves: the master's temporary, its decoded
    // pixels and a level, the original's copy, object.json's.
    const std::vector<std::string> left = {
        temporary_of_dead_process(object + "/masters", ".tif"),
        temporary_of_dead_process(object + "/masters", ".v"),
        temporary_of_dead_process(object + "/masters", ".level"),
        temporary_of_dead_process(object + "/originals", ""),
        temporary_of_dead_process(object, ""),
    };
    // Not ours to remove: a temporary another node sharing the root is writing, and names that
    // only look alike.
    write_file(object + "/masters/.tmp-othernode_4242_a1B2c3.tif", "another node's master");
    write_file(object + "/masters/tmp-f2.tif", "a depositor's file");
    write_file(object + "/.tmpnotes", "notes");
    std::map<std::string, std::string> kept = digests_under(object);
    for (const std::string& path : left) kept.erase(path);
    REQUIRE(kept.size() == 6);  // object.json, f1.tif, the original and the three above

    // The first start swept too: wait for the second sweep's end.
    auto sweeps = [&] {
        const std::string log = iiifd.log();
        size_t count = 0;
        for (size_t at = log.find("storage: swept"); at != std::string::npos;
             at = log.find("storage: swept", at + 1))
            count += 1;
        return count;
    };
    REQUIRE(sweeps() == 1);
    iiifd.start();
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (sweeps() < 2 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    for (const std::string& path : left) {
        INFO(path);
        CHECK_FALSE(fs::exists(path));
        CHECK_THAT(iiifd.log(), Catch::Contains("storage: removed " + path));
    }
    CHECK(digests_under(object) == kept);
    CHECK_THAT(iiifd.log(),
               Catch::Contains("storage: swept the storage root, 5 temporary files removed"));
}

TEST_CASE("queue: rebuild reports an object the catalog cannot hold and leaves it as it is",
          "[queue]") {
    RedisServer redis;
    DaemonOptions options;
    options.hot_folder = false;
    Daemon iiifd(redis, options);
    iiifd.start();
    HttpResponse kept = iiifd.post_object({image("a.jpg")}, R"({"sets": ["maps"]})");
    HttpResponse over =
        iiifd.post_object({image("b.jpg"), image("c.jpg")}, R"({"sets": ["maps"]})");
    REQUIRE(kept.status == 202);
    REQUIRE(over.status == 202);
    REQUIRE(json_text(iiifd.wait_for_job(json_text(kept.body, "job")), "state") == "done");
    REQUIRE(json_text(iiifd.wait_for_job(json_text(over.body, "job")), "state") == "done");
    REQUIRE(iiifd.stop() == 0);

    // As an iiifd that checked no limit left it: object.json names a set of 600 characters.
    const std::string ark = json_text(over.body, "ark");
    const std::string object_file =
        iiifd.storage_root() + "/99999/" + ark.substr(ark.rfind('/') + 1) + "/object.json";
    std::string document = read_file(object_file);
    const size_t set = document.find("\"maps\"");
    REQUIRE(set != std::string::npos);
    document.replace(set, 6, "\"" + std::string(600, 's') + "\"");
    write_file(object_file, document);

    CommandResult result = iiifd.run_iiifd({"rebuild"});
    CHECK(result.exit_code == 1);
    CHECK(result.output == "objects: 1\nimages: 1\nproblem: " + object_file + ": " + ark +
                               ": left out of the catalog: metadata: sets[0]: longer than 200 "
                               "characters\n");
    CHECK(read_file(object_file) == document);
    std::string error;
    std::unique_ptr<iiif::CatalogReader> catalog =
        iiif::CatalogReader::open(iiifd.catalog_path(), &error);
    REQUIRE(catalog);
    CHECK(catalog->object(json_text(kept.body, "ark")));
    CHECK_FALSE(catalog->object(ark));
}

namespace {

// How many threads of `pid` run at nice `value`.
int threads_at_nice(pid_t pid, int value) {
    int count = 0;
    for (const auto& [tid, nice] : test_proc::thread_nice(pid))
        if (nice == value) ++count;
    return count;
}

}  // namespace

TEST_CASE("queue: ingest workers run 10 nicer than the rest of iiifd", "[queue]") {
    daemon_harness::RedisServer redis;
    daemon_harness::DaemonOptions options;
    options.workers = 3;
    daemon_harness::Daemon iiifd(redis, options);
    iiifd.start();
    // iiifd starts at this process's niceness (0, or more under nice(1)).
    errno = 0;
    const int base = getpriority(PRIO_PROCESS, 0);
    REQUIRE(errno == 0);
    REQUIRE(base <= 18);  // else the workers could not be told apart
    const int worker_nice = std::min(base + 10, 19);
    int niced = 0;
    for (int tries = 0; tries < 50 && niced < 3; ++tries) {
        niced = threads_at_nice(iiifd.pid(), worker_nice);
        if (niced < 3) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(niced == 3);  // one per worker
    CHECK(threads_at_nice(iiifd.pid(), base) >= 2);  // the main thread and the HTTP server's
}
