#include "workers.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <optional>

#include "durable_jobs.hpp"
#include "ingest.hpp"
#include "staging.hpp"

namespace iiifd {

// What a job came to, as its end records it.
struct JobOutcome {
    std::vector<FileOutcome> files;
    std::string error;
    std::optional<CatalogEvent> event;  // object.created or .updated
    bool object_written = false;
    JobState state() const { return object_written ? JobState::done : JobState::failed; }
};

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// How long a worker waits on the stream before it looks again at the stop flag and for jobs
// to reclaim.
constexpr auto kBlock = 2000ms;
constexpr auto kFirstBackoff = 200ms;
constexpr int kWorkerNice = 10;  // added to the process's niceness: see Workers::work
constexpr auto kMaxBackoff = 5000ms;
// A job that took down its worker this many times (a crash in a decoder, say) is given up
// instead of taking down every worker in turn.
constexpr long long kMaxAttempts = 5;
// How often the heartbeat thread looks for jobs Redis lost (a failover) and finished jobs'
// staging directories left behind.
constexpr auto kRepairPeriod = 10s;

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

std::vector<FileOutcome> queued_files(const IngestJob& job) {
    std::vector<FileOutcome> files;
    for (const DepositFile& file : job.files)
        files.push_back({file.original_name, FileState::queued, 0, {}, {}, 0});
    return files;
}

// The job a delivery holds; nullopt, logged, when it holds none worth keeping.
std::optional<IngestJob> job_of(const Delivery& delivery) {
    try {
        IngestJob job = ingest_job_from_json(delivery.payload);
        if (!is_job_id(job.id)) throw std::runtime_error("'" + job.id + "' is no job id");
        return job;
    } catch (const std::exception& error) {
        spdlog::error("stream entry {} holds no readable job ({}); dropped", delivery.entry_id,
                      error.what());
        return std::nullopt;
    }
}

// Two deliveries of one job can meet: an entry taken over while the worker on it was cut off
// from Redis (its heartbeats lost) and still at work. The lock in the job's staging directory
// lets one run it; the other leaves the entry to it. A job whose staging directory is gone has
// no lock to take: it runs, and its files are reported missing.
class JobClaim {
  public:
    explicit JobClaim(const std::string& staging_dir)
        : fd_(::open((staging_dir + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)),
          held_(fd_ < 0 || ::flock(fd_, LOCK_EX | LOCK_NB) == 0) {}
    ~JobClaim() {
        if (fd_ >= 0) ::close(fd_);
    }
    JobClaim(const JobClaim&) = delete;
    JobClaim& operator=(const JobClaim&) = delete;
    bool held() const { return held_; }

  private:
    int fd_;
    bool held_;
};

// A job whose object was not recorded (`error` says why): a file converted on the way is no
// page either (what it wrote was removed).
void fail_unrecorded(JobOutcome& outcome, const std::string& error) {
    outcome.error = error;
    for (FileOutcome& file : outcome.files) {
        if (file.state == FileState::refused) continue;
        fail(file);
        file.page = 0;
    }
}

// A job delivered more than kMaxAttempts times: every file failed, none tried again.
JobOutcome given_up(const IngestJob& job) {
    JobOutcome outcome;
    outcome.files = queued_files(job);
    for (FileOutcome& file : outcome.files) fail(file);
    outcome.error = "given up after " + std::to_string(kMaxAttempts) + " attempts";
    return outcome;
}

}  // namespace

// A stream entry being worked on, kept fresh by keep_fresh while this lives.
class Workers::InFlight {
  public:
    InFlight(Workers& workers, std::string entry) : workers_(workers), entry_(std::move(entry)) {
        std::lock_guard lock(workers_.mutex_);
        workers_.in_flight_.insert(entry_);
    }
    ~InFlight() {
        std::lock_guard lock(workers_.mutex_);
        workers_.in_flight_.erase(entry_);
    }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

