#include "harvest_run.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "clock.hpp"
#include "daemon_config.hpp"
#include "iiif_error.hpp"
#include "json.hpp"
#include "storage.hpp"

namespace iiifd {
namespace {

constexpr size_t kMostReported = 100;
constexpr size_t kRunsKept = 1000;
constexpr const char* kInterrupted =
    "the harvest stopped before its end (iiifd was killed or the machine stopped)";
// How often the run under way is written to current.json.
constexpr std::int64_t kProgressSeconds = 5;

std::string read_whole(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

json_t* skipped_json(const std::vector<SkippedRecord>& records) {
    json_t* list = json_array();
    for (const SkippedRecord& record : records) {
        json_t* item = json_object();
        json_object_set_new(item, "identifier", iiif::json_string_of(record.identifier));
        json_object_set_new(item, "reason", iiif::json_string_of(record.reason));
        json_array_append_new(list, item);
    }
    return list;
}

void report(std::vector<SkippedRecord>& into, SkippedRecord record) {
    if (into.size() < kMostReported) into.push_back(std::move(record));
}

}  // namespace

json_t* harvest_run_to_json(const HarvestRun& run) {
    json_t* object = json_object();
    json_object_set_new(object, "partner", json_string(run.partner.c_str()));
    json_object_set_new(object, "started",
                        json_string(iiif::format_utc_datetime(run.started).c_str()));
    json_object_set_new(object, "finished",
                        run.finished == 0
                            ? json_null()
                            : json_string(iiif::format_utc_datetime(run.finished).c_str()));
    json_object_set_new(object, "full", json_boolean(run.full));
    json_object_set_new(object, "from",
                        run.from.empty() ? json_null() : json_string(run.from.c_str()));
    json_object_set_new(object, "status", json_string(run.status.c_str()));
    json_object_set_new(object, "error",
                        run.error.empty() ? json_null() : iiif::json_string_of(run.error));
    json_t* counts = json_object();
    const HarvestCounts& c = run.counts;
    for (const auto& [name, value] :
         {std::pair{"records", c.records}, std::pair{"deleted", c.deleted},
          std::pair{"skipped", c.skipped}, std::pair{"created", c.created},
          std::pair{"updated", c.updated}, std::pair{"unchanged", c.unchanged},
          std::pair{"withdrawn", c.withdrawn}, std::pair{"failed", c.failed},
          std::pair{"pages_fetched", c.pages_fetched}, std::pair{"pages_failed", c.pages_failed},
          std::pair{"extra", c.extra}})
        json_object_set_new(counts, name, json_integer(value));
    json_object_set_new(object, "counts", counts);
    json_object_set_new(object, "skipped", skipped_json(run.skipped));
    json_object_set_new(object, "failures", skipped_json(run.failures));
    json_object_set_new(object, "pages", json_integer(run.pages));
    json_object_set_new(
        object, "resumption_token",
        run.resumption_token.empty() ? json_null() : iiif::json_string_of(run.resumption_token));
    json_object_set_new(object, "restarted", json_boolean(run.restarted));
    return object;
}

// ---- HarvestStore -----------------------------------------------------------------------------

HarvestStore::HarvestStore(const DaemonConfig& config) : root_(config.storage_root + "/harvests") {}

std::string HarvestStore::dir(const std::string& partner) const {
    return root_ + "/" + partner;
}

std::optional<std::int64_t> HarvestStore::last_success(const std::string& partner) const {
    const std::string path = dir(partner) + "/state.json";
    if (!std::filesystem::exists(path)) return std::nullopt;
    const std::string text = read_whole(path);
    json_error_t error;
    iiif::Json state(json_loadb(text.data(), text.size(), 0, &error));
    const json_t* started = json_object_get(state.get(), "last_success_started");
    if (!json_is_integer(started))
        throw std::runtime_error(path + ": no last_success_started: remove it for a full harvest");
    return json_integer_value(started);
}

void HarvestStore::record_success(const std::string& partner, std::int64_t started) const {
    make_directories(dir(partner));
    iiif::Json state(json_object());
    json_object_set_new(state.get(), "last_success_started", json_integer(started));
    json_object_set_new(state.get(), "last_success",
                        json_string(iiif::format_utc_datetime(started).c_str()));
    write_file_atomically(dir(partner) + "/state.json", iiif::json_text(state.get()) + "\n");
}

void HarvestStore::append_run(const HarvestRun& run) const {
    iiif::Json object(harvest_run_to_json(run));
    append_run_line(run.partner, iiif::json_text(object.get()));
}

void HarvestStore::append_run_line(const std::string& partner, const std::string& run) const {
    make_directories(dir(partner));
    const std::string path = dir(partner) + "/runs.jsonl";
    std::deque<std::string> lines;
    {
        std::ifstream in(path);
        for (std::string line; std::getline(in, line);) {
            if (line.empty()) continue;
            lines.push_back(std::move(line));
            if (lines.size() >= kRunsKept) lines.pop_front();
        }
    }
    lines.push_back(run);
    std::string text;
    for (const std::string& line : lines) text += line + "\n";
    write_file_atomically(path, text);
}

std::vector<std::string> HarvestStore::runs_json(const std::string& partner, size_t limit) const {
    std::vector<std::string> lines;
    std::ifstream in(dir(partner) + "/runs.jsonl");
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(std::move(line));
    std::vector<std::string> latest;
    if (std::optional<std::string> current = current_run(partner); current && limit > 0)
        latest.push_back(std::move(*current));
    for (auto line = lines.rbegin(); line != lines.rend() && latest.size() < limit; ++line)
        latest.push_back(*line);
    return latest;
}

std::optional<std::string> HarvestStore::current_run(const std::string& partner) const {
    const std::string path = dir(partner) + "/current.json";
    if (!std::filesystem::exists(path)) return std::nullopt;
    json_error_t error;
    const std::string text = read_whole(path);
    iiif::Json run(json_loadb(text.data(), text.size(), 0, &error));
    if (!json_is_object(run.get())) return std::nullopt;  // removed as it was read
    if (!under_way(partner)) {
        json_object_set_new(run.get(), "status", json_string("interrupted"));
        json_object_set_new(run.get(), "error", json_string(kInterrupted));
    }
    return iiif::json_text(run.get());
}

bool HarvestStore::under_way(const std::string& partner) const {
    const int fd = ::open((dir(partner) + "/lock").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool free = ::flock(fd, LOCK_SH | LOCK_NB) == 0;
    ::close(fd);  // releases it
    return !free;
}

void HarvestStore::begin_run(const HarvestRun& run) const {
    make_directories(dir(run.partner));
    iiif::Json object(harvest_run_to_json(run));
    write_file_atomically(dir(run.partner) + "/current.json", iiif::json_text(object.get()) + "\n");
}

void HarvestStore::end_run(const std::string& partner) const {
    std::error_code ignored;
    std::filesystem::remove(dir(partner) + "/current.json", ignored);
}

void HarvestStore::append_interrupted(const std::string& partner) const {
    const std::string path = dir(partner) + "/current.json";
    if (!std::filesystem::exists(path)) return;
    const std::string text = read_whole(path);
    json_error_t error;
    iiif::Json run(json_loadb(text.data(), text.size(), 0, &error));
    if (json_is_object(run.get())) {
        json_object_set_new(run.get(), "status", json_string("interrupted"));
        json_object_set_new(run.get(), "error", json_string(kInterrupted));
        append_run_line(partner, iiif::json_text(run.get()));
    }
    end_run(partner);
}

void HarvestStore::write_report(const std::string& partner, const QualityReport& report) const {
    make_directories(dir(partner));
    iiif::Json object(report.to_json());
    write_file_atomically(dir(partner) + "/report.json", iiif::json_text(object.get()) + "\n");
}

std::optional<std::string> HarvestStore::report_json(const std::string& partner) const {
    const std::string path = dir(partner) + "/report.json";
    if (!std::filesystem::exists(path)) return std::nullopt;
    std::string text = read_whole(path);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
}

HarvestStore::Lock::Lock(const HarvestStore& store, const std::string& partner) {
    make_directories(store.dir(partner));
    const std::string path = store.dir(partner) + "/lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd_);
        fd_ = -1;
        throw iiif::IiifError(409, "a harvest of " + partner + " is under way");
    }
}

HarvestStore::Lock::~Lock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
}

// ---- A run ------------------------------------------------------------------------------------

HarvestRun run_harvest(const Partner& partner, bool full, const HarvestStore& store,
                       HarvestSink* sink, const HarvestPolicy& policy) {
    HarvestStore::Lock lock(store, partner.id);
    store.append_interrupted(partner.id);
    if (sink != nullptr) sink->begin();
    HarvestRun run;
    run.partner = partner.id;
    run.started = iiif::now_seconds();
    run.full = full;
    store.begin_run(run);
    std::int64_t shown = run.started;  // when current.json was last written

    PartnerRules rules;
    for (const PartnerRule& rule : partner.rules)
        rules.overrides.push_back({rule.element, rule.from, rule.to});
    rules.default_license = partner.license;
    QualityReport quality;

    HarvestPolicy polite = policy;
    polite.politeness_delay = std::chrono::milliseconds(partner.delay_ms);
    OaiHarvester harvester(polite);

    auto take = [&](const HarvestedRecord& record) {
        ++run.counts.records;
        if (record.deleted) ++run.counts.deleted;
        NormalisedRecord normalised;
        if (!record.deleted) {
            RawDublinCore raw;
            for (const auto& [element, values] : record.dc)
                for (const DcValue& value : values)
                    raw[element].push_back({value.value, value.lang});
            normalised = normalise_record(raw, rules);
            quality.add(normalised);
        }
        if (sink == nullptr) return;
        try {
            switch (sink->take(partner, record, normalised)) {
                case SinkOutcome::created:
                    ++run.counts.created;
                    break;
                case SinkOutcome::updated:
                    ++run.counts.updated;
                    break;
                case SinkOutcome::unchanged:
                    ++run.counts.unchanged;
                    break;
                case SinkOutcome::withdrawn:
                    ++run.counts.withdrawn;
                    break;
                case SinkOutcome::ignored:
                    break;
            }
        } catch (const iiif::IiifError& refused) {
            ++run.counts.failed;
            report(run.failures, {record.identifier, refused.reason});
        } catch (const std::exception& refused) {
            ++run.counts.failed;
            report(run.failures, {record.identifier, refused.what()});
        }
    };
    // Counted here rather than from the list's summary, which a failed or stopped list never
    // gives: the run says how many pages it took whatever ended it.
    auto page = [&](const std::string& token, long, long) {
        if (sink != nullptr) {
            sink->page_done();
            for (SkippedRecord& failure : sink->take_page_failures()) {
                ++run.counts.pages_failed;
                report(run.failures, std::move(failure));
            }
        }
        run.resumption_token = token;
        ++run.pages;
        if (const std::int64_t now = iiif::now_seconds(); now - shown >= kProgressSeconds) {
            if (sink != nullptr) run.counts.pages_fetched = sink->pages_fetched();
            store.begin_run(run);
            shown = now;
        }
    };

    try {
        const RepositoryInfo repository = harvester.identify(partner.base_url);
        if (std::optional<std::int64_t> last =
                full ? std::nullopt : store.last_success(partner.id)) {
            // One unit of the partner's granularity earlier: a record changed in the second (or
            // day) the last harvest began is taken again rather than missed.
            const std::int64_t unit = repository.granularity == Granularity::day ? 86400 : 1;
            run.from = iiif::format_utc_datetime(*last - unit);
            if (repository.granularity == Granularity::day) run.from.resize(10);
        }
        const std::vector<std::string> sets =
            partner.sets.empty() ? std::vector<std::string>{""} : partner.sets;
        for (const std::string& set : sets) {
            HarvestRequest request;
            request.base_url = partner.base_url;
            request.set = set;
            request.from = run.from;
            const HarvestSummary summary = harvester.list_records(request, take, page);
            run.restarted = run.restarted || summary.restarted;
            run.counts.skipped += static_cast<long>(summary.skipped.size());
            for (const SkippedRecord& skipped : summary.skipped) report(run.skipped, skipped);
            if (partner.extra_prefix.empty() || sink == nullptr) continue;
            // The same records in the partner's other format, kept beside their objects.
            request.metadata_prefix = partner.extra_prefix;
            const HarvestSummary extra = harvester.list_records(
                request,
                [&](const HarvestedRecord& record) {
                    ++run.counts.extra;
                    sink->take_extra(partner.extra_prefix, record);
                },
                page);
            run.pages += extra.pages;
            run.restarted = run.restarted || extra.restarted;
        }
        run.status = "done";
        // A dry run made nothing: the next harvest must still take what it saw.
        if (sink != nullptr) store.record_success(partner.id, run.started);
    } catch (const std::exception& failure) {
        run.status = "failed";
        run.error = failure.what();
        spdlog::warn("harvest of {}: {}", partner.id, run.error);
    }
    if (sink != nullptr) run.counts.pages_fetched = sink->pages_fetched();
    run.finished = iiif::now_seconds();
    store.write_report(partner.id, quality);
    store.append_run(run);
    store.end_run(partner.id);
    spdlog::info("harvest of {}: {}, {} records ({} deleted, {} skipped), {} pages", partner.id,
                 run.status, run.counts.records, run.counts.deleted, run.counts.skipped, run.pages);
    return run;
}

}  // namespace iiifd
