// CatalogWriter's changes of one object (catalog.hpp): put and put_many (an object and its pages
// stored with the access its rules give them, its indexes kept, its documents made, in one
// transaction), withdraw and reinstate, and the idempotency lookup of an original. The whole
// catalog's operations are in catalog_writer.cpp.
#include <algorithm>
#include <charconv>

#include "catalog.hpp"
#include "catalog_documents.hpp"
#include "catalog_keys.hpp"
#include "catalog_lmdb.hpp"
#include "iiif_error.hpp"
#include "json.hpp"
#include "tallies.hpp"

namespace iiif {
using namespace catalog_detail;

namespace {

// An entry as it is stored: the object and the pages given, with the policy and watermark the
// access rules give them now and the rights in canonical form; the object's key and its pages'.
struct StoredEntry {
    ObjectRecord object;
    std::vector<ImageRecord> images;  // the pages given (a metadata change gives none)
    ResolvedAccess access;
    std::string rights;                  // info.json's "rights", for every page
    std::string key;                     // the object's normalized ARK
    std::vector<std::string> page_keys;  // of every page the object lists
};

// Gives a page the object's access and rights; false when it had them already.
bool give_access(ImageRecord& image, const ResolvedAccess& access, const std::string& rights) {
    if (image.policy == access.policy && image.watermark == access.watermark &&
        image.rights == rights && image.institution == access.institution)
        return false;
    image.policy = access.policy;
    image.watermark = access.watermark;
    image.rights = rights;
    image.institution = access.institution;
    return true;
}

// Resolves an entry's access and rights, and checks that its ARK is one and that every
// page it lists (IiifError(500) otherwise) is its own.
StoredEntry resolve_entry(const CatalogWriter::Entry& entry, const AccessRules& rules,
                          const AccessSettings& settings) {
    StoredEntry stored;
    // Every object and page carries the policy and watermark its metadata, its sets and the
    // rules give it now.
    const ObjectMetadata& metadata = entry.object.metadata;
    stored.access = resolve_access(rules, settings, metadata.access, set_memberships(metadata.sets),
                                   metadata.provider);
    stored.object = entry.object;
    stored.object.policy = stored.access.policy;
    // Its owner, said outright (a record from before institutions names none: the home one).
    if (stored.object.institution.empty()) stored.object.institution = rules.home_institution;
    stored.access.institution = stored.object.institution;
    // info.json's "rights" in the form manifests and OAI-PMH give it (canonical_rights).
    stored.rights = metadata.license.empty() ? "" : canonical_rights(metadata.license);
    stored.images = entry.images;
    for (ImageRecord& image : stored.images) give_access(image, stored.access, stored.rights);

    const ObjectRecord& object = stored.object;
    auto key = catalog_object_key(object.ark);
    if (!key) throw IiifError(500, "catalog: not an ARK: \"" + object.ark + "\"");
    stored.key = *key;
    for (const std::string& id : object.images) {
        auto page = catalog_image_key(id);
        if (!page || !page->starts_with(*key + "/"))
            throw IiifError(500, "catalog: \"" + id + "\" is no page of " + object.ark);
        stored.page_keys.push_back(*page);
    }
    return stored;
}

// The databases that hold objects, their pages and the indexes kept with them, in the
// transaction that changes one object.
struct ObjectStore {
    Txn& txn;
    MDB_dbi objects, images, arks, files, by_date, by_set, words, tallies;

    std::optional<ObjectRecord> find(const std::string& key) const {
        auto text = txn.find(objects, key);
        if (!text) return std::nullopt;
        return object_record_from_json(*text);
    }

    // The object's entries in by_date and by_set (under each set it is in, and their
    // ancestors).
    void index_dates(const ObjectRecord& object, const std::string& key) {
        txn.put(by_date, date_key(object.datestamp, key), "");
        for (const std::string& spec : set_memberships(object.metadata.sets))
            txn.put(by_set, set_key(spec, object.datestamp, key), "");
    }
    void unindex_dates(const ObjectRecord& object, const std::string& key) {
        txn.erase(by_date, date_key(object.datestamp, key));
        for (const std::string& spec : set_memberships(object.metadata.sets))
            txn.erase(by_set, set_key(spec, object.datestamp, key));
    }