  private:
    Workers& workers_;
    std::string entry_;
};

Workers::~Workers() {
    for (std::thread& thread : threads_) {
        // Only after a stop() whose grace ran out: the process is about to exit.
        if (thread.joinable()) thread.detach();
    }
    if (heartbeat_.joinable()) heartbeat_.join();
}

void Workers::start() {
    const bool records_handed_over =
        writer_ != nullptr && config_.replication.role == ReplicationRole::writer;
    running_ = config_.workers + (records_handed_over ? 1 : 0);
    for (int i = 0; i < config_.workers; ++i)
        threads_.emplace_back([this] { work(config_, &Workers::run); });
    if (records_handed_over)
        threads_.emplace_back([this] { work(record_queue_, &Workers::record_handed_over); });
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

void Workers::work(const DaemonConfig& queue, void (Workers::*take)(Redis&, const Delivery&)) {
    // Conversions are batch work: 10 nicer than the process (this thread, and the libvips
    // threads it starts, which inherit it), so nginx on the same machine keeps answering
    // viewers promptly while a large deposit is ingested, and iiifd's HTTP threads keep theirs.
    // Recording what the nodes converted is quick, and a job is not done until then: not niced.
    const auto self = static_cast<id_t>(syscall(SYS_gettid));
    errno = 0;
    const int base = getpriority(PRIO_PROCESS, self);
    if (take == &Workers::run &&
        (errno != 0 || setpriority(PRIO_PROCESS, self, std::min(base + kWorkerNice, 19)) != 0))
        spdlog::debug("ingest worker: setpriority failed; it runs at the process's priority");
    Redis redis(config_.redis);
    JobConsumer consumer(queue, redis);
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
                ensure_consumer_group(redis, queue);
                if (int requeued = requeue_passed_over(redis, queue))
                    spdlog::warn("worker: re-queued {} job(s) the consumer group had passed over",
                                 requeued);
                group_ready = true;
            }
            std::optional<Delivery> delivery = consumer.next(kBlock);
            if (redis_down) spdlog::info("worker: redis is back");
            redis_down = false;
            backoff = kFirstBackoff;
            if (delivery) (this->*take)(redis, *delivery);
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
    const std::optional<IngestJob> job = job_of(delivery);
    if (!job) {
        discard_entry(redis, config_, delivery.entry_id);
        return;
    }
    const JobClaim claim(job_staging_dir(config_, job->id));
    if (!claim.held()) {
        spdlog::info("job {}: already being worked on here; left to that worker", job->id);
        return;
    }
    const InFlight in_flight(*this, delivery.entry_id);

    const auto began = std::chrono::steady_clock::now();
    const auto seconds = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    };
    const long long attempt = start_job(redis, job->id);
    spdlog::info("job {}: {} ({} files, from {}){}", job->id, job->ark, job->files.size(),
                 job->origin,
                 delivery.reclaimed ? ", taken over, attempt " + std::to_string(attempt) : "");
    std::optional<ConvertedJob> handed;
    const JobOutcome outcome =
        attempt > kMaxAttempts ? given_up(*job) : ingest(redis, *job, handed);
    for (const FileOutcome& file : outcome.files)
        if (file.conversion_seconds) metrics_.conversion_took(*file.conversion_seconds);
    if (handed) {
        if (!hand_over(redis, delivery, {*job, std::move(*handed), seconds()})) return;
        metrics_.job_handed_over();
        spdlog::info("job {}: converted, {}: {}; handed over to the writer to record", job->id,
                     job->ark, summary(outcome.files));
        return;
    }
    if (!record_outcome(redis, config_, delivery, *job, outcome)) return;
    conclude(redis, *job, outcome, seconds());
}

