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
#include <utility>

#include "clock.hpp"
#include "harvest_pages.hpp"
#include "iiif_error.hpp"
#include "ingest.hpp"
#include "job_queue.hpp"
#include "record_images.hpp"
#include "storage.hpp"
#include "takedown.hpp"

namespace iiifd {
namespace {

constexpr const char* kOaiDcNamespace = "http://www.openarchives.org/OAI/2.0/oai_dc/";
constexpr const char* kDeletedAtSource = "deleted at the source";
constexpr std::size_t kMostMappedBytes = std::size_t{96} << 20;

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

// A file of "key<TAB>value" lines, appended to durably (append_durably); the last value of a
// key counts. A last line without its line break was being written when the power went: it was
// never made durable, so nothing was done under it. It goes, so the next append starts a line of
// its own. Throws std::runtime_error naming a line that does not read.
RecordMap read_pairs(const std::string& path, const char* form) {
    std::ifstream in(path, std::ios::binary);
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const size_t complete = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
    if (complete < text.size()) {
        spdlog::warn("{}: an unfinished last line dropped", path);
        std::filesystem::resize_file(path, complete);
        text.resize(complete);
    }
    RecordMap pairs;
    size_t number = 0;
    for (size_t begin = 0; begin < text.size();) {
        const size_t end = text.find('\n', begin);
        const std::string line = text.substr(begin, end - begin);
        begin = end + 1;
        ++number;
        const size_t tab = line.find('\t');
        if (tab == std::string::npos || tab == 0 || tab + 1 == line.size())
            throw std::runtime_error(path + ": line " + std::to_string(number) + " is not \"" +
                                     form + "\"");
        pairs.set(std::string_view(line).substr(0, tab), std::string_view(line).substr(tab + 1));
    }
    return pairs;
}

// A fresh directory of its own in staging for one record's pages.
std::string make_page_directory(const DaemonConfig& config, const std::string& partner) {
    make_directories(config.staging_dir);
    std::string path = config.staging_dir + "/harvest-" + partner + "-XXXXXX";
    if (::mkdtemp(path.data()) == nullptr)
        throw std::runtime_error(config.staging_dir +
                                 ": cannot make a directory: " + std::strerror(errno));
    return path;
}

// Two metadata alike but for when they were harvested.
bool same_but_harvest_time(iiif::ObjectMetadata a, iiif::ObjectMetadata b) {
    if (a.origin) a.origin->harvested = 0;
    if (b.origin) b.origin->harvested = 0;
    return a == b;
}

}  // namespace

HarvestObjects::HarvestObjects(ObjectChanges& changes, const Partner& partner, std::stop_token stop)
    : changes_(changes),
      partner_(partner),
      map_path_(changes.config.storage_root + "/harvests/" + partner.id + "/identifiers.tsv"),
      pages_path_(changes.config.storage_root + "/harvests/" + partner.id + "/pages.tsv"),
      fetch_limits_(page_fetch_limits(changes.config)),
      stop_(std::move(stop)) {}

void HarvestObjects::begin() {
    arks_ = read_pairs(map_path_, "identifier<TAB>ark");
    pages_ = read_pairs(pages_path_, "identifier<TAB>signature");
}

iiif::ObjectMetadata HarvestObjects::metadata_of(const HarvestedRecord& record,
                                                 const NormalisedRecord& normalised,
                                                 const PagePlan& plan) const {
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
    origin.link = plan.landing_page;
    metadata.origin = std::move(origin);
    iiif::check_metadata_limits(metadata);
    return metadata;
}

SinkOutcome HarvestObjects::take(const Partner&, const HarvestedRecord& record,
                                 const NormalisedRecord& normalised) {
    if (record.identifier.empty() || record.identifier.find_first_of("\t\r\n") != std::string::npos)
        throw iiif::IiifError(400, "an OAI identifier that is empty or holds a tab or line break");
    const std::optional<std::string_view> mapped = arks_.find(record.identifier);
    std::optional<iiif::ObjectRecord> existing;
    if (mapped) existing = changes_.catalog.reader().object(*mapped);
    Takedown takedown(changes_);
    const TakedownRequest request{kDeletedAtSource, partner_.name, "harvest:" + partner_.id};

    if (record.deleted) {
        if (!existing || existing->state == iiif::RecordState::withdrawn)
            return existing ? SinkOutcome::unchanged : SinkOutcome::ignored;
        takedown.apply(TakedownAction::withdraw, existing->ark, request);
        return SinkOutcome::withdrawn;
    }

    const PagePlan plan = choose_pages(find_image_references(record));
    iiif::ObjectMetadata metadata = metadata_of(record, normalised, plan);
    // Pages to fetch: the partner's images are wanted, the record names some, and not those it
    // named when its pages were last fetched.
    std::optional<PagePlan> pages;
    const std::string signature = pages_signature(plan);
    if (partner_.images == PartnerImages::fetch && !plan.described_only()) {
        const std::optional<std::string_view> fetched = pages_.find(record.identifier);
        if (!fetched || *fetched != signature) pages = plan;
    }
    if (!existing) {
        hold({record.identifier, "", std::move(metadata), true, std::move(pages), signature,
              record.metadata_xml});
        return SinkOutcome::created;
    }
    if (existing->state == iiif::RecordState::withdrawn) {
        // Back at the source: reinstated, unless it was withdrawn here for another reason.
        if (existing->withdrawn_reason != kDeletedAtSource) return SinkOutcome::unchanged;
        TakedownRequest back = request;
        back.reason = "back at the source";
        *existing = takedown.apply(TakedownAction::reinstate, existing->ark, back);
    }
    // Its owner is the partner's: a partner given another owner hands its objects over.
    const std::string& home = changes_.config.institution_id;
    const bool same_owner = (existing->institution.empty() ? home : existing->institution) ==
                            (partner_.owner.empty() ? home : partner_.owner);
    if (same_owner && same_but_harvest_time(existing->metadata, metadata)) {
        if (pages)
            hold({record.identifier, existing->ark, existing->metadata, false, pages, signature,
                  ""});
        return SinkOutcome::unchanged;
    }
    hold({record.identifier, existing->ark, std::move(metadata), true, std::move(pages), signature,
          record.metadata_xml});
    return SinkOutcome::updated;
}

void HarvestObjects::take_extra(const std::string& prefix, const HarvestedRecord& record) {
    if (record.deleted || record.metadata_xml.empty()) return;
    const std::optional<std::string_view> mapped = arks_.find(record.identifier);
    if (!mapped) return;  // no object: its oai_dc record was refused or absent
    const std::optional<iiif::ObjectRecord> object = changes_.catalog.reader().object(*mapped);
    if (!object || object->state == iiif::RecordState::withdrawn) return;
    extra_sources_.emplace_back(changes_.store.source_record(object->ark, prefix),
                                record.metadata_xml);
    if (partner_.images != PartnerImages::fetch) return;
    const PagePlan plan = choose_pages(find_image_references(record));
    if (plan.described_only()) return;
    // Pages from this format only for a record whose oai_dc names none (its pages would be
    // noted under their plain signature).
    const std::string signature = prefix + ":" + pages_signature(plan);
    const std::optional<std::string_view> fetched = pages_.find(record.identifier);
    if (fetched && (!fetched->starts_with(prefix + ":") || *fetched == signature)) return;
    if (pending_at_.count(record.identifier) != 0) return;  // its oai_dc pages come first
    hold({record.identifier, object->ark, object->metadata, false, plan, signature, ""});
}

void HarvestObjects::hold(Pending pending) {
    // A list names a record once; should a page name it twice, its last version is written.
    const auto [at, added] = pending_at_.emplace(pending.identifier, pending_.size());
    if (added) {
        pending_.push_back(std::move(pending));
    } else {
        pending_[at->second] = std::move(pending);
    }
}

void HarvestObjects::page_done() {
    if (pending_.empty() && extra_sources_.empty()) return;
    std::vector<Pending> pending = std::move(pending_);
    pending_.clear();
    pending_at_.clear();
    write_pending(pending);
    changes_.store.write_source_records(std::exchange(extra_sources_, {}));
    // Then the pages, record by record, the described object standing until its pages are in.
    for (const Pending& record : pending)
        if (record.pages && !stop_.stop_requested()) ingest_pages(record);
    // A page's records read catalog pages all over the file (their keys are random), each of
    // which stays mapped: past a bound, they are given back (they stay in the page cache), so
    // that iiifd's resident memory stays flat however long the harvest.
    changes_.catalog.unmap_pages_beyond(kMostMappedBytes);
}

void HarvestObjects::write_pending(std::vector<Pending>& pending) {
    // ARKs first, durably noted with their records, then the objects: a crash in between finds
    // them again and makes each object once.
    size_t unnamed = 0;
    for (Pending& record : pending) {
        if (!record.ark.empty()) continue;
        // Noted before a crash, never written.
        if (const std::optional<std::string_view> noted = arks_.find(record.identifier)) {
            record.ark = std::string(*noted);
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
            arks_.set(record.identifier, record.ark);
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
        if (!record.write_metadata) continue;
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
        object.metadata = record.metadata;
        // A partner's objects belong to its owner, as long as they are its.
        object.institution = partner_.owner;
        ObjectStore::Change change{
            object,
            created[i] ? std::optional(std::vector<iiif::ImageRecord>{}) : std::nullopt,
            {}};
        if (!record.source_xml.empty())
            change.source_records.emplace_back("oai_dc", record.source_xml);
        files.push_back(std::move(change));
        events.push_back(
            {created[i] ? "object.created" : "object.updated", object.ark, object.datestamp});
        entries.push_back({std::move(object), {}});
    }
    changes_.store.write_many(files, [&] { changes_.catalog.put_many(entries); });
    announce_changes(*redis, changes_.config, events);
}

void HarvestObjects::ingest_pages(const Pending& record) {
    const std::string directory = make_page_directory(changes_.config, partner_.id);
    try {
        IngestJob job;
        job.id = std::filesystem::path(directory).filename().string();
        job.ark = record.ark;
        job.files = fetch_pages(*record.pages, directory, fetch_limits_);
        job.metadata = record.metadata;
        job.origin = "harvest";
        job.institution = partner_.owner;
        job.submitted = iiif::now_seconds();
        const IngestResult result = ingest_job(changes_.config, changes_.catalog, job, {});
        long done = 0;
        std::string refused;  // the pages the ingest refused, each with its reason
        for (size_t i = 0; i < result.files.size(); ++i) {
            const FileOutcome& file = result.files[i];
            if (file.state == FileState::done) {
                ++done;
            } else {
                refused += std::string(refused.empty() ? "" : "; ") + "page " +
                           std::to_string(i + 1) + " (" + file.name + "): " + file.error;
            }
        }
        std::filesystem::remove_all(directory);
        if (result.object_written) {
            pages_fetched_ += done;
            const std::optional<iiif::ObjectRecord> object =
                changes_.catalog.reader().object(job.ark);
            if (object) {
                auto redis = changes_.redis.lease();
                announce_change(*redis, changes_.config,
                                CatalogEvent{"object.updated", object->ark, object->datestamp});
            }
        }
        if (!refused.empty()) {
            // The object has the pages that were had: the record is tried again at the next
            // harvest, the ingest finding those already in by their checksums.
            failures_.push_back({record.identifier, "pages: " + refused});
            return;
        }
        // Noted once all its pages are in the catalog: a crash before this fetches them again,
        // and the ingest finds them already there by their checksums.
        append_durably(pages_path_, record.identifier + "\t" + record.pages_signature + "\n");
        pages_.set(record.identifier, record.pages_signature);
    } catch (const std::exception& failure) {
        std::error_code ignored;
        std::filesystem::remove_all(directory, ignored);
        failures_.push_back({record.identifier, std::string("pages: ") + failure.what()});
    }
}

std::vector<SkippedRecord> HarvestObjects::take_page_failures() {
    return std::exchange(failures_, {});
}

}  // namespace iiifd
