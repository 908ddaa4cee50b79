// Decoded pixels, and the bounded cache of decoded source tiles that a process's render threads
// share. Decoding (Huffman for JPEG, wavelets for JPEG 2000) is most of what an uncached render
// costs, and a viewer's next region overlaps the last one: a tile decoded once is kept, by its
// source's identity, level and position, until the cache's byte limit pushes it out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace iiif {

// 8-bit pixels, bands interleaved (1 grey, 2 grey and alpha, 3 RGB, 4 RGBA), rows packed.
// The buffer is not zeroed when made: whoever makes it fills every byte.
struct Pixels {
    int width = 0, height = 0, bands = 0;
    std::unique_ptr<std::uint8_t[]> data;

    Pixels() = default;
    Pixels(int width, int height, int bands);
    size_t row_bytes() const { return static_cast<size_t>(width) * static_cast<size_t>(bands); }
    size_t byte_size() const { return row_bytes() * static_cast<size_t>(height); }
    std::uint8_t* row(int y) { return data.get() + row_bytes() * static_cast<size_t>(y); }
    const std::uint8_t* row(int y) const {
        return data.get() + row_bytes() * static_cast<size_t>(y);
    }
};
using SharedPixels = std::shared_ptr<const Pixels>;

// Least recently used first out, by bytes. Thread-safe; a tile being decoded by one thread is
// not decoded again by another asking for it at the same time (the second waits for it).
class DecodedTileCache {
  public:
    explicit DecodedTileCache(size_t capacity_bytes = 0) : capacity_(capacity_bytes) {}

    // The tile under `key`, decoded with `decode` when not kept. `decode` may throw; nothing is
    // kept then, and the exception reaches every thread waiting for that key. With a capacity
    // of 0 nothing is kept and every call decodes.
    SharedPixels get(const std::string& key, const std::function<SharedPixels()>& decode);

    // The tile under `key` if kept (a hit), else nullptr (a miss); and a tile to keep, for a
    // caller that decodes several at once. With a capacity of 0, find finds nothing and put
    // keeps nothing.
    SharedPixels find(const std::string& key);
    void put(const std::string& key, SharedPixels pixels);

    void set_capacity(size_t bytes);
    size_t capacity();
    size_t bytes();     // held now
    size_t entries();   // tiles held now
    std::uint64_t hits();
    std::uint64_t misses();
    void clear();

  private:
    struct Entry {
        std::string key;
        SharedPixels pixels;
    };
    struct Pending;
    void trim_locked();

    std::mutex mutex_;
    size_t capacity_;
    size_t bytes_ = 0;
    std::uint64_t hits_ = 0, misses_ = 0;
    std::list<Entry> entries_;  // most recent first
    std::unordered_map<std::string, std::list<Entry>::iterator> index_;
    std::unordered_map<std::string, std::shared_ptr<Pending>> pending_;
};

// The process's cache, shared by every render thread (its capacity: set_decoded_tile_capacity
// in renderer.hpp, 0 until configured).
DecodedTileCache& decoded_tiles();

}  // namespace iiif
