#include "deposits.hpp"

#include <algorithm>

#include "access_config.hpp"
#include "clock.hpp"
#include "durable_jobs.hpp"
#include "iiif_error.hpp"

namespace iiifd {

void Deposits::check(const iiif::ObjectMetadata& metadata) const {
    check_access_name(*catalog_.reader().access_settings(), metadata);
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
    queue_job_durably(redis, config_, job);
    directory_.audit().record(source.actor, "object.deposit", job.ark, owner,
                              json_pack("{s:s,s:s,s:i,s:s}", "job", job.id.c_str(), "origin",
                                        job.origin.c_str(), "files",
                                        static_cast<int>(job.files.size()), "shoulder",
                                        shoulder.c_str()));
    return job;
}

IngestJob Deposits::accept_pages(Redis& redis, const std::string& job_id,
                                std::vector<DepositFile> files, const std::string& ark,
                                const std::string& mode, const std::string& target,
                                const DepositSource& source) const {
    std::optional<iiif::ObjectRecord> object = catalog_.reader().object(ark);
    if (!object) throw iiif::IiifError(404, "no object " + ark);
    if (object->state == iiif::RecordState::withdrawn)
        throw iiif::IiifError(409, "the object has been withdrawn");
    const bool target_is_page =
        std::any_of(object->images.begin(), object->images.end(),
                    [&](const std::string& id) { return iiif::page_name(id) == target; });
    if (mode == "replace" && !target_is_page) throw iiif::IiifError(404, "no page " + target);
    if (mode == "replace" && files.size() != 1)
        throw iiif::IiifError(400, "a page is replaced by one file");
    if (mode == "add" && !target.empty() && !target_is_page)
        throw iiif::IiifError(400, "after: \"" + target + "\" is not one of the object's pages");
    if (object->images.size() + (mode == "add" ? files.size() : 0) >
        static_cast<size_t>(config_.max_files_per_object))
        throw iiif::IiifError(413, "more than " + std::to_string(config_.max_files_per_object) +
                                       " pages in one object");
    IngestJob job;
    job.id = job_id;
    job.ark = object->ark;
    job.files = std::move(files);
    job.metadata = object->metadata;
    job.origin = source.origin;
    job.institution = directory_.owner_of(*object);
    job.mode = mode;
    job.target = target;
    job.submitted = iiif::now_seconds();
    redis.command({"PING"});
    queue_job_durably(redis, config_, job);
    directory_.audit().record(source.actor, "object.pages." + mode, job.ark, job.institution,
                              json_pack("{s:s,s:s,s:i}", "job", job.id.c_str(), "target",
                                        target.c_str(), "files",
                                        static_cast<int>(job.files.size())));
    return job;
}

}  // namespace iiifd
