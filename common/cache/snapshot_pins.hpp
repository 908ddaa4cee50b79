// Read snapshots of tiles.mdb held for the responses a server sends from LMDB's map in place: a
// cache hit's body as memory that points into the map. Every response that starts while no newer commit exists shares one
// snapshot, so a hit costs no transaction of its own.
//
// Why a pin: LMDB writes a changed or deleted entry's pages anew and reuses the old ones once no
// reader can see them; a read transaction keeps its snapshot's pages from reuse, so bytes read
// in place stay what they were while it lives.
//
// Why the bytes must not leave the process by reference: sendfile() (or splice) hands the
// kernel references to the file's pages, read again when the segments go out, possibly long
// after the response was freed (a client that stalls with a zero window, or reads slowly from
// loopback). LMDB rewrites freed pages in place with other entries, so such a client could
// receive another entry's bytes. Responses therefore send what they read here from memory
// (writev copies it into the socket before returning), and a snapshot ends as soon as the last
// response that used it is freed.
//
// Why bounded: each snapshot takes one of LMDB's reader slots (maxreaders, shared by every
// process) and keeps the pages freed after it from reuse, which makes the file grow under
// writes. A process holds at most kMaxSnapshots; when they are all taken, new responses share
// the newest even if a commit came after it. That is still right: an entry's bytes never
// change under its key (the key names everything they depend on), so an older snapshot only
// lacks what came later, and the caller then reads the latest commit (copied, unpinned).
#pragma once

#include <lmdb.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace iiif {

class SnapshotPins : public std::enable_shared_from_this<SnapshotPins> {
    struct Snapshot {
        MDB_txn* txn = nullptr;
        size_t id = 0;  // the commit it sees
    };

  public:
    static constexpr int kMaxSnapshots = 8;

    // Takes `env` (opened with MDB_NOTLS) over: it is closed once close() was called and no
    // pin is left.
    static std::shared_ptr<SnapshotPins> adopt(MDB_env* env);
    ~SnapshotPins();
    SnapshotPins(const SnapshotPins&) = delete;
    SnapshotPins& operator=(const SnapshotPins&) = delete;

    // A snapshot to read from, the caller's alone until the lease ends (LMDB allows one thread
    // at a time in a transaction). Keep it for a lookup, then keep the pin.
    class Lease {
      public:
        MDB_txn* txn() const { return snapshot_ ? snapshot_->txn : nullptr; }  // null: none
        bool latest() const { return latest_; }  // it sees the latest commit
        size_t commit() const { return snapshot_ ? snapshot_->id : 0; }  // the one it sees
        // Keeps the snapshot, and what was read in it, until the last copy is gone.
        std::shared_ptr<const void> pin() const { return snapshot_; }

      private:
        friend class SnapshotPins;
        explicit Lease(std::mutex& mutex) : lock_(mutex) {}
        std::shared_ptr<Snapshot> snapshot_;
        std::unique_lock<std::mutex> lock_;
        bool latest_ = false;
    };
    // The current snapshot, or a new one of the latest commit if one came since and fewer than
    // kMaxSnapshots are held. Without a free reader slot, a lease without a transaction.
    Lease lease();

    // Lets the current snapshot go once a commit came after it (it ends when no response holds
    // it). From a timer, every few seconds, so that an idle process holds no old snapshot.
    void release_idle();
    // The environment is closing: the snapshots no response holds are ended now, the others
    // when their last pin goes, then the environment.
    void close();

    // How many snapshots are held by responses or as the current one (for tests).
    int held();

  private:
    explicit SnapshotPins(MDB_env* env) : env_(env) {}
    std::shared_ptr<Snapshot> open_snapshot();
    void retire(Snapshot* snapshot);
    void end(MDB_txn* txn);
    size_t latest_commit();

    MDB_env* env_;
    std::mutex mutex_;  // current_, and reads in it (leases)
    std::shared_ptr<Snapshot> current_;
    // Apart, so that a snapshot's last pin can retire it from any thread, even one holding a
    // lease.
    std::mutex retired_mutex_;    // what follows
    std::vector<MDB_txn*> idle_;  // reset, each keeping its reader slot, to renew
    int held_ = 0;
    bool closed_ = false;
};

}  // namespace iiif
