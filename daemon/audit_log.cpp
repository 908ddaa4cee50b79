#include "audit_log.hpp"

#include <algorithm>
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
    // Read backwards from `before` (or the end) a chunk at a time: a long log costs what the
    // entries shown cost, not its length.
    constexpr size_t kChunk = 64 * 1024;
    *next = 0;
    std::vector<AuditEntry> found;
    std::ifstream in(path_, std::ios::binary);
    if (!in || limit == 0) return found;
    in.seekg(0, std::ios::end);
    const auto size = static_cast<size_t>(std::max<std::streamoff>(in.tellg(), 0));
    size_t pos = before == 0 || before > size ? size : before;
    // The bytes from `pos` not yet looked at: whole lines, and at their start part of one.
    std::string pending;
    for (;;) {
        if (pos > 0) {
            const size_t start = pos > kChunk ? pos - kChunk : 0;
            std::string chunk(pos - start, '\0');
            in.seekg(static_cast<std::streamoff>(start));
            if (!in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()))) break;
            pending.insert(0, chunk);
            pos = start;
        }
        // The last line of `pending`, while a line break (or the log's start) bounds it.
        for (;;) {
            if (!pending.empty() && pending.back() == '\n') pending.pop_back();
            if (pending.empty()) break;
            const size_t cut = pending.rfind('\n');
            if (cut == std::string::npos && pos > 0) break;  // its start is in the next chunk
            const size_t begin = cut == std::string::npos ? 0 : cut + 1;
            std::optional<AuditEntry> entry = entry_of_line(std::string_view(pending).substr(begin));
            pending.resize(begin);
            if (!entry || (!institution.empty() && entry->institution != institution)) continue;
            found.push_back(std::move(*entry));
            if (found.size() == limit) {
                *next = pos + begin;  // where this line starts: older entries end there
                return found;
            }
        }
        if (pos == 0) return found;
    }
    return found;
}

}  // namespace iiifd
