#include "harvest_scheduler.hpp"

#include <jansson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "clock.hpp"
#include "harvest_objects.hpp"
#include "iiif_error.hpp"
#include "json.hpp"
#include "oai_request.hpp"

namespace iiifd {

HarvestScheduler::HarvestScheduler(const DaemonConfig& config, const PartnerRegistry& partners,
                                   ObjectChanges& changes, Metrics& metrics)
    : config_(config), partners_(partners), changes_(changes), metrics_(metrics), store_(config) {}

HarvestScheduler::~HarvestScheduler() {
    stop();
}

void HarvestScheduler::start() {
    if (config_.harvest.scheduler) {
        spdlog::info("harvests: the partners' schedules looked at every {} s",
                     config_.harvest.check_seconds);
    } else {
        spdlog::info("harvests: on request only ([harvest] scheduler = false)");
    }
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void HarvestScheduler::stop() {
    if (!thread_.joinable()) return;
    thread_.request_stop();  // wakes the thread's waits, and the harvester's
    thread_.join();
}

bool HarvestScheduler::waiting(const std::string& partner) const {
    return std::any_of(queue_.begin(), queue_.end(),
                       [&](const Queued& queued) { return queued.partner == partner; });
}

void HarvestScheduler::request(const std::string& partner, bool full) {
    if (!partners_.find(partner)) throw iiif::IiifError(404, "no partner " + partner);
    std::lock_guard lock(mutex_);
    if (running_ == partner) throw iiif::IiifError(409, "a harvest of " + partner + " is running");
    if (waiting(partner))
        throw iiif::IiifError(409, "a harvest of " + partner + " is already queued");
    // `iiifd harvest` of this partner under way: its lock says so (409). This thread cannot be
    // taking it meanwhile: it takes a partner's lock only once running_ names the partner.
    { const HarvestStore::Lock probe(store_, partner); }
    queue_.push_back({partner, full, false});
    wake_.notify_one();
}

std::optional<std::int64_t> HarvestScheduler::last_start(const std::string& partner) const {
    std::optional<std::int64_t> last;
    if (auto started = started_.find(partner); started != started_.end()) last = started->second;
    const std::vector<std::string> runs = store_.runs_json(partner, 1);
    if (runs.empty()) return last;
    json_error_t error;
    const iiif::Json run(json_loadb(runs.front().data(), runs.front().size(), 0, &error));
    const char* text = json_string_value(json_object_get(run.get(), "started"));
    // A line that does not read is no run: the partner is harvested, and its run written after.
    if (text == nullptr) return last;
    if (std::optional<iiif::OaiDate> date = iiif::parse_oai_date(text))
        return std::max(last.value_or(date->seconds), date->seconds);
    return last;
}

std::vector<std::string> HarvestScheduler::due_partners() {
    std::vector<std::string> due;
    const std::int64_t now = iiif::now_seconds();
    for (const Partner& partner : partners_.list()) {
        if (partner.schedule_hours == 0) continue;
        try {
            const std::optional<std::int64_t> last = last_start(partner.id);
            if (!last || now - *last >= std::int64_t{partner.schedule_hours} * 3600)
                due.push_back(partner.id);
        } catch (const std::exception& failure) {
            spdlog::error("harvest of {}: its runs do not read: {}", partner.id, failure.what());
        }
    }
    return due;
}

void HarvestScheduler::harvest(const Queued& job, std::stop_token stop) {
    const std::optional<Partner> partner = partners_.find(job.partner);
    if (!partner) {
        spdlog::info("harvest of {}: the partner was removed meanwhile", job.partner);
        return;
    }
    started_[job.partner] = iiif::now_seconds();
    spdlog::info("harvest of {}: started {}{}", job.partner,
                 job.scheduled ? "on its schedule" : "on request", job.full ? ", full" : "");
    try {
        // As `iiifd harvest` makes it (main.cpp).
        HarvestObjects objects(changes_, *partner, stop);
        HarvestPolicy policy;
        policy.stop = stop;
        metrics_.harvest_ran(job.partner,
                             run_harvest(*partner, job.full, store_, &objects, policy).status);
    } catch (const iiif::IiifError& refused) {
        // The partner's lock held by `iiifd harvest`: that run is its own.
        spdlog::warn("harvest of {}: {}", job.partner, refused.reason);
    } catch (const std::exception& failure) {
        spdlog::error("harvest of {}: {}", job.partner, failure.what());
        metrics_.harvest_ran(job.partner, "failed");
    }
}

void HarvestScheduler::run(std::stop_token stop) {
    const auto period = std::chrono::seconds(config_.harvest.check_seconds);
    auto next_look = std::chrono::steady_clock::now() + period;
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
        if (config_.harvest.scheduler && std::chrono::steady_clock::now() >= next_look) {
            lock.unlock();
            const std::vector<std::string> due = due_partners();
            lock.lock();
            for (const std::string& partner : due)
                if (running_ != partner && !waiting(partner))
                    queue_.push_back({partner, false, true});
            next_look = std::chrono::steady_clock::now() + period;
        }
        if (queue_.empty()) {
            const auto queued = [this] { return !queue_.empty(); };
            if (config_.harvest.scheduler) {
                wake_.wait_until(lock, stop, next_look, queued);
            } else {
                wake_.wait(lock, stop, queued);
            }
            continue;
        }
        const Queued job = queue_.front();
        queue_.pop_front();
        running_ = job.partner;
        lock.unlock();
        harvest(job, stop);
        lock.lock();
        running_.reset();
    }
}

}  // namespace iiifd
