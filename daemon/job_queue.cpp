#include "job_queue.hpp"

#include <jansson.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>

#include "clock.hpp"
#include "encoding.hpp"
#include "json.hpp"

namespace iiifd {
namespace {

using iiif::Json;

using iiif::json_text;

std::string job_key(const std::string& job_id) {
    return "iiif:job:" + job_id;
}

std::string now_text() {
    return std::to_string(iiif::now_seconds());
}

std::string files_json(const std::vector<FileOutcome>& files) {
    Json list(json_array());
    for (const FileOutcome& file : files) {
        json_t* item = json_object();
        json_object_set_new(item, "name", json_string(file.name.c_str()));
        json_object_set_new(item, "state",
                            json_string(std::string(file_state_name(file.state)).c_str()));
        json_object_set_new(item, "page", file.page > 0 ? json_integer(file.page) : json_null());
        json_object_set_new(item, "error",
                            file.error.empty() ? json_null() : json_string(file.error.c_str()));
        json_object_set_new(item, "reason", json_string(file.reason.c_str()));
        json_object_set_new(item, "progress", json_integer(file.progress));
        json_array_append_new(list.get(), item);
    }
    return json_text(list.get());
}

// An entry of a stream reply, [id, [field, value, ...]], as a delivery; nullopt when it was
// deleted (nil) or holds no job.
std::optional<Delivery> delivery_of(const RedisReply& entry) {
    if (entry.type != RedisReply::Type::array || entry.elements.size() < 2) return std::nullopt;
    Delivery delivery;
    delivery.entry_id = entry.elements[0].text;
    const std::vector<RedisReply>& fields = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].text == "job") delivery.payload = fields[i + 1].text;
    }
    return delivery;
}

}  // namespace

std::string_view job_state_name(JobState state) {
    switch (state) {
        case JobState::queued:
            return "queued";
        case JobState::running:
            return "running";
        case JobState::done:
            return "done";
        case JobState::failed:
            return "failed";
    }
    return "unknown";
}

