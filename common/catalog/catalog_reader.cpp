// CatalogReader (catalog.hpp): opening a catalog read-only, looking records up, the scans by date
// (listings, OAI-PMH, recent objects), the counts, the sets, and the settings iiifd recorded.
// Its reads of stored documents are in catalog_reader_documents.cpp, its title search in
// catalog_title_search.cpp.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

#include "catalog.hpp"
#include "catalog_keys.hpp"
#include "catalog_lmdb.hpp"
#include "iiif_error.hpp"
#include "json.hpp"
#include "tallies.hpp"

namespace iiif {
using namespace catalog_detail;

namespace {

// The index a scan by date reads: by_date, or by_set behind the set's prefix ("{set}\0"). Their
// keys are alike after the prefix: [datestamp][ARK].
struct DateIndex {
    MDB_dbi dbi;
    std::string prefix;
};

DateIndex date_index(MDB_dbi by_date, MDB_dbi by_set, const std::string& set_spec) {
    if (set_spec.empty()) return {by_date, {}};
    return {by_set, set_spec + '\0'};
}

}  // namespace

std::unique_ptr<CatalogReader> CatalogReader::open(const std::string& path, std::string* error) {
    auto fail = [&](const std::string& what) {
        if (error) *error = "catalog " + path + ": " + what;
        return nullptr;
    };
    struct stat status;
    if (stat(path.c_str(), &status) != 0) return fail(std::strerror(errno));

    std::unique_ptr<CatalogReader> reader(new CatalogReader());
    // No map size: the environment takes the one its writer recorded in the file.
    // NOTLS: each call holds its own read transaction, from whatever thread it runs on.
    if (auto failure =
            open_environment(path, MDB_RDONLY | MDB_NOTLS | MDB_NOSUBDIR, 0644, 0, &reader->env_))
        return fail(*failure);

    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(reader->env_, nullptr, MDB_RDONLY, &txn);
    if (rc != 0) return fail(std::string("mdb_txn_begin: ") + mdb_strerror(rc));
    const NamedDatabase databases[] = {
        {"objects", &reader->objects_},     {"images", &reader->images_},
        {"arks", &reader->arks_},           {"files", &reader->files_},
        {"by_date", &reader->by_date_},     {"by_set", &reader->by_set_},
        {"documents", &reader->documents_}, {"members", &reader->members_},
        {"dirty", &reader->dirty_},         {"meta", &reader->meta_},
        {"tallies", &reader->tallies_},     {"sets", &reader->sets_}};
    if (auto failure = open_databases(txn, databases, 0)) {
        mdb_txn_abort(txn);
        return fail(*failure);
    }
    // Added by schema 4: an older iiifd's catalog has no title index (searches find nothing).
    rc = mdb_dbi_open(txn, "words", 0, &reader->words_);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return fail(std::string("database words: ") + mdb_strerror(rc));
    }
    reader->has_words_ = rc == 0;
    // Committing a read transaction keeps its database handles for the environment.
    rc = mdb_txn_commit(txn);
    if (rc != 0) return fail(std::string("mdb_txn_commit: ") + mdb_strerror(rc));
    return reader;
}

CatalogReader::~CatalogReader() {
    if (reused_txn_) mdb_txn_abort(reused_txn_);
    if (env_ && owns_env_) mdb_env_close(env_);
}

std::optional<ObjectRecord> CatalogReader::object(std::string_view ark) const {
    auto key = catalog_object_key(ark);
    if (!key) return std::nullopt;
    Txn txn(env_, MDB_RDONLY);
    auto found = txn.find(objects_, *key);
    if (!found) return std::nullopt;
    return object_record_from_json(*found);
}

std::optional<ImageRecord> CatalogReader::image(std::string_view id) const {
    auto key = catalog_image_key(id);
    if (!key) return std::nullopt;
    Txn txn(env_, MDB_RDONLY);
    auto found = txn.find(images_, *key);
    if (!found) return std::nullopt;
    return image_record_from_json(*found);
}

