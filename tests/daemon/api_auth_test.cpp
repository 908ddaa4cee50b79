// Who may use the deposit API (api_auth.hpp): its rules on requests made here, then what the real
// iiifd (with a real redis-server) records of a session's changes.
#include "api_auth.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <ctime>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "api_harness.hpp"
#include "catalog_fixtures.hpp"
#include "signing.hpp"
#include "test_images.hpp"

using namespace iiifd;

namespace {

const std::string kKey = "0123456789abcdef0123";

std::int64_t in_an_hour() {
    return static_cast<std::int64_t>(std::time(nullptr)) + 3600;
}

iiif::AccessCredential credential(iiif::AccessCredential::Kind kind, const std::string& user,
                                  std::vector<std::string> groups, std::int64_t expires) {
    iiif::AccessCredential session;
    session.kind = kind;
    session.subject = user;
    session.groups = std::move(groups);
    session.expires = expires;
    return session;
}

// An AuthService and the rules over a directory of their own (bootstrapped from a configuration
// with a key and two users: alice an editor, bob a reader), and requests to judge.
struct Rules {
    DaemonConfig config;
    std::unique_ptr<iiif::CatalogWriter> catalog;
    std::unique_ptr<AuditLog> audit;
    std::unique_ptr<Directory> directory;
    std::unique_ptr<AuthService> auth;
    std::unique_ptr<ApiAuth> rules;

    Rules() {
        const std::filesystem::path dir = test_images::scratch_dir() / "api-auth-rules";
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        config.public_base_url = "https://images.example.org";
        config.institution = "Example Library";
        config.api_keys = {kKey};
        config.access.users = {{"alice", "", {"readers", "depositors"}},
                               {"bob", "", {"readers"}}};
        config.access.key_file = (dir / "api-auth.key").string();
        catalog = catalog_fixtures::open_writer((dir / "catalog.mdb").string());
        audit = std::make_unique<AuditLog>((dir / "audit.log").string());
        directory = std::make_unique<Directory>(config, *catalog, *audit);
        directory->bootstrap();
        auth = std::make_unique<AuthService>(config, *directory);
        rules = std::make_unique<ApiAuth>(*directory, *auth);
    }

    std::string cookie(const std::string& user, std::vector<std::string> groups,
                       std::int64_t expires = in_an_hour(),
                       iiif::AccessCredential::Kind kind = iiif::AccessCredential::Kind::session) {
        return "iiif_access=" +
               iiif::sign_credential(credential(kind, user, std::move(groups), expires),
                                     iiif::load_secret_key(config.access.key_file, false));
    }

    std::variant<ApiCaller, iiif::IiifError> judge(
        const std::string& method,
        const std::vector<std::pair<std::string, std::string>>& headers) {
        HttpRequest req;
        req.method = method;
        req.path = "/api/v1/objects";
        for (const auto& [name, value] : headers) req.headers.emplace_back(name, value);
        return rules->caller(req);
    }
};

// "401 missing or invalid API key", or the caller as "key admin key abcdef012345" /
// "session user:alice".
std::string outcome(const std::variant<ApiCaller, iiif::IiifError>& judged) {
    if (const auto* refusal = std::get_if<iiif::IiifError>(&judged))
        return std::to_string(refusal->status) + " " + refusal->reason;
    const ApiCaller& caller = std::get<ApiCaller>(judged);
    return (caller.via == ApiCaller::Via::key ? "key " : "session ") + caller.actor;
}

}  // namespace

TEST_CASE("api auth: a key from iiifd.toml is the administrator's, known by its digest's first "
          "12 digits",
          "[api_auth]") {
    Rules rules;
    const std::string actor = "key admin key " + iiif::sha256_hex(kKey).substr(0, 12);
    CHECK(outcome(rules.judge("POST", {{"Authorization", "Bearer " + kKey}})) == actor);
    CHECK(outcome(rules.judge("POST", {{"Authorization", "bearer " + kKey}})) == actor);
    CHECK(outcome(rules.judge("GET", {{"Authorization", "Bearer " + kKey}})) == actor);
    // Keys are not sent by browsers on their own: no Origin needed.
    CHECK(outcome(rules.judge("PATCH", {{"Authorization", "Bearer " + kKey},
                                        {"Origin", "https://evil.example"}})) == actor);
    const ApiCaller caller = std::get<ApiCaller>(rules.judge("GET", {{"Authorization", "Bearer " + kKey}}));
    CHECK(caller.account.role == Role::administrator);
    CHECK(caller.account.institution == "main");
    CHECK(caller.audit().via == "key " + iiif::sha256_hex(kKey).substr(0, 12));
}

