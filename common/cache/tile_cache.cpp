#include "tile_cache.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <random>
#include <stdexcept>
#include <vector>

#include "clock.hpp"
#include "encoding.hpp"
#include "shared_files.hpp"

namespace iiif {
namespace {

// Eviction brings the data down to this fraction of max_bytes, so it runs in bursts rather
// than on every write once the cache is full.
constexpr double kLowWater = 0.9;
constexpr int kSampleSize = 8;
constexpr int kMaxEvictionsPerWrite = 20000;
// Recorded hits are written when there are this many, or when the oldest is this old.
constexpr size_t kTouchBatch = 512;
constexpr std::int64_t kTouchDelaySeconds = 10;
// Entries deleted per write transaction of a purge.
constexpr int kPurgeBatch = 1000;
// Bytes of a key taken from the group's digest; the rest are the text's.
constexpr size_t kGroupBytes = 8;

// Access stamps are in microseconds: a burst of tiles within one second must still be ordered.
std::int64_t now_micros() {
    timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
}

MDB_val view(const CacheKey& key) {
    return {key.size(), const_cast<unsigned char*>(key.data())};
}

void sha256(std::string_view text, unsigned char* out) {
    // Fetched once: OpenSSL 3's one-shot SHA256() looks the algorithm up on every call, which
    // costs more than hashing a key of a hundred bytes.
    static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!md || !EVP_Digest(text.data(), text.size(), out, nullptr, md, nullptr))
        SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out);
}

// The key of an entry's stamp: its key rotated by the group's bytes, so that the stamps, which
// eviction samples, lie in the order of the texts' digests (uniform), not grouped.
CacheKey stamp_key(const CacheKey& key) {
    CacheKey rotated;
    std::rotate_copy(key.begin(), key.begin() + kGroupBytes, key.end(), rotated.begin());
    return rotated;
}

CacheKey entry_key(const unsigned char* stamp) {
    CacheKey key;
    std::rotate_copy(stamp, stamp + key.size() - kGroupBytes, stamp + key.size(), key.begin());
    return key;
}

// The first key a group can have: its prefix, then zeros.
CacheKey group_start(std::string_view group) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    sha256(group, digest);
    CacheKey start{};
    std::memcpy(start.data(), digest, kGroupBytes);
    return start;
}

bool in_group(const MDB_val& key, const CacheKey& start) {
    return key.mv_size == start.size() && std::memcmp(key.mv_data, start.data(), kGroupBytes) == 0;
}

std::runtime_error lmdb_failure(const std::string& directory, const char* what, int code) {
    return std::runtime_error("cache " + directory + ": " + what + ": " + mdb_strerror(code));
}

void put_u64(unsigned char* out, std::uint64_t value) {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(value >> (8 * i));
}

std::uint64_t get_u64(const unsigned char* in) {
    std::uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = (value << 8) | in[i];
    return value;
}

// An entry's value: [u64 stored_at][u16 type length][type][bytes]. Views into `value`.
struct EntryView {
    std::string_view media_type;
    std::string_view bytes;
    std::int64_t stored_at = 0;
};

std::optional<EntryView> decode_entry(const MDB_val& value) {
    if (value.mv_size < 10) return std::nullopt;
    const auto* data = static_cast<const unsigned char*>(value.mv_data);
    const size_t type_length = data[8] | (static_cast<size_t>(data[9]) << 8);
    if (10 + type_length > value.mv_size) return std::nullopt;
    const char* text = static_cast<const char*>(value.mv_data);
    return EntryView{{text + 10, type_length},
                     {text + 10 + type_length, value.mv_size - 10 - type_length},
                     static_cast<std::int64_t>(get_u64(data))};
}

}  // namespace

size_t TileCache::KeyHash::operator()(const CacheKey& key) const {
    // The text's digest: uniform, where the group's bytes are one value for a whole image.
    std::uint64_t hash;
    std::memcpy(&hash, key.data() + kGroupBytes, sizeof hash);
    return static_cast<size_t>(hash);
}

