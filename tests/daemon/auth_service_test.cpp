// The IIIF Authorization Flow 2.0 services of iiifd (daemon/auth_service.hpp), against the real
// iiifd and redis-server: the credentials they hand out are checked as the module checks them,
// with iiif::verify_credential and the key from the key file.
#include <curl/curl.h>
#include <jansson.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "access.hpp"
#include "access_config.hpp"
#include "api_harness.hpp"
#include "signing.hpp"

using namespace daemon_harness;

namespace {

constexpr const char* kPassword = "correct horse";
constexpr const char* kViewer = "https://viewer.example.org";
// [access] token_origins listing the viewer's site, where the token service's callers are.
const std::string kViewerAllowed = "token_origins = [\"https://viewer.example.org\"]\n";
constexpr const char* kForm = "Content-Type: application/x-www-form-urlencoded";

struct Answer {
    long status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // names lowercased

    // The values of header `name` (lowercase), in order.
    std::vector<std::string> all(const std::string& name) const {
        std::vector<std::string> values;
        for (const auto& [key, value] : headers)
            if (key == name) values.push_back(value);
        return values;
    }
    std::string header(const std::string& name) const {
        std::vector<std::string> values = all(name);
        return values.empty() ? "" : values.front();
    }
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
    static_cast<Answer*>(user)->body.append(data, size * count);
    return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    std::string line(data, size * count);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        static_cast<Answer*>(user)->headers.emplace_back(name, value);
    }
    return size * count;
}

// libcurl, keeping the response's headers (which the harness's client does not).
Answer request(const std::string& method, const std::string& url,
               const std::vector<std::string>& headers, const std::string& body = "") {
    Answer answer;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    curl_slist* list = nullptr;
    for (const std::string& header : headers) list = curl_slist_append(list, header.c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(list,
                                                                            curl_slist_free_all);
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, header_list.get());
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &answer);
    if (method == "POST") {
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    if (curl_easy_perform(curl.get()) == CURLE_OK)
        curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &answer.status);
    return answer;
}

std::int64_t now() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

// [access.users.alice] with the password kPassword, in groups readers and staff.
const std::string& alice() {
    static const std::string toml = "[access.users.alice]\npassword_hash = \"" +
                                    iiifd::hash_password(kPassword) +
                                    "\"\ngroups = [\"readers\", \"staff\"]\n";
    return toml;
}

// Redis and iiifd with the [access] keys `access` and `extra_config` (other TOML sections)
// added, started.
class AuthDaemon {
  public:
    explicit AuthDaemon(const std::string& extra_config = alice(),
                        const std::string& access = kViewerAllowed)
        : iiifd_(redis_, options("[access]\n" + access + extra_config)) {
        iiifd_.start();
    }
    Daemon& iiifd() { return iiifd_; }
    std::string url(const std::string& path) const { return iiifd_.url(path); }
    std::string key_path() const { return iiifd_.storage_root() + "/access.key"; }
    std::string key() const { return iiif::load_secret_key(key_path(), false); }

    Answer get(const std::string& path, const std::vector<std::string>& headers = {}) const {
        return request("GET", url(path), headers);
    }
    Answer login(const std::string& form, std::vector<std::string> headers = {}) const {
        headers.emplace_back(kForm);
        return request("POST", url("/auth/login"), headers, form);
    }
    // The token service's page for this cookie header (none when empty).
    Answer token(const std::string& cookie, const std::string& message_id = "m1",
                 std::vector<std::string> headers = {}) const {
        return token_for(kViewer, cookie, message_id, std::move(headers));
    }
    // The same for a viewer on `origin`.
    Answer token_for(const std::string& origin, const std::string& cookie,
                     const std::string& message_id = "m1",
                     std::vector<std::string> headers = {}) const {
        if (!cookie.empty()) headers.push_back("Cookie: " + cookie);
        return get("/auth/token?messageId=" + message_id + "&origin=" + origin, headers);
    }

  private:
    static DaemonOptions options(const std::string& extra_config) {
        DaemonOptions options;
        options.workers = 1;
        options.hot_folder = false;
        options.extra_config = extra_config;
        return options;
    }
    RedisServer redis_;
    Daemon iiifd_;
};

