// GET /metrics (http_routes.hpp): iiifd's counters and histograms (metrics.hpp), and the ingest
// queue as Redis holds it at the scrape, in the Prometheus text exposition format 0.0.4. Always
// 200 while iiifd answers: a Redis that does not is said by iiifd_redis_up 0, the counters
// still given. No key: iiifd listens on loopback, and the shipped nginx configuration does not
// proxy /metrics.
#include <spdlog/spdlog.h>

#include <optional>

#include "http_routes.hpp"

namespace iiifd {

void MetricsRoutes::metrics(const HttpRequest&, HttpResponse& res) {
    std::optional<QueueDepth> queue;
    try {
        auto redis = redis_.lease();
        queue = queue_depth(*redis, config_);
    } catch (const std::exception& failure) {
        spdlog::debug("GET /metrics: the queue is not known: {}", failure.what());
    }
    res.set_header("Cache-Control", "no-store");
    res.set_content(metrics_.exposition(queue), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace iiifd
