#include "decoded_tiles.hpp"

#include <condition_variable>
#include <exception>

namespace iiif {

Pixels::Pixels(int w, int h, int b)
    : width(w),
      height(h),
      bands(b),
      data(new std::uint8_t[static_cast<size_t>(w) * static_cast<size_t>(h) *
                            static_cast<size_t>(b)]) {}

struct DecodedTileCache::Pending {
    std::condition_variable done_signal;
    bool done = false;
    SharedPixels pixels;
    std::exception_ptr error;
};

SharedPixels DecodedTileCache::get(const std::string& key,
                                   const std::function<SharedPixels()>& decode) {
    std::shared_ptr<Pending> pending;
    {
        std::unique_lock lock(mutex_);
        if (capacity_ == 0) {
            ++misses_;
            lock.unlock();
            return decode();
        }
        if (auto found = index_.find(key); found != index_.end()) {
            ++hits_;
            entries_.splice(entries_.begin(), entries_, found->second);
            return found->second->pixels;
        }
        if (auto waiting = pending_.find(key); waiting != pending_.end()) {
            // Another thread is decoding this tile: wait for its result rather than decode twice.
            std::shared_ptr<Pending> other = waiting->second;
            ++hits_;
            other->done_signal.wait(lock, [&] { return other->done; });
            if (other->error) std::rethrow_exception(other->error);
            return other->pixels;
        }
        ++misses_;
        pending = std::make_shared<Pending>();
        pending_.emplace(key, pending);
    }

    SharedPixels pixels;
    std::exception_ptr error;
    try {
        pixels = decode();
    } catch (...) {
        error = std::current_exception();
    }

    std::lock_guard lock(mutex_);
    pending_.erase(key);
    pending->done = true;
    pending->pixels = pixels;
    pending->error = error;
    pending->done_signal.notify_all();
    if (error) std::rethrow_exception(error);
    if (pixels && capacity_ > 0 && pixels->byte_size() <= capacity_ && !index_.count(key)) {
        entries_.push_front({key, pixels});
        index_.emplace(key, entries_.begin());
        bytes_ += pixels->byte_size();
        trim_locked();
    }
    return pixels;
}

SharedPixels DecodedTileCache::find(const std::string& key) {
    std::lock_guard lock(mutex_);
    if (auto found = index_.find(key); found != index_.end()) {
        ++hits_;
        entries_.splice(entries_.begin(), entries_, found->second);
        return found->second->pixels;
    }
    ++misses_;
    return nullptr;
}

void DecodedTileCache::put(const std::string& key, SharedPixels pixels) {
    std::lock_guard lock(mutex_);
    if (!pixels || capacity_ == 0 || pixels->byte_size() > capacity_) return;
    if (auto found = index_.find(key); found != index_.end()) {
        bytes_ -= found->second->pixels->byte_size();
        entries_.erase(found->second);
        index_.erase(found);
    }
    entries_.push_front({key, std::move(pixels)});
    index_.emplace(key, entries_.begin());
    bytes_ += entries_.front().pixels->byte_size();
    trim_locked();
}

void DecodedTileCache::trim_locked() {
    while (bytes_ > capacity_ && !entries_.empty()) {
        Entry& oldest = entries_.back();
        bytes_ -= oldest.pixels->byte_size();
        index_.erase(oldest.key);
        entries_.pop_back();
    }
}

void DecodedTileCache::set_capacity(size_t bytes) {
    std::lock_guard lock(mutex_);
    capacity_ = bytes;
    trim_locked();
}

size_t DecodedTileCache::capacity() {
    std::lock_guard lock(mutex_);
    return capacity_;
}

size_t DecodedTileCache::bytes() {
    std::lock_guard lock(mutex_);
    return bytes_;
}

size_t DecodedTileCache::entries() {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

std::uint64_t DecodedTileCache::hits() {
    std::lock_guard lock(mutex_);
    return hits_;
}

std::uint64_t DecodedTileCache::misses() {
    std::lock_guard lock(mutex_);
    return misses_;
}

void DecodedTileCache::clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
    index_.clear();
    bytes_ = 0;
}

DecodedTileCache& decoded_tiles() {
    static DecodedTileCache cache(0);
    return cache;
}

}  // namespace iiif
