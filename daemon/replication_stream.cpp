// The catalog's changes in Redis and the snapshots on the storage root (replication_stream.hpp).
#include "replication_stream.hpp"

#include <jansson.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "clock.hpp"
#include "encoding.hpp"
#include "json.hpp"
#include "storage.hpp"

namespace iiifd {
namespace {

namespace fs = std::filesystem;

// Appends ARGV[2..] (four per change: seq, epoch, committed, change) when the stream's last
// entry is numbered ARGV[1]; returns {1, last} once appended, {0, last} otherwise. Atomic, as
// any script: nothing can come between the check and the appends.
constexpr const char* kAppendScript = R"lua(
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local at = 0
if #last > 0 then at = tonumber(string.match(last[1][1], '^(%d+)')) end
if at ~= tonumber(ARGV[1]) then return {0, at} end
for i = 2, #ARGV, 4 do
  redis.call('XADD', KEYS[1], ARGV[i] .. '-0', 'epoch', ARGV[i + 1], 'committed', ARGV[i + 2],
             'change', ARGV[i + 3])
end
return {1, at}
)lua";

std::int64_t seq_of_id(const std::string& id) {
    return std::stoll(id.substr(0, id.find('-')));
}

// [id, [field, value, ...]]
std::optional<StreamChange> change_of(const RedisReply& entry) {
    if (entry.type != RedisReply::Type::array || entry.elements.size() < 2) return std::nullopt;
    StreamChange change;
    change.seq = seq_of_id(entry.elements[0].text);
    const std::vector<RedisReply>& fields = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        const std::string& name = fields[i].text;
        if (name == "epoch") change.epoch = fields[i + 1].text;
        if (name == "committed") change.committed_ms = std::stoll(fields[i + 1].text);
        if (name == "change") change.change = fields[i + 1].text;
    }
    return change;
}

std::optional<StreamChange> first_of(const RedisReply& reply) {
    if (reply.type != RedisReply::Type::array || reply.elements.empty()) return std::nullopt;
    std::optional<StreamChange> change = change_of(reply.elements.front());
    if (change) change->change.clear();
    return change;
}

std::string snapshot_name(const std::string& epoch, std::int64_t seq) {
    std::ostringstream name;
    name << "catalog-" << epoch << "-" << std::setw(12) << std::setfill('0') << seq << ".mdb";
    return name.str();
}

// The snapshots of `epoch` in the directory, oldest first; every other catalog-*.mdb removed.
std::vector<fs::path> snapshots_of_epoch(const std::string& dir, const std::string& epoch) {
    std::vector<fs::path> kept;
    const std::string prefix = "catalog-" + epoch + "-";
    for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with("catalog-") || !name.ends_with(".mdb")) continue;
        const bool unfinished = name.find("partial") != std::string::npos ||
                                name.find("pending") != std::string::npos;
        if (unfinished) continue;  // a copy under way, or one a killed writer left
        if (name.starts_with(prefix)) {
            kept.push_back(entry.path());
        } else {
            std::error_code ignored;
            fs::remove(entry.path(), ignored);
        }
    }
    std::sort(kept.begin(), kept.end());  // the number is zero-padded: name order is its order
    return kept;
}

std::string identity_path(const DaemonConfig& config) {
    return config.storage_root + "/replication-id";
}

std::optional<std::string> read_identity(const DaemonConfig& config) {
    std::ifstream file(identity_path(config));
    std::string identity;
    if (!file || !std::getline(file, identity) || identity.empty()) return std::nullopt;
    return identity;
}

}  // namespace

void publish_storage_identity(Redis& redis, const DaemonConfig& config) {
    std::optional<std::string> identity = read_identity(config);
    if (!identity) {
        unsigned char random[16];
        if (RAND_bytes(random, sizeof random) != 1)
            throw std::runtime_error("no random bytes for the storage root's identity");
        identity = iiif::hex_encode(random, sizeof random);
        write_file_atomically(identity_path(config), *identity + "\n");
    }
    redis.command({"SET", config.replication.stream + ":storage", *identity});
}

StorageCheck check_storage_identity(Redis& redis, const DaemonConfig& config) {
    const RedisReply published = redis.command({"GET", config.replication.stream + ":storage"});
    if (published.type != RedisReply::Type::string) return {};
    const std::optional<std::string> here = read_identity(config);
    if (!here)
        return {true, "[storage] root " + config.storage_root +
                          ": no replication-id: not the writer's storage root (is the shared "
                          "file system mounted?)"};
    if (*here != published.text)
        return {true, "[storage] root " + config.storage_root + ": replication-id " + *here +
                          " is not the writer's (" + published.text + "): another storage root"};
    return {true, std::nullopt};
}

