#include "catalog.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>

#include "iiif_error.hpp"

namespace iiif {
namespace {

// Address space, not disk: without MDB_WRITEMAP the file grows only as pages are written.
constexpr size_t kWriterMapSize = size_t{64} << 30;
constexpr unsigned kMaxDbs = 8;
// Every nginx worker's read transactions take slots, for the time of one lookup each.
constexpr unsigned kMaxReaders = 1024;
constexpr std::string_view kSchema = "1";
constexpr int kMintAttempts = 16;

struct JsonDecref {
    void operator()(json_t* value) const { json_decref(value); }
};
using Json = std::unique_ptr<json_t, JsonDecref>;

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

// A record in set "a:b:c" is also in "a:b" and "a": harvesting a set harvests its subsets.
std::vector<std::string> set_memberships(const std::vector<std::string>& sets) {
    std::vector<std::string> all;
    for (const std::string& spec : sets) {
        for (size_t colon = spec.find(':'); colon != std::string::npos;
             colon = spec.find(':', colon + 1))
            all.push_back(spec.substr(0, colon));
        all.push_back(spec);
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
}

RecordState state_from_name(std::string_view name) {
    if (name == "active") return RecordState::active;
    if (name == "withdrawn") return RecordState::withdrawn;
    if (name == "pending") return RecordState::pending;
    throw IiifError(500, "catalog: unknown record state \"" + std::string(name) + "\"");
}

// Readers of stored records: a missing member is its default, a member of the wrong type is
// a corrupt record.
struct RecordReader {
    const json_t* object;
    const char* kind;

    [[noreturn]] void corrupt(const char* key) const {
        throw IiifError(500, std::string("catalog: corrupt ") + kind + " record: " + key);
    }
    std::string text(const char* key) const {
        const json_t* value = json_object_get(object, key);
        if (!value) return {};
        if (!json_is_string(value)) corrupt(key);
        return {json_string_value(value), json_string_length(value)};
    }
    std::int64_t integer(const char* key, std::int64_t fallback = 0) const {
        const json_t* value = json_object_get(object, key);
        if (!value) return fallback;
        if (!json_is_integer(value)) corrupt(key);
        return json_integer_value(value);
    }
};

Json load_record(std::string_view text, const char* kind) {
    Json json(json_loadb(text.data(), text.size(), 0, nullptr));
    if (!json || !json_is_object(json.get()))
        throw IiifError(500, std::string("catalog: corrupt ") + kind + " record");
    return json;
}

std::string dump(const Json& json) {
    char* text = json_dumps(json.get(), JSON_COMPACT);
    if (!text) throw IiifError(500, "catalog: cannot serialise a record");
    std::string out(text);
    free(text);
    return out;
}

void set_text(json_t* object, const char* key, const std::string& value) {
    json_object_set_new(object, key, json_stringn(value.data(), value.size()));
}

std::int64_t now_seconds() {
    return static_cast<std::int64_t>(std::time(nullptr));
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
    std::string_view key() const { return view(key_); }

  private:
    bool step(MDB_val key, MDB_cursor_op op) {
        key_ = key;
        MDB_val value;
        int rc = mdb_cursor_get(cursor_, &key_, &value, op);
        if (rc == MDB_NOTFOUND) return false;
        check(rc, "mdb_cursor_get");
        return true;
    }
    MDB_cursor* cursor_ = nullptr;
    MDB_val key_{};
};

}  // namespace

std::string_view record_state_name(RecordState state) {
    switch (state) {
        case RecordState::pending:
            return "pending";
        case RecordState::active:
            return "active";
        case RecordState::withdrawn:
            return "withdrawn";
    }
    return "pending";
}

std::optional<std::string> catalog_object_key(std::string_view ark) {
    return object_key(ark);
}
std::optional<std::string> catalog_image_key(std::string_view id) {
    return image_key(id);
}

// ---- Records ----------------------------------------------------------------------------------

std::string object_record_to_json(const ObjectRecord& record) {
    Json json(json_object());
    set_text(json.get(), "ark", record.ark);
    json_object_set_new(json.get(), "metadata", object_metadata_to_json(record.metadata));
    json_t* images = json_array();
    for (const std::string& id : record.images)
        json_array_append_new(images, json_stringn(id.data(), id.size()));
    json_object_set_new(json.get(), "images", images);
    json_object_set_new(json.get(), "created", json_integer(record.created));
    json_object_set_new(json.get(), "updated", json_integer(record.updated));
    json_object_set_new(json.get(), "datestamp", json_integer(record.datestamp));
    set_text(json.get(), "state", std::string(record_state_name(record.state)));
    if (!record.withdrawn_reason.empty())
        set_text(json.get(), "withdrawn_reason", record.withdrawn_reason);
    set_text(json.get(), "policy", record.policy);
    return dump(json);
}

ObjectRecord object_record_from_json(std::string_view text) {
    Json json = load_record(text, "object");
    RecordReader read{json.get(), "object"};
    ObjectRecord record;
    record.ark = read.text("ark");
    if (const json_t* metadata = json_object_get(json.get(), "metadata")) {
        try {
            record.metadata = object_metadata_from_json(metadata);
        } catch (const IiifError& error) {
            throw IiifError(500, "catalog: corrupt object record: " + error.reason);
        }
    }
    const json_t* images = json_object_get(json.get(), "images");
    if (images && !json_is_array(images)) read.corrupt("images");
    size_t i;
    json_t* id;
    json_array_foreach(images, i, id) {
        if (!json_is_string(id)) read.corrupt("images");
        record.images.emplace_back(json_string_value(id), json_string_length(id));
    }
    record.created = read.integer("created");
    record.updated = read.integer("updated");
    record.datestamp = read.integer("datestamp");
    record.state = state_from_name(read.text("state"));
    record.withdrawn_reason = read.text("withdrawn_reason");
    record.policy = read.text("policy");
    return record;
}

std::string image_record_to_json(const ImageRecord& record) {
    Json json(json_object());
    set_text(json.get(), "id", record.id);
    set_text(json.get(), "object", record.object);
    json_object_set_new(json.get(), "index", json_integer(record.index));
    set_text(json.get(), "master_path", record.master_path);
    set_text(json.get(), "original_path", record.original_path);
    set_text(json.get(), "original_name", record.original_name);
    set_text(json.get(), "original_sha256", record.original_sha256);
    set_text(json.get(), "master_sha256", record.master_sha256);
    json_object_set_new(json.get(), "original_bytes", json_integer(record.original_bytes));
    set_text(json.get(), "source", serialize_source_info(record.source));
    json_object_set_new(json.get(), "version", json_integer(record.version));
    set_text(json.get(), "state", std::string(record_state_name(record.state)));
    set_text(json.get(), "policy", record.policy);
    return dump(json);
}

ImageRecord image_record_from_json(std::string_view text) {
    Json json = load_record(text, "image");
    RecordReader read{json.get(), "image"};
    ImageRecord record;
    record.id = read.text("id");
    record.object = read.text("object");
    record.index = static_cast<int>(read.integer("index"));
    record.master_path = read.text("master_path");
    record.original_path = read.text("original_path");
    record.original_name = read.text("original_name");
    record.original_sha256 = read.text("original_sha256");
    record.master_sha256 = read.text("master_sha256");
    record.original_bytes = read.integer("original_bytes");
    auto source = parse_source_info(read.text("source"));
    if (!source) read.corrupt("source");
    record.source = std::move(*source);
    record.version = read.integer("version", 1);
    record.state = state_from_name(read.text("state"));
    record.policy = read.text("policy");
    return record;
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
        {"objects", &reader->objects_}, {"images", &reader->images_},
        {"arks", &reader->arks_},       {"files", &reader->files_},
        {"by_date", &reader->by_date_}, {"by_set", &reader->by_set_}};
    for (auto [name, dbi] : databases) {
        rc = mdb_dbi_open(txn, name, 0, dbi);
        if (rc != 0) {
            mdb_txn_abort(txn);
            return fail(std::string("database ") + name + ": " + mdb_strerror(rc));
        }
    }
    // Committing a read transaction keeps its database handles for the environment.
    rc = mdb_txn_commit(txn);
    if (rc != 0) return fail(std::string("mdb_txn_commit: ") + mdb_strerror(rc));
    return reader;
}

CatalogReader::~CatalogReader() {
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
        records.push_back(object_record_from_json(*found));
        if (limit != 0 && records.size() >= limit) break;
    }
    return records;
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
        {"objects", &r.objects_}, {"images", &r.images_},   {"arks", &r.arks_},
        {"files", &r.files_},     {"by_date", &r.by_date_}, {"by_set", &r.by_set_},
        {"meta", &r.meta_}};
    for (auto [name, dbi] : databases) {
        rc = mdb_dbi_open(txn, name, MDB_CREATE, dbi);
        if (rc != 0) {
            mdb_txn_abort(txn);
            return fail(std::string("database ") + name, rc);
        }
    }
    MDB_val key = view("schema"), value;
    rc = mdb_get(txn, r.meta_, &key, &value);
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
    rc = mdb_txn_commit(txn);
    if (rc != 0) return fail("mdb_txn_commit", rc);
    return writer;
}

