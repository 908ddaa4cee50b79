// The access policies and sets managed through the API (access_registry.hpp), against the real
// iiifd and redis-server: iiifd.toml's moved once into the registry, each route for each role,
// what a change does to the objects (their policy) and to what the module reads (the catalog's
// access settings), the refusals (400 with iiifd.toml's rules, 404, 409), the audit log, and
// the definitions kept across a restart. The administrators' keys are what the module lets
// through every policy: a key made or revoked changes them at once.
#include <catch2/catch.hpp>
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "access.hpp"
#include "api_harness.hpp"
#include "catalog.hpp"
#include "json.hpp"
#include "signing.hpp"
#include "test_images.hpp"

using namespace daemon_harness;

namespace {

const char* kConfig = R"(
[watermarks.example]
institution = "Example Library"
text = "Example Library"

[policies.readers]
kind = "token"
groups = ["readers"]

[sets."collection:maps"]
name = "Maps and plans"
description = "Printed and manuscript maps."
)";

struct Platform {
    RedisServer redis;
    Daemon iiifd;
    std::map<std::string, std::vector<std::string>> as;  // role -> its Authorization header

    Platform() : iiifd(redis, options()) {
        iiifd.start();
        as["admin"] = iiifd.auth();
        as["anonymous"] = {};
        as["editor"] = iiifd.account_with_key(R"({"name": "edith", "role": "editor"})");
        as["reader"] = iiifd.account_with_key(
            R"({"name": "rita", "role": "reader", "groups": ["readers"]})");
    }

    static DaemonOptions options() {
        DaemonOptions options;
        options.hot_folder = false;
        options.extra_config = kConfig;
        return options;
    }

    HttpResponse as_admin(const std::string& method, const std::string& path,
                          const std::string& body = "") const {
        return http(method, iiifd.url(path), as.at("admin"), body);
    }

    // The policy the catalog gives the object now.
    std::string policy_of(const std::string& ark) const {
        return json_text(iiifd.get("/api/v1/objects/" + ark).body, "policy");
    }

    // What the module decides with: the catalog's access settings, read afresh.
    std::shared_ptr<const iiif::AccessSettings> module_view() const {
        std::string error;
        std::unique_ptr<iiif::CatalogReader> catalog =
            iiif::CatalogReader::open(iiifd.catalog_path(), &error);
        REQUIRE(catalog);
        return catalog->access_settings();
    }

    std::string deposit(const std::string& metadata) const {
        HttpResponse answer = iiifd.post_object(
            {test_images::save(test_images::quadrants(64, 48), "p.jpg")}, metadata);
        REQUIRE(answer.status == 202);
        REQUIRE(json_text(iiifd.wait_for_job(json_text(answer.body, "job")), "state") == "done");
        return json_text(answer.body, "ark");
    }
};

// Names of a list's members, in order: {"policies": [{"name": ...}]} -> "public,readers".
std::string names(const std::string& body, const char* list, const char* member) {
    json_error_t error;
    iiif::Json json(json_loads(body.c_str(), 0, &error));
    std::string joined;
    size_t i;
    json_t* item;
    json_array_foreach(json_object_get(json.get(), list), i, item) {
        if (!joined.empty()) joined += ",";
        joined += json_string_value(json_object_get(item, member));
    }
    return joined;
}

const std::string kCampus =
    R"({"kind": "network", "networks": ["192.0.2.0/24"], "degraded_size": 800,
        "watermark": "institution", "label": "In the reading rooms"})";

}  // namespace

