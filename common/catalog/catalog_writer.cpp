// CatalogWriter (catalog.hpp), the catalog as a whole: opening it (creating the databases,
// upgrading an older schema), minting ARKs, the set names, emptying it, the settings documents
// are made with (and making every document again when they change), and the collections of the
// dirty sets. Its changes of one object (put, withdraw, reinstate) are in
// catalog_writer_objects.cpp.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "catalog.hpp"
#include "catalog_changes.hpp"
#include "catalog_documents.hpp"
#include "catalog_keys.hpp"
#include "catalog_lmdb.hpp"
#include "catalog_replication.hpp"
#include "clock.hpp"
#include "iiif_error.hpp"
#include "json.hpp"
#include "mapped_pages.hpp"
#include "shared_files.hpp"
#include "tallies.hpp"

namespace iiif {
using namespace catalog_detail;

namespace {

constexpr std::string_view kSchema = "4";
// Schema 1 had no documents, members or dirty databases: opening it adds them, and
// set_publication() then makes every document. Schemas 1 and 2 had no tallies or sets: opening
// adds them and counts every object. Schemas 1 to 3 had no words: opening indexes every title.
constexpr std::string_view kOlderSchemas[] = {"1", "2", "3"};
// Objects made again per transaction by republish() and set_access().
constexpr size_t kRepublishBatch = 256;
// Objects counted per transaction by rebuild_tallies(), indexed by rebuild_words().
constexpr size_t kTallyBatch = 4096;
constexpr int kMintAttempts = 16;

// Reads the schema the catalog records in `meta`, in the opening's write transaction: a new
// catalog, and one of an older schema (then `*older` is set, for the caller to upgrade), are
// recorded with the current one. Nullopt when the catalog can be used, else why not.
// Records the schema; `older` says the indexes must be (re)filled: the catalog was of an older
// schema, or an upgrade was cut short (its mark is still there). The mark goes in with the new
// schema, in this transaction, and is deleted only once the indexes are full
// (CatalogWriter::finish_upgrade): a crash in between leaves it, and the next opening does the
// upgrade again (refilling drops what is there first).
std::optional<std::string> record_schema(MDB_txn* txn, MDB_dbi meta, bool* older) {
    MDB_val key = view(kSchemaKey), value;
    int rc = mdb_get(txn, meta, &key, &value);
    if (rc == 0 && std::find(std::begin(kOlderSchemas), std::end(kOlderSchemas), view(value)) !=
                       std::end(kOlderSchemas)) {
        *older = true;
        rc = MDB_NOTFOUND;  // upgraded by the caller
    }
    if (rc == 0 && view(value) != kSchema)
        return "schema " + std::string(view(value)) + ", expected " + std::string(kSchema);
    if (rc == MDB_NOTFOUND) {
        value = view(kSchema);
        rc = mdb_put(txn, meta, &key, &value, 0);
    }
    MDB_val mark_key = view(kUpgradeKey), mark;
    if (rc == 0 && mdb_get(txn, meta, &mark_key, &mark) == 0) *older = true;
    if (rc == 0 && *older) {
        mark = view("indexes");
        rc = mdb_put(txn, meta, &mark_key, &mark, 0);
    }
    if (rc != 0) return std::string("meta: ") + mdb_strerror(rc);
    return std::nullopt;
}

// Whether the title index is empty beside objects (schema 4, `words` emptied by hand or lost):
// then it is filled as on an upgrade. Objects that have no title at all look the same: their
// catalog is read through at each opening, and still has no words after it.
std::optional<std::string> title_index_missing(MDB_txn* txn, MDB_dbi words, MDB_dbi objects,
                                               bool* missing) {
    MDB_stat word_stat{}, object_stat{};
    int rc = mdb_stat(txn, words, &word_stat);
    if (rc == 0) rc = mdb_stat(txn, objects, &object_stat);
    if (rc != 0) return std::string("mdb_stat: ") + mdb_strerror(rc);
    *missing = word_stat.ms_entries == 0 && object_stat.ms_entries > 0;
    return std::nullopt;
}

// Calls `visit` with the key and record of each object after the key `after` ("": from the
// first), in key order, at most `batch` of them, and moves `after` to the last one visited.
// Returns how many were visited: fewer than `batch` at the end.
size_t visit_objects(const Txn& txn, MDB_dbi objects, std::string& after, size_t batch,
                     const std::function<void(const std::string&, ObjectRecord)>& visit) {
    size_t visited = 0;
    Cursor cursor(txn, objects);
    for (bool found = after.empty() ? cursor.first() : cursor.seek(after); found;
         found = cursor.next()) {
        if (cursor.key() == after) continue;
        after = std::string(cursor.key());
        visit(after, object_record_from_json(cursor.value()));
        if (++visited == batch) break;
    }
    return visited;
}

// What of the access settings objects' documents depend on: all but the API keys' digests.
std::string documents_view(AccessSettings settings) {
    settings.api_key_digests.clear();
    settings.editor_key_digests.clear();
    return access_settings_to_json(settings);
}
std::string documents_view(std::string_view stored) {
    try {
        return documents_view(access_settings_from_json(stored));
    } catch (const std::exception&) {
        return {};
    }
}

// Gives the change log each replicated database's number (kReplicatedDatabases), by name.
void number_replicated_databases(std::span<const NamedDatabase> databases, ChangeLog& log) {
    for (size_t number = 0; number < kReplicatedCount; ++number)
        for (const NamedDatabase& database : databases)
            if (std::string_view(database.name) == kReplicatedDatabases[number])
                log.numbers.at(*database.dbi) = static_cast<unsigned char>(number + 1);
}

}  // namespace

// ---- Opening ----------------------------------------------------------------------------------

std::unique_ptr<CatalogWriter> CatalogWriter::open(const std::string& path, std::string* error) {
    auto fail = [&](const std::string& what) {
        if (error) *error = "catalog " + path + ": " + what;
        return nullptr;
    };
    std::unique_ptr<CatalogWriter> writer(new CatalogWriter());
    writer->log_ = std::make_unique<ChangeLog>();
    CatalogReader& r = writer->reader_;
    r.owns_env_ = false;  // the writer closes it
    // Durable commits (an fsync each): readers act on what the catalog says at once. The file
    // is as the umask leaves it (the package's unit: group-readable); nginx's workers, in its
    // group, must also write the lock file to take reader slots.
    if (auto failure =
            open_environment(path, MDB_NOSUBDIR | MDB_NOTLS, 0664, kWriterMapSize, &writer->env_))
        return fail(*failure);
    share_with_group(path + "-lock");
    r.env_ = writer->env_;

    // One transaction creates what is missing and checks the schema.
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(writer->env_, nullptr, 0, &txn);
    if (rc != 0) return fail(std::string("mdb_txn_begin: ") + mdb_strerror(rc));
    const NamedDatabase databases[] = {
        {"objects", &r.objects_},     {"images", &r.images_},   {"arks", &r.arks_},
        {"files", &r.files_},         {"by_date", &r.by_date_}, {"by_set", &r.by_set_},
        {"documents", &r.documents_}, {"members", &r.members_}, {"dirty", &r.dirty_},
        {"meta", &r.meta_},           {"tallies", &r.tallies_}, {"sets", &r.sets_},
        {"words", &r.words_},         {"registry", &writer->registry_},
        {kChangesDatabase, &writer->log_->changes},
    };
    r.has_words_ = true;
    bool older = false, unindexed = false;
    std::optional<std::string> failure = open_databases(txn, databases, MDB_CREATE);
    if (!failure) failure = record_schema(txn, r.meta_, &older);
    if (!failure) failure = title_index_missing(txn, r.words_, r.objects_, &unindexed);
    if (failure) {
        mdb_txn_abort(txn);
        return fail(*failure);
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) return fail(std::string("mdb_txn_commit: ") + mdb_strerror(rc));
    writer->log_->meta = r.meta_;
    number_replicated_databases(databases, *writer->log_);

    // The indexes an older schema lacks, in transactions of their own.
    if (older || unindexed) {
        try {
            if (older) writer->rebuild_tallies();
            writer->rebuild_words();
            if (older) writer->finish_upgrade();
            // The schema's change was made outside the log: replicas start again from a
            // snapshot of the upgraded catalog.
            if (older && !writer->replication_position().epoch.empty())
                writer->start_change_log(true);
        } catch (const IiifError& problem) {
            return fail("upgrade: " + problem.reason);
        }
    }
    return writer;
}

CatalogWriter::~CatalogWriter() {
    // The reader's kept transaction belongs to this environment: it goes first.
    if (reader_.reused_txn_) mdb_txn_abort(reader_.reused_txn_);
    reader_.reused_txn_ = nullptr;
    if (env_) mdb_env_close(env_);
}

// The upgrade's indexes are full: its mark goes (record_schema).
void CatalogWriter::finish_upgrade() {
    Txn txn(env_, 0, logging());
    txn.erase(reader_.meta_, kUpgradeKey);
    txn.commit();
}

// The title index from every object, in batches (the upgrade to schema 4).
void CatalogWriter::rebuild_words() {
    const CatalogReader& r = reader_;
    {
        Txn txn(env_, 0, logging());
        txn.clear(r.words_);
        txn.commit();
    }
    std::string after;
    for (bool more = true; more;) {
        Txn txn(env_, 0, logging());
        const size_t done =
            visit_objects(txn, r.objects_, after, kTallyBatch,
                          [&](const std::string& key, const ObjectRecord& object) {
                              for (const std::string& word : object_title_words(object))
                                  txn.put(r.words_, word_key(word, key), "");
                          });
        txn.commit();
        more = done == kTallyBatch;
    }
}

// The tallies from every object, in batches (on opening an older schema).
void CatalogWriter::rebuild_tallies() {
    const CatalogReader& r = reader_;
    {
        Txn txn(env_, 0, logging());
        txn.clear(r.tallies_);
        txn.commit();
    }
    std::string after;
    for (bool more = true; more;) {
        Txn txn(env_, 0, logging());
        const size_t counted = visit_objects(txn, r.objects_, after, kTallyBatch,
                                             [&](const std::string&, const ObjectRecord& object) {
                                                 tally(txn, r.tallies_, object, +1);
                                             });
        more = counted == kTallyBatch;
        txn.commit();
    }
}

// ---- ARKs, sets, emptying ---------------------------------------------------------------------

std::string CatalogWriter::mint(const std::string& naan, const std::string& shoulder,
                                CheckProfile profile) {
    return mint_many(naan, shoulder, profile, 1).front();
}

std::vector<std::string> CatalogWriter::mint_many(const std::string& naan,
                                                  const std::string& shoulder, CheckProfile profile,
                                                  size_t count) {
    std::vector<std::string> minted;
    if (count == 0) return minted;
    Txn txn(env_, 0, logging());
    const std::int64_t now = now_seconds();
    while (minted.size() < count) {
        int attempt = 0;
        for (;; ++attempt) {
            if (attempt == kMintAttempts)
                throw IiifError(500,
                                "catalog: no free ARK name under shoulder \"" + shoulder + "\"");
            std::string name = mint_ark_name(naan, shoulder, profile);
            auto ark = parse_ark("ark:/" + naan + "/" + name);
            if (!ark || !ark->qualifier.empty())
                throw IiifError(500, "catalog: cannot mint under NAAN \"" + naan +
                                         "\" and shoulder \"" + shoulder + "\"");
            std::string key = ark->normalized_base();
            if (txn.find(reader_.arks_, key)) continue;  // taken (in this batch too): draw again
            Json record(json_object());
            json_object_set_new(record.get(), "ark", json_string_of(ark->to_string()));
            json_object_set_new(record.get(), "minted", json_integer(now));
            txn.put(reader_.arks_, key, json_text(record.get()));
            minted.push_back(ark->to_string());
            break;
        }
    }
    txn.commit();
    return minted;
}

void CatalogWriter::define_sets(const std::vector<CatalogReader::SetInfo>& sets) {
    Txn txn(env_, 0, logging());
    txn.clear(reader_.sets_);
    std::vector<std::string> specs;
    for (const CatalogReader::SetInfo& set : sets) {
        if (!is_valid_set_spec(set.spec))
            throw IiifError(500, "catalog: \"" + set.spec + "\" is no set spec");
        Json record(json_object());
        json_object_set_new(record.get(), "name", json_string_of(set.name));
        if (!set.description.empty())
            json_object_set_new(record.get(), "description", json_string_of(set.description));
        txn.put(reader_.sets_, set.spec, json_text(record.get()));
        specs.push_back(set.spec);
    }
    // A named set's ancestors exist too ("a:b" is inside "a"), named or not.
    for (const std::string& spec : set_memberships(specs))
        if (!txn.find(reader_.sets_, spec)) txn.put(reader_.sets_, spec, "{\"name\":\"\"}");
    txn.commit();
}

void CatalogWriter::unmap_pages_beyond(std::size_t most) {
    // The process's resident pages of mapped files (the catalog, and the libraries' few MB).
    if (resident_file_bytes() > most) unmap_pages();
}

void CatalogWriter::unmap_pages() {
    unmap_environment_pages(env_);
}

void CatalogWriter::clear() {
    const CatalogReader& r = reader_;
    Txn txn(env_, 0, logging());
    // The set names come from the configuration, not from the objects: they stay, as does the
    // registry, which no object holds.
    // The change log's place in meta stays: a rebuild's changes are logged like any others.
    auto kept = [&txn, &r](std::string_view key) -> std::optional<std::string> {
        const std::optional<std::string_view> value = txn.find(r.meta_, key);
        if (!value) return std::nullopt;
        return std::string(*value);
    };
    const std::optional<std::string> epoch = kept(kReplicationEpochKey);
    const std::optional<std::string> seq = kept(kReplicationSeqKey);
    for (MDB_dbi dbi : {r.objects_, r.images_, r.arks_, r.files_, r.by_date_, r.by_set_,
                        r.documents_, r.members_, r.dirty_, r.meta_, r.tallies_, r.words_})
        txn.clear(dbi);
    if (epoch) txn.put(r.meta_, kReplicationEpochKey, *epoch);
    if (seq) txn.put(r.meta_, kReplicationSeqKey, *seq);
    txn.put(r.meta_, kSchemaKey, kSchema);
    txn.put(r.meta_, kPublicationKey, publication_settings_to_json(publication_));
    txn.put(r.dirty_, kTopDirtyKey, "");
    txn.commit();
    // The shoulders are iiifd's directory's: it records them again on its next start.
}

// ---- Settings, and every document made again --------------------------------------------------

void CatalogWriter::set_publication(const PublicationSettings& settings) {
    publication_ = settings;
    const std::string json = publication_settings_to_json(settings);
    {
        Txn txn(env_, 0, logging());
        if (txn.find(reader_.meta_, kPublicationKey) == std::optional<std::string_view>(json))
            return;
        txn.put(reader_.meta_, kPublicationKey, json);
        txn.commit();
    }
    republish();
}

void CatalogWriter::set_shoulders(const std::vector<ShoulderInfo>& shoulders) {
    const std::string json = shoulders_to_json(shoulders);
    Txn txn(env_, 0, logging());
    if (txn.find(reader_.meta_, kShouldersKey) == std::optional<std::string_view>(json)) return;
    txn.put(reader_.meta_, kShouldersKey, json);
    txn.commit();
}

void CatalogWriter::set_access(const AccessSettings& settings, const AccessRules& rules) {
    const std::string settings_json = access_settings_to_json(settings);
    const std::string rules_json = access_rules_to_json(rules);
    const CatalogReader& r = reader_;
    bool only_keys_changed = false;
    {
        // Under the write lock, which every transaction that reads them holds too: iiifd
        // changes them while deposits and changes of objects go on.
        Txn txn(env_, 0, logging());
        access_settings_ = settings;
        access_rules_ = rules;
        const std::optional<std::string_view> was = txn.find(r.meta_, kAccessKey);
        const bool same_rules =
            txn.find(r.meta_, kAccessRulesKey) == std::optional<std::string_view>(rules_json);
        if (was == std::optional<std::string_view>(settings_json) && same_rules) return;
        // The API keys' digests are in no document: a key made or revoked remakes nothing.
        only_keys_changed = same_rules && was && documents_view(*was) == documents_view(settings);
        txn.put(r.meta_, kAccessKey, settings_json);
        txn.put(r.meta_, kAccessRulesKey, rules_json);
        txn.commit();
    }
    reader_.forget_access_settings();
    if (only_keys_changed) return;
    // Every object again, a batch per transaction: put_entries() resolves its access anew (its
    // pages included) and remakes its documents, whose probe services follow the policy. Each
    // batch is read in the transaction that rewrites it, so a change made between two batches
    // is never overwritten by an older copy.
    rewrite_whole([&] {
        std::string after;
        for (bool more = true; more;) {
            Txn txn(env_, 0, logging());
            std::vector<Entry> batch;
            visit_objects(txn, r.objects_, after, kRepublishBatch,
                          [&](const std::string&, ObjectRecord object) {
                              batch.push_back({std::move(object), {}});
                          });
            more = batch.size() == kRepublishBatch;
            if (batch.empty()) break;
            put_entries(txn, batch);
            txn.commit();
        }
    });
}

void CatalogWriter::republish() {
    rewrite_whole([this] {
        const CatalogReader& r = reader_;
        {
            // Every set that has documents now is made again (or removed, if it has emptied).
            Txn txn(env_, 0, logging());
            const std::vector<std::string> sets = sets_with_collections(txn, r.documents_);
            txn.clear(r.members_);
            for (const std::string& spec : sets)
                txn.put(r.dirty_, spec.empty() ? kTopDirtyKey : spec, "");
            txn.put(r.dirty_, kTopDirtyKey, "");
            txn.commit();
        }
        // Objects in key order, a batch per transaction, resuming after the last key done.
        std::string after;
        for (bool more = true; more;) {
            Txn txn(env_, 0, logging());
            Publisher publish{txn,          publication_, access_settings_, r.images_,
                              r.documents_, r.members_,   r.dirty_};
            auto publish_one = [&](const std::string& key, const ObjectRecord& object) {
                publish.publish(nullptr, object, key);
            };
            const size_t done =
                visit_objects(txn, r.objects_, after, kRepublishBatch, publish_one);
            more = done == kRepublishBatch;
            if (done == 0) break;
            txn.commit();
        }
        while (refresh_collections() > 0) {
        }
    });
}

int CatalogWriter::refresh_collections() {
    const CatalogReader& r = reader_;
    std::vector<std::string> dirty;
    {
        Txn txn(env_, MDB_RDONLY);
        Cursor cursor(txn, r.dirty_);
        for (bool more = cursor.first(); more; more = cursor.next())
            dirty.emplace_back(cursor.key());
    }
    // One transaction per set.
    for (const std::string& entry : dirty) {
        Txn txn(env_, 0, logging());
        remake_collection(txn, publication_, r.members_, r.documents_,
                          entry == kTopDirtyKey ? "" : entry);
        txn.erase(r.dirty_, entry);
        txn.commit();
    }
    return static_cast<int>(dirty.size());
}

}  // namespace iiif