struct TileCache::ReadTxn {
    MDB_txn* txn = nullptr;
    int rc = 0;
    explicit ReadTxn(TileCache& cache) {
        rc = cache.begin(MDB_RDONLY, &txn);
        if (rc != 0) txn = nullptr;
    }
    ~ReadTxn() {
        if (txn) mdb_txn_abort(txn);
    }
};

CacheKey make_cache_key(std::string_view group, std::string_view text) {
    CacheKey key = group_start(group);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    sha256(text, digest);
    std::memcpy(key.data() + kGroupBytes, digest, key.size() - kGroupBytes);
    return key;
}

CacheKey make_cache_key(std::string_view text) {
    CacheKey key;
    sha256(text, key.data());
    return key;
}

std::string image_cache_group(std::string_view catalog_image_key) {
    return "catalog|" + std::string(catalog_image_key);
}

std::string cache_key_hex(const CacheKey& key) {
    return hex_encode(key.data(), key.size());
}

std::unique_ptr<TileCache> TileCache::open(const std::string& directory, std::int64_t max_bytes,
                                           std::string* error) {
    return open_environment(directory, max_bytes, false, error);
}

std::unique_ptr<TileCache> TileCache::open_existing(const std::string& directory,
                                                    std::string* error) {
    return open_environment(directory, 0, true, error);
}

std::unique_ptr<TileCache> TileCache::open_environment(const std::string& directory,
                                                       std::int64_t max_bytes, bool existing,
                                                       std::string* error) {
    std::unique_ptr<TileCache> cache(new TileCache());
    cache->directory_ = directory;
    cache->max_bytes_ = max_bytes;
    cache->adopts_map_size_ = existing;
    auto fail = [&](const std::string& what, int code) {
        *error = "cache " + directory + ": " + what + ": " + mdb_strerror(code);
        return nullptr;
    };
    if (existing) {
        struct stat data;
        if (stat((directory + "/data.mdb").c_str(), &data) != 0)
            return fail("data.mdb (nginx makes it on its first start)", errno);
    } else if (mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST) {
        return fail("mkdir", errno);
    }

    int rc = mdb_env_create(&cache->env_);
    if (rc != 0) return fail("mdb_env_create", rc);
    // Room for the data plus the pages that old read snapshots keep alive. Left unset, LMDB
    // takes the size recorded in the file: the largest any writer has used.
    if (!existing) {
        std::int64_t map_size = std::max<std::int64_t>(max_bytes * 2, max_bytes + (256 << 20));
        mdb_env_set_mapsize(cache->env_, static_cast<size_t>(map_size));
    }
    mdb_env_set_maxreaders(cache->env_, 1024);
    mdb_env_set_maxdbs(cache->env_, 4);
    // NOTLS: a pool thread may hold a read txn while another opens one. NOSYNC: a rebuildable
    // cache does not pay an fsync per tile; a system crash costs, at worst, the cache.
    rc =
        mdb_env_open(cache->env_, directory.c_str(), MDB_NOTLS | MDB_NOSYNC | MDB_NOMETASYNC, 0664);
    if (rc != 0) return fail("mdb_env_open", rc);
    // Shared with a group: iiifd's purger, in it, deletes a withdrawn image's entries.
    share_with_group(directory + "/data.mdb");
    share_with_group(directory + "/lock.mdb");
    int dead = 0;
    mdb_reader_check(cache->env_, &dead);  // slots left by crashed workers

    MDB_txn* txn = nullptr;
    rc = cache->begin(0, &txn);
    if (rc != 0) return fail("mdb_txn_begin", rc);
    rc = mdb_dbi_open(txn, "entries", MDB_CREATE, &cache->entries_);
    if (rc == 0) rc = mdb_dbi_open(txn, "recency", MDB_CREATE, &cache->stamps_);
    // A cache written before entries were grouped kept its stamps under the entries' own keys,
    // in "stamps": under the new layout none of its entries would ever be evicted. It is
    // emptied, once, by whichever process opens it first.
    MDB_dbi old_stamps = 0;
    if (rc == 0 && mdb_dbi_open(txn, "stamps", 0, &old_stamps) == 0) {
        rc = mdb_drop(txn, cache->entries_, 0);
        if (rc == 0) rc = mdb_drop(txn, old_stamps, 1);
    }
    if (rc != 0) {
        mdb_txn_abort(txn);
        return fail("mdb_dbi_open", rc);
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) return fail("mdb_txn_commit", rc);
    cache->pins_ = SnapshotPins::adopt(cache->env_);
    return cache;
}

