#include "takedown.hpp"

#include <jansson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "clock.hpp"
#include "iiif_error.hpp"
#include "json.hpp"
#include "storage.hpp"

namespace iiifd {
namespace {

namespace fs = std::filesystem;

// Renames a directory into place, making the parents of `to` (same file system: the storage
// root); nothing to do when `from` is absent (an object without masters).
void move_directory(const std::string& from, const std::string& to) {
    std::error_code ignored;
    if (!fs::is_directory(from, ignored)) return;
    make_directories(fs::path(to).parent_path().string());
    fs::rename(from, to);
    fsync_directory(fs::path(to).parent_path().string());
    fsync_directory(fs::path(from).parent_path().string());
}

// The event's name, and the word the logs use.
const char* event_of(TakedownAction action) {
    switch (action) {
        case TakedownAction::withdraw:
            return "withdrawn";
        case TakedownAction::reinstate:
            return "reinstated";
        case TakedownAction::purge:
            return "purged";
    }
    return "changed";
}

}  // namespace

iiif::ObjectRecord Takedown::apply(TakedownAction action, const std::string& ark,
                                   const TakedownRequest& request) {
    auto redis = changes_.redis.lease();
    redis->command({"PING"});  // the change goes to the events stream

    std::lock_guard lock(changes_.mutex);
    const iiif::ObjectRecord record = changes_.object(ark);
    const ObjectFiles files = changes_.store.files(record.ark);
    check_allowed(action, record, files);

    std::int64_t when = record.datestamp;
    if (action == TakedownAction::purge) {
        std::error_code ignored;
        fs::remove_all(files.quarantine, ignored);
        fs::remove_all(files.masters, ignored);
        fs::remove_all(files.originals, ignored);
    } else {
        when = change_state(action, record, files, request.reason);
    }
    const std::string event = event_of(action);
    std::optional<iiif::ObjectRecord> changed = changes_.catalog.reader().object(ark);
    if (!changed) throw iiif::IiifError(500, "the object left the catalog");
    try {
        log(event, *changed, request);
    } catch (const std::exception& failure) {
        spdlog::error("object {} {}, but the withdrawal log could not be written: {}", record.ark,
                      event, failure.what());
    }
    announce_change(*redis, changes_.config, CatalogEvent{"object." + event, record.ark, when});
    spdlog::info("object {} {} at the request of {}: {}", record.ark, event, request.requested_by,
                 request.reason);
    return *changed;
}

void Takedown::check_allowed(TakedownAction action, const iiif::ObjectRecord& record,
                             const ObjectFiles& files) const {
    if (record.state == iiif::RecordState::pending)
        throw iiif::IiifError(409, "the object is still being ingested");
    const bool withdrawn = record.state == iiif::RecordState::withdrawn;
    if (action == TakedownAction::withdraw && withdrawn)
        throw iiif::IiifError(409, "the object is already withdrawn");
    if (action != TakedownAction::withdraw && !withdrawn)
        throw iiif::IiifError(409, "the object is not withdrawn");
    std::error_code ignored;
    // A described object (no images, as harvested) has no masters to lose.
    if (action == TakedownAction::reinstate && !record.images.empty() &&
        !fs::is_directory(files.quarantine, ignored) && !fs::is_directory(files.masters, ignored))
        throw iiif::IiifError(409, "the object's masters were purged: it cannot be reinstated");
}

std::int64_t Takedown::change_state(TakedownAction action, const iiif::ObjectRecord& record,
                                    const ObjectFiles& files, const std::string& reason) {
    const bool withdraw = action == TakedownAction::withdraw;
    const std::int64_t when = std::max(iiif::now_seconds(), record.datestamp);
    iiif::ObjectRecord changed = record;
    changed.state = withdraw ? iiif::RecordState::withdrawn : iiif::RecordState::active;
    changed.withdrawn_reason = withdraw ? reason : "";
    changed.updated = changed.datestamp = when;
    if (!withdraw) move_directory(files.quarantine, files.masters);
    changes_.store.rewrite(changed, [&] {
        if (withdraw)
            changes_.catalog.withdraw(record.ark, reason, when);
        else
            changes_.catalog.reinstate(record.ark, when);
    });
    if (!withdraw) return when;
    try {
        move_directory(files.masters, files.quarantine);
    } catch (const std::exception& failure) {
        spdlog::error("object {} withdrawn, but its masters stay in place: {}", record.ark,
                      failure.what());
    }
    return when;
}

// {storage root}/withdrawals.log: one JSON line per takedown, reinstatement or purge, appended
// and synced, never rewritten: when, what, which object, why, at whose request, and who acted
// ("key": the API key's first 12 hex digits of SHA-256, never the key, or "user:{name}").
void Takedown::log(const std::string& event, const iiif::ObjectRecord& record,
                   const TakedownRequest& request) const {
    iiif::Json line(json_object());
    json_object_set_new(line.get(), "time", json_integer(record.datestamp));
    json_object_set_new(line.get(), "action", json_string(event.c_str()));
    json_object_set_new(line.get(), "ark", json_string(record.ark.c_str()));
    json_object_set_new(line.get(), "reason", iiif::json_string_of(request.reason));
    json_object_set_new(line.get(), "requested_by", iiif::json_string_of(request.requested_by));
    json_object_set_new(line.get(), "key", json_string(request.actor.c_str()));
    append_line_durably(changes_.config.storage_root + "/withdrawals.log",
                        iiif::json_text(line.get()) + "\n");
}

}  // namespace iiifd