// "name=value" of a Set-Cookie header: its value.
std::string cookie_of(const std::string& set_cookie) {
    const size_t equals = set_cookie.find('=');
    const size_t end = set_cookie.find(';');
    return set_cookie.substr(equals + 1, end - equals - 1);
}

std::string signed_cookie(const iiif::AccessCredential& credential, const std::string& key) {
    return "iiif_access=" + iiif::sign_credential(credential, key);
}

iiif::AccessCredential session(std::int64_t expires) {
    iiif::AccessCredential credential;
    credential.kind = iiif::AccessCredential::Kind::session;
    credential.subject = "alice";
    credential.groups = {"readers", "staff"};
    credential.expires = expires;
    return credential;
}

// The token service's page: `const {name} = {JSON};` lines of its script, as JSON texts.
std::string script_value(const std::string& page, const std::string& name) {
    const std::string start = "const " + name + " = ";
    const size_t from = page.find(start);
    if (from == std::string::npos) return "";
    const size_t end = page.find(";\n", from);
    return page.substr(from + start.size(), end - from - start.size());
}

struct JsonDeleter {
    void operator()(json_t* json) const { json_decref(json); }
};

// A string at the top of a JSON text ("" when absent), or the target origin's JSON string.
std::string json_string_of(const std::string& json) {
    std::unique_ptr<json_t, JsonDeleter> value(json_loads(json.c_str(), JSON_DECODE_ANY, nullptr));
    return json_is_string(value.get()) ? json_string_value(value.get()) : "";
}

std::vector<std::string> keys_of(const std::string& json) {
    std::unique_ptr<json_t, JsonDeleter> value(json_loads(json.c_str(), 0, nullptr));
    std::vector<std::string> keys;
    const char* key;
    json_t* member;
    json_object_foreach(value.get(), key, member) keys.emplace_back(key);
    return keys;
}

}  // namespace

TEST_CASE("auth: a good password gives a session cookie the module accepts", "[auth_service]") {
    AuthDaemon daemon;
    const std::int64_t before = now();
    Answer answer = daemon.login("username=alice&password=correct+horse");
    const std::int64_t after = now();
    CHECK(answer.status == 200);
    CHECK(answer.header("cache-control") == "no-store");
    CHECK(answer.header("content-type") == "text/html; charset=utf-8");
    REQUIRE(answer.all("set-cookie").size() == 1);
    const std::string set_cookie = answer.header("set-cookie");
    const std::string value = cookie_of(set_cookie);
    CHECK(set_cookie == "iiif_access=" + value + "; Path=/; HttpOnly; Max-Age=28800; SameSite=Lax");
    CHECK_THAT(answer.body, Catch::Contains("<script>window.close();</script>"));
    CHECK_THAT(answer.body, Catch::Contains("<h1>You are signed in</h1>"));

    std::optional<iiif::AccessCredential> credential =
        iiif::verify_credential(value, daemon.key(), now());
    REQUIRE(credential);
    CHECK(credential->kind == iiif::AccessCredential::Kind::session);
    CHECK(credential->subject == "alice");
    CHECK(credential->groups == std::vector<std::string>{"readers", "staff"});
    CHECK(credential->expires >= before + 28800);
    CHECK(credential->expires <= after + 28800);
}

TEST_CASE("auth: a wrong password or an unknown user gets 401, the form again and no cookie",
          "[auth_service]") {
    AuthDaemon daemon;
    for (const std::string form :
         {"username=alice&password=wrong", "username=mallory&password=correct+horse"}) {
        Answer answer = daemon.login(form);
        CHECK(answer.status == 401);
        CHECK(answer.all("set-cookie").empty());
        CHECK_THAT(answer.body,
                   Catch::Contains("<p class=\"error\" role=\"alert\">Wrong user name or "
                                   "password.</p>"));
        CHECK_THAT(answer.body, Catch::Contains("<form method=\"post\" action=\"login\">"));
    }
    // The name given is kept in the form, escaped.
    CHECK_THAT(daemon.login("username=%3Cb%3E&password=x").body,
               Catch::Contains("value=\"&lt;b&gt;\""));
    Answer empty = daemon.login("username=alice&password=");
    CHECK(empty.status == 400);
    CHECK(empty.all("set-cookie").empty());
}

