#include "open_image_cache.hpp"

namespace iiif {

vips::VImage OpenImageCache::get(const std::string& key,
                                 const std::function<vips::VImage()>& open) {
    {
        std::lock_guard lock(mutex_);
        auto found = index_.find(key);
        if (found != index_.end()) {
            entries_.splice(entries_.begin(), entries_, found->second);
            return found->second->second;
        }
    }
    // Opened outside the lock: it reads the file. Two threads may open the same level at once;
    // the second one's copy simply replaces the first.
    vips::VImage image = open();
    std::lock_guard lock(mutex_);
    if (capacity_ == 0) return image;
    auto found = index_.find(key);
    if (found != index_.end()) {
        entries_.erase(found->second);
        index_.erase(found);
    }
    entries_.emplace_front(key, image);
    index_[key] = entries_.begin();
    while (entries_.size() > capacity_) {
        index_.erase(entries_.back().first);
        entries_.pop_back();
    }
    return image;
}

void OpenImageCache::set_capacity(size_t capacity) {
    std::lock_guard lock(mutex_);
    capacity_ = capacity;
    while (entries_.size() > capacity_) {
        index_.erase(entries_.back().first);
        entries_.pop_back();
    }
}

size_t OpenImageCache::size() {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace iiif
