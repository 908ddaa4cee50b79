// Every /api/ route for every role (directory.hpp), against the real iiifd and redis-server: who
// gets 401 or 403, who gets through, and what an editor may do to the objects of their own
// institution and not to another's. Then the directory's own routes: institutions, accounts and
// keys made, shown once, revoked; the audit log.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api_harness.hpp"
#include "ark_resolver.hpp"
#include "catalog.hpp"
#include "signing.hpp"
#include "test_images.hpp"

using namespace daemon_harness;

namespace {

// iiifd with two institutions (the home one, "main", and "north"), and one account per role:
// an administrator (the configuration's key), editors of each institution, a reader; each with
// a key made through the API.
struct Platform {
    RedisServer redis;
    Daemon iiifd;
    std::map<std::string, std::vector<std::string>> as;  // role -> its Authorization header

    Platform() : iiifd(redis, options()) {
        iiifd.start();
        as["admin"] = iiifd.auth();
        as["anonymous"] = {};
        REQUIRE(http("PUT", iiifd.url("/api/v1/institutions/north"), iiifd.auth(),
                     R"({"name": "North Library", "homepage": "https://north.example.org/"})")
                    .status == 201);
        for (const auto& [name, body] :
             std::vector<std::pair<std::string, std::string>>{
                 {"editor", R"({"name": "edith", "role": "editor"})"},
                 {"other_editor", R"({"name": "otto", "role": "editor", "institution": "north"})"},
                 {"reader", R"({"name": "rita", "role": "reader", "groups": ["campus"]})"}}) {
            as[name] = iiifd.account_with_key(body);
        }
    }

    static DaemonOptions options() {
        DaemonOptions options;
        options.hot_folder = false;
        return options;
    }

    // A deposit as `role`, done; its ARK.
    std::string deposit(const std::string& role, const std::string& query = "") {
        HttpResponse answer =
            post_multipart(iiifd.url("/api/v1/objects" + query), as.at(role),
                           {file_part(test_images::save(test_images::quadrants(64, 48), "r.jpg"))});
        REQUIRE(answer.status == 202);
        REQUIRE(json_text(iiifd.wait_for_job(json_text(answer.body, "job")), "state") == "done");
        return json_text(answer.body, "ark");
    }

    long status(const std::string& role, const std::string& method, const std::string& path,
               const std::string& body = "") {
        return http(method, iiifd.url(path), as.at(role), body).status;
    }
    std::string error(const std::string& role, const std::string& method, const std::string& path,
                      const std::string& body = "") {
        return json_text(http(method, iiifd.url(path), as.at(role), body).body, "error");
    }
};

const std::string kTakedown = R"({"reason": "test", "requested_by": "test"})";

}  // namespace

TEST_CASE("roles: deposits, an object's changes and takedowns for each role", "[roles]") {
    Platform platform;
    const std::string own = platform.deposit("editor");
    const std::string theirs = platform.deposit("other_editor");
    const std::string object = "/api/v1/objects/" + own;

    // The object belongs to its depositor's institution.
    CHECK(json_text(platform.iiifd.get(object).body, "institution") == "main");
    CHECK(json_text(platform.iiifd.get("/api/v1/objects/" + theirs).body, "institution") ==
          "north");

    // Deposits: no one unknown, no reader; an editor for their own institution only.
    const std::vector<Part> parts = {
        file_part(test_images::save(test_images::quadrants(64, 48), "r2.jpg"))};
    CHECK(post_multipart(platform.iiifd.url("/api/v1/objects"), {}, parts).status == 401);
    HttpResponse by_reader =
        post_multipart(platform.iiifd.url("/api/v1/objects"), platform.as["reader"], parts);
    CHECK(by_reader.status == 403);
    CHECK(json_text(by_reader.body, "error") == "deposit: editors and administrators only");
    HttpResponse elsewhere = post_multipart(platform.iiifd.url("/api/v1/objects?institution=north"),
                                            platform.as["editor"], parts);
    CHECK(elsewhere.status == 403);
    CHECK(json_text(elsewhere.body, "error") ==
          "deposit for another institution: administrators only");
    HttpResponse nowhere = post_multipart(platform.iiifd.url("/api/v1/objects?institution=south"),
                                          platform.as["admin"], parts);
    CHECK(nowhere.status == 400);
    CHECK(json_text(nowhere.body, "error") == "institution: no such institution: south");
    // A deposit's job is followed by its institution's editors and the administrators.
    HttpResponse accepted =
        post_multipart(platform.iiifd.url("/api/v1/objects"), platform.as["editor"], parts);
    REQUIRE(accepted.status == 202);
    const std::string job = "/api/v1/jobs/" + json_text(accepted.body, "job");
    CHECK(platform.status("editor", "GET", job) == 200);
    CHECK(platform.status("admin", "GET", job) == 200);
    CHECK(platform.status("reader", "GET", job) == 403);
    CHECK(platform.status("anonymous", "GET", job) == 401);
    CHECK(platform.status("other_editor", "GET", job) == 403);
    CHECK(platform.error("other_editor", "GET", job) ==
          "follow a deposit: this job belongs to another institution");
    platform.iiifd.wait_for_job(json_text(accepted.body, "job"));
    const std::string for_north = platform.deposit("admin", "?institution=north");
    CHECK(json_text(platform.iiifd.get("/api/v1/objects/" + for_north).body, "institution") ==
          "north");

    // Reading objects through the API: editors and administrators.
    for (const char* path : {"/api/v1/objects", "/api/v1/session"})
        CHECK(platform.status("anonymous", "GET", path) == 401);
    CHECK(platform.status("reader", "GET", "/api/v1/objects") == 403);
    CHECK(platform.status("reader", "GET", object) == 403);
    CHECK(platform.status("reader", "GET", "/api/v1/session") == 200);
    for (const char* role : {"editor", "other_editor", "admin"}) {
        INFO(role);
        CHECK(platform.status(role, "GET", "/api/v1/objects") == 200);
        CHECK(platform.status(role, "GET", object) == 200);
    }

    // Changes: the owner institution's editors and administrators.
    const std::string patch = R"({"title": "Changed"})";
    CHECK(platform.status("anonymous", "PATCH", object, patch) == 401);
    CHECK(platform.status("reader", "PATCH", object, patch) == 403);
    CHECK(platform.error("other_editor", "PATCH", object, patch) ==
          "change an object: this object belongs to another institution");
    CHECK(platform.status("editor", "PATCH", object, patch) == 200);
    CHECK(platform.status("admin", "PATCH", "/api/v1/objects/" + theirs, patch) == 200);
    CHECK(platform.status("editor", "PATCH", "/api/v1/objects/" + theirs, patch) == 403);

    for (const char* action : {"withdraw", "reinstate"}) {
        INFO(action);
        const std::string path = object + "/" + action;
        CHECK(platform.status("anonymous", "POST", path, kTakedown) == 401);
        CHECK(platform.status("reader", "POST", path, kTakedown) == 403);
        CHECK(platform.status("other_editor", "POST", path, kTakedown) == 403);
        CHECK(platform.status("editor", "POST", path, kTakedown) == 200);
    }
    // Purge: administrators only, even for the owner's editors.
    CHECK(platform.status("editor", "POST", object + "/withdraw", kTakedown) == 200);
    CHECK(platform.error("editor", "POST", object + "/purge", kTakedown) ==
          "purge an object: administrators only");
    CHECK(platform.status("other_editor", "POST", object + "/purge", kTakedown) == 403);
    CHECK(platform.status("reader", "POST", object + "/purge", kTakedown) == 403);
    CHECK(platform.status("admin", "POST", object + "/purge", kTakedown) == 200);
    // An unknown object is 404 for an editor, not a 403 that would say it exists elsewhere.
    CHECK(platform.status("editor", "PATCH", "/api/v1/objects/ark:/99999/b2nope", patch) == 404);
}

TEST_CASE("roles: partners, institutions, accounts, keys and the audit log for each role",
          "[roles]") {
    Platform platform;
    const std::string partner =
        R"({"name": "P", "institution": "P Library", "base_url": "http://127.0.0.1:9/oai"})";
    // Partners: read by editors and administrators, changed by administrators.
    CHECK(platform.status("anonymous", "GET", "/api/v1/partners") == 401);
    CHECK(platform.status("reader", "GET", "/api/v1/partners") == 403);
    CHECK(platform.status("editor", "GET", "/api/v1/partners") == 200);
    CHECK(platform.error("editor", "PUT", "/api/v1/partners/p", partner) ==
          "change partners: administrators only");
    CHECK(platform.status("admin", "PUT", "/api/v1/partners/p", partner) == 201);
    CHECK(platform.status("editor", "GET", "/api/v1/partners/p") == 200);
    CHECK(platform.status("reader", "GET", "/api/v1/partners/p/harvests") == 403);
    CHECK(platform.status("editor", "POST", "/api/v1/partners/p/harvests", "") == 403);
    CHECK(platform.status("editor", "DELETE", "/api/v1/partners/p") == 403);
    CHECK(platform.status("admin", "DELETE", "/api/v1/partners/p") == 204);

    // Institutions.
    CHECK(platform.status("reader", "GET", "/api/v1/institutions") == 403);
    HttpResponse listed = http("GET", platform.iiifd.url("/api/v1/institutions"),
                               platform.as["editor"]);
    REQUIRE(listed.status == 200);
    CHECK(json_array(listed.body, "institutions").size() == 2);
    CHECK(json_text(listed.body, "home") == "main");
    const std::string south = R"({"name": "South Archive"})";
    CHECK(platform.status("editor", "PUT", "/api/v1/institutions/south", south) == 403);
    CHECK(platform.status("reader", "PUT", "/api/v1/institutions/south", south) == 403);
    CHECK(platform.status("admin", "PUT", "/api/v1/institutions/south", south) == 201);
    CHECK(platform.status("admin", "PUT", "/api/v1/institutions/south", south) == 200);
    CHECK(platform.error("admin", "PUT", "/api/v1/institutions/South", south) ==
          "id: not an institution id (a-z, 0-9 and '-', at most 32, a letter or digit first)");
    CHECK(platform.error("admin", "PUT", "/api/v1/institutions/west", R"({"name": " "})") ==
          "name: required");
    CHECK(platform.status("editor", "DELETE", "/api/v1/institutions/south") == 403);
    CHECK(platform.status("admin", "DELETE", "/api/v1/institutions/south") == 204);
    CHECK(platform.status("admin", "DELETE", "/api/v1/institutions/south") == 404);
    CHECK(platform.error("admin", "DELETE", "/api/v1/institutions/north") ==
          "accounts belong to this institution");
    CHECK(platform.error("admin", "DELETE", "/api/v1/institutions/main") ==
          "the home institution cannot be removed");

    // Accounts: administrators, and each account its own.
    CHECK(platform.status("editor", "GET", "/api/v1/accounts") == 403);
    CHECK(platform.status("reader", "GET", "/api/v1/accounts") == 403);
    CHECK(platform.status("admin", "GET", "/api/v1/accounts") == 200);
    CHECK(platform.status("editor", "POST", "/api/v1/accounts", R"({"name": "eve"})") == 403);
    CHECK(platform.status("editor", "GET", "/api/v1/accounts/edith") == 200);
    CHECK(platform.status("editor", "GET", "/api/v1/accounts/otto") == 403);
    CHECK(platform.status("reader", "GET", "/api/v1/accounts/rita") == 200);
    CHECK(platform.error("editor", "PATCH", "/api/v1/accounts/edith", R"({"role": "administrator"})") ==
          "change an account's role, institution, groups or state: administrators only");
    CHECK(platform.status("editor", "PATCH", "/api/v1/accounts/edith",
                          R"({"display_name": "Edith P."})") == 200);
    CHECK(platform.status("editor", "PATCH", "/api/v1/accounts/otto",
                          R"({"display_name": "O"})") == 403);
    // Setting one's own password takes the current one.
    CHECK(platform.error("reader", "PATCH", "/api/v1/accounts/rita",
                         R"({"password": "a new long passphrase"})") ==
          "current_password: not this account's password");
    CHECK(platform.status("admin", "PATCH", "/api/v1/accounts/rita",
                          R"({"password": "the first passphrase"})") == 200);
    CHECK(platform.status("reader", "PATCH", "/api/v1/accounts/rita",
                          R"({"password": "a new long passphrase", "current_password": "the first passphrase"})") ==
          200);
    CHECK(platform.error("admin", "PATCH", "/api/v1/accounts/rita", R"({"password": "short"})") ==
          "password: shorter than 12 characters");

    // Keys: administrators, and each account its own.
    CHECK(platform.status("editor", "POST", "/api/v1/accounts/otto/keys", "") == 403);
    CHECK(platform.status("reader", "GET", "/api/v1/accounts/edith/keys") == 403);
    HttpResponse own_key =
        http("POST", platform.iiifd.url("/api/v1/accounts/edith/keys"), platform.as["editor"],
             R"({"label": "laptop"})");
    REQUIRE(own_key.status == 201);
    const std::string key_text = json_text(own_key.body, "key");
    const std::string key_id = json_text(own_key.body, "id");
    CHECK(key_id == iiif::sha256_hex(key_text).substr(0, 12));
    // Shown once: the list names it, never its text.
    HttpResponse keys =
        http("GET", platform.iiifd.url("/api/v1/accounts/edith/keys"), platform.as["editor"]);
    REQUIRE(keys.status == 200);
    CHECK(json_array(keys.body, "keys").size() == 2);
    CHECK(keys.body.find(key_text) == std::string::npos);
    CHECK(platform.status("other_editor", "DELETE", "/api/v1/accounts/edith/keys/" + key_id) ==
          403);
    const std::vector<std::string> with_new_key = {"Authorization: Bearer " + key_text};
    CHECK(http("GET", platform.iiifd.url("/api/v1/session"), with_new_key).status == 200);
    CHECK(platform.status("editor", "DELETE", "/api/v1/accounts/edith/keys/" + key_id) == 200);
    CHECK(http("GET", platform.iiifd.url("/api/v1/session"), with_new_key).status == 401);
    CHECK(platform.status("editor", "DELETE", "/api/v1/accounts/edith/keys/0123456789ab") == 404);

    // A disabled account's keys stop working; the last administrator stays.
    CHECK(platform.status("admin", "PATCH", "/api/v1/accounts/otto", R"({"disabled": true})") ==
          200);
    CHECK(platform.status("other_editor", "GET", "/api/v1/session") == 401);
    CHECK(platform.error("admin", "PATCH", "/api/v1/accounts/admin", R"({"role": "editor"})") ==
          "the last administrator cannot be disabled or demoted");

    // The audit log: administrators all of it, editors their institution's, readers none.
    CHECK(platform.status("reader", "GET", "/api/v1/audit") == 403);
    HttpResponse all = http("GET", platform.iiifd.url("/api/v1/audit?limit=1000"),
                            platform.as["admin"]);
    REQUIRE(all.status == 200);
    const std::vector<std::string> entries = json_array(all.body, "entries");
    REQUIRE(!entries.empty());
    // Most recent first: the disabling of otto, by the administrator's key.
    CHECK(json_text(entries[0], "action") == "account.change");
    CHECK(json_text(entries[0], "target") == "otto");
    CHECK(json_text(entries[0], "actor") == "admin");
    CHECK(json_text(entries[0], "via") == "key " + iiif::sha256_hex(Daemon::key()).substr(0, 12));
    CHECK(json_text(entries[0], "institution") == "north");
    HttpResponse mine =
        http("GET", platform.iiifd.url("/api/v1/audit?limit=1000"), platform.as["editor"]);
    REQUIRE(mine.status == 200);
    const std::vector<std::string> own_entries = json_array(mine.body, "entries");
    CHECK(!own_entries.empty());
    CHECK(own_entries.size() < entries.size());
    for (const std::string& entry : own_entries) CHECK(json_text(entry, "institution") == "main");
    // Paged: the second page starts where the first ended.
    HttpResponse first = http("GET", platform.iiifd.url("/api/v1/audit?limit=2"),
                              platform.as["admin"]);
    const long long before = json_integer(first.body, "next_before");
    REQUIRE(before > 0);
    HttpResponse second = http("GET",
                               platform.iiifd.url("/api/v1/audit?limit=2&before=" +
                                                  std::to_string(before)),
                               platform.as["admin"]);
    REQUIRE(json_array(second.body, "entries").size() == 2);
    CHECK(json_array(second.body, "entries")[0] == entries[2]);
}

TEST_CASE("roles: iiifd account and iiifd institution manage the directory beside a running "
          "iiifd",
          "[roles]") {
    Platform platform;
    CommandResult made = platform.iiifd.run_iiifd(
        {"account", "create", "mona", "--role", "editor", "--institution", "north"});
    INFO(made.output);
    REQUIRE(made.exit_code == 0);
    CHECK(made.output == "mona\teditor\tnorth\tenabled\tno password\t\n");
    CommandResult key = platform.iiifd.run_iiifd({"account", "key", "mona", "--label", "cli"});
    REQUIRE(key.exit_code == 0);
    REQUIRE(key.output.size() == 38);  // "iiif_" + 32 characters + "\n"
    const std::vector<std::string> as_mona = {"Authorization: Bearer " +
                                              key.output.substr(0, 37)};
    // The running iiifd knows her at once, as an editor of north; so does the module.
    HttpResponse session = http("GET", platform.iiifd.url("/api/v1/session"), as_mona);
    REQUIRE(session.status == 200);
    CHECK(json_text(session.body, "role") == "editor");
    CHECK(json_text(session.body, "account_institution.id") == "north");
    const std::pair<std::string, std::string> mona_key{iiif::sha256_hex(key.output.substr(0, 37)),
                                                       "north"};
    auto module_has_key = [&] {
        std::string error;
        const auto catalog = iiif::CatalogReader::open(platform.iiifd.catalog_path(), &error);
        REQUIRE(catalog);
        const auto& keys = catalog->access_settings()->editor_key_digests;
        return std::find(keys.begin(), keys.end(), mona_key) != keys.end();
    };
    CHECK(module_has_key());

    CHECK(platform.iiifd.run_iiifd({"account", "disable", "mona"}).exit_code == 0);
    CHECK(http("GET", platform.iiifd.url("/api/v1/session"), as_mona).status == 401);
    CHECK_FALSE(module_has_key());
    CommandResult unknown = platform.iiifd.run_iiifd({"account", "enable", "nobody"});
    CHECK(unknown.exit_code == 1);
    CHECK(unknown.output == "iiifd: no such account\n");
    CommandResult last = platform.iiifd.run_iiifd({"account", "disable", "admin"});
    CHECK(last.exit_code == 1);
    CHECK(last.output == "iiifd: the last administrator cannot be disabled or demoted\n");

    CHECK(platform.iiifd.run_iiifd({"institution", "put", "east", "East Museum"}).output ==
          "made east\n");
    CHECK(platform.iiifd.run_iiifd({"institution", "list"}).output ==
          "east\tEast Museum\t\nmain\tTest Library\t\nnorth\tNorth Library\thttps://north.example.org/\n");
    // The audit log names who ran them, at the command line.
    HttpResponse audit = http("GET", platform.iiifd.url("/api/v1/audit?limit=1"), platform.as["admin"]);
    REQUIRE(json_array(audit.body, "entries").size() == 1);
    CHECK(json_text(json_array(audit.body, "entries")[0], "action") == "institution.create");
    CHECK(json_text(json_array(audit.body, "entries")[0], "via") == "command line");
}

TEST_CASE("roles: shoulders given by the platform, chosen per deposit, set and institution, and "
          "described by the resolver",
          "[roles]") {
    Platform platform;
    HttpResponse listed =
        http("GET", platform.iiifd.url("/api/v1/shoulders"), platform.as["editor"]);
    REQUIRE(listed.status == 200);
    REQUIRE(json_array(listed.body, "shoulders").size() == 1);
    CHECK(json_text(json_array(listed.body, "shoulders")[0], "code") == "fk4");
    CHECK(platform.status("reader", "GET", "/api/v1/shoulders") == 403);
    const std::string north_shoulder =
        R"({"name": "North manuscripts", "description": "Manuscripts of the North Library",
            "institution": "north", "sets": ["manuscripts"]})";
    CHECK(platform.error("other_editor", "POST", "/api/v1/shoulders", north_shoulder) ==
          "make shoulders: administrators only");
    HttpResponse made =
        http("POST", platform.iiifd.url("/api/v1/shoulders"), platform.as["admin"], north_shoulder);
    REQUIRE(made.status == 201);
    CHECK(json_text(made.body, "code") == "10b");
    CHECK(json_text(made.body, "institution") == "north");
    HttpResponse second = http("POST", platform.iiifd.url("/api/v1/shoulders"),
                               platform.as["admin"], R"({"name": "North prints", "institution": "north"})");
    REQUIRE(second.status == 201);
    CHECK(json_text(second.body, "code") == "10c");
    CHECK(platform.error("admin", "POST", "/api/v1/shoulders", R"({"name": "x", "institution": "south"})") ==
          "institution: no such institution: \"south\"");
    CHECK(platform.error("admin", "POST", "/api/v1/shoulders", R"({"subject": "no name"})") ==
          "name: required");
    CHECK(platform.status("editor", "PATCH", "/api/v1/shoulders/10c", R"({"name": "y"})") == 403);
    CHECK(platform.status("admin", "PATCH", "/api/v1/shoulders/zzz", R"({"name": "y"})") == 404);
    // The institution's own shoulder for what it deposits.
    CHECK(platform.status("admin", "PUT", "/api/v1/institutions/north",
                          R"({"name": "North Library", "shoulder": "10c"})") == 200);

    auto deposit = [&](const std::string& role, const std::string& query,
                       const std::string& metadata) {
        std::vector<Part> parts = {
            file_part(test_images::save(test_images::quadrants(64, 48), "s.jpg"))};
        if (!metadata.empty()) parts.push_back(metadata_part(metadata));
        HttpResponse answer = post_multipart(platform.iiifd.url("/api/v1/objects" + query),
                                             platform.as.at(role), parts);
        INFO(answer.body);
        REQUIRE(answer.status == 202);
        return json_text(answer.body, "ark");
    };
    // A set's shoulder first, then the institution's, then the default; or the one asked for.
    CHECK(deposit("other_editor", "", R"({"sets": ["manuscripts:latin"]})")
              .starts_with("ark:/99999/10b"));
    CHECK(deposit("other_editor", "", "").starts_with("ark:/99999/10c"));
    CHECK(deposit("editor", "", "").starts_with("ark:/99999/fk4"));
    CHECK(deposit("other_editor", "?shoulder=10b", "").starts_with("ark:/99999/10b"));
    HttpResponse not_theirs = post_multipart(
        platform.iiifd.url("/api/v1/objects?shoulder=10b"), platform.as["editor"],
        {file_part(test_images::save(test_images::quadrants(64, 48), "s.jpg"))});
    CHECK(not_theirs.status == 403);
    CHECK(json_text(not_theirs.body, "error") ==
          "shoulder: this shoulder belongs to another institution");

    // The module's resolver describes it from the catalog: ?info on ark:/99999/10b.
    std::string error;
    std::unique_ptr<iiif::CatalogReader> catalog =
        iiif::CatalogReader::open(platform.iiifd.catalog_path(), &error);
    REQUIRE(catalog);
    iiif::ResolverRequest info{"GET", "/ark:/99999/10b", "info", true, "text/plain"};
    const iiif::HttpResponse described = iiif::resolve_ark(catalog.get(), info);
    CHECK(described.status == 200);
    CHECK(described.body.find("who: North Library\n") != std::string::npos);
    CHECK(described.body.find("what: North manuscripts\n") != std::string::npos);
    CHECK(described.body.find("description: Manuscripts of the North Library\n") !=
          std::string::npos);
}

