#include "metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace iiifd {
namespace {

// A deposit's conversions take from a fraction of a second (a small JPEG) to minutes (a large
// TIFF); a job, all of its files' conversions and more.
const std::vector<double> kConversionBounds{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};
const std::vector<double> kIngestBounds{0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};

// A number as Prometheus reads it: the shortest text that reads back as the same double.
std::string number(double value) {
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    if (std::isnan(value)) return "NaN";
    char text[32];
    const auto written = std::to_chars(text, text + sizeof text, value);
    return std::string(text, written.ptr);
}

// Backslash, double quote and line feed escaped, as the format asks of a label value; a HELP
// text escapes the same but the quote.
std::string escaped(std::string_view text, bool quote) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '"' && quote) {
            out += "\\\"";
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

void Exposition::family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += escaped(help, false);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
}

void Exposition::sample(std::string_view name, const std::vector<std::string>& names,
                        const std::vector<std::string>& values, const std::string& value) {
    out_ += name;
    if (!names.empty()) {
        out_ += '{';
        for (size_t i = 0; i < names.size(); ++i) {
            if (i > 0) out_ += ',';
            out_ += names[i] + "=\"" + escaped(values[i], true) + '"';
        }
        out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
}

void Exposition::counter(std::string_view name, std::string_view help,
                         const LabelledCounter& counter) {
    family(name, "counter", help);
    for (const auto& [values, count] : counter.snapshot())
        sample(name, counter.names(), values, std::to_string(count));
}

void Exposition::histogram(const std::string& name, std::string_view help,
                           const Histogram& histogram) {
    family(name, "histogram", help);
    const Histogram::Snapshot taken = histogram.snapshot();
    for (size_t i = 0; i < taken.cumulative.size(); ++i) {
        const double bound = i < taken.bounds.size() ? taken.bounds[i] : INFINITY;
        sample(name + "_bucket", {"le"}, {number(bound)}, std::to_string(taken.cumulative[i]));
    }
    sample(name + "_sum", {}, {}, number(taken.sum));
    sample(name + "_count", {}, {}, std::to_string(taken.count));
}

void Exposition::gauge(std::string_view name, std::string_view help, long long value) {
    family(name, "gauge", help);
    sample(name, {}, {}, std::to_string(value));
}

void Exposition::gauge(std::string_view name, std::string_view help, double value) {
    family(name, "gauge", help);
    sample(name, {}, {}, number(value));
}

void Exposition::total(std::string_view name, std::string_view help, long long value) {
    family(name, "counter", help);
    sample(name, {}, {}, std::to_string(value));
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(bounds_.size() + 1, 0) {
    if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
        std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end())
        throw std::invalid_argument("histogram bounds must increase");
}

void Histogram::observe(double value) {
    // The first bound not below the value: a value equal to a bound is counted under it.
    const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    std::lock_guard lock(mutex_);
    buckets_[static_cast<size_t>(bucket)] += 1;
    sum_ += value;
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot taken;
    taken.bounds = bounds_;
    std::lock_guard lock(mutex_);
    std::uint64_t running = 0;
    for (std::uint64_t count : buckets_) {
        running += count;
        taken.cumulative.push_back(running);
    }
    taken.count = running;
    taken.sum = sum_;
    return taken;
}

void LabelledCounter::declare(const Labels& values) {
    add(values, 0);
}

void LabelledCounter::add(const Labels& values, std::uint64_t amount) {
    if (values.size() != names_.size())
        throw std::invalid_argument("a counter's labels: one value per name");
    std::lock_guard lock(mutex_);
    counts_[values] += amount;
}

std::map<LabelledCounter::Labels, std::uint64_t> LabelledCounter::snapshot() const {
    std::lock_guard lock(mutex_);
    return counts_;
}

Metrics::Metrics() : ingest_seconds_(kIngestBounds), conversion_seconds_(kConversionBounds) {
    for (JobState state : {JobState::done, JobState::failed})
        jobs_.declare({std::string(job_state_name(state))});
    for (FileState state : {FileState::done, FileState::refused, FileState::failed})
        files_.declare({std::string(file_state_name(state))});
}

void Metrics::job_finished(JobState state, double seconds, const std::vector<FileOutcome>& files) {
    jobs_.add({std::string(job_state_name(state))});
    ingest_seconds_.observe(seconds);
    for (const FileOutcome& file : files) files_.add({std::string(file_state_name(file.state))});
}

void Metrics::conversion_took(double seconds) {
    conversion_seconds_.observe(seconds);
}

void Metrics::oai_answered(std::string_view verb, int status) {
    oai_requests_.add({std::string(verb), std::to_string(status)});
}

void Metrics::harvest_ran(const std::string& partner, const std::string& outcome) {
    harvest_runs_.add({partner, outcome});
}

std::string Metrics::ingest_exposition() const {
    Exposition out;
    out.counter("iiifd_jobs_total", "Ingest jobs finished since iiifd started, by final state.",
                jobs_);
    out.counter("iiifd_files_total",
                "Files of the finished ingest jobs, by state (refused: not an image, damaged, "
                "over a limit).",
                files_);
    out.histogram("iiifd_ingest_seconds",
                  "Time an ingest job took, from its start to its outcome recorded.",
                  ingest_seconds_);
    out.histogram("iiifd_conversion_seconds",
                  "Time one original took to become its pyramidal master.", conversion_seconds_);
    out.total("iiifd_jobs_handed_over_total",
              "Ingest jobs this node's workers converted and handed over to the writer to record.",
              handed_over_.load());
    return std::move(out).text();
}

std::string Metrics::exposition(const std::optional<QueueDepth>& queue) const {
    Exposition out;
    out.counter("iiifd_oai_requests_total",
                "OAI-PMH requests answered, by verb (other: none or not one of the six) and HTTP "
                "status.",
                oai_requests_);
    out.counter("iiifd_harvest_runs_total",
                "Harvests run by iiifd's harvest thread, by partner and outcome.", harvest_runs_);
    out.gauge("iiifd_redis_up", "Whether Redis answered this scrape (1) or not (0).",
              queue ? 1LL : 0LL);
    if (queue) {
        out.gauge("iiifd_ingest_queue_entries",
                  "Jobs in the ingest stream: queued or under way (XLEN).", queue->entries);
        out.gauge("iiifd_ingest_queue_pending",
                  "Jobs delivered to a worker and not yet finished (XPENDING of the consumer "
                  "group).",
                  queue->pending);
        out.gauge("iiifd_record_queue_entries",
                  "Jobs delivery nodes converted, waiting for the writer to record them (XLEN "
                  "of the record stream).",
                  queue->handed_over);
    }
    return ingest_exposition() + std::move(out).text();
}

}  // namespace iiifd
