#include "harvest_objects.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "clock.hpp"
#include "iiif_error.hpp"
#include "job_queue.hpp"
#include "record_images.hpp"
#include "storage.hpp"
#include "takedown.hpp"

namespace iiifd {
namespace {

constexpr const char* kOaiDcNamespace = "http://www.openarchives.org/OAI/2.0/oai_dc/";
constexpr const char* kDeletedAtSource = "deleted at the source";

// Appends `text` to `path` and makes it durable.
void append_durably(const std::string& path, const std::string& text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int error = errno;
            ::close(fd);
            throw std::runtime_error("cannot write " + path + ": " + std::strerror(error));
        }
        written += static_cast<size_t>(n);
    }
    const bool synced = ::fsync(fd) == 0;
    const int error = errno;
    ::close(fd);
    if (!synced) throw std::runtime_error("cannot write " + path + ": " + std::strerror(error));
}

// Two metadata alike but for when they were harvested.
bool same_but_harvest_time(iiif::ObjectMetadata a, iiif::ObjectMetadata b) {
    if (a.origin) a.origin->harvested = 0;
    if (b.origin) b.origin->harvested = 0;
    return a == b;
}

}  // namespace

HarvestObjects::HarvestObjects(ObjectChanges& changes, const Partner& partner)
    : changes_(changes),
      partner_(partner),
      map_path_(changes.config.storage_root + "/harvests/" + partner.id + "/identifiers.tsv") {
    std::ifstream in(map_path_);
    size_t number = 0;
    for (std::string line; std::getline(in, line);) {
        ++number;
        const size_t tab = line.find('\t');
        if (tab == std::string::npos || tab == 0 || tab + 1 == line.size())
            throw std::runtime_error(map_path_ + ": line " + std::to_string(number) +
                                     " is not \"identifier<TAB>ark\"");
        arks_[line.substr(0, tab)] = line.substr(tab + 1);
    }
}

iiif::ObjectMetadata HarvestObjects::metadata_of(const HarvestedRecord& record,
                                                 const NormalisedRecord& normalised) const {
    iiif::ObjectMetadata metadata = normalised.metadata;
    metadata.provider = partner_.institution;
    if (metadata.license.empty()) metadata.license = partner_.license;
    metadata.sets = {partner_set(partner_.id)};
    iiif::ObjectOrigin origin;
    origin.partner = partner_.id;
    origin.base_url = partner_.base_url;
    origin.identifier = record.identifier;
    origin.datestamp = record.datestamp;
    origin.metadata_namespace = kOaiDcNamespace;
    origin.harvested = iiif::now_seconds();
    origin.link = choose_pages(find_image_references(record)).landing_page;
    metadata.origin = std::move(origin);
    iiif::check_metadata_limits(metadata);
    return metadata;
}

SinkOutcome HarvestObjects::take(const Partner&, const HarvestedRecord& record,
                                 const NormalisedRecord& normalised) {
    if (record.identifier.empty() || record.identifier.find_first_of("\t\r\n") != std::string::npos)
        throw iiif::IiifError(400, "an OAI identifier that is empty or holds a tab or line break");
    const auto mapped = arks_.find(record.identifier);
    std::optional<iiif::ObjectRecord> existing;
    if (mapped != arks_.end()) existing = changes_.catalog.reader().object(mapped->second);
    Takedown takedown(changes_);
    const TakedownRequest request{kDeletedAtSource, partner_.name, "harvest:" + partner_.id};

    if (record.deleted) {
        if (!existing || existing->state == iiif::RecordState::withdrawn)
            return existing ? SinkOutcome::unchanged : SinkOutcome::ignored;
        takedown.apply(TakedownAction::withdraw, existing->ark, request);
        return SinkOutcome::withdrawn;
    }

    iiif::ObjectMetadata metadata = metadata_of(record, normalised);
    if (!existing) {
        pending_.push_back({record.identifier, std::move(metadata)});
        return SinkOutcome::created;
    }
    if (existing->state == iiif::RecordState::withdrawn) {
        // Back at the source: reinstated, unless it was withdrawn here for another reason.
        if (existing->withdrawn_reason != kDeletedAtSource) return SinkOutcome::unchanged;
        TakedownRequest back = request;
        back.reason = "back at the source";
        *existing = takedown.apply(TakedownAction::reinstate, existing->ark, back);
    }
    if (same_but_harvest_time(existing->metadata, metadata)) return SinkOutcome::unchanged;

    auto redis = changes_.redis.lease();
    std::lock_guard lock(changes_.mutex);
    iiif::ObjectRecord object = changes_.object(existing->ark);
    object.metadata = std::move(metadata);
    object.updated = object.datestamp = std::max(iiif::now_seconds(), object.datestamp);
    changes_.store.rewrite(object, [&] { changes_.catalog.put(object, {}); });
    announce_change(*redis, changes_.config,
                    CatalogEvent{"object.updated", object.ark, object.datestamp});
    return SinkOutcome::updated;
}

void HarvestObjects::page_done() {
    if (pending_.empty()) return;
    // ARKs first, durably noted with their records, then the objects: a crash in between finds
    // them again and makes each object once.
    std::string lines;
    for (const Pending& record : pending_) {
        if (arks_.count(record.identifier) != 0) continue;  // noted before a crash, never written
        const std::string ark = changes_.catalog.mint(changes_.config.naan, partner_.shoulder,
                                                      changes_.config.check_profile);
        arks_[record.identifier] = ark;
        lines += record.identifier + "\t" + ark + "\n";
    }
    if (!lines.empty()) {
        make_directories(map_path_.substr(0, map_path_.rfind('/')));
        append_durably(map_path_, lines);
    }
    std::vector<Pending> pending = std::move(pending_);
    pending_.clear();
    for (const Pending& record : pending) write_new(arks_.at(record.identifier), record.metadata);
}

void HarvestObjects::write_new(const std::string& ark, const iiif::ObjectMetadata& metadata) {
    iiif::ObjectRecord object;
    object.ark = ark;
    object.metadata = metadata;
    object.state = iiif::RecordState::active;
    object.created = object.updated = object.datestamp = iiif::now_seconds();
    auto redis = changes_.redis.lease();
    std::lock_guard lock(changes_.mutex);
    make_directories(changes_.store.files(ark).directory);  // no pages: nothing made it yet
    changes_.store.write(object, {}, [&] { changes_.catalog.put(object, {}); });
    announce_change(*redis, changes_.config,
                    CatalogEvent{"object.created", object.ark, object.datestamp});
}

}  // namespace iiifd