TEST_CASE("auth: an API key signs in as its account, an administrator's with group api-key",
          "[auth_service]") {
    AuthDaemon daemon;
    Answer answer = daemon.login("api_key=" + Daemon::key());
    CHECK(answer.status == 200);
    std::optional<iiif::AccessCredential> credential =
        iiif::verify_credential(cookie_of(answer.header("set-cookie")), daemon.key(), now());
    REQUIRE(credential);
    CHECK(credential->kind == iiif::AccessCredential::Kind::session);
    CHECK(credential->groups == std::vector<std::string>{"api-key"});
    CHECK(credential->subject == "admin");

    Answer wrong = daemon.login("api_key=not-the-key-0123456789");
    CHECK(wrong.status == 401);
    CHECK(wrong.all("set-cookie").empty());
    CHECK_THAT(wrong.body, Catch::Contains("This API key is not known."));
}

TEST_CASE("auth: an editor's session carries their institution's editor group, a reader's not",
          "[auth_service]") {
    AuthDaemon daemon;
    Daemon& iiifd = daemon.iiifd();
    REQUIRE(http("PUT", iiifd.url("/api/v1/institutions/north"), iiifd.auth(),
                 R"({"name": "North Library"})")
                .status == 201);
    for (const auto& [name, body, groups] : std::vector<std::tuple<std::string, std::string,
                                                                   std::vector<std::string>>>{
             {"edith", R"({"name": "edith", "role": "editor", "institution": "north",
                          "groups": ["staff"], "password": "a long enough passphrase"})",
              {"staff", "editor/north"}},
             {"rita", R"({"name": "rita", "role": "reader", "groups": ["readers"],
                         "password": "a long enough passphrase"})",
              {"readers"}}}) {
        INFO(name);
        REQUIRE(http("POST", iiifd.url("/api/v1/accounts"), iiifd.auth(), body).status == 201);
        Answer answer =
            daemon.login("username=" + name + "&password=a+long+enough+passphrase");
        REQUIRE(answer.status == 200);
        std::optional<iiif::AccessCredential> credential =
            iiif::verify_credential(cookie_of(answer.header("set-cookie")), daemon.key(), now());
        REQUIRE(credential);
        CHECK(credential->groups == groups);
    }
}

TEST_CASE(
    "auth: the login page is a form with labels that cannot be framed, in French when "
    "preferred",
    "[auth_service]") {
    AuthDaemon daemon;
    Answer english = daemon.get("/auth/login?origin=https%3A%2F%2Fviewer.example.org");
    CHECK(english.status == 200);
    CHECK(english.header("x-frame-options") == "DENY");
    CHECK(english.header("cache-control") == "no-store");
    CHECK(english.header("content-type") == "text/html; charset=utf-8");
    CHECK(english.header("content-language") == "en");
    CHECK(english.all("set-cookie").empty());
    CHECK_THAT(english.body, Catch::StartsWith("<!DOCTYPE html>\n<html lang=\"en\">"));
    CHECK_THAT(english.body, Catch::Contains("<title>Sign in – Test Library</title>"));
    // The page names whom one signs in to.
    CHECK_THAT(english.body,
               Catch::Contains("<h1>Sign in</h1>\n<p class=\"institution\">Test Library</p>\n"));
    CHECK_THAT(english.body, Catch::Contains("<label for=\"username\">User name</label>"));
    CHECK_THAT(english.body, Catch::Contains("<label for=\"password\">Password</label>"));
    CHECK_THAT(english.body, Catch::Contains("<label for=\"api_key\">API key</label>"));
    CHECK_THAT(english.body, Catch::Contains("<input id=\"password\" name=\"password\" "
                                             "type=\"password\" autocomplete=\"current-password\" "
                                             "required>"));

    Answer french = daemon.get("/auth/login", {"Accept-Language: fr-FR,fr;q=0.9,en;q=0.8"});
    CHECK(french.header("content-language") == "fr");
    CHECK_THAT(french.body, Catch::StartsWith("<!DOCTYPE html>\n<html lang=\"fr\">"));
    CHECK_THAT(french.body, Catch::Contains("<label for=\"password\">Mot de passe</label>"));
    CHECK(
        daemon.get("/auth/login", {"Accept-Language: en-GB,fr;q=0.5"}).header("content-language") ==
        "en");
    CHECK(daemon.get("/auth/login", {"Accept-Language: de, fr;q=0.3"}).header("content-language") ==
          "fr");

    Answer wrong = daemon.login("username=alice&password=x", {"Accept-Language: fr"});
    CHECK_THAT(wrong.body, Catch::Contains("Nom d’utilisateur ou mot de passe incorrect."));
}

