// Jobs durable on the storage root. Redis replicates asynchronously: a master that dies just
// after a deposit was queued may leave a promoted replica that never heard of the job. So a
// job's description (ingest_job_to_json, what the stream carries) is kept beside its files as
// {staging}/{job}/job.json, written and fsynced before the job is queued, and gone with the
// staging directory once the job is over. A job.json whose job Redis does not know is a job
// Redis lost: it is queued again from it, under its id and its ARK (nothing is minted again).
// Ingest is idempotent, so a job queued twice still ends in one object.
//
// A deposit and the repair never meet on one job: each holds the staging directory's flock
// (the directory itself, not the worker's ".lock" in it, which a worker must find free the
// moment the job is delivered) from its look at Redis to its enqueue.
#pragma once

#include <string>

#include "daemon_config.hpp"
#include "ingest.hpp"
#include "redis_client.hpp"

namespace iiifd {

// Writes job.json (atomically, fsynced), then enqueue_job; when that fails, job.json is removed
// before the failure is thrown on, so that a deposit answered 503 is never queued later. Then,
// with [redis] wait_replicas, waits for the replicas (replicas_have_writes).
void queue_job_durably(Redis& redis, const DaemonConfig& config, const IngestJob& job);

// With [redis] wait_replicas N > 0: WAIT on this connection for N replicas (wait_timeout_ms).
// True when they have its writes (or none is asked for); false, logged as a warning naming
// `what`, when fewer had them in time or the connection was lost meanwhile. Never throws.
bool replicas_have_writes(Redis& redis, const DaemonConfig& config, const std::string& what);

// Queues again each job whose staging directory holds a job.json of that job and which Redis
// does not know (job_state is nullopt), each logged. A directory a deposit or another repair
// holds, or a worker runs the job of, is left for the next time. Returns how many. Throws
// RedisUnavailable (the repair is then tried again later).
int requeue_lost_jobs(const DaemonConfig& config, Redis& redis);

}  // namespace iiifd
