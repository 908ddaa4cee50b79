#include "workers.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "ingest.hpp"

namespace iiifd {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// How long a worker waits on the stream before it looks again at the stop flag and for jobs
// to reclaim.
constexpr auto kBlock = 2000ms;
constexpr auto kFirstBackoff = 200ms;
constexpr auto kMaxBackoff = 5000ms;
// A job that took down its worker this many times (a crash in a decoder, say) is given up
// instead of taking down every worker in turn.
constexpr long long kMaxAttempts = 5;
// A staging directory with no job is a deposit that never made it to the queue.
constexpr auto kOrphanAge = 24h;

std::chrono::milliseconds doubled(std::chrono::milliseconds backoff) {
    return std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
}

std::string summary(const std::vector<FileOutcome>& files) {
    size_t done = std::count_if(files.begin(), files.end(),
                                [](const FileOutcome& f) { return f.state == FileState::done; });
    return std::to_string(done) + "/" + std::to_string(files.size()) + " files ingested";
}

// A file the job did not get to the end of, for a reason of the job's (the job's error says
// which), not of its own.
void fail(FileOutcome& file) {
    file.state = FileState::failed;
    file.reason = "internal";
}

}  // namespace

Workers::~Workers() {
    for (std::thread& thread : threads_) {
        // Only after a stop() whose grace ran out: the process is about to exit.
        if (thread.joinable()) thread.detach();
    }
    if (heartbeat_.joinable()) heartbeat_.join();
}

void Workers::start() {
    running_ = config_.workers;
    for (int i = 0; i < config_.workers; ++i) threads_.emplace_back([this] { work(); });
    heartbeat_ = std::thread([this] { keep_fresh(); });
}

bool Workers::stop(std::chrono::seconds grace) {
    bool finished;
    {
        std::unique_lock lock(mutex_);
        stopping_ = true;
        wake_.notify_all();
        finished = finished_.wait_for(lock, grace, [this] { return running_ == 0; });
        // Jobs still running keep their entries fresh until now; once the process is gone
        // they go idle and another consumer takes them over.
        heartbeat_stopping_ = true;
        wake_.notify_all();
    }
    if (heartbeat_.joinable()) heartbeat_.join();
    if (finished) {
        for (std::thread& thread : threads_) thread.join();
    }
    return finished;
}

bool Workers::pause(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, duration, [this] { return stopping_; });
}

void Workers::work() {
    Redis redis(config_.redis_host, config_.redis_port);
    JobConsumer consumer(config_, redis);
    auto backoff = kFirstBackoff;
    bool group_ready = false;
    bool redis_down = false;
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) break;
        }
        try {
            if (!group_ready) {
                ensure_consumer_group(redis, config_);
                group_ready = true;
            }
            std::optional<Delivery> delivery = consumer.next(kBlock);
            if (redis_down) spdlog::info("worker: redis is back");
            redis_down = false;
            backoff = kFirstBackoff;
            if (delivery) run(redis, *delivery);
        } catch (const RedisUnavailable& error) {
            if (!redis_down) spdlog::warn("worker: {}; retrying", error.what());
            redis_down = true;
            group_ready = false;
            pause(backoff);
            backoff = doubled(backoff);
        } catch (const std::exception& error) {
            // NOGROUP: the stream or its group was deleted; it is made again.
            spdlog::error("worker: {}", error.what());
            group_ready = false;
            pause(backoff);
            backoff = doubled(backoff);
        }
    }
    std::lock_guard lock(mutex_);
    running_ -= 1;
    finished_.notify_all();
}