TEST_CASE("auth: a sign-in form posted from another site is refused with 403", "[auth_service]") {
    AuthDaemon daemon;
    Answer foreign =
        daemon.login("username=alice&password=correct+horse", {"Origin: https://evil.example"});
    CHECK(foreign.status == 403);
    CHECK(foreign.all("set-cookie").empty());
    CHECK(daemon.login("username=alice&password=correct+horse", {"Origin: null"}).status == 403);
    // The public base URL's origin is this site's.
    Answer own =
        daemon.login("username=alice&password=correct+horse", {"Origin: http://127.0.0.1:8080"});
    CHECK(own.status == 200);
    CHECK(own.all("set-cookie").size() == 1);
}

TEST_CASE("auth: a trusted proxy's Remote-User is signed in at once", "[auth_service]") {
    AuthDaemon daemon(alice(), kViewerAllowed + "remote_user_header = \"Remote-User\"\n");
    Answer answer = daemon.get("/auth/login", {"Remote-User: alice"});
    CHECK(answer.status == 200);
    CHECK_THAT(answer.body, Catch::Contains("window.close()"));
    std::optional<iiif::AccessCredential> credential =
        iiif::verify_credential(cookie_of(answer.header("set-cookie")), daemon.key(), now());
    REQUIRE(credential);
    CHECK(credential->subject == "alice");
    CHECK(credential->groups == std::vector<std::string>{"readers", "staff"});

    // A user [access.users] does not list is in no group.
    credential = iiif::verify_credential(
        cookie_of(daemon.get("/auth/login", {"Remote-User: carol"}).header("set-cookie")),
        daemon.key(), now());
    REQUIRE(credential);
    CHECK(credential->subject == "carol");
    CHECK(credential->groups.empty());
}

TEST_CASE("auth: Remote-User from a peer that is no trusted proxy is ignored", "[auth_service]") {
    AuthDaemon daemon(alice(), kViewerAllowed +
                                   "remote_user_header = \"Remote-User\"\n"
                                   "trusted_proxies = [\"192.0.2.1\"]\n");
    Answer answer = daemon.get("/auth/login", {"Remote-User: alice"});
    CHECK(answer.status == 200);
    CHECK(answer.all("set-cookie").empty());
    CHECK_THAT(answer.body, Catch::Contains("<label for=\"username\">"));
}

TEST_CASE("auth: the token service posts an access token for the session to the origin",
          "[auth_service]") {
    AuthDaemon daemon;
    const std::string cookie =
        daemon.login("username=alice&password=correct+horse").header("set-cookie");
    const std::string pair = cookie.substr(0, cookie.find(';'));
    const std::int64_t before = now();
    Answer answer = daemon.token(pair, "msg-42");
    CHECK(answer.status == 200);
    CHECK(answer.header("content-type") == "text/html; charset=utf-8");
    CHECK(answer.header("cache-control") == "no-store");
    CHECK(answer.header("x-frame-options").empty());  // it lives in the viewer's iframe
    CHECK_THAT(answer.body, Catch::Contains("window.parent.postMessage(message, origin);"));
    CHECK(script_value(answer.body, "origin") == "\"https://viewer.example.org\"");

    const std::string message = script_value(answer.body, "message");
    CHECK(keys_of(message) ==
          std::vector<std::string>{"@context", "type", "accessToken", "expiresIn", "messageId"});
    CHECK(json_text(message, "@context") == "http://iiif.io/api/auth/2/context.json");
    CHECK(json_text(message, "type") == "AuthAccessToken2");
    CHECK(json_text(message, "messageId") == "msg-42");
    std::optional<iiif::AccessCredential> token =
        iiif::verify_credential(json_text(message, "accessToken"), daemon.key(), now());
    REQUIRE(token);
    CHECK(token->kind == iiif::AccessCredential::Kind::token);
    CHECK(token->subject == "alice");
    CHECK(token->groups == std::vector<std::string>{"readers", "staff"});
    CHECK(token->expires >= before + 3600);
    CHECK(token->expires <= now() + 3600);
    const long long expires_in = json_integer(message, "expiresIn");
    CHECK(expires_in >= 3599);
    CHECK(expires_in <= 3600);
}