std::optional<int> CatalogReader::page_for_original(std::string_view ark,
                                                    std::string_view sha256) const {
    auto key = catalog_object_key(ark);
    if (!key) return std::nullopt;
    Txn txn(env_, MDB_RDONLY);
    auto found = txn.find(files_, file_key(*key, sha256));
    if (!found) return std::nullopt;
    int page = 0;
    auto [end, ec] = std::from_chars(found->data(), found->data() + found->size(), page);
    if (ec != std::errc() || end != found->data() + found->size())
        throw IiifError(500, "catalog: corrupt files entry");
    return page;
}

bool CatalogReader::ark_minted(std::string_view ark) const {
    auto key = catalog_object_key(ark);
    if (!key) return false;
    Txn txn(env_, MDB_RDONLY);
    return txn.find(arks_, *key).has_value();
}

CatalogReader::Position CatalogReader::position_of(const ObjectRecord& record) {
    return {record.datestamp, catalog_object_key(record.ark).value_or("")};
}

std::int64_t CatalogReader::object_count() const {
    Txn txn(env_, MDB_RDONLY);
    MDB_stat stat;
    check(mdb_stat(txn.get(), objects_, &stat), "mdb_stat");
    return static_cast<std::int64_t>(stat.ms_entries);
}

// ---- Scans by date ----------------------------------------------------------------------------

std::vector<ObjectRecord> CatalogReader::objects_by_date(const Position& after, std::int64_t until,
                                                         size_t limit,
                                                         const std::string& set_spec) const {
    return scan_by_date(after, until, limit, set_spec, false);
}

std::vector<ObjectRecord> CatalogReader::published_by_date(const Position& after,
                                                           std::int64_t until, size_t limit,
                                                           const std::string& set_spec) const {
    return scan_by_date(after, until, limit, set_spec, true);
}

std::vector<ObjectRecord> CatalogReader::scan_by_date(const Position& after, std::int64_t until,
                                                      size_t limit, const std::string& set_spec,
                                                      bool published_only) const {
    // One scan serves both indexes, within the prefix.
    const DateIndex index = date_index(by_date_, by_set_, set_spec);
    const std::string& prefix = index.prefix;
    const std::string start = prefix + date_key(after.datestamp, after.ark);

    std::vector<ObjectRecord> records;
    Txn txn(env_, MDB_RDONLY);
    Cursor cursor(txn, index.dbi);
    for (bool more = cursor.seek(start); more; more = cursor.next()) {
        std::string_view key = cursor.key();
        if (!key.starts_with(prefix) || key.size() < prefix.size() + kDatestampBytes) break;
        if (key == start) continue;  // strictly after the position
        std::string_view entry = key.substr(prefix.size());
        if (until != 0 && read_u64be(entry) > until) break;
        auto found = txn.find(objects_, entry.substr(kDatestampBytes));
        if (!found) continue;
        ObjectRecord record = object_record_from_json(*found);
        if (published_only && record.state == RecordState::pending) continue;
        records.push_back(std::move(record));
        if (limit != 0 && records.size() >= limit) break;
    }
    return records;
}

std::vector<ObjectRecord> CatalogReader::recent_objects(const Position& before, size_t limit,
                                                        const std::string& set_spec) const {
    const DateIndex index = date_index(by_date_, by_set_, set_spec);
    const std::string& prefix = index.prefix;
    // From the newest: past every key of the prefix (datestamps are below 2^63, so their
    // first byte is below 0xff).
    const bool newest = before.datestamp == 0 && before.ark.empty();
    const std::string start =
        prefix + (newest ? std::string(9, '\xff') : date_key(before.datestamp, before.ark));

    std::vector<ObjectRecord> records;
    Txn txn(env_, MDB_RDONLY);
    Cursor cursor(txn, index.dbi);
    // The last key strictly before `start`.
    bool more = cursor.seek(start) ? cursor.prev() : cursor.last();
    for (; more && records.size() < limit; more = cursor.prev()) {
        std::string_view key = cursor.key();
        if (!key.starts_with(prefix) || key.size() < prefix.size() + kDatestampBytes) break;
        auto found = txn.find(objects_, key.substr(prefix.size() + kDatestampBytes));
        if (!found) continue;
        ObjectRecord record = object_record_from_json(*found);
        if (record.state != RecordState::active) continue;
        records.push_back(std::move(record));
    }
    return records;
}

