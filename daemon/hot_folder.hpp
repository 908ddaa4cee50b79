// The hot folder: a directory watched with inotify where each subfolder dropped in is one
// object, its files in name order, with an optional metadata.json beside them (the same JSON as
// the API's metadata part) and an optional pages.json (the API's pages part: the pages'
// labels). Its objects belong to [ingest] hot_folder_institution (the home one by default).
//
// A subfolder is taken when it is complete: at least one file, and neither an inotify event nor
// a change of its listing (names, sizes, times; polled, for network shares that raise no
// events) for config.hot_folder_settle_seconds. Hidden files (".name", what rsync and editors
// write while at work) are not deposited, but their changes keep the subfolder unsettled.
//
// Taken: the subfolder is moved (renamed) into staging and accepted like an API deposit
// (deposits.hpp), so it leaves the hot folder; a receipt "{name}.iiifd.json" ({"job", "ark",
// "status_url", "files"}) is written beside it in the hot folder. Refused (bad metadata.json,
// too many files): it is renamed "{name}.failed" with the reason in
// "{name}.failed/iiifd-error.txt". Top-level files, hidden subfolders and "*.failed" subfolders
// are left alone.
#pragma once

#include <string>
#include <thread>

#include "daemon_config.hpp"
#include "deposits.hpp"
#include "job_queue.hpp"

namespace iiifd {

class HotFolder {
  public:
    HotFolder(const DaemonConfig& config, const Deposits& deposits, RedisPool& redis)
        : config_(config), deposits_(deposits), redis_(redis) {}
    ~HotFolder();
    HotFolder(const HotFolder&) = delete;
    HotFolder& operator=(const HotFolder&) = delete;

    // Makes the folder if needed and starts watching; throws std::runtime_error on failure.
    void start();
    void stop();

  private:
    void run();

    const DaemonConfig& config_;
    const Deposits& deposits_;
    RedisPool& redis_;
    int inotify_ = -1;
    int wakeup_ = -1;  // eventfd: stop() writes to it
    std::thread thread_;
};

}  // namespace iiifd
