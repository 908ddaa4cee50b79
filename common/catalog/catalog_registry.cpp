// CatalogWriter's registry (catalog.hpp): the `registry` database, read and edited by key.

#include "catalog.hpp"
#include "catalog_lmdb.hpp"

namespace iiif {
using namespace catalog_detail;

namespace {

std::vector<std::pair<std::string, std::string>> scan_prefix(MDB_txn* txn, MDB_dbi dbi,
                                                             std::string_view prefix) {
    std::vector<std::pair<std::string, std::string>> found;
    MDB_cursor* cursor = nullptr;
    check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open");
    MDB_val key = view(prefix), value;
    int rc = mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE);
    while (rc == 0 && view(key).starts_with(prefix)) {
        found.emplace_back(std::string(view(key)), std::string(view(value)));
        rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT);
    }
    mdb_cursor_close(cursor);
    if (rc != 0 && rc != MDB_NOTFOUND) check(rc, "mdb_cursor_get");
    return found;
}

}  // namespace

std::optional<std::string> RegistryEdit::get(std::string_view key) const {
    MDB_val k = view(key), value;
    int rc = mdb_get(txn_, dbi_, &k, &value);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    check(rc, "mdb_get");
    return std::string(view(value));
}

std::vector<std::pair<std::string, std::string>> RegistryEdit::scan(
    std::string_view prefix) const {
    return scan_prefix(txn_, dbi_, prefix);
}

void RegistryEdit::put(std::string_view key, std::string_view value) {
    MDB_val k = view(key), v = view(value);
    check(mdb_put(txn_, dbi_, &k, &v, 0), "mdb_put");
}

void RegistryEdit::erase(std::string_view key) {
    MDB_val k = view(key);
    int rc = mdb_del(txn_, dbi_, &k, nullptr);
    if (rc != MDB_NOTFOUND) check(rc, "mdb_del");
}

std::optional<std::string> CatalogWriter::registry_get(std::string_view key) const {
    Txn txn(env_, MDB_RDONLY);
    std::optional<std::string_view> found = txn.find(registry_, key);
    if (!found) return std::nullopt;
    return std::string(*found);
}

std::vector<std::pair<std::string, std::string>> CatalogWriter::registry_scan(
    std::string_view prefix) const {
    Txn txn(env_, MDB_RDONLY);
    return scan_prefix(txn.get(), registry_, prefix);
}

void CatalogWriter::edit_registry(const std::function<void(RegistryEdit&)>& edit) {
    Txn txn(env_, 0);
    RegistryEdit registry(txn.get(), registry_);
    edit(registry);
    txn.commit();
}

}  // namespace iiif
