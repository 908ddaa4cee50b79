// Takedown reaches the tile cache: a thread that follows the events stream and, when an object
// is withdrawn or purged, deletes its pages' entries from this node's tiles.mdb (the directory
// nginx's iiif_cache_path names, [cache] tile_cache).
//
// Every node runs one, so it reads the stream with plain XREAD, not through a consumer group:
// each node must see every event, since each has its own cache. It starts at the stream's last
// entry when iiifd starts (what was withdrawn before is no longer served: the module checks the
// catalog before the cache, and eviction takes the rest) and keeps its position across Redis
// outages, so an event appended meanwhile is still seen.
//
// Purging is an optimisation, not the takedown itself: the catalog already refuses the images.
// A failure is logged and the next event is taken.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "catalog.hpp"
#include "daemon_config.hpp"
#include "job_queue.hpp"
#include "tile_cache.hpp"

namespace iiifd {

class CachePurger {
  public:
    // `catalog`: this node's, where the objects' pages are looked up.
    CachePurger(const DaemonConfig& config, const iiif::CatalogReader& catalog);
    ~CachePurger();  // stops
    CachePurger(const CachePurger&) = delete;
    CachePurger& operator=(const CachePurger&) = delete;

    // Takes the stream's last entry as the starting point (when Redis answers; otherwise the
    // thread does, once it does) and starts the thread.
    void start();
    // Returns within about one blocking read (half a second).
    void stop();

  private:
    void run(std::stop_token stop);
    void follow(Redis& redis);
    void handle(const std::string& type, const std::string& ark);
    iiif::TileCache* cache();

    const DaemonConfig& config_;
    const iiif::CatalogReader& catalog_;
    std::string last_id_;  // empty: not known yet
    std::unique_ptr<iiif::TileCache> cache_;
    std::string cache_error_;  // the last reason the cache could not be opened, said once
    std::jthread thread_;
};

}  // namespace iiifd
