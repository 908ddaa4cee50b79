// The catalog (catalog.mdb): what the platform holds, written only by iiifd and read by every
// nginx worker. One LMDB environment in a single file (MDB_NOSUBDIR), with named databases:
// the records (objects, images, every ARK minted, the originals ingested), the indexes kept with
// them (by date, by set, by title word, the tallies that count per span of time), the documents
// served as stored (manifests, resolver records, collections, and the sets whose collections are
// out of date), the sets' names and the settings iiifd publishes with. catalog_keys.hpp lists
// the databases and the layout of their keys.
//
// Every change of an object is one write transaction: readers see the object before or after,
// never in between.
//
// Readers in other processes (nginx workers) need read access to the file and write access to
// its lock file (path + "-lock"): the writer makes the file as its umask allows (0640 under the
// package's unit) and the lock file group-writable whatever the umask, so a shared group is
// enough. Replace nothing under a running reader: it maps the file it opened for ever; empty
// the catalog with CatalogWriter::clear() instead.
//
// The code, in common/catalog/: catalog_reader.cpp, catalog_reader_documents.cpp and
// catalog_title_search.cpp (CatalogReader), catalog_writer.cpp (CatalogWriter: opening and
// upgrades, minting, the catalog as a whole) and catalog_writer_objects.cpp (its changes of one
// object), on catalog_keys, tallies, catalog_documents and catalog_lmdb (private to the folder).
#pragma once

#include <lmdb.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "access.hpp"
#include "ark.hpp"
#include "image_request.hpp"
#include "presentation.hpp"
#include "records.hpp"

namespace iiif {

namespace catalog_detail {
class Txn;        // catalog_lmdb.hpp, private to common/catalog/
struct ChangeLog;  // idem
}  // namespace catalog_detail
struct ReplicationPosition;  // catalog_replication.hpp
struct CatalogChange;        // idem

// The catalog's keys (every database's layout: catalog_keys.hpp): an object's normalized ARK (of
// any ARK form; a qualifier is ignored), and an image's "{normalized ARK}/f{n}" (nullopt unless
// the qualifier is f{n}, n >= 1).
std::optional<std::string> catalog_object_key(std::string_view ark);
std::optional<std::string> catalog_image_key(std::string_view id);

// A document of the `documents` database: the body as served, a strong validator and the time
// it last changed.
struct StoredDocument {
    std::string body;
    std::string etag;           // quoted, e.g. "\"3f2a...\""
    std::int64_t modified = 0;  // unix seconds
};
// Keys of the documents database, from a normalized ARK (catalog_object_key) or a set spec.
std::string manifest_document_key(ApiVersion version, std::string_view object_key);
std::string resolver_document_key(std::string_view object_key);
std::string collection_document_key(std::string_view spec, int page = 0);  // spec "": top

// Read-only access, for nginx workers and the daemon's readers. Never writes, never blocks.
class CatalogReader {
  public:
    // Opens an existing catalog read-only (MDB_RDONLY | MDB_NOTLS | MDB_NOSUBDIR). Null with a
    // reason when it does not exist or cannot be opened.
    static std::unique_ptr<CatalogReader> open(const std::string& path, std::string* error);
    ~CatalogReader();
    CatalogReader(const CatalogReader&) = delete;
    CatalogReader& operator=(const CatalogReader&) = delete;

    // Lookups throw IiifError(500) on an LMDB failure or a corrupt record; a missing record
    // (or a text that is no ARK) is nullopt.
    std::optional<ObjectRecord> object(std::string_view ark) const;  // any ARK form, base object
    std::optional<ImageRecord> image(std::string_view id) const;     // "ark:/.../f{n}"
    // The page index already ingested for this original in this object, if any.
    std::optional<int> page_for_original(std::string_view ark, std::string_view sha256) const;
    bool ark_minted(std::string_view ark) const;
    // Objects in datestamp order (then normalized ARK) strictly after a position, with a
    // datestamp up to `until` included (0: no bound), at most `limit` (0: no limit), in the
    // set `set_spec` or its subsets when given; withdrawn objects included. For listings and
    // OAI-PMH; the next page starts after position_of(the last record).
    struct Position {
        std::int64_t datestamp = 0;
        std::string ark;  // normalized; empty: from the start of that datestamp
    };
    std::vector<ObjectRecord> objects_by_date(const Position& after, std::int64_t until,
                                              size_t limit, const std::string& set_spec = "") const;
    static Position position_of(const ObjectRecord& record);
    std::int64_t object_count() const;

