// Redis through Sentinel, for real on 127.0.0.1: a master, its replica and three sentinels
// (quorum 2), each a child of the test in a directory of its own, stopped by its pid. A Redis
// made from the address talks to the master the sentinels name; after a SIGKILL of the master
// the same object writes to the promoted replica; WAIT counts the replica; a PING goes through
// the sentinels too.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.hpp"
#include "job_queue.hpp"

using namespace daemon_harness;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Polls `done` every 100 ms for at most `limit`; whether it came true.
template <typename Done>
bool within(std::chrono::milliseconds limit, Done done) {
    const auto deadline = Clock::now() + limit;
    for (;;) {
        if (done()) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(100ms);
    }
}

// The port of the server a connection is on, as that server says.
int own_port(iiifd::Redis& redis) {
    const iiifd::RedisReply reply = redis.command({"CONFIG", "GET", "port"});
    REQUIRE(reply.elements.size() == 2);
    return std::stoi(reply.elements[1].text);
}

std::string role(iiifd::Redis& redis) {
    const iiifd::RedisReply reply = redis.command({"ROLE"});
    REQUIRE_FALSE(reply.elements.empty());
    return reply.elements[0].text;
}

// The address of a topology's master, through its sentinels.
iiifd::RedisAddress address_of(const SentinelTopology& topology) {
    iiifd::RedisAddress address;
    for (const auto& sentinel : topology.sentinels)
        address.sentinels.push_back({"127.0.0.1", sentinel->port()});
    address.master_name = "iiif";
    return address;
}

}  // namespace

TEST_CASE("sentinel: a Redis made from the address writes to the master the sentinels name",
          "[sentinel]") {
    SentinelTopology topology;
    iiifd::Redis redis(address_of(topology));
    redis.command({"SET", "iiif:test", "on the master"});
    CHECK(own_port(redis) == topology.master.port());
    CHECK(role(redis) == "master");
    CHECK(topology.master.text({"GET", "iiif:test"}) == "on the master");
}

TEST_CASE("sentinel: after a SIGKILL of the master the same Redis writes to the promoted replica",
          "[sentinel]") {
    SentinelTopology topology;
    iiifd::Redis redis(address_of(topology));
    redis.command({"SET", "iiif:before", "1"});
    REQUIRE(redis.wait_for_replicas(1, 1000) == 1);
    REQUIRE(own_port(redis) == topology.master.port());

    topology.master.kill_hard();
    std::string last_failure;
    const bool written = within(20s, [&] {
        try {
            redis.command({"SET", "iiif:after", "2"});
            return true;
        } catch (const iiifd::RedisUnavailable& unavailable) {
            last_failure = unavailable.what();
            return false;
        }
    });
    INFO(last_failure);
    REQUIRE(written);
    CHECK(own_port(redis) == topology.replica.port());
    CHECK(role(redis) == "master");
    CHECK(topology.replica.text({"GET", "iiif:after"}) == "2");
    CHECK(topology.replica.text({"GET", "iiif:before"}) == "1");
}

TEST_CASE("sentinel: wait_for_replicas is how many replicas have the writes", "[sentinel]") {
    SentinelTopology topology;
    iiifd::Redis redis(address_of(topology));
    // No replica asked for: no command, not even a connection.
    CHECK(redis.wait_for_replicas(0, 1000) == 0);
    // Nothing written on this connection yet: no WAIT on a new one, which would vouch for
    // nothing.
    CHECK_THROWS_AS(redis.wait_for_replicas(1, 1000), iiifd::RedisUnavailable);
    redis.command({"SET", "iiif:test", "1"});
    CHECK(redis.wait_for_replicas(1, 1000) == 1);
    // Two asked for, one there: the count once the time is up.
    const auto before = Clock::now();
    CHECK(redis.wait_for_replicas(2, 300) == 1);
    CHECK(Clock::now() - before >= 250ms);
}

TEST_CASE("sentinel: a PING goes through the sentinels, and names them all when none answers",
          "[sentinel]") {
    SentinelTopology topology;
    CHECK(iiifd::redis_ping_problem(address_of(topology), 2s) == std::nullopt);

    iiifd::RedisAddress nobody;
    nobody.master_name = "iiif";
    const int first = free_port();
    const int second = free_port();
    nobody.sentinels = {{"127.0.0.1", first}, {"127.0.0.1", second}};
    CHECK(iiifd::redis_ping_problem(nobody, 2s) ==
          "no sentinel gave its address (127.0.0.1:" + std::to_string(first) +
              ": Connection refused; 127.0.0.1:" + std::to_string(second) +
              ": Connection refused)");

    iiifd::Redis redis(nobody);
    try {
        redis.command({"PING"});
        FAIL("a command without a sentinel answering");
    } catch (const iiifd::RedisUnavailable& unavailable) {
        CHECK(std::string(unavailable.what()) ==
              "redis master \"iiif\": no sentinel gave its address (127.0.0.1:" +
                  std::to_string(first) + ": Connection refused; 127.0.0.1:" +
                  std::to_string(second) + ": Connection refused)");
    }
}

TEST_CASE("sentinel: a master that says it is a replica is refused and the next sentinel asked",
          "[sentinel]") {
    RedisServer master;
    RedisServer replica({"--replicaof", "127.0.0.1", std::to_string(master.port())});
    // Wrong about "iiif" (it names the replica), as a sentinel is just after a failover it has
    // not heard of yet.
    RedisSentinel wrong("iiif", replica.port(), 1);
    RedisSentinel right("iiif", master.port(), 1);
    const std::string replica_address = "127.0.0.1:" + std::to_string(replica.port());

    iiifd::RedisAddress misled;
    misled.master_name = "iiif";
    misled.sentinels = {{"127.0.0.1", wrong.port()}};
    CHECK(iiifd::redis_ping_problem(misled, 2s) ==
          "no sentinel gave its address (127.0.0.1:" + std::to_string(wrong.port()) + ": names " +
              replica_address + ", whose ROLE is slave)");

    misled.sentinels.push_back({"127.0.0.1", right.port()});
    iiifd::Redis redis(misled);
    redis.command({"SET", "iiif:test", "1"});
    CHECK(own_port(redis) == master.port());
}

TEST_CASE("sentinel: a write refused with READONLY is Redis unavailable, its connection dropped",
          "[sentinel]") {
    RedisServer master;
    RedisServer replica({"--replicaof", "127.0.0.1", std::to_string(master.port())});
    iiifd::Redis redis("127.0.0.1", replica.port());
    redis.command({"PING"});
    const long long clients = replica.integer({"CLIENT", "ID"});
    CHECK_THROWS_AS(redis.command({"SET", "iiif:test", "1"}), iiifd::RedisUnavailable);
    CHECK_THROWS_AS(redis.transaction({{"SET", "iiif:test", "1"}}), iiifd::RedisUnavailable);
    // Each command after a dropped connection opens a new one: its client id is new.
    CHECK(redis.command({"CLIENT", "ID"}).integer > clients + 1);
}
