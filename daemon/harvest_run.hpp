// One harvest of one partner (issue 18): Identify, then ListRecords of each of its sets (all of
// them when it names none) from where its last successful harvest began, less one unit of the
// partner's granularity (a full harvest starts from nothing); each record normalised
// (dc_normalise.hpp) and handed to a sink, which makes it an object. The run's counts, errors
// and last resumption token, and the quality report of its records, are kept under
// {storage root}/harvests/{partner}/ (HarvestStore), which a lock file keeps to one run at a time.
#pragma once

#include <jansson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dc_normalise.hpp"
#include "oai_harvester.hpp"
#include "partners.hpp"

namespace iiifd {

struct DaemonConfig;

struct HarvestCounts {
    long records = 0;        // read from the partner, deleted ones included
    long deleted = 0;        // of them, deleted at the source
    long skipped = 0;        // not readable (reported in the run's `skipped`)
    long created = 0;        // objects made
    long updated = 0;        // objects changed
    long unchanged = 0;      // objects already as the record says
    long withdrawn = 0;      // objects withdrawn ("deleted at the source")
    long failed = 0;         // records the sink refused (reported in `failures`)
    long pages_fetched = 0;  // page images fetched
    long extra = 0;          // records read in the partner's extra format
    long pages_failed = 0;   // records with pages that could not be had (in `failures`)
};

struct HarvestRun {
    std::string partner;
    std::int64_t started = 0;   // unix seconds
    std::int64_t finished = 0;  // 0 while it runs
    bool full = false;
    std::string from;                // as sent ("" for none)
    std::string status = "running";  // "running", "done", "failed" or "interrupted"
    std::string error;               // why it failed
    HarvestCounts counts;
    std::vector<SkippedRecord> skipped;   // the first 100
    std::vector<SkippedRecord> failures;  // the first 100: identifier, reason
    long pages = 0;                       // OAI-PMH pages read
    std::string resumption_token;         // the last one followed
    bool restarted = false;               // an expired token made a list start again
};

json_t* harvest_run_to_json(const HarvestRun& run);

// What a sink did with one record.
enum class SinkOutcome { created, updated, unchanged, withdrawn, ignored };

// Where records go. take() throws to fail one record (the run goes on, the failure reported);
// page_done() is called after each page's records, before the page's resumption token is
// recorded: whatever the sink keeps must be committed by then.
class HarvestSink {
  public:
    virtual ~HarvestSink() = default;
    // Called once the partner's lock is held, before the first record: what the sink reads of
    // earlier runs is read then, not before another run of the partner may have ended.
    virtual void begin() {}
    virtual SinkOutcome take(const Partner& partner, const HarvestedRecord& record,
                             const NormalisedRecord& normalised) = 0;
    // A record of the partner's extra metadata format (Partner::extra_prefix), listed after each
    // list of oai_dc records; page_done() follows each of its pages too.
    virtual void take_extra(const std::string& prefix, const HarvestedRecord& record) {
        (void)prefix;
        (void)record;
    }
    virtual void page_done() {}
    // Page images fetched so far.
    virtual long pages_fetched() const { return 0; }
    // The records whose pages could not be had since the last call, with the reason (called
    // after page_done()).
    virtual std::vector<SkippedRecord> take_page_failures() { return {}; }
};

// {storage root}/harvests/{partner}/: state.json (where the next harvest starts), runs.jsonl
// (one line per run, the last kept 1000), current.json (the run under way), report.json (the
// last run's quality report).
class HarvestStore {
  public:
    explicit HarvestStore(const DaemonConfig& config);

    // The `from` of the next incremental harvest: the start of the last successful one; nullopt
    // when there was none.
    std::optional<std::int64_t> last_success(const std::string& partner) const;
    void record_success(const std::string& partner, std::int64_t started) const;
    void append_run(const HarvestRun& run) const;
    // current.json: the run under way, written as it starts and as it goes (a few times a
    // minute), removed once it is appended. One left when the partner's lock is free was cut
    // short (iiifd killed, the machine stopped): runs_json shows it "interrupted", and the next
    // run appends it so.
    void begin_run(const HarvestRun& run) const;
    void end_run(const std::string& partner) const;
    void append_interrupted(const std::string& partner) const;
    // The latest runs, most recent first, at most `limit`: the one under way (or interrupted)
    // first, when there is one.
    std::vector<std::string> runs_json(const std::string& partner, size_t limit) const;
    void write_report(const std::string& partner, const QualityReport& report) const;
    // report.json as written, nullopt before the first harvest.
    std::optional<std::string> report_json(const std::string& partner) const;

    // The partner's lock, held for a run: another run of the same partner (in iiifd or from the
    // command line) gets IiifError(409) instead.
    class Lock {
      public:
        Lock(const HarvestStore& store, const std::string& partner);
        ~Lock();
        Lock(const Lock&) = delete;
        Lock& operator=(const Lock&) = delete;

      private:
        int fd_ = -1;
    };

  private:
    std::string dir(const std::string& partner) const;
    void append_run_line(const std::string& partner, const std::string& run) const;
    // current.json as runs_json gives it: "interrupted" when no run holds the lock.
    std::optional<std::string> current_run(const std::string& partner) const;
    bool under_way(const std::string& partner) const;

    std::string root_;
};

// Runs one harvest of `partner` into `sink` (nullptr: a dry run, records read, normalised and
// counted only, which leaves the next harvest's start where it was), logged in `store`. A
// failure of the partner (HTTP, OAI-PMH) ends the run as "failed", with what was taken until
// then kept; the next harvest starts from the last successful one. So does a stop (policy.stop
// requested: iiifd stopping), after the page under way, with the error "stopped".
HarvestRun run_harvest(const Partner& partner, bool full, const HarvestStore& store,
                       HarvestSink* sink, const HarvestPolicy& policy = {});

}  // namespace iiifd
