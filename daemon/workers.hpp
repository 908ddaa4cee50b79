// The ingest workers: config.workers threads, each with its own Redis connection, taking jobs
// from the ingest stream and running them through iiifd::ingest_job with the process's one
// CatalogWriter (LMDB serialises its write transactions; each call is its own transaction).
//
// A job's life: running (attempt counted) -> ingest_job, its progress written to the job's hash
// -> done (at least one page is in the catalog) or failed -> acknowledged, with its catalog
// event, in one Redis transaction -> its staging directory removed (kept when [redis]
// wait_replicas are not known to have the outcome: a failover may bring the job back). Until that
// transaction the stream entry stays pending: if this process dies, another consumer finishes
// the job.
//
// Every node's workers take jobs from the one stream, but only the writer writes the catalog
// (replication: docs/replication.md). A delivery node's workers convert the job (masters and
// originals on the shared storage root, reading the node's own catalog) and hand it over to
// the writer (hand_over_job: the record stream, job_queue.hpp); the writer's workers record
// what is handed over, as they record their own jobs, and complete it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "catalog.hpp"
#include "daemon_config.hpp"
#include "ingest.hpp"
#include "job_queue.hpp"
#include "metrics.hpp"

namespace iiifd {

struct JobOutcome;

class Workers {
  public:
    // `metrics`: where each finished job, its time and its conversions are counted.
    // `object_lock`: the API's lock of object changes (object_changes.hpp), which a job that
    // changes an object's pages holds while it writes the object; null for none.
    // The writer's (or a single machine's): converts and records; with [replication] role =
    // "writer", also records the jobs delivery nodes hand over.
    Workers(const DaemonConfig& config, iiif::CatalogWriter& catalog, Metrics& metrics,
            std::mutex* object_lock = nullptr)
        : config_(config),
          record_queue_(record_queue(config)),
          reader_(catalog.reader()),
          writer_(&catalog),
          metrics_(metrics),
          object_lock_(object_lock) {}
    // A delivery node's: converts, reading this node's catalog, and hands over to the writer.
    Workers(const DaemonConfig& config, const iiif::CatalogReader& catalog, Metrics& metrics)
        : config_(config),
          record_queue_(record_queue(config)),
          reader_(catalog),
          writer_(nullptr),
          metrics_(metrics),
          object_lock_(nullptr) {}
    ~Workers();
    Workers(const Workers&) = delete;
    Workers& operator=(const Workers&) = delete;

    void start();
    // Asks the workers to stop after their current job and waits at most `grace` for them.
    // False when some are still at work: their jobs stay pending and will be taken over.
    bool stop(std::chrono::seconds grace);

  private:
    class InFlight;

    // Takes deliveries from `queue`'s stream (the ingest stream, or the record stream) until
    // asked to stop, each given to `take`.
    void work(const DaemonConfig& queue, void (Workers::*take)(Redis&, const Delivery&));
    // One delivery of the ingest stream, step by step.
    void run(Redis& redis, const Delivery& delivery);
    // One delivery of the record stream: a job a delivery node converted, recorded here.
    void record_handed_over(Redis& redis, const Delivery& delivery);
    // Converts the job; records it when this is the writer, else leaves it in `handed` (when it
    // has pages) for the writer.
    JobOutcome ingest(Redis& redis, const IngestJob& job, std::optional<ConvertedJob>& handed);
    // Records a converted job into `outcome`; throws when it cannot.
    void record(const IngestJob& job, const ConvertedJob& converted, JobOutcome& outcome);
    // Each false when asked to stop before Redis took it. `queue`: the stream of `delivery`.
    bool record_outcome(Redis& redis, const DaemonConfig& queue, const Delivery& delivery,
                        const IngestJob& job, const JobOutcome& outcome);
    bool hand_over(Redis& redis, const Delivery& delivery, const HandedOverJob& handed);
    // Counts the job, logs it, and removes its staging directory unless a failover may bring
    // its outcome's transaction back.
    void conclude(Redis& redis, const IngestJob& job, const JobOutcome& outcome, double seconds);
    // The heartbeat thread: keeps in-flight entries fresh and, every 10 s, queues again the jobs
    // Redis lost (requeue_lost_jobs) and removes finished jobs' staging directories.
    void keep_fresh();
    // Sleeps `duration` unless asked to stop first; false when stopping.
    bool pause(std::chrono::milliseconds duration);

    const DaemonConfig& config_;
    const DaemonConfig record_queue_;  // record_queue(config_)
    const iiif::CatalogReader& reader_;
    iiif::CatalogWriter* writer_;  // null on a delivery node
    Metrics& metrics_;
    std::mutex* object_lock_;
    std::vector<std::thread> threads_;
    std::thread heartbeat_;

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool heartbeat_stopping_ = false;
    int running_ = 0;                   // worker threads not yet finished
    std::set<std::string> in_flight_;   // stream entries being worked on
    std::condition_variable finished_;  // signalled as each worker thread ends
};

}  // namespace iiifd
