// Jobs durable on the storage root (durable_jobs.hpp): a deposit's job.json in staging before
// its job is queued; a job Redis lost (its hash and its stream entry gone, as after a failover
// that promoted a replica without them) queued again from it, at start and while iiifd runs,
// and ending done in one object even when it had run before; the sweep of staging keeping such
// a directory. The failover itself, with Sentinel, is deposit_failover_test.cpp.
#include "durable_jobs.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.hpp"
#include "daemon_config.hpp"
#include "ingest.hpp"
#include "job_queue.hpp"
#include "staging.hpp"
#include "test_images.hpp"

using namespace daemon_harness;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string image(const std::string& name) {
    return test_images::save(test_images::quadrants(), name);
}

struct Queued {
    std::string job;
    std::string ark;
};

// `iiifd ingest` of one image with this configuration: what it printed.
Queued ingest_from_command_line(const std::string& config_path, const std::string& title) {
    const CommandResult result =
        run({IIIFD_PATH, "ingest", image("a.jpg"), "--title", title, "-c", config_path});
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    auto field = [&](const std::string& name) {
        std::string value = result.output.substr(result.output.find(name + ": ") + name.size() + 2);
        return value.substr(0, value.find('\n'));
    };
    return {field("job"), field("ark")};
}

// What a failover that promoted a replica without the job leaves: neither its hash nor its
// stream entry (the stream goes whole, with its group, which iiifd makes again).
void lose(const RedisServer& redis, const std::string& job) {
    REQUIRE(redis.integer({"DEL", "iiif:job:" + job, "iiif:ingest"}) == 2);
}

void age(const std::string& path, std::chrono::hours by) {
    fs::last_write_time(path, fs::file_time_type::clock::now() - by);
}

// A staging directory of a job unknown to Redis, with a job.json describing it.
iiifd::IngestJob stage_lost_job(const iiifd::DaemonConfig& config) {
    iiifd::IngestJob job;
    job.id = iiifd::new_job_id();
    job.ark = "ark:/99999/fk4-7qkf8pnd-p";
    job.origin = "api";
    job.submitted = 1700000000;
    job.files = {{iiifd::job_staging_dir(config, job.id) + "/1-a.jpg", "a.jpg"}};
    fs::create_directories(iiifd::job_staging_dir(config, job.id));
    write_file(iiifd::job_file_path(config, job.id), iiifd::ingest_job_to_json(job) + "\n");
    return job;
}

}  // namespace

TEST_CASE("deposit: a deposit's job.json in staging is the job its stream entry carries",
          "[deposit]") {
    RedisServer redis;
    DaemonOptions options;
    options.hot_folder = false;
    Daemon iiifd(redis, options);
    const Queued queued = ingest_from_command_line(iiifd.config_path(), "Kept");

    const std::vector<std::string> entry = redis.strings({"XRANGE", "iiif:ingest", "-", "+"});
    REQUIRE(entry.size() == 1);
    std::vector<std::string> fields = redis.strings(
        {"EVAL", "return redis.call('XRANGE', KEYS[1], '-', '+')[1][2]", "1", "iiif:ingest"});
    REQUIRE(fields.size() == 2);
    CHECK(fields[0] == "job");
    CHECK(read_file(iiifd.staging() + "/" + queued.job + "/job.json") == fields[1] + "\n");
}

TEST_CASE("staging: a job Redis lost is queued again from its job.json at start, one object",
          "[staging]") {
    RedisServer redis;
    DaemonOptions options;
    options.hot_folder = false;
    Daemon iiifd(redis, options);
    const Queued queued = ingest_from_command_line(iiifd.config_path(), "Lost");
    lose(redis, queued.job);
    // Older than a day: an orphan to the sweep, but for its job.json.
    age(iiifd.staging() + "/" + queued.job, 48h);

    iiifd.start();
    const std::string status = iiifd.wait_for_job(queued.job, 30s);
    CHECK(json_text(status, "state") == "done");
    CHECK(json_text(status, "ark") == queued.ark);
    CHECK(json_array(iiifd.get("/api/v1/objects/" + queued.ark).body, "images") ==
          std::vector<std::string>{queued.ark + "/f1"});
    CHECK(json_array(iiifd.get("/api/v1/objects").body, "objects").size() == 1);
    CHECK_THAT(iiifd.log(),
               Catch::Contains("job " + queued.job + ": " + queued.ark + " was not in redis"));
    CHECK_THAT(iiifd.log(), Catch::Contains("queued again 1 job(s) redis had lost"));
    CHECK_FALSE(fs::exists(iiifd.staging() + "/" + queued.job));
}

TEST_CASE("staging: a job Redis lost while iiifd runs is queued again within 10 s", "[staging]") {
    RedisServer redis;
    RedisServer elsewhere;  // where the job was queued: a master that died with it
    DaemonOptions options;
    options.hot_folder = false;
    Daemon iiifd(redis, options);
    iiifd.start();
    std::string config = read_file(iiifd.config_path());
    const std::string port = "[redis]\nport = " + std::to_string(redis.port());
    REQUIRE(config.find(port) != std::string::npos);
    config.replace(config.find(port), port.size(),
                   "[redis]\nport = " + std::to_string(elsewhere.port()));
    write_file(iiifd.dir() + "/elsewhere.toml", config);
    const auto queued_at = std::chrono::steady_clock::now();
    const Queued queued = ingest_from_command_line(iiifd.dir() + "/elsewhere.toml", "Lost");
    REQUIRE(fs::exists(iiifd.staging() + "/" + queued.job + "/job.json"));

    const std::string status = iiifd.wait_for_job(queued.job, 30s);
    CHECK(json_text(status, "state") == "done");
    CHECK(std::chrono::steady_clock::now() - queued_at < 20s);
    CHECK(json_array(iiifd.get("/api/v1/objects/" + queued.ark).body, "images") ==
          std::vector<std::string>{queued.ark + "/f1"});
    CHECK_THAT(iiifd.log(),
               Catch::Contains("job " + queued.job + ": " + queued.ark + " was not in redis"));
}

