// The writer's side of replication ([replication] role = "writer"): a thread that publishes every
// change of the catalog's log to the stream, in order, once (replication_stream.hpp), and takes
// the snapshots replicas start from.
//
// Every process that writes the catalog (iiifd, and `iiifd account`, `ingest`, `rebuild`... at
// the command line) logs its changes in the catalog itself, in the change's own transaction
// (catalog_replication.hpp); this thread, in the serving iiifd only, reads the log and appends to
// the stream. A change committed is therefore published even if iiifd dies right after the
// commit: the next iiifd finds it in the log. The log is kept back to the older of the two
// snapshots kept, so that a writer that reconnects to a promoted Redis replica which missed the
// last entries appends them again.
//
// With [redis] wait_replicas, each append waits (WAIT) for that many Redis replicas to hold it;
// one that times out is counted (iiifd_replication_unconfirmed_total) and stays in the log, from
// which it is appended again if a failover loses it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>

#include "catalog.hpp"
#include "daemon_config.hpp"
#include "job_queue.hpp"
#include "metrics.hpp"
#include "replication_stream.hpp"

namespace iiifd {

class ChangePublisher {
  public:
    ChangePublisher(const DaemonConfig& config, iiif::CatalogWriter& catalog,
                    ReplicationGauges& gauges);
    ~ChangePublisher();  // stops
    ChangePublisher(const ChangePublisher&) = delete;
    ChangePublisher& operator=(const ChangePublisher&) = delete;

    // Starts the catalog's log if it is off, and a snapshot when there is none of its epoch;
    // then the thread. Before the other threads write (it sets the catalog's commit hook).
    void start();
    void stop();

  private:
    void run(std::stop_token stop);
    // Where the stream ends, once it has been made to continue this catalog's log.
    std::int64_t reconcile(Redis& redis);
    void snapshot_if_due(Redis& redis, std::int64_t catalog_seq);
    void snapshot(Redis& redis);

    const DaemonConfig& config_;
    iiif::CatalogWriter& catalog_;
    ReplicationGauges& gauges_;
    std::string epoch_;
    std::optional<std::int64_t> tail_;  // the stream's last change, when known
    // An empty stream starts after it: the changes up to it are in the newest snapshot.
    std::int64_t floor_ = 0;
    std::int64_t snapshot_seq_ = 0;
    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::int64_t committed_ = 0;  // the last change committed in this process
    std::jthread thread_;
};

}  // namespace iiifd
