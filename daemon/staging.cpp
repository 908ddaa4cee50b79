#include "staging.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <optional>

namespace iiifd {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A staging directory with no job is a deposit that never made it to the queue.
constexpr auto kOrphanAge = 24h;

}  // namespace

std::string job_staging_dir(const DaemonConfig& config, const std::string& job_id) {
    return config.staging_dir + "/" + job_id;
}

std::string staged_file_name(size_t page, std::string_view original_name) {
    size_t slash = original_name.find_last_of("/\\");
    if (slash != std::string_view::npos) original_name.remove_prefix(slash + 1);
    std::string name;
    for (char c : original_name) {
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) name += c;
    }
    if (name.empty() || name == "." || name == "..") name = "file";
    // Room for the page number within NAME_MAX (255).
    if (name.size() > 200) name.erase(0, name.size() - 200);
    return std::to_string(page) + "-" + name;
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