TEST_CASE("api auth: a key made for an account carries its rights until it is revoked or the "
          "account disabled",
          "[api_auth]") {
    Rules rules;
    const Actor admin{"admin", "test"};
    auto [text, key] = rules.directory->create_key(admin, "alice", "scanner");
    CHECK(text.starts_with("iiif_"));
    CHECK(text.size() == 37);
    CHECK(key.id == iiif::sha256_hex(text).substr(0, 12));
    auto judged = rules.judge("POST", {{"Authorization", "Bearer " + text}});
    REQUIRE(outcome(judged) == "key alice key " + key.id);
    CHECK(std::get<ApiCaller>(judged).account.role == Role::editor);

    rules.directory->change_account(admin, "alice", AccountChange{.disabled = true});
    CHECK(outcome(rules.judge("POST", {{"Authorization", "Bearer " + text}})) ==
          "401 missing or invalid API key");
    rules.directory->change_account(admin, "alice", AccountChange{.disabled = false});
    CHECK(outcome(rules.judge("POST", {{"Authorization", "Bearer " + text}})) ==
          "key alice key " + key.id);
    rules.directory->revoke_key(admin, "alice", key.id);
    CHECK(outcome(rules.judge("POST", {{"Authorization", "Bearer " + text}})) ==
          "401 missing or invalid API key");
}

TEST_CASE("api auth: a wrong key is 401 even beside an editor's session", "[api_auth]") {
    Rules rules;
    const std::string alice = rules.cookie("alice", {"depositors"});
    CHECK(outcome(rules.judge("GET", {{"Authorization", "Bearer wrong-key-0123456789"},
                                      {"Cookie", alice}})) == "401 missing or invalid API key");
    CHECK(outcome(rules.judge("GET", {{"Authorization", "Bearer "}, {"Cookie", alice}})) ==
          "401 missing or invalid API key");
    // Another scheme (a proxy's Basic) is not the API's: the session decides.
    CHECK(outcome(rules.judge("GET", {{"Authorization", "Basic YWxpY2U6c2VjcmV0"},
                                      {"Cookie", alice}})) == "session user:alice");
}

TEST_CASE("api auth: a session is its account's, with the account's role and groups",
          "[api_auth]") {
    Rules rules;
    // The cookie's groups are what they were at sign-in; the account says what they are now.
    const std::string alice = rules.cookie("alice", {"depositors"});
    auto judged = rules.judge("GET", {{"Cookie", alice}});
    REQUIRE(outcome(judged) == "session user:alice");
    CHECK(std::get<ApiCaller>(judged).account.name == "alice");
    CHECK(std::get<ApiCaller>(judged).account.role == Role::editor);
    CHECK(std::get<ApiCaller>(judged).account.groups ==
          std::vector<std::string>{"readers", "depositors"});
    CHECK(std::get<ApiCaller>(judged).audit().via == "session");
    CHECK(outcome(rules.judge("HEAD", {{"Cookie", alice}})) == "session user:alice");
    // Among other cookies, and split over Cookie headers as HTTP/2 may.
    CHECK(
        outcome(rules.judge("GET", {{"Cookie", "lang=fr"}, {"Cookie", alice + "; theme=dark"}})) ==
        "session user:alice");
    // bob, in none of [http] deposit_groups, became a reader.
    auto bob = rules.judge("GET", {{"Cookie", rules.cookie("bob", {"readers"})}});
    REQUIRE(outcome(bob) == "session user:bob");
    CHECK(std::get<ApiCaller>(bob).account.role == Role::reader);
    // Someone a single sign-on proxy signed in, unknown here: a reader of no institution.
    auto carol = rules.judge("GET", {{"Cookie", rules.cookie("carol", {"staff"})}});
    REQUIRE(outcome(carol) == "session user:carol");
    CHECK(std::get<ApiCaller>(carol).account.role == Role::reader);
    CHECK(std::get<ApiCaller>(carol).account.institution.empty());
    // A disabled account's session stops at once.
    rules.directory->change_account({"admin", "test"}, "alice", AccountChange{.disabled = true});
    CHECK(outcome(rules.judge("GET", {{"Cookie", alice}})) == "401 missing or invalid API key");
}

