// Accepting a deposit: what every way in (the API, the hot folder, the CLI) ends with once the
// files are in the job's staging directory (staging.hpp). The object's ARK is minted here and
// nowhere else, and the job queued durably (durable_jobs.hpp: its job.json fsynced beside its
// files first, then job_queue.hpp, which only carries it, then WAIT for [redis] wait_replicas).
#pragma once

#include <string>
#include <vector>

#include "catalog.hpp"
#include "daemon_config.hpp"
#include "directory.hpp"
#include "dublin_core.hpp"
#include "ingest.hpp"
#include "job_queue.hpp"

namespace iiifd {

// Where a deposit comes from and whose it is.
struct DepositSource {
    std::string origin;       // "api", "hotfolder" or "cli"
    std::string institution;  // the new object's owner; empty: the home institution
    Actor actor;              // who deposits, as the audit log records it
    // The shoulder its ARK is minted under (Directory::shoulder_for chooses when empty).
    std::string shoulder{};
};

class Deposits {
  public:
    Deposits(const DaemonConfig& config, iiif::CatalogWriter& catalog, Directory& directory)
        : config_(config), catalog_(catalog), directory_(directory) {}

    // What every deposit is refused for before anything is asked of Redis or the catalog: an
    // access policy the configuration does not define (IiifError 400, check_access_name). accept
    // asks it; an adapter may ask it sooner, to refuse before it moves or stages any file.
    void check(const iiif::ObjectMetadata& metadata) const;

    // Checks the deposit, mints the object's ARK, queues its job (queue_job_durably) and records
    // it in the audit log. Redis is asked first, so that no ARK (minted for ever) is spent on a deposit that
    // cannot be queued. An empty provider becomes the owner institution's name. Throws IiifError
    // (check; 400 for an institution the directory does not know) or RedisUnavailable.
    IngestJob accept(Redis& redis, const std::string& job_id, std::vector<DepositFile> files,
                     iiif::ObjectMetadata metadata, const DepositSource& source) const;

    // Queues `files` as new pages of the object `ark` ("add", after the page `target`, at the
    // end when it is empty) or as the new image of its page `target` ("replace", one file): a
    // job that makes a new version of it (page_changes.hpp). IiifError 404 (no such object or
    // page), 409 (withdrawn), 400 (not one file to replace a page); RedisUnavailable.
    IngestJob accept_pages(Redis& redis, const std::string& job_id, std::vector<DepositFile> files,
                           const std::string& ark, const std::string& mode,
                           const std::string& target, const DepositSource& source) const;

  private:
    const DaemonConfig& config_;
    iiif::CatalogWriter& catalog_;
    Directory& directory_;
};

}  // namespace iiifd
