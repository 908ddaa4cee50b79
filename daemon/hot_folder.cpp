#include "hot_folder.hpp"

#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>

#include "iiif_error.hpp"
#include "json.hpp"
#include "page_labels.hpp"
#include "staging.hpp"
#include "storage.hpp"

namespace iiifd {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kTick = 500ms;
constexpr auto kRetryAfterRedisFailure = 5s;
constexpr const char* kMetadataFile = "metadata.json";
constexpr const char* kPagesFile = "pages.json";
constexpr const char* kFailedSuffix = ".failed";
constexpr const char* kReceiptSuffix = ".iiifd.json";
constexpr const char* kErrorFile = "iiifd-error.txt";

constexpr std::uint32_t kRootEvents =
    IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR;
constexpr std::uint32_t kSubfolderEvents = IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO |
                                           IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_ONLYDIR;

bool is_object_folder_name(const std::string& name) {
    return !name.empty() && name.front() != '.' && !name.ends_with(kFailedSuffix);
}

// Everything a copy in progress changes, hidden files included: names, sizes, times.
std::optional<std::string> listing_of(const std::string& directory) {
    std::error_code error;
    std::vector<std::string> lines;
    for (const fs::directory_entry& entry : fs::directory_iterator(directory, error)) {
        std::error_code ignored;
        auto size = entry.is_regular_file(ignored) ? entry.file_size(ignored) : 0;
        auto time = entry.last_write_time(ignored).time_since_epoch().count();
        lines.push_back(entry.path().filename().string() + "\t" + std::to_string(size) + "\t" +
                        std::to_string(time));
    }
    if (error) return std::nullopt;
    std::sort(lines.begin(), lines.end());
    std::string listing;
    for (const std::string& line : lines) listing += line + "\n";
    return listing;
}

struct Contents {
    std::vector<std::string> files;  // names of the pages, in name order
    bool metadata = false;
    bool pages = false;  // pages.json: the pages' labels (page_labels.hpp)
};

Contents contents_of(const std::string& directory) {
    Contents contents;
    std::error_code error;
    for (const fs::directory_entry& entry : fs::directory_iterator(directory, error)) {
        std::string name = entry.path().filename().string();
        std::error_code ignored;
        if (name.front() == '.' || !entry.is_regular_file(ignored)) continue;
        if (name == kMetadataFile) {
            contents.metadata = true;
        } else if (name == kPagesFile) {
            contents.pages = true;
        } else {
            contents.files.push_back(name);
        }
    }
    std::sort(contents.files.begin(), contents.files.end());
    return contents;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot read");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void rename_or_throw(const std::string& from, const std::string& to) {
    if (std::rename(from.c_str(), to.c_str()) != 0)
        throw std::runtime_error("rename " + from + " -> " + to + ": " + std::strerror(errno));
}

// Moves a subfolder into staging: a rename when both are on one file system, else a copy of
// its files (each written atomically) and the removal of the original.
void move_folder(const std::string& from, const std::string& to, const Contents& contents) {
    if (std::rename(from.c_str(), to.c_str()) == 0) return;
    if (errno != EXDEV)
        throw std::runtime_error("rename " + from + " -> " + to + ": " + std::strerror(errno));
    make_directories(to);
    std::vector<std::string> names = contents.files;
    if (contents.metadata) names.push_back(kMetadataFile);
    if (contents.pages) names.push_back(kPagesFile);
    for (const std::string& name : names) copy_file_atomically(from + "/" + name, to + "/" + name);
    fs::remove_all(from);
}

enum class Outcome { taken, waiting, retry };

// The subfolders being watched until they settle.
class Watcher {
  public:
    Watcher(const DaemonConfig& config, const Deposits& deposits, RedisPool& redis, int fd)
        : config_(config), deposits_(deposits), redis_(redis), fd_(fd) {}

    void watch_root() {
        root_ = inotify_add_watch(fd_, config_.hot_folder.c_str(), kRootEvents);
        if (root_ < 0)
            throw std::runtime_error("inotify " + config_.hot_folder + ": " + std::strerror(errno));
        rescan();
    }

    // What is there now, after a start or a lost event (queue overflow).
    void rescan() {
        std::error_code error;
        for (const fs::directory_entry& entry : fs::directory_iterator(config_.hot_folder, error)) {
            std::error_code ignored;
            if (entry.is_directory(ignored)) add(entry.path().filename().string());
        }
    }

    void on_events() {
        alignas(inotify_event) char buffer[16384];
        for (;;) {
            ssize_t length = read(fd_, buffer, sizeof buffer);
            if (length <= 0) return;
            for (char* at = buffer; at < buffer + length;) {
                const auto* event = reinterpret_cast<const inotify_event*>(at);
                at += sizeof(inotify_event) + event->len;
                on_event(*event);
            }
        }
    }

