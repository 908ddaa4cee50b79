#include "deposits.hpp"

#include "access_config.hpp"
#include "clock.hpp"

namespace iiifd {

void Deposits::check(const iiif::ObjectMetadata& metadata) const {
    check_access_name(config_, metadata);
}

IngestJob Deposits::accept(Redis& redis, const std::string& job_id, std::vector<DepositFile> files,
                           iiif::ObjectMetadata metadata, const std::string& origin) const {
    check(metadata);
    IngestJob job;
    job.id = job_id;
    job.files = std::move(files);
    job.metadata = std::move(metadata);
    if (job.metadata.provider.empty()) job.metadata.provider = config_.institution;
    job.origin = origin;
    job.submitted = iiif::now_seconds();
    redis.command({"PING"});
    job.ark = catalog_.mint(config_.naan, config_.default_shoulder, config_.check_profile);
    enqueue_job(redis, config_, job);
    return job;
}

}  // namespace iiifd
