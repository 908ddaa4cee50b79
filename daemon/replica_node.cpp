// A delivery node's iiifd, and `iiifd replica status` (replica_node.hpp).
#include "replica_node.hpp"

#include <jansson.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <thread>

#include "cache_purger.hpp"
#include "catalog_replication.hpp"
#include "http_routes.hpp"
#include "http_server.hpp"
#include "json.hpp"
#include "metrics.hpp"
#include "replica_follower.hpp"
#include "storage.hpp"
#include "workers.hpp"

namespace iiifd {
namespace {

// How long a stopping node waits for its ingest workers to finish their jobs (as the writer).
constexpr std::chrono::seconds kWorkersGrace{30};

const char* role_name(ReplicationRole role) {
    switch (role) {
        case ReplicationRole::writer:
            return "writer";
        case ReplicationRole::replica:
            return "replica";
        default:
            return "none";
    }
}

class ReplicaHttp {
  public:
    ReplicaHttp(const DaemonConfig& config, const iiif::CatalogReader& catalog,
                const Metrics& metrics)
        : config_(config),
          catalog_(catalog),
          metrics_(metrics),
          redis_(config.redis),
          server_(
              limits(),
              [](const HttpRequest&, HttpResponse&, std::shared_ptr<void>&) { return false; },
              [](const HttpRequest&, HttpResponse& res, std::exception_ptr failure) {
                  try {
                      std::rethrow_exception(failure);
                  } catch (const std::exception& what) {
                      spdlog::error("replica http: {}", what.what());
                  }
                  send_error(res, 500, "internal error");
              },
              [](HttpResponse& res, int status, const std::string& reason) {
                  send_error(res, status, reason);
              }) {
        server_.route("GET", "/health",
                      [this](const HttpRequest&, HttpResponse& res) { answer_health(res); });
        server_.route("GET", "/metrics",
                      [this](const HttpRequest&, HttpResponse& res) { answer_metrics(res); });
    }

    void bind() { server_.bind(config_.listen_host, config_.listen_port); }
    void listen() { server_.listen(); }
    void stop() { server_.stop(); }

  private:
    static HttpServer::Limits limits() {
        HttpServer::Limits limits;
        limits.worker_threads = 2;
        limits.polling_threads = 1;
        limits.max_connections = 64;
        return limits;
    }

    std::optional<ReplicationStatus> status(std::string* failure) {
        try {
            auto redis = redis_.lease();
            return replication_status(*redis, config_, iiif::replication_position(catalog_));
        } catch (const std::exception& error) {
            *failure = error.what();
            return std::nullopt;
        }
    }

    void answer_health(HttpResponse& res) {
        std::string failure;
        const std::optional<ReplicationStatus> now = status(&failure);
        const iiif::ReplicationPosition position = iiif::replication_position(catalog_);
        json_t* checks = json_object();
        json_object_set_new(checks, "redis", health_check(now.has_value(), failure));
        json_t* loaded = health_check(!position.epoch.empty(), "no snapshot loaded yet");
        json_object_set_new(loaded, "epoch", iiif::json_string_of(position.epoch));
        json_object_set_new(loaded, "position", json_integer(position.seq));
        json_object_set_new(checks, "catalog", loaded);
        if (now) {
            const bool close = now->lag_seconds <= config_.replication.max_lag_seconds;
            json_t* lag = health_check(close,
                                       "further behind the writer than [replication] "
                                       "max_lag_seconds");
            json_object_set_new(lag, "changes", json_integer(now->behind));
            json_object_set_new(lag, "seconds", json_real(now->lag_seconds));
            json_object_set_new(lag, "max_seconds",
                                json_integer(config_.replication.max_lag_seconds));
            json_object_set_new(checks, "lag", lag);
        }
        const bool ok = now.has_value() && all_checks_hold(checks);
        send_owned(res, ok ? 200 : 503,
                   json_pack("{s:s,s:s,s:o}", "status", ok ? "ok" : "failing", "role", "replica",
                             "checks", checks));
    }

    void answer_metrics(HttpResponse& res) {
        std::string failure;
        const std::optional<ReplicationStatus> now = status(&failure);
        Exposition up;
        up.gauge("iiifd_redis_up", "Whether Redis answered this scrape (1) or not (0).",
                 now ? 1LL : 0LL);
        res.set_header("Cache-Control", "no-store");
        res.set_content(std::move(up).text() + metrics_.ingest_exposition() +
                            replication_exposition(config_, now, metrics_),
                        "text/plain; version=0.0.4; charset=utf-8");
    }