// ---- Counts and sets, from the tallies --------------------------------------------------------

std::int64_t CatalogReader::count_published(std::int64_t from, std::int64_t until,
                                            const std::string& set_spec) const {
    return count_tallied(env_, tallies_, set_spec, from, until);
}

std::optional<std::int64_t> CatalogReader::earliest_datestamp() const {
    Txn txn(env_, MDB_RDONLY);
    return earliest_tallied(txn, tallies_);
}

std::vector<CatalogReader::SetInfo> CatalogReader::sets(std::string_view after,
                                                        size_t limit) const {
    Txn txn(env_, MDB_RDONLY);
    // The specs that have tallies, and the named ones, each in order: merged, at most `limit`.
    std::vector<std::string> specs = tallied_specs(txn, tallies_, after, limit);
    const size_t from_tallies = specs.size();
    {
        Cursor cursor(txn, sets_);
        size_t taken = 0;
        for (bool more = after.empty() ? cursor.first() : cursor.seek(after); more && taken < limit;
             more = cursor.next()) {
            if (cursor.key() == after) continue;
            specs.emplace_back(cursor.key());
            ++taken;
        }
    }
    std::inplace_merge(specs.begin(), specs.begin() + static_cast<std::ptrdiff_t>(from_tallies),
                       specs.end());
    specs.erase(std::unique(specs.begin(), specs.end()), specs.end());
    if (specs.size() > limit) specs.resize(limit);

    std::vector<SetInfo> found;
    for (std::string& spec : specs) {
        SetInfo info{std::move(spec), {}, {}};
        if (auto text = txn.find(sets_, info.spec)) {
            Json record(parse_record(*text, "set"));
            RecordFields read{record.get(), "set"};
            info.name = read.text("name");
            info.description = read.text("description");
        }
        found.push_back(std::move(info));
    }
    return found;
}

// ---- Settings ---------------------------------------------------------------------------------

std::optional<std::string> CatalogReader::meta(std::string_view key) const {
    Txn txn(env_, MDB_RDONLY);
    auto found = txn.find(meta_, key);
    if (!found) return std::nullopt;
    return std::string(*found);
}

void CatalogReader::forget_access_settings() const {
    std::lock_guard lock(reuse_mutex_);
    access_memo_.checked_ms = -1;
    access_memo_.settings.reset();
}

std::shared_ptr<const AccessSettings> CatalogReader::access_settings() const {
    constexpr std::int64_t kRecheckMs = 1000;
    const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now().time_since_epoch())
                                    .count();
    std::lock_guard lock(reuse_mutex_);
    AccessMemo& memo = access_memo_;
    if (memo.settings && now_ms - memo.checked_ms < kRecheckMs) return memo.settings;
    memo.checked_ms = now_ms;
    std::optional<std::string> text;
    {
        Txn txn(env_, MDB_RDONLY);
        if (auto found = txn.find(meta_, kAccessKey)) text = std::string(*found);
    }
    if (!text) text = std::string();
    if (memo.settings && *text == memo.text) return memo.settings;
    auto settings = std::make_shared<AccessSettings>();
    if (!text->empty()) {
        try {
            *settings = access_settings_from_json(*text);
        } catch (const std::exception& error) {
            throw IiifError(500, std::string("catalog: corrupt access settings: ") + error.what());
        }
    }
    memo.text = std::move(*text);
    memo.settings = std::move(settings);
    return memo.settings;
}

}  // namespace iiif
