// The LMDB plumbing the catalog is built on: LMDB failures as IiifError(500), MDB_val views of
// text, big-endian integers (so that keys sort by number), opening the environment and its named
// databases, and a transaction and a cursor that clean up after themselves. Private to
// common/catalog/: catalog.hpp shows none of it, and nothing outside the folder includes it.
#pragma once

#include <lmdb.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace iiif::catalog_detail {

// Enough for the catalog's named databases (catalog_keys.hpp lists them).
inline constexpr unsigned kMaxDbs = 20;
// The writer's and a replica's map. Address space, not disk: without MDB_WRITEMAP the file grows
// only as pages are written.
inline constexpr size_t kWriterMapSize = size_t{64} << 30;
// Every nginx worker's read transactions take slots, for the time of one lookup each.
inline constexpr unsigned kMaxReaders = 1024;

[[noreturn]] void lmdb_failure(std::string_view what, int rc);

inline void check(int rc, std::string_view what) {
    if (rc != 0) lmdb_failure(what, rc);
}

inline MDB_val view(std::string_view text) {
    return {text.size(), const_cast<char*>(text.data())};
}

inline std::string_view view(const MDB_val& value) {
    return {static_cast<const char*>(value.mv_data), value.mv_size};
}

// Eight bytes, most significant first: keys that begin with them sort by the number.
void append_u64be(std::string& out, std::int64_t value);
// The number of the first eight bytes of `in` (fewer when it is shorter).
std::int64_t read_u64be(std::string_view in);

// Creates the environment (in `*env`, which the caller closes, also after a failure) and opens
// the file at `path` with `flags` and `mode`, the catalog's limits, and `map_size` (0: the one
// the writer recorded in the file); then frees the reader slots of crashed processes. Nullopt
// when it is open, else what failed ("mdb_env_open: ...").
std::optional<std::string> open_environment(const std::string& path, unsigned flags,
                                            mdb_mode_t mode, size_t map_size, MDB_env** env);

// Gives back this process's mapped pages of the environment's file (mapped_pages.hpp). LMDB does
// not give its map's address (mdb_env_info's me_mapaddr is the fixed address of MDB_FIXEDMAP
// alone): the process's map of the file names it.
void unmap_environment_pages(MDB_env* env);

// A named database and where its handle goes.
struct NamedDatabase {
    const char* name;
    MDB_dbi* dbi;
};
// Opens each database in `txn` with `flags` (MDB_CREATE: creating those missing). Nullopt when
// all are open, else which failed and why ("database words: ..."); the caller aborts `txn`.
std::optional<std::string> open_databases(MDB_txn* txn, std::span<const NamedDatabase> databases,
                                          unsigned flags);

// Where a writer's transactions record what they change, for the replicas (catalog_changes.hpp):
// each write to a replicated database is noted in the transaction as it is made, and the commit
// of a transaction that changed something, in a catalog whose change log is on (an epoch in
// `meta`), adds its number to `meta` and the whole change to `changes` (sealed_change), in that
// same transaction.
struct ChangeLog {
    MDB_dbi meta = 0;
    MDB_dbi changes = 0;
    // A database handle's number in kReplicatedDatabases, plus one; 0: not replicated.
    std::array<unsigned char, kMaxDbs + 2> numbers{};
    // Called after the commit of a change the log holds, with its number.
    std::function<void(std::int64_t)> committed;
};

// A transaction that is aborted unless committed.
class Txn {
  public:
    // `log`: a write transaction of the writer, whose changes the log records.
    Txn(MDB_env* env, unsigned flags, ChangeLog* log = nullptr);
    ~Txn() {
        if (txn_) mdb_txn_abort(txn_);
    }
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;

    MDB_txn* get() const { return txn_; }
    void commit();

    // The value under `key`, as a view into the map valid for the transaction; nullopt when
    // absent.
    std::optional<std::string_view> find(MDB_dbi dbi, std::string_view key) const;
    void put(MDB_dbi dbi, std::string_view key, std::string_view value);
    // Deletes `key` if present.
    void erase(MDB_dbi dbi, std::string_view key);
    // Deletes every record of the database (it stays).
    void clear(MDB_dbi dbi);

  private:
    void note(char operation, MDB_dbi dbi, std::string_view key, std::string_view value);
    MDB_txn* txn_ = nullptr;
    ChangeLog* log_ = nullptr;
    std::string changes_;  // what this transaction changed, encoded (catalog_changes.hpp)
};

class Cursor {
  public:
    Cursor(const Txn& txn, MDB_dbi dbi);
    ~Cursor() { mdb_cursor_close(cursor_); }
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;

    // Positions at the first key >= `key`; false at the end.
    bool seek(std::string_view key) { return step(view(key), MDB_SET_RANGE); }
    bool next() { return step({}, MDB_NEXT); }
    bool prev() { return step({}, MDB_PREV); }
    bool first() { return step({}, MDB_FIRST); }
    bool last() { return step({}, MDB_LAST); }
    std::string_view key() const { return view(key_); }
    std::string_view value() const { return view(value_); }

  private:
    bool step(MDB_val key, MDB_cursor_op op);
    MDB_cursor* cursor_ = nullptr;
    MDB_val key_{};
    MDB_val value_{};
};

}  // namespace iiif::catalog_detail