    const DaemonConfig& config_;
    const iiif::CatalogReader& catalog_;
    const Metrics& metrics_;
    RedisPool redis_;
    HttpServer server_;
};

}  // namespace

int serve_replica(const DaemonConfig& config) {
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    // The storage root must be the writer's (the shared file system mounted), or every render
    // of a master would fail: checked once Redis answers and the writer has published its
    // identity (waited for 10 s; then the node starts unchecked, and says so).
    bool checked = false;
    for (int attempt = 0; attempt < 20 && !checked; ++attempt) {
        try {
            Redis redis(config.redis);
            const StorageCheck check = check_storage_identity(redis, config);
            if (check.problem) {
                spdlog::critical("replication: {}", *check.problem);
                return 1;
            }
            checked = check.published;
        } catch (const RedisUnavailable&) {
        }
        if (!checked) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    if (!checked)
        spdlog::warn(
            "replication: Redis or the writer's storage identity ({}:storage) not found "
            "within 10 s: the storage root is not checked",
            config.replication.stream);
    make_directories(std::filesystem::path(config.catalog_path).parent_path().string());
    std::string error;
    std::unique_ptr<iiif::CatalogReplica> catalog =
        iiif::CatalogReplica::open(config.catalog_path, &error);
    if (!catalog) {
        spdlog::critical("{}", error);
        return 1;
    }
    Metrics metrics;
    ReplicaHttp http(config, catalog->reader(), metrics);
    try {
        http.bind();
    } catch (const std::exception& failure) {
        spdlog::critical("{}", failure.what());
        return 1;
    }
    ReplicaFollower follower(config, *catalog, metrics);
    follower.start();
    std::optional<CachePurger> purger;
    if (!config.tile_cache_dir.empty()) {
        purger.emplace(config, catalog->reader());
        purger->start();
    }
    // Its ingest workers take jobs as the writer's do, and hand what they convert over to the
    // writer to record.
    Workers workers(config, catalog->reader(), metrics);
    workers.start();
    std::thread serving([&http] { http.listen(); });
    spdlog::info(
        "replica: listening on http://{}:{}; following {} into {}; {} workers as "
        "consumer {} of {}",
        config.listen_host, config.listen_port, config.replication.stream, config.catalog_path,
        config.workers, config.consumer_name, config.ingest_stream);

    int received = 0;
    sigwait(&stop_signals, &received);
    spdlog::info("{}: stopping", strsignal(received));
    http.stop();
    serving.join();
    // A job still converting when the grace runs out stays pending: another node takes it over.
    const bool workers_stopped = workers.stop(kWorkersGrace);
    if (purger) purger->stop();
    follower.stop();
    if (!workers_stopped) {
        // Their threads still use the catalog: the process ends without unwinding.
        spdlog::warn("jobs still under way after {} s are left pending, to be taken over",
                     kWorkersGrace.count());
        spdlog::default_logger()->flush();
        std::_Exit(0);
    }
    spdlog::info("stopped");
    return 0;
}

int print_replication_status(const DaemonConfig& config, std::ostream& out, std::ostream& err) {
    std::string error;
    std::unique_ptr<iiif::CatalogReader> catalog =
        iiif::CatalogReader::open(config.catalog_path, &error);
    if (!catalog) {
        err << "iiifd: " << error << "\n";
        return 1;
    }
    const iiif::ReplicationPosition position = iiif::replication_position(*catalog);
    ReplicationStatus status;
    try {
        Redis redis(config.redis);
        status = replication_status(redis, config, position);
    } catch (const std::exception& failure) {
        err << "iiifd: " << failure.what() << "\n";
        return 1;
    }
    out << "role: " << role_name(config.replication.role) << "\n";
    out << "epoch: " << (position.epoch.empty() ? "-" : position.epoch) << "\n";
    out << "position: " << position.seq << "\n";
    out << "stream_end: " << (status.stream_end ? status.stream_end->seq : 0) << "\n";
    if (config.replication.role == ReplicationRole::writer) {
        // The writer is ahead of its stream by what it has not published yet.
        const bool same_epoch = status.stream_end && status.stream_end->epoch == position.epoch;
        const std::int64_t published = same_epoch ? status.stream_end->seq : 0;
        out << "unpublished_changes: " << std::max<std::int64_t>(0, position.seq - published)
            << "\n";
    } else {
        out << "behind_changes: " << status.behind << "\n";
        out << "behind_seconds: " << std::fixed << std::setprecision(3) << status.lag_seconds
            << "\n";
    }
    if (status.snapshot)
        out << "snapshot: " << status.snapshot->seq << " " << status.snapshot->file << "\n";
    else
        out << "snapshot: -\n";
    return 0;
}

}  // namespace iiifd
