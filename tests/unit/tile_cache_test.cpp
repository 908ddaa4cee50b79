// The LMDB tile cache on real LMDB files in a scratch directory.
#include "tile_cache.hpp"

#include <lmdb.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "catalog.hpp"
#include "test_images.hpp"

using namespace iiif;

namespace {

std::string fresh_dir(const std::string& name) {
    auto dir = test_images::scratch_dir() / name;
    std::filesystem::remove_all(dir);
    return dir.string();
}

std::unique_ptr<TileCache> open_cache(const std::string& dir, std::int64_t max_bytes) {
    std::string error;
    auto cache = TileCache::open(dir, max_bytes, &error);
    INFO(error);
    REQUIRE(cache);
    return cache;
}

std::string payload(size_t size, char fill) {
    return std::string(size, fill);
}

constexpr std::int64_t kMiB = 1024 * 1024;

// The number of records of each named database of a closed cache, read with LMDB itself (never
// while a TileCache of this process has the directory open: LMDB's locks are per process).
std::map<std::string, size_t> raw_counts(const std::string& dir, size_t* map_size = nullptr) {
    std::map<std::string, size_t> counts;
    MDB_env* env = nullptr;
    REQUIRE(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 4);
    REQUIRE(mdb_env_open(env, dir.c_str(), MDB_RDONLY, 0644) == 0);
    if (map_size) {
        MDB_envinfo info;
        mdb_env_info(env, &info);
        *map_size = info.me_mapsize;
    }
    MDB_txn* txn = nullptr;
    REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
    for (const char* name : {"entries", "recency", "stamps"}) {
        MDB_dbi dbi;
        MDB_stat stat;
        if (mdb_dbi_open(txn, name, 0, &dbi) == 0 && mdb_stat(txn, dbi, &stat) == 0)
            counts[name] = stat.ms_entries;
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return counts;
}

std::string tile_text(int i) {
    return "image|3|full/" + std::to_string(i) + ",/0/default.jpg";
}

// Runs `body` in a child process (a second process on the cache, as iiifd is beside nginx's
// workers) and returns what it wrote, or "failed".
std::string in_child(const std::function<std::string()>& body) {
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(pipe_fds[0]);
        std::string out;
        try {
            out = body();
        } catch (const std::exception& e) {
            out = std::string("threw: ") + e.what();
        }
        ssize_t ignored = write(pipe_fds[1], out.data(), out.size());
        (void)ignored;
        _exit(0);
    }
    close(pipe_fds[1]);
    std::string out;
    char buffer[256];
    for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) out.append(buffer, n);
    close(pipe_fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? out : "failed";
}

}  // namespace

TEST_CASE("cache: a stored entry comes back with its bytes and media type", "[cache]") {
    auto cache = open_cache(fresh_dir("roundtrip"), 64 * kMiB);
    CacheKey key = make_cache_key("image|a|full/max/0/default.jpg");
    std::string bytes = "\xFF\xD8\xFF\xE0 not quite a jpeg \0 with a NUL";
    REQUIRE(cache->put(key, "image/jpeg", bytes));
    auto entry = cache->get(key);
    REQUIRE(entry);
    CHECK(entry->media_type == "image/jpeg");
    CHECK(entry->bytes == bytes);
    CHECK(entry->stored_at > 0);
}

TEST_CASE("cache: an unknown key is a miss", "[cache]") {
    auto cache = open_cache(fresh_dir("miss"), 64 * kMiB);
    CHECK_FALSE(cache->get(make_cache_key("never stored")));
}