int TileCache::begin(unsigned int flags, MDB_txn** txn) {
    int rc = mdb_txn_begin(env_, nullptr, flags, txn);
    // The workers' data grew past this handle's map (they map more than the file recorded
    // when it was opened): adopt their size. Allowed here, with no transaction open, because
    // an open_existing() handle is used from one thread.
    if (rc == MDB_MAP_RESIZED && adopts_map_size_ && mdb_env_set_mapsize(env_, 0) == 0)
        rc = mdb_txn_begin(env_, nullptr, flags, txn);
    return rc;
}

TileCache::~TileCache() {
    if (pins_)
        pins_->close();  // which closes env_ once no response holds a pin
    else if (env_)
        mdb_env_close(env_);
}

std::optional<CacheEntry> TileCache::get(const CacheKey& key) {
    ReadTxn read(*this);
    if (!read.txn) return std::nullopt;
    MDB_val k = view(key), value;
    if (mdb_get(read.txn, entries_, &k, &value) != 0) return std::nullopt;
    const std::optional<EntryView> entry = decode_entry(value);
    if (!entry) return std::nullopt;
    return CacheEntry{std::string(entry->media_type), std::string(entry->bytes), entry->stored_at};
}

std::optional<PinnedEntry> TileCache::get_pinned(const CacheKey& key, const PinnedEntry* seen) {
    {
        SnapshotPins::Lease lease = pins_->lease();
        if (lease.txn() && seen && seen->commit != 0 && seen->commit == lease.commit()) {
            PinnedEntry pinned = *seen;
            pinned.pin = lease.pin();
            return pinned;
        }
        if (lease.txn()) {
            MDB_val k = view(key), value;
            const int rc = mdb_get(lease.txn(), entries_, &k, &value);
            if (rc == 0) {
                const std::optional<EntryView> entry = decode_entry(value);
                if (!entry) return std::nullopt;
                PinnedEntry pinned;
                pinned.media_type = entry->media_type;
                pinned.bytes = entry->bytes;
                pinned.stored_at = entry->stored_at;
                pinned.pin = lease.pin();
                pinned.commit = lease.commit();
                return pinned;
            }
            if (rc != MDB_NOTFOUND || lease.latest()) return std::nullopt;
        }
    }
    // No reader slot for a snapshot, or every snapshot held is older than the entry: the
    // latest commit, copied (the copy is the pin).
    std::optional<CacheEntry> copied = get(key);
    if (!copied) return std::nullopt;
    auto owned = std::make_shared<const CacheEntry>(std::move(*copied));
    PinnedEntry pinned;
    pinned.media_type = owned->media_type;
    pinned.bytes = owned->bytes;
    pinned.stored_at = owned->stored_at;
    pinned.pin = std::move(owned);
    return pinned;
}

void TileCache::release_idle_pins() {
    pins_->release_idle();
}

int TileCache::pinned_snapshots() {
    return pins_->held();
}

void TileCache::touch(const CacheKey& key) {
    std::lock_guard lock(touch_mutex_);
    if (touched_.empty()) oldest_touch_ = now_seconds();
    if (touched_.size() < kTouchBatch * 8) touched_.insert(key);
}

bool TileCache::touches_pending() {
    std::lock_guard lock(touch_mutex_);
    return touched_.size() >= kTouchBatch ||
           (!touched_.empty() && now_seconds() - oldest_touch_ >= kTouchDelaySeconds);
}