CatalogWriter::~CatalogWriter() {
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
        set_text(record.get(), "ark", ark->to_string());
        json_object_set_new(record.get(), "minted", json_integer(now_seconds()));
        txn.put(reader_.arks_, key, dump(record));
        txn.commit();
        return ark->to_string();
    }
    throw IiifError(500, "catalog: no free ARK name under shoulder \"" + shoulder + "\"");
}

void CatalogWriter::put(const ObjectRecord& object, const std::vector<ImageRecord>& images) {
    auto key = object_key(object.ark);
    if (!key) throw IiifError(500, "catalog: not an ARK: \"" + object.ark + "\"");
    std::vector<std::string> page_keys;
    for (const std::string& id : object.images) {
        auto page = image_key(id);
        if (!page || !page->starts_with(*key + "/"))
            throw IiifError(500, "catalog: \"" + id + "\" is no page of " + object.ark);
        page_keys.push_back(*page);
    }
    const CatalogReader& r = reader_;
    Txn txn(env_, 0);

    // Take the previous version's index entries out before adding the new ones.
    if (auto previous_text = txn.find(r.objects_, *key)) {
        ObjectRecord previous = object_record_from_json(*previous_text);
        txn.erase(r.by_date_, date_key(previous.datestamp, *key));
        for (const std::string& spec : set_memberships(previous.metadata.sets))
            txn.erase(r.by_set_, set_key(spec, previous.datestamp, *key));
        // Pages the object no longer lists go, with their idempotency entries.
        for (const std::string& id : previous.images) {
            auto page = image_key(id);
            if (!page || std::find(page_keys.begin(), page_keys.end(), *page) != page_keys.end())
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
    // An ARK that reaches the catalog is minted for ever, even after a rebuild.
    if (!txn.find(r.arks_, *key)) {
        Json minted(json_object());
        set_text(minted.get(), "ark", object.ark);
        json_object_set_new(minted.get(), "minted", json_integer(object.created));
        txn.put(r.arks_, *key, dump(minted));
    }

    for (const ImageRecord& image : images) {
        auto page = image_key(image.id);
        if (!page || !page->starts_with(*key + "/"))
            throw IiifError(500, "catalog: \"" + image.id + "\" is no page of " + object.ark);
        if (auto old = txn.find(r.images_, *page)) {
            ImageRecord previous = image_record_from_json(*old);
            if (!previous.original_sha256.empty() &&
                previous.original_sha256 != image.original_sha256)
                txn.erase(r.files_, *key + "|" + previous.original_sha256);
        }
        txn.put(r.images_, *page, image_record_to_json(image));
        if (!image.original_sha256.empty())
            txn.put(r.files_, *key + "|" + image.original_sha256, std::to_string(image.index));
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
    auto key = object_key(ark);
    if (!key) throw IiifError(404, "not an ARK");
    const CatalogReader& r = reader_;
    Txn txn(env_, 0);
    auto text = txn.find(r.objects_, *key);
    if (!text) throw IiifError(404, "no object " + std::string(ark));
    ObjectRecord object = object_record_from_json(*text);

    txn.erase(r.by_date_, date_key(object.datestamp, *key));
    const std::vector<std::string> sets = set_memberships(object.metadata.sets);
    for (const std::string& spec : sets)
        txn.erase(r.by_set_, set_key(spec, object.datestamp, *key));

    object.state = RecordState::withdrawn;
    object.withdrawn_reason = reason;
    object.updated = when;
    object.datestamp = when;
    txn.put(r.objects_, *key, object_record_to_json(object));
    txn.put(r.by_date_, date_key(object.datestamp, *key), "");
    for (const std::string& spec : sets)
        txn.put(r.by_set_, set_key(spec, object.datestamp, *key), "");

    for (const std::string& id : object.images) {
        auto page = image_key(id);
        if (!page) continue;
        auto image_text = txn.find(r.images_, *page);
        if (!image_text) continue;
        ImageRecord image = image_record_from_json(*image_text);
        image.state = RecordState::withdrawn;
        txn.put(r.images_, *page, image_record_to_json(image));
    }
    txn.commit();
}

void CatalogWriter::clear() {
    const CatalogReader& r = reader_;
    Txn txn(env_, 0);
    for (MDB_dbi dbi : {r.objects_, r.images_, r.arks_, r.files_, r.by_date_, r.by_set_, r.meta_})
        check(mdb_drop(txn.get(), dbi, 0), "mdb_drop");
    txn.put(r.meta_, "schema", kSchema);
    txn.commit();
}

}  // namespace iiif
