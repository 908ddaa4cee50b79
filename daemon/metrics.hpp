// What iiifd has done since it started, counted by the services that do it, for GET /metrics
// (metrics_routes.cpp) in the Prometheus text exposition format 0.0.4:
//
//   iiifd_jobs_total{state}                 ingest jobs finished: done, failed (workers.hpp)
//   iiifd_files_total{state}                their files: done, refused, failed
//   iiifd_ingest_seconds                    histogram: a job's whole processing, from its start
//                                           to its outcome recorded
//   iiifd_conversion_seconds                histogram: one original made into its master
//                                           (convert_to_master, ingest.hpp)
//   iiifd_jobs_handed_over_total            jobs a delivery node's workers converted and handed
//                                           to the writer to record (workers.hpp)
//   iiifd_oai_requests_total{verb,status}   /oai answers by verb (one of the six, else "other")
//                                           and HTTP status
//   iiifd_harvest_runs_total{partner,outcome}  the harvest thread's runs (harvest_scheduler.hpp):
//                                           done, failed
//   iiifd_redis_up, iiifd_ingest_queue_entries, iiifd_ingest_queue_pending,
//   iiifd_record_queue_entries              gauges read from Redis at each scrape
//
// One Metrics per process, made by main and passed to the services that count: every member is
// safe to call from any thread (workers, HTTP threads, the harvest thread). Counts start at zero
// with each iiifd; Prometheus reads a restart from the counters' fall.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "job_queue.hpp"

namespace iiifd {

// A Prometheus histogram: observations counted under each upper bound they do not pass.
class Histogram {
  public:
    // `bounds`: increasing upper bounds; +Inf is implied.
    explicit Histogram(std::vector<double> bounds);
    void observe(double value);

    struct Snapshot {
        std::vector<double> bounds;
        std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (= count)
        double sum = 0;
        std::uint64_t count = 0;
    };
    Snapshot snapshot() const;

  private:
    const std::vector<double> bounds_;
    mutable std::mutex mutex_;
    std::vector<std::uint64_t> buckets_;  // per bound, then +Inf; not cumulative
    double sum_ = 0;
};

// Counters of one metric told apart by the values of its labels.
class LabelledCounter {
  public:
    using Labels = std::vector<std::string>;  // values, in the order of the label names
    explicit LabelledCounter(std::vector<std::string> names) : names_(std::move(names)) {}
    // Shown at 0 before anything is counted, so that a rate has a start.
    void declare(const Labels& values);
    void add(const Labels& values, std::uint64_t amount = 1);

    const std::vector<std::string>& names() const { return names_; }
    std::map<Labels, std::uint64_t> snapshot() const;

  private:
    const std::vector<std::string> names_;
    mutable std::mutex mutex_;
    std::map<Labels, std::uint64_t> counts_;
};

// What both sides of replication show in /metrics and `iiifd replica status`.
struct ReplicationGauges {
    std::atomic<std::int64_t> published{0};    // writer: the stream's last change
    std::atomic<std::int64_t> snapshot{0};     // writer: the newest snapshot's change
    std::atomic<std::int64_t> unconfirmed{0};  // writer: appends WAIT did not see confirmed
    std::atomic<std::int64_t> bootstraps{0};   // replica: snapshots loaded
    std::atomic<std::int64_t> applied{0};      // replica: changes applied since it started
};

// The text of one scrape, metric by metric (format 0.0.4): each family's HELP and TYPE lines,
// then its samples.
class Exposition {
  public:
    void family(std::string_view name, std::string_view type, std::string_view help);
    void sample(std::string_view name, const std::vector<std::string>& names,
                const std::vector<std::string>& values, const std::string& value);
    void counter(std::string_view name, std::string_view help, const LabelledCounter& counter);
    void histogram(const std::string& name, std::string_view help, const Histogram& histogram);
    void gauge(std::string_view name, std::string_view help, long long value);
    void gauge(std::string_view name, std::string_view help, double value);
    // A counter without labels.
    void total(std::string_view name, std::string_view help, long long value);
    std::string text() && { return std::move(out_); }

  private:
    std::string out_;
};

class Metrics {
  public:
    Metrics();
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    // A job whose outcome Redis took, `seconds` after it started; and each of its files' states.
    void job_finished(JobState state, double seconds, const std::vector<FileOutcome>& files);
    void conversion_took(double seconds);
    void job_handed_over() { handed_over_ += 1; }
    // An /oai answer: the request's verb ("other" unless one of the six, oai_routes.cpp) and
    // the HTTP status.
    void oai_answered(std::string_view verb, int status);
    // A harvest the harvest thread ran: outcome "done" or "failed" (HarvestRun::status).
    void harvest_ran(const std::string& partner, const std::string& outcome);

    // The text of a scrape: every metric with its HELP and TYPE lines; the queue's gauges when
    // Redis answered (`queue`), iiifd_redis_up 1 then, 0 otherwise.
    std::string exposition(const std::optional<QueueDepth>& queue) const;
    // The ingest metrics alone (jobs, files, times, hand-overs): a delivery node's /metrics.
    std::string ingest_exposition() const;

    // Replication's (replica_follower.hpp, replication_exposition): set by the publisher or the
    // follower, read at the scrape.
    ReplicationGauges replication;
    // A replica's delay from the writer's commit of a change to its own.
    Histogram replica_apply_delay{{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}};

  private:
    LabelledCounter jobs_{{"state"}};
    LabelledCounter files_{{"state"}};
    Histogram ingest_seconds_;
    Histogram conversion_seconds_;
    std::atomic<long long> handed_over_{0};
    LabelledCounter oai_requests_{{"verb", "status"}};
    LabelledCounter harvest_runs_{{"partner", "outcome"}};
};

}  // namespace iiifd
