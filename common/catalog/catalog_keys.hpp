// The catalog's databases and the layout of their keys, with the functions that make the keys
// (the tallies' keys are in tallies.hpp, the stored documents' encoding in catalog_documents.hpp).
// Private to common/catalog/; catalog.hpp declares the few that other code needs: an object's and
// an image's key, and the documents' keys.
//
//   objects   normalized object ARK  -> ObjectRecord (JSON)
//   images    normalized image id    -> ImageRecord (JSON)     id = "{object ARK}/f{n}"
//   arks      normalized ARK         -> {"ark", "minted"}      every ARK ever minted, for ever
//   files     normalized ARK "|" SHA-256 of an original -> page index   (idempotent ingest)
//   by_date   u64be datestamp + normalized ARK -> ""           OAI-PMH selective harvesting
//   by_set    set spec "\0" u64be datestamp + ARK -> ""        idem, per set; an object in
//             "a:b" is also indexed under "a", so harvesting a set harvests its subsets
//   documents ready-made answers, served as stored (StoredDocument; catalog_documents.hpp):
//             "m3 {ARK}" / "m2 {ARK}"   the object's Presentation 3.0 / 2.1 manifest
//             "r {ARK}"                 the object's resolver record (resolver_record.hpp)
//             "c " / "c {set}" / "c {set}/{n}"  the top collection, a set's, a set's page n
//   members   set spec "\0" u64be created + ARK -> collection_item_v3 text: the objects directly
//             in each set (not its subsets), in deposit order, for its collection documents
//   dirty     set spec -> "": sets whose collection documents are out of date
//             (refresh_collections); the top collection's key is ":" (kTopDirtyKey)
//   tallies   how many published objects each set holds per span of time (tallies.hpp)
//   sets      set spec -> {"name", "description"}: the sets' names, from iiifd's configuration
//   words     title word "\0" normalized ARK -> "": every word of every title (all languages)
//             of each object (title_words.hpp: NFKD, accents dropped, case-folded, cut at
//             64 bytes; one-character words kept), for the search by title. Written with the
//             object, in its transaction. A catalog of schema 1 to 3 has none: CatalogWriter
//             fills it on opening (so does it when `words` is empty beside objects); a reader
//             that opened the catalog before that searches nothing until it is opened again
//   registry  iiifd's directory, JSON values (daemon/directory.hpp): "institution {id}",
//             "account {name}", "key {SHA-256 of the key, hex}", "shoulder {code}", "directory"
//             (its own state). Opened by the writer alone; clear() keeps it
//   meta      "schema" -> "4", "publication" -> publication_settings_to_json(),
//             "access" -> access_settings_to_json() (what the module decides with),
//             "access_rules" -> access_rules_to_json() (how objects got their policies),
//             "shoulders" -> shoulders_to_json() (the registered shoulders, for the resolver),
//             "upgrade" -> "indexes" while an upgrade's indexes are being refilled (recorded with
//             the new schema, deleted once they are: an upgrade cut short is done again),
//             "replication_epoch" -> 16 hex digits, "replication_seq" -> the last change's
//             number (decimal): the change log's place, once it is on (catalog_changes.hpp)
//   changes   u64be change number -> u64be commit time (ms) + the change: the writer's change
//             log, for replicas (catalog_replication.hpp); never replicated itself
//
// "Normalized" is Ark::normalized_base() (hyphens dropped, label and NAAN lower-cased) plus,
// for images, "/f{n}" (n >= 1, no leading zeros). Records keep the ARK as minted, hyphens
// included, for display.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "records.hpp"

namespace iiif::catalog_detail {

// The keys of `meta`.
inline constexpr std::string_view kSchemaKey = "schema";
inline constexpr std::string_view kPublicationKey = "publication";
inline constexpr std::string_view kAccessKey = "access";
inline constexpr std::string_view kAccessRulesKey = "access_rules";
inline constexpr std::string_view kShouldersKey = "shoulders";
inline constexpr std::string_view kUpgradeKey = "upgrade";

// The dirty key of the top collection (no set spec is a lone ':').
inline constexpr std::string_view kTopDirtyKey = ":";

// Every collection document's key begins with it (collection_document_key).
inline constexpr std::string_view kCollectionKeyPrefix = "c ";

// The datestamp that begins the keys of by_date (and of by_set, after the spec's "\0"), and
// members' creation time: u64be.
inline constexpr size_t kDatestampBytes = 8;

// by_date: the datestamp then the object's key.
std::string date_key(std::int64_t datestamp, std::string_view key);
// by_set: the spec, a NUL, then as date_key.
std::string set_key(std::string_view spec, std::int64_t datestamp, std::string_view key);
// members: the same layout as set_key, with the object's creation time.
std::string member_key(std::string_view spec, std::int64_t created, std::string_view key);
// words: the word, a NUL (no word holds one), the object's key.
std::string word_key(std::string_view word, std::string_view key);
// files: the object's key, "|", the SHA-256 of the original.
std::string file_key(std::string_view key, std::string_view sha256);

// The words an object is indexed under in `words`: those of all its titles, each once.
std::vector<std::string> object_title_words(const ObjectRecord& object);

}  // namespace iiif::catalog_detail