    // Takes the previous version's index entries out (tallies, words, by_date,
    // by_set) before the new ones go in.
    void unindex(const ObjectRecord& previous, const std::string& key) {
        tally(txn, tallies, previous, -1);
        for (const std::string& word : object_title_words(previous))
            txn.erase(words, word_key(word, key));
        unindex_dates(previous, key);
    }

    // Pages the object no longer lists go, with their idempotency entries (files); those it
    // lists as removed stay, as tombstones.
    void drop_unlisted_pages(const ObjectRecord& previous, const StoredEntry& entry) {
        for (const std::string& id : previous.images) {
            auto page = catalog_image_key(id);
            if (!page ||
                std::find(entry.page_keys.begin(), entry.page_keys.end(), *page) !=
                    entry.page_keys.end() ||
                std::find(entry.object.removed.begin(), entry.object.removed.end(), id) !=
                    entry.object.removed.end())
                continue;
            if (auto old = txn.find(images, *page)) {
                ImageRecord gone = image_record_from_json(*old);
                if (!gone.original_sha256.empty())
                    txn.erase(files, file_key(entry.key, gone.original_sha256));
                txn.erase(images, *page);
            }
        }
    }

    // The object, its entries in by_date, by_set, words and the tallies, and its ARK in
    // `arks`.
    void write_object(const StoredEntry& entry) {
        const ObjectRecord& object = entry.object;
        txn.put(objects, entry.key, object_record_to_json(object));
        index_dates(object, entry.key);
        for (const std::string& word : object_title_words(object))
            txn.put(words, word_key(word, entry.key), "");
        tally(txn, tallies, object, +1);
        record_minted(object, entry.key);
    }

    // An ARK that reaches the catalog is minted for ever, even after a rebuild.
    void record_minted(const ObjectRecord& object, const std::string& key) {
        if (txn.find(arks, key)) return;
        Json minted(json_object());
        json_object_set_new(minted.get(), "ark", json_string_of(object.ark));
        json_object_set_new(minted.get(), "minted", json_integer(object.created));
        txn.put(arks, key, json_text(minted.get()));
    }

    // The pages given, each with its idempotency entry (files) in place of the one of
    // the original it replaces. IiifError(500) for a page of another object.
    void write_pages(const StoredEntry& entry) {
        for (const ImageRecord& image : entry.images) {
            auto page = catalog_image_key(image.id);
            if (!page || !page->starts_with(entry.key + "/"))
                throw IiifError(500,
                                "catalog: \"" + image.id + "\" is no page of " + entry.object.ark);
            if (auto old = txn.find(images, *page)) {
                ImageRecord replaced = image_record_from_json(*old);
                if (!replaced.original_sha256.empty() &&
                    replaced.original_sha256 != image.original_sha256)
                    txn.erase(files, file_key(entry.key, replaced.original_sha256));
            }
            txn.put(images, *page, image_record_to_json(image));
            // A removed page's original may come back as a new page.
            const bool removed = std::find(entry.object.removed.begin(),
                                           entry.object.removed.end(),
                                           image.id) != entry.object.removed.end();
            if (!image.original_sha256.empty() && removed)
                txn.erase(files, file_key(entry.key, image.original_sha256));
            else if (!image.original_sha256.empty())
                txn.put(files, file_key(entry.key, image.original_sha256),
                        std::to_string(image.index));
        }
    }

    // Pages kept as they were (a metadata change) follow a change of policy, watermark
    // or rights.
    void update_kept_pages(const StoredEntry& entry) {
        for (const std::string& page : entry.page_keys) {
            auto text = txn.find(images, page);
            if (!text) continue;
            ImageRecord kept = image_record_from_json(*text);
            if (give_access(kept, entry.access, entry.rights))
                txn.put(images, page, image_record_to_json(kept));
        }
    }

