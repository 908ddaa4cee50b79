// The LMDB plumbing the catalog is built on (catalog_lmdb.hpp): failures, big-endian integers,
// opening the environment and its databases, the transaction and the cursor.
#include "catalog_lmdb.hpp"

#include "catalog_changes.hpp"
#include "iiif_error.hpp"
#include "mapped_pages.hpp"

namespace iiif::catalog_detail {

void lmdb_failure(std::string_view what, int rc) {
    throw IiifError(500, "catalog: " + std::string(what) + ": " + mdb_strerror(rc));
}

void append_u64be(std::string& out, std::int64_t value) {
    auto bits = static_cast<std::uint64_t>(value);
    for (int shift = 56; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>((bits >> shift) & 0xFF));
}

std::int64_t read_u64be(std::string_view in) {
    std::uint64_t bits = 0;
    for (size_t i = 0; i < 8 && i < in.size(); ++i)
        bits = (bits << 8) | static_cast<unsigned char>(in[i]);
    return static_cast<std::int64_t>(bits);
}

std::optional<std::string> open_environment(const std::string& path, unsigned flags,
                                            mdb_mode_t mode, size_t map_size, MDB_env** env) {
    int rc = mdb_env_create(env);
    if (rc != 0) return std::string("mdb_env_create: ") + mdb_strerror(rc);
    if (map_size != 0) mdb_env_set_mapsize(*env, map_size);
    mdb_env_set_maxdbs(*env, kMaxDbs);
    mdb_env_set_maxreaders(*env, kMaxReaders);
    rc = mdb_env_open(*env, path.c_str(), flags, mode);
    if (rc != 0) return std::string("mdb_env_open: ") + mdb_strerror(rc);
    int dead = 0;
    mdb_reader_check(*env, &dead);  // slots left by crashed processes
    return std::nullopt;
}

void unmap_environment_pages(MDB_env* env) {
    const char* path = nullptr;
    if (mdb_env_get_path(env, &path) != 0 || path == nullptr) return;
    unmap_file_pages({path});
}

std::optional<std::string> open_databases(MDB_txn* txn, std::span<const NamedDatabase> databases,
                                          unsigned flags) {
    for (auto [name, dbi] : databases) {
        int rc = mdb_dbi_open(txn, name, flags, dbi);
        if (rc != 0) return std::string("database ") + name + ": " + mdb_strerror(rc);
    }
    return std::nullopt;
}

Txn::Txn(MDB_env* env, unsigned flags, ChangeLog* log) : log_(log) {
    int rc = mdb_txn_begin(env, nullptr, flags, &txn_);
    if (rc == MDB_MAP_RESIZED) {
        // Another process grew the map: adopt its size. Safe where this environment is used by
        // one thread at a time (an nginx worker's event loop); the writer's own size never
        // changes, so its threads never get here.
        mdb_env_set_mapsize(env, 0);
        rc = mdb_txn_begin(env, nullptr, flags, &txn_);
    }
    check(rc, "mdb_txn_begin");
}

void Txn::commit() {
    const std::int64_t sealed = log_ && !changes_.empty() ? seal_change(*this, *log_, changes_) : 0;
    int rc = mdb_txn_commit(txn_);
    txn_ = nullptr;
    check(rc, "mdb_txn_commit");
    if (sealed != 0 && log_->committed) log_->committed(sealed);
}

void Txn::note(char operation, MDB_dbi dbi, std::string_view key, std::string_view value) {
    if (log_ == nullptr || dbi >= log_->numbers.size() || log_->numbers[dbi] == 0) return;
    encode_operation(changes_, operation, log_->numbers[dbi] - 1, key, value);
}

std::optional<std::string_view> Txn::find(MDB_dbi dbi, std::string_view key) const {
    MDB_val k = view(key), value;
    int rc = mdb_get(txn_, dbi, &k, &value);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    check(rc, "mdb_get");
    return view(value);
}

void Txn::put(MDB_dbi dbi, std::string_view key, std::string_view value) {
    MDB_val k = view(key), v = view(value);
    check(mdb_put(txn_, dbi, &k, &v, 0), "mdb_put");
    note(kPutOperation, dbi, key, value);
}

void Txn::erase(MDB_dbi dbi, std::string_view key) {
    MDB_val k = view(key);
    int rc = mdb_del(txn_, dbi, &k, nullptr);
    if (rc != MDB_NOTFOUND) check(rc, "mdb_del");
    if (rc == 0) note(kEraseOperation, dbi, key, {});
}

void Txn::clear(MDB_dbi dbi) {
    check(mdb_drop(txn_, dbi, 0), "mdb_drop");
    note(kClearOperation, dbi, {}, {});
}

Cursor::Cursor(const Txn& txn, MDB_dbi dbi) {
    check(mdb_cursor_open(txn.get(), dbi, &cursor_), "mdb_cursor_open");
}

bool Cursor::step(MDB_val key, MDB_cursor_op op) {
    key_ = key;
    int rc = mdb_cursor_get(cursor_, &key_, &value_, op);
    if (rc == MDB_NOTFOUND) return false;
    check(rc, "mdb_cursor_get");
    return true;
}

}  // namespace iiif::catalog_detail
