// The harvests a running iiifd starts itself (issue 18): each partner's on its schedule, and
// those asked for through the API (POST /api/v1/partners/{id}/harvests).
//
// - One thread runs every harvest, one at a time: iiifd never harvests two partners at once
//   (politeness, and one partner's objects written at a time), and a harvest asked for waits
//   for the one under way.
// - A partner is due when its schedule_hours (0: never) have passed since the start of its last
//   run, as HarvestStore keeps it (a run of `iiifd harvest` counts), or since this thread last
//   started one; a partner never harvested is due at the first look. The partners are looked
//   at every [harvest] check_seconds, the first time that long after the start, in the
//   registry as it is then (partners defined or removed through the API included); with
//   [harvest] scheduler = false, never.
// - At most one harvest of a partner waits at a time: asking for another while one is queued
//   or running is refused (409), as is one while `iiifd harvest` holds the partner's lock.
// - stop() ends the thread promptly: a harvest under way takes its page to the end and stops
//   there, logged as "failed" with the error "stopped" (the next one starts where the last
//   successful one did); those queued are dropped.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "daemon_config.hpp"
#include "harvest_run.hpp"
#include "metrics.hpp"
#include "object_changes.hpp"
#include "partners.hpp"

namespace iiifd {

class HarvestScheduler {
  public:
    // Harvested records become objects through `changes`, the one the API changes objects
    // through (its lock keeps a harvest's change and a PATCH of one object apart); each run's
    // outcome is counted in `metrics`.
    HarvestScheduler(const DaemonConfig& config, const PartnerRegistry& partners,
                     ObjectChanges& changes, Metrics& metrics);
    ~HarvestScheduler();
    HarvestScheduler(const HarvestScheduler&) = delete;
    HarvestScheduler& operator=(const HarvestScheduler&) = delete;

    void start();
    // Returns once the thread has ended, a harvest under way stopped after its page.
    void stop();

    // Queues a harvest of the partner (from where its last successful one began, or from
    // nothing when `full`). IiifError 404 for an unknown partner, 409 when a harvest of it is
    // queued or running.
    void request(const std::string& partner, bool full);

  private:
    struct Queued {
        std::string partner;
        bool full = false;
        bool scheduled = false;  // by the schedule, else asked for
    };

    void run(std::stop_token stop);
    // The partners whose schedule says a harvest is due now (on the thread only).
    std::vector<std::string> due_partners();
    // The start of the partner's last run, by this thread or anyone (unix seconds).
    std::optional<std::int64_t> last_start(const std::string& partner) const;
    void harvest(const Queued& job, std::stop_token stop);
    bool waiting(const std::string& partner) const;  // under mutex_

    const DaemonConfig& config_;
    const PartnerRegistry& partners_;
    ObjectChanges& changes_;
    Metrics& metrics_;
    const HarvestStore store_;
    std::map<std::string, std::int64_t> started_;  // by this thread, for due_partners()

    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::deque<Queued> queue_;
    std::optional<std::string> running_;
    std::jthread thread_;  // last: it stops before the members it uses go
};

}  // namespace iiifd