    void tick() {
        Clock::time_point now = Clock::now();
        for (auto it = folders_.begin(); it != folders_.end();) {
            const std::string& name = it->first;
            Folder& folder = it->second;
            std::optional<std::string> listing = listing_of(path(name));
            if (!listing) {  // gone
                forget(it++);
                continue;
            }
            if (*listing != folder.listing) {
                folder.listing = *listing;
                folder.last_change = now;
            }
            if (now - folder.last_change <
                    std::chrono::seconds(config_.hot_folder_settle_seconds) ||
                now < folder.retry_after) {
                ++it;
                continue;
            }
            Outcome outcome = take(name, folder);
            if (outcome == Outcome::taken) {
                forget(it++);
                continue;
            }
            if (outcome == Outcome::retry) folder.retry_after = now + kRetryAfterRedisFailure;
            ++it;
        }
    }

  private:
    struct Folder {
        int watch = -1;
        Clock::time_point last_change;
        std::string listing;
        Clock::time_point retry_after;
    };

    std::string path(const std::string& name) const { return config_.hot_folder + "/" + name; }

    void add(const std::string& name) {
        if (!is_object_folder_name(name)) return;
        auto found = folders_.find(name);
        if (found != folders_.end()) {
            found->second.last_change = Clock::now();
            return;
        }
        Folder folder;
        folder.watch = inotify_add_watch(fd_, path(name).c_str(), kSubfolderEvents);
        if (folder.watch < 0) {
            // Still seen by polling its listing; only the events are missing.
            spdlog::warn("hot folder: inotify {}: {}", path(name), std::strerror(errno));
        } else {
            watches_[folder.watch] = name;
        }
        folder.last_change = Clock::now();
        folder.listing = listing_of(path(name)).value_or("");
        folders_.emplace(name, std::move(folder));
    }

    void forget(std::map<std::string, Folder>::iterator it) {
        if (it->second.watch >= 0) {
            inotify_rm_watch(fd_, it->second.watch);
            watches_.erase(it->second.watch);
        }
        folders_.erase(it);
    }

    void on_event(const inotify_event& event) {
        if (event.mask & IN_Q_OVERFLOW) {
            rescan();
            for (auto& [name, folder] : folders_) folder.last_change = Clock::now();
            return;
        }
        if (event.wd == root_) {
            std::string name = event.len > 0 ? event.name : "";
            if ((event.mask & IN_ISDIR) && (event.mask & (IN_CREATE | IN_MOVED_TO))) add(name);
            if ((event.mask & IN_ISDIR) && (event.mask & (IN_DELETE | IN_MOVED_FROM))) {
                auto found = folders_.find(name);
                if (found != folders_.end()) forget(found);
            }
            return;
        }
        auto watched = watches_.find(event.wd);
        if (watched == watches_.end()) return;
        if (event.mask & IN_IGNORED) {  // the subfolder is gone, or its watch was removed
            auto found = folders_.find(watched->second);
            if (found != folders_.end()) found->second.watch = -1;
            watches_.erase(watched);
            return;
        }
        auto found = folders_.find(watched->second);
        if (found != folders_.end()) found->second.last_change = Clock::now();
    }

    // Leaves the subfolder renamed "{name}.failed" with the reason inside.
    void refuse(const std::string& name, const std::string& reason) {
        std::string target = path(name) + kFailedSuffix;
        for (int n = 2; fs::exists(target); ++n)
            target = path(name) + kFailedSuffix + "." + std::to_string(n);
        try {
            rename_or_throw(path(name), target);
            write_file_atomically(target + "/" + kErrorFile, reason + "\n");
        } catch (const std::exception& error) {
            spdlog::error("hot folder: {}: {}", path(name), error.what());
        }
        spdlog::warn("hot folder: {} refused: {}", name, reason);
    }

