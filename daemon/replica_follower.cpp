// The replica's follower (replica_follower.hpp), and where a node stands against the stream.
#include "replica_follower.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "clock.hpp"
#include "iiif_error.hpp"

namespace iiifd {
namespace {

// Changes read per batch, applied in one transaction.
constexpr int kReadCount = 256;
constexpr int kBlockMs = 1000;
constexpr auto kRetryPeriod = std::chrono::seconds(1);
// Past this much of mapped catalog pages, the replica gives them back (as harvests do).
constexpr std::size_t kMappedLimit = std::size_t{96} << 20;

void pause(std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    wake.wait_for(lock, stop, kRetryPeriod, [] { return false; });
}

}  // namespace

ReplicaFollower::ReplicaFollower(const DaemonConfig& config, iiif::CatalogReplica& catalog,
                                 Metrics& metrics)
    : config_(config), catalog_(catalog), metrics_(metrics) {}

ReplicaFollower::~ReplicaFollower() {
    stop();
}

void ReplicaFollower::start() {
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void ReplicaFollower::stop() {
    if (!thread_.joinable()) return;
    thread_.request_stop();
    thread_.join();
}

bool ReplicaFollower::bootstrap(const iiif::ReplicationPosition& position) {
    const std::optional<SnapshotRecord> latest = latest_snapshot(config_.replication.snapshot_dir);
    if (!latest) {
        spdlog::info("replication: no snapshot in {} yet: waiting for the writer's",
                     config_.replication.snapshot_dir);
        return false;
    }
    if (latest->epoch == position.epoch && latest->seq <= position.seq) {
        spdlog::error("replication: the stream misses changes after {} and the newest snapshot "
                      "({}) is not past it",
                      position.seq, latest->seq);
        return false;
    }
    const auto began = std::chrono::steady_clock::now();
    const iiif::ReplicationPosition loaded = catalog_.load_snapshot(latest->file);
    metrics_.replication.bootstraps += 1;
    spdlog::info("replication: loaded the snapshot {} (epoch {}, change {}) in {} ms",
                 latest->file, loaded.epoch, loaded.seq,
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - began)
                     .count());
    return true;
}

// Whether the stream has left this position behind for good: another epoch, or (empty) a
// snapshot of another epoch.
bool ReplicaFollower::stream_moved_on(Redis& redis, const iiif::ReplicationPosition& position) {
    if (const std::optional<StreamChange> last = stream_last(redis, config_.replication.stream))
        return last->epoch != position.epoch;
    const std::optional<SnapshotRecord> latest = latest_snapshot(config_.replication.snapshot_dir);
    return latest && latest->epoch != position.epoch;
}

void ReplicaFollower::run(std::stop_token stop) {
    Redis redis(config_.redis);
    bool unavailable_said = false;
    while (!stop.stop_requested()) {
        try {
            const iiif::ReplicationPosition position = catalog_.position();
            if (position.epoch.empty()) {
                if (!bootstrap(position)) pause(stop);
                continue;
            }
            const std::vector<StreamChange> read = read_changes(
                redis, config_.replication.stream, position.seq, kReadCount, kBlockMs);
            unavailable_said = false;
            if (read.empty()) {
                if (stream_moved_on(redis, position) && !bootstrap(position)) pause(stop);
                continue;
            }
            std::vector<iiif::CatalogChange> changes;
            for (const StreamChange& change : read) {
                if (change.epoch != position.epoch) break;
                changes.push_back({change.seq, change.committed_ms, change.change});
            }
            try {
                if (changes.empty()) throw iiif::ReplicationGap("a change of another epoch");
                catalog_.apply(changes);
            } catch (const iiif::ReplicationGap& gap) {
                spdlog::warn("replication: at change {}: {}: loading the snapshot", position.seq,
                             gap.what());
                if (!bootstrap(position)) pause(stop);
                continue;
            }
            const std::int64_t now = iiif::now_milliseconds();
            for (const iiif::CatalogChange& change : changes)
                metrics_.replica_apply_delay.observe(static_cast<double>(now - change.committed_ms) / 1000.0);
            metrics_.replication.applied += static_cast<std::int64_t>(changes.size());
            catalog_.unmap_pages_beyond(kMappedLimit);
        } catch (const RedisUnavailable& failure) {
            if (!unavailable_said) spdlog::warn("replication: {}; following waits", failure.what());
            unavailable_said = true;
            pause(stop);
        } catch (const std::exception& failure) {
            spdlog::error("replication: {}", failure.what());
            pause(stop);
        }
    }
}

ReplicationStatus replication_status(Redis& redis, const DaemonConfig& config,
                                     const iiif::ReplicationPosition& position) {
    ReplicationStatus status;
    status.position = position;
    status.snapshot = latest_snapshot(config.replication.snapshot_dir);
    status.stream_end = stream_last(redis, config.replication.stream);
    if (!status.stream_end || status.stream_end->epoch != position.epoch) {
        // Nothing to follow in this epoch: behind by what the stream holds, if anything.
        if (status.stream_end) {
            status.behind = status.stream_end->seq;
            status.lag_seconds =
                static_cast<double>(iiif::now_milliseconds() - status.stream_end->committed_ms) / 1000.0;
        }
        return status;
    }
    status.behind = std::max<std::int64_t>(0, status.stream_end->seq - position.seq);
    if (status.behind > 0) {
        const std::optional<StreamChange> next =
            stream_entry_after(redis, config.replication.stream, position.seq);
        const std::int64_t committed =
            next ? next->committed_ms : status.stream_end->committed_ms;
        status.lag_seconds = std::max(0.0, static_cast<double>(iiif::now_milliseconds() - committed) / 1000.0);
    }
    return status;
}

std::string replication_exposition(const DaemonConfig& config,
                                   const std::optional<ReplicationStatus>& status,
                                   const Metrics& metrics) {
    const ReplicationGauges& gauges = metrics.replication;
    Exposition out;
    const bool writer = config.replication.role == ReplicationRole::writer;
    if (status) {
        out.gauge("iiifd_replication_position",
                  "The last change of this node's catalog (writer: made; replica: applied).",
                  static_cast<long long>(status->position.seq));
        out.gauge("iiifd_replication_stream_end",
                  "The last change the catalog stream holds (0: none).",
                  static_cast<long long>(status->stream_end ? status->stream_end->seq : 0));
    }
    if (writer) {
        out.gauge("iiifd_replication_published", "The last change this writer published.",
                  static_cast<long long>(gauges.published.load()));
        out.gauge("iiifd_replication_snapshot", "The change the newest snapshot holds.",
                  static_cast<long long>(gauges.snapshot.load()));
        out.total("iiifd_replication_unconfirmed_total",
                  "Changes published that WAIT did not see on enough Redis replicas in time.",
                  static_cast<long long>(gauges.unconfirmed.load()));
        return std::move(out).text();
    }
    if (status) {
        out.gauge("iiifd_replica_lag_changes",
                  "Changes the stream holds that this replica has not applied.",
                  static_cast<long long>(status->behind));
        out.gauge("iiifd_replica_lag_seconds",
                  "Seconds since the writer committed the oldest change not applied here (0: "
                  "none).",
                  status->lag_seconds);
    }
    out.total("iiifd_replica_applied_total", "Changes applied since this iiifd started.",
              static_cast<long long>(gauges.applied.load()));
    out.total("iiifd_replica_snapshots_loaded_total",
              "Snapshots loaded since this iiifd started.",
              static_cast<long long>(gauges.bootstraps.load()));
    out.histogram("iiifd_replica_apply_delay_seconds",
                  "Time from the writer's commit of a change to this replica's.",
                  metrics.replica_apply_delay);
    return std::move(out).text();
}

}  // namespace iiifd
