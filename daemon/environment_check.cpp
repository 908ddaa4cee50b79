// check_environment: stat, faccessat (as the effective user) and one PING; nothing is made,
// opened for writing or changed.
#include "environment_check.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <string_view>

#include "job_queue.hpp"

namespace iiifd {
namespace {

constexpr std::chrono::seconds kRedisPatience{2};

std::string in_quotes(const std::string& path) {
    return "\"" + path + "\"";
}

// " (Permission denied)"
std::string reason(int error) {
    return " (" + std::string(std::strerror(error)) + ")";
}

std::string by_this_user() {
    return "by uid " + std::to_string(geteuid());
}

std::string parent_of(const std::string& path) {
    return std::filesystem::path(path).parent_path().string();
}

// stat's errno for a path that is not there: no such entry, or a file where a directory of it
// should be.
bool absent(int error) {
    return error == ENOENT || error == ENOTDIR;
}

// What stat could not do: the path is missing, or not to be looked at.
std::string unseen(int error) {
    return (absent(error) ? "does not exist" : "cannot be looked at") + reason(error);
}

// Why `path` is no directory this user may make entries in; nullopt when it is.
std::optional<std::string> directory_problem(const std::string& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return unseen(errno);
    if (!S_ISDIR(status.st_mode)) return "not a directory";
    if (::faccessat(AT_FDCWD, path.c_str(), W_OK | X_OK, AT_EACCESS) != 0)
        return "not writable " + by_this_user() + reason(errno);
    return std::nullopt;
}

bool missing(const std::string& path) {
    struct stat status {};
    return ::lstat(path.c_str(), &status) != 0 && absent(errno);
}

// One run's failures. Each directory is judged once, whichever settings lead to it (the storage
// root is also, by default, the directory of the catalog, staging and the keys), so that one
// cause is one line.
class Environment {
  public:
    explicit Environment(const DaemonConfig& config)
        : made_by_iiifd_{config.storage_root, config.staging_dir, parent_of(config.catalog_path)} {}

    std::vector<std::string> failures;

    // A directory iiifd uses as it finds it.
    void existing_directory(std::string_view setting, const std::string& path) {
        if (std::optional<std::string> why = room_problem(path, false)) fail(setting, path, *why);
    }

    // A directory iiifd makes, with those above it, when missing.
    void makeable_directory(std::string_view setting, const std::string& path) {
        if (std::optional<std::string> why = room_problem(path, true)) fail(setting, path, *why);
    }

    // The catalog's file, when there, is iiifd's to read and write; LMDB keeps its lock file
    // beside it.
    void catalog(const std::string& path) {
        struct stat status {};
        if (::stat(path.c_str(), &status) != 0) {
            if (!absent(errno)) fail("[storage] catalog", path, unseen(errno));
        } else if (!S_ISREG(status.st_mode)) {
            fail("[storage] catalog", path, "not a file");
        } else if (::faccessat(AT_FDCWD, path.c_str(), R_OK | W_OK, AT_EACCESS) != 0) {
            fail("[storage] catalog", path, "not writable " + by_this_user() + reason(errno));
        }
        makeable_directory("[storage] catalog's directory", parent_of(path));
    }

    // A secret key: readable by iiifd, by no other user; iiifd makes a missing one (mode 0600).
    void key_file(std::string_view setting, const std::string& path) {
        struct stat status {};
        if (::stat(path.c_str(), &status) != 0) {
            const int error = errno;
            if (!absent(error)) {
                fail(setting, path, unseen(error));
                return;
            }
            const std::string directory = parent_of(path);
            if (std::optional<std::string> why = room_problem(directory, made_by_iiifd(directory)))
                fail(setting, path, "cannot be made in " + in_quotes(directory) + ": " + *why);
            return;
        }
        if (!S_ISREG(status.st_mode)) {
            fail(setting, path, "not a file");
            return;
        }
        if (::faccessat(AT_FDCWD, path.c_str(), R_OK, AT_EACCESS) != 0)
            fail(setting, path, "not readable " + by_this_user() + reason(errno));
        if ((status.st_mode & S_IROTH) != 0) {
            char mode[8];
            std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.st_mode & 07777));
            fail(setting, path, std::string("readable by other users (mode ") + mode + ")");
        }
    }

    void readable_file(std::string_view setting, const std::string& path) {
        struct stat status {};
        if (::stat(path.c_str(), &status) != 0) {
            fail(setting, path, unseen(errno));
        } else if (!S_ISREG(status.st_mode)) {
            fail(setting, path, "not a file");
        } else if (::faccessat(AT_FDCWD, path.c_str(), R_OK, AT_EACCESS) != 0) {
            fail(setting, path, "not readable " + by_this_user() + reason(errno));
        }
    }

    void redis(const RedisAddress& address) {
        if (std::optional<std::string> why = redis_ping_problem(address, kRedisPatience))
            failures.push_back("[redis] " + redis_address_text(address) + ": no answer to PING (" +
                               *why + ")");
    }

  private:
    void fail(std::string_view setting, const std::string& path, const std::string& why) {
        failures.push_back(std::string(setting) + " " + in_quotes(path) + ": " + why);
    }

    bool made_by_iiifd(const std::string& directory) const {
        return made_by_iiifd_.count(directory) != 0;
    }

    // Why `directory` gives no room to write in (when `makeable`, a missing one can be made: the
    // nearest directory above it that is there is writable); nullopt when it does, or when that
    // directory was judged already.
    std::optional<std::string> room_problem(const std::string& directory, bool makeable) {
        if (!judged_.insert(directory).second) return std::nullopt;
        std::string there = directory;
        while (makeable && missing(there) && parent_of(there) != there) there = parent_of(there);
        if (there == directory) return directory_problem(directory);
        if (!judged_.insert(there).second) return std::nullopt;
        if (std::optional<std::string> why = directory_problem(there))
            return "cannot be made: " + in_quotes(there) + " " + *why;
        return std::nullopt;
    }

    std::set<std::string> made_by_iiifd_;
    std::set<std::string> judged_;
};

}  // namespace

std::vector<std::string> check_environment(const DaemonConfig& config) {
    Environment environment(config);
    environment.existing_directory("[storage] root", config.storage_root);
    environment.makeable_directory("[storage] staging", config.staging_dir);
    if (!config.hot_folder.empty())
        environment.makeable_directory("[ingest] hot_folder", config.hot_folder);
    environment.catalog(config.catalog_path);
    if (!config.tile_cache_dir.empty())
        environment.existing_directory("[cache] tile_cache", config.tile_cache_dir);
    environment.key_file("[access] key_file", config.access.key_file);
    environment.key_file("[oai] token_key_file", config.oai.token_key_file);
    for (const iiif::WatermarkSpec& mark : config.access.watermarks) {
        if (!mark.image.empty())
            environment.readable_file("[watermarks." + mark.name + "] image", mark.image);
    }
    environment.redis(config.redis);
    return std::move(environment.failures);
}

}  // namespace iiifd
