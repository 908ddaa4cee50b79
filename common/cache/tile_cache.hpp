// The derivative cache (tiles.mdb): encoded images, info.json documents and probed source
// descriptions, shared by every nginx worker through one LMDB environment.
//
// A key is 32 bytes: the first 8 bytes of SHA-256(group), then the first 24 of SHA-256(text).
// The text names the source's identity and version and the canonical request, so a replaced
// source makes its old entries unreachable at once; the group names the image (for a catalog
// image, image_cache_group()), so all entries of one image lie together in key order and a
// takedown can delete them with one range scan (purge_group). Reads never block (LMDB readers
// take no lock); writes serialise on LMDB's writer lock and are made only from render threads,
// or from iiifd when it purges. The cache is an optimisation: every failure (full, locked,
// corrupt) is reported as a miss or a dropped write, never as an error to the client.
//
// Eviction is approximated LRU, as Redis does it: each entry has an access stamp; when the
// data outgrows the configured size, the writer samples entries from random points of the
// stamps' key space and evicts the least recently used of each sample. The stamps are keyed by
// the entry's key rotated by 8 bytes (text digest first, group digest last), so their key
// space stays uniform although the entries' is grouped: a sample is of entries, not of
// groups, and an image with a thousand tiles is sampled a thousand times as often as one with
// a single info.json. Hits are recorded in memory and their stamps written in batches by the
// next writer.
//
// A server reads hits in place (get_pinned): the bytes in LMDB's map, pinned by a read snapshot
// shared by the responses in flight (snapshot_pins.hpp), and written to the socket from there
// (never with sendfile(): LMDB reuses a freed entry's pages, see snapshot_pins.hpp).
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

#include "snapshot_pins.hpp"

namespace iiif {

using CacheKey = std::array<unsigned char, 32>;

// The key of `text` in `group`: all keys of one group share their first 8 bytes.
CacheKey make_cache_key(std::string_view group, std::string_view text);
// SHA-256 of `text`, ungrouped: for validators (ETags) made from a document's bytes, and for
// cache keys until every caller names a group.
CacheKey make_cache_key(std::string_view text);
std::string cache_key_hex(const CacheKey& key);

// The group of a catalog image's entries: "catalog|{key}", the key as catalog_image_key()
// makes it (e.g. "ark:/67375/39D6W3GQPXDV/f1"). iiifd computes it for each page of an object
// it takes down.
std::string image_cache_group(std::string_view catalog_image_key);

struct CacheEntry {
    std::string media_type;
    std::string bytes;
    std::int64_t stored_at = 0;  // unix seconds
};

// An entry read in place: views into LMDB's map (or into a copy, when it came after the newest
// pinned snapshot), valid while `pin` lives.
struct PinnedEntry {
    std::string_view media_type;
    std::string_view bytes;
    std::int64_t stored_at = 0;
    std::shared_ptr<const void> pin;
    size_t commit = 0;  // the LMDB commit it was read in; 0: copied
};

struct CacheStats {
    std::int64_t entries = 0;
    std::int64_t used_bytes = 0;  // pages in use by the data, not the file size
    std::int64_t max_bytes = 0;
    std::int64_t evictions = 0;  // by this process
};

class TileCache {
  public:
    // Opens (creating if needed) the environment in `directory`. On failure returns null and
    // says why in `error`; the caller serves without a cache.
    static std::unique_ptr<TileCache> open(const std::string& directory, std::int64_t max_bytes,
                                           std::string* error);
    // Opens the environment nginx's workers made, from another process (iiifd), to purge it:
    // creates nothing (the files stay nginx's), adopts the map size recorded in the file (a
    // writer persists the larger of its own and the file's, so nothing here shrinks it), and
    // adopts a larger one when the workers' data outgrows this map. Stores nothing: put()
    // refuses. Use it from one thread. Null with a reason when there is no cache there yet.
    static std::unique_ptr<TileCache> open_existing(const std::string& directory,
                                                    std::string* error);
    ~TileCache();
    TileCache(const TileCache&) = delete;
    TileCache& operator=(const TileCache&) = delete;

    // A copy of the entry, or nullopt on a miss or any LMDB error. Never blocks.
    std::optional<CacheEntry> get(const CacheKey& key);
    // The entry in place, pinned (see PinnedEntry), or nullopt on a miss or any LMDB error. For
    // a server's event loop: never blocks, allocates nothing on a hit of the latest commit.
    // Each pin keeps a snapshot's reader slot and its pages from reuse: hold it for one response.
    // `seen`, when given, is this key's entry as an earlier call returned it, kept without its
    // pin: if the snapshot leased now is of the same commit, the lookup is skipped and its views
    // are returned, pinned again. They are as valid as a lookup's: a commit's tree never
    // changes, and the snapshot now pinned is of that commit.
    std::optional<PinnedEntry> get_pinned(const CacheKey& key, const PinnedEntry* seen = nullptr);
    // Ends the pinned snapshots no response needs any more (see SnapshotPins::release_idle):
    // from a timer of the server, every few seconds.
    void release_idle_pins();
    // Records a hit for the eviction policy (in memory; written by the next writer).
    void touch(const CacheKey& key);
    // Stores an entry, evicting if the data outgrows max_bytes. Blocks on LMDB's writer lock:
    // call from a render thread, never from the event loop. Returns false if it was dropped.
    bool put(const CacheKey& key, std::string_view media_type, std::string_view bytes);
    // Writes the recorded hits' stamps. Blocks like put().
    void flush_touches();
    bool touches_pending();

    // Deletes every entry of the group and its stamp, in write transactions of a bounded
    // number of entries (a render thread waits on the writer lock for one batch, not for a
    // whole image). Returns how many were deleted; throws std::runtime_error on an LMDB
    // failure (the batches before it stay deleted). Blocks like put(): for iiifd.
    std::int64_t purge_group(std::string_view group);
    // How many entries the group holds (read only; for tests and logs). Throws like purge_group.
    std::int64_t count_group(std::string_view group);
    // How many pinned snapshots this process holds (for tests).
    int pinned_snapshots();

    CacheStats stats();
    // The entries this process evicted (stats().evictions without a read transaction): any
    // thread, for a server's metrics.
    std::int64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }
    const std::string& directory() const { return directory_; }

  private:
    struct ReadTxn;
    TileCache() = default;
    static std::unique_ptr<TileCache> open_environment(const std::string& directory,
                                                       std::int64_t max_bytes, bool existing,
                                                       std::string* error);
    int begin(unsigned int flags, MDB_txn** txn);
    void write_touches(MDB_txn* txn, std::int64_t now);
    void evict(MDB_txn* txn, std::int64_t used_bytes);
    std::int64_t used_bytes(MDB_txn* txn);

    std::string directory_;
    std::int64_t max_bytes_ = 0;
    MDB_env* env_ = nullptr;  // closed by pins_ once the last pin is gone, when there are pins_
    std::shared_ptr<SnapshotPins> pins_;
    MDB_dbi entries_ = 0;           // key -> [u64 stored_at][u16 type length][type][bytes]
    MDB_dbi stamps_ = 0;            // key rotated by 8 bytes -> u64 last access (unix microseconds)
    bool adopts_map_size_ = false;  // open_existing(): follows the workers' map size

    struct KeyHash {
        size_t operator()(const CacheKey& key) const;
    };
    std::mutex touch_mutex_;
    std::unordered_set<CacheKey, KeyHash> touched_;
    std::int64_t oldest_touch_ = 0;
    std::atomic<std::int64_t> evictions_{0};
};

}  // namespace iiif
