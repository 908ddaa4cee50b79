// Staging: where a deposit's files wait, {staging_dir}/{job id}/{page}-{name}, from their
// arrival (the API streams them there, the hot folder moves them, the CLI copies them) until
// their job is over. A job names its files by these paths, so every consumer of the stream
// shares this directory.
#pragma once

#include <string>
#include <string_view>

#include "daemon_config.hpp"
#include "job_queue.hpp"

namespace iiifd {

// {staging_dir}/{job id}: the job's files until it is complete.
std::string job_staging_dir(const DaemonConfig& config, const std::string& job_id);
// {staging_dir}/{job id}/job.json: the job's description, kept until it is complete
// (durable_jobs.hpp). No staged file is named so: theirs begin with their page number.
std::string job_file_path(const DaemonConfig& config, const std::string& job_id);
// The name a deposited file is recorded under (its job, the job's status, its image's record),
// whichever way it came: the given name's last path component, made valid UTF-8 (U+FFFD for each
// sequence that is not), without control (C0, DEL, C1) or format characters (bidirectional
// overrides, zero-width ones) or line separators, at most 200 bytes (its end kept, where
// the extension is), "file" when nothing is left. Browsers, file systems and command lines give
// names in whatever encoding they had, and a job travels as JSON, which holds UTF-8 alone.
std::string deposit_file_name(std::string_view given_name);
// "{page}-{deposit_file_name(given_name)}": where the file waits in the job's staging directory.
std::string staged_file_name(size_t page, std::string_view given_name);

// Removes staging directories whose job is over (done or failed), and those with no job at
// all that nobody has touched for a day (a deposit cut off before it was queued). Never one
// that holds a job.json whose job Redis does not know: that is a job Redis lost, to be queued
// again (requeue_lost_jobs), not an orphan. Without `orphans`, only those of jobs over: what a
// running iiifd may remove at any time (a hot folder's subfolder just moved in keeps its age).
void sweep_staging(const DaemonConfig& config, Redis& redis, bool orphans = true);

}  // namespace iiifd
