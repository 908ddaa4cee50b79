#include "catalog.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>
#include <tuple>

#include "clock.hpp"
#include "iiif_error.hpp"
#include "json.hpp"
#include "resolver_record.hpp"
#include "signing.hpp"
#include "title_words.hpp"

namespace iiif {
namespace {

// Address space, not disk: without MDB_WRITEMAP the file grows only as pages are written.
constexpr size_t kWriterMapSize = size_t{64} << 30;
constexpr unsigned kMaxDbs = 16;
// Every nginx worker's read transactions take slots, for the time of one lookup each.
constexpr unsigned kMaxReaders = 1024;
constexpr std::string_view kSchema = "4";
// Schema 1 had no documents, members or dirty databases: opening it adds them, and
// set_publication() then makes every document. Schemas 1 and 2 had no tallies or sets: opening
// adds them and counts every object. Schemas 1 to 3 had no words: opening indexes every title.
constexpr std::string_view kOlderSchemas[] = {"1", "2", "3"};
constexpr std::string_view kPublicationKey = "publication";
constexpr std::string_view kAccessKey = "access";
constexpr std::string_view kAccessRulesKey = "access_rules";
// The dirty key of the top collection (no set spec is a lone ':').
constexpr std::string_view kTopDirtyKey = ":";
// Objects made again per transaction by republish().
constexpr size_t kRepublishBatch = 256;
// Objects counted per transaction by rebuild_tallies(), indexed by rebuild_words().
constexpr size_t kTallyBatch = 4096;
// Tally levels: level n counts per span of 2^(6n) seconds, from 1 s to 2^30 s (34 years); the
// top level's 64 spans reach 2^36 s, the year 4147.
constexpr int kTallyLevels = 6;
constexpr int kTallyBits = 6;
constexpr std::int64_t kTallyEnd = std::int64_t{1} << (kTallyBits * kTallyLevels);
constexpr int kMintAttempts = 16;

[[noreturn]] void lmdb_failure(std::string_view what, int rc) {
    throw IiifError(500, "catalog: " + std::string(what) + ": " + mdb_strerror(rc));
}

void check(int rc, std::string_view what) {
    if (rc != 0) lmdb_failure(what, rc);
}

MDB_val view(std::string_view text) {
    return {text.size(), const_cast<char*>(text.data())};
}

std::string_view view(const MDB_val& value) {
    return {static_cast<const char*>(value.mv_data), value.mv_size};
}

void append_u64be(std::string& out, std::int64_t value) {
    auto bits = static_cast<std::uint64_t>(value);
    for (int shift = 56; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>((bits >> shift) & 0xFF));
}

std::int64_t read_u64be(std::string_view in) {
    std::uint64_t bits = 0;
    for (size_t i = 0; i < 8 && i < in.size(); ++i)
        bits = (bits << 8) | static_cast<unsigned char>(in[i]);
    return static_cast<std::int64_t>(bits);
}

// The key of an object: the normalized base of any ARK form, or nullopt for no ARK.
std::optional<std::string> object_key(std::string_view ark) {
    auto parsed = parse_ark(ark);
    if (!parsed) return std::nullopt;
    return parsed->normalized_base();
}

// The key of an image, "{normalized base}/f{n}" with n >= 1 written without leading zeros.
// The page is a hierarchy qualifier ("/f1"), not a variant (".f1").
std::optional<std::string> image_key(std::string_view id) {
    auto parsed = parse_ark(id);
    if (!parsed || parsed->qualifier.size() < 2 || parsed->qualifier[0] != 'f' ||
        id[id.size() - parsed->qualifier.size() - 1] != '/')
        return std::nullopt;
    std::string_view digits = std::string_view(parsed->qualifier).substr(1);
    int index = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (ec != std::errc() || end != digits.data() + digits.size() || index < 1) return std::nullopt;
    return parsed->normalized_base() + "/f" + std::to_string(index);
}

std::string date_key(std::int64_t datestamp, std::string_view key) {
    std::string out;
    append_u64be(out, datestamp);
    out += key;
    return out;
}

std::string set_key(std::string_view spec, std::int64_t datestamp, std::string_view key) {
    std::string out(spec);
    out.push_back('\0');
    return out + date_key(datestamp, key);
}

// A words entry: the word, a NUL (no word holds one), the object's key.
std::string word_key(std::string_view word, std::string_view key) {
    std::string out(word);
    out.push_back('\0');
    out.append(key);
    return out;
}

// The words of all of an object's titles, each once.
std::vector<std::string> object_title_words(const ObjectRecord& object) {
    std::vector<std::string> words;
    auto titles = object.metadata.dc.find("title");
    if (titles == object.metadata.dc.end()) return words;
    for (const LangValue& title : titles->second)
        for (std::string& word : title_words(title.value))
            if (std::find(words.begin(), words.end(), word) == words.end())
                words.push_back(std::move(word));
    return words;
}

std::string tally_key(std::string_view spec, int level, std::int64_t span) {
    std::string out(spec);
    out.push_back('\0');
    out.push_back(static_cast<char>(level));
    append_u64be(out, span);
    return out;
}

// A transaction that is aborted unless committed.
class Txn {
  public:
    Txn(MDB_env* env, unsigned flags) {
        int rc = mdb_txn_begin(env, nullptr, flags, &txn_);
        if (rc == MDB_MAP_RESIZED) {
            // Another process grew the map: adopt its size. Safe where this environment is
            // used by one thread at a time (an nginx worker's event loop); the writer's own
            // size never changes, so its threads never get here.
            mdb_env_set_mapsize(env, 0);
            rc = mdb_txn_begin(env, nullptr, flags, &txn_);
        }
        check(rc, "mdb_txn_begin");
    }
    ~Txn() {
        if (txn_) mdb_txn_abort(txn_);
    }
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;

    MDB_txn* get() const { return txn_; }
    void commit() {
        int rc = mdb_txn_commit(txn_);
        txn_ = nullptr;
        check(rc, "mdb_txn_commit");
    }