void TileCache::write_touches(MDB_txn* txn, std::int64_t now) {
    std::unordered_set<CacheKey, KeyHash> keys;
    {
        std::lock_guard lock(touch_mutex_);
        keys.swap(touched_);
    }
    unsigned char stamp[8];
    put_u64(stamp, static_cast<std::uint64_t>(now));
    for (const CacheKey& key : keys) {
        MDB_val k = view(key), existing;
        // Only entries that still exist get a stamp; an evicted or purged key stays so.
        if (mdb_get(txn, entries_, &k, &existing) != 0) continue;
        CacheKey at = stamp_key(key);
        MDB_val s = view(at), v{sizeof stamp, stamp};
        mdb_put(txn, stamps_, &s, &v, 0);
    }
}

void TileCache::flush_touches() {
    MDB_txn* txn = nullptr;
    if (begin(0, &txn) != 0) return;
    write_touches(txn, now_micros());
    mdb_txn_commit(txn);
}

std::int64_t TileCache::used_bytes(MDB_txn* txn) {
    std::int64_t total = 0;
    for (MDB_dbi dbi : {entries_, stamps_}) {
        MDB_stat stat;
        if (mdb_stat(txn, dbi, &stat) != 0) continue;
        total += static_cast<std::int64_t>(stat.ms_branch_pages + stat.ms_leaf_pages +
                                           stat.ms_overflow_pages) *
                 stat.ms_psize;
    }
    return total;
}

void TileCache::evict(MDB_txn* txn, std::int64_t used) {
    const auto target = static_cast<std::int64_t>(static_cast<double>(max_bytes_) * kLowWater);
    thread_local std::mt19937_64 random{std::random_device{}()};
    MDB_cursor* cursor = nullptr;
    if (mdb_cursor_open(txn, stamps_, &cursor) != 0) return;
    for (int round = 0; round < kMaxEvictionsPerWrite && used > target; ++round) {
        // Stamp keys begin with the texts' digests, so a random point of their key space
        // starts a fair sample.
        CacheKey probe;
        for (size_t i = 0; i < probe.size(); i += 8) put_u64(probe.data() + i, random());
        MDB_val k = view(probe), v;
        int rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
        if (rc == MDB_NOTFOUND) rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST);
        if (rc != 0) break;  // nothing left
        std::string victim;
        std::uint64_t oldest = UINT64_MAX;
        // The sample wraps around the end of the key space, so it is never smaller near it.
        std::string first(static_cast<char*>(k.mv_data), k.mv_size);
        for (int i = 0; i < kSampleSize && rc == 0; ++i) {
            std::uint64_t stamp =
                v.mv_size == 8 ? get_u64(static_cast<unsigned char*>(v.mv_data)) : 0;
            if (stamp < oldest) {
                oldest = stamp;
                victim.assign(static_cast<char*>(k.mv_data), k.mv_size);
            }
            rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
            if (rc == MDB_NOTFOUND) rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST);
            if (rc == 0 && std::string_view(static_cast<char*>(k.mv_data), k.mv_size) == first)
                break;  // fewer entries than a sample: all were seen
        }
        if (victim.size() != sizeof(CacheKey)) break;
        CacheKey entry = entry_key(reinterpret_cast<const unsigned char*>(victim.data()));
        MDB_val entry_at = view(entry), stamp_at{victim.size(), victim.data()};
        mdb_del(txn, entries_, &entry_at, nullptr);
        mdb_del(txn, stamps_, &stamp_at, nullptr);
        ++evictions_;
        used = used_bytes(txn);
    }
    mdb_cursor_close(cursor);
}