    Outcome take(const std::string& name, Folder& folder) {
        Contents contents = contents_of(path(name));
        if (contents.files.empty()) return Outcome::waiting;
        iiif::ObjectMetadata metadata;
        if (contents.metadata) {
            try {
                metadata = iiif::parse_object_metadata(read_text(path(name) + "/" + kMetadataFile));
                deposits_.check(metadata);
            } catch (const iiif::IiifError& error) {
                refuse(name, std::string(kMetadataFile) + ": " + error.reason);
                return Outcome::taken;
            } catch (const std::exception& error) {
                refuse(name, error.what());
                return Outcome::taken;
            }
        }
        std::string pages;
        if (contents.pages) {
            try {
                pages = read_text(path(name) + "/" + kPagesFile);
                std::vector<DepositFile> named;
                for (const std::string& file : contents.files) named.push_back({"", file});
                apply_page_labels(pages, named);
            } catch (const iiif::IiifError& error) {
                refuse(name, std::string(kPagesFile) + ": " + error.reason);
                return Outcome::taken;
            } catch (const std::exception& error) {
                refuse(name, error.what());
                return Outcome::taken;
            }
        }
        if (contents.files.size() > static_cast<size_t>(config_.max_files_per_object)) {
            refuse(name, std::to_string(contents.files.size()) + " files, over the limit of " +
                             std::to_string(config_.max_files_per_object) + " per object");
            return Outcome::taken;
        }

        auto redis = redis_.lease();
        try {
            redis->command({"PING"});
        } catch (const RedisUnavailable& error) {
            spdlog::warn("hot folder: {} waits for redis: {}", name, error.what());
            return Outcome::retry;
        }

        const std::string job_id = new_job_id();
        const std::string staging = job_staging_dir(config_, job_id);
        if (folder.watch >= 0) {
            inotify_rm_watch(fd_, folder.watch);
            watches_.erase(folder.watch);
            folder.watch = -1;
        }
        std::vector<DepositFile> files;
        try {
            move_folder(path(name), staging, contents);
            for (size_t i = 0; i < contents.files.size(); ++i) {
                const std::string& original = contents.files[i];
                std::string staged = staging + "/" + staged_file_name(i + 1, original);
                rename_or_throw(staging + "/" + original, staged);
                files.push_back({staged, deposit_file_name(original)});
            }
            if (!pages.empty()) apply_page_labels(pages, files);
        } catch (const std::exception& error) {
            spdlog::error("hot folder: {}: {}", name, error.what());
            return Outcome::retry;
        }

        IngestJob job;
        try {
            job = deposits_.accept(*redis, job_id, files, std::move(metadata),
                                   {"hotfolder", config_.hot_folder_institution,
                                    {"iiifd", "hot folder"}});
        } catch (const RedisUnavailable& error) {
            // Put the subfolder back as it was, to be taken again once Redis is back.
            spdlog::warn("hot folder: {} waits for redis: {}", name, error.what());
            try {
                for (size_t i = 0; i < files.size(); ++i)
                    rename_or_throw(files[i].staged_path, staging + "/" + contents.files[i]);
                rename_or_throw(staging, path(name));
                folder.watch = inotify_add_watch(fd_, path(name).c_str(), kSubfolderEvents);
                if (folder.watch >= 0) watches_[folder.watch] = name;
            } catch (const std::exception& restore_error) {
                spdlog::error("hot folder: {} left in {}: {}", name, staging, restore_error.what());
                return Outcome::taken;
            }
            return Outcome::retry;
        }

        json_t* receipt = json_object();
        json_object_set_new(receipt, "job", json_string(job.id.c_str()));
        json_object_set_new(receipt, "ark", json_string(job.ark.c_str()));
        json_object_set_new(receipt, "status_url", json_string(("/api/v1/jobs/" + job.id).c_str()));
        json_t* names = json_array();
        for (const DepositFile& file : job.files)
            json_array_append_new(names, json_string(file.original_name.c_str()));
        json_object_set_new(receipt, "files", names);
        const iiif::Json owned(receipt);
        try {
            write_file_atomically(path(name) + kReceiptSuffix,
                                  iiif::json_text(receipt, JSON_INDENT(2)) + "\n");
        } catch (const std::exception& error) {
            spdlog::error("hot folder: receipt of {}: {}", name, error.what());
        }
        spdlog::info("hot folder: {} -> job {}, {}, {} files", name, job.id, job.ark, files.size());
        return Outcome::taken;
    }

    const DaemonConfig& config_;
    const Deposits& deposits_;
    RedisPool& redis_;
    int fd_;
    int root_ = -1;
    std::map<std::string, Folder> folders_;
    std::map<int, std::string> watches_;
};

}  // namespace

HotFolder::~HotFolder() {
    stop();
    if (inotify_ >= 0) close(inotify_);
    if (wakeup_ >= 0) close(wakeup_);
}

void HotFolder::start() {
    make_directories(config_.hot_folder);
    make_directories(config_.staging_dir);
    inotify_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    wakeup_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (inotify_ < 0 || wakeup_ < 0)
        throw std::runtime_error(std::string("hot folder: inotify: ") + std::strerror(errno));
    auto watcher = std::make_shared<Watcher>(config_, deposits_, redis_, inotify_);
    watcher->watch_root();
    thread_ = std::thread([this, watcher] {
        pollfd fds[2] = {{inotify_, POLLIN, 0}, {wakeup_, POLLIN, 0}};
        Clock::time_point next_tick = Clock::now();
        for (;;) {
            auto wait =
                std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - Clock::now());
            int ready = poll(fds, 2, static_cast<int>(std::max<long>(0, wait.count())));
            if (ready < 0 && errno != EINTR) {
                spdlog::error("hot folder: poll: {}", std::strerror(errno));
                return;
            }
            if (fds[1].revents & POLLIN) return;
            try {
                if (fds[0].revents & POLLIN) watcher->on_events();
                if (Clock::now() >= next_tick) {
                    watcher->tick();
                    next_tick = Clock::now() + kTick;
                }
            } catch (const std::exception& error) {
                spdlog::error("hot folder: {}", error.what());
                next_tick = Clock::now() + kTick;
            }
        }
    });
    spdlog::info("hot folder: watching {}", config_.hot_folder);
}

void HotFolder::stop() {
    if (!thread_.joinable()) return;
    std::uint64_t one = 1;
    if (write(wakeup_, &one, sizeof one) < 0)
        spdlog::error("hot folder: cannot wake the watcher: {}", std::strerror(errno));
    thread_.join();
}

}  // namespace iiifd
