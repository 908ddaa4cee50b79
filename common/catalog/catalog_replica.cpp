// A delivery node's catalog (CatalogReplica, catalog_replication.hpp): the writer's changes
// applied in order, a snapshot loaded whole; and the comparison of two catalogs.
#include <array>

#include "catalog_changes.hpp"
#include "catalog_lmdb.hpp"
#include "catalog_replication.hpp"
#include "iiif_error.hpp"
#include "mapped_pages.hpp"
#include "shared_files.hpp"

namespace iiif {
using namespace catalog_detail;

namespace {


// A catalog file opened read-only with its replicated databases (a snapshot, or either side of
// a comparison): without a lock file, which a snapshot has not and a reader may not write.
struct ReadOnlyCatalog {
    explicit ReadOnlyCatalog(const std::string& path) {
        if (auto failure = open_environment(path, MDB_RDONLY | MDB_NOSUBDIR | MDB_NOLOCK, 0644, 0,
                                            &env)) {
            mdb_env_close(env);
            env = nullptr;
            throw IiifError(500, "catalog " + path + ": " + *failure);
        }
        try {
            Txn txn(env, MDB_RDONLY);
            for (size_t i = 0; i < kReplicatedCount; ++i) {
                const int rc = mdb_dbi_open(txn.get(), kReplicatedDatabases[i], 0, &dbis[i]);
                if (rc != 0)
                    throw IiifError(500, "catalog " + path + ": database " +
                                             kReplicatedDatabases[i] + ": " + mdb_strerror(rc));
            }
            txn.commit();  // the handles outlive the transaction only once it commits
        } catch (...) {
            mdb_env_close(env);
            throw;
        }
    }
    ~ReadOnlyCatalog() {
        if (env) mdb_env_close(env);
    }
    ReadOnlyCatalog(const ReadOnlyCatalog&) = delete;
    ReadOnlyCatalog& operator=(const ReadOnlyCatalog&) = delete;