TEST_CASE("api auth: a change made with a session needs the site's own Origin", "[api_auth]") {
    Rules rules;
    const std::string alice = rules.cookie("alice", {"depositors"});
    for (const char* method : {"POST", "PATCH", "PUT", "DELETE", "OPTIONS"}) {
        INFO(method);
        CHECK(outcome(rules.judge(method,
                                  {{"Cookie", alice}, {"Origin", "https://images.example.org"}})) ==
              "session user:alice");
        // The same origin spelled otherwise: case, the scheme's default port.
        CHECK(outcome(rules.judge(
                  method, {{"Cookie", alice}, {"Origin", "HTTPS://Images.Example.org:443"}})) ==
              "session user:alice");
        CHECK(outcome(rules.judge(method, {{"Cookie", alice}})) ==
              "403 cross-site request refused");
        for (const char* other : {"https://evil.example", "http://images.example.org",
                                  "https://images.example.org:8443", "null", ""}) {
            INFO(other);
            CHECK(outcome(rules.judge(method, {{"Cookie", alice}, {"Origin", other}})) ==
                  "403 cross-site request refused");
        }
    }
}

TEST_CASE("api auth: no credential, a forged or expired session, or a token is 401", "[api_auth]") {
    Rules rules;
    const std::string unauthorised = "401 missing or invalid API key";
    CHECK(outcome(rules.judge("GET", {})) == unauthorised);
    CHECK(outcome(rules.judge("GET", {{"Cookie", "iiif_access="}})) == unauthorised);
    CHECK(outcome(rules.judge("GET", {{"Cookie", "iiif_access=not-a-credential"}})) ==
          unauthorised);
    CHECK(outcome(rules.judge("GET", {{"Cookie", rules.cookie("alice", {"depositors"}, 1000)}})) ==
          unauthorised);
    CHECK(outcome(rules.judge("GET",
                              {{"Cookie", rules.cookie("alice", {"depositors"}, in_an_hour(),
                                                       iiif::AccessCredential::Kind::token)}})) ==
          unauthorised);
    const std::string forged =
        "iiif_access=" + iiif::sign_credential(credential(iiif::AccessCredential::Kind::session,
                                                          "alice", {"depositors"}, in_an_hour()),
                                               std::string(64, 'a'));
    CHECK(outcome(rules.judge("GET", {{"Cookie", forged}})) == unauthorised);
    // Another cookie's name is not the session's.
    CHECK(outcome(rules.judge(
              "GET", {{"Cookie", "other=" + rules.cookie("alice", {"depositors"}).substr(12)}})) ==
          unauthorised);
}

namespace {

using namespace daemon_harness;

// iiifd with an access key file of the test's, so that sessions can be signed here.
struct SessionDaemon {
    RedisServer redis;
    std::string key_file = (test_images::scratch_dir() / "api-auth-daemon.key").string();
    Daemon iiifd;
    SessionDaemon() : iiifd(redis, options(key_file)) {
        std::remove(key_file.c_str());
        iiifd.start();
        // alice an editor of the home institution, bob a reader.
        for (const char* account : {R"({"name": "alice", "role": "editor"})",
                                    R"({"name": "bob", "role": "reader", "groups": ["readers"]})"})
            REQUIRE(http("POST", iiifd.url("/api/v1/accounts"), iiifd.auth(), account).status ==
                    201);
    }
    static DaemonOptions options(const std::string& key_file) {
        DaemonOptions options;
        options.hot_folder = false;
        options.extra_config = "[access]\nkey_file = \"" + key_file + "\"\n";
        return options;
    }
    std::string cookie(const std::string& user, std::vector<std::string> groups) const {
        return "Cookie: iiif_access=" +
               iiif::sign_credential(credential(iiif::AccessCredential::Kind::session, user,
                                                std::move(groups), in_an_hour()),
                                     iiif::load_secret_key(key_file, false));
    }
    std::string deposited() const {
        daemon_harness::HttpResponse answer =
            iiifd.post_object({test_images::save(test_images::quadrants(200, 150), "auth.jpg")});
        REQUIRE(answer.status == 202);
        REQUIRE(json_text(iiifd.wait_for_job(json_text(answer.body, "job")), "state") == "done");
        return json_text(answer.body, "ark");
    }
};

const std::string kSiteOrigin = "Origin: http://127.0.0.1:8080";

}  // namespace