TEST_CASE("access registry: each route for each role", "[access_registry][roles]") {
    Platform platform;
    const std::vector<std::tuple<std::string, std::string, std::string>> changes = {
        {"PUT", "/api/v1/policies/campus", kCampus},
        {"DELETE", "/api/v1/policies/readers", ""},
        {"PUT", "/api/v1/default-policy", R"({"policy": "readers"})"},
        {"PUT", "/api/v1/sets/theme:war", R"({"name": "War"})"},
        {"DELETE", "/api/v1/sets/collection:maps", ""}};
    for (const char* path : {"/api/v1/policies", "/api/v1/sets"}) {
        INFO(path);
        CHECK(http("GET", platform.iiifd.url(path), {}).status == 401);
        HttpResponse reader = http("GET", platform.iiifd.url(path), platform.as["reader"]);
        CHECK(reader.status == 403);
        CHECK(http("GET", platform.iiifd.url(path), platform.as["editor"]).status == 200);
        CHECK(http("GET", platform.iiifd.url(path), platform.as["admin"]).status == 200);
    }
    CHECK(json_text(http("GET", platform.iiifd.url("/api/v1/sets"), platform.as["reader"]).body,
                    "error") == "list sets: editors and administrators only");
    for (const auto& [method, path, body] : changes) {
        INFO(method << " " << path);
        CHECK(http(method, platform.iiifd.url(path), {}, body).status == 401);
        for (const char* role : {"reader", "editor"}) {
            INFO(role);
            HttpResponse refused = http(method, platform.iiifd.url(path), platform.as[role], body);
            CHECK(refused.status == 403);
            CHECK(json_text(refused.body, "error").ends_with(": administrators only"));
        }
    }
    // Nothing changed.
    CHECK(names(platform.as_admin("GET", "/api/v1/policies").body, "policies", "name") ==
          "public,readers");
    CHECK(names(platform.as_admin("GET", "/api/v1/sets").body, "sets", "spec") ==
          "collection:maps");
    // And the administrator may.
    CHECK(platform.as_admin("PUT", "/api/v1/policies/campus", kCampus).status == 201);
    CHECK(platform.as_admin("PUT", "/api/v1/sets/theme:war", R"({"name": "War"})").status == 201);
}

