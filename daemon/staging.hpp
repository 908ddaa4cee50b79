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
// "{page}-{name}", the name reduced to its last path component, without control characters.
std::string staged_file_name(size_t page, std::string_view original_name);

// Removes staging directories whose job is over (done or failed), and those with no job at
// all that nobody has touched for a day (a deposit cut off before it was queued).
void sweep_staging(const DaemonConfig& config, Redis& redis);

}  // namespace iiifd