bool TileCache::put(const CacheKey& key, std::string_view media_type, std::string_view bytes) {
    if (media_type.size() > 0xFFFF) return false;
    const std::int64_t now = now_seconds();
    std::vector<unsigned char> value(10 + media_type.size() + bytes.size());
    put_u64(value.data(), static_cast<std::uint64_t>(now));
    value[8] = static_cast<unsigned char>(media_type.size() & 0xFF);
    value[9] = static_cast<unsigned char>(media_type.size() >> 8);
    std::memcpy(value.data() + 10, media_type.data(), media_type.size());
    std::memcpy(value.data() + 10 + media_type.size(), bytes.data(), bytes.size());
    if (static_cast<std::int64_t>(value.size()) > max_bytes_ / 4) return false;

    // Two tries: if the map is full, the second one evicts harder first.
    for (int attempt = 0; attempt < 2; ++attempt) {
        MDB_txn* txn = nullptr;
        if (begin(0, &txn) != 0) return false;
        write_touches(txn, now_micros());
        std::int64_t used = used_bytes(txn) + static_cast<std::int64_t>(value.size());
        if (attempt == 1) used = max_bytes_ + 1;  // force a round of eviction
        if (used > max_bytes_) evict(txn, used);
        MDB_val k = view(key), v{value.size(), value.data()};
        CacheKey at = stamp_key(key);
        MDB_val sk = view(at);
        unsigned char stamp[8];
        put_u64(stamp, static_cast<std::uint64_t>(now_micros()));
        MDB_val s{sizeof stamp, stamp};
        int rc = mdb_put(txn, entries_, &k, &v, 0);
        if (rc == 0) rc = mdb_put(txn, stamps_, &sk, &s, 0);
        if (rc == 0)
            rc = mdb_txn_commit(txn);
        else
            mdb_txn_abort(txn);
        if (rc == 0) return true;
        if (rc != MDB_MAP_FULL && rc != MDB_TXN_FULL) return false;
    }
    return false;
}

std::int64_t TileCache::purge_group(std::string_view group) {
    const CacheKey start = group_start(group);
    std::int64_t purged = 0;
    for (;;) {
        MDB_txn* txn = nullptr;
        int rc = begin(0, &txn);
        if (rc != 0) throw lmdb_failure(directory_, "mdb_txn_begin", rc);
        MDB_cursor* cursor = nullptr;
        rc = mdb_cursor_open(txn, entries_, &cursor);
        if (rc != 0) {
            mdb_txn_abort(txn);
            throw lmdb_failure(directory_, "mdb_cursor_open", rc);
        }
        int batch = 0;
        MDB_val k = view(start), v;
        rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
        while (rc == 0 && batch < kPurgeBatch && in_group(k, start)) {
            CacheKey entry;
            std::memcpy(entry.data(), k.mv_data, entry.size());
            CacheKey at = stamp_key(entry);
            MDB_val s = view(at);
            rc = mdb_del(txn, stamps_, &s, nullptr);
            if (rc == 0 || rc == MDB_NOTFOUND) rc = mdb_cursor_del(cursor, 0);
            if (rc != 0) break;
            ++batch;
            // After a deletion the cursor's next is the entry that followed the deleted one.
            rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
        }
        mdb_cursor_close(cursor);
        if (rc != 0 && rc != MDB_NOTFOUND) {
            mdb_txn_abort(txn);
            throw lmdb_failure(directory_, "purge", rc);
        }
        rc = mdb_txn_commit(txn);
        if (rc != 0) throw lmdb_failure(directory_, "mdb_txn_commit", rc);
        purged += batch;
        if (batch < kPurgeBatch) return purged;
    }
}

std::int64_t TileCache::count_group(std::string_view group) {
    const CacheKey start = group_start(group);
    ReadTxn read(*this);
    if (!read.txn) throw lmdb_failure(directory_, "mdb_txn_begin", read.rc);
    MDB_cursor* cursor = nullptr;
    int rc = mdb_cursor_open(read.txn, entries_, &cursor);
    if (rc != 0) throw lmdb_failure(directory_, "mdb_cursor_open", rc);
    std::int64_t count = 0;
    MDB_val k = view(start), v;
    for (rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE); rc == 0 && in_group(k, start);
         rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT))
        ++count;
    mdb_cursor_close(cursor);
    if (rc != 0 && rc != MDB_NOTFOUND) throw lmdb_failure(directory_, "count", rc);
    return count;
}

CacheStats TileCache::stats() {
    CacheStats stats;
    stats.max_bytes = max_bytes_;
    stats.evictions = evictions_;
    ReadTxn read(*this);
    if (!read.txn) return stats;
    MDB_stat stat;
    if (mdb_stat(read.txn, entries_, &stat) == 0)
        stats.entries = static_cast<std::int64_t>(stat.ms_entries);
    stats.used_bytes = used_bytes(read.txn);
    return stats;
}

}  // namespace iiif
