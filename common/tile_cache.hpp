// The derivative cache (tiles.mdb): encoded images, info.json documents and probed source
// descriptions, shared by every nginx worker through one LMDB environment.
//
// Keys are SHA-256 digests of a key text that names the source's identity and version and the
// canonical request, so a replaced source makes its old entries unreachable at once. Reads
// never block (LMDB readers take no lock); writes serialise on LMDB's writer lock and are made
// only from render threads. The cache is an optimisation: every failure (full, locked, corrupt)
// is reported as a miss or a dropped write, never as an error to the client.
//
// Eviction is approximated LRU, as Redis does it: each entry has an access stamp; when the
// data outgrows the configured size, the writer samples entries from random points of the
// (uniformly distributed) key space and evicts the least recently used of each sample. Hits
// are recorded in memory and their stamps written in batches by the next writer.
#pragma once

#include <lmdb.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace iiif {

using CacheKey = std::array<unsigned char, 32>;

CacheKey make_cache_key(std::string_view text);
std::string cache_key_hex(const CacheKey& key);

struct CacheEntry {
    std::string media_type;
    std::string bytes;
    std::int64_t stored_at = 0;  // unix seconds
};

struct CacheStats {
    std::int64_t entries = 0;
    std::int64_t used_bytes = 0;  // pages in use by the data, not the file size
    std::int64_t max_bytes = 0;
    std::int64_t evictions = 0;   // by this process
};

class TileCache {
public:
    // Opens (creating if needed) the environment in `directory`. On failure returns null and
    // says why in `error`; the caller serves without a cache.
    static std::unique_ptr<TileCache> open(const std::string& directory, std::int64_t max_bytes,
                                           std::string* error);
    ~TileCache();
    TileCache(const TileCache&) = delete;
    TileCache& operator=(const TileCache&) = delete;

    // A copy of the entry, or nullopt on a miss or any LMDB error. Never blocks.
    std::optional<CacheEntry> get(const CacheKey& key);
    // Records a hit for the eviction policy (in memory; written by the next writer).
    void touch(const CacheKey& key);
    // Stores an entry, evicting if the data outgrows max_bytes. Blocks on LMDB's writer lock:
    // call from a render thread, never from the event loop. Returns false if it was dropped.
    bool put(const CacheKey& key, std::string_view media_type, std::string_view bytes);
    // Writes the recorded hits' stamps. Blocks like put().
    void flush_touches();
    bool touches_pending();

    CacheStats stats();
    const std::string& directory() const { return directory_; }

private:
    TileCache() = default;
    void write_touches(MDB_txn* txn, std::int64_t now);
    void evict(MDB_txn* txn, std::int64_t used_bytes);
    std::int64_t used_bytes(MDB_txn* txn);

    std::string directory_;
    std::int64_t max_bytes_ = 0;
    MDB_env* env_ = nullptr;
    MDB_dbi entries_ = 0;  // key -> [u64 stored_at][u16 type length][type][bytes]
    MDB_dbi stamps_ = 0;   // key -> u64 last access (unix microseconds)

    std::mutex touch_mutex_;
    std::unordered_set<std::string> touched_;
    std::int64_t oldest_touch_ = 0;
    std::atomic<std::int64_t> evictions_{0};
};

}  // namespace iiif
