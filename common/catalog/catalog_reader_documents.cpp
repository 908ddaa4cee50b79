// CatalogReader's reads of stored documents (catalog.hpp): copied out, read in place through one
// reused read transaction (the module's event loop), or pinned in the map for one response.
// Their encoding is in catalog_documents.hpp.
#include "catalog.hpp"
#include "catalog_documents.hpp"
#include "catalog_lmdb.hpp"

namespace iiif {
using namespace catalog_detail;

std::optional<StoredDocument> CatalogReader::document(std::string_view key) const {
    Txn txn(env_, MDB_RDONLY);
    auto found = txn.find(documents_, key);
    if (!found) return std::nullopt;
    const DocumentView document = decode_document_view(*found, key);
    return StoredDocument{std::string(document.body), std::string(document.etag),
                          document.modified};
}

bool CatalogReader::with_document(std::string_view key,
                                  const std::function<void(const DocumentView&)>& use) const {
    std::unique_lock lock(reuse_mutex_, std::try_to_lock);
    if (lock.owns_lock()) {
        // A renewed transaction sees the latest commit, as a new one would.
        int rc = reused_txn_ ? mdb_txn_renew(reused_txn_)
                             : mdb_txn_begin(env_, nullptr, MDB_RDONLY, &reused_txn_);
        if (rc == 0) {
            struct Reset {
                MDB_txn* txn;
                ~Reset() { mdb_txn_reset(txn); }
            } reset{reused_txn_};
            MDB_val k = view(key), value;
            rc = mdb_get(reused_txn_, documents_, &k, &value);
            if (rc == MDB_NOTFOUND) return false;
            check(rc, "mdb_get");
            use(decode_document_view(view(value), key));
            return true;
        }
        // A map grown by the writer (MDB_MAP_RESIZED) or a stale handle: start afresh below,
        // where Txn adopts the new size.
        if (reused_txn_) mdb_txn_abort(reused_txn_);
        reused_txn_ = nullptr;
    }
    Txn txn(env_, MDB_RDONLY);
    auto found = txn.find(documents_, key);
    if (!found) return false;
    use(decode_document_view(*found, key));
    return true;
}

std::optional<CatalogReader::PinnedDocument> CatalogReader::pinned_document(
    std::string_view key) const {
    MDB_txn* raw = nullptr;
    if (mdb_txn_begin(env_, nullptr, MDB_RDONLY, &raw) != 0) return std::nullopt;
    std::shared_ptr<MDB_txn> txn(raw, mdb_txn_abort);
    MDB_val k = view(key), value;
    int rc = mdb_get(raw, documents_, &k, &value);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    check(rc, "mdb_get");
    PinnedDocument pinned;
    pinned.view = decode_document_view(view(value), key);
    pinned.pin = std::move(txn);
    return pinned;
}

}  // namespace iiif
