// More than one machine, on this one: a writer iiifd and delivery nodes (each an nginx with the
// module and a replica iiifd with a catalog of its own), sharing the storage root and Redis.
// A deposit made on the writer is served by every node within a second; a withdrawal answers
// 410 on every node within a second; a replica killed with SIGKILL catches up and then holds,
// record for record, what the writer holds; a node started late loads a snapshot and the
// stream's tail and holds the same.
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "api_harness.hpp"
#include "catalog.hpp"
#include "catalog_replication.hpp"
#include "http_client.hpp"
#include "image_request.hpp"
#include "job_queue.hpp"
#include "nginx_harness.hpp"
#include "test_images.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

namespace fs = std::filesystem;

// A delivery node: a replica iiifd writing its own catalog, and nginx reading it.
class Node {
  public:
    // `storage_root`: the writer's unless given (a node that has not mounted the shared one).
    // `redis_config`: more [redis] keys (the sentinels). `workers`: its ingest workers.
    Node(const daemon_harness::RedisServer& redis, const daemon_harness::Daemon& writer,
         const std::string& name, const std::string& storage_root = "",
         const std::string& redis_config = "", int workers = 2)
        : dir_(test_images::scratch_dir() / ("replication-" + name)) {
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        // nginx's workers (nobody) read the catalog and take reader slots in its lock file.
        fs::permissions(test_images::scratch_dir(), fs::perms::others_read | fs::perms::others_exec,
                        fs::perm_options::add);
        fs::permissions(dir_, fs::perms::all);
        daemon_harness::DaemonOptions options;
        options.hot_folder = false;
        options.storage_root = storage_root.empty() ? writer.storage_root() : storage_root;
        options.catalog = catalog_path();
        options.extra_config = "[replication]\nrole = \"replica\"\n";
        options.redis_config = redis_config;
        options.workers = workers;
        options.reclaim_idle_seconds = 5;
        iiifd_ = std::make_unique<daemon_harness::Daemon>(redis, options);
    }

    std::string catalog_path() const { return (dir_ / "catalog.mdb").string(); }
    daemon_harness::Daemon& iiifd() { return *iiifd_; }
    integration::Nginx& nginx() { return *nginx_; }

    // The replica, then (once its catalog is made) nginx on it.
    void start() {
        iiifd_->start();
        wait_until_loaded();
        if (!nginx_) {
            fs::permissions(catalog_path() + "-lock", fs::perms::all);
            integration::NginxOptions options;
            options.cache = false;
            options.worker_processes = 2;
            options.location_extra = "iiif_catalog " + catalog_path() + ";";
            nginx_ = std::make_unique<integration::Nginx>(options);
            nginx_->start();
        }
    }

    // Its /health answers 200: a snapshot loaded, close to the writer.
    void wait_until_loaded() {
        const auto deadline = Clock::now() + 20s;
        while (Clock::now() < deadline) {
            if (iiifd_->get("/health").status == 200) return;
            std::this_thread::sleep_for(20ms);
        }
        FAIL("node " << dir_ << " not healthy within 20 s: " << iiifd_->get("/health").body << "\n"
                     << iiifd_->log());
    }

  private:
    fs::path dir_;
    std::unique_ptr<daemon_harness::Daemon> iiifd_;
    std::unique_ptr<integration::Nginx> nginx_;
};

iiif::ReplicationPosition position_of(const std::string& catalog) {
    std::string error;
    std::unique_ptr<iiif::CatalogReader> reader = iiif::CatalogReader::open(catalog, &error);
    INFO(error);
    REQUIRE(reader);
    return iiif::replication_position(*reader);
}

