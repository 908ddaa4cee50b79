// CatalogWriter's change log (catalog_replication.hpp, catalog_changes.hpp): starting it, reading
// and trimming it, and the snapshots replicas start from.
#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "catalog.hpp"
#include "catalog_changes.hpp"
#include "catalog_lmdb.hpp"
#include "catalog_replication.hpp"
#include "encoding.hpp"
#include "iiif_error.hpp"

namespace iiif {
using namespace catalog_detail;

namespace {

std::string new_epoch() {
    unsigned char random[8];
    if (RAND_bytes(random, sizeof random) != 1)
        throw IiifError(500, "catalog: no random bytes for the change log's epoch");
    return hex_encode(random, sizeof random);
}

[[noreturn]] void system_failure(const std::string& what) {
    throw IiifError(500, "catalog: " + what + ": " + std::strerror(errno));
}

}  // namespace

ReplicationPosition CatalogWriter::start_change_log(bool fresh_epoch) {
    Txn txn(env_, 0);  // outside the log: what it changes is the log itself
    ReplicationPosition position = position_in_meta(txn, log_->meta);
    if (!position.epoch.empty() && !fresh_epoch) return position;
    position = {new_epoch(), 0};
    txn.clear(log_->changes);
    txn.put(log_->meta, kReplicationEpochKey, position.epoch);
    txn.put(log_->meta, kReplicationSeqKey, "0");
    txn.commit();
    return position;
}

bool CatalogWriter::stop_change_log() {
    Txn txn(env_, 0);
    if (!txn.find(log_->meta, kReplicationEpochKey)) return false;
    txn.clear(log_->changes);
    txn.erase(log_->meta, kReplicationEpochKey);
    txn.erase(log_->meta, kReplicationSeqKey);
    txn.commit();
    return true;
}

ReplicationPosition CatalogWriter::replication_position() const {
    Txn txn(env_, MDB_RDONLY);
    return position_in_meta(txn, log_->meta);
}

std::vector<CatalogChange> CatalogWriter::changes_after(std::int64_t seq, size_t most,
                                                        size_t most_bytes) const {
    std::vector<CatalogChange> changes;
    Txn txn(env_, MDB_RDONLY);
    Cursor cursor(txn, log_->changes);
    std::string from;
    append_u64be(from, seq + 1);
    size_t bytes = 0;
    for (bool found = cursor.seek(from); found && changes.size() < most; found = cursor.next()) {
        const std::string_view record = cursor.value();
        if (!changes.empty() && bytes + record.size() > most_bytes) break;
        if (record.size() < kChangeTimeBytes) throw IiifError(500, "catalog: a corrupt change");
        bytes += record.size();
        changes.push_back({read_u64be(cursor.key()), read_u64be(record),
                           std::string(record.substr(kChangeTimeBytes))});
    }
    return changes;
}

std::int64_t CatalogWriter::oldest_logged_change() const {
    Txn txn(env_, MDB_RDONLY);
    Cursor cursor(txn, log_->changes);
    return cursor.first() ? read_u64be(cursor.key()) : 0;
}

void CatalogWriter::forget_changes_through(std::int64_t seq) {
    Txn txn(env_, 0);
    std::vector<std::string> keys;
    {
        Cursor cursor(txn, log_->changes);
        for (bool found = cursor.first(); found && read_u64be(cursor.key()) <= seq;
             found = cursor.next())
            keys.emplace_back(cursor.key());
    }
    for (const std::string& key : keys) txn.erase(log_->changes, key);
    txn.commit();
}

ReplicationPosition CatalogWriter::write_snapshot(const std::string& path) const {
    const std::string partial = path + ".partial-" + std::to_string(getpid());
    const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) system_failure("snapshot " + partial);
    // A read transaction of its own: the copy is the catalog as one commit left it.
    const int rc = mdb_env_copyfd2(env_, fd, MDB_CP_COMPACT);
    const bool synced = rc == 0 && fsync(fd) == 0;
    ::close(fd);
    if (rc != 0 || !synced) {
        std::filesystem::remove(partial);
        if (rc != 0) lmdb_failure("mdb_env_copyfd2", rc);
        system_failure("snapshot " + partial);
    }
    if (std::rename(partial.c_str(), path.c_str()) != 0) {
        std::filesystem::remove(partial);
        system_failure("snapshot " + path);
    }
    const std::string directory = std::filesystem::path(path).parent_path().string();
    if (const int dir = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_CLOEXEC);
        dir >= 0) {
        fsync(dir);
        ::close(dir);
    }
    return snapshot_position(path);
}

void CatalogWriter::rewrite_whole(const std::function<void()>& rewrite) {
    struct Suspension {
        std::atomic<int>& count;
        ~Suspension() { count -= 1; }
    };
    {
        log_suspended_ += 1;
        const Suspension suspended{log_suspended_};
        rewrite();
    }
    if (log_suspended_.load() == 0 && !replication_position().epoch.empty())
        start_change_log(true);
}

void CatalogWriter::on_change_committed(std::function<void(std::int64_t)> committed) {
    log_->committed = std::move(committed);
}

}  // namespace iiif
