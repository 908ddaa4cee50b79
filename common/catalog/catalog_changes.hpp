// The catalog's change log, for its replicas (catalog_replication.hpp): which databases are
// replicated, how a transaction's changes are written down, and the commit that seals them.
// Private to common/catalog/.
//
// A change is the list of what one write transaction did, in order:
//   operation (1 byte: kPutOperation, kEraseOperation, kClearOperation)
//   database  (1 byte: its index in kReplicatedDatabases)
//   key       (u32be length, bytes)              put and erase
//   value     (u32be length, bytes)              put only
// The log holds it in `changes`: u64be number -> u64be commit time (ms since the epoch) then the
// change. `meta` holds the log's epoch and the last change's number (decimal), and the change
// that moves that number is part of the change itself, so a replica that applies a change in one
// transaction moves its own position with it: it can neither lose nor repeat one.
#pragma once

#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "catalog_lmdb.hpp"
#include "catalog_replication.hpp"

namespace iiif::catalog_detail {

// Every database a replica holds, by the number a change names it with. The numbers are for
// ever: a new database goes at the end. `changes` is the writer's own and is not replicated.
inline constexpr const char* kReplicatedDatabases[] = {
    "objects", "images", "arks",    "files",  "by_date", "by_set", "documents",
    "members", "dirty",  "meta",    "tallies", "sets",   "words",  "registry"};
inline constexpr size_t kReplicatedCount = std::size(kReplicatedDatabases);
inline constexpr const char* kChangesDatabase = "changes";
inline constexpr size_t kMetaNumber = 9;
static_assert(std::string_view(kReplicatedDatabases[kMetaNumber]) == "meta");

inline constexpr char kPutOperation = 'P';
inline constexpr char kEraseOperation = 'D';
inline constexpr char kClearOperation = 'C';

// A record of `changes` begins with its commit time: u64be.
inline constexpr size_t kChangeTimeBytes = 8;

// The keys of `meta` the change log keeps.
inline constexpr std::string_view kReplicationEpochKey = "replication_epoch";
inline constexpr std::string_view kReplicationSeqKey = "replication_seq";

void encode_operation(std::string& out, char operation, unsigned database, std::string_view key,
                      std::string_view value);

// One operation read back from a change.
struct Operation {
    char operation = 0;
    unsigned database = 0;
    std::string_view key;
    std::string_view value;
};
// Reads the operation at `*at` of `change` and moves past it; false at the end. Throws
// IiifError(500) for a change that is cut short or names no replicated database.
bool next_operation(std::string_view change, size_t* at, Operation* operation);

// The change log's place as `meta` (its handle) records it in `txn`.
ReplicationPosition position_in_meta(const Txn& txn, MDB_dbi meta);

// In `txn`, before its commit: when the catalog's log is on, numbers the change (the next number
// in `meta`, written by this transaction, so that the change holds it) and stores it in
// `changes`. Returns its number, or 0 when the log is off.
std::int64_t seal_change(Txn& txn, const ChangeLog& log, const std::string& change);

}  // namespace iiif::catalog_detail
