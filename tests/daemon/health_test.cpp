// GET /health against the real iiifd and redis-server: 200 with every check while all is well,
// 503 naming Redis while it is down, 200 again once it is back; no key needed.
#include <jansson.h>

#include <catch2/catch.hpp>
#include <string>

#include "api_harness.hpp"
#include "json.hpp"

using namespace daemon_harness;

namespace {

// checks.{name}.{field} of a /health answer.
json_t* field(const iiif::Json& body, const char* name, const char* key) {
    return json_object_get(json_object_get(json_object_get(body.get(), "checks"), name), key);
}

iiif::Json parsed(const std::string& text) {
    iiif::Json json(json_loads(text.c_str(), 0, nullptr));
    REQUIRE(json);
    return json;
}

}  // namespace

TEST_CASE("health: Redis, the catalog and the storage root's room, each said", "[health]") {
    RedisServer redis;
    DaemonOptions options;
    options.hot_folder = false;
    Daemon iiifd(redis, options);
    iiifd.start();

    const HttpResponse well = http("GET", iiifd.url("/health"), {});
    CHECK(well.status == 200);
    CHECK(json_text(well.body, "status") == "ok");
    const iiif::Json good = parsed(well.body);
    for (const char* name : {"redis", "catalog", "storage"}) {
        INFO(name);
        CHECK(json_is_true(field(good, name, "ok")));
        CHECK(field(good, name, "error") == nullptr);
    }
    CHECK(json_integer_value(field(good, "storage", "needed_bytes")) == 2LL << 30);
    CHECK(json_integer_value(field(good, "storage", "free_bytes")) >= 2LL << 30);

    redis.stop();
    const HttpResponse down = http("GET", iiifd.url("/health"), {});
    CHECK(down.status == 503);
    CHECK(json_text(down.body, "status") == "failing");
    const iiif::Json bad = parsed(down.body);
    CHECK(json_is_false(field(bad, "redis", "ok")));
    CHECK(json_is_string(field(bad, "redis", "error")));
    CHECK(json_is_true(field(bad, "catalog", "ok")));
    CHECK(json_is_true(field(bad, "storage", "ok")));

    redis.start();
    CHECK(http("GET", iiifd.url("/health"), {}).status == 200);
}
