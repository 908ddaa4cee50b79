#include "deposits.hpp"

#include "access_config.hpp"
#include "clock.hpp"
#include "iiif_error.hpp"

namespace iiifd {

void Deposits::check(const iiif::ObjectMetadata& metadata) const {
    check_access_name(config_, metadata);
}

IngestJob Deposits::accept(Redis& redis, const std::string& job_id, std::vector<DepositFile> files,
                           iiif::ObjectMetadata metadata, const DepositSource& source) const {
    check(metadata);
    const std::string& owner =
        source.institution.empty() ? directory_.home_institution() : source.institution;
    std::optional<Institution> institution = directory_.institution(owner);
    if (!institution) throw iiif::IiifError(400, "institution: no such institution: " + owner);
    IngestJob job;
    job.id = job_id;
    job.files = std::move(files);
    job.metadata = std::move(metadata);
    if (job.metadata.provider.empty())
        job.metadata.provider = institution->name.empty() ? config_.institution : institution->name;
    job.origin = source.origin;
    job.institution = owner;
    job.submitted = iiif::now_seconds();
    redis.command({"PING"});
    const std::string shoulder = directory_.shoulder_for(
        owner, iiif::set_memberships(job.metadata.sets), source.shoulder);
    job.ark = catalog_.mint(config_.naan, shoulder, config_.check_profile);
    enqueue_job(redis, config_, job);
    directory_.audit().record(source.actor, "object.deposit", job.ark, owner,
                              json_pack("{s:s,s:s,s:i,s:s}", "job", job.id.c_str(), "origin",
                                        job.origin.c_str(), "files",
                                        static_cast<int>(job.files.size()), "shoulder",
                                        shoulder.c_str()));
    return job;
}

}  // namespace iiifd