    // For OAI-PMH: the same scan without pending objects (not yet published), which neither
    // count toward `limit` nor appear.
    std::vector<ObjectRecord> published_by_date(const Position& after, std::int64_t until,
                                                size_t limit,
                                                const std::string& set_spec = "") const;
    // How many published objects have a datestamp in [from, until] (until 0: no bound), in the
    // set `set_spec` or its subsets when given. Reads the tallies: the cost depends on how the
    // bounds fall in time, not on how many objects there are.
    std::int64_t count_published(std::int64_t from, std::int64_t until,
                                 const std::string& set_spec = "") const;
    // The smallest datestamp of a published object; nullopt when there is none.
    std::optional<std::int64_t> earliest_datestamp() const;
    // A set: one that holds a published object (directly or through a subset), or one named in
    // the configuration; name and description empty when the configuration does not name it.
    struct SetInfo {
        std::string spec;
        std::string name;
        std::string description;
        bool operator==(const SetInfo&) const = default;
    };
    // Sets in spec order, strictly after `after` ("" : from the first), at most `limit`.
    std::vector<SetInfo> sets(std::string_view after, size_t limit) const;

    // Active objects (neither pending nor withdrawn), the most recent first (datestamp, then
    // normalized ARK, descending), strictly before `before` (a default Position: from the
    // newest), at most `limit`, in the set `set_spec` or its subsets when given. The next page
    // is before position_of(the last record).
    std::vector<ObjectRecord> recent_objects(const Position& before, size_t limit,
                                             const std::string& set_spec = "") const;
    // Active objects whose title has, for every word of `query` (title_words), a word that
    // begins with it; the most recent first, at most `limit`. Nothing for a query without
    // words, or a catalog without the index (written by an iiifd before schema 4).
    // The work is bounded however large the catalog: the candidates are the index entries of
    // the query's longest word taken as a prefix, at most kMaxSearchCandidates of them (a query
    // of one very common short word may then miss some matches); beyond kFewSearchCandidates
    // of them, by_date is walked from the newest, at most kMaxSearchWalk entries, reading only
    // the candidates met until `limit` match; the candidates left are then read. So at most
    // kMaxSearchCandidates records are read, and usually about `limit`.
    static constexpr size_t kMaxSearchCandidates = 10000;
    static constexpr size_t kFewSearchCandidates = 256;
    static constexpr size_t kMaxSearchWalk = 200000;
    std::vector<ObjectRecord> search_titles(std::string_view query, size_t limit) const;

    // A stored document by its key (see the key functions above); nullopt when absent.
    std::optional<StoredDocument> document(std::string_view key) const;
    // The same, read in place: `use` gets views into the map, valid only during the call, and
    // the lookup reuses one read transaction (reset after each call, so no old snapshot stays
    // pinned) instead of allocating one and copying the body. For the module's event loop,
    // where it runs for every ARK resolution. False when absent (then `use` is not called).
    struct DocumentView {
        std::string_view body;
        std::string_view etag;
        std::int64_t modified = 0;
    };
    bool with_document(std::string_view key,
                       const std::function<void(const DocumentView&)>& use) const;
    // The same, pinned: the bytes stay valid while `pin` lives, because `pin` holds the read
    // transaction that sees them, so a server can write a large document from the map without
    // copying it first. Never hand the file's pages to sendfile(): the writer reuses freed
    // pages, and the kernel may read them after the response (see snapshot_pins.hpp). Each pin
    // takes an LMDB reader slot and keeps its snapshot's pages from reuse by the writer: hold
    // it for one response, not longer. Nullopt when absent or when no reader slot is free (then
    // document() tells which).
    struct PinnedDocument {
        std::shared_ptr<const void> pin;
        DocumentView view;
    };
    std::optional<PinnedDocument> pinned_document(std::string_view key) const;
    // The publication settings iiifd recorded; nullopt before it first did.
    std::optional<std::string> meta(std::string_view key) const;
    // The access settings iiifd recorded (empty settings before it first did: then only the
    // "public" policy exists). Read again at most once a second, and parsed again only when
    // they changed, so the module can ask on every request.
    std::shared_ptr<const AccessSettings> access_settings() const;

