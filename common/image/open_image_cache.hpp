// Opened source levels kept between requests. Opening a tiled TIFF or a JPEG 2000 means reading
// its directories and setting up a decoder, and libvips' loader keeps the tiles it decoded in
// its own small tile cache: a viewer's next tile is usually a neighbour, already decoded. Only
// random-access sources are kept (a sequential decode can be read once). Entries are keyed by
// the source's identity (path, size, mtime, inode), so a replaced file is opened afresh.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vips/vips8>

namespace iiif {

class OpenImageCache {
  public:
    explicit OpenImageCache(size_t capacity) : capacity_(capacity) {}

    // The image under `key`, opened with `open` if it is not kept. Thread-safe: libvips
    // images may be read by many threads at once, each through its own pipeline.
    vips::VImage get(const std::string& key, const std::function<vips::VImage()>& open);
    void set_capacity(size_t capacity);
    size_t size();

  private:
    std::mutex mutex_;
    size_t capacity_;
    std::list<std::pair<std::string, vips::VImage>> entries_;  // most recent first
    std::unordered_map<std::string, std::list<std::pair<std::string, vips::VImage>>::iterator>
        index_;
};

}  // namespace iiif