    std::optional<std::string_view> find(MDB_dbi dbi, std::string_view key) const {
        MDB_val k = view(key), value;
        int rc = mdb_get(txn_, dbi, &k, &value);
        if (rc == MDB_NOTFOUND) return std::nullopt;
        check(rc, "mdb_get");
        return view(value);
    }
    void put(MDB_dbi dbi, std::string_view key, std::string_view value) {
        MDB_val k = view(key), v = view(value);
        check(mdb_put(txn_, dbi, &k, &v, 0), "mdb_put");
    }
    void erase(MDB_dbi dbi, std::string_view key) {
        MDB_val k = view(key);
        int rc = mdb_del(txn_, dbi, &k, nullptr);
        if (rc != MDB_NOTFOUND) check(rc, "mdb_del");
    }

  private:
    MDB_txn* txn_ = nullptr;
};

class Cursor {
  public:
    Cursor(const Txn& txn, MDB_dbi dbi) {
        check(mdb_cursor_open(txn.get(), dbi, &cursor_), "mdb_cursor_open");
    }
    ~Cursor() { mdb_cursor_close(cursor_); }
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;

    // Positions at the first key >= `key`; false at the end.
    bool seek(std::string_view key) { return step(view(key), MDB_SET_RANGE); }
    bool next() { return step({}, MDB_NEXT); }
    bool prev() { return step({}, MDB_PREV); }
    bool first() { return step({}, MDB_FIRST); }
    bool last() { return step({}, MDB_LAST); }
    std::string_view key() const { return view(key_); }
    std::string_view value() const { return view(value_); }

  private:
    bool step(MDB_val key, MDB_cursor_op op) {
        key_ = key;
        int rc = mdb_cursor_get(cursor_, &key_, &value_, op);
        if (rc == MDB_NOTFOUND) return false;
        check(rc, "mdb_cursor_get");
        return true;
    }
    MDB_cursor* cursor_ = nullptr;
    MDB_val key_{};
    MDB_val value_{};
};

// ---- Tallies ----------------------------------------------------------------------------------

// Adds `delta` to every tally a published object counts in: at each level, the span of its
// datestamp, for all objects ("") and for each set it is in.
void tally(Txn& txn, MDB_dbi tallies, const ObjectRecord& object, std::int64_t delta) {
    if (object.state == RecordState::pending) return;
    std::vector<std::string> specs = set_memberships(object.metadata.sets);
    specs.emplace_back();
    for (const std::string& spec : specs) {
        for (int level = 0; level < kTallyLevels; ++level) {
            const std::string key =
                tally_key(spec, level, object.datestamp >> (kTallyBits * level));
            auto found = txn.find(tallies, key);
            const std::int64_t count = (found ? read_u64be(*found) : 0) + delta;
            if (count <= 0) {
                txn.erase(tallies, key);
            } else {
                std::string value;
                append_u64be(value, count);
                txn.put(tallies, key, value);
            }
        }
    }
}

// The sum of a set's tallies at one level, spans [first, end).
std::int64_t sum_tallies(Cursor& cursor, const std::string& spec, int level, std::int64_t first,
                         std::int64_t end) {
    if (first >= end) return 0;
    const std::string stop = tally_key(spec, level, end);
    std::int64_t total = 0;
    for (bool more = cursor.seek(tally_key(spec, level, first)); more && cursor.key() < stop;
         more = cursor.next())
        total += read_u64be(cursor.value());
    return total;
}

// ---- Documents --------------------------------------------------------------------------------
// A stored document is [u64be modified][u8 etag length][etag][body]: the module sends the body
// as it is and validates with the etag, with no parse.

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

// A stored document's parts, as views into `stored` (see encode_document).
CatalogReader::DocumentView decode_document_view(std::string_view stored, std::string_view key) {
    const size_t etag_size = stored.size() >= 9 ? static_cast<unsigned char>(stored[8]) : 0;
    if (stored.size() < 9 + etag_size)
        throw IiifError(500, "catalog: corrupt document " + std::string(key));
    return {stored.substr(9 + etag_size), stored.substr(9, etag_size), read_u64be(stored)};
}

std::string member_key(std::string_view spec, std::int64_t created, std::string_view key) {
    return set_key(spec, created, key);  // same layout: spec \0 u64be + ARK
}

// The sets whose collection documents an object's membership touches: each set it is directly
// in, and their ancestors (which list it as a subset), and the top collection.
std::vector<std::string> collections_touched(const std::vector<std::string>& sets) {
    std::vector<std::string> touched = set_memberships(sets);
    touched.emplace_back(kTopDirtyKey);
    return touched;
}

// Makes the documents that follow from one object, inside the transaction that changes it.
struct Publisher {
    Txn& txn;
    const PublicationSettings& settings;
    const AccessSettings& access;
    MDB_dbi images, documents, members, dirty;

    std::vector<ImageRecord> pages(const ObjectRecord& object) const {
        std::vector<ImageRecord> found;
        for (const std::string& id : object.images) {
            auto key = image_key(id);
            if (!key) continue;
            if (auto text = txn.find(images, *key)) found.push_back(image_record_from_json(*text));
        }
        return found;
    }

