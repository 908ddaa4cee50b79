// GET /metrics (http_routes.hpp): iiifd's counters and histograms (metrics.hpp), and the ingest
// queue as Redis holds it at the scrape, in the Prometheus text exposition format 0.0.4. Always
// 200 while iiifd answers: a Redis that does not is said by iiifd_redis_up 0, the counters
// still given. No key: iiifd listens on loopback, and the shipped nginx configuration does not
// proxy /metrics.
#include <spdlog/spdlog.h>

#include <optional>

#include "http_routes.hpp"
#include "replica_follower.hpp"

namespace iiifd {

void MetricsRoutes::metrics(const HttpRequest&, HttpResponse& res) {
    const bool replicated = config_.replication.role == ReplicationRole::writer;
    std::optional<QueueDepth> queue;
    std::optional<ReplicationStatus> replication;
    try {
        auto redis = redis_.lease();
        queue = queue_depth(*redis, config_);
        if (replicated)
            replication =
                replication_status(*redis, config_, iiif::replication_position(catalog_));
    } catch (const std::exception& failure) {
        spdlog::debug("GET /metrics: the queue is not known: {}", failure.what());
    }
    std::string text = metrics_.exposition(queue);
    if (replicated) text += replication_exposition(config_, replication, metrics_);
    res.set_header("Cache-Control", "no-store");
    res.set_content(std::move(text), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace iiifd
