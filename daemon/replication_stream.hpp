// The catalog's changes in Redis, and the snapshots on the shared storage root: what the writer
// (change_publisher.hpp) and the replicas (replica_follower.hpp) agree on.
//
//   {stream}   one entry per change of the writer's catalog, its id "{seq}-0", so that the
//              stream is in the changes' order and a change can be appended once only:
//                epoch      the change log's epoch (catalog_replication.hpp)
//                committed  when the writer committed it, ms since 1970
//                change     the change, as the catalog encodes it
//              The writer appends only after the entry it expects to be last (one Lua script,
//              atomic), so that a change can be neither doubled nor skipped, even by a writer
//              that reconnects to a promoted replica that missed the last entries: it finds the
//              stream's real end and appends again from there.
//
//   {root}/replication-id    the storage root's identity, drawn once by the writer, and
//   {stream}:storage         the same in Redis: a node whose storage root holds another (or
//                            none) has not mounted the shared storage, and refuses to start
//
//   {snapshot_dir}/catalog-{epoch}-{seq}.mdb   a consistent copy of the writer's catalog
//   {snapshot_dir}/latest.json                 {"epoch", "seq", "file", "made"}: the newest
//
// The stream is trimmed below the older of the two snapshots kept, and never past the change
// last published: a replica behind what the stream holds loads the newest snapshot.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog.hpp"
#include "catalog_replication.hpp"
#include "daemon_config.hpp"
#include "job_queue.hpp"

namespace iiifd {

// An entry of the stream.
struct StreamChange {
    std::int64_t seq = 0;
    std::string epoch;
    std::int64_t committed_ms = 0;
    std::string change;  // empty when only the entry's place was asked for
};

// The last entry (nullopt: an empty stream), without its change.
std::optional<StreamChange> stream_last(Redis& redis, const std::string& stream);
// The first entry numbered after `seq` (nullopt: none), without its change.
std::optional<StreamChange> stream_entry_after(Redis& redis, const std::string& stream,
                                               std::int64_t seq);

// Appends `changes` (in order) when the stream's last entry is numbered `expected_last` (0: the
// stream is empty). Returns nullopt once appended; else the stream's last number, and nothing
// was appended.
std::optional<std::int64_t> append_changes(Redis& redis, const std::string& stream,
                                           const std::string& epoch, std::int64_t expected_last,
                                           const std::vector<iiif::CatalogChange>& changes);

// The entries numbered after `seq`, at most `count`, waiting at most `block_ms` for one.
std::vector<StreamChange> read_changes(Redis& redis, const std::string& stream, std::int64_t seq,
                                       int count, int block_ms);

// Deletes the entries numbered below `seq`.
void trim_stream_below(Redis& redis, const std::string& stream, std::int64_t seq);

// The writer's side: the storage root's identity (made once), set in Redis.
void publish_storage_identity(Redis& redis, const DaemonConfig& config);
// A replica's side: whether the storage root's identity is the one the writer published.
struct StorageCheck {
    bool published = false;  // false: the writer has not published one yet
    std::optional<std::string> problem;  // why the storage root is not the writer's
};
StorageCheck check_storage_identity(Redis& redis, const DaemonConfig& config);  // RedisUnavailable

struct SnapshotRecord {
    std::string epoch;
    std::int64_t seq = 0;
    std::string file;       // its path
    std::int64_t made = 0;  // unix seconds
};
// What latest.json says; nullopt when there is none (or it cannot be read: then it is logged).
std::optional<SnapshotRecord> latest_snapshot(const std::string& snapshot_dir);

// A snapshot of the catalog written into `snapshot_dir` and named in latest.json; the snapshots
// of other epochs, and of this one but the newest two, removed. Returns the new one and the
// number the stream may be trimmed below (the older snapshot kept, plus one).
struct SnapshotTaken {
    SnapshotRecord snapshot;
    std::int64_t keep_from = 0;
};
SnapshotTaken take_snapshot(iiif::CatalogWriter& catalog, const std::string& snapshot_dir);

}  // namespace iiifd