    // `previous`: the object as it was (null for a new one); its membership entries go.
    void publish(const ObjectRecord* previous, const ObjectRecord& object, const std::string& key) {
        if (previous) {
            for (const std::string& spec : previous->metadata.sets)
                txn.erase(members, member_key(spec, previous->created, key));
            for (const std::string& spec : collections_touched(previous->metadata.sets))
                txn.put(dirty, spec, "");
        }
        const std::vector<ImageRecord> object_pages = pages(object);
        if (object.state == RecordState::active) {
            txn.put(documents, manifest_document_key(ApiVersion::v3, key),
                    encode_document(manifest_v3(settings, object, object_pages, &access),
                                    object.updated));
            txn.put(documents, manifest_document_key(ApiVersion::v2, key),
                    encode_document(manifest_v2(settings, object, object_pages, &access),
                                    object.updated));
            const ImageRecord* first = object_pages.empty() ? nullptr : &object_pages.front();
            const std::string item = collection_item_v3(settings, object, first);
            for (const std::string& spec : object.metadata.sets)
                txn.put(members, member_key(spec, object.created, key), item);
            for (const std::string& spec : collections_touched(object.metadata.sets))
                txn.put(dirty, spec, "");
        } else {
            txn.erase(documents, manifest_document_key(ApiVersion::v3, key));
            txn.erase(documents, manifest_document_key(ApiVersion::v2, key));
        }
        txn.put(documents, resolver_document_key(key),
                encode_document(resolver_record(settings, object), object.updated));
    }
};

}  // namespace

std::optional<std::string> catalog_object_key(std::string_view ark) {
    return object_key(ark);
}
std::string manifest_document_key(ApiVersion version, std::string_view object_key) {
    return (version == ApiVersion::v3 ? "m3 " : "m2 ") + std::string(object_key);
}

std::string resolver_document_key(std::string_view object_key) {
    return "r " + std::string(object_key);
}

std::string collection_document_key(std::string_view spec, int page) {
    std::string key = "c " + std::string(spec);
    if (page > 0) key += "/" + std::to_string(page);
    return key;
}

std::optional<std::string> catalog_image_key(std::string_view id) {
    return image_key(id);
}

// ---- Reader -----------------------------------------------------------------------------------

std::unique_ptr<CatalogReader> CatalogReader::open(const std::string& path, std::string* error) {
    auto fail = [&](const std::string& what) {
        if (error) *error = "catalog " + path + ": " + what;
        return nullptr;
    };
    struct stat status;
    if (stat(path.c_str(), &status) != 0) return fail(std::strerror(errno));

    std::unique_ptr<CatalogReader> reader(new CatalogReader());
    int rc = mdb_env_create(&reader->env_);
    if (rc != 0) return fail(std::string("mdb_env_create: ") + mdb_strerror(rc));
    mdb_env_set_maxdbs(reader->env_, kMaxDbs);
    mdb_env_set_maxreaders(reader->env_, kMaxReaders);
    // No mapsize: the environment takes the one its writer recorded in the file.
    // NOTLS: each call holds its own read transaction, from whatever thread it runs on.
    rc = mdb_env_open(reader->env_, path.c_str(), MDB_RDONLY | MDB_NOTLS | MDB_NOSUBDIR, 0644);
    if (rc != 0) return fail(std::string("mdb_env_open: ") + mdb_strerror(rc));
    int dead = 0;
    mdb_reader_check(reader->env_, &dead);  // slots left by crashed processes

    MDB_txn* txn = nullptr;
    rc = mdb_txn_begin(reader->env_, nullptr, MDB_RDONLY, &txn);
    if (rc != 0) return fail(std::string("mdb_txn_begin: ") + mdb_strerror(rc));
    const std::pair<const char*, MDB_dbi*> databases[] = {
        {"objects", &reader->objects_},     {"images", &reader->images_},
        {"arks", &reader->arks_},           {"files", &reader->files_},
        {"by_date", &reader->by_date_},     {"by_set", &reader->by_set_},
        {"documents", &reader->documents_}, {"members", &reader->members_},
        {"dirty", &reader->dirty_},         {"meta", &reader->meta_},
        {"tallies", &reader->tallies_},     {"sets", &reader->sets_}};
    for (auto [name, dbi] : databases) {
        rc = mdb_dbi_open(txn, name, 0, dbi);
        if (rc != 0) {
            mdb_txn_abort(txn);
            return fail(std::string("database ") + name + ": " + mdb_strerror(rc));
        }
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
    auto key = object_key(ark);
    if (!key) return std::nullopt;
    Txn txn(env_, MDB_RDONLY);
    auto found = txn.find(objects_, *key);
    if (!found) return std::nullopt;
    return object_record_from_json(*found);
}

std::optional<ImageRecord> CatalogReader::image(std::string_view id) const {
    auto key = image_key(id);
    if (!key) return std::nullopt;
    Txn txn(env_, MDB_RDONLY);
    auto found = txn.find(images_, *key);
    if (!found) return std::nullopt;
    return image_record_from_json(*found);
}

bool CatalogReader::ark_minted(std::string_view ark) const {
    auto key = object_key(ark);
    if (!key) return false;
    Txn txn(env_, MDB_RDONLY);
    return txn.find(arks_, *key).has_value();
}

CatalogReader::Position CatalogReader::position_of(const ObjectRecord& record) {
    return {record.datestamp, object_key(record.ark).value_or("")};
}

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
    // by_date keys are [datestamp][ARK]; by_set keys the same behind "{set}\0", so one scan
    // serves both, within the prefix.
    std::string prefix;
    MDB_dbi index = by_date_;
    if (!set_spec.empty()) {
        prefix = set_spec + '\0';
        index = by_set_;
    }
    const std::string start = prefix + date_key(after.datestamp, after.ark);

    std::vector<ObjectRecord> records;
    Txn txn(env_, MDB_RDONLY);
    Cursor cursor(txn, index);
    for (bool more = cursor.seek(start); more; more = cursor.next()) {
        std::string_view key = cursor.key();
        if (!key.starts_with(prefix) || key.size() < prefix.size() + 8) break;
        if (key == start) continue;  // strictly after the position
        std::string_view entry = key.substr(prefix.size());
        if (until != 0 && read_u64be(entry) > until) break;
        auto found = txn.find(objects_, entry.substr(8));
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
    std::string prefix;
    MDB_dbi index = by_date_;
    if (!set_spec.empty()) {
        prefix = set_spec + '\0';
        index = by_set_;
    }
    // From the newest: past every key of the prefix (datestamps are below 2^63, so their
    // first byte is below 0xff).
    const bool newest = before.datestamp == 0 && before.ark.empty();
    const std::string start =
        prefix + (newest ? std::string(9, '\xff') : date_key(before.datestamp, before.ark));

    std::vector<ObjectRecord> records;
    Txn txn(env_, MDB_RDONLY);
    Cursor cursor(txn, index);
    // The last key strictly before `start`.
    bool more = cursor.seek(start) ? cursor.prev() : cursor.last();
    for (; more && records.size() < limit; more = cursor.prev()) {
        std::string_view key = cursor.key();
        if (!key.starts_with(prefix) || key.size() < prefix.size() + 8) break;
        auto found = txn.find(objects_, key.substr(prefix.size() + 8));
        if (!found) continue;
        ObjectRecord record = object_record_from_json(*found);
        if (record.state != RecordState::active) continue;
        records.push_back(std::move(record));
    }
    return records;
}

std::vector<ObjectRecord> CatalogReader::search_titles(std::string_view query, size_t limit) const {
    const std::vector<std::string> wanted = title_words(query);
    if (wanted.empty() || limit == 0 || !has_words_) return {};
    const std::string& longest = *std::max_element(
        wanted.begin(), wanted.end(),
        [](const std::string& a, const std::string& b) { return a.size() < b.size(); });

    Txn txn(env_, MDB_RDONLY);
    // One object's words that share the prefix are not adjacent ("carte", "cartes"): a set
    // keeps each object once.
    std::set<std::string, std::less<>> candidates;
    {
        Cursor cursor(txn, words_);
        size_t read = 0;
        for (bool more = cursor.seek(longest); more && read < kMaxSearchCandidates;
             more = cursor.next(), ++read) {
            std::string_view key = cursor.key();
            if (!key.starts_with(longest)) break;
            const size_t nul = key.find('\0');
            if (nul != std::string_view::npos) candidates.emplace(key.substr(nul + 1));
        }
    }
    // The object under `key` when it is active and its title has every word of the query.
    auto matching = [&](std::string_view key) -> std::optional<ObjectRecord> {
        auto text = txn.find(objects_, key);
        if (!text) return std::nullopt;
        ObjectRecord record = object_record_from_json(*text);
        if (record.state != RecordState::active ||
            !title_matches(wanted, object_title_words(record)))
            return std::nullopt;
        return record;
    };

    // Reading a record is what a search spends its time on. Many candidates (a short, common
    // word): the newest matches are found by walking by_date from the newest, reading only the
    // candidates met, which stops at `limit` matches when they are not rare.
    std::vector<ObjectRecord> records;
    if (candidates.size() > kFewSearchCandidates) {
        Cursor cursor(txn, by_date_);
        size_t walked = 0;
        for (bool more = cursor.last(); more && walked < kMaxSearchWalk && records.size() < limit;
             more = cursor.prev(), ++walked) {
            std::string_view entry = cursor.key();
            if (entry.size() <= 8) continue;
            auto candidate = candidates.find(entry.substr(8));
            if (candidate == candidates.end()) continue;
            if (auto record = matching(*candidate)) records.push_back(std::move(*record));
            candidates.erase(candidate);
        }
    }
    // The candidates left, all older than those walked (if any): each read, then sorted as
    // recent_objects() lists them.
    std::vector<std::pair<Position, ObjectRecord>> older;
    if (records.size() < limit) {
        for (const std::string& key : candidates)
            if (auto record = matching(key))
                older.emplace_back(Position{record->datestamp, key}, std::move(*record));
    }
    std::sort(older.begin(), older.end(), [](const auto& a, const auto& b) {
        return std::tie(a.first.datestamp, a.first.ark) > std::tie(b.first.datestamp, b.first.ark);
    });
    for (auto& [position, record] : older) {
        if (records.size() >= limit) break;
        records.push_back(std::move(record));
    }
    return records;
}

std::int64_t CatalogReader::count_published(std::int64_t from, std::int64_t until,
                                            const std::string& set_spec) const {
    // [lo, hi) is cut into whole spans: at each level, the ends that do not fill a span of the
    // level above are summed here, and the aligned middle is left to the levels above.
    std::int64_t lo = std::clamp<std::int64_t>(from, 0, kTallyEnd);
    std::int64_t hi = until == 0 ? kTallyEnd : std::clamp<std::int64_t>(until + 1, 0, kTallyEnd);
    if (lo >= hi) return 0;
    Txn txn(env_, MDB_RDONLY);
    Cursor cursor(txn, tallies_);
    std::int64_t total = 0;
    for (int level = 0; level < kTallyLevels; ++level) {
        const int shift = kTallyBits * level;
        const std::int64_t above = std::int64_t{1} << (shift + kTallyBits);
        const std::int64_t lo_up = (lo + above - 1) / above * above;
        const std::int64_t hi_down = hi / above * above;
        if (level == kTallyLevels - 1 || lo_up >= hi_down) {
            total += sum_tallies(cursor, set_spec, level, lo >> shift, hi >> shift);
            break;
        }
        total += sum_tallies(cursor, set_spec, level, lo >> shift, lo_up >> shift);
        total += sum_tallies(cursor, set_spec, level, hi_down >> shift, hi >> shift);
        lo = lo_up;
        hi = hi_down;
    }
    return total;
}

std::optional<std::int64_t> CatalogReader::earliest_datestamp() const {
    // The first one-second tally of all objects is the earliest datestamp.
    const std::string prefix = tally_key("", 0, 0).substr(0, 2);
    Txn txn(env_, MDB_RDONLY);
    Cursor cursor(txn, tallies_);
    if (!cursor.seek(prefix) || !cursor.key().starts_with(prefix)) return std::nullopt;
    return read_u64be(cursor.key().substr(2));
}

std::vector<CatalogReader::SetInfo> CatalogReader::sets(std::string_view after,
                                                        size_t limit) const {
    Txn txn(env_, MDB_RDONLY);
    // The specs that have tallies (one seek per spec, past all its entries), and the named
    // ones, each in order: merged, at most `limit`.
    std::vector<std::string> specs;
    {
        Cursor cursor(txn, tallies_);
        for (bool more = cursor.seek(std::string(after) + '\1'); more && specs.size() < limit;) {
            std::string_view spec = cursor.key().substr(0, cursor.key().find('\0'));
            if (!spec.empty()) specs.emplace_back(spec);
            more = cursor.seek(std::string(spec) + '\1');
        }
    }
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

std::optional<StoredDocument> CatalogReader::document(std::string_view key) const {
    Txn txn(env_, MDB_RDONLY);
    auto found = txn.find(documents_, key);
    if (!found) return std::nullopt;
    const DocumentView document = decode_document_view(*found, key);
    return StoredDocument{std::string(document.body), std::string(document.etag),
                          document.modified};
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
    // A read transaction sees the map, which is the file from offset 0: where the bytes are
    // in memory is where they are in the file.
    const MapExtent map = map_extent();
    const char* body = pinned.view.body.data();
    if (map.fd >= 0 && body >= map.base && body + pinned.view.body.size() <= map.base + map.size) {
        pinned.fd = map.fd;
        pinned.file_offset = body - map.base;
    }
    pinned.pin = std::move(txn);
    return pinned;
}

// LMDB says where it mapped the file only with MDB_FIXEDMAP; the process's own map list says it
// for every mapping: the one of the catalog file's inode at offset 0. Looked up once.
CatalogReader::MapExtent CatalogReader::map_extent() const {
    std::lock_guard lock(reuse_mutex_);
    // A map adopted at a new size (MDB_MAP_RESIZED) may have moved: look again then.
    MDB_envinfo info;
    if (mdb_env_info(env_, &info) != 0) return {};
    if (map_searched_ && info.me_mapsize == map_size_) return map_;
    map_searched_ = true;
    map_size_ = info.me_mapsize;
    map_ = {};
    int fd = -1;
    struct stat file;
    if (mdb_env_get_fd(env_, &fd) != 0 || fstat(fd, &file) != 0) return map_;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        unsigned long long start = 0, end = 0, offset = 0, inode = 0;
        unsigned major = 0, minor = 0;
        char perms[8] = {};
        if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &offset,
                        &major, &minor, &inode) != 7)
            continue;
        if (inode != file.st_ino || offset != 0 || makedev(major, minor) != file.st_dev) continue;
        map_ = {reinterpret_cast<const char*>(start), static_cast<size_t>(end - start), fd};
        break;
    }
    return map_;
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

std::optional<std::string> CatalogReader::meta(std::string_view key) const {
    Txn txn(env_, MDB_RDONLY);
    auto found = txn.find(meta_, key);
    if (!found) return std::nullopt;
    return std::string(*found);
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

std::int64_t CatalogReader::object_count() const {
    Txn txn(env_, MDB_RDONLY);
    MDB_stat stat;
    check(mdb_stat(txn.get(), objects_, &stat), "mdb_stat");
    return static_cast<std::int64_t>(stat.ms_entries);
}

// ---- Writer -----------------------------------------------------------------------------------

std::unique_ptr<CatalogWriter> CatalogWriter::open(const std::string& path, std::string* error) {
    auto fail = [&](const std::string& what, int rc) {
        if (error) *error = "catalog " + path + ": " + what + ": " + mdb_strerror(rc);
        return nullptr;
    };
    std::unique_ptr<CatalogWriter> writer(new CatalogWriter());
    CatalogReader& r = writer->reader_;
    r.owns_env_ = false;  // the writer closes it
    int rc = mdb_env_create(&writer->env_);
    if (rc != 0) return fail("mdb_env_create", rc);
    r.env_ = writer->env_;
    mdb_env_set_mapsize(writer->env_, kWriterMapSize);
    mdb_env_set_maxdbs(writer->env_, kMaxDbs);
    mdb_env_set_maxreaders(writer->env_, kMaxReaders);
    // Durable commits (an fsync each): readers act on what the catalog says at once. Group
    // write on the file and its lock file lets nginx's workers, in the daemon's group, read it.
    rc = mdb_env_open(writer->env_, path.c_str(), MDB_NOSUBDIR | MDB_NOTLS, 0664);
    if (rc != 0) return fail("mdb_env_open", rc);
    int dead = 0;
    mdb_reader_check(writer->env_, &dead);

    MDB_txn* txn = nullptr;
    rc = mdb_txn_begin(writer->env_, nullptr, 0, &txn);
    if (rc != 0) return fail("mdb_txn_begin", rc);
    const std::pair<const char*, MDB_dbi*> databases[] = {
        {"objects", &r.objects_},     {"images", &r.images_},   {"arks", &r.arks_},
        {"files", &r.files_},         {"by_date", &r.by_date_}, {"by_set", &r.by_set_},
        {"documents", &r.documents_}, {"members", &r.members_}, {"dirty", &r.dirty_},
        {"meta", &r.meta_},           {"tallies", &r.tallies_}, {"sets", &r.sets_},
        {"words", &r.words_}};
    r.has_words_ = true;
    for (auto [name, dbi] : databases) {
        rc = mdb_dbi_open(txn, name, MDB_CREATE, dbi);
        if (rc != 0) {
            mdb_txn_abort(txn);
            return fail(std::string("database ") + name, rc);
        }
    }
    MDB_val key = view("schema"), value;
    rc = mdb_get(txn, r.meta_, &key, &value);
    bool upgrade = false;
    if (rc == 0 && std::find(std::begin(kOlderSchemas), std::end(kOlderSchemas), view(value)) !=
                       std::end(kOlderSchemas)) {
        upgrade = true;
        rc = MDB_NOTFOUND;  // upgraded below
    }
    if (rc == 0 && view(value) != kSchema) {
        mdb_txn_abort(txn);
        if (error)
            *error = "catalog " + path + ": schema " + std::string(view(value)) + ", expected " +
                     std::string(kSchema);
        return nullptr;
    }
    if (rc == MDB_NOTFOUND) {
        value = view(kSchema);
        rc = mdb_put(txn, r.meta_, &key, &value, 0);
    }
    if (rc != 0) {
        mdb_txn_abort(txn);
        return fail("meta", rc);
    }
    // An empty title index beside objects (schema 4, `words` emptied by hand or lost) is filled
    // as on an upgrade. Objects that have no title at all look the same: their catalog is read
    // through at each opening, and still has no words after it.
    MDB_stat words{}, objects{};
    if ((rc = mdb_stat(txn, r.words_, &words)) != 0 ||
        (rc = mdb_stat(txn, r.objects_, &objects)) != 0) {
        mdb_txn_abort(txn);
        return fail("mdb_stat", rc);
    }
    const bool unindexed = words.ms_entries == 0 && objects.ms_entries > 0;
    rc = mdb_txn_commit(txn);
    if (rc != 0) return fail("mdb_txn_commit", rc);
    if (upgrade || unindexed) {
        try {
            if (upgrade) writer->rebuild_tallies();
            writer->rebuild_words();
        } catch (const IiifError& failure) {
            if (error) *error = "catalog " + path + ": upgrade: " + failure.reason;
            return nullptr;
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

std::string CatalogWriter::mint(const std::string& naan, const std::string& shoulder,
                                CheckProfile profile) {
    for (int attempt = 0; attempt < kMintAttempts; ++attempt) {
        std::string name = mint_ark_name(naan, shoulder, profile);
        auto ark = parse_ark("ark:/" + naan + "/" + name);
        if (!ark || !ark->qualifier.empty())
            throw IiifError(500, "catalog: cannot mint under NAAN \"" + naan +
                                     "\" and shoulder \"" + shoulder + "\"");
        std::string key = ark->normalized_base();
        Txn txn(env_, 0);
        if (txn.find(reader_.arks_, key)) continue;  // taken: draw again
        Json record(json_object());
        json_object_set_new(record.get(), "ark", json_string_of(ark->to_string()));
        json_object_set_new(record.get(), "minted", json_integer(now_seconds()));
        txn.put(reader_.arks_, key, json_text(record.get()));
        txn.commit();
        return ark->to_string();
    }
    throw IiifError(500, "catalog: no free ARK name under shoulder \"" + shoulder + "\"");
}

void CatalogWriter::put(const ObjectRecord& object, const std::vector<ImageRecord>& images) {
    put_many({Entry{object, images}});
}

void CatalogWriter::put_many(const std::vector<Entry>& entries) {
    const CatalogReader& r = reader_;
    Txn txn(env_, 0);
    for (const auto& [given_object, given_images] : entries) {
        // Every object and page carries the policy and watermark its metadata, its sets and
        // the rules give it now.
        const ResolvedAccess access = resolve_access(
            access_rules_, access_settings_, given_object.metadata.access,
            set_memberships(given_object.metadata.sets), given_object.metadata.provider);
        ObjectRecord object = given_object;
        object.policy = access.policy;
        // info.json's "rights" in the form manifests and OAI-PMH give it (canonical_rights).
        const std::string rights =
            object.metadata.license.empty() ? "" : canonical_rights(object.metadata.license);
        std::vector<ImageRecord> images = given_images;
        for (ImageRecord& image : images) {
            image.policy = access.policy;
            image.watermark = access.watermark;
            image.rights = rights;
        }
        auto key = object_key(object.ark);
        if (!key) throw IiifError(500, "catalog: not an ARK: \"" + object.ark + "\"");
        std::vector<std::string> page_keys;
        for (const std::string& id : object.images) {
            auto page = image_key(id);
            if (!page || !page->starts_with(*key + "/"))
                throw IiifError(500, "catalog: \"" + id + "\" is no page of " + object.ark);
            page_keys.push_back(*page);
        }

        // Take the previous version's index entries out before adding the new ones.
        std::optional<ObjectRecord> previous;
        if (auto previous_text = txn.find(r.objects_, *key)) {
            previous = object_record_from_json(*previous_text);
            tally(txn, r.tallies_, *previous, -1);
            for (const std::string& word : object_title_words(*previous))
                txn.erase(r.words_, word_key(word, *key));
            txn.erase(r.by_date_, date_key(previous->datestamp, *key));
            for (const std::string& spec : set_memberships(previous->metadata.sets))
                txn.erase(r.by_set_, set_key(spec, previous->datestamp, *key));
            // Pages the object no longer lists go, with their idempotency entries.
            for (const std::string& id : previous->images) {
                auto page = image_key(id);
                if (!page ||
                    std::find(page_keys.begin(), page_keys.end(), *page) != page_keys.end())
                    continue;
                if (auto old = txn.find(r.images_, *page)) {
                    ImageRecord gone = image_record_from_json(*old);
                    if (!gone.original_sha256.empty())
                        txn.erase(r.files_, *key + "|" + gone.original_sha256);
                    txn.erase(r.images_, *page);
                }
            }
        }

        txn.put(r.objects_, *key, object_record_to_json(object));
        txn.put(r.by_date_, date_key(object.datestamp, *key), "");
        for (const std::string& spec : set_memberships(object.metadata.sets))
            txn.put(r.by_set_, set_key(spec, object.datestamp, *key), "");
        for (const std::string& word : object_title_words(object))
            txn.put(r.words_, word_key(word, *key), "");
        tally(txn, r.tallies_, object, +1);
        // An ARK that reaches the catalog is minted for ever, even after a rebuild.
        if (!txn.find(r.arks_, *key)) {
            Json minted(json_object());
            json_object_set_new(minted.get(), "ark", json_string_of(object.ark));
            json_object_set_new(minted.get(), "minted", json_integer(object.created));
            txn.put(r.arks_, *key, json_text(minted.get()));
        }

        for (const ImageRecord& image : images) {
            auto page = image_key(image.id);
            if (!page || !page->starts_with(*key + "/"))
                throw IiifError(500, "catalog: \"" + image.id + "\" is no page of " + object.ark);
            if (auto old = txn.find(r.images_, *page)) {
                ImageRecord replaced = image_record_from_json(*old);
                if (!replaced.original_sha256.empty() &&
                    replaced.original_sha256 != image.original_sha256)
                    txn.erase(r.files_, *key + "|" + replaced.original_sha256);
            }
            txn.put(r.images_, *page, image_record_to_json(image));
            if (!image.original_sha256.empty())
                txn.put(r.files_, *key + "|" + image.original_sha256, std::to_string(image.index));
        }
        // Pages kept as they were (a metadata change) follow a change of policy or watermark.
        for (const std::string& page : page_keys) {
            auto text = txn.find(r.images_, page);
            if (!text) continue;
            ImageRecord kept = image_record_from_json(*text);
            if (kept.policy == access.policy && kept.watermark == access.watermark &&
                kept.rights == rights)
                continue;
            kept.policy = access.policy;
            kept.watermark = access.watermark;
            kept.rights = rights;
            txn.put(r.images_, page, image_record_to_json(kept));
        }
        Publisher{txn,          publication_, access_settings_, r.images_,
                  r.documents_, r.members_,   r.dirty_}
            .publish(previous ? &*previous : nullptr, object, *key);
    }
    txn.commit();
}

std::optional<int> CatalogWriter::page_for_original(std::string_view ark,
                                                    std::string_view sha256) const {
    auto key = object_key(ark);
    if (!key) return std::nullopt;
    Txn txn(env_, MDB_RDONLY);
    auto found = txn.find(reader_.files_, *key + "|" + std::string(sha256));
    if (!found) return std::nullopt;
    int page = 0;
    auto [end, ec] = std::from_chars(found->data(), found->data() + found->size(), page);
    if (ec != std::errc() || end != found->data() + found->size())
        throw IiifError(500, "catalog: corrupt files entry");
    return page;
}

void CatalogWriter::withdraw(std::string_view ark, const std::string& reason, std::int64_t when) {
    set_object_state(ark, RecordState::withdrawn, reason, when);
}

void CatalogWriter::reinstate(std::string_view ark, std::int64_t when) {
    set_object_state(ark, RecordState::active, "", when);
}

void CatalogWriter::set_object_state(std::string_view ark, RecordState state,
                                     const std::string& reason, std::int64_t when) {
    auto key = object_key(ark);
    if (!key) throw IiifError(404, "not an ARK");
    const CatalogReader& r = reader_;
    Txn txn(env_, 0);
    auto text = txn.find(r.objects_, *key);
    if (!text) throw IiifError(404, "no object " + std::string(ark));
    ObjectRecord object = object_record_from_json(*text);
    if (state == RecordState::active && object.state != RecordState::withdrawn)
        throw IiifError(409, "the object is not withdrawn");
    const ObjectRecord previous = object;

    tally(txn, r.tallies_, previous, -1);
    txn.erase(r.by_date_, date_key(object.datestamp, *key));
    const std::vector<std::string> sets = set_memberships(object.metadata.sets);
    for (const std::string& spec : sets)
        txn.erase(r.by_set_, set_key(spec, object.datestamp, *key));

    object.state = state;
    object.withdrawn_reason = reason;
    object.updated = when;
    object.datestamp = when;
    txn.put(r.objects_, *key, object_record_to_json(object));
    txn.put(r.by_date_, date_key(object.datestamp, *key), "");
    for (const std::string& spec : sets)
        txn.put(r.by_set_, set_key(spec, object.datestamp, *key), "");
    tally(txn, r.tallies_, object, +1);

    for (const std::string& id : object.images) {
        auto page = image_key(id);
        if (!page) continue;
        auto image_text = txn.find(r.images_, *page);
        if (!image_text) continue;
        ImageRecord image = image_record_from_json(*image_text);
        image.state = state;
        txn.put(r.images_, *page, image_record_to_json(image));
    }
    Publisher{txn, publication_, access_settings_, r.images_, r.documents_, r.members_, r.dirty_}
        .publish(&previous, object, *key);
    txn.commit();
}

void CatalogWriter::clear() {
    const CatalogReader& r = reader_;
    Txn txn(env_, 0);
    // The set names come from the configuration, not from the objects: they stay.
    for (MDB_dbi dbi : {r.objects_, r.images_, r.arks_, r.files_, r.by_date_, r.by_set_,
                        r.documents_, r.members_, r.dirty_, r.meta_, r.tallies_, r.words_})
        check(mdb_drop(txn.get(), dbi, 0), "mdb_drop");
    txn.put(r.meta_, "schema", kSchema);
    txn.put(r.meta_, kPublicationKey, publication_settings_to_json(publication_));
    txn.put(r.dirty_, kTopDirtyKey, "");
    txn.commit();
}

void CatalogWriter::define_sets(const std::vector<CatalogReader::SetInfo>& sets) {
    Txn txn(env_, 0);
    check(mdb_drop(txn.get(), reader_.sets_, 0), "mdb_drop");
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

// The title index from every object, in batches (the upgrade to schema 4).
void CatalogWriter::rebuild_words() {
    const CatalogReader& r = reader_;
    {
        Txn txn(env_, 0);
        check(mdb_drop(txn.get(), r.words_, 0), "mdb_drop");
        txn.commit();
    }
    std::string after;
    for (bool first = true;; first = false) {
        Txn txn(env_, 0);
        size_t done = 0;
        {
            Cursor cursor(txn, r.objects_);
            bool more = first ? cursor.first() : cursor.seek(after);
            if (more && !first && cursor.key() == after) more = cursor.next();
            for (; more && done < kTallyBatch; more = cursor.next(), ++done) {
                after = std::string(cursor.key());
                for (const std::string& word :
                     object_title_words(object_record_from_json(cursor.value())))
                    txn.put(r.words_, word_key(word, after), "");
            }
        }
        txn.commit();
        if (done < kTallyBatch) break;
    }
}

void CatalogWriter::rebuild_tallies() {
    const CatalogReader& r = reader_;
    {
        Txn txn(env_, 0);
        check(mdb_drop(txn.get(), r.tallies_, 0), "mdb_drop");
        txn.commit();
    }
    std::string after;
    for (bool more = true; more;) {
        Txn txn(env_, 0);
        size_t counted = 0;
        {
            Cursor cursor(txn, r.objects_);
            for (bool found = after.empty() ? cursor.first() : cursor.seek(after); found;
                 found = cursor.next()) {
                if (cursor.key() == after) continue;
                tally(txn, r.tallies_, object_record_from_json(cursor.value()), +1);
                after = cursor.key();
                if (++counted == kTallyBatch) break;
            }
        }
        more = counted == kTallyBatch;
        txn.commit();
    }
}

void CatalogWriter::set_publication(const PublicationSettings& settings) {
    publication_ = settings;
    const std::string json = publication_settings_to_json(settings);
    {
        Txn txn(env_, 0);
        if (txn.find(reader_.meta_, kPublicationKey) == std::optional<std::string_view>(json))
            return;
        txn.put(reader_.meta_, kPublicationKey, json);
        txn.commit();
    }
    republish();
}

void CatalogWriter::set_access(const AccessSettings& settings, const AccessRules& rules) {
    access_settings_ = settings;
    access_rules_ = rules;
    const std::string settings_json = access_settings_to_json(settings);
    const std::string rules_json = access_rules_to_json(rules);
    const CatalogReader& r = reader_;
    {
        Txn txn(env_, 0);
        if (txn.find(r.meta_, kAccessKey) == std::optional<std::string_view>(settings_json) &&
            txn.find(r.meta_, kAccessRulesKey) == std::optional<std::string_view>(rules_json))
            return;
        txn.put(r.meta_, kAccessKey, settings_json);
        txn.put(r.meta_, kAccessRulesKey, rules_json);
        txn.commit();
    }
    // Every object again, a batch per transaction: put() resolves its access anew (its pages
    // included) and remakes its documents, whose probe services follow the policy.
    std::string after;
    for (bool more = true; more;) {
        std::vector<Entry> batch;
        {
            Txn txn(env_, MDB_RDONLY);
            Cursor cursor(txn, r.objects_);
            for (bool found = after.empty() ? cursor.first() : cursor.seek(after); found;
                 found = cursor.next()) {
                if (cursor.key() == after) continue;
                after = std::string(cursor.key());
                batch.push_back({object_record_from_json(cursor.value()), {}});
                if (batch.size() == kRepublishBatch) break;
            }
        }
        more = batch.size() == kRepublishBatch;
        if (!batch.empty()) put_many(batch);
    }
}

void CatalogWriter::republish() {
    const CatalogReader& r = reader_;
    {
        // Every set that has documents now is made again (or removed, if it has emptied).
        Txn txn(env_, 0);
        std::vector<std::string> sets;
        {
            Cursor cursor(txn, r.documents_);
            for (bool more = cursor.seek("c "); more && cursor.key().starts_with("c ");
                 more = cursor.next()) {
                std::string_view spec = cursor.key().substr(2);
                spec = spec.substr(0, spec.find('/'));
                if (sets.empty() || sets.back() != spec) sets.emplace_back(spec);
            }
        }
        check(mdb_drop(txn.get(), r.members_, 0), "mdb_drop");
        for (const std::string& spec : sets)
            txn.put(r.dirty_, spec.empty() ? kTopDirtyKey : spec, "");
        txn.put(r.dirty_, kTopDirtyKey, "");
        txn.commit();
    }
    // Objects in key order, a batch per transaction, resuming after the last key done.
    std::string after;
    for (bool more = true; more;) {
        Txn txn(env_, 0);
        std::vector<std::pair<std::string, ObjectRecord>> batch;
        {
            Cursor cursor(txn, r.objects_);
            for (bool found = after.empty() ? cursor.first() : cursor.seek(after); found;
                 found = cursor.next()) {
                if (cursor.key() == after) continue;
                batch.emplace_back(std::string(cursor.key()),
                                   object_record_from_json(cursor.value()));
                if (batch.size() == kRepublishBatch) break;
            }
        }
        more = batch.size() == kRepublishBatch;
        if (batch.empty()) break;
        Publisher publish{txn,          publication_, access_settings_, r.images_,
                          r.documents_, r.members_,   r.dirty_};
        for (const auto& [key, object] : batch) publish.publish(nullptr, object, key);
        after = batch.back().first;
        txn.commit();
    }
    while (refresh_collections() > 0) {
    }
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
    for (const std::string& entry : dirty) {
        const std::string spec = entry == kTopDirtyKey ? "" : entry;
        Txn txn(env_, 0);
        // The set's direct members, and the child sets found among the specs below it: one
        // seek per distinct spec, past all entries of that spec.
        std::vector<std::string> items;
        std::vector<std::string> subsets;
        {
            Cursor cursor(txn, r.members_);
            const std::string own = spec.empty() ? std::string() : spec + '\0';
            if (!spec.empty()) {
                for (bool more = cursor.seek(own); more && cursor.key().starts_with(own);
                     more = cursor.next())
                    items.emplace_back(cursor.value());
            }
            const std::string below = spec.empty() ? std::string() : spec + ':';
            bool more = below.empty() ? cursor.first() : cursor.seek(below);
            while (more && cursor.key().starts_with(below)) {
                std::string_view other = cursor.key().substr(0, cursor.key().find('\0'));
                std::string_view child = other.substr(below.size());
                child = child.substr(0, child.find(':'));
                std::string child_spec = below + std::string(child);
                if (subsets.empty() || subsets.back() != child_spec) subsets.push_back(child_spec);
                more = cursor.seek(std::string(other) + '\1');
            }
        }
        // Out with the old documents of the set (its pages may be fewer now).
        {
            const std::string own_key = collection_document_key(spec);
            const std::string pages_prefix = own_key + "/";
            std::vector<std::string> stale;
            Cursor cursor(txn, r.documents_);
            for (bool more = cursor.seek(own_key); more; more = cursor.next()) {
                if (cursor.key() != own_key && !cursor.key().starts_with(pages_prefix)) break;
                stale.emplace_back(cursor.key());
            }
            for (const std::string& key : stale) txn.erase(r.documents_, key);
        }
        if (spec.empty() || !items.empty() || !subsets.empty()) {
            const std::int64_t now = now_seconds();
            for (const CollectionDocument& document :
                 collection_documents_v3(publication_, spec, subsets, items))
                txn.put(r.documents_, collection_document_key(spec, document.page),
                        encode_document(document.body, now));
        }
        txn.erase(r.dirty_, entry);
        txn.commit();
    }
    return static_cast<int>(dirty.size());
}

}  // namespace iiif