void Workers::record_handed_over(Redis& redis, const Delivery& delivery) {
    HandedOverJob handed;
    try {
        handed = handed_over_job_from_json(delivery.payload);
        if (!is_job_id(handed.job.id))
            throw std::runtime_error("'" + handed.job.id + "' is no job id");
    } catch (const std::exception& error) {
        spdlog::error("record stream entry {} holds no readable job ({}); dropped",
                      delivery.entry_id, error.what());
        discard_entry(redis, record_queue_, delivery.entry_id);
        return;
    }
    const auto began = std::chrono::steady_clock::now();
    JobOutcome outcome;
    try {
        record(handed.job, handed.converted, outcome);
    } catch (const std::exception& failure) {
        fail_unrecorded(outcome, failure.what());
    }
    if (!record_outcome(redis, record_queue_, delivery, handed.job, outcome)) return;
    conclude(redis, handed.job, outcome,
             handed.seconds +
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
}

JobOutcome Workers::ingest(Redis& redis, const IngestJob& job,
                           std::optional<ConvertedJob>& handed) {
    JobOutcome outcome;
    outcome.files = queued_files(job);
    try {
        ConvertedJob converted =
            convert_job(config_, reader_, job, [&](size_t index, const FileOutcome& file) {
                outcome.files[index] = file;
                if (!file.error.empty())
                    spdlog::warn("job {}: {}: {} ({})", job.id, file.name, file.error,
                                 file_state_name(file.state));
                try {
                    record_job_files(redis, job.id, outcome.files);
                } catch (const std::exception&) {
                    // Progress is advisory; the final state is written by record_outcome, with
                    // retries.
                }
            });
        outcome.files = converted.files;
        if (converted.images.empty()) {
            outcome.error = "no file could be ingested";
        } else if (writer_ == nullptr) {
            handed = std::move(converted);
        } else {
            record(job, converted, outcome);
        }
    } catch (const std::exception& failure) {
        fail_unrecorded(outcome, failure.what());
    }
    return outcome;
}

void Workers::record(const IngestJob& job, const ConvertedJob& converted, JobOutcome& outcome) {
    outcome.files = converted.files;
    const bool existed = reader_.object(job.ark).has_value();
    record_converted_job(config_, *writer_, job, converted, object_lock_);
    outcome.object_written = true;
    if (std::optional<iiif::ObjectRecord> object = reader_.object(job.ark))
        outcome.event = CatalogEvent{existed ? "object.updated" : "object.created", object->ark,
                                     object->datestamp};
}

// The outcome and the acknowledgement, in one transaction (complete_job). Until Redis takes it
// the entry stays pending: if this process stops first, the job is taken over and, being
// idempotent, finished again without a second copy.
bool Workers::record_outcome(Redis& redis, const DaemonConfig& queue, const Delivery& delivery,
                             const IngestJob& job, const JobOutcome& outcome) {
    for (auto backoff = kFirstBackoff;; backoff = doubled(backoff)) {
        try {
            complete_job(redis, queue, delivery, job.id, outcome.state(), outcome.files,
                         outcome.error, outcome.event);
            return true;
        } catch (const std::exception& failure) {
            spdlog::warn("job {}: cannot record its outcome yet: {}", job.id, failure.what());
            if (!pause(backoff)) return false;
        }
    }
}

// The same for a hand-over (hand_over_job): until Redis takes it the ingest entry stays pending,
// and a worker that takes it over converts again (the same files, in the same places).
bool Workers::hand_over(Redis& redis, const Delivery& delivery, const HandedOverJob& handed) {
    const std::string payload = handed_over_job_to_json(handed);
    for (auto backoff = kFirstBackoff;; backoff = doubled(backoff)) {
        try {
            hand_over_job(redis, config_, delivery, handed.job.id, handed.converted.files, payload);
            replicas_have_writes(redis, config_, "job " + handed.job.id + "'s hand-over");
            return true;
        } catch (const std::exception& failure) {
            spdlog::warn("job {}: cannot hand it over yet: {}", handed.job.id, failure.what());
            if (!pause(backoff)) return false;
        }
    }
}

// Only once the outcome is recorded: a job taken over needs its staged files. Counted then too:
// a job left pending is finished (and counted) by whoever takes it. An outcome a failover may
// lose leaves the job pending on the promoted replica, to be run again: its files stay until
// Redis says it is over (sweep_staging, from keep_fresh).
void Workers::conclude(Redis& redis, const IngestJob& job, const JobOutcome& outcome,
                       double seconds) {
    metrics_.job_finished(outcome.state(), seconds, outcome.files);
    if (replicas_have_writes(redis, config_, "job " + job.id + "'s outcome")) {
        std::error_code ignored;
        fs::remove_all(job_staging_dir(config_, job.id), ignored);
    }
    if (outcome.state() == JobState::done)
        spdlog::info("job {}: done, {}: {}", job.id, job.ark, summary(outcome.files));
    else
        spdlog::error("job {}: failed, {}: {}; {}", job.id, job.ark, summary(outcome.files),
                      outcome.error);
}

void Workers::keep_fresh() {
    Redis redis(config_.redis);
    // Well within the idle time after which another consumer would take the entries.
    auto interval = std::chrono::milliseconds(config_.reclaim_idle_seconds * 1000 / 4);
    interval = std::max<std::chrono::milliseconds>(interval, 250ms);
    auto next_repair = std::chrono::steady_clock::now() + kRepairPeriod;
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
        if (std::chrono::steady_clock::now() < next_repair) continue;
        next_repair = std::chrono::steady_clock::now() + kRepairPeriod;
        try {
            requeue_lost_jobs(config_, redis);
            sweep_staging(config_, redis, false);
        } catch (const std::exception& failure) {
            spdlog::debug("staging: lost jobs not looked for: {}", failure.what());
        }
    }
}

}  // namespace iiifd
