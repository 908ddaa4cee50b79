#include "snapshot_pins.hpp"

namespace iiif {
namespace {

// Reset transactions kept for renewal: each keeps its reader slot.
constexpr size_t kIdleTransactions = 2;

}  // namespace

std::shared_ptr<SnapshotPins> SnapshotPins::adopt(MDB_env* env) {
    return std::shared_ptr<SnapshotPins>(new SnapshotPins(env));
}

SnapshotPins::~SnapshotPins() {
    for (MDB_txn* txn : idle_) mdb_txn_abort(txn);
    mdb_env_close(env_);
}

size_t SnapshotPins::latest_commit() {
    MDB_envinfo info;
    return mdb_env_info(env_, &info) == 0 ? info.me_last_txnid : 0;
}

// A snapshot of the latest commit, in a renewed transaction when one is idle. Its last pin
// retires it. Null without a free reader slot.
std::shared_ptr<SnapshotPins::Snapshot> SnapshotPins::open_snapshot() {
    MDB_txn* txn = nullptr;
    {
        std::lock_guard lock(retired_mutex_);
        if (held_ >= kMaxSnapshots) return nullptr;
        if (!idle_.empty()) {
            txn = idle_.back();
            idle_.pop_back();
            if (mdb_txn_renew(txn) != 0) {
                mdb_txn_abort(txn);
                txn = nullptr;
            }
        }
        if (!txn && mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn) != 0) return nullptr;
        ++held_;
    }
    auto* snapshot = new Snapshot{txn, mdb_txn_id(txn)};
    return std::shared_ptr<Snapshot>(
        snapshot, [self = shared_from_this()](Snapshot* ended) { self->retire(ended); });
}

void SnapshotPins::retire(Snapshot* snapshot) {
    std::lock_guard lock(retired_mutex_);
    end(snapshot->txn);
    delete snapshot;
}

// Under retired_mutex_.
void SnapshotPins::end(MDB_txn* txn) {
    if (!closed_ && idle_.size() < kIdleTransactions) {
        mdb_txn_reset(txn);
        idle_.push_back(txn);
    } else {
        mdb_txn_abort(txn);
    }
    --held_;
}

SnapshotPins::Lease SnapshotPins::lease() {
    Lease lease(mutex_);
    if (closed_) return lease;
    const size_t latest = latest_commit();
    if (!current_ || current_->id != latest) {
        // The previous one retires when its last response lets go (retire() takes only
        // retired_mutex_, so it may be here).
        if (auto fresh = open_snapshot()) current_ = std::move(fresh);
    }
    lease.snapshot_ = current_;
    lease.latest_ = current_ && current_->id == latest;
    return lease;
}

void SnapshotPins::release_idle() {
    std::lock_guard lock(mutex_);
    if (current_ && current_->id != latest_commit()) current_.reset();
}

void SnapshotPins::close() {
    std::lock_guard lock(mutex_);
    {
        std::lock_guard retired_lock(retired_mutex_);
        closed_ = true;
    }
    current_.reset();  // ended at once when no response holds it (retire() sees closed_)
    std::lock_guard retired_lock(retired_mutex_);
    for (MDB_txn* txn : idle_) mdb_txn_abort(txn);
    idle_.clear();
}

int SnapshotPins::held() {
    std::lock_guard lock(retired_mutex_);
    return held_;
}

}  // namespace iiif