TEST_CASE("access registry: policies and sets change the objects and what the module reads",
          "[access_registry]") {
    Platform platform;

    // iiifd.toml's, moved into the registry on the first start.
    HttpResponse listed = platform.as_admin("GET", "/api/v1/policies");
    CHECK(json_text(listed.body, "default") == "public");
    CHECK(names(listed.body, "policies", "name") == "public,readers");
    CHECK(names(listed.body, "policies", "kind") == "public,token");
    CHECK(listed.body.find(R"("watermarks":["institution","example"])") != std::string::npos);
    CHECK(names(platform.as_admin("GET", "/api/v1/sets").body, "sets", "name") ==
          "Maps and plans");

    // Refused with iiifd.toml's rules and messages; nothing kept.
    const std::vector<std::pair<std::string, std::string>> refused = {
        {R"({"kind": "network"})", "[policies.campus] networks: required for a network policy"},
        {R"({"kind": "network", "networks": ["10.1.2.3/8"]})",
         "[policies.campus] networks[0]: not a network: \"10.1.2.3/8\" (an address, or "
         "address/prefix length with no bits set beyond the prefix)"},
        {R"({"kind": "token", "colour": "red"})", "[policies.campus] colour: unknown key"},
        {R"({"kind": "restricted", "watermark": "nowhere"})",
         "[policies.campus] watermark: \"nowhere\" is not among [watermarks] (nor "
         "\"institution\")"},
        {R"({"kind": "network", "groups": ["staff"], "networks": ["192.0.2.0/24"]})",
         "[policies.campus] groups: only token policies let groups in"},
        {R"([1, 2])", "policy: not a JSON object"},
    };
    for (const auto& [body, reason] : refused) {
        INFO(body);
        HttpResponse answer = platform.as_admin("PUT", "/api/v1/policies/campus", body);
        CHECK(answer.status == 400);
        CHECK(json_text(answer.body, "error") == reason);
    }
    HttpResponse bad_name = platform.as_admin("PUT", "/api/v1/policies/cam%24pus", kCampus);
    CHECK(bad_name.status == 400);
    CHECK(names(platform.as_admin("GET", "/api/v1/policies").body, "policies", "name") ==
          "public,readers");

    // A network policy, then a set that gives it to the objects in it.
    HttpResponse made = platform.as_admin("PUT", "/api/v1/policies/campus", kCampus);
    CHECK(made.status == 201);
    CHECK(json_text(made.body, "kind") == "network");
    CHECK(json_text(made.body, "watermark") == "institution");
    CHECK(platform.as_admin("PUT", "/api/v1/policies/campus", kCampus).status == 200);
    const std::string map = platform.deposit(R"({"title": "A map", "sets": ["collection:maps"]})");
    const std::string other = platform.deposit(R"({"title": "Elsewhere"})");
    CHECK(platform.policy_of(map) == "public");
    HttpResponse set = platform.as_admin(
        "PUT", "/api/v1/sets/collection:maps",
        R"({"name": "Maps", "description": "Maps and plans", "policy": "campus"})");
    CHECK(set.status == 200);
    CHECK(json_text(set.body, "policy") == "campus");
    CHECK(platform.policy_of(map) == "campus");
    CHECK(platform.policy_of(other) == "public");
    {
        const auto view = platform.module_view();
        const iiif::AccessPolicy* campus = view->policy("campus");
        REQUIRE(campus != nullptr);
        CHECK(campus->kind == iiif::PolicyKind::network);
        CHECK(campus->degraded_size == 800);
        REQUIRE(campus->networks.size() == 1);
        CHECK(campus->networks[0].text == "192.0.2.0/24");
        CHECK(campus->label == "In the reading rooms");
    }
    // ListSets names the set as changed.
    HttpResponse sets = http("GET", platform.iiifd.url("/oai?verb=ListSets"), {});
    CHECK(sets.body.find("<setSpec>collection:maps</setSpec><setName>Maps</setName>") !=
          std::string::npos);
    HttpResponse unknown_policy =
        platform.as_admin("PUT", "/api/v1/sets/theme:war", R"({"name": "War", "policy": "x"})");
    CHECK(unknown_policy.status == 400);
    CHECK(json_text(unknown_policy.body, "error") ==
          "[sets.theme:war] policy: \"x\" is not among [policies] (nor \"public\")");
    HttpResponse nameless = platform.as_admin("PUT", "/api/v1/sets/theme:war", R"({})");
    CHECK(nameless.status == 400);
    CHECK(json_text(nameless.body, "error") == "[sets.theme:war] name: required");

    // A policy in use stays: the set's, the default, an object's own.
    HttpResponse in_set = platform.as_admin("DELETE", "/api/v1/policies/campus");
    CHECK(in_set.status == 409);
    CHECK(json_text(in_set.body, "error") ==
          "the set \"collection:maps\" gives its objects this policy");
    HttpResponse chosen =
        platform.as_admin("PUT", "/api/v1/default-policy", R"({"policy": "campus"})");
    CHECK(chosen.status == 200);
    CHECK(json_text(chosen.body, "default") == "campus");
    CHECK(platform.policy_of(other) == "campus");
    CHECK(platform.as_admin("DELETE", "/api/v1/sets/collection:maps").status == 204);
    CHECK(platform.as_admin("DELETE", "/api/v1/sets/collection:maps").status == 404);
    HttpResponse is_default = platform.as_admin("DELETE", "/api/v1/policies/campus");
    CHECK(is_default.status == 409);
    CHECK(json_text(is_default.body, "error") == "\"campus\" is the default policy");
    HttpResponse no_such =
        platform.as_admin("PUT", "/api/v1/default-policy", R"({"policy": "nowhere"})");
    CHECK(no_such.status == 400);
    CHECK(json_text(no_such.body, "error") == "policy: no such policy: \"nowhere\"");
    CHECK(platform.as_admin("PUT", "/api/v1/default-policy", R"({"policy": "public"})").status ==
          200);
    CHECK(platform.policy_of(other) == "public");
    const std::string own = platform.deposit(R"({"title": "Its own", "access": "campus"})");
    CHECK(platform.policy_of(own) == "campus");
    HttpResponse named = platform.as_admin("DELETE", "/api/v1/policies/campus");
    CHECK(named.status == 409);
    CHECK(json_text(named.body, "error") ==
          "objects name the policy \"campus\" in their metadata");
    HttpResponse builtin = platform.as_admin("DELETE", "/api/v1/policies/public");
    CHECK(builtin.status == 409);
    CHECK(json_text(builtin.body, "error") == "the policy \"public\" is built in");
    CHECK(platform.as_admin("DELETE", "/api/v1/policies/nowhere").status == 404);
    // A deposit may name a policy made through the API, and no other.
    HttpResponse unknown = platform.iiifd.post_object(
        {test_images::save(test_images::quadrants(64, 48), "q.jpg")}, R"({"access": "nowhere"})");
    CHECK(unknown.status == 400);
    CHECK(json_text(unknown.body, "error") == "metadata: access: no such policy: \"nowhere\"");
    CHECK(platform.as_admin("DELETE", "/api/v1/policies/readers").status == 204);

    // The audit log says who did what.
    const std::string audit = platform.as_admin("GET", "/api/v1/audit?limit=100").body;
    for (const char* action :
         {"\"policy.create\"", "\"policy.change\"", "\"policy.default\"", "\"policy.remove\"",
          "\"set.change\"", "\"set.remove\""})
        CHECK(audit.find(action) != std::string::npos);

    // Kept across a restart: iiifd.toml's set and policy are not brought back.
    REQUIRE(platform.iiifd.stop() == 0);
    platform.iiifd.start();
    HttpResponse after = platform.as_admin("GET", "/api/v1/policies");
    CHECK(names(after.body, "policies", "name") == "public,campus");
    CHECK(json_text(after.body, "default") == "public");
    CHECK(platform.as_admin("GET", "/api/v1/sets").body == R"({"sets":[]})");
    CHECK(platform.policy_of(own) == "campus");
}

