// The LMDB tile cache on real LMDB files in a scratch directory.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "test_images.hpp"
#include "tile_cache.hpp"

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

std::string payload(size_t size, char fill) { return std::string(size, fill); }

constexpr std::int64_t kMiB = 1024 * 1024;

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
