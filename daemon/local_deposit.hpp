// Files of this machine deposited as one object, as the API's deposits are: `iiifd ingest` and
// `iiifd import` (a spreadsheet of documents, sheet_command.hpp).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "catalog.hpp"
#include "daemon_config.hpp"
#include "deposits.hpp"
#include "ingest.hpp"
#include "job_queue.hpp"

namespace iiifd {

// The files `paths` name, a directory standing for its files in name order (hidden ones left
// out). std::runtime_error for a path that is neither, or when none is left.
std::vector<std::filesystem::path> local_files(const std::vector<std::string>& paths);

// Copies `files` into a job's staging directory and accepts the deposit (Deposits::accept),
// `pages_json` labelling its pages when not empty (page_labels.hpp). The staging directory is
// removed when it throws (IiifError, RedisUnavailable, std::runtime_error for a file over the
// per-object limit).
IngestJob deposit_local_files(const DaemonConfig& config, const Deposits& deposits, Redis& redis,
                              const std::vector<std::filesystem::path>& files,
                              iiif::ObjectMetadata metadata, const std::string& pages_json,
                              const DepositSource& source);

}  // namespace iiifd
