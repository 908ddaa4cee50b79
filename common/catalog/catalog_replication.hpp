// The catalog on more than one machine. The writer (iiifd) numbers every committed change of its
// catalog and keeps it in a log inside the catalog, in the change's own transaction
// (catalog_changes.hpp); iiifd publishes the log to Redis, and each delivery node's iiifd, in
// replica mode, applies it to a catalog of its own (CatalogReplica), which that node's nginx
// reads as it would the writer's. A replica that is new, or too far behind, first loads a
// snapshot: a consistent copy of the writer's catalog (CatalogWriter::write_snapshot), which
// knows its own position.
//
// A position is the log's epoch and the number of the last change. The epoch is drawn when the
// log starts (CatalogWriter::start_change_log) and again whenever the log cannot continue what
// replicas hold: after a schema upgrade (made outside the log) or on request. Changes are
// numbered from 1 in each epoch; a replica applies change n + 1 after n, and only in its epoch.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "catalog.hpp"

namespace iiif {

struct ReplicationPosition {
    std::string epoch;     // "" for a catalog whose log never started (or an empty replica)
    std::int64_t seq = 0;  // the last change made (writer) or applied (replica)
    bool operator==(const ReplicationPosition&) const = default;
};

// One committed change of the writer's catalog, as the log keeps it.
struct CatalogChange {
    std::int64_t seq = 0;
    std::int64_t committed_ms = 0;  // when the writer committed it (ms since 1970, UTC)
    std::string operations;         // the encoded change (catalog_changes.hpp)
};

// A change that does not follow the replica's position (a change missing between the two, or
// one of another epoch): the replica must load a snapshot.
struct ReplicationGap : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A delivery node's own catalog, written only by its replica iiifd. Its nginx opens it as
// CatalogReader, as it would the writer's.
class CatalogReplica {
  public:
    // Opens (creating if missing) the catalog at `path` with every replicated database.
    static std::unique_ptr<CatalogReplica> open(const std::string& path, std::string* error);
    ~CatalogReplica();
    CatalogReplica(const CatalogReplica&) = delete;
    CatalogReplica& operator=(const CatalogReplica&) = delete;

    ReplicationPosition position() const;

    // Applies the changes in order, in one transaction (one commit for many: a replica catching
    // up). Each must be the next after the position; throws ReplicationGap otherwise, having
    // applied nothing of the lot. The caller checks they are of the replica's epoch.
    void apply(const std::vector<CatalogChange>& changes);

    // Everything replaced by what the snapshot at `path` holds, in one transaction, so that
    // readers see the catalog before or after and never in between. Returns the new position.
    ReplicationPosition load_snapshot(const std::string& path);

    // As CatalogWriter::unmap_pages_beyond.
    void unmap_pages_beyond(std::size_t most);

    // Lookups in the replica's catalog (its environment shared).
    const CatalogReader& reader() const { return reader_; }

  private:
    CatalogReplica() = default;
    struct Databases;
    MDB_env* env_ = nullptr;
    std::unique_ptr<Databases> databases_;
    CatalogReader reader_;
};

// The position of the catalog a reader has open (the writer's, a replica's), from its meta.
ReplicationPosition replication_position(const CatalogReader& reader);

// The position a snapshot file records (of its catalog's meta); throws IiifError(500) when the
// file cannot be read as a catalog.
ReplicationPosition snapshot_position(const std::string& path);

// Every record of every replicated database of the two catalogs compared, in key order: nullopt
// when they hold the same, else the first difference ("objects: key ...: only in the first").
// Both files are opened read-only and without their lock: compare catalogs nothing writes.
// Throws IiifError(500) when one cannot be opened.
std::optional<std::string> catalog_difference(const std::string& first, const std::string& second);

}  // namespace iiif