TEST_CASE("roles: a book's pages and a spreadsheet's check for each role", "[roles]") {
    Platform platform;
    const std::string own = platform.deposit("editor");
    const std::string pages = "/api/v1/objects/" + own + "/pages";
    const std::string change = R"({"pages": [{"page": "f1", "label": "Cover"}]})";
    const std::vector<Part> one = {
        file_part(test_images::save(test_images::quadrants(64, 48), "p.jpg"))};
    for (const char* role : {"anonymous", "reader", "other_editor"}) {
        INFO(role);
        const long refused = std::string(role) == "anonymous" ? 401 : 403;
        if (std::string(role) != "other_editor")
            CHECK(platform.status(role, "GET", pages) == refused);
        CHECK(platform.status(role, "PUT", pages, change) == refused);
        CHECK(post_multipart(platform.iiifd.url(pages), platform.as.at(role), one).status ==
              refused);
        CHECK(send_multipart("PUT", platform.iiifd.url(pages + "/f1"), platform.as.at(role), one)
                  .status == refused);
    }
    // Another institution's editor reads the pages (as any object's record) but changes none.
    CHECK(platform.status("other_editor", "GET", pages) == 200);
    CHECK(platform.status("editor", "PUT", pages, change) == 200);
    CHECK(platform.status("admin", "PUT", pages,
                          R"({"pages": [{"page": "f1", "label": "Front"}]})") == 200);

    const std::string rows = R"({"headers": ["Title", "Folder"], "rows": [{"row": 2, "cells": ["A", "a"]}]})";
    CHECK(platform.status("anonymous", "POST", "/api/v1/imports/check", rows) == 401);
    CHECK(platform.status("reader", "POST", "/api/v1/imports/check", rows) == 403);
    CHECK(platform.status("editor", "POST", "/api/v1/imports/check", rows) == 200);
    CHECK(platform.status("admin", "POST", "/api/v1/imports/check", rows) == 200);
    // The template is public: partners fill it in before they have an account.
    CHECK(platform.status("anonymous", "GET", "/api/v1/public/import-template.csv") == 200);
}
