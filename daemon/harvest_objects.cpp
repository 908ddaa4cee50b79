#include "harvest_objects.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

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
    std::ifstream in(map_path_, std::ios::binary);
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    // A last line without its line break was being written when the power went: it was never
    // made durable, so no object was written under it. It goes, so the next append starts a
    // line of its own.
    const size_t complete = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
    if (complete < text.size()) {
        spdlog::warn("{}: an unfinished last line dropped", map_path_);
        std::filesystem::resize_file(map_path_, complete);
        text.resize(complete);
    }
    size_t number = 0;
    for (size_t begin = 0; begin < text.size();) {
        const size_t end = text.find('\n', begin);
        const std::string line = text.substr(begin, end - begin);
        begin = end + 1;
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
        hold({record.identifier, "", std::move(metadata)});
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
    hold({record.identifier, existing->ark, std::move(metadata)});
    return SinkOutcome::updated;
}

void HarvestObjects::hold(Pending pending) {
    // A list names a record once; should a page name it twice, its last version is written.
    const auto [at, added] = pending_at_.emplace(pending.identifier, pending_.size());
    if (added) {
        pending_.push_back(std::move(pending));
    } else {
        pending_[at->second].metadata = std::move(pending.metadata);
    }
}

void HarvestObjects::page_done() {
    if (pending_.empty()) return;
    std::vector<Pending> pending = std::move(pending_);
    pending_.clear();
    pending_at_.clear();
    write_pending(std::move(pending));
}

void HarvestObjects::write_pending(std::vector<Pending> pending) {
    // ARKs first, durably noted with their records, then the objects: a crash in between finds
    // them again and makes each object once.
    size_t unnamed = 0;
    for (Pending& record : pending) {
        if (!record.ark.empty()) continue;
        const auto noted = arks_.find(record.identifier);  // noted before a crash, never written
        if (noted != arks_.end()) {
            record.ark = noted->second;
        } else {
            ++unnamed;
        }
    }
    const std::vector<std::string> minted = changes_.catalog.mint_many(
        changes_.config.naan, partner_.shoulder, changes_.config.check_profile, unnamed);
    std::string lines;
    size_t next = 0;
    std::vector<bool> created(pending.size(), false);
    for (size_t i = 0; i < pending.size(); ++i) {
        Pending& record = pending[i];
        if (record.ark.empty()) {
            record.ark = minted[next++];
            arks_[record.identifier] = record.ark;
            lines += record.identifier + "\t" + record.ark + "\n";
        }
        created[i] = !changes_.catalog.reader().object(record.ark).has_value();
    }
    if (!lines.empty()) {
        make_directories(map_path_.substr(0, map_path_.rfind('/')));
        append_durably(map_path_, lines);
    }

    const std::int64_t now = iiif::now_seconds();
    std::vector<ObjectStore::Change> files;
    std::vector<iiif::CatalogWriter::Entry> entries;
    std::vector<CatalogEvent> events;
    auto redis = changes_.redis.lease();
    std::lock_guard lock(changes_.mutex);
    for (size_t i = 0; i < pending.size(); ++i) {
        Pending& record = pending[i];
        iiif::ObjectRecord object;
        if (created[i]) {
            object.ark = record.ark;
            object.state = iiif::RecordState::active;
            object.created = object.updated = object.datestamp = now;
            make_directories(changes_.store.files(record.ark).directory);  // no pages yet
        } else {
            // Read again under the lock: a change made since take() (a PATCH, a takedown) is
            // kept, only the metadata replaced.
            object = changes_.object(record.ark);
            object.updated = object.datestamp = std::max(now, object.datestamp);
        }
        object.metadata = std::move(record.metadata);
        files.push_back({object, created[i] ? std::optional(std::vector<iiif::ImageRecord>{})
                                            : std::nullopt});
        events.push_back({created[i] ? "object.created" : "object.updated", object.ark,
                          object.datestamp});
        entries.push_back({std::move(object), {}});
    }
    changes_.store.write_many(files, [&] { changes_.catalog.put_many(entries); });
    announce_changes(*redis, changes_.config, events);
}

}  // namespace iiifd