TEST_CASE("auth: the token service reads the session among cookies split over headers",
          "[auth_service]") {
    AuthDaemon daemon;
    Answer answer = daemon.token("theme=dark", "m1",
                                 {"Cookie: " + signed_cookie(session(now() + 600), daemon.key())});
    CHECK(json_text(script_value(answer.body, "message"), "type") == "AuthAccessToken2");
}

TEST_CASE("auth: an access token never outlives its session", "[auth_service]") {
    AuthDaemon daemon;
    const std::int64_t end = now() + 100;
    Answer answer = daemon.token(signed_cookie(session(end), daemon.key()));
    const std::string message = script_value(answer.body, "message");
    CHECK(json_text(message, "type") == "AuthAccessToken2");
    std::optional<iiif::AccessCredential> token =
        iiif::verify_credential(json_text(message, "accessToken"), daemon.key(), now());
    REQUIRE(token);
    CHECK(token->expires == end);
    CHECK(json_integer(message, "expiresIn") <= 100);
}

TEST_CASE("auth: the token service's errors say what is missing or wrong", "[auth_service]") {
    AuthDaemon daemon;
    const std::string key = daemon.key();
    auto error_of = [](const Answer& answer) {
        const std::string message = script_value(answer.body, "message");
        CHECK(json_text(message, "type") == "AuthAccessTokenError2");
        CHECK(json_text(message, "@context") == "http://iiif.io/api/auth/2/context.json");
        CHECK(json_text(message, "accessToken").empty());
        return json_text(message, "profile");
    };

    SECTION("no cookie: missingAspect") {
        Answer answer = daemon.token("");
        CHECK(error_of(answer) == "missingAspect");
        CHECK(json_text(script_value(answer.body, "message"), "messageId") == "m1");
        CHECK(json_array(script_value(answer.body, "message"), "heading.en") ==
              std::vector<std::string>{"You are not signed in"});
        CHECK(json_string_of(script_value(answer.body, "origin")) == kViewer);
    }
    SECTION("a cookie signed with another key: invalidAspect") {
        CHECK(error_of(daemon.token(signed_cookie(
                  session(now() + 600), "another key, 32 characters long!!"))) == "invalidAspect");
        CHECK(error_of(daemon.token("iiif_access=garbage")) == "invalidAspect");
    }
    SECTION("a token instead of a session: invalidAspect") {
        iiif::AccessCredential token = session(now() + 600);
        token.kind = iiif::AccessCredential::Kind::token;
        CHECK(error_of(daemon.token(signed_cookie(token, key))) == "invalidAspect");
    }
    SECTION("an expired session: expiredAspect") {
        CHECK(error_of(daemon.token(signed_cookie(session(now() - 10), key))) == "expiredAspect");
    }
    SECTION("no messageId or no origin: invalidRequest") {
        Answer answer = daemon.get(std::string("/auth/token?origin=") + kViewer);
        CHECK(error_of(answer) == "invalidRequest");
        CHECK(json_text(script_value(answer.body, "message"), "messageId").empty());
        CHECK(error_of(daemon.get("/auth/token?messageId=m1")) == "invalidRequest");
        CHECK(json_string_of(script_value(daemon.get("/auth/token?messageId=m1").body, "origin")) ==
              "*");
    }
    SECTION("an origin that is no scheme://host[:port]: invalidOrigin, posted to any") {
        for (const std::string origin :
             {"https%3A%2F%2Fviewer.example.org%2Fpath", "javascript%3Aalert(1)",
              "https%3A%2F%2Fviewer.example.org%3A99999", "viewer.example.org",
              "https%3A%2F%2Fuser%40viewer.example.org"}) {
            Answer answer = daemon.get("/auth/token?messageId=m1&origin=" + origin);
            CHECK(error_of(answer) == "invalidOrigin");
            CHECK(json_string_of(script_value(answer.body, "origin")) == "*");
        }
    }
}