std::optional<StreamChange> stream_last(Redis& redis, const std::string& stream) {
    return first_of(redis.command({"XREVRANGE", stream, "+", "-", "COUNT", "1"}));
}

std::optional<StreamChange> stream_entry_after(Redis& redis, const std::string& stream,
                                               std::int64_t seq) {
    return first_of(
        redis.command({"XRANGE", stream, std::to_string(seq + 1) + "-0", "+", "COUNT", "1"}));
}

std::optional<std::int64_t> append_changes(Redis& redis, const std::string& stream,
                                           const std::string& epoch, std::int64_t expected_last,
                                           const std::vector<iiif::CatalogChange>& changes) {
    std::vector<std::string> arguments = {"EVAL", kAppendScript, "1", stream,
                                          std::to_string(expected_last)};
    for (const iiif::CatalogChange& change : changes) {
        arguments.push_back(std::to_string(change.seq));
        arguments.push_back(epoch);
        arguments.push_back(std::to_string(change.committed_ms));
        arguments.push_back(change.operations);
    }
    const RedisReply reply = redis.command(arguments);
    if (reply.type != RedisReply::Type::array || reply.elements.size() != 2)
        throw RedisCommandError("the append script answered no pair");
    if (reply.elements[0].integer == 1) return std::nullopt;
    return reply.elements[1].integer;
}

std::vector<StreamChange> read_changes(Redis& redis, const std::string& stream, std::int64_t seq,
                                       int count, int block_ms) {
    const RedisReply reply =
        redis.command({"XREAD", "COUNT", std::to_string(count), "BLOCK", std::to_string(block_ms),
                       "STREAMS", stream, std::to_string(seq) + "-0"});
    std::vector<StreamChange> changes;
    if (reply.type != RedisReply::Type::array || reply.elements.empty()) return changes;
    const RedisReply& entries = reply.elements[0].elements.at(1);
    for (const RedisReply& entry : entries.elements)
        if (std::optional<StreamChange> change = change_of(entry)) changes.push_back(*change);
    return changes;
}

void trim_stream_below(Redis& redis, const std::string& stream, std::int64_t seq) {
    redis.command({"XTRIM", stream, "MINID", std::to_string(seq) + "-0"});
}

std::optional<SnapshotRecord> latest_snapshot(const std::string& snapshot_dir) {
    const std::string path = snapshot_dir + "/latest.json";
    if (!fs::exists(path)) return std::nullopt;
    json_error_t error;
    const iiif::Json json(json_load_file(path.c_str(), 0, &error));
    const char* epoch = nullptr;
    const char* file = nullptr;
    json_int_t seq = 0, made = 0;
    if (!json.get() || json_unpack_ex(json.get(), &error, 0, "{s:s,s:I,s:s,s:I}", "epoch", &epoch,
                                      "seq", &seq, "file", &file, "made", &made) != 0) {
        spdlog::error("replication: {}: {}", path, error.text);
        return std::nullopt;
    }
    return SnapshotRecord{epoch, seq, snapshot_dir + "/" + file, made};
}

SnapshotTaken take_snapshot(iiif::CatalogWriter& catalog, const std::string& snapshot_dir) {
    make_directories(snapshot_dir);
    const std::string epoch = catalog.replication_position().epoch;
    const std::string pending = snapshot_dir + "/catalog-" + epoch + "-pending.mdb";
    const iiif::ReplicationPosition position = catalog.write_snapshot(pending);
    const std::string name = snapshot_name(position.epoch, position.seq);
    fs::rename(pending, snapshot_dir + "/" + name);
    fsync_directory(snapshot_dir);

    SnapshotTaken taken{{position.epoch, position.seq, snapshot_dir + "/" + name,
                         iiif::now_seconds()},
                        position.seq + 1};
    const iiif::Json json(json_pack("{s:s,s:I,s:s,s:I}", "epoch", position.epoch.c_str(), "seq",
                                    static_cast<json_int_t>(position.seq), "file", name.c_str(),
                                    "made", static_cast<json_int_t>(taken.snapshot.made)));
    write_file_atomically(snapshot_dir + "/latest.json", iiif::json_text(json.get()) + "\n");

    std::vector<fs::path> kept = snapshots_of_epoch(snapshot_dir, position.epoch);
    while (kept.size() > 2) {
        fs::remove(kept.front());
        kept.erase(kept.begin());
    }
    if (kept.size() == 2) {
        const std::string older = kept.front().filename().string();
        const size_t digits = older.rfind('-') + 1;
        taken.keep_from = std::stoll(older.substr(digits, older.size() - digits - 4)) + 1;
    }
    return taken;
}

}  // namespace iiifd
