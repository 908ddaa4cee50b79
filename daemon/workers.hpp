// The ingest workers: config.workers threads, each with its own Redis connection, taking jobs
// from the ingest stream and running them through iiifd::ingest_job with the process's one
// CatalogWriter (LMDB serialises its write transactions; each call is its own transaction).
//
// A job's life: running (attempt counted) -> ingest_job, its progress written to the job's hash
// -> done (at least one page is in the catalog) or failed -> acknowledged, with its catalog
// event, in one Redis transaction -> its staging directory removed (kept when [redis]
// wait_replicas are not known to have the outcome: a failover may bring the job back). Until that transaction
// the stream entry stays pending: if this process dies, another consumer finishes the job.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
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
    Workers(const DaemonConfig& config, iiif::CatalogWriter& catalog, Metrics& metrics,
            std::mutex* object_lock = nullptr)
        : config_(config), catalog_(catalog), metrics_(metrics), object_lock_(object_lock) {}
    ~Workers();
    Workers(const Workers&) = delete;
    Workers& operator=(const Workers&) = delete;

    void start();
    // Asks the workers to stop after their current job and waits at most `grace` for them.
    // False when some are still at work: their jobs stay pending and will be taken over.
    bool stop(std::chrono::seconds grace);

  private:
    class InFlight;

    void work();
    // One delivery, step by step.
    void run(Redis& redis, const Delivery& delivery);
    JobOutcome ingest(Redis& redis, const IngestJob& job);
    // False when asked to stop before Redis took it.
    bool record_outcome(Redis& redis, const Delivery& delivery, const IngestJob& job,
                        const JobOutcome& outcome);
    // Logs the outcome, and removes the job's staging directory when `remove_staging`.
    void finish(const IngestJob& job, const JobOutcome& outcome, bool remove_staging);
    // The heartbeat thread: keeps in-flight entries fresh and, every 10 s, queues again the jobs
    // Redis lost (requeue_lost_jobs) and removes finished jobs' staging directories.
    void keep_fresh();
    // Sleeps `duration` unless asked to stop first; false when stopping.
    bool pause(std::chrono::milliseconds duration);

    const DaemonConfig& config_;
    iiif::CatalogWriter& catalog_;
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
