// The Redis feed: ingest jobs in a stream read through a consumer group, each job's progress in
// a hash, and catalog changes in an events stream.
//
//   {ingest_stream}   XADD * job {ingest_job_to_json}        consumer group {consumer_group}
//   iiif:job:{id}     hash: state (queued|running|done|failed), ark, origin, files (JSON list of
//                     {name, state, page, error}), error, attempts, created, updated
//   {events_stream}   XADD * type object.{created,updated,withdrawn,reinstated,purged} ark
//                     datestamp
//
// Delivery is at least once: an entry stays pending until its job is complete (catalog and
// status written), and a pending entry that a dead consumer left idle is claimed by another
// (XAUTOCLAIM). A live worker keeps its entry fresh (XCLAIM JUSTID), so a long job is never
// taken from under it. Jobs are idempotent, so a redelivery finishes a job, never doubles it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon_config.hpp"
#include "ingest.hpp"
#include "redis_client.hpp"

namespace iiifd {

enum class JobState { queued, running, done, failed };
std::string_view job_state_name(JobState state);

// 24 lowercase hex digits from a cryptographic source.
std::string new_job_id();
bool is_job_id(std::string_view text);

// XGROUP CREATE ... 0 MKSTREAM: the group delivers every entry the stream holds, those
// appended before it was made included; an existing group is fine.
void ensure_consumer_group(Redis& redis, const DaemonConfig& config);

// Appends again, at the stream's end, the entries the group has passed over: behind its last
// delivered id, yet pending for no consumer (what a group made at "$" after them, by an earlier
// iiifd, left queued for ever). A finished job's entry is deleted with its acknowledgement, so
// any other such entry is a job never run. Returns how many.
int requeue_passed_over(Redis& redis, const DaemonConfig& config);

// Removes from the group the consumers that hold no pending entry and have not been seen for
// long (earlier runs of iiifd: each run is a new consumer, {hostname}-{pid}). Never one with
// pending entries: deleting it would drop them. Returns how many were removed.
int forget_departed_consumers(Redis& redis, const DaemonConfig& config);

// Makes the consumer group if missing, then records the job as queued and appends it to the
// ingest stream, in one transaction (a deposit is accepted through deposits.hpp, which mints its
// ARK first).
void enqueue_job(Redis& redis, const DaemonConfig& config, const IngestJob& job);

// The job's status as the API shows it: {"job", "state", "ark", "origin", "files": [{"name",
// "state", "page", "error"}], "error", "attempts", "created", "updated"}; nullopt when unknown.
std::optional<std::string> job_status_json(Redis& redis, const std::string& job_id);
// The institution the job's object belongs to ("" for the home institution); nullopt for a job
// recorded before jobs named it, or none.
std::optional<std::string> job_institution(Redis& redis, const std::string& job_id);
// Just the state field, when the job is known.
std::optional<std::string> job_state(Redis& redis, const std::string& job_id);

// A job handed to this consumer.
struct Delivery {
    std::string entry_id;    // stream entry id, for XACK
    std::string payload;     // the "job" field: ingest_job_to_json
    bool reclaimed = false;  // taken over from a consumer that stopped
};

// What a worker thread reads the stream with (each worker has its own, with its connection).
class JobConsumer {
  public:
    JobConsumer(const DaemonConfig& config, Redis& redis) : config_(config), redis_(redis) {}

    // First a job left idle by a dead consumer, else a new one, waiting at most `block`.
    std::optional<Delivery> next(std::chrono::milliseconds block);

  private:
    std::optional<Delivery> reclaim();

    const DaemonConfig& config_;
    Redis& redis_;
    std::string reclaim_cursor_ = "0-0";
};

// What the ingest stream holds now: its entries, jobs queued or under way (a finished job's
// entry is deleted), and of them those delivered to a worker and not yet acknowledged (XPENDING
// of the consumer group; 0 while there is no group).
struct QueueDepth {
    long long entries = 0;
    long long pending = 0;
    long long handed_over = 0;  // entries of the record stream (record_queue)
};
QueueDepth queue_depth(Redis& redis, const DaemonConfig& config);

// Marks a job running and counts the attempt; returns the attempt number (1 the first time).
long long start_job(Redis& redis, const std::string& job_id);
// Rewrites the per-file progress of a running job.
void record_job_files(Redis& redis, const std::string& job_id,
                      const std::vector<FileOutcome>& files);

struct CatalogEvent {
    std::string type;  // object.created, .updated, .withdrawn, .reinstated, .purged
    std::string ark;
    std::int64_t datestamp = 0;
};
// Appends a catalog change to the events stream.
void append_event(Redis& redis, const DaemonConfig& config, const CatalogEvent& event);
// The same for a change already made (object.json and the catalog have it): a failure is
// logged, not thrown, since the change stands and only its event is lost.
void announce_change(Redis& redis, const DaemonConfig& config, const CatalogEvent& event);
// The same for many changes, in one transaction (a harvest's page).
void announce_changes(Redis& redis, const DaemonConfig& config,
                      const std::vector<CatalogEvent>& events);

// How long a finished job's record (iiif:job:{id}, GET /api/v1/jobs/{id}) is kept: 30 days.
constexpr long kFinishedJobSeconds = 30L * 24 * 3600;

// The end of a job, in one transaction: its final state and files, its catalog event if any,
// the acknowledgement (XACK, then XDEL: a finished job leaves the stream), and the record's
// expiry (kFinishedJobSeconds).
void complete_job(Redis& redis, const DaemonConfig& config, const Delivery& delivery,
                  const std::string& job_id, JobState state, const std::vector<FileOutcome>& files,
                  const std::string& error, const std::optional<CatalogEvent>& event);
// The stream through which a delivery node's workers hand converted jobs to the writer to
// record (workers.hpp): {ingest_stream}:record, in the same consumer group, read by the writer
// alone. What is returned is `config` with that stream as its ingest stream, so that the
// functions here (consumer group, JobConsumer, complete_job, discard_entry) work on it as they
// do on the ingest stream.
DaemonConfig record_queue(const DaemonConfig& config);
std::string record_stream(const DaemonConfig& config);  // its name alone
// A delivery node's hand-over, in one transaction: the job's files as converted, `payload`
// (handed_over_job_to_json) appended to the record stream, and the ingest stream's entry
// acknowledged and deleted. The job is thus in one stream or the other, never in both or none.
void hand_over_job(Redis& redis, const DaemonConfig& config, const Delivery& delivery,
                   const std::string& job_id, const std::vector<FileOutcome>& files,
                   const std::string& payload);
// Drops an entry that holds no readable job.
void discard_entry(Redis& redis, const DaemonConfig& config, const std::string& entry_id);

// Resets the idle time of entries this consumer is still working on (XCLAIM ... JUSTID).
void keep_entries_fresh(Redis& redis, const DaemonConfig& config,
                        const std::vector<std::string>& entry_ids);

}  // namespace iiifd
