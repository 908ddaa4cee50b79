// The cache of decoded source tiles that render threads share: bounded by bytes, least recently
// used out first, one decode per key however many threads ask at once.
#include "decoded_tiles.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace iiif;

namespace {

// A tile of w x h RGB pixels, every byte `value`.
SharedPixels tile(int w, int h, std::uint8_t value) {
    auto pixels = std::make_shared<Pixels>(w, h, 3);
    std::fill(pixels->data.get(), pixels->data.get() + pixels->byte_size(), value);
    return pixels;
}

}  // namespace

TEST_CASE("Decoded tiles are kept by key and evicted least recently used first", "[decoded_tiles]") {
    // 10x10 RGB = 300 bytes; room for three.
    DecodedTileCache cache(900);
    int decodes = 0;
    auto get = [&](const std::string& key, std::uint8_t value) {
        return cache.get(key, [&] {
            ++decodes;
            return tile(10, 10, value);
        });
    };
    CHECK(get("a", 1)->data[0] == 1);
    CHECK(get("b", 2)->data[0] == 2);
    CHECK(get("c", 3)->data[0] == 3);
    CHECK(decodes == 3);
    CHECK(cache.bytes() == 900);
    // "a" used again: "b" is now the least recent, and goes when "d" comes.
    CHECK(get("a", 9)->data[0] == 1);
    CHECK(decodes == 3);
    CHECK(get("d", 4)->data[0] == 4);
    CHECK(decodes == 4);
    CHECK(cache.entries() == 3);
    CHECK(get("b", 5)->data[0] == 5);  // decoded again
    CHECK(decodes == 5);
    CHECK(cache.hits() == 1);
    CHECK(cache.misses() == 5);

    cache.set_capacity(300);
    CHECK(cache.entries() == 1);
    CHECK(cache.bytes() == 300);
    CHECK(get("b", 6)->data[0] == 5);
}

TEST_CASE("A tile larger than the whole cache is decoded and not kept", "[decoded_tiles]") {
    DecodedTileCache cache(100);
    int decodes = 0;
    for (int i = 0; i < 2; ++i)
        cache.get("big", [&] {
            ++decodes;
            return tile(10, 10, 7);
        });
    CHECK(decodes == 2);
    CHECK(cache.bytes() == 0);
}

TEST_CASE("With no capacity every request decodes", "[decoded_tiles]") {
    DecodedTileCache cache(0);
    int decodes = 0;
    for (int i = 0; i < 3; ++i)
        cache.get("k", [&] {
            ++decodes;
            return tile(2, 2, 1);
        });
    CHECK(decodes == 3);
    CHECK(cache.entries() == 0);
}

TEST_CASE("A failed decode keeps nothing and reaches the caller", "[decoded_tiles]") {
    DecodedTileCache cache(1000);
    CHECK_THROWS_AS(cache.get("bad", []() -> SharedPixels { throw std::runtime_error("damaged"); }),
                    std::runtime_error);
    CHECK(cache.entries() == 0);
    CHECK(cache.get("bad", [] { return tile(1, 1, 3); })->data[0] == 3);
}

TEST_CASE("Threads asking for the same tile at once decode it once", "[decoded_tiles]") {
    DecodedTileCache cache(1 << 20);
    std::atomic<int> decodes{0};
    std::vector<std::thread> threads;
    std::vector<int> seen(8, 0);
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            seen[static_cast<size_t>(t)] = cache.get("shared", [&] {
                ++decodes;
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                return tile(4, 4, 42);
            })->data[0];
        });
    for (auto& thread : threads) thread.join();
    CHECK(decodes == 1);
    CHECK(seen == std::vector<int>(8, 42));
}

TEST_CASE("Tiles decoded together are put, then found, a capacity of 0 keeps none",
          "[decoded_tiles]") {
    DecodedTileCache cache(900);
    CHECK(cache.find("a") == nullptr);
    CHECK(cache.misses() == 1);
    cache.put("a", tile(10, 10, 1));
    cache.put("b", tile(10, 10, 2));
    REQUIRE(cache.find("a"));
    CHECK(cache.find("a")->data[0] == 1);
    CHECK(cache.hits() == 2);
    // Put again under the same key: replaced, counted once.
    cache.put("a", tile(10, 10, 3));
    CHECK(cache.find("a")->data[0] == 3);
    CHECK(cache.bytes() == 600);
    cache.put("c", tile(10, 10, 4));
    cache.put("d", tile(10, 10, 5));  // "b" is the least recent and goes
    CHECK(cache.find("b") == nullptr);
    CHECK(cache.entries() == 3);

    DecodedTileCache none(0);
    none.put("a", tile(1, 1, 1));
    CHECK(none.find("a") == nullptr);
    CHECK(none.entries() == 0);
}