// Waits until the writer has stopped changing its catalog (its collections made) and the
// replica has applied all of it; true when both stand at the same change.
bool settled(const std::string& writer, const std::string& replica) {
    const auto deadline = Clock::now() + 30s;
    iiif::ReplicationPosition last;
    auto stable_since = Clock::now();
    while (Clock::now() < deadline) {
        const iiif::ReplicationPosition now = position_of(writer);
        if (!(now == last)) {
            last = now;
            stable_since = Clock::now();
        }
        if (Clock::now() - stable_since > 1500ms && position_of(replica) == now) return true;
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

std::string deposit(const daemon_harness::Daemon& writer, const std::string& file, int n) {
    const daemon_harness::HttpResponse made = writer.post_object(
        {file}, R"({"title": "Feuille )" + std::to_string(n) + R"(", "sets": ["cartes"]})");
    REQUIRE(made.status == 202);
    REQUIRE(daemon_harness::json_text(
                writer.wait_for_job(daemon_harness::json_text(made.body, "job")), "state") ==
            "done");
    return daemon_harness::json_text(made.body, "ark");
}

// The smallest bucket bound of the histogram in a /metrics text under which a fraction `p` of
// its observations fall (+Inf: none).
double histogram_quantile_bound(const std::string& metrics, const std::string& name, double p) {
    std::vector<std::pair<double, double>> buckets;  // bound, cumulative count
    const std::string prefix = name + "_bucket{le=\"";
    for (size_t at = metrics.find(prefix); at != std::string::npos;
         at = metrics.find(prefix, at + 1)) {
        const size_t bound_end = metrics.find('"', at + prefix.size());
        const std::string bound =
            metrics.substr(at + prefix.size(), bound_end - at - prefix.size());
        const double count = std::stod(metrics.substr(bound_end + 3));
        buckets.emplace_back(bound == "+Inf" ? INFINITY : std::stod(bound), count);
    }
    if (buckets.empty()) return INFINITY;
    const double total = buckets.back().second;
    for (const auto& [bound, count] : buckets)
        if (count >= p * total) return bound;
    return INFINITY;
}

double percentile(std::vector<double> values, double p) {
    std::sort(values.begin(), values.end());
    const size_t at = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
    return values.at(at);
}

daemon_harness::DaemonOptions writer_options(const std::string& replication) {
    daemon_harness::DaemonOptions options;
    options.hot_folder = false;
    options.extra_config = "[replication]\nrole = \"writer\"\n" + replication;
    return options;
}

void open_masters_to_workers(const daemon_harness::Daemon& writer) {
    fs::permissions(writer.dir(), fs::perms::others_read | fs::perms::others_exec,
                    fs::perm_options::add);
}

}  // namespace

TEST_CASE("replication: a deposit on the writer is served by every node within a second",
          "[chain][replication]") {
    daemon_harness::RedisServer redis;
    daemon_harness::Daemon writer(redis, writer_options(""));
    writer.start();
    open_masters_to_workers(writer);
    std::vector<std::unique_ptr<Node>> nodes;
    for (const char* name : {"a", "b", "c"}) {
        nodes.push_back(std::make_unique<Node>(redis, writer, name));
        nodes.back()->start();
    }
    const std::string page =
        test_images::save(test_images::quadrants(96, 64), "replicated.jpg", "[Q=90]");

    // Each deposit: from the writer's "done" to its manifest answering 200 on all three nodes.
    constexpr int kDeposits = 200;
    std::vector<double> lags;
    std::string last_ark;
    const auto began = Clock::now();
    for (int n = 1; n <= kDeposits; ++n) {
        last_ark = deposit(writer, page, n);
        const auto done = Clock::now();
        const std::string manifest = "/iiif/3/" + last_ark + "/manifest";
        for (auto& node : nodes) {
            while (integration::get(node->nginx().url(manifest)).status != 200 &&
                   Clock::now() - done < 5s)
                std::this_thread::sleep_for(2ms);
        }
        lags.push_back(std::chrono::duration<double>(Clock::now() - done).count());
    }
    const double p50 = percentile(lags, 0.50), p99 = percentile(lags, 0.99);
    const double rate = kDeposits / std::chrono::duration<double>(Clock::now() - began).count();
    std::cout << "replication: " << kDeposits << " deposits (" << rate
              << " a second, one after another), 3 nodes: from the job done to every "
              << "node serving its manifest, p50 " << p50 * 1000 << " ms, p99 " << p99 * 1000
              << " ms, max " << *std::max_element(lags.begin(), lags.end()) * 1000 << " ms\n";
    CHECK(p99 < 1.0);
    for (auto& node : nodes) {
        // Once the writer's last change (a set's collection, made a moment after the deposits)
        // is applied: the lag is then 0.
        REQUIRE(settled(writer.catalog_path(), node->catalog_path()));
        // Every node's own measure: from the writer's commit of each change to its own.
        const std::string metrics = node->iiifd().get("/metrics").body;
        INFO(metrics);
        const double p50_bound =
            histogram_quantile_bound(metrics, "iiifd_replica_apply_delay_seconds", 0.50);
        const double p99_bound =
            histogram_quantile_bound(metrics, "iiifd_replica_apply_delay_seconds", 0.99);
        std::cout << "replication: a node's delay from the writer's commit to its own: p50 <= "
                  << p50_bound << " s, p99 <= " << p99_bound << " s\n";
        CHECK(p99_bound <= 1.0);
        CHECK(metrics.find("iiifd_replica_lag_changes 0") != std::string::npos);
        CHECK(metrics.find("iiifd_replica_snapshots_loaded_total 1") != std::string::npos);
    }

    // A withdrawal on the writer: 410 on every node within a second.
    const auto asked = Clock::now();
    REQUIRE(daemon_harness::http("POST", writer.url("/api/v1/objects/" + last_ark + "/withdraw"),
                                 writer.auth(),
                                 R"({"reason": "rights owner's request", "requested_by": "X"})")
                .status == 200);
    for (auto& node : nodes) {
        while (integration::get(node->nginx().url("/iiif/3/" + last_ark + "/manifest")).status !=
                   410 &&
               Clock::now() - asked < 5s)
            std::this_thread::sleep_for(2ms);
        CHECK(integration::get(node->nginx().url("/iiif/3/" + last_ark + "/manifest")).status ==
              410);
    }
    const double withdrawal = std::chrono::duration<double>(Clock::now() - asked).count();
    std::cout << "replication: a withdrawal answered 410 on every node after " << withdrawal * 1000
              << " ms\n";
    CHECK(withdrawal < 1.0);
    for (auto& node : nodes) CHECK(settled(writer.catalog_path(), node->catalog_path()));
    for (auto& node : nodes)
        CHECK(iiif::catalog_difference(writer.catalog_path(), node->catalog_path()) ==
              std::nullopt);

    // Where each stands, as the operator sees it.
    const iiif::ReplicationPosition end = position_of(writer.catalog_path());
    const std::string position = std::to_string(end.seq);
    CHECK(writer.get("/metrics").body.find("iiifd_replication_published " + position + "\n") !=
          std::string::npos);
    const daemon_harness::CommandResult status = nodes[0]->iiifd().run_iiifd({"replica", "status"});
    CHECK(status.exit_code == 0);
    CHECK(status.output.find("role: replica\nepoch: " + end.epoch + "\nposition: " + position +
                             "\nstream_end: " + position +
                             "\nbehind_changes: 0\nbehind_seconds: 0.000\nsnapshot: 0 ") !=
          std::string::npos);
    const daemon_harness::CommandResult writer_status = writer.run_iiifd({"replica", "status"});
    CHECK(writer_status.exit_code == 0);
    CHECK(writer_status.output.find("role: writer\nepoch: " + end.epoch +
                                    "\nposition: " + position + "\nstream_end: " + position +
                                    "\nunpublished_changes: 0\nsnapshot: 0 ") != std::string::npos);
    const daemon_harness::HttpResponse health = nodes[0]->iiifd().get("/health");
    CHECK(health.status == 200);
    CHECK(daemon_harness::json_text(health.body, "status") == "ok");
    // A replica takes no deposit and runs no command that writes the catalog.
    CHECK(nodes[0]->iiifd().get("/api/v1/objects").status == 404);
    const daemon_harness::CommandResult refused = nodes[0]->iiifd().run_iiifd({"account", "list"});
    CHECK(refused.exit_code == 1);
    CHECK(refused.output.find("account: this node is a replica ([replication] role): its catalog "
                              "follows the writer's; run it on the writer") != std::string::npos);
}

TEST_CASE(
    "replication: a replica killed during deposits catches up, and a late node starts from a "
    "snapshot",
    "[chain][replication]") {
    daemon_harness::RedisServer redis;
    // A snapshot every 40 changes: the stream is trimmed well before the last deposit.
    daemon_harness::Daemon writer(redis, writer_options("snapshot_every = 40\n"));
    writer.start();
    open_masters_to_workers(writer);
    Node killed(redis, writer, "killed");
    killed.start();
    const std::string page =
        test_images::save(test_images::quadrants(96, 64), "replicated-kill.jpg", "[Q=90]");

    constexpr int kDeposits = 100;
    for (int n = 1; n <= kDeposits; ++n) {
        if (n == 30) killed.iiifd().kill_hard();
        if (n == 34) killed.iiifd().start();  // the stream still holds where it stood
        deposit(writer, page, n);
    }
    REQUIRE(settled(writer.catalog_path(), killed.catalog_path()));
    CHECK(iiif::catalog_difference(writer.catalog_path(), killed.catalog_path()) == std::nullopt);
    // It resumed where it stood: no snapshot loaded by the second run.
    CHECK(killed.iiifd().get("/metrics").body.find("iiifd_replica_snapshots_loaded_total 0") !=
          std::string::npos);

    // The stream no longer holds the first changes: a node can only start from a snapshot.
    iiifd::Redis client("127.0.0.1", redis.port());
    const iiifd::RedisReply first =
        client.command({"XRANGE", "iiif:catalog", "-", "+", "COUNT", "1"});
    REQUIRE(first.elements.size() == 1);
    const std::string first_id = first.elements[0].elements[0].text;
    CHECK(std::stoll(first_id.substr(0, first_id.find('-'))) > 1);

    Node late(redis, writer, "late");
    late.start();
    REQUIRE(settled(writer.catalog_path(), late.catalog_path()));
    CHECK(iiif::catalog_difference(writer.catalog_path(), late.catalog_path()) == std::nullopt);
    CHECK(late.iiifd().get("/metrics").body.find("iiifd_replica_snapshots_loaded_total 1") !=
          std::string::npos);
    CHECK(late.iiifd().log().find("loaded the snapshot") != std::string::npos);
}

TEST_CASE("replication: a node whose storage root is not the writer's refuses to start",
          "[chain][replication]") {
    daemon_harness::RedisServer redis;
    daemon_harness::Daemon writer(redis, writer_options(""));
    writer.start();
    const fs::path elsewhere = test_images::scratch_dir() / "replication-elsewhere";
    fs::remove_all(elsewhere);
    fs::create_directories(elsewhere);
    Node stray(redis, writer, "stray", elsewhere.string());
    CHECK_THROWS_WITH(stray.iiifd().start(),
                      Catch::Contains("[storage] root " + elsewhere.string() +
                                      ": no replication-id: not the writer's storage root (is "
                                      "the shared file system mounted?)"));
}

TEST_CASE("replication: the load balancer's tiles keep flowing while a node restarts",
          "[chain][replication]") {
    daemon_harness::RedisServer redis;
    daemon_harness::Daemon writer(redis, writer_options(""));
    writer.start();
    open_masters_to_workers(writer);
    Node a(redis, writer, "lb-a"), b(redis, writer, "lb-b");
    a.start();
    b.start();
    const std::string page =
        test_images::save(test_images::quadrants(1024, 768), "replicated-lb.jpg", "[Q=90]");
    const std::string ark = deposit(writer, page, 1);
    const std::string image = "/iiif/3/" + iiif::encode_identifier(ark + "/f1");
    for (Node* node : {&a, &b}) {
        const auto deadline = Clock::now() + 5s;
        while (integration::get(node->nginx().url(image + "/info.json")).status != 200 &&
               Clock::now() < deadline)
            std::this_thread::sleep_for(5ms);
    }

    // An nginx in front, as docs/replication.md configures one.
    integration::NginxOptions options;
    options.iiif_locations = false;
    options.http_extra =
        "upstream delivery { server 127.0.0.1:" + std::to_string(a.nginx().port()) +
        " max_fails=1 fail_timeout=2s; " + "server 127.0.0.1:" + std::to_string(b.nginx().port()) +
        " max_fails=1 fail_timeout=2s; }";
    options.server_extra =
        "location /iiif/ { proxy_pass http://delivery; "
        "proxy_next_upstream error timeout http_502 http_503; proxy_next_upstream_tries 2; "
        "error_page 502 504 = @unavailable; } "
        "location @unavailable { add_header Retry-After 2 always; return 503; }";
    integration::Nginx balancer(options);
    balancer.start();

    // Tiles through the balancer, one after another, while node b restarts (nginx and iiifd).
    std::atomic<bool> stop{false};
    std::atomic<int> served{0}, busy{0}, busy_without_retry_after{0}, other{0};
    std::atomic<int> served_while_down{0};
    std::atomic<bool> down{false};
    std::string other_seen;
    std::thread load([&] {
        const char* regions[] = {"0,0,256,256", "256,0,256,256", "0,256,256,256", "512,256,256,256",
                                 "768,512,256,256"};
        for (int n = 0; !stop; ++n) {
            const integration::Response tile =
                integration::get(balancer.url(image + "/" + regions[n % 5] + "/" +
                                              std::to_string(64 + n % 64) + ",/0/default.jpg"));
            if (tile.status == 200) {
                served += 1;
                if (down) served_while_down += 1;
            } else if (tile.status == 503) {
                busy += 1;
                if (!tile.has("Retry-After")) busy_without_retry_after += 1;
            } else {
                other += 1;
                other_seen = std::to_string(tile.status) + " " + tile.body.substr(0, 200);
            }
        }
    });
    std::this_thread::sleep_for(1s);
    down = true;
    b.nginx().stop();
    b.iiifd().stop();
    std::this_thread::sleep_for(1500ms);
    b.iiifd().start();
    b.nginx().start();
    down = false;
    std::this_thread::sleep_for(1s);
    stop = true;
    load.join();
    std::cout << "replication: through the balancer while a node restarted: " << served
              << " tiles served (" << served_while_down << " while it was down), " << busy
              << " answered 503, " << other << " other\n";
    INFO(other_seen);
    CHECK(other == 0);
    CHECK(busy_without_retry_after == 0);
    CHECK(served_while_down > 10);
    CHECK(served > 50);
    // Node b serves again.
    CHECK(integration::get(b.nginx().url(image + "/info.json")).status == 200);
}

TEST_CASE(
    "replication: the Redis master killed during deposits: every 202 ends done once, and the "
    "nodes serve throughout",
    "[chain][replication]") {
    daemon_harness::SentinelTopology topology;
    daemon_harness::DaemonOptions options = writer_options("");
    options.redis_config = topology.redis_config() + "wait_replicas = 1\nwait_timeout_ms = 500\n";
    options.reclaim_idle_seconds = 5;
    daemon_harness::Daemon writer(topology.master, options);
    writer.start();
    open_masters_to_workers(writer);
    std::vector<std::unique_ptr<Node>> nodes;
    for (const char* name : {"failover-a", "failover-b"}) {
        nodes.push_back(std::make_unique<Node>(topology.master, writer, name, std::string(),
                                               topology.redis_config()));
        nodes.back()->start();
    }
    const std::string page =
        test_images::save(test_images::quadrants(96, 64), "replicated-failover.jpg", "[Q=90]");
    const std::string first = deposit(writer, page, 0);
    const std::string image = "/iiif/3/" + iiif::encode_identifier(first + "/f1");
    for (auto& node : nodes) {
        const auto deadline = Clock::now() + 5s;
        while (integration::get(node->nginx().url(image + "/info.json")).status != 200 &&
               Clock::now() < deadline)
            std::this_thread::sleep_for(5ms);
    }

    // Every node is asked for an image all along.
    std::atomic<bool> stop{false};
    std::atomic<int> served{0}, failed{0};
    std::thread load([&] {
        for (int n = 0; !stop; ++n) {
            for (auto& node : nodes) {
                const long status = integration::get(node->nginx().url(image + "/full/" +
                                                                       std::to_string(16 + n % 64) +
                                                                       ",/0/default.jpg"))
                                        .status;
                (status == 200 ? served : failed) += 1;
            }
            std::this_thread::sleep_for(5ms);
        }
    });

    struct Accepted {
        std::string job, ark;
    };
    std::vector<Accepted> accepted;
    int refused = 0, accepted_after_failover = 0;
    for (int n = 1; n <= 30; ++n) {
        if (n == 10) topology.master.kill_hard();
        const daemon_harness::HttpResponse answer =
            writer.post_object({page}, R"({"title": "Feuille )" + std::to_string(n) + "\"}");
        INFO("deposit " << n << ": " << answer.status << " " << answer.body);
        REQUIRE((answer.status == 202 || answer.status == 503));
        if (answer.status == 202) {
            accepted.push_back({daemon_harness::json_text(answer.body, "job"),
                                daemon_harness::json_text(answer.body, "ark")});
            if (n > 10 && refused > 0) accepted_after_failover += 1;
        } else {
            CHECK(n >= 10);  // refused only once the master is gone
            refused += 1;
        }
        std::this_thread::sleep_for(200ms);
    }
    INFO(accepted.size() << " deposits answered 202, " << refused << " 503");
    CHECK(static_cast<int>(accepted.size()) + refused == 30);
    // Deposits are taken again once Sentinel has promoted the replica.
    CHECK(accepted_after_failover >= 5);
    const auto deadline = Clock::now() + 90s;
    for (const Accepted& made : accepted) {
        const auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now());
        const std::string status = writer.wait_for_job(made.job, std::max(left, 1s));
        INFO("job " << made.job << ": " << status);
        CHECK(daemon_harness::json_text(status, "state") == "done");
        // One object of one page for each, served by every node.
        CHECK(daemon_harness::json_array(writer.get("/api/v1/objects/" + made.ark).body,
                                         "images") == std::vector<std::string>{made.ark + "/f1"});
    }
    for (auto& node : nodes) {
        REQUIRE(settled(writer.catalog_path(), node->catalog_path()));
        for (const Accepted& made : accepted)
            CHECK(integration::get(node->nginx().url("/iiif/3/" + made.ark + "/manifest")).status ==
                  200);
        CHECK(iiif::catalog_difference(writer.catalog_path(), node->catalog_path()) ==
              std::nullopt);
    }
    CHECK(daemon_harness::json_array(writer.get("/api/v1/objects?limit=100").body, "objects")
              .size() == accepted.size() + 1);
    stop = true;
    load.join();
    std::cout << "replication: across the Redis failover, " << accepted.size()
              << " deposits answered 202 (" << refused << " 503), all done; the nodes served "
              << served << " images, " << failed << " failed\n";
    CHECK(failed == 0);
    CHECK(served > 100);
}