    // The object's pages take its state (withdrawn or active).
    void set_pages_state(const ObjectRecord& object, RecordState state) {
        for (const std::string& id : object.images) {
            auto page = catalog_image_key(id);
            if (!page) continue;
            auto image_text = txn.find(images, *page);
            if (!image_text) continue;
            ImageRecord image = image_record_from_json(*image_text);
            image.state = state;
            txn.put(images, *page, image_record_to_json(image));
        }
    }
};

}  // namespace

void CatalogWriter::put(const ObjectRecord& object, const std::vector<ImageRecord>& images) {
    put_many({Entry{object, images}});
}

void CatalogWriter::put_many(const std::vector<Entry>& entries) {
    Txn txn(env_, 0, logging());
    put_entries(txn, entries);
    txn.commit();
}

void CatalogWriter::put_entries(Txn& txn, const std::vector<Entry>& entries) {
    const CatalogReader& r = reader_;
    ObjectStore store{txn,        r.objects_, r.images_, r.arks_,   r.files_,
                      r.by_date_, r.by_set_,  r.words_,  r.tallies_};
    Publisher publisher{txn,          publication_, access_settings_, r.images_,
                        r.documents_, r.members_,   r.dirty_};
    for (const Entry& given : entries) {
        // The access and rights the rules give it now, its key and its pages' keys.
        const StoredEntry entry = resolve_entry(given, access_rules_, access_settings_);
        // Out with the previous version's index entries, and the pages it no longer lists.
        const std::optional<ObjectRecord> previous = store.find(entry.key);
        if (previous) {
            store.unindex(*previous, entry.key);
            store.drop_unlisted_pages(*previous, entry);
        }
        // In with the object and its indexes (by_date, by_set, words, tallies, arks), the pages
        // given (images, files), and the access and rights of the pages kept.
        store.write_object(entry);
        store.write_pages(entry);
        store.update_kept_pages(entry);
        // Its documents: its manifests and resolver record, its entries in `members`, and the
        // sets it leaves or enters marked dirty.
        publisher.publish(previous ? &*previous : nullptr, entry.object, entry.key);
    }
}

void CatalogWriter::withdraw(std::string_view ark, const std::string& reason, std::int64_t when) {
    set_object_state(ark, RecordState::withdrawn, reason, when);
}

void CatalogWriter::reinstate(std::string_view ark, std::int64_t when) {
    set_object_state(ark, RecordState::active, "", when);
}

void CatalogWriter::set_object_state(std::string_view ark, RecordState state,
                                     const std::string& reason, std::int64_t when) {
    auto key = catalog_object_key(ark);
    if (!key) throw IiifError(404, "not an ARK");
    const CatalogReader& r = reader_;
    Txn txn(env_, 0, logging());
    ObjectStore store{txn,        r.objects_, r.images_, r.arks_,   r.files_,
                      r.by_date_, r.by_set_,  r.words_,  r.tallies_};
    const std::optional<ObjectRecord> previous = store.find(*key);
    if (!previous) throw IiifError(404, "no object " + std::string(ark));
    if (state == RecordState::active && previous->state != RecordState::withdrawn)
        throw IiifError(409, "the object is not withdrawn");

    // Its title does not change: its words stay. Its datestamp does: it moves in by_date,
    // by_set and the tallies.
    tally(txn, r.tallies_, *previous, -1);
    store.unindex_dates(*previous, *key);
    ObjectRecord object = *previous;
    object.state = state;
    object.withdrawn_reason = reason;
    object.updated = when;
    object.datestamp = when;
    txn.put(r.objects_, *key, object_record_to_json(object));
    store.index_dates(object, *key);
    tally(txn, r.tallies_, object, +1);

    store.set_pages_state(object, state);
    Publisher{txn, publication_, access_settings_, r.images_, r.documents_, r.members_, r.dirty_}
        .publish(&*previous, object, *key);
    txn.commit();
}

}  // namespace iiif