TEST_CASE("cache: keys are SHA-256 digests of the key text", "[cache]") {
    CHECK(cache_key_hex(make_cache_key("abc")) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(make_cache_key("a|b") != make_cache_key("a|c"));
}

TEST_CASE("cache: entries survive closing and reopening the environment", "[cache]") {
    std::string dir = fresh_dir("reopen");
    CacheKey key = make_cache_key("persistent");
    {
        auto cache = open_cache(dir, 64 * kMiB);
        REQUIRE(cache->put(key, "image/png", "pixels"));
    }
    auto cache = open_cache(dir, 64 * kMiB);
    auto entry = cache->get(key);
    REQUIRE(entry);
    CHECK(entry->bytes == "pixels");
}

TEST_CASE("cache: an entry replaces the previous one under the same key", "[cache]") {
    auto cache = open_cache(fresh_dir("replace"), 64 * kMiB);
    CacheKey key = make_cache_key("k");
    REQUIRE(cache->put(key, "image/png", "first"));
    REQUIRE(cache->put(key, "image/webp", "second"));
    CHECK(cache->get(key)->bytes == "second");
    CHECK(cache->get(key)->media_type == "image/webp");
    CHECK(cache->stats().entries == 1);
}

TEST_CASE("cache: the data stays under the configured size", "[cache]") {
    auto cache = open_cache(fresh_dir("bounded"), 16 * kMiB);
    for (int i = 0; i < 120; ++i)
        REQUIRE(cache->put(make_cache_key("tile " + std::to_string(i)), "image/jpeg",
                           payload(256 * 1024, static_cast<char>('a' + i % 26))));
    CacheStats stats = cache->stats();
    CHECK(stats.used_bytes <= 16 * kMiB);
    CHECK(stats.entries < 120);
    CHECK(stats.entries >= 40);  // eviction goes down to 90%, not to nothing
    CHECK(stats.evictions == 120 - stats.entries);
    // The newest entry is always kept.
    CHECK(cache->get(make_cache_key("tile 119")));
}

TEST_CASE("cache: entries that are read often survive eviction", "[cache]") {
    auto cache = open_cache(fresh_dir("hot"), 16 * kMiB);
    std::vector<CacheKey> hot;
    for (int i = 0; i < 8; ++i) {
        hot.push_back(make_cache_key("hot " + std::to_string(i)));
        REQUIRE(cache->put(hot.back(), "image/jpeg", payload(128 * 1024, 'h')));
    }
    // 40 MiB of cold tiles stream through a 16 MiB cache while the hot ones keep being read.
    for (int i = 0; i < 320; ++i) {
        for (const CacheKey& key : hot)
            if (cache->get(key)) cache->touch(key);
        REQUIRE(cache->put(make_cache_key("cold " + std::to_string(i)), "image/jpeg",
                           payload(128 * 1024, 'c')));
    }
    int hot_left = 0;
    for (const CacheKey& key : hot) hot_left += cache->get(key) ? 1 : 0;
    int cold_left = 0;
    for (int i = 0; i < 320; ++i)
        cold_left += cache->get(make_cache_key("cold " + std::to_string(i))) ? 1 : 0;
    CHECK(hot_left == 8);
    CHECK(cold_left < 320);
}

TEST_CASE("cache: a value larger than a quarter of the cache is not stored", "[cache]") {
    auto cache = open_cache(fresh_dir("too-big"), 16 * kMiB);
    CacheKey key = make_cache_key("huge");
    CHECK_FALSE(cache->put(key, "image/tiff", payload(5 * kMiB, 'x')));
    CHECK_FALSE(cache->get(key));
}

TEST_CASE("cache: a corrupt environment is refused at open with a reason", "[cache]") {
    std::string dir = fresh_dir("corrupt");
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/data.mdb", std::ios::binary) << payload(64 * 1024, '\xAB');
    std::string error;
    auto cache = TileCache::open(dir, 16 * kMiB, &error);
    CHECK_FALSE(cache);
    CHECK(error.find(dir) != std::string::npos);
}

TEST_CASE("cache: a directory that cannot be created is refused with a reason", "[cache]") {
    std::string error;
    auto cache = TileCache::open("/proc/iiif-cache-cannot-be-here", 16 * kMiB, &error);
    CHECK_FALSE(cache);
    CHECK(error.find("mkdir") != std::string::npos);
}

TEST_CASE("cache: recorded hits are written in batches", "[cache]") {
    auto cache = open_cache(fresh_dir("touches"), 64 * kMiB);
    CacheKey key = make_cache_key("t");
    REQUIRE(cache->put(key, "image/png", "x"));
    CHECK_FALSE(cache->touches_pending());
    for (int i = 0; i < 600; ++i) cache->touch(make_cache_key("t" + std::to_string(i)));
    CHECK(cache->touches_pending());  // 600 distinct keys exceed the batch of 512
    cache->flush_touches();
    CHECK_FALSE(cache->touches_pending());
}

TEST_CASE("cache: a grouped key is the group's digest's first 8 bytes, then the text's first 24",
          "[tile_cache]") {
    const std::string key = cache_key_hex(make_cache_key("g", "t"));
    CHECK(key.substr(0, 16) == cache_key_hex(make_cache_key("g")).substr(0, 16));
    CHECK(key.substr(16) == cache_key_hex(make_cache_key("t")).substr(0, 48));
    CHECK(make_cache_key("g", "t") != make_cache_key("h", "t"));
    CHECK(make_cache_key("g", "t") != make_cache_key("g", "u"));
}

TEST_CASE("cache: a catalog image's group is catalog| and its catalog key", "[tile_cache]") {
    CHECK(image_cache_group(*catalog_image_key("ark:/67375/39D-6W3GQPXD-V/f1")) ==
          "catalog|ark:/67375/39D6W3GQPXDV/f1");
    CHECK(image_cache_group(*catalog_image_key("ARK:67375/39D6W3GQPXDV/f01")) ==
          "catalog|ark:/67375/39D6W3GQPXDV/f1");
}

TEST_CASE("cache: purge_group deletes exactly the group's entries and their stamps",
          "[tile_cache]") {
    const std::string dir = fresh_dir("purge");
    auto cache = open_cache(dir, 64 * kMiB);
    const std::string a = image_cache_group("ark:/67375/39D6W3GQPXDV/f1");
    const std::string b = image_cache_group("ark:/67375/39D6W3GQPXDV/f2");
    const std::string c = image_cache_group("ark:/67375/39DKZ5Q8M2RT/f1");
    for (int i = 0; i < 50; ++i)
        REQUIRE(cache->put(make_cache_key(a, tile_text(i)), "image/jpeg", payload(3000, 'a')));
    for (int i = 0; i < 30; ++i)
        REQUIRE(cache->put(make_cache_key(b, tile_text(i)), "image/jpeg", payload(3000, 'b')));
    REQUIRE(cache->put(make_cache_key(c, tile_text(0)), "image/jpeg", "c"));
    REQUIRE(cache->put(make_cache_key("ungrouped"), "image/jpeg", "u"));
    CHECK(cache->count_group(a) == 50);
    CHECK(cache->count_group(b) == 30);
    CHECK(cache->count_group(c) == 1);
    const CacheStats before = cache->stats();
    CHECK(before.entries == 82);

    CHECK(cache->purge_group(a) == 50);
    CHECK(cache->count_group(a) == 0);
    CHECK(cache->count_group(b) == 30);
    CHECK(cache->count_group(c) == 1);
    for (int i = 0; i < 50; ++i) CHECK_FALSE(cache->get(make_cache_key(a, tile_text(i))));
    for (int i = 0; i < 30; ++i)
        CHECK(cache->get(make_cache_key(b, tile_text(i)))->bytes == payload(3000, 'b'));
    CHECK(cache->get(make_cache_key(c, tile_text(0)))->bytes == "c");
    CHECK(cache->get(make_cache_key("ungrouped"))->bytes == "u");
    const CacheStats after = cache->stats();
    CHECK(after.entries == 32);
    CHECK(after.used_bytes < before.used_bytes);
    CHECK(after.evictions == 0);
    CHECK(cache->purge_group(a) == 0);

    // A hit recorded before the purge does not bring back a stamp without its entry.
    cache->touch(make_cache_key(a, tile_text(0)));
    cache->flush_touches();
    cache.reset();
    CHECK(raw_counts(dir) == std::map<std::string, size_t>{{"entries", 32}, {"recency", 32}});
}

TEST_CASE("cache: a purge of more entries than one batch deletes the whole group", "[tile_cache]") {
    auto cache = open_cache(fresh_dir("purge-batches"), 64 * kMiB);
    for (int i = 0; i < 2500; ++i)
        REQUIRE(cache->put(make_cache_key("big", tile_text(i)), "image/png", "x"));
    REQUIRE(cache->put(make_cache_key("small", tile_text(0)), "image/png", "y"));
    CHECK(cache->purge_group("big") == 2500);
    CHECK(cache->count_group("big") == 0);
    CHECK(cache->count_group("small") == 1);
    CHECK(cache->stats().entries == 1);
}

TEST_CASE("cache: with grouped keys the data stays under the configured size", "[tile_cache]") {
    auto cache = open_cache(fresh_dir("bounded-grouped"), 16 * kMiB);
    for (int i = 0; i < 120; ++i)
        REQUIRE(cache->put(make_cache_key("image " + std::to_string(i % 3), tile_text(i)),
                           "image/jpeg", payload(256 * 1024, static_cast<char>('a' + i % 26))));
    CacheStats stats = cache->stats();
    CHECK(stats.used_bytes <= 16 * kMiB);
    CHECK(stats.entries < 120);
    CHECK(stats.entries >= 40);
    CHECK(stats.evictions == 120 - stats.entries);
    CHECK(cache->get(make_cache_key("image 2", tile_text(119))));
    CHECK(cache->count_group("image 0") + cache->count_group("image 1") +
              cache->count_group("image 2") ==
          stats.entries);
}

// Sampling the entries' own (grouped) key space would pick groups, not entries: a probe lands
// at a group's first entry, so each of many small groups would be sampled as often as one large
// group, and recent small groups would go before the old tiles of the large one.
TEST_CASE("cache: eviction takes the least recently used entries whatever their group",
          "[tile_cache]") {
    auto cache = open_cache(fresh_dir("lru-grouped"), 16 * kMiB);
    // One image's 40 tiles first (the oldest), then 40 images of one tile each.
    for (int i = 0; i < 40; ++i)
        REQUIRE(cache->put(make_cache_key("large", tile_text(i)), "image/jpeg",
                           payload(256 * 1024, 'l')));
    for (int i = 0; i < 40; ++i)
        REQUIRE(cache->put(make_cache_key("small " + std::to_string(i), tile_text(0)), "image/jpeg",
                           payload(256 * 1024, 's')));
    const CacheStats stats = cache->stats();
    REQUIRE(stats.evictions >= 15);
    int recent_small_left = 0;
    for (int i = 30; i < 40; ++i)
        recent_small_left += cache->count_group("small " + std::to_string(i)) == 1 ? 1 : 0;
    CHECK(recent_small_left == 10);
    // Nearly every eviction took an old tile of the large image: a sample of 8 holds none only
    // when few are left (about 2 of the ~24 evictions take a small image, at most 7 in 300
    // runs). Sampling groups would leave 33 to 36 of them.
    CHECK(cache->count_group("large") <= 40 - stats.evictions + 10);
}

TEST_CASE(
    "cache: a purge from a second process's handle is seen by the first, which keeps working, "
    "and the file keeps the workers' map size",
    "[tile_cache]") {
    const std::string dir = fresh_dir("two-processes");
    auto cache = open_cache(dir, 16 * kMiB);
    for (int i = 0; i < 20; ++i) {
        REQUIRE(cache->put(make_cache_key("withdrawn", tile_text(i)), "image/jpeg", "w"));
        REQUIRE(cache->put(make_cache_key("kept", tile_text(i)), "image/jpeg", "k"));
    }
    // The reader of this process keeps a snapshot open across the other's purge.
    CHECK(cache->get(make_cache_key("withdrawn", tile_text(0))));

    const std::string purged = in_child([&dir] {
        std::string error;
        auto other = TileCache::open_existing(dir, &error);
        if (!other) return "open: " + error;
        const bool refuses_puts = !other->put(make_cache_key("x", "y"), "image/png", "z");
        const std::int64_t deleted = other->purge_group("withdrawn");
        const std::int64_t left = other->count_group("withdrawn");
        return std::to_string(deleted) + " " + std::to_string(left) +
               (refuses_puts ? " refuses puts" : " stores");
    });
    CHECK(purged == "20 0 refuses puts");

    CHECK(cache->count_group("withdrawn") == 0);
    CHECK_FALSE(cache->get(make_cache_key("withdrawn", tile_text(0))));
    CHECK(cache->count_group("kept") == 20);
    CHECK(cache->get(make_cache_key("kept", tile_text(19)))->bytes == "k");
    REQUIRE(cache->put(make_cache_key("kept", tile_text(20)), "image/jpeg", "k"));
    CHECK(cache->count_group("kept") == 21);
    cache.reset();

    size_t map_size = 0;
    CHECK(raw_counts(dir, &map_size) ==
          std::map<std::string, size_t>{{"entries", 21}, {"recency", 21}});
    CHECK(map_size == static_cast<size_t>(16 * kMiB + 256 * kMiB));
}

TEST_CASE("cache: open_existing makes nothing where nginx has made no cache", "[tile_cache]") {
    const std::string dir = fresh_dir("not-made");
    std::string error;
    CHECK_FALSE(TileCache::open_existing(dir, &error));
    CHECK(error.find(dir) != std::string::npos);
    CHECK(error.find("data.mdb") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir));
}