void Workers::run(Redis& redis, const Delivery& delivery) {
    IngestJob job;
    try {
        job = ingest_job_from_json(delivery.payload);
        if (!is_job_id(job.id)) throw std::runtime_error("'" + job.id + "' is no job id");
    } catch (const std::exception& error) {
        spdlog::error("stream entry {} holds no readable job ({}); dropped", delivery.entry_id,
                      error.what());
        discard_entry(redis, config_, delivery.entry_id);
        return;
    }

    // Two deliveries of one job can meet: an entry taken over while the worker on it was cut
    // off from Redis (its heartbeats lost) and still at work. The lock in the job's staging
    // directory lets one run it; the other leaves the entry to it.
    int job_lock = ::open((job_staging_dir(config_, job.id) + "/.lock").c_str(),
                          O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (job_lock >= 0 && ::flock(job_lock, LOCK_EX | LOCK_NB) != 0) {
        ::close(job_lock);
        spdlog::info("job {}: already being worked on here; left to that worker", job.id);
        return;
    }
    struct Unlock {
        int fd;
        ~Unlock() {
            if (fd >= 0) ::close(fd);
        }
    } unlock{job_lock};

    {
        std::lock_guard lock(mutex_);
        in_flight_.insert(delivery.entry_id);
    }
    struct Done {
        Workers& workers;
        const std::string& entry;
        ~Done() {
            std::lock_guard lock(workers.mutex_);
            workers.in_flight_.erase(entry);
        }
    } done{*this, delivery.entry_id};

    long long attempt = start_job(redis, job.id);
    spdlog::info("job {}: {} ({} files, from {}){}", job.id, job.ark, job.files.size(), job.origin,
                 delivery.reclaimed ? ", taken over, attempt " + std::to_string(attempt) : "");

    std::vector<FileOutcome> files;
    for (const DepositFile& file : job.files)
        files.push_back({file.original_name, FileState::queued, 0, {}, {}, 0});
    IngestResult result;
    std::string error;
    std::optional<CatalogEvent> event;
    if (attempt > kMaxAttempts) {
        error = "given up after " + std::to_string(kMaxAttempts) + " attempts";
        for (FileOutcome& file : files) {
            if (file.state != FileState::done) fail(file);
        }
    } else {
        try {
            bool existed = catalog_.reader().object(job.ark).has_value();
            result =
                ingest_job(config_, catalog_, job, [&](size_t index, const FileOutcome& outcome) {
                    files[index] = outcome;
                    if (!outcome.error.empty())
                        spdlog::warn("job {}: {}: {} ({})", job.id, outcome.name, outcome.error,
                                     file_state_name(outcome.state));
                    try {
                        record_job_files(redis, job.id, files);
                    } catch (const std::exception&) {
                        // Progress is advisory; the final state is written
                        // below, with retries.
                    }
                });
            files = result.files;
            if (result.object_written) {
                std::optional<iiif::ObjectRecord> object = catalog_.reader().object(job.ark);
                if (object)
                    event = CatalogEvent{existed ? "object.updated" : "object.created", object->ark,
                                         object->datestamp};
            } else {
                error = "no file could be ingested";
            }
        } catch (const std::exception& failure) {
            error = failure.what();
            for (FileOutcome& file : files) {
                if (file.state == FileState::queued || file.state == FileState::converting)
                    fail(file);
            }
        }
    }
    JobState state = result.object_written ? JobState::done : JobState::failed;

    // Until Redis takes the outcome the entry stays pending: if this process stops first, the
    // job is taken over and, being idempotent, finished again without a second copy.
    for (auto backoff = kFirstBackoff;; backoff = doubled(backoff)) {
        try {
            complete_job(redis, config_, delivery, job.id, state, files, error, event);
            break;
        } catch (const std::exception& failure) {
            spdlog::warn("job {}: cannot record its outcome yet: {}", job.id, failure.what());
            if (!pause(backoff)) return;
        }
    }
    std::error_code ignored;
    fs::remove_all(job_staging_dir(config_, job.id), ignored);
    if (state == JobState::done)
        spdlog::info("job {}: done, {}: {}", job.id, job.ark, summary(files));
    else
        spdlog::error("job {}: failed, {}: {}; {}", job.id, job.ark, summary(files), error);
}

void Workers::keep_fresh() {
    Redis redis(config_.redis_host, config_.redis_port);
    // Well within the idle time after which another consumer would take the entries.
    auto interval = std::chrono::milliseconds(config_.reclaim_idle_seconds * 1000 / 4);
    interval = std::max<std::chrono::milliseconds>(interval, 250ms);
    for (;;) {
        std::vector<std::string> entries;
        {
            std::unique_lock lock(mutex_);
            if (wake_.wait_for(lock, interval, [this] { return heartbeat_stopping_; })) return;
            entries.assign(in_flight_.begin(), in_flight_.end());
        }
        try {
            keep_entries_fresh(redis, config_, entries);
        } catch (const std::exception&) {
            // Redis is away: the workers say so; nobody can take the entries meanwhile.
        }
    }
}

void sweep_staging(const DaemonConfig& config, Redis& redis) {
    std::error_code error;
    fs::directory_iterator entries(config.staging_dir, error);
    if (error) return;
    for (const fs::directory_entry& entry : entries) {
        std::string id = entry.path().filename().string();
        if (!is_job_id(id) || !entry.is_directory(error)) continue;
        std::optional<std::string> state = job_state(redis, id);
        bool over = state && (*state == "done" || *state == "failed");
        bool orphan = !state && fs::last_write_time(entry.path(), error) <
                                    fs::file_time_type::clock::now() - kOrphanAge;
        if (over || (orphan && !error)) {
            spdlog::info("staging: removing {} (job {})", entry.path().string(),
                         state ? *state : "unknown");
            fs::remove_all(entry.path(), error);
        }
    }
}

}  // namespace iiifd