TEST_CASE("access registry: the module lets through the keys of enabled administrators, and "
          "editors' keys for their institution",
          "[access_registry]") {
    Platform platform;
    auto digests = [&] { return platform.module_view()->api_key_digests; };
    auto has = [](const std::vector<std::string>& list, const std::string& digest) {
        return std::find(list.begin(), list.end(), digest) != list.end();
    };
    // iiifd.toml's key became the administrator's; editors' and readers' keys are not there.
    CHECK(digests().size() == 1);
    CHECK(has(digests(), iiif::sha256_hex(Daemon::key())));
    const std::string editor_key = platform.as["editor"][0].substr(22);
    CHECK_FALSE(has(digests(), iiif::sha256_hex(editor_key)));

    // A new administrator's key counts at once; revoked, disabled or demoted, it does not.
    HttpResponse made = platform.as_admin("POST", "/api/v1/accounts",
                                          R"({"name": "ada", "role": "administrator"})");
    REQUIRE(made.status == 201);
    HttpResponse key = platform.as_admin("POST", "/api/v1/accounts/ada/keys", R"({"label": "x"})");
    REQUIRE(key.status == 201);
    const std::string digest = iiif::sha256_hex(json_text(key.body, "key"));
    CHECK(has(digests(), digest));
    CHECK(platform.as_admin("PATCH", "/api/v1/accounts/ada", R"({"disabled": true})").status ==
          200);
    CHECK_FALSE(has(digests(), digest));
    CHECK(platform.as_admin("PATCH", "/api/v1/accounts/ada", R"({"disabled": false})").status ==
          200);
    CHECK(has(digests(), digest));
    CHECK(platform.as_admin("PATCH", "/api/v1/accounts/ada", R"({"role": "editor"})").status ==
          200);
    CHECK_FALSE(has(digests(), digest));
    CHECK(platform.as_admin("PATCH", "/api/v1/accounts/ada", R"({"role": "administrator"})")
              .status == 200);
    CHECK(has(digests(), digest));
    CHECK(platform
              .as_admin("DELETE", "/api/v1/accounts/ada/keys/" + json_text(key.body, "id"))
              .status == 200);
    CHECK_FALSE(has(digests(), digest));
    CHECK(digests().size() == 1);

    // Editors' keys open their institution's images only: listed with it.
    using Pairs = std::vector<std::pair<std::string, std::string>>;
    CHECK(platform.module_view()->editor_key_digests ==
          Pairs{{iiif::sha256_hex(editor_key), "main"}});
    CHECK(platform.as_admin("PATCH", "/api/v1/accounts/edith", R"({"disabled": true})").status ==
          200);
    CHECK(platform.module_view()->editor_key_digests.empty());
}