TEST_CASE("cache: a cache written before keys were grouped is emptied once, at open",
          "[tile_cache]") {
    const std::string dir = fresh_dir("old-layout");
    std::filesystem::create_directories(dir);
    {
        // The old layout: stamps under the entries' own keys, in "stamps".
        MDB_env* env = nullptr;
        REQUIRE(mdb_env_create(&env) == 0);
        mdb_env_set_maxdbs(env, 4);
        REQUIRE(mdb_env_open(env, dir.c_str(), 0, 0644) == 0);
        MDB_txn* txn = nullptr;
        REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
        MDB_dbi entries, stamps;
        REQUIRE(mdb_dbi_open(txn, "entries", MDB_CREATE, &entries) == 0);
        REQUIRE(mdb_dbi_open(txn, "stamps", MDB_CREATE, &stamps) == 0);
        CacheKey key = make_cache_key("old");
        std::string value(10, '\0'), stamp(8, '\1');
        MDB_val k{key.size(), key.data()}, v{value.size(), value.data()},
            s{stamp.size(), stamp.data()};
        REQUIRE(mdb_put(txn, entries, &k, &v, 0) == 0);
        REQUIRE(mdb_put(txn, stamps, &k, &s, 0) == 0);
        REQUIRE(mdb_txn_commit(txn) == 0);
        mdb_env_close(env);
    }
    {
        auto cache = open_cache(dir, 16 * kMiB);
        CHECK(cache->stats().entries == 0);
        CHECK_FALSE(cache->get(make_cache_key("old")));
        REQUIRE(cache->put(make_cache_key("new", "tile"), "image/png", "n"));
    }
    auto cache = open_cache(dir, 16 * kMiB);
    CHECK(cache->get(make_cache_key("new", "tile"))->bytes == "n");
    cache.reset();
    CHECK(raw_counts(dir) == std::map<std::string, size_t>{{"entries", 1}, {"recency", 1}});
}