TEST_CASE("staging: a job run again after Redis lost its outcome makes no second object",
          "[staging]") {
    RedisServer redis;
    DaemonOptions options;
    options.hot_folder = false;
    Daemon iiifd(redis, options);
    const Queued queued = ingest_from_command_line(iiifd.config_path(), "Twice");
    const std::string staged = iiifd.staging() + "/" + queued.job;
    const std::string kept = iiifd.dir() + "/kept-staging";
    fs::copy(staged, kept, fs::copy_options::recursive);
    iiifd.start();
    REQUIRE(json_text(iiifd.wait_for_job(queued.job, 30s), "state") == "done");
    REQUIRE(iiifd.stop() == 0);

    // The job done, then Redis without it (a failover before the job reached the replica) and
    // its staging directory as it was (a worker that kept it for want of a replica's word).
    fs::rename(kept, staged);
    REQUIRE(redis.integer({"DEL", "iiif:job:" + queued.job}) == 1);
    iiifd.start();
    const std::string status = iiifd.wait_for_job(queued.job, 30s);
    CHECK(json_text(status, "state") == "done");
    CHECK(json_integer(status, "attempts") == 1);
    CHECK(json_array(iiifd.get("/api/v1/objects/" + queued.ark).body, "images") ==
          std::vector<std::string>{queued.ark + "/f1"});
    CHECK(json_array(iiifd.get("/api/v1/objects").body, "objects").size() == 1);
}

TEST_CASE("staging: requeue_lost_jobs queues each lost job once, none a worker runs", "[staging]") {
    RedisServer redis;
    iiifd::DaemonConfig config;
    config.staging_dir = (test_images::scratch_dir() / "requeue-staging").string();
    iiifd::Redis connection("127.0.0.1", redis.port());
    const iiifd::IngestJob lost = stage_lost_job(config);
    const iiifd::IngestJob running = stage_lost_job(config);
    const iiifd::IngestJob foreign = stage_lost_job(config);
    // A job.json that is not its directory's job's: a file that happens to bear the name.
    fs::rename(iiifd::job_file_path(config, foreign.id),
               iiifd::job_staging_dir(config, foreign.id) + "/elsewhere.json");
    write_file(iiifd::job_file_path(config, foreign.id), iiifd::ingest_job_to_json(lost) + "\n");
    // A worker's claim (workers.cpp) held on the running one.
    const int claim = ::open((iiifd::job_staging_dir(config, running.id) + "/.lock").c_str(),
                             O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(::flock(claim, LOCK_EX) == 0);

    CHECK(iiifd::requeue_lost_jobs(config, connection) == 1);
    CHECK(iiifd::job_state(connection, lost.id) == "queued");
    CHECK(iiifd::job_state(connection, running.id) == std::nullopt);
    CHECK(iiifd::job_state(connection, foreign.id) == std::nullopt);
    const std::vector<std::string> entries = redis.strings(
        {"EVAL", "return redis.call('XRANGE', KEYS[1], '-', '+')[1][2]", "1", "iiif:ingest"});
    CHECK(entries == std::vector<std::string>{"job", iiifd::ingest_job_to_json(lost)});
    // Known now: not again.
    CHECK(iiifd::requeue_lost_jobs(config, connection) == 0);
    CHECK(redis.integer({"XLEN", "iiif:ingest"}) == 1);

    ::close(claim);
    CHECK(iiifd::requeue_lost_jobs(config, connection) == 1);
    CHECK(iiifd::job_state(connection, running.id) == "queued");
}

TEST_CASE("staging: the sweep keeps a lost job's directory and removes finished and orphan ones",
          "[staging]") {
    RedisServer redis;
    iiifd::DaemonConfig config;
    config.staging_dir = (test_images::scratch_dir() / "sweep-staging").string();
    iiifd::Redis connection("127.0.0.1", redis.port());
    const std::string lost = stage_lost_job(config).id;
    const std::string done = stage_lost_job(config).id;
    redis.integer({"HSET", "iiif:job:" + done, "state", "done"});
    const std::string orphan = iiifd::new_job_id();
    const std::string young = iiifd::new_job_id();
    fs::create_directories(iiifd::job_staging_dir(config, orphan));
    fs::create_directories(iiifd::job_staging_dir(config, young));
    for (const std::string& job : {lost, done, orphan})
        age(iiifd::job_staging_dir(config, job), 48h);

    iiifd::sweep_staging(config, connection, false);
    CHECK(fs::exists(iiifd::job_staging_dir(config, orphan)));
    CHECK_FALSE(fs::exists(iiifd::job_staging_dir(config, done)));

    iiifd::sweep_staging(config, connection);
    CHECK(fs::exists(iiifd::job_file_path(config, lost)));
    CHECK(fs::exists(iiifd::job_staging_dir(config, young)));
    CHECK_FALSE(fs::exists(iiifd::job_staging_dir(config, orphan)));
}
