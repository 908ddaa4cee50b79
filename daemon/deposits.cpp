#include "deposits.hpp"

#include "clock.hpp"

namespace iiifd {

IngestJob Deposits::accept(Redis& redis, const std::string& job_id, std::vector<DepositFile> files,
                           iiif::ObjectMetadata metadata, const std::string& origin) const {
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
