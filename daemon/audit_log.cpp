#include "audit_log.hpp"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>

#include "clock.hpp"
#include "json.hpp"
#include "storage.hpp"

namespace iiifd {
namespace {

std::optional<AuditEntry> entry_of_line(std::string_view line) {
    iiif::Json json(json_loadb(line.data(), line.size(), 0, nullptr));
    if (!json || !json_is_object(json.get())) return std::nullopt;
    AuditEntry entry;
    const std::string time = iiif::json_string_member(json.get(), "time");
    const json_t* when = json_object_get(json.get(), "unix");
    if (!json_is_integer(when) || time.empty()) return std::nullopt;
    entry.time = json_integer_value(when);
    entry.actor.account = iiif::json_string_member(json.get(), "actor");
    entry.actor.via = iiif::json_string_member(json.get(), "via");
    entry.action = iiif::json_string_member(json.get(), "action");
    entry.target = iiif::json_string_member(json.get(), "target");
    entry.institution = iiif::json_string_member(json.get(), "institution");
    const json_t* detail = json_object_get(json.get(), "detail");
    entry.detail = json_is_object(detail) ? iiif::json_text(detail) : "{}";
    return entry;
}

}  // namespace

json_t* audit_entry_to_json(const AuditEntry& entry) {
    json_t* json = json_object();
    json_object_set_new(json, "time", json_string(iiif::format_utc_datetime(entry.time).c_str()));
    json_object_set_new(json, "unix", json_integer(entry.time));
    json_object_set_new(json, "actor", iiif::json_string_of(entry.actor.account));
    json_object_set_new(json, "via", iiif::json_string_of(entry.actor.via));
    json_object_set_new(json, "action", iiif::json_string_of(entry.action));
    json_object_set_new(json, "target", iiif::json_string_of(entry.target));
    json_object_set_new(json, "institution", iiif::json_string_of(entry.institution));
    json_t* detail = json_loadb(entry.detail.data(), entry.detail.size(), 0, nullptr);
    json_object_set_new(json, "detail", detail && json_is_object(detail) ? detail : json_object());
    if (detail && !json_is_object(detail)) json_decref(detail);
    return json;
}

std::string audit_log_path(const std::string& storage_root) {
    return storage_root + "/audit.log";
}

Actor command_line_actor() {
    for (const char* variable : {"SUDO_USER", "USER"})
        if (const char* value = std::getenv(variable); value != nullptr && *value != '\0')
            return {value, "command line"};
    return {"root", "command line"};
}

void AuditLog::record(const Actor& actor, const std::string& action, const std::string& target,
                      const std::string& institution, json_t* detail) {
    iiif::Json owned_detail(detail ? detail : json_object());
    AuditEntry entry{iiif::now_seconds(), actor, action, target, institution,
                     iiif::json_text(owned_detail.get())};
    iiif::Json line(audit_entry_to_json(entry));
    const std::string text = iiif::json_text(line.get()) + "\n";
    std::lock_guard lock(mutex_);
    append_line_durably(path_, text);
}

std::vector<AuditEntry> AuditLog::recent(size_t limit, const std::string& institution,
                                         size_t before, size_t* next) const {
    std::vector<std::string> lines;
    {
        std::lock_guard lock(mutex_);
        std::ifstream in(path_);
        for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
    }
    std::vector<AuditEntry> found;
    size_t at = before == 0 || before > lines.size() ? lines.size() : before - 1;
    // `at` counts the lines left to look at; line numbers start at 1.
    *next = 0;
    while (at > 0) {
        const std::string& line = lines[at - 1];
        --at;
        std::optional<AuditEntry> entry = entry_of_line(line);
        if (!entry || (!institution.empty() && entry->institution != institution)) continue;
        found.push_back(std::move(*entry));
        if (found.size() == limit) {
            *next = at > 0 ? at + 1 : 0;
            break;
        }
    }
    return found;
}

}  // namespace iiifd