  private:
    CatalogReader() = default;
    friend class CatalogWriter;
    friend class CatalogReplica;
    std::vector<ObjectRecord> scan_by_date(const Position& after, std::int64_t until, size_t limit,
                                           const std::string& set_spec, bool published_only) const;
    MDB_env* env_ = nullptr;
    bool owns_env_ = true;
    MDB_dbi objects_ = 0, images_ = 0, arks_ = 0, files_ = 0, by_date_ = 0, by_set_ = 0;
    MDB_dbi documents_ = 0, members_ = 0, dirty_ = 0, meta_ = 0, tallies_ = 0, sets_ = 0;
    MDB_dbi words_ = 0;
    bool has_words_ = false;  // a reader of a catalog from before schema 4 has no `words`
    // with_document()'s transaction, kept reset between calls; the mutex keeps two threads
    // from sharing it (the one that does not get it takes a transaction of its own).
    mutable std::mutex reuse_mutex_;
    mutable MDB_txn* reused_txn_ = nullptr;
    struct AccessMemo {
        std::string text;
        std::shared_ptr<const AccessSettings> settings;
        std::int64_t checked_ms = -1;  // steady clock
    };
    mutable AccessMemo access_memo_;
    // The next access_settings() reads them from the catalog (the writer has just changed them).
    void forget_access_settings() const;
};

// One write transaction on the registry (CatalogWriter::edit_registry): reads see its own
// writes; nothing is kept unless the edit returns.
class RegistryEdit {
  public:
    std::optional<std::string> get(std::string_view key) const;
    // Every entry whose key begins with `prefix`, in key order.
    std::vector<std::pair<std::string, std::string>> scan(std::string_view prefix) const;
    void put(std::string_view key, std::string_view value);
    void erase(std::string_view key);  // absent: nothing

  private:
    friend class CatalogWriter;
    RegistryEdit(catalog_detail::Txn& txn, MDB_dbi dbi) : txn_(txn), dbi_(dbi) {}
    catalog_detail::Txn& txn_;
    MDB_dbi dbi_;
};

// The single writer (iiifd). Opening creates the file and its databases.
class CatalogWriter {
  public:
    static std::unique_ptr<CatalogWriter> open(const std::string& path, std::string* error);
    ~CatalogWriter();
    CatalogWriter(const CatalogWriter&) = delete;
    CatalogWriter& operator=(const CatalogWriter&) = delete;

    // Mints a new ARK name under `shoulder`, records it in `arks` and returns the ARK
    // ("ark:/NAAN/name"); retries on the (astronomically rare) collision.
    std::string mint(const std::string& naan, const std::string& shoulder, CheckProfile profile);
    // `count` ARKs minted as mint() mints one, in one transaction (one commit for a harvest's
    // page of new records).
    std::vector<std::string> mint_many(const std::string& naan, const std::string& shoulder,
                                       CheckProfile profile, size_t count);

    // The addresses every document is made with. When they differ from those recorded in the
    // catalog, they are recorded and every document is made again (in batches of objects, each
    // its own transaction), so a changed base URL reaches every manifest. Call it before put().
    void set_publication(const PublicationSettings& settings);
    const PublicationSettings& publication() const { return publication_; }

    // The registered shoulders the resolver describes (`?info` on ark:/NAAN/{shoulder}),
    // recorded apart from the publication settings: they change no document, so recording
    // them makes none again. Replaces those of the publication settings for the resolver.
    void set_shoulders(const std::vector<ShoulderInfo>& shoulders);

    // Who may see what. Records the settings for the module, and the rules by which each object
    // gets its policy and watermark (resolve_access); when the rules or settings differ from
    // those recorded, every object and image is given its policy and watermark again and every
    // document made again. Call it before put(); until then every object is public.
    void set_access(const AccessSettings& settings, const AccessRules& rules);

    // Stores an object and its images in one transaction, replacing what was there, and keeps
    // the indexes (by_date, by_set, files) consistent with it. Its manifests and resolver record
    // are made in the same transaction; the sets it enters or leaves are marked dirty.
    // `object.images` is the page list: pages it no longer names are deleted; pages it names but
    // `images` omits stay as they are (a metadata change passes no images). Records the ARK in
    // `arks` if absent. Throws IiifError(500) for an id that is no page of the object, or an LMDB
    // failure.
    void put(const ObjectRecord& object, const std::vector<ImageRecord>& images);
    // Many puts in one transaction (a bulk load: one commit, one fsync, for the lot).
    struct Entry {
        ObjectRecord object;
        std::vector<ImageRecord> images;
    };
    void put_many(const std::vector<Entry>& entries);
    // Marks an object and its images withdrawn (they stay, as tombstones and deleted OAI
    // records); `when` becomes its updated time and datestamp. IiifError(404) for an unknown
    // object.
    void withdraw(std::string_view ark, const std::string& reason, std::int64_t when);
    // Undoes a withdrawal: the object and its images are active again, with `when` as their
    // datestamp, and their documents are made again. IiifError(404) for an unknown object,
    // IiifError(409) for one that is not withdrawn.
    void reinstate(std::string_view ark, std::int64_t when);
    // Replaces the set names with these (specs must be valid set specs; IiifError(500)
    // otherwise).
    void define_sets(const std::vector<CatalogReader::SetInfo>& sets);
    // Gives back this process's mappings of the catalog's pages (madvise MADV_DONTNEED): they
    // stay in the kernel's page cache. A long bulk write (a harvest of a hundred thousand
    // records) reads pages all over the file, and each stays mapped, so the process's resident
    // memory grows with the catalog though its heap does not.
    void unmap_pages();
    // The same when the process's resident pages of mapped files pass `most` bytes: a reading
    // of /proc/self/status, cheap enough for every batch; the mappings given back only now and
    // then, since taking them back costs minor faults.
    void unmap_pages_beyond(std::size_t most);
    // Empties every database but the registry (`iiifd rebuild` then refills them from the
    // storage root).
    void clear();

