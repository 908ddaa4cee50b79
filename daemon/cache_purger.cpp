#include "cache_purger.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace iiifd {
namespace {

using namespace std::chrono_literals;

// How long one XREAD waits for events: the most a stop waits for the thread.
constexpr auto kBlock = 500ms;
constexpr auto kFirstBackoff = 200ms;
constexpr auto kMaxBackoff = 5000ms;
constexpr int kEventsPerRead = 100;

// The id of the stream's last entry; "0-0" when the stream is empty or absent.
std::string last_entry_id(Redis& redis, const std::string& stream) {
    RedisReply reply = redis.command({"XREVRANGE", stream, "+", "-", "COUNT", "1"});
    if (reply.elements.empty() || reply.elements[0].elements.empty()) return "0-0";
    return reply.elements[0].elements[0].text;
}

// Stream ids "ms-seq" in order; an id that does not parse counts as 0-0.
std::pair<unsigned long long, unsigned long long> id_parts(const std::string& id) {
    unsigned long long ms = 0, seq = 0;
    std::sscanf(id.c_str(), "%llu-%llu", &ms, &seq);
    return {ms, seq};
}

// Sleeps `duration` unless asked to stop first.
void pause(std::stop_token stop, std::chrono::milliseconds duration) {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    wake.wait_for(lock, stop, duration, [] { return false; });
}

}  // namespace

CachePurger::CachePurger(const DaemonConfig& config, const iiif::CatalogReader& catalog)
    : config_(config), catalog_(catalog) {}

CachePurger::~CachePurger() {
    stop();
}

void CachePurger::start() {
    try {
        Redis redis(config_.redis);
        last_id_ = last_entry_id(redis, config_.events_stream);
    } catch (const std::exception& error) {
        spdlog::warn("cache purger: {}; it starts once Redis answers", error.what());
    }
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void CachePurger::stop() {
    if (!thread_.joinable()) return;
    thread_.request_stop();
    thread_.join();
}

void CachePurger::run(std::stop_token stop) {
    Redis redis(config_.redis);
    auto backoff = kFirstBackoff;
    bool redis_down = false;
    while (!stop.stop_requested()) {
        try {
            if (last_id_.empty()) {
                last_id_ = last_entry_id(redis, config_.events_stream);
            } else if (redis_down) {
                // A Redis that came back without its data numbers the stream from the start
                // again: follow it from there rather than wait for its ids to pass ours.
                const std::string last = last_entry_id(redis, config_.events_stream);
                if (id_parts(last) < id_parts(last_id_)) last_id_ = "0-0";
                spdlog::info("cache purger: redis is back");
            }
            redis_down = false;
            follow(redis);
            backoff = kFirstBackoff;
        } catch (const RedisUnavailable& error) {
            if (!redis_down) spdlog::warn("cache purger: {}; retrying", error.what());
            redis_down = true;
            pause(stop, backoff);
            backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
        } catch (const std::exception& error) {
            spdlog::error("cache purger: {}", error.what());
            pause(stop, backoff);
            backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
        }
    }
}

// One blocking read, and what it brought.
void CachePurger::follow(Redis& redis) {
    RedisReply reply =
        redis.command({"XREAD", "COUNT", std::to_string(kEventsPerRead), "BLOCK",
                       std::to_string(kBlock.count()), "STREAMS", config_.events_stream, last_id_});
    // [[stream, [[id, [field, value, ...]], ...]]], or nil when nothing came in time.
    if (reply.elements.empty() || reply.elements[0].elements.size() < 2) return;
    for (const RedisReply& entry : reply.elements[0].elements[1].elements) {
        if (entry.elements.size() < 2) continue;
        last_id_ = entry.elements[0].text;
        std::string type, ark;
        const std::vector<RedisReply>& fields = entry.elements[1].elements;
        for (size_t i = 0; i + 1 < fields.size(); i += 2) {
            if (fields[i].text == "type") type = fields[i + 1].text;
            if (fields[i].text == "ark") ark = fields[i + 1].text;
        }
        if (type == "object.withdrawn" || type == "object.purged") handle(type, ark);
    }
}

void CachePurger::handle(const std::string& type, const std::string& ark) {
    try {
        std::optional<iiif::ObjectRecord> record = catalog_.object(ark);
        if (!record) {
            spdlog::warn("cache purger: {} {}: no such object in this node's catalog", type, ark);
            return;
        }
        iiif::TileCache* tiles = cache();
        if (tiles == nullptr) return;
        std::int64_t purged = 0;
        for (const std::string& image : record->images) {
            if (std::optional<std::string> key = iiif::catalog_image_key(image))
                purged += tiles->purge_group(iiif::image_cache_group(*key));
        }
        spdlog::info("cache purger: {} {}: {} cache entries deleted ({} pages)", type, ark, purged,
                     record->images.size());
    } catch (const std::exception& error) {
        spdlog::error("cache purger: {} {}: {}", type, ark, error.what());
    }
}

// Opened at the first event, and again after a failure: nginx makes the cache on its first
// start, which may come after iiifd's.
iiif::TileCache* CachePurger::cache() {
    if (cache_) return cache_.get();
    std::string error;
    cache_ = iiif::TileCache::open_existing(config_.tile_cache_dir, &error);
    if (!cache_) {
        if (error != cache_error_)
            spdlog::warn("cache purger: {}; nothing is purged until it can be opened", error);
        cache_error_ = error;
        return nullptr;
    }
    cache_error_.clear();
    return cache_.get();
}

}  // namespace iiifd
