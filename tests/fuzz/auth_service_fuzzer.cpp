// libFuzzer target: iiifd's side of credentials and cookies. A request built from the input is
// asked who calls the deposit API (ApiAuth::caller: an API key, or a session cookie with this
// site's Origin), and answered by the Auth 2.0 services (AuthService: the session it carries,
// the token service's page, the sign-in form, a sign-in with an API key or a form the sign-in
// refuses, the sign-out), as http_api.cpp routes them.
//
// Input: one byte choosing the method and the peer (a trusted proxy or not), header lines
// "Name: value" up to an empty line, the query (the token service's messageId and origin) on
// one line, then the sign-in form's body. In a header, "$session" stands for a valid session
// cookie of a depositor, "$expired" for an expired one, "$token" for an access token, so that
// what follows a good signature is reached too.
//
// What must hold: nothing crashes or throws; the API is opened only by the configured key or a
// valid depositor's session (with this site's Origin on a change); a token is posted only to a
// valid origin; no text of the request reaches a page but escaped (every '<' of a page opens
// one of the pages' own elements, and a script holds none); no header value holds a line break.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "api_auth.hpp"
#include "audit_log.hpp"
#include "auth_service.hpp"
#include "catalog.hpp"
#include "clock.hpp"
#include "directory.hpp"
#include "encoding.hpp"
#include "http_message.hpp"
#include "iiif_error.hpp"

namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef-fuzz-key";
const std::string kApiKey = "an-api-key-of-the-configuration";
const std::string kOrigin = "https://images.example.org";

struct Service {
    std::string key_file;
    std::string directory_path;  // the catalog and audit log of the directory
    iiifd::DaemonConfig config;
    std::unique_ptr<iiif::CatalogWriter> catalog;
    std::unique_ptr<iiifd::AuditLog> audit;
    std::unique_ptr<iiifd::Directory> directory;
    std::unique_ptr<iiifd::AuthService> auth;
    std::unique_ptr<iiifd::ApiAuth> api;
    ~Service() {
        api.reset();
        auth.reset();
        directory.reset();
        catalog.reset();
        std::filesystem::remove(key_file);
        std::filesystem::remove_all(directory_path);
    }
};

Service& service() {
    static Service service;
    if (service.auth) return service;
    spdlog::set_level(spdlog::level::off);
    char path[] = "/tmp/auth_service_fuzzer.XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0 || write(fd, kKey.data(), kKey.size()) != static_cast<ssize_t>(kKey.size()))
        std::abort();
    close(fd);
    service.key_file = path;
    iiifd::DaemonConfig& config = service.config;
    config.public_base_url = kOrigin;
    config.institution = "Bibliothèque <d'essai>";
    config.api_keys = {kApiKey};
    config.deposit_groups = {"depositors"};
    config.access.key_file = path;
    config.access.remote_user_header = "X-Remote-User";
    config.access.trusted_proxies = {*iiif::parse_network("127.0.0.1"),
                                     *iiif::parse_network("::1")};
    // No password: a sign-in with one would cost an argon2 hash per input.
    config.access.users = {{"alice", "", {"depositors"}}, {"bob", "", {"readers"}}};
    iiif::AccessPolicy campus;
    campus.name = "campus";
    campus.kind = iiif::PolicyKind::network;
    campus.networks = {*iiif::parse_network("10.0.0.0/8")};
    config.access.policies = {campus};
    char directory[] = "/tmp/auth_service_fuzzer_directory.XXXXXX";
    if (mkdtemp(directory) == nullptr) std::abort();
    service.directory_path = directory;
    std::string error;
    service.catalog =
        iiif::CatalogWriter::open(service.directory_path + "/catalog.mdb", &error);
    if (!service.catalog) std::abort();
    service.audit = std::make_unique<iiifd::AuditLog>(service.directory_path + "/audit.log");
    service.directory =
        std::make_unique<iiifd::Directory>(config, *service.catalog, *service.audit);
    service.directory->bootstrap();
    service.auth = std::make_unique<iiifd::AuthService>(config, *service.directory);
    service.api = std::make_unique<iiifd::ApiAuth>(*service.directory, *service.auth);
    return service;
}

std::string credential(iiif::AccessCredential::Kind kind, std::int64_t expires) {
    iiif::AccessCredential credential;
    credential.kind = kind;
    credential.subject = "alice";
    credential.groups = {"depositors"};
    credential.expires = expires;
    return iiif::sign_credential(credential, kKey);
}

void replace_all(std::string& text, std::string_view marker, const std::string& by) {
    for (size_t at = text.find(marker); at != std::string::npos;
         at = text.find(marker, at + by.size()))
        text.replace(at, marker.size(), by);
}