    // The registry: iiifd's directory (institutions, accounts, API keys, shoulders;
    // daemon/directory.hpp owns their JSON), by key, in the `registry` database. Only the
    // writer's environment opens it: nginx's workers never read it. No object names it and the
    // storage root does not hold it, so clear() keeps it. LMDB failures are IiifError(500).
    std::optional<std::string> registry_get(std::string_view key) const;
    std::vector<std::pair<std::string, std::string>> registry_scan(std::string_view prefix) const;
    // Runs `edit` in one write transaction, committed when it returns and aborted when it
    // throws (the exception goes on): a check and the change it allows happen together.
    void edit_registry(const std::function<void(RegistryEdit&)>& edit);
    // Makes the collection documents of every dirty set again (and of the top collection when
    // the list of sets changed), one transaction per set; returns how many sets were made.
    // iiifd calls it shortly after changes, so a bulk deposit into one large set rewrites its
    // collection once a second rather than once per object.
    int refresh_collections();
    // Makes every object's documents and every collection again (set_publication does it when
    // the settings change).
    void republish();

    const CatalogReader& reader() const { return reader_; }

    // ---- The change log, for replicas (catalog_replication.hpp; catalog_change_log.cpp) ----
    // Starts keeping every committed change, numbered from 1 in a new epoch (the log emptied),
    // unless it is on already and `new_epoch` is false. Returns the position.
    ReplicationPosition start_change_log(bool new_epoch = false);
    // Stops keeping changes (a writer no longer replicated): the log emptied, its epoch gone.
    // Returns whether it was on.
    bool stop_change_log();
    // The epoch ("" while the log is off) and the last change's number.
    ReplicationPosition replication_position() const;
    // The changes numbered after `seq`, in order: at most `most`, and past the first, no more
    // than `most_bytes` of them in all.
    std::vector<CatalogChange> changes_after(std::int64_t seq, size_t most,
                                             size_t most_bytes) const;
    // The number of the oldest change the log holds; 0 when it holds none.
    std::int64_t oldest_logged_change() const;
    // Drops the changes numbered `seq` and before from the log.
    void forget_changes_through(std::int64_t seq);
    // A consistent, compacted copy of the catalog written at `path` (beside it first, synced,
    // then renamed into place). Returns the copy's position.
    ReplicationPosition write_snapshot(const std::string& path) const;
    // Called on the committing thread after each commit of a change the log keeps, with its
    // number. Set before other threads write.
    void on_change_committed(std::function<void(std::int64_t)> committed);
    // Runs `rewrite` (a rewrite of the whole catalog: every document made again, a rebuild) with
    // the log suspended, for every thread's transactions meanwhile; then, when the log is on,
    // starts a new epoch, so that replicas load one snapshot rather than a change per batch of
    // the whole catalog. republish() and set_access() do so themselves.
    void rewrite_whole(const std::function<void()>& rewrite);

  private:
    CatalogWriter() = default;
    void rebuild_tallies();
    void rebuild_words();
    void finish_upgrade();
    void set_object_state(std::string_view ark, RecordState state, const std::string& reason,
                          std::int64_t when);
    // put_many's work, in a write transaction the caller commits.
    void put_entries(catalog_detail::Txn& txn, const std::vector<Entry>& entries);
    MDB_env* env_ = nullptr;
    MDB_dbi registry_ = 0;
    std::unique_ptr<catalog_detail::ChangeLog> log_;
    std::atomic<int> log_suspended_{0};  // rewrite_whole() under way
    // The log write transactions record into: none while it is suspended.
    catalog_detail::ChangeLog* logging() const {
        return log_suspended_.load() > 0 ? nullptr : log_.get();
    }
    CatalogReader reader_;  // shares the environment
    PublicationSettings publication_;
    AccessSettings access_settings_;
    AccessRules access_rules_;
};

}  // namespace iiif