namespace {

// `size` bytes that differ from those of any other `seed`.
std::string pattern(size_t size, int seed) {
    std::string bytes(size, '\0');
    for (size_t i = 0; i < size; ++i)
        bytes[i] =
            static_cast<char>((i * 131 + static_cast<size_t>(seed) * 7919 + i / 4096) & 0xFF);
    return bytes;
}

}  // namespace

TEST_CASE("cache: a pinned entry is the stored bytes, read in place in the latest commit",
          "[tile_cache][pinned]") {
    const std::string dir = fresh_dir("pinned");
    auto cache = open_cache(dir, 16 * kMiB);
    const std::string big = pattern(100 * 1000, 1), small = "{\"a\":1}";
    const CacheKey big_key = make_cache_key("g", "big"), small_key = make_cache_key("g", "small");
    REQUIRE(cache->put(big_key, "image/jpeg", big));
    REQUIRE(cache->put(small_key, "application/json", small));

    for (const auto& [key, bytes, type] : {std::tuple{big_key, big, "image/jpeg"},
                                           std::tuple{small_key, small, "application/json"}}) {
        auto pinned = cache->get_pinned(key);
        REQUIRE(pinned);
        CHECK(pinned->bytes == bytes);
        CHECK(pinned->media_type == type);
        CHECK(pinned->stored_at > 0);
        CHECK(pinned->pin);
        CHECK(pinned->commit == 3);  // the open's commit, then the two puts'; a copy has 0
    }
    CHECK_FALSE(cache->get_pinned(make_cache_key("g", "absent")));
}

