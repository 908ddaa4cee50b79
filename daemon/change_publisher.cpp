// The writer's publisher (change_publisher.hpp).
#include "change_publisher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "catalog_replication.hpp"
#include "iiif_error.hpp"

namespace iiifd {
namespace {

// Changes per append, and their bytes past the first: one script call each.
constexpr size_t kAppendCount = 256;
constexpr size_t kAppendBytes = 16 << 20;
// When nothing is committed in this process, how often the log is read for the command line's
// changes.
constexpr auto kPollPeriod = std::chrono::milliseconds(200);
constexpr auto kRetryPeriod = std::chrono::seconds(1);

}  // namespace

ChangePublisher::ChangePublisher(const DaemonConfig& config, iiif::CatalogWriter& catalog,
                                 ReplicationGauges& gauges)
    : config_(config), catalog_(catalog), gauges_(gauges) {}

ChangePublisher::~ChangePublisher() {
    stop();
}

void ChangePublisher::start() {
    const iiif::ReplicationPosition position = catalog_.start_change_log();
    epoch_ = position.epoch;
    catalog_.on_change_committed([this](std::int64_t seq) {
        {
            std::lock_guard lock(mutex_);
            committed_ = std::max(committed_, seq);
        }
        wake_.notify_one();
    });
    const std::optional<SnapshotRecord> latest = latest_snapshot(config_.replication.snapshot_dir);
    if (latest && latest->epoch == epoch_) {
        snapshot_seq_ = floor_ = latest->seq;
        gauges_.snapshot = latest->seq;
    } else {
        const SnapshotTaken taken =
            take_snapshot(catalog_, config_.replication.snapshot_dir);
        snapshot_seq_ = floor_ = taken.snapshot.seq;
        gauges_.snapshot = taken.snapshot.seq;
        spdlog::info("replication: snapshot of epoch {} at change {}: {}", epoch_,
                     taken.snapshot.seq, taken.snapshot.file);
    }
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void ChangePublisher::stop() {
    if (!thread_.joinable()) return;
    thread_.request_stop();
    wake_.notify_all();
    thread_.join();
}

std::int64_t ChangePublisher::reconcile(Redis& redis) {
    const std::string& stream = config_.replication.stream;
    publish_storage_identity(redis, config_);
    const iiif::ReplicationPosition position = catalog_.replication_position();
    if (position.epoch != epoch_) {
        // `iiifd` at the command line upgraded the catalog meanwhile: a new epoch.
        epoch_ = position.epoch;
        snapshot(redis);
    }
    const std::optional<StreamChange> last = stream_last(redis, stream);
    std::int64_t tail = last ? last->seq : 0;
    const std::string stream_epoch = last ? last->epoch : epoch_;
    if (stream_epoch != epoch_ || tail > position.seq) {
        if (stream_epoch == epoch_) {
            // The catalog is behind its own stream: it was restored from a backup. Its log
            // starts again, replicas from a snapshot of it.
            spdlog::warn("replication: the catalog is at change {} and the stream at {}: a new "
                         "epoch",
                         position.seq, tail);
            epoch_ = catalog_.start_change_log(true).epoch;
            snapshot(redis);
        }
        spdlog::info("replication: the stream held epoch {}; it starts again with {}",
                     stream_epoch, epoch_);
        redis.command({"DEL", stream});
        tail = 0;
    }
    const std::int64_t after = tail == 0 ? floor_ : tail;
    const std::int64_t oldest = catalog_.oldest_logged_change();
    if (oldest > after + 1)
        spdlog::warn("replication: changes {} to {} are no longer in the log: replicas load the "
                     "snapshot",
                     after + 1, oldest - 1);
    return tail;
}

void ChangePublisher::snapshot(Redis& redis) {
    const SnapshotTaken taken = take_snapshot(catalog_, config_.replication.snapshot_dir);
    snapshot_seq_ = taken.snapshot.seq;
    gauges_.snapshot = taken.snapshot.seq;
    // A stream that starts again (empty) needs only what comes after the snapshot.
    floor_ = taken.snapshot.seq;
    // Never past what the stream holds: a change not yet appended stays in the log.
    const std::int64_t published = tail_.value_or(0);
    const std::int64_t keep_from = std::min(taken.keep_from, published + 1);
    if (keep_from > 1) {
        trim_stream_below(redis, config_.replication.stream, keep_from);
        catalog_.forget_changes_through(keep_from - 1);
    }
    spdlog::info("replication: snapshot at change {}: {}", taken.snapshot.seq,
                 taken.snapshot.file);
}

void ChangePublisher::snapshot_if_due(Redis& redis, std::int64_t catalog_seq) {
    if (catalog_seq - snapshot_seq_ >= config_.replication.snapshot_every) snapshot(redis);
}

void ChangePublisher::run(std::stop_token stop) {
    Redis redis(config_.redis);
    const std::string& stream = config_.replication.stream;
    bool unavailable_said = false;
    while (!stop.stop_requested()) {
        try {
            // A new epoch (a rewrite of the whole catalog, here or at the command line): the
            // stream starts again after a snapshot of it.
            if (tail_ && catalog_.replication_position().epoch != epoch_) tail_.reset();
            if (!tail_) tail_ = reconcile(redis);
            gauges_.published = *tail_;
            // An empty stream starts after the newest snapshot; any other continues.
            const std::int64_t after = *tail_ == 0 ? floor_ : *tail_;
            const std::vector<iiif::CatalogChange> changes =
                catalog_.changes_after(after, kAppendCount, kAppendBytes);
            if (changes.empty()) {
                snapshot_if_due(redis, *tail_);
                std::unique_lock lock(mutex_);
                const std::int64_t seen = committed_;
                wake_.wait_for(lock, stop, kPollPeriod,
                               [this, seen] { return committed_ != seen; });
                continue;
            }
            if (const std::optional<std::int64_t> found =
                    append_changes(redis, stream, epoch_, *tail_, changes)) {
                spdlog::warn("replication: the stream ends at change {}, not {} (a Redis "
                             "failover?): appending from there",
                             *found, *tail_);
                tail_.reset();
                continue;
            }
            tail_ = changes.back().seq;
            gauges_.published = *tail_;
            if (config_.redis_wait_replicas > 0 &&
                redis.wait_for_replicas(config_.redis_wait_replicas,
                                        config_.redis_wait_timeout_ms) <
                    config_.redis_wait_replicas) {
                gauges_.unconfirmed += static_cast<std::int64_t>(changes.size());
                spdlog::warn("replication: changes {} to {} not confirmed by {} Redis replicas "
                             "within {} ms; kept in the log",
                             changes.front().seq, changes.back().seq,
                             config_.redis_wait_replicas, config_.redis_wait_timeout_ms);
            }
            snapshot_if_due(redis, *tail_);
            unavailable_said = false;
        } catch (const RedisUnavailable& failure) {
            if (!unavailable_said) spdlog::warn("replication: {}; publishing waits", failure.what());
            unavailable_said = true;
            tail_.reset();
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, stop, kRetryPeriod, [] { return false; });
        } catch (const std::exception& failure) {
            spdlog::error("replication: {}", failure.what());
            tail_.reset();
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, stop, kRetryPeriod, [] { return false; });
        }
    }
}

}  // namespace iiifd
