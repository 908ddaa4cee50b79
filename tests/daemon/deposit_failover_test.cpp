// Deposits across a Redis failover, for real on 127.0.0.1: a master, its replica and three
// sentinels (SentinelTopology), iiifd finding the master through them with wait_replicas = 1,
// and a stream of deposits during which the master is SIGKILLed. Before it is, the replica is
// cut off (it cannot authenticate to its master again), so that the few deposits accepted then
// are truly lost with the master: the promoted replica never had them. Every deposit answered
// 202 ends done, in one object of one page, those lost queued again from their job.json; one
// answered 503 leaves nothing in staging.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.hpp"
#include "test_images.hpp"

using namespace daemon_harness;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kDeposits = 30;
constexpr int kCutOffAfter = 10;  // deposits answered before the replica is cut off
constexpr int kKilledAfter = 13;  // and before the master is killed
constexpr auto kBetweenDeposits = 150ms;

// The job directories left in staging.
std::set<std::string> staged_jobs(const Daemon& iiifd) {
    std::set<std::string> jobs;
    std::error_code error;
    for (const fs::directory_entry& entry : fs::directory_iterator(iiifd.staging(), error))
        if (entry.is_directory()) jobs.insert(entry.path().filename().string());
    return jobs;
}

}  // namespace

TEST_CASE("deposit: every deposit answered 202 across a Redis failover ends done, once",
          "[sentinel]") {
    SentinelTopology topology;
    DaemonOptions options;
    options.hot_folder = false;
    // A job whose outcome the failover lost is taken again soon.
    options.reclaim_idle_seconds = 5;
    options.redis_config = topology.redis_config() + "wait_replicas = 1\nwait_timeout_ms = 500\n";
    Daemon iiifd(topology.master, options);
    iiifd.start();
    const std::string page = test_images::save(test_images::quadrants(), "failover.jpg");

    struct Accepted {
        std::string job;
        std::string ark;
    };
    std::vector<Accepted> accepted;
    int refused = 0;
    std::thread killer;
    std::vector<Accepted> lost;
    for (int i = 0; i < kDeposits; ++i) {
        if (i == kCutOffAfter) {
            topology.replica.text({"CONFIG", "SET", "masterauth", "not-the-password"});
            topology.master.integer({"CLIENT", "KILL", "TYPE", "replica"});
            std::this_thread::sleep_for(200ms);
            REQUIRE(
                topology.replica.text({"INFO", "replication"}).find("master_link_status:down") !=
                std::string::npos);
        }
        // Killed while the next deposit is on its way.
        if (i == kKilledAfter)
            killer = std::thread([&] {
                std::this_thread::sleep_for(20ms);
                topology.master.kill_hard();
            });
        const HttpResponse answer =
            iiifd.post_object({page}, R"({"title": "Deposit )" + std::to_string(i) + "\"}");
        INFO("deposit " << i << ": " << answer.status << " " << answer.body);
        REQUIRE((answer.status == 202 || answer.status == 503));
        if (answer.status == 202)
            accepted.push_back({json_text(answer.body, "job"), json_text(answer.body, "ark")});
        if (answer.status == 202 && i >= kCutOffAfter && i < kKilledAfter)
            lost.push_back(accepted.back());
        if (answer.status != 202) refused += 1;
        std::this_thread::sleep_for(kBetweenDeposits);
    }
    killer.join();
    INFO(accepted.size() << " deposits answered 202, " << refused << " 503");
    REQUIRE(static_cast<int>(accepted.size()) + refused == kDeposits);
    // Some before the failover, some after the promoted replica took over.
    REQUIRE(static_cast<int>(accepted.size()) >= kKilledAfter);
    REQUIRE(static_cast<int>(lost.size()) == kKilledAfter - kCutOffAfter);

    const auto deadline = Clock::now() + 90s;
    int done = 0;
    for (const Accepted& deposit : accepted) {
        const auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now());
        const std::string status = iiifd.wait_for_job(deposit.job, std::max(left, 1s));
        INFO("job " << deposit.job << ": " << status);
        CHECK(json_text(status, "state") == "done");
        if (json_text(status, "state") != "done") continue;
        done += 1;
        const HttpResponse object = iiifd.get("/api/v1/objects/" + deposit.ark);
        CHECK(object.status == 200);
        CHECK(json_array(object.body, "images") == std::vector<std::string>{deposit.ark + "/f1"});
    }
    CHECK(done == static_cast<int>(accepted.size()));
    const std::string log = iiifd.log();
    for (const Accepted& deposit : lost) {
        CHECK_THAT(log, Catch::Contains("job " + deposit.job + ": 0 of 1 redis replicas"));
        CHECK_THAT(
            log, Catch::Contains("job " + deposit.job + ": " + deposit.ark + " was not in redis"));
    }
    const HttpResponse objects = iiifd.get("/api/v1/objects?limit=100");
    CHECK(json_array(objects.body, "objects").size() == accepted.size());

    // The refused left nothing; the done are swept, those kept for want of a replica too.
    std::set<std::string> left;
    for (const auto limit = Clock::now() + 15s; Clock::now() < limit;) {
        left = staged_jobs(iiifd);
        if (left.empty()) break;
        std::this_thread::sleep_for(250ms);
    }
    CHECK(left.empty());
    CHECK(iiifd.stop() == 0);
}