namespace {

// How many times `text` holds `part`.
int occurrences(const std::string& text, const std::string& part) {
    int count = 0;
    for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
        count += 1;
    return count;
}

long long stream_length(const daemon_harness::RedisServer& redis, const std::string& stream) {
    iiifd::Redis client("127.0.0.1", redis.port());
    return client.command({"XLEN", stream}).integer;
}

}  // namespace

TEST_CASE(
    "replication: the delivery nodes' workers convert every job and hand it to the writer, "
    "which records it, even after the writer was killed meanwhile",
    "[chain][replication]") {
    daemon_harness::RedisServer redis;
    // The writer converts nothing: every job is a delivery node's.
    daemon_harness::DaemonOptions options = writer_options("");
    options.workers = 0;
    options.reclaim_idle_seconds = 5;
    daemon_harness::Daemon writer(redis, options);
    writer.start();
    open_masters_to_workers(writer);
    Node a(redis, writer, "workers-a", "", "", 1), b(redis, writer, "workers-b", "", "", 1);
    a.start();
    b.start();
    const std::string recto =
        test_images::save(test_images::quadrants(1600, 1200), "node-recto.jpg", "[Q=90]");
    const std::string verso =
        test_images::save(test_images::quadrants(1200, 1600), "node-verso.jpg", "[Q=90]");

    struct Accepted {
        std::string job, ark;
    };
    auto deposit_pair = [&](int n) {
        const daemon_harness::HttpResponse made = writer.post_object(
            {recto, verso}, R"({"title": "Registre )" + std::to_string(n) + "\"}");
        INFO(made.body);
        REQUIRE(made.status == 202);
        return Accepted{daemon_harness::json_text(made.body, "job"),
                        daemon_harness::json_text(made.body, "ark")};
    };
    auto check_recorded = [&](const Accepted& made) {
        const std::string status = writer.wait_for_job(made.job);
        INFO("job " << made.job << ": " << status);
        CHECK(daemon_harness::json_text(status, "state") == "done");
        CHECK(
            daemon_harness::json_array(writer.get("/api/v1/objects/" + made.ark).body, "images") ==
            std::vector<std::string>{made.ark + "/f1", made.ark + "/f2"});
    };

    std::vector<Accepted> accepted;
    for (int n = 1; n <= 12; ++n) accepted.push_back(deposit_pair(n));
    for (const Accepted& made : accepted) check_recorded(made);
    // Converted on the nodes, both of them; recorded and counted on the writer.
    const int by_a = occurrences(a.iiifd().log(), "handed over to the writer to record");
    const int by_b = occurrences(b.iiifd().log(), "handed over to the writer to record");
    std::cout << "replication: 12 deposits of two pages converted by the nodes (" << by_a << " and "
              << by_b << ") and recorded by the writer\n";
    CHECK(by_a + by_b == 12);
    CHECK(by_a >= 1);
    CHECK(by_b >= 1);
    CHECK(writer.get("/metrics").body.find("iiifd_jobs_total{state=\"done\"} 12\n") !=
          std::string::npos);
    CHECK(a.iiifd().get("/metrics").body.find("iiifd_jobs_handed_over_total " +
                                              std::to_string(by_a) + "\n") != std::string::npos);
    CHECK(b.iiifd().get("/metrics").body.find("iiifd_jobs_handed_over_total " +
                                              std::to_string(by_b) + "\n") != std::string::npos);
    CHECK(stream_length(redis, "iiif:ingest:record") == 0);

    // New pages for an object: converted on a node too, added once as a new version.
    const std::string pages = "/api/v1/objects/" + accepted[0].ark + "/pages";
    const daemon_harness::HttpResponse added = daemon_harness::post_multipart(
        writer.url(pages), writer.auth(),
        {daemon_harness::file_part(
            test_images::save(test_images::quadrants(800, 600), "node-added.jpg", "[Q=90]"))});
    INFO(added.body);
    REQUIRE(added.status == 202);
    CHECK(daemon_harness::json_text(
              writer.wait_for_job(daemon_harness::json_text(added.body, "job")), "state") ==
          "done");
    CHECK(daemon_harness::json_array(writer.get("/api/v1/objects/" + accepted[0].ark).body,
                                     "images") ==
          std::vector<std::string>{accepted[0].ark + "/f1", accepted[0].ark + "/f2",
                                   accepted[0].ark + "/f3"});

    // A job with no image in it fails on the node that took it: nothing to hand over.
    const std::string text = (test_images::scratch_dir() / "node-not-an-image.jpg").string();
    daemon_harness::write_file(text, "no pixels here\n");
    const daemon_harness::HttpResponse hopeless = writer.post_object({text}, R"({"title": "x"})");
    REQUIRE(hopeless.status == 202);
    const std::string failed = writer.wait_for_job(daemon_harness::json_text(hopeless.body, "job"));
    CHECK(daemon_harness::json_text(failed, "state") == "failed");
    CHECK(daemon_harness::json_text(failed, "error") == "no file could be ingested");

    // The writer killed just after six deposits: the nodes go on converting, their hand-overs
    // wait in the record stream, and the writer records them once it is back.
    std::vector<Accepted> during;
    for (int n = 13; n <= 18; ++n) during.push_back(deposit_pair(n));
    writer.kill_hard();
    const auto deadline = Clock::now() + 60s;
    while (stream_length(redis, "iiif:ingest") > 0 && Clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    REQUIRE(stream_length(redis, "iiif:ingest") == 0);
    const long long waiting = stream_length(redis, "iiif:ingest:record");
    std::cout << "replication: " << waiting
              << " of 6 jobs handed over while the writer was down, recorded once it was back\n";
    CHECK(waiting >= 1);
    writer.start();
    for (const Accepted& made : during) check_recorded(made);
    CHECK(stream_length(redis, "iiif:ingest:record") == 0);
    CHECK(writer.get("/metrics").body.find("iiifd_record_queue_entries 0\n") !=
          std::string::npos);

    // Every node serves every object, and holds the writer's catalog record for record.
    for (Node* node : {&a, &b}) {
        REQUIRE(settled(writer.catalog_path(), node->catalog_path()));
        for (const std::vector<Accepted>* list : {&accepted, &during})
            for (const Accepted& made : *list) {
                CHECK(integration::get(node->nginx().url("/iiif/3/" + made.ark + "/manifest"))
                          .status == 200);
                CHECK(integration::get(node->nginx().url("/iiif/3/" +
                                                         iiif::encode_identifier(made.ark + "/f2") +
                                                         "/full/max/0/default.jpg"))
                          .status == 200);
            }
        CHECK(iiif::catalog_difference(writer.catalog_path(), node->catalog_path()) ==
              std::nullopt);
    }
    // The staging directories are gone once the writer has recorded each job.
    CHECK(fs::is_empty(writer.storage_root() + "/staging"));
}
