// The documents the catalog stores ready-made (catalog_documents.hpp): their encoding, the ones
// a change of an object makes (Publisher), and a set's collection documents.
#include "catalog_documents.hpp"

#include "catalog_keys.hpp"
#include "clock.hpp"
#include "iiif_error.hpp"
#include "resolver_record.hpp"
#include "signing.hpp"

namespace iiif::catalog_detail {
namespace {

// What a set's collection lists: its direct members' collection items (in deposit order) and
// its child sets.
struct CollectionContents {
    std::vector<std::string> items;
    std::vector<std::string> subsets;
};

// The set's direct members, and the child sets found among the specs below it: one seek per
// distinct spec, past all entries of that spec.
CollectionContents collection_contents(const Txn& txn, MDB_dbi members, const std::string& spec) {
    CollectionContents contents;
    Cursor cursor(txn, members);
    const std::string own = spec.empty() ? std::string() : spec + '\0';
    if (!spec.empty()) {
        for (bool more = cursor.seek(own); more && cursor.key().starts_with(own);
             more = cursor.next())
            contents.items.emplace_back(cursor.value());
    }
    const std::string below = spec.empty() ? std::string() : spec + ':';
    bool more = below.empty() ? cursor.first() : cursor.seek(below);
    while (more && cursor.key().starts_with(below)) {
        std::string_view other = cursor.key().substr(0, cursor.key().find('\0'));
        std::string_view child = other.substr(below.size());
        child = child.substr(0, child.find(':'));
        std::string child_spec = below + std::string(child);
        if (contents.subsets.empty() || contents.subsets.back() != child_spec)
            contents.subsets.push_back(child_spec);
        more = cursor.seek(std::string(other) + '\1');
    }
    return contents;
}

// Deletes the set's collection documents: its first page and its numbered pages.
void erase_collection(Txn& txn, MDB_dbi documents, const std::string& spec) {
    const std::string own_key = collection_document_key(spec);
    const std::string pages_prefix = own_key + "/";
    std::vector<std::string> stale;
    {
        Cursor cursor(txn, documents);
        for (bool more = cursor.seek(own_key); more; more = cursor.next()) {
            if (cursor.key() != own_key && !cursor.key().starts_with(pages_prefix)) break;
            stale.emplace_back(cursor.key());
        }
    }
    for (const std::string& key : stale) txn.erase(documents, key);
}

}  // namespace

std::string encode_document(std::string_view body, std::int64_t modified) {
    // The service's validators are the first 128 bits of a SHA-256, in hex (tile_cache.hpp).
    const std::string etag = "\"" + sha256_hex(body).substr(0, 32) + "\"";
    std::string out;
    out.reserve(9 + etag.size() + body.size());
    append_u64be(out, modified);
    out.push_back(static_cast<char>(etag.size()));
    out += etag;
    out += body;
    return out;
}

CatalogReader::DocumentView decode_document_view(std::string_view stored, std::string_view key) {
    const size_t etag_size = stored.size() >= 9 ? static_cast<unsigned char>(stored[8]) : 0;
    if (stored.size() < 9 + etag_size)
        throw IiifError(500, "catalog: corrupt document " + std::string(key));
    return {stored.substr(9 + etag_size), stored.substr(9, etag_size), read_u64be(stored)};
}

std::vector<std::string> collections_touched(const std::vector<std::string>& sets) {
    std::vector<std::string> touched = set_memberships(sets);
    touched.emplace_back(kTopDirtyKey);
    return touched;
}

std::vector<ImageRecord> Publisher::pages(const ObjectRecord& object) const {
    std::vector<ImageRecord> found;
    for (const std::string& id : object.images) {
        auto key = catalog_image_key(id);
        if (!key) continue;
        if (auto text = txn.find(images, *key)) found.push_back(image_record_from_json(*text));
    }
    return found;
}

void Publisher::publish(const ObjectRecord* previous, const ObjectRecord& object,
                        const std::string& key) {
    if (previous) {
        for (const std::string& spec : previous->metadata.sets)
            txn.erase(members, member_key(spec, previous->created, key));
        for (const std::string& spec : collections_touched(previous->metadata.sets))
            txn.put(dirty, spec, "");
    }
    const bool active = object.state == RecordState::active;
    if (active && !is_described(object)) {
        const std::vector<ImageRecord> object_pages = pages(object);
        txn.put(
            documents, manifest_document_key(ApiVersion::v3, key),
            encode_document(manifest_v3(settings, object, object_pages, &access), object.updated));
        txn.put(
            documents, manifest_document_key(ApiVersion::v2, key),
            encode_document(manifest_v2(settings, object, object_pages, &access), object.updated));
        const ImageRecord* first = object_pages.empty() ? nullptr : &object_pages.front();
        const std::string item = collection_item_v3(settings, object, first);
        for (const std::string& spec : object.metadata.sets)
            txn.put(members, member_key(spec, object.created, key), item);
    } else {
        txn.erase(documents, manifest_document_key(ApiVersion::v3, key));
        txn.erase(documents, manifest_document_key(ApiVersion::v2, key));
    }
    if (active) {
        for (const std::string& spec : collections_touched(object.metadata.sets))
            txn.put(dirty, spec, "");
    }
    txn.put(documents, resolver_document_key(key),
            encode_document(resolver_record(settings, object), object.updated));
}

std::vector<std::string> sets_with_collections(const Txn& txn, MDB_dbi documents) {
    std::vector<std::string> sets;
    Cursor cursor(txn, documents);
    for (bool more = cursor.seek(kCollectionKeyPrefix);
         more && cursor.key().starts_with(kCollectionKeyPrefix); more = cursor.next()) {
        std::string_view spec = cursor.key().substr(kCollectionKeyPrefix.size());
        spec = spec.substr(0, spec.find('/'));
        if (sets.empty() || sets.back() != spec) sets.emplace_back(spec);
    }
    return sets;
}

void remake_collection(Txn& txn, const PublicationSettings& settings, MDB_dbi members,
                       MDB_dbi documents, const std::string& spec) {
    const CollectionContents contents = collection_contents(txn, members, spec);
    erase_collection(txn, documents, spec);
    if (spec.empty() || !contents.items.empty() || !contents.subsets.empty()) {
        const std::int64_t now = now_seconds();
        for (const CollectionDocument& document :
             collection_documents_v3(settings, spec, contents.subsets, contents.items))
            txn.put(documents, collection_document_key(spec, document.page),
                    encode_document(document.body, now));
    }
}

}  // namespace iiif::catalog_detail