TEST_CASE("api auth: withdrawals.log names the session's user or the key's account and digest", "[api_auth]") {
    SessionDaemon daemon;
    const std::string ark = daemon.deposited();
    const std::string alice = daemon.cookie("alice", {"depositors"});
    const std::string body = R"({"reason": "owner's request", "requested_by": "Éditions X"})";

    daemon_harness::HttpResponse withdrawn = http("POST", daemon.iiifd.url("/api/v1/objects/" + ark + "/withdraw"),
                                  {alice, kSiteOrigin}, body);
    REQUIRE(withdrawn.status == 200);
    daemon_harness::HttpResponse reinstated =
        http("POST", daemon.iiifd.url("/api/v1/objects/" + ark + "/reinstate"), daemon.iiifd.auth(),
             body);
    REQUIRE(reinstated.status == 200);

    const std::string log = read_file(daemon.iiifd.storage_root() + "/withdrawals.log");
    const size_t newline = log.find('\n');
    REQUIRE(newline != std::string::npos);
    CHECK(json_text(log.substr(0, newline), "action") == "withdrawn");
    CHECK(json_text(log.substr(0, newline), "key") == "user:alice");
    CHECK(json_text(log.substr(newline + 1), "action") == "reinstated");
    CHECK(json_text(log.substr(newline + 1), "key") ==
          "admin key " + iiif::sha256_hex(Daemon::key()).substr(0, 12));
}

TEST_CASE("api auth: over HTTP, a session's PATCH needs the Origin and a refusal is JSON",
          "[api_auth]") {
    SessionDaemon daemon;
    const std::string ark = daemon.deposited();
    const std::string alice = daemon.cookie("alice", {"depositors"});
    const std::string url = daemon.iiifd.url("/api/v1/objects/" + ark);

    daemon_harness::HttpResponse cross_site = http("PATCH", url, {alice}, R"({"title": "Plan"})");
    CHECK(cross_site.status == 403);
    CHECK(cross_site.body == R"({"error":"cross-site request refused"})");
    daemon_harness::HttpResponse same_site = http("PATCH", url, {alice, kSiteOrigin}, R"({"title": "Plan"})");
    CHECK(same_site.status == 200);
    CHECK(http("GET", url, {alice}).status == 200);

    daemon_harness::HttpResponse reader = http("GET", url, {daemon.cookie("bob", {"readers"})});
    CHECK(reader.status == 403);
    CHECK(reader.body == R"({"error":"read objects: editors and administrators only"})");

    // A wrong key beside a good cookie: 401, asking for a key.
    daemon_harness::HttpResponse wrong_key =
        http("GET", url, {alice, "Authorization: Bearer wrong-key-0123456789"});
    CHECK(wrong_key.status == 401);
    CHECK(wrong_key.body == R"({"error":"missing or invalid API key"})");
    CHECK(wrong_key.headers.find("WWW-Authenticate: Bearer\r\n") != std::string::npos);

    daemon_harness::HttpResponse session = http("GET", daemon.iiifd.url("/api/v1/session"), {alice});
    REQUIRE(session.status == 200);
    CHECK(json_text(session.body, "via") == "session");
    CHECK(json_text(session.body, "user") == "alice");
    CHECK(json_text(session.body, "role") == "editor");
    CHECK(json_text(session.body, "account_institution.id") == "main");
    CHECK(json_array(session.body, "policies") == std::vector<std::string>{"public"});
    CHECK(json_integer(session.body, "limits.max_pixels") > 0);
}