std::string new_job_id() {
    unsigned char bytes[12];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no random bytes");
    return iiif::hex_encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

bool is_job_id(std::string_view text) {
    return text.size() == 24 && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

void ensure_consumer_group(Redis& redis, const DaemonConfig& config) {
    // From the stream's first entry, not "$": a deposit appended while the group was missing (a
    // Redis that lost its data, and a worker not yet back) is one of its jobs too.
    try {
        redis.command(
            {"XGROUP", "CREATE", config.ingest_stream, config.consumer_group, "0", "MKSTREAM"});
    } catch (const RedisCommandError& error) {
        if (!std::string_view(error.what()).starts_with("BUSYGROUP")) throw;
    }
}

int requeue_passed_over(Redis& redis, const DaemonConfig& config) {
    std::string last_delivered;
    const RedisReply groups = redis.command({"XINFO", "GROUPS", config.ingest_stream});
    for (const RedisReply& group : groups.elements) {
        std::string name, last;
        for (size_t i = 0; i + 1 < group.elements.size(); i += 2) {
            if (group.elements[i].text == "name") name = group.elements[i + 1].text;
            if (group.elements[i].text == "last-delivered-id") last = group.elements[i + 1].text;
        }
        if (name == config.consumer_group) last_delivered = last;
    }
    if (last_delivered.empty() || last_delivered == "0-0") return 0;

    // Checked and moved in one script, so that an entry a consumer takes or finishes meanwhile is
    // left alone. The copy goes to the end of the stream, past the group's position.
    static const std::string kRequeue = R"(
        local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
        if #entry == 0 then return 0 end
        if #redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1) > 0 then return 0 end
        redis.call('XADD', KEYS[1], '*', unpack(entry[1][2]))
        redis.call('XDEL', KEYS[1], ARGV[2])
        return 1)";
    constexpr int kBatch = 100;
    int requeued = 0;
    std::string from = "-";
    for (;;) {
        RedisReply entries = redis.command({"XRANGE", config.ingest_stream, from, last_delivered,
                                            "COUNT", std::to_string(kBatch)});
        for (const RedisReply& entry : entries.elements) {
            if (entry.elements.empty()) continue;
            const std::string& id = entry.elements[0].text;
            const RedisReply moved = redis.command(
                {"EVAL", kRequeue, "1", config.ingest_stream, config.consumer_group, id});
            requeued += static_cast<int>(moved.integer);
            from = "(" + id;
        }
        if (entries.elements.size() < static_cast<size_t>(kBatch)) return requeued;
    }
}

int forget_departed_consumers(Redis& redis, const DaemonConfig& config) {
    // A live consumer reads the stream every couple of seconds; one silent this long is gone.
    const long long departed_ms = std::max<long long>(config.reclaim_idle_seconds, 3600) * 1000;
    RedisReply consumers =
        redis.command({"XINFO", "CONSUMERS", config.ingest_stream, config.consumer_group});
    int removed = 0;
    for (const RedisReply& consumer : consumers.elements) {
        std::string name;
        long long pending = -1, idle = 0;
        for (size_t i = 0; i + 1 < consumer.elements.size(); i += 2) {
            const std::string& field = consumer.elements[i].text;
            const RedisReply& value = consumer.elements[i + 1];
            if (field == "name") name = value.text;
            if (field == "pending") pending = value.integer;
            if (field == "idle") idle = value.integer;
        }
        if (name.empty() || name == config.consumer_name || pending != 0 || idle < departed_ms)
            continue;
        redis.command({"XGROUP", "DELCONSUMER", config.ingest_stream, config.consumer_group, name});
        removed += 1;
    }
    return removed;
}

void enqueue_job(Redis& redis, const DaemonConfig& config, const IngestJob& job) {
    // The group before the entry: an entry appended to a stream without its group could be
    // passed over by a group made later at the stream's end.
    ensure_consumer_group(redis, config);
    std::vector<FileOutcome> files;
    for (const DepositFile& file : job.files)
        files.push_back({file.original_name, FileState::queued, 0, {}, {}, 0});
    std::string now = now_text();
    redis.transaction({
        {"HSET", job_key(job.id), "state", "queued", "ark", job.ark, "origin", job.origin,
         "institution", job.institution, "files", files_json(files), "error", "", "attempts", "0",
         "created", now, "updated", now},
        {"XADD", config.ingest_stream, "*", "job", ingest_job_to_json(job)},
    });
}

std::optional<std::string> job_institution(Redis& redis, const std::string& job_id) {
    RedisReply reply = redis.command({"HGET", job_key(job_id), "institution"});
    if (reply.type != RedisReply::Type::string) return std::nullopt;
    return reply.text;
}

std::optional<std::string> job_state(Redis& redis, const std::string& job_id) {
    RedisReply reply = redis.command({"HGET", job_key(job_id), "state"});
    if (reply.type != RedisReply::Type::string) return std::nullopt;
    return reply.text;
}

std::optional<std::string> job_status_json(Redis& redis, const std::string& job_id) {
    RedisReply reply = redis.command({"HGETALL", job_key(job_id)});
    if (reply.elements.empty()) return std::nullopt;
    std::map<std::string, std::string> fields;
    for (size_t i = 0; i + 1 < reply.elements.size(); i += 2)
        fields[reply.elements[i].text] = reply.elements[i + 1].text;

    Json status(json_object());
    json_object_set_new(status.get(), "job", json_string(job_id.c_str()));
    json_object_set_new(status.get(), "state", json_string(fields["state"].c_str()));
    json_object_set_new(status.get(), "ark", json_string(fields["ark"].c_str()));
    json_object_set_new(status.get(), "origin", json_string(fields["origin"].c_str()));
    json_t* files = json_loads(fields["files"].c_str(), 0, nullptr);
    if (!json_is_array(files)) {
        json_decref(files);
        files = json_array();
    }
    // A job recorded by an iiifd before reasons and progress: what they would have said.
    size_t index;
    json_t* file;
    json_array_foreach(files, index, file) {
        if (!json_is_object(file)) continue;
        const char* state = json_string_value(json_object_get(file, "state"));
        auto in_state = [&](const char* name) {
            return state != nullptr && std::strcmp(state, name) == 0;
        };
        if (json_object_get(file, "reason") == nullptr)
            json_object_set_new(file, "reason", json_string(in_state("failed") ? "internal" : ""));
        if (json_object_get(file, "progress") == nullptr)
            json_object_set_new(file, "progress", json_integer(in_state("done") ? 100 : 0));
    }
    json_object_set_new(status.get(), "files", files);
    const std::string& error = fields["error"];
    json_object_set_new(status.get(), "error",
                        error.empty() ? json_null() : json_string(error.c_str()));
    for (const char* number : {"attempts", "created", "updated"}) {
        json_object_set_new(status.get(), number,
                            json_integer(std::strtoll(fields[number].c_str(), nullptr, 10)));
    }
    return json_text(status.get());
}

std::optional<Delivery> JobConsumer::reclaim() {
    RedisReply reply = redis_.command(
        {"XAUTOCLAIM", config_.ingest_stream, config_.consumer_group, config_.consumer_name,
         std::to_string(static_cast<long long>(config_.reclaim_idle_seconds) * 1000),
         reclaim_cursor_, "COUNT", "1"});
    if (reply.elements.size() < 2) return std::nullopt;
    reclaim_cursor_ = reply.elements[0].text.empty() ? "0-0" : reply.elements[0].text;
    for (const RedisReply& entry : reply.elements[1].elements) {
        if (std::optional<Delivery> delivery = delivery_of(entry)) {
            delivery->reclaimed = true;
            return delivery;
        }
    }
    return std::nullopt;
}

std::optional<Delivery> JobConsumer::next(std::chrono::milliseconds block) {
    if (std::optional<Delivery> delivery = reclaim()) return delivery;
    RedisReply reply = redis_.command(
        {"XREADGROUP", "GROUP", config_.consumer_group, config_.consumer_name, "COUNT", "1",
         "BLOCK", std::to_string(block.count()), "STREAMS", config_.ingest_stream, ">"});
    // [[stream, [[id, [field, value, ...]], ...]]], or nil when nothing came in time.
    if (reply.elements.empty() || reply.elements[0].elements.size() < 2) return std::nullopt;
    for (const RedisReply& entry : reply.elements[0].elements[1].elements) {
        if (std::optional<Delivery> delivery = delivery_of(entry)) return delivery;
    }
    return std::nullopt;
}

QueueDepth queue_depth(Redis& redis, const DaemonConfig& config) {
    QueueDepth depth;
    depth.entries = redis.command({"XLEN", config.ingest_stream}).integer;
    depth.handed_over = redis.command({"XLEN", record_stream(config)}).integer;
    try {
        // The summary form: [count, smallest id, greatest id, [consumer, count]...].
        const RedisReply summary =
            redis.command({"XPENDING", config.ingest_stream, config.consumer_group});
        if (!summary.elements.empty()) depth.pending = summary.elements[0].integer;
    } catch (const RedisCommandError& refused) {
        // NOGROUP: no stream, or no group yet (the workers make it); nothing is pending.
        if (!std::string_view(refused.what()).starts_with("NOGROUP")) throw;
    }
    return depth;
}

long long start_job(Redis& redis, const std::string& job_id) {
    std::vector<RedisReply> replies = redis.transaction({
        {"HINCRBY", job_key(job_id), "attempts", "1"},
        {"HSET", job_key(job_id), "state", "running", "updated", now_text()},
    });
    return replies.empty() ? 1 : replies[0].integer;
}

void record_job_files(Redis& redis, const std::string& job_id,
                      const std::vector<FileOutcome>& files) {
    redis.command({"HSET", job_key(job_id), "files", files_json(files), "updated", now_text()});
}

namespace {

// The events stream keeps about this many entries, the newest: a purger further behind than
// that misses takedowns, whose tiles stay unreachable all the same (the module reads the catalog
// first) until evicted. Without a bound the stream would grow with every change, for ever.
constexpr const char* kEventsKept = "1000000";

// The command that appends `event` to the events stream.
std::vector<std::string> event_command(const DaemonConfig& config, const CatalogEvent& event) {
    return {"XADD",      config.events_stream, "MAXLEN", "~",        kEventsKept,
            "*",         "type",               event.type, "ark",  event.ark,
            "datestamp", std::to_string(event.datestamp)};
}

}  // namespace

void append_event(Redis& redis, const DaemonConfig& config, const CatalogEvent& event) {
    redis.command(event_command(config, event));
}

void announce_change(Redis& redis, const DaemonConfig& config, const CatalogEvent& event) {
    try {
        append_event(redis, config, event);
    } catch (const std::exception& error) {
        spdlog::error("object {} {}, but its event is lost: {}", event.ark,
                      std::string_view(event.type).substr(event.type.find('.') + 1), error.what());
    }
}

void announce_changes(Redis& redis, const DaemonConfig& config,
                      const std::vector<CatalogEvent>& events) {
    if (events.empty()) return;
    std::vector<std::vector<std::string>> commands;
    for (const CatalogEvent& event : events) commands.push_back(event_command(config, event));
    try {
        redis.transaction(commands);
    } catch (const std::exception& error) {
        spdlog::error("{} objects changed, but their events are lost: {}", events.size(),
                      error.what());
    }
}

void complete_job(Redis& redis, const DaemonConfig& config, const Delivery& delivery,
                  const std::string& job_id, JobState state, const std::vector<FileOutcome>& files,
                  const std::string& error, const std::optional<CatalogEvent>& event) {
    std::vector<std::vector<std::string>> commands;
    commands.push_back({"HSET", job_key(job_id), "state", std::string(job_state_name(state)),
                        "files", files_json(files), "error", error, "updated", now_text()});
    // A finished job's record is for its depositor to read its outcome, not an archive (the
    // object, its audit log lines and object.json are): it goes after 30 days.
    commands.push_back({"EXPIRE", job_key(job_id), std::to_string(kFinishedJobSeconds)});
    if (event) commands.push_back(event_command(config, *event));
    commands.push_back({"XACK", config.ingest_stream, config.consumer_group, delivery.entry_id});
    commands.push_back({"XDEL", config.ingest_stream, delivery.entry_id});
    redis.transaction(commands);
}

std::string record_stream(const DaemonConfig& config) {
    return config.ingest_stream + ":record";
}

DaemonConfig record_queue(const DaemonConfig& config) {
    DaemonConfig record = config;
    record.ingest_stream = record_stream(config);
    return record;
}

void hand_over_job(Redis& redis, const DaemonConfig& config, const Delivery& delivery,
                   const std::string& job_id, const std::vector<FileOutcome>& files,
                   const std::string& payload) {
    const DaemonConfig record = record_queue(config);
    ensure_consumer_group(redis, record);  // before its first entry, as enqueue_job does
    redis.transaction({
        {"HSET", job_key(job_id), "files", files_json(files), "updated", now_text()},
        {"XADD", record.ingest_stream, "*", "job", payload},
        {"XACK", config.ingest_stream, config.consumer_group, delivery.entry_id},
        {"XDEL", config.ingest_stream, delivery.entry_id},
    });
}

void discard_entry(Redis& redis, const DaemonConfig& config, const std::string& entry_id) {
    redis.transaction({
        {"XACK", config.ingest_stream, config.consumer_group, entry_id},
        {"XDEL", config.ingest_stream, entry_id},
    });
}

void keep_entries_fresh(Redis& redis, const DaemonConfig& config,
                        const std::vector<std::string>& entry_ids) {
    if (entry_ids.empty()) return;
    std::vector<std::string> arguments = {"XCLAIM", config.ingest_stream, config.consumer_group,
                                          config.consumer_name, "0"};
    arguments.insert(arguments.end(), entry_ids.begin(), entry_ids.end());
    arguments.push_back("JUSTID");
    redis.command(arguments);
}

}  // namespace iiifd
