// CatalogWriter's registry (catalog.hpp): the `registry` database, read and edited by key.

#include "catalog.hpp"
#include "catalog_lmdb.hpp"

namespace iiif {
using namespace catalog_detail;

namespace {

std::vector<std::pair<std::string, std::string>> scan_prefix(const Txn& txn, MDB_dbi dbi,
                                                             std::string_view prefix) {
    std::vector<std::pair<std::string, std::string>> found;
    Cursor cursor(txn, dbi);
    for (bool more = cursor.seek(prefix); more && cursor.key().starts_with(prefix);
         more = cursor.next())
        found.emplace_back(std::string(cursor.key()), std::string(cursor.value()));
    return found;
}

}  // namespace

std::optional<std::string> RegistryEdit::get(std::string_view key) const {
    std::optional<std::string_view> found = txn_.find(dbi_, key);
    if (!found) return std::nullopt;
    return std::string(*found);
}

std::vector<std::pair<std::string, std::string>> RegistryEdit::scan(
    std::string_view prefix) const {
    return scan_prefix(txn_, dbi_, prefix);
}

void RegistryEdit::put(std::string_view key, std::string_view value) {
    txn_.put(dbi_, key, value);
}

void RegistryEdit::erase(std::string_view key) {
    txn_.erase(dbi_, key);
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
    return scan_prefix(txn, registry_, prefix);
}

void CatalogWriter::edit_registry(const std::function<void(RegistryEdit&)>& edit) {
    Txn txn(env_, 0, logging());
    RegistryEdit registry(txn, registry_);
    edit(registry);
    txn.commit();
}

}  // namespace iiif
