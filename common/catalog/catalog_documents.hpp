// The documents the catalog stores ready-made (the `documents` database): how one is encoded,
// which documents a change of an object makes or removes inside the transaction that changes it
// (its manifests, its resolver record, its collection members, the sets made dirty), and how a
// dirty set's collection documents are made again. Private to common/catalog/.
//
// A stored document is [u64be modified][u8 etag length][etag][body]: the module sends the body
// as it is and validates with the etag, with no parse.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalog.hpp"
#include "catalog_lmdb.hpp"

namespace iiif::catalog_detail {

std::string encode_document(std::string_view body, std::int64_t modified);
// A stored document's parts, as views into `stored`. IiifError(500) when it is too short to be
// one (`key` names it in the message).
CatalogReader::DocumentView decode_document_view(std::string_view stored, std::string_view key);

// The sets whose collection documents an object's membership touches: each set it is directly
// in, and their ancestors (which list it as a subset), and the top collection (kTopDirtyKey).
std::vector<std::string> collections_touched(const std::vector<std::string>& sets);

// Makes the documents that follow from one object, inside the transaction that changes it.
struct Publisher {
    Txn& txn;
    const PublicationSettings& settings;
    const AccessSettings& access;
    MDB_dbi images, documents, members, dirty;

    // The object's pages as stored in `images` (those it names that are there).
    std::vector<ImageRecord> pages(const ObjectRecord& object) const;
    // `previous`: the object as it was (null for a new one); its membership entries go and its
    // sets are marked dirty. An active object with images gets its manifests and its entries in
    // `members`; a described one (is_described) and any that is not active have no manifests
    // (those they had go) and no entries. An active object's sets are marked dirty. Each gets
    // its resolver record.
    void publish(const ObjectRecord* previous, const ObjectRecord& object, const std::string& key);
};

// The sets that have collection documents now, in spec order ("" for the top collection).
std::vector<std::string> sets_with_collections(const Txn& txn, MDB_dbi documents);

// Makes the collection documents of the set `spec` ("": the top collection) again from
// `members`: its old documents go (it may have fewer pages now), and new ones are written unless
// the set has neither members nor subsets left.
void remake_collection(Txn& txn, const PublicationSettings& settings, MDB_dbi members,
                       MDB_dbi documents, const std::string& spec);

}  // namespace iiif::catalog_detail
