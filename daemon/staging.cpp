#include "staging.hpp"

#include <glib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>

namespace iiifd {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A staging directory with no job is a deposit that never made it to the queue.
constexpr auto kOrphanAge = 24h;
// A recorded name, and with its page number the staged one, well within NAME_MAX (255).
constexpr size_t kMaxNameBytes = 200;

}  // namespace

std::string job_staging_dir(const DaemonConfig& config, const std::string& job_id) {
    return config.staging_dir + "/" + job_id;
}

std::string job_file_path(const DaemonConfig& config, const std::string& job_id) {
    return job_staging_dir(config, job_id) + "/job.json";
}

std::string deposit_file_name(std::string_view given_name) {
    const size_t slash = given_name.find_last_of("/\\");
    if (slash != std::string_view::npos) given_name.remove_prefix(slash + 1);
    const std::unique_ptr<gchar, decltype(&g_free)> valid(
        g_utf8_make_valid(given_name.data(), static_cast<gssize>(given_name.size())), g_free);
    // Without control characters (C0, DEL, C1), format characters (the bidirectional overrides
    // that make "gpj.exe" read as "exe.jpg", zero-width ones) and line or paragraph separators:
    // a name is shown on one line, as written.
    std::string name;
    for (const gchar* c = valid.get(); *c != '\0'; c = g_utf8_next_char(c)) {
        const gunichar character = g_utf8_get_char(c);
        const GUnicodeType type = g_unichar_type(character);
        if (type == G_UNICODE_CONTROL || type == G_UNICODE_FORMAT ||
            type == G_UNICODE_LINE_SEPARATOR || type == G_UNICODE_PARAGRAPH_SEPARATOR)
            continue;
        name.append(c, static_cast<size_t>(g_utf8_next_char(c) - c));
    }
    if (name.size() > kMaxNameBytes) {
        size_t cut = name.size() - kMaxNameBytes;
        // Not in the middle of a character: past its continuation bytes (10xxxxxx).
        while (cut < name.size() && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) ++cut;
        name.erase(0, cut);
    }
    if (name.empty() || name == "." || name == "..") name = "file";
    return name;
}

std::string staged_file_name(size_t page, std::string_view given_name) {
    return std::to_string(page) + "-" + deposit_file_name(given_name);
}

void sweep_staging(const DaemonConfig& config, Redis& redis, bool orphans) {
    std::error_code error;
    fs::directory_iterator entries(config.staging_dir, error);
    if (error) return;
    for (const fs::directory_entry& entry : entries) {
        std::string id = entry.path().filename().string();
        if (!is_job_id(id) || !entry.is_directory(error)) continue;
        std::optional<std::string> state = job_state(redis, id);
        bool over = state && (*state == "done" || *state == "failed");
        // A job.json of a job Redis does not know: a job it lost, which requeue_lost_jobs queues.
        bool lost = !state && fs::exists(job_file_path(config, id), error);
        bool orphan = orphans && !state && !lost && !error &&
                      fs::last_write_time(entry.path(), error) <
                          fs::file_time_type::clock::now() - kOrphanAge;
        if (over || (orphan && !error)) {
            spdlog::info("staging: removing {} (job {})", entry.path().string(),
                         state ? *state : "unknown");
            fs::remove_all(entry.path(), error);
        }
    }
}

}  // namespace iiifd