TEST_CASE("cache: pinned hits share one snapshot until a commit comes after it",
          "[tile_cache][pinned]") {
    const std::string dir = fresh_dir("pinned-shared");
    auto cache = open_cache(dir, 16 * kMiB);
    REQUIRE(cache->put(make_cache_key("g", "a"), "image/jpeg", pattern(10000, 1)));
    auto first = cache->get_pinned(make_cache_key("g", "a"));
    auto second = cache->get_pinned(make_cache_key("g", "a"));
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->pin == second->pin);
    CHECK(cache->pinned_snapshots() == 1);

    REQUIRE(cache->put(make_cache_key("g", "b"), "image/jpeg", pattern(10000, 2)));
    auto third = cache->get_pinned(make_cache_key("g", "b"));
    REQUIRE(third);
    CHECK(third->pin != first->pin);
    CHECK(third->bytes == pattern(10000, 2));
    CHECK(cache->pinned_snapshots() == 2);

    // Let go, an old snapshot ends at once: nothing is sent from it by reference after its
    // response is freed. The current one ends once a commit came after it.
    first.reset();
    second.reset();
    CHECK(cache->pinned_snapshots() == 1);
    third.reset();
    cache->release_idle_pins();
    CHECK(cache->pinned_snapshots() == 1);
    REQUIRE(cache->put(make_cache_key("g", "c"), "image/jpeg", pattern(10000, 3)));
    cache->release_idle_pins();
    CHECK(cache->pinned_snapshots() == 0);
}

