// The replica's side of replication ([replication] role = "replica", a delivery node): a thread
// that applies the writer's changes, read from the stream (replication_stream.hpp), to this
// node's own catalog (iiif::CatalogReplica), which this node's nginx reads.
//
// Changes are applied in order and in one transaction per batch read, the replica's position
// moving in the same transaction (it is part of each change): a replica killed at any moment
// resumes at the change after the last one it committed, never applying one twice or skipping
// one. A replica whose catalog is empty, of another epoch, or behind what the stream still holds
// (a change missing between its position and the stream's next entry) loads the newest snapshot
// from the shared storage root first, in one transaction, and then follows the stream from the
// snapshot's change.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "catalog_replication.hpp"
#include "daemon_config.hpp"
#include "metrics.hpp"
#include "replication_stream.hpp"

namespace iiifd {

class ReplicaFollower {
  public:
    // Counts into `metrics.replication` and `metrics.replica_apply_delay`.
    ReplicaFollower(const DaemonConfig& config, iiif::CatalogReplica& catalog, Metrics& metrics);
    ~ReplicaFollower();  // stops
    ReplicaFollower(const ReplicaFollower&) = delete;
    ReplicaFollower& operator=(const ReplicaFollower&) = delete;

    void start();
    // Returns within about one blocking read (a second).
    void stop();

  private:
    void run(std::stop_token stop);
    // Loads the newest snapshot when it moves the replica on; false when there is none that does.
    bool bootstrap(const iiif::ReplicationPosition& position);
    bool stream_moved_on(Redis& redis, const iiif::ReplicationPosition& position);

    const DaemonConfig& config_;
    iiif::CatalogReplica& catalog_;
    Metrics& metrics_;
    std::jthread thread_;
};

// Where a replica (or the writer) stands against the stream, for `iiifd replica status`,
// /health and /metrics.
struct ReplicationStatus {
    iiif::ReplicationPosition position;      // this node's catalog
    std::optional<StreamChange> stream_end;  // the stream's last change
    std::int64_t behind = 0;                 // changes in the stream after the position
    double lag_seconds = 0;  // since the writer committed the oldest change not applied here
    std::optional<SnapshotRecord> snapshot;  // the newest
};
// Reads the stream (throws RedisUnavailable when Redis does not answer).
ReplicationStatus replication_status(Redis& redis, const DaemonConfig& config,
                                     const iiif::ReplicationPosition& position);

// The replication metrics of this node's role, in the Prometheus text format: the status read
// at the scrape (nullopt when Redis did not answer), the gauges, and (replica) the delay from the
// writer's commit to the replica's.
std::string replication_exposition(const DaemonConfig& config,
                                   const std::optional<ReplicationStatus>& status,
                                   const Metrics& metrics);

}  // namespace iiifd