TEST_CASE(
    "auth: the token service refuses an origin [access] token_origins does not list: "
    "invalidOrigin, posted to that origin",
    "[auth_service]") {
    AuthDaemon daemon;
    const std::string cookie = signed_cookie(session(now() + 600), daemon.key());
    const std::string other = "https://other.example.org";
    Answer refused = daemon.token_for(other, cookie);
    CHECK(refused.status == 200);
    const std::string message = script_value(refused.body, "message");
    CHECK(keys_of(message) ==
          std::vector<std::string>{"@context", "type", "profile", "heading", "note", "messageId"});
    CHECK(json_text(message, "type") == "AuthAccessTokenError2");
    CHECK(json_text(message, "profile") == "invalidOrigin");
    CHECK(json_text(message, "messageId") == "m1");
    CHECK(json_array(message, "heading.en") ==
          std::vector<std::string>{"This viewer may not show these images"});
    CHECK(json_string_of(script_value(refused.body, "origin")) == other);
    CHECK_THAT(daemon.iiifd().log(),
               Catch::Contains("auth: no access token for https://other.example.org"));

    // Nor by the address alone (profile external).
    AuthDaemon campus("[policies.campus]\nkind = \"network\"\nnetworks = [\"127.0.0.0/8\"]\n");
    CHECK(json_text(script_value(campus.token_for(other, "").body, "message"), "profile") ==
          "invalidOrigin");
    CHECK(json_text(script_value(campus.token("").body, "message"), "type") == "AuthAccessToken2");

    // The listed origin, however its default port is written, gets its token.
    for (const std::string& origin : {std::string(kViewer), std::string(kViewer) + ":443"}) {
        INFO(origin);
        Answer allowed = daemon.token_for(origin, cookie);
        CHECK(json_text(script_value(allowed.body, "message"), "type") == "AuthAccessToken2");
        CHECK(json_string_of(script_value(allowed.body, "origin")) == origin);
    }
}

TEST_CASE("auth: without token_origins the token service serves this site's own origin alone",
          "[auth_service]") {
    AuthDaemon daemon(alice(), "");
    const std::string cookie = signed_cookie(session(now() + 600), daemon.key());
    CHECK(json_text(script_value(daemon.token_for("http://127.0.0.1:8080", cookie).body, "message"),
                    "type") == "AuthAccessToken2");
    CHECK(json_text(script_value(daemon.token_for(kViewer, cookie).body, "message"), "profile") ==
          "invalidOrigin");
}

TEST_CASE("auth: token_origins [\"*\"] lets the token service serve any origin", "[auth_service]") {
    AuthDaemon daemon(alice(), "token_origins = [\"*\"]\n");
    const std::string cookie = signed_cookie(session(now() + 600), daemon.key());
    for (const std::string origin : {"https://other.example.org", "http://127.0.0.1:8080"}) {
        INFO(origin);
        CHECK(json_text(script_value(daemon.token_for(origin, cookie).body, "message"), "type") ==
              "AuthAccessToken2");
    }
}