TEST_CASE(
    "cache: a pinned entry keeps its bytes while another process purges it and the "
    "cache is written again",
    "[tile_cache][pinned]") {
    const std::string dir = fresh_dir("pinned-purge");
    auto cache = open_cache(dir, 64 * kMiB);
    const std::string original = pattern(200 * 1000, 1);
    REQUIRE(cache->put(make_cache_key("withdrawn", "tile"), "image/jpeg", original));
    auto pinned = cache->get_pinned(make_cache_key("withdrawn", "tile"));
    REQUIRE(pinned);
    REQUIRE(pinned->commit != 0);

    const std::string purged = in_child([&dir] {
        std::string error;
        auto other = TileCache::open_existing(dir, &error);
        if (!other) return "open: " + error;
        return std::to_string(other->purge_group("withdrawn"));
    });
    REQUIRE(purged == "1");
    cache->release_idle_pins();  // as the server's timer does meanwhile
    // Entries of the same size, which would take the purged entry's pages were they free.
    for (int i = 0; i < 20; ++i)
        REQUIRE(cache->put(make_cache_key("other", tile_text(i)), "image/jpeg",
                           pattern(original.size(), 100 + i)));
    CHECK_FALSE(cache->get_pinned(make_cache_key("withdrawn", "tile")));

    CHECK(pinned->bytes == original);
}