// Every '<' of a page opens (or closes) one of the elements the pages are made of, and the
// one script holds none.
void check_page(const iiifd::HttpResponse& res) {
    static constexpr std::string_view kElements[] = {
        "!DOCTYPE html>", "html",  "head",  "meta",   "title", "style",
        "body",           "main",  "h1",    "p",      "form",  "fieldset",
        "legend",         "label", "input", "button", "script"};
    const std::string& body = res.body;
    for (size_t at = body.find('<'); at != std::string::npos; at = body.find('<', at + 1)) {
        std::string_view tag = std::string_view(body).substr(at + 1);
        if (tag.starts_with('/')) tag.remove_prefix(1);
        bool known = false;
        for (std::string_view element : kElements)
            if (tag.starts_with(element) &&
                (element.ends_with('>') || tag.size() > element.size()) &&
                (element.ends_with('>') || tag[element.size()] == '>' ||
                 tag[element.size()] == ' '))
                known = true;
        if (!known) std::abort();
    }
    const size_t script = body.find("<script>");
    if (script != std::string::npos) {
        const size_t end = body.find("</script>", script);
        if (end == std::string::npos || body.find('<', script + 1) != end ||
            body.find("<script", end) != std::string::npos)
            std::abort();
    }
    for (const auto& [name, value] : res.headers)
        if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) std::abort();
}

void check_caller(const Service& service, const iiifd::HttpRequest& req) {
    std::variant<iiifd::ApiCaller, iiif::IiifError> caller = service.api->caller(req);
    if (const auto* refusal = std::get_if<iiif::IiifError>(&caller)) {
        if (refusal->status != 401 && refusal->status != 403) std::abort();
        return;
    }
    const iiifd::ApiCaller& who = std::get<iiifd::ApiCaller>(caller);
    const std::string authorization = req.get_header_value("Authorization");
    if (who.via == iiifd::ApiCaller::Via::key) {
        if (authorization.size() != 7 + kApiKey.size() ||
            std::string_view(authorization).substr(7) != kApiKey ||
            who.account.role != iiifd::Role::administrator)
            std::abort();
        return;
    }
    // A session: a valid one of an account (alice, an editor, or someone unknown: a reader), and
    // from this site when it changes something.
    const std::optional<iiif::AccessCredential> session = service.auth->session(req);
    if (!session || session->subject != who.account.name) std::abort();
    if (who.account.role != (session->subject == "alice" ? iiifd::Role::editor
                                                          : iiifd::Role::reader))
        std::abort();
    if (req.method != "GET" && req.method != "HEAD" &&
        iiifd::origin_of(req.get_header_value("Origin")) != kOrigin)
        std::abort();
}

void check_token_page(const iiifd::HttpRequest& req, const iiifd::HttpResponse& res) {
    check_page(res);
    if (res.body.find("\"accessToken\"") == std::string::npos) return;
    const std::string origin = req.get_param_value("origin");
    if (!iiifd::is_origin(origin)) std::abort();
}

// A form the sign-in would check a password of (an argon2 hash, a tenth of a second).
bool hashes(const std::string& body) {
    const std::vector<std::pair<std::string, std::string>> fields = iiif::form_fields(body);
    auto field = [&fields](std::string_view name) {
        auto found = std::find_if(fields.begin(), fields.end(),
                                  [&](const auto& pair) { return pair.first == name; });
        return found != fields.end() && !found->second.empty();
    };
    return !field("api_key") && field("username") && field("password");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    Service& fixture = service();
    static constexpr const char* kMethods[] = {"GET", "POST", "HEAD", "PATCH"};
    static constexpr const char* kPeers[] = {"203.0.113.9", "127.0.0.1", "10.2.3.4", "::1"};
    iiifd::HttpRequest req;
    req.method = kMethods[data[0] % 4];
    req.remote_addr = kPeers[(data[0] >> 2) % 4];
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

    const std::int64_t now = iiif::now_seconds();
    const std::string session = credential(iiif::AccessCredential::Kind::session, now + 3600);
    const std::string expired = credential(iiif::AccessCredential::Kind::session, now - 1);
    const std::string token = credential(iiif::AccessCredential::Kind::token, now + 3600);
    for (;;) {
        const size_t end = input.find('\n');
        if (end == std::string_view::npos) return 0;
        std::string_view line = input.substr(0, end);
        input.remove_prefix(end + 1);
        if (line.empty()) break;
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string value(line.substr(colon + 1));
        if (value.starts_with(' ')) value.erase(0, 1);
        replace_all(value, "$session", session);
        replace_all(value, "$expired", expired);
        replace_all(value, "$token", token);
        req.headers.emplace_back(std::string(line.substr(0, colon)), value);
    }
    const size_t end = input.find('\n');
    req.params = iiif::form_fields(input.substr(0, end));
    req.body = std::string(end == std::string_view::npos ? "" : input.substr(end + 1));

    check_caller(fixture, req);
    {
        iiifd::HttpResponse res;
        fixture.auth->token(req, res);
        check_token_page(req, res);
    }
    {
        iiifd::HttpResponse res;
        fixture.auth->login_form(req, res);
        check_page(res);
    }
    if (!hashes(req.body)) {
        iiifd::HttpResponse res;
        fixture.auth->login(req, res);
        check_page(res);
    }
    {
        iiifd::HttpResponse res;
        fixture.auth->logout(req, res);
        check_page(res);
    }
    for (const char* name : {"Origin", "Referer"}) {
        const std::string value = req.get_header_value(name);
        if (iiifd::is_origin(value) && iiifd::origin_of(value).empty()) std::abort();
    }
    return 0;
}