TEST_CASE("auth: what the token page's script holds cannot end or change the script",
          "[auth_service]") {
    AuthDaemon daemon;
    // </script><script>alert(1)</script>, then U+2028
    Answer answer = daemon.token("", "%3C%2Fscript%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E%E2%80%A8");
    CHECK(answer.body.find("</script><script>") == std::string::npos);
    CHECK(answer.body.find("\xE2\x80\xA8") == std::string::npos);
    const std::string message = script_value(answer.body, "message");
    CHECK_THAT(message, Catch::Contains(R"("messageId":"\u003c/script\u003e\u003cscript)"));
    CHECK(json_text(message, "messageId") == "</script><script>alert(1)</script>\xE2\x80\xA8");
}

TEST_CASE("auth: from a network policy's networks, the token service gives a network token",
          "[auth_service]") {
    AuthDaemon daemon(
        "[policies.campus]\nkind = \"network\"\nnetworks = [\"127.0.0.0/8\", \"::1\"]\n"
        "[policies.annex]\nkind = \"network\"\nnetworks = [\"192.0.2.0/24\"]\n"
        "[policies.readers]\nkind = \"token\"\nnetworks = [\"127.0.0.1\"]\n");
    const std::int64_t before = now();
    const std::string message = script_value(daemon.token("").body, "message");
    CHECK(json_text(message, "type") == "AuthAccessToken2");
    std::optional<iiif::AccessCredential> token =
        iiif::verify_credential(json_text(message, "accessToken"), daemon.key(), now());
    REQUIRE(token);
    CHECK(token->kind == iiif::AccessCredential::Kind::token);
    CHECK(token->subject.empty());
    CHECK(token->groups == std::vector<std::string>{"network:campus"});
    CHECK(token->expires >= before + 3600);
    CHECK(token->expires <= now() + 3600);
}

TEST_CASE(
    "auth: behind a trusted proxy the client is the last address X-Forwarded-For names "
    "that is no trusted proxy",
    "[auth_service]") {
    AuthDaemon daemon("[policies.annex]\nkind = \"network\"\nnetworks = [\"192.0.2.0/24\"]\n");
    auto type_for = [&](const std::string& forwarded) {
        return json_text(
            script_value(daemon.token("", "m1", {"X-Forwarded-For: " + forwarded}).body, "message"),
            "type");
    };
    CHECK(type_for("192.0.2.10") == "AuthAccessToken2");
    CHECK(type_for("192.0.2.10, 127.0.0.1") == "AuthAccessToken2");
    // A client's own X-Forwarded-For is at the beginning; the proxy adds the real address last.
    CHECK(type_for("192.0.2.10, 203.0.113.5") == "AuthAccessTokenError2");
    CHECK(type_for("203.0.113.5") == "AuthAccessTokenError2");
}

TEST_CASE("auth: X-Forwarded-For from a peer that is no trusted proxy is ignored",
          "[auth_service]") {
    AuthDaemon daemon("[policies.annex]\nkind = \"network\"\nnetworks = [\"192.0.2.0/24\"]\n",
                      kViewerAllowed + "trusted_proxies = [\"192.0.2.1\"]\n");
    const std::string message =
        script_value(daemon.token("", "m1", {"X-Forwarded-For: 192.0.2.10"}).body, "message");
    CHECK(json_text(message, "profile") == "missingAspect");
}

TEST_CASE("auth: logout clears the cookie", "[auth_service]") {
    AuthDaemon daemon;
    Answer answer = daemon.get("/auth/logout");
    CHECK(answer.status == 200);
    CHECK(answer.header("cache-control") == "no-store");
    CHECK(answer.all("set-cookie") ==
          std::vector<std::string>{"iiif_access=; Path=/; HttpOnly; Max-Age=0; SameSite=Lax"});
    CHECK_THAT(answer.body, Catch::Contains("<h1>You are signed out</h1>"));
}

TEST_CASE("auth: the key file is made with mode 0600 and kept across restarts", "[auth_service]") {
    AuthDaemon daemon;
    struct stat status {};
    REQUIRE(stat(daemon.key_path().c_str(), &status) == 0);
    CHECK((status.st_mode & 07777) == 0600);
    const std::string key = daemon.key();
    CHECK(key.size() == 64);
    const std::string cookie = signed_cookie(session(now() + 600), key);

    CHECK(daemon.iiifd().stop() == 0);
    daemon.iiifd().start();
    CHECK(daemon.key() == key);
    CHECK(json_text(script_value(daemon.token(cookie).body, "message"), "type") ==
          "AuthAccessToken2");
}