TEST_CASE("cache: with every snapshot held, a hit is read in the newest, or copied when newer",
          "[tile_cache][pinned]") {
    const std::string dir = fresh_dir("pinned-bounded");
    auto cache = open_cache(dir, 16 * kMiB);
    std::vector<PinnedEntry> held;
    for (int i = 0; i < SnapshotPins::kMaxSnapshots + 2; ++i) {
        REQUIRE(cache->put(make_cache_key("g", tile_text(i)), "image/jpeg", pattern(10000, i)));
        auto pinned = cache->get_pinned(make_cache_key("g", tile_text(i)));
        REQUIRE(pinned);
        CHECK(pinned->bytes == pattern(10000, i));
        held.push_back(std::move(*pinned));
    }
    CHECK(cache->pinned_snapshots() == SnapshotPins::kMaxSnapshots);
    // Stored before the newest snapshot: read in place.
    auto old = cache->get_pinned(make_cache_key("g", tile_text(0)));
    REQUIRE(old);
    CHECK(old->commit != 0);
    CHECK(old->bytes == pattern(10000, 0));
    // Stored after it: copied from the latest commit.
    const int last = SnapshotPins::kMaxSnapshots + 1;
    CHECK(held.back().commit == 0);
    CHECK(held.back().bytes == pattern(10000, last));
    CHECK(cache->pinned_snapshots() == SnapshotPins::kMaxSnapshots);
}

TEST_CASE("cache: pins outlive the cache that made them", "[tile_cache][pinned]") {
    const std::string dir = fresh_dir("pinned-outlive");
    auto cache = open_cache(dir, 16 * kMiB);
    REQUIRE(cache->put(make_cache_key("g", "a"), "image/jpeg", pattern(50000, 3)));
    auto pinned = cache->get_pinned(make_cache_key("g", "a"));
    REQUIRE(pinned);
    cache.reset();
    CHECK(pinned->bytes == pattern(50000, 3));
    pinned.reset();
    // The environment is closed with the last pin: another open works as usual.
    auto again = open_cache(dir, 16 * kMiB);
    CHECK(again->get(make_cache_key("g", "a"))->bytes == pattern(50000, 3));
}

TEST_CASE("cache: an entry seen in the commit leased now is returned again without a lookup",
          "[tile_cache][pinned]") {
    const std::string dir = fresh_dir("pinned-seen");
    auto cache = open_cache(dir, 16 * kMiB);
    const CacheKey key = make_cache_key("g", "a");
    REQUIRE(cache->put(key, "image/jpeg", pattern(20000, 1)));
    auto first = cache->get_pinned(key);
    REQUIRE(first);
    REQUIRE(first->commit != 0);
    // What a memo keeps: the views, not the pin; here with bytes of its own, to tell a lookup
    // from a return of what was seen.
    PinnedEntry seen = *first;
    seen.pin.reset();
    const std::string marker = "seen, not looked up";
    seen.bytes = marker;
    first.reset();

    auto again = cache->get_pinned(key, &seen);
    REQUIRE(again);
    CHECK(again->bytes == marker);
    CHECK(again->pin);
    CHECK(again->commit == seen.commit);

    // Another commit: looked up again.
    REQUIRE(cache->put(make_cache_key("g", "b"), "image/jpeg", pattern(20000, 2)));
    auto after = cache->get_pinned(key, &seen);
    REQUIRE(after);
    CHECK(after->bytes == pattern(20000, 1));
    CHECK(after->commit > seen.commit);
    // A copied entry (commit 0) is never taken for a seen one.
    seen.commit = 0;
    CHECK(cache->get_pinned(key, &seen)->bytes == pattern(20000, 1));
}

TEST_CASE("cache: the files a cache makes are group-writable whatever the umask", "[tile_cache]") {
    // nginx's workers run with umask 022; iiifd's purger, in the cache's group, must write too.
    const std::string dir = fresh_dir("cache_group_writable");
    const mode_t previous = umask(022);
    { open_cache(dir, 64 * kMiB); }
    umask(previous);
    for (const char* name : {"/data.mdb", "/lock.mdb"}) {
        struct stat made {};
        REQUIRE(stat((dir + name).c_str(), &made) == 0);
        INFO(name);
        CHECK((made.st_mode & 0777) == 0664);
    }
}
