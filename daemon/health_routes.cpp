// GET /health (http_routes.hpp): whether this iiifd can do its work now, for a load balancer, a
// supervisor or a sysadmin: Redis answers, the catalog's file is there and writable, the storage
// root has room for one more deposit of the largest file allowed. 200 when all three hold, 503
// otherwise; each check in the body either way.
#include <sys/statvfs.h>
#include <unistd.h>

#include <string>

#include "http_routes.hpp"
#include "json.hpp"

namespace iiifd {
namespace {

json_t* redis_check(RedisPool& pool) {
    try {
        auto redis = pool.lease();
        redis->command({"PING"});
        return health_check(true, "");
    } catch (const std::exception& failure) {
        return health_check(false, failure.what());
    }
}

json_t* catalog_check(const DaemonConfig& config) {
    if (::access(config.catalog_path.c_str(), W_OK) != 0)
        return health_check(false, config.catalog_path + ": not writable by iiifd");
    return health_check(true, "");
}

json_t* storage_check(const DaemonConfig& config) {
    struct statvfs room {};
    if (::statvfs(config.storage_root.c_str(), &room) != 0)
        return health_check(false, config.storage_root + ": cannot be looked at");
    const auto free_bytes = static_cast<std::int64_t>(room.f_bavail) *
                            static_cast<std::int64_t>(room.f_frsize);
    json_t* json = health_check(free_bytes >= config.max_file_bytes,
                                "less room than one deposit of [ingest] max_file_bytes");
    json_object_set_new(json, "free_bytes", json_integer(free_bytes));
    json_object_set_new(json, "needed_bytes", json_integer(config.max_file_bytes));
    return json;
}

}  // namespace

json_t* health_check(bool ok, const std::string& error) {
    json_t* json = json_object();
    json_object_set_new(json, "ok", json_boolean(ok));
    if (!ok) json_object_set_new(json, "error", iiif::json_string_of(error));
    return json;
}

bool all_checks_hold(json_t* checks) {
    bool ok = true;
    const char* name = nullptr;
    json_t* item = nullptr;
    json_object_foreach(checks, name, item) ok = ok && json_is_true(json_object_get(item, "ok"));
    return ok;
}

void HealthRoutes::health(const HttpRequest&, HttpResponse& res) {
    json_t* checks = json_object();
    json_object_set_new(checks, "redis", redis_check(redis_));
    json_object_set_new(checks, "catalog", catalog_check(config_));
    json_object_set_new(checks, "storage", storage_check(config_));
    const bool ok = all_checks_hold(checks);
    send_owned(res, ok ? 200 : 503,
               json_pack("{s:s,s:o}", "status", ok ? "ok" : "failing", "checks", checks));
}

}  // namespace iiifd
