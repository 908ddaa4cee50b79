#include "durable_jobs.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "iiif_error.hpp"
#include "job_queue.hpp"
#include "staging.hpp"
#include "storage.hpp"

namespace iiifd {
namespace {

namespace fs = std::filesystem;

// An exclusive flock of a file or directory, held while this lives.
class FileLock {
  public:
    FileLock(const std::string& path, int open_flags, bool wait)
        : fd_(::open(path.c_str(), open_flags | O_CLOEXEC)),
          held_(fd_ >= 0 && ::flock(fd_, LOCK_EX | (wait ? 0 : LOCK_NB)) == 0) {}
    ~FileLock() {
        if (fd_ >= 0) ::close(fd_);
    }
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    bool held() const { return held_; }
    bool opened() const { return fd_ >= 0; }

  private:
    int fd_;
    bool held_;
};

FileLock lock_directory(const std::string& directory, bool wait) {
    return FileLock(directory, O_RDONLY | O_DIRECTORY, wait);
}

// Whether a worker runs the job now: it holds the claim in the staging directory (workers.cpp).
// Only looked at, never kept: a worker given the job must find the claim free.
bool worker_runs(const std::string& directory) {
    const FileLock claim(directory + "/.lock", O_RDWR, false);
    return claim.opened() && !claim.held();
}

// The job a staging directory's job.json describes; nullopt when it holds none, or none of its
// own job (a file of a hot folder's subfolder moved in under that name, not yet renamed).
std::optional<IngestJob> staged_job(const DaemonConfig& config, const std::string& job_id) {
    std::ifstream in(job_file_path(config, job_id), std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    try {
        IngestJob job = ingest_job_from_json(text.str());
        if (job.id == job_id) return job;
    } catch (const std::exception& unreadable) {
        spdlog::warn("staging: {}: {}", job_file_path(config, job_id), unreadable.what());
    }
    return std::nullopt;
}

}  // namespace

void queue_job_durably(Redis& redis, const DaemonConfig& config, const IngestJob& job) {
    const std::string directory = job_staging_dir(config, job.id);
    {
        const FileLock lock = lock_directory(directory, true);
        if (!lock.held())
            throw iiif::IiifError(500, "cannot lock " + directory + ": " + std::strerror(errno));
        write_file_atomically(job_file_path(config, job.id), ingest_job_to_json(job) + "\n");
        try {
            enqueue_job(redis, config, job);
        } catch (...) {
            std::error_code ignored;
            fs::remove(job_file_path(config, job.id), ignored);
            throw;
        }
    }
    replicas_have_writes(redis, config, "job " + job.id);
}

bool replicas_have_writes(Redis& redis, const DaemonConfig& config, const std::string& what) {
    const int wanted = config.redis_wait_replicas;
    if (wanted <= 0) return true;
    try {
        const long long confirmed = redis.wait_for_replicas(wanted, config.redis_wait_timeout_ms);
        if (confirmed >= wanted) return true;
        spdlog::warn("{}: {} of {} redis replicas had it within {} ms", what, confirmed, wanted,
                     config.redis_wait_timeout_ms);
    } catch (const std::exception& failure) {
        spdlog::warn("{}: not known to be on {} redis replicas: {}", what, wanted, failure.what());
    }
    return false;
}

int requeue_lost_jobs(const DaemonConfig& config, Redis& redis) {
    std::error_code error;
    fs::directory_iterator entries(config.staging_dir, error);
    if (error) return 0;
    int requeued = 0;
    for (const fs::directory_entry& entry : entries) {
        const std::string id = entry.path().filename().string();
        if (!is_job_id(id) || !entry.is_directory(error)) continue;
        if (!fs::exists(job_file_path(config, id), error) || job_state(redis, id)) continue;
        // Looked at again under the lock: a deposit may have been queueing it meanwhile.
        const FileLock lock = lock_directory(entry.path().string(), false);
        if (!lock.held() || worker_runs(entry.path().string()) || job_state(redis, id)) continue;
        const std::optional<IngestJob> job = staged_job(config, id);
        if (!job) continue;
        enqueue_job(redis, config, *job);
        spdlog::warn("job {}: {} was not in redis (lost in a failover?); queued again from {}", id,
                     job->ark, job_file_path(config, id));
        requeued += 1;
    }
    return requeued;
}

}  // namespace iiifd