    MDB_env* env = nullptr;
    std::array<MDB_dbi, kReplicatedCount> dbis{};
};

std::string printable(std::string_view key) {
    std::string out;
    for (unsigned char c : key.substr(0, 80)) {
        if (c >= 0x20 && c < 0x7F) {
            out.push_back(static_cast<char>(c));
        } else {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
        }
    }
    return out;
}

}  // namespace

struct CatalogReplica::Databases {
    std::array<MDB_dbi, kReplicatedCount> dbis{};
};

std::unique_ptr<CatalogReplica> CatalogReplica::open(const std::string& path, std::string* error) {
    auto fail = [&](const std::string& what) {
        if (error) *error = "catalog " + path + ": " + what;
        return nullptr;
    };
    std::unique_ptr<CatalogReplica> replica(new CatalogReplica());
    replica->databases_ = std::make_unique<Databases>();
    CatalogReader& r = replica->reader_;
    r.owns_env_ = false;  // the replica closes it
    if (auto failure =
            open_environment(path, MDB_NOSUBDIR | MDB_NOTLS, 0664, kWriterMapSize, &replica->env_))
        return fail(*failure);
    share_with_group(path + "-lock");  // nginx's workers take reader slots (catalog.hpp)
    r.env_ = replica->env_;
    r.has_words_ = true;
    MDB_dbi registry = 0, changes = 0;
    const NamedDatabase databases[] = {
        {"objects", &r.objects_},     {"images", &r.images_},   {"arks", &r.arks_},
        {"files", &r.files_},         {"by_date", &r.by_date_}, {"by_set", &r.by_set_},
        {"documents", &r.documents_}, {"members", &r.members_}, {"dirty", &r.dirty_},
        {"meta", &r.meta_},           {"tallies", &r.tallies_}, {"sets", &r.sets_},
        {"words", &r.words_},         {"registry", &registry},  {kChangesDatabase, &changes}};
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(replica->env_, nullptr, 0, &txn);
    if (rc != 0) return fail(std::string("mdb_txn_begin: ") + mdb_strerror(rc));
    if (auto failure = open_databases(txn, databases, MDB_CREATE)) {
        mdb_txn_abort(txn);
        return fail(*failure);
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) return fail(std::string("mdb_txn_commit: ") + mdb_strerror(rc));
    for (size_t i = 0; i < kReplicatedCount; ++i)
        for (const NamedDatabase& database : databases)
            if (std::string_view(database.name) == kReplicatedDatabases[i])
                replica->databases_->dbis[i] = *database.dbi;
    return replica;
}

CatalogReplica::~CatalogReplica() {
    // The reader's kept transaction belongs to this environment: it goes first.
    if (reader_.reused_txn_) mdb_txn_abort(reader_.reused_txn_);
    reader_.reused_txn_ = nullptr;
    if (env_) mdb_env_close(env_);
}

ReplicationPosition CatalogReplica::position() const {
    Txn txn(env_, MDB_RDONLY);
    return position_in_meta(txn, databases_->dbis[kMetaNumber]);
}

void CatalogReplica::apply(const std::vector<CatalogChange>& changes) {
    if (changes.empty()) return;
    const auto& dbis = databases_->dbis;
    const MDB_dbi meta = dbis[kMetaNumber];
    Txn txn(env_, 0);
    std::int64_t at = position_in_meta(txn, meta).seq;
    for (const CatalogChange& change : changes) {
        if (change.seq != at + 1)
            throw ReplicationGap("change " + std::to_string(change.seq) + " does not follow " +
                                 std::to_string(at));
        size_t offset = 0;
        Operation operation;
        while (next_operation(change.operations, &offset, &operation)) {
            const MDB_dbi dbi = dbis[operation.database];
            if (operation.operation == kPutOperation) {
                txn.put(dbi, operation.key, operation.value);
            } else if (operation.operation == kEraseOperation) {
                txn.erase(dbi, operation.key);
            } else {
                txn.clear(dbi);
            }
        }
        at = change.seq;
        // The change itself moved the position (it holds the writer's put of it): check it did.
        if (position_in_meta(txn, meta).seq != at)
            throw ReplicationGap("change " + std::to_string(at) + " did not move the position");
    }
    txn.commit();
}

ReplicationPosition CatalogReplica::load_snapshot(const std::string& path) {
    const ReadOnlyCatalog snapshot(path);
    Txn source(snapshot.env, MDB_RDONLY);
    Txn txn(env_, 0);
    for (size_t i = 0; i < kReplicatedCount; ++i) {
        const MDB_dbi into = databases_->dbis[i];
        txn.clear(into);
        Cursor cursor(source, snapshot.dbis[i]);
        for (bool found = cursor.first(); found; found = cursor.next()) {
            MDB_val key = view(cursor.key()), value = view(cursor.value());
            // In key order into an empty database: appended, no search.
            check(mdb_put(txn.get(), into, &key, &value, MDB_APPEND), "mdb_put");
        }
    }
    const ReplicationPosition position = position_in_meta(txn, databases_->dbis[kMetaNumber]);
    txn.commit();
    return position;
}

void CatalogReplica::unmap_pages_beyond(std::size_t most) {
    if (resident_file_bytes() > most) unmap_environment_pages(env_);
}

ReplicationPosition replication_position(const CatalogReader& reader) {
    ReplicationPosition position;
    position.epoch = reader.meta(kReplicationEpochKey).value_or("");
    if (auto seq = reader.meta(kReplicationSeqKey)) position.seq = std::stoll(*seq);
    return position;
}

ReplicationPosition snapshot_position(const std::string& path) {
    const ReadOnlyCatalog snapshot(path);
    Txn txn(snapshot.env, MDB_RDONLY);
    return position_in_meta(txn, snapshot.dbis[kMetaNumber]);
}

std::optional<std::string> catalog_difference(const std::string& first,
                                              const std::string& second) {
    const ReadOnlyCatalog a(first), b(second);
    Txn ta(a.env, MDB_RDONLY), tb(b.env, MDB_RDONLY);
    for (size_t i = 0; i < kReplicatedCount; ++i) {
        const std::string name = kReplicatedDatabases[i];
        Cursor ca(ta, a.dbis[i]), cb(tb, b.dbis[i]);
        bool in_a = ca.first(), in_b = cb.first();
        for (; in_a && in_b; in_a = ca.next(), in_b = cb.next()) {
            if (ca.key() < cb.key())
                return name + ": key " + printable(ca.key()) + ": only in the first";
            if (cb.key() < ca.key())
                return name + ": key " + printable(cb.key()) + ": only in the second";
            if (ca.value() != cb.value())
                return name + ": key " + printable(ca.key()) + ": values differ";
        }
        if (in_a) return name + ": key " + printable(ca.key()) + ": only in the first";
        if (in_b) return name + ": key " + printable(cb.key()) + ": only in the second";
    }
    return std::nullopt;
}

}  // namespace iiif
