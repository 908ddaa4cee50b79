// The API on HttpServer: its limits and threads, who may call /api/ (before any route and any
// body), errors turned into answers, and the route table; the handlers are in the
// *_routes.cpp files (http_routes.hpp).
#include "http_api.hpp"

#include <jansson.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <optional>
#include <tuple>
#include <variant>

#include "api_auth.hpp"
#include "ark.hpp"
#include "auth_service.hpp"
#include "encoding.hpp"
#include "http_routes.hpp"
#include "http_server.hpp"
#include "iiif_error.hpp"
#include "json.hpp"

namespace iiifd {
namespace {

// Threads beyond the OAI requests admitted at once: deposits, job polls, and the quick 503s.
constexpr int kSpareThreads = 8;

// Lowercase hex digits only, as cursor_of writes them.
std::optional<std::string> unhex(std::string_view text) {
    if (text.size() % 2 != 0) return std::nullopt;
    auto digit = [](char c) { return c >= 'A' && c <= 'F' ? -1 : iiif::hex_digit_value(c); };
    std::string bytes;
    for (size_t i = 0; i < text.size(); i += 2) {
        int high = digit(text[i]), low = digit(text[i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        bytes += static_cast<char>(high * 16 + low);
    }
    return bytes;
}

// The listing's cursor: the position of the last object of a page, opaque to clients.
std::string cursor_of(const iiif::CatalogReader::Position& position) {
    return iiif::hex_encode(std::to_string(position.datestamp) + ":" + position.ark);
}

std::optional<iiif::CatalogReader::Position> position_of_cursor(std::string_view cursor) {
    std::optional<std::string> text = unhex(cursor);
    if (!text) return std::nullopt;
    size_t colon = text->find(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    iiif::CatalogReader::Position position;
    try {
        size_t used = 0;
        position.datestamp = std::stoll(text->substr(0, colon), &used);
        if (used != colon || position.datestamp < 0) return std::nullopt;
    } catch (const std::exception&) {
        return std::nullopt;
    }
    position.ark = text->substr(colon + 1);
    return position;
}

}  // namespace

void send_json(HttpResponse& res, int status, const std::string& body) {
    res.status = status;
    res.set_content(body, "application/json");
}

void send_owned(HttpResponse& res, int status, json_t* owned) {
    iiif::Json body(owned);
    res.set_header("Cache-Control", "no-store");
    send_json(res, status, iiif::json_text(body.get()));
}

void send_error(HttpResponse& res, int status, const std::string& message) {
    // Unavailable for now (the job queue down, too many requests): when to ask again.
    if (status == 503 && !res.has_header("Retry-After")) res.set_header("Retry-After", "5");
    iiif::Json body(json_object());
    json_object_set_new(body.get(), "error", json_string(message.c_str()));
    send_json(res, status, iiif::json_text(body.get()));
}

int limit_param(const HttpRequest& req, int otherwise, int most) {
    if (!req.has_param("limit")) return otherwise;
    const std::string text = req.get_param_value("limit");
    int limit = 0;
    try {
        size_t used = 0;
        limit = std::stoi(text, &used);
        if (used != text.size()) limit = 0;
    } catch (const std::exception&) {
        limit = 0;
    }
    if (limit < 1 || limit > most)
        throw iiif::IiifError(400,
                              "limit: an integer from 1 to " + std::to_string(most) + " expected");
    return limit;
}

// Nothing under or after the object's name: otherwise a page, a variant or a path such as
// "{ark}%2F..%2Fstaging" would reach the object itself, since the catalog looks every ARK up by
// its base object.
std::string object_ark(const HttpRequest& req) {
    std::string ark = req.matches[1];
    if (ark.size() > iiif::kMaxArkLength)
        throw iiif::IiifError(
            400, "identifier: longer than " + std::to_string(iiif::kMaxArkLength) + " characters");
    if (!iiif::parse_object_ark(ark))
        throw iiif::IiifError(404, "not an object's ARK (nothing may follow its name)");
    return ark;
}

iiif::CatalogReader::Position cursor_param(const HttpRequest& req) {
    const std::string cursor = req.get_param_value("cursor");
    if (cursor.empty()) return {};
    std::optional<iiif::CatalogReader::Position> position = position_of_cursor(cursor);
    if (!position) throw iiif::IiifError(400, "cursor: not a cursor this API gave");
    return *position;
}

ApiCaller api_caller(const ApiAuth& auth, const HttpRequest& req) {
    std::variant<ApiCaller, iiif::IiifError> caller = auth.caller(req);
    if (const iiif::IiifError* refusal = std::get_if<iiif::IiifError>(&caller)) throw *refusal;
    return std::get<ApiCaller>(std::move(caller));
}

ApiCaller require_role(const ApiAuth& auth, const HttpRequest& req, Role role, const char* what) {
    ApiCaller caller = api_caller(auth, req);
    if (!caller.is(role))
        throw iiif::IiifError(403, std::string(what) + (role == Role::administrator
                                                            ? ": administrators only"
                                                            : ": editors and administrators only"));
    return caller;
}

json_t* next_cursor_json(const std::vector<iiif::ObjectRecord>& records, int limit) {
    if (records.size() != static_cast<size_t>(limit)) return json_null();
    return json_string(cursor_of(iiif::CatalogReader::position_of(records.back())).c_str());
}

struct HttpApi::Impl {
    const DaemonConfig& config;
    OaiRoutes oai;
    AuthService auth;
    ApiAuth api_auth;
    DepositRoutes deposits;
    PartnerRoutes partners;
    DirectoryRoutes directory_routes;
    AccessRoutes access_routes;
    HealthRoutes health;
    MetricsRoutes metrics_routes;
    ImportRoutes imports;
    PublicRoutes public_routes;
    HttpServer server;

    Impl(const DaemonConfig& c, iiif::CatalogWriter& catalog, RedisPool& redis,
         const Deposits& accepting, PartnerRegistry& registry, ObjectChanges& changes,
         HarvestScheduler& scheduler, Directory& directory, AccessRegistry& access,
         Metrics& metrics)
        : config(c),
          oai(c, catalog, metrics),
          auth(c, directory),
          api_auth(directory, auth),
          deposits(c, catalog, redis, accepting, api_auth, changes, directory),
          partners(c, registry, api_auth, scheduler, directory, access),
          directory_routes(directory, api_auth),
          access_routes(access, api_auth, c),
          health(c, redis),
          metrics_routes(c, redis, metrics, catalog.reader()),
          imports(c, catalog, api_auth),
          public_routes(catalog, registry, directory),
          server(
              limits(c),
              [this](const HttpRequest& req, HttpResponse& res, std::shared_ptr<void>& held) {
                  return gate(req, res, held);
              },
              answer_error,
              [](HttpResponse& res, int status, const std::string& reason) {
                  send_error(res, status, reason);
              }) {}

    static HttpServer::Limits limits(const DaemonConfig& config);
    bool gate(const HttpRequest& req, HttpResponse& res, std::shared_ptr<void>& held);
    static void answer_error(const HttpRequest& req, HttpResponse& res,
                             std::exception_ptr exception);
    void routes();
};

HttpServer::Limits HttpApi::Impl::limits(const DaemonConfig& config) {
    HttpServer::Limits limits;
    limits.worker_threads = config.oai.max_concurrent + kSpareThreads;
    limits.max_connections = static_cast<unsigned>(config.http_max_connections);
    limits.header_timeout = std::chrono::seconds(config.http_header_timeout);
    limits.body_timeout = std::chrono::seconds(config.http_body_timeout);
    limits.idle_timeout = std::chrono::seconds(config.http_idle_timeout);
    limits.small_body = kMaxMetadataBytes;
    limits.upload_body = deposit_payload_limit(config);
    return limits;
}

// Before any route and any body: /oai admits max_concurrent requests at once; /api/ needs an
// account's API key or session (api_auth.hpp), whose role each route then checks;
// /api/v1/public/ (the list page's listing and search) needs nothing.
bool HttpApi::Impl::gate(const HttpRequest& req, HttpResponse& res, std::shared_ptr<void>& held) {
    if (req.path == "/oai") return oai.refuse_beyond_limit(req, res, held);
    if (!req.path.starts_with("/api/") || req.path.starts_with("/api/v1/public/")) return false;
    const std::variant<ApiCaller, iiif::IiifError> caller = api_auth.caller(req);
    const iiif::IiifError* refusal = std::get_if<iiif::IiifError>(&caller);
    if (refusal == nullptr) return false;
    res.status = refusal->status;
    if (refusal->status == 401) res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, refusal->status, refusal->reason);
    return true;
}

void HttpApi::Impl::answer_error(const HttpRequest& req, HttpResponse& res,
                                 std::exception_ptr exception) {
    try {
        std::rethrow_exception(exception);
    } catch (const iiif::IiifError& error) {
        if (error.status >= 500) spdlog::error("{} {}: {}", req.method, req.path, error.reason);
        send_error(res, error.status, error.reason);
    } catch (const RedisUnavailable& error) {
        spdlog::warn("{} {}: {}", req.method, req.path, error.what());
        send_error(res, 503, "the job queue (Redis) is unavailable");
    } catch (const std::exception& error) {
        spdlog::error("{} {}: {}", req.method, req.path, error.what());
        send_error(res, 500, "internal error");
    }
}

void HttpApi::Impl::routes() {
    using Req = HttpRequest;
    using Res = HttpResponse;

    server.upload_route("POST", "/api/v1/objects",
                        [this](const Req& req) { return deposits.deposit(req); });
    server.route("GET", "/api/v1/session",
                 [this](const Req& req, Res& res) { deposits.session(req, res); });
    server.route("GET", "/api/v1/public/objects",
                 [this](const Req& req, Res& res) { public_routes.objects(req, res); });
    server.route("GET", "/api/v1/public/objects/(.+)",
                 [this](const Req& req, Res& res) { public_routes.object(req, res); });
    server.route("GET", "/api/v1/public/import-template.csv",
                 [this](const Req& req, Res& res) { imports.template_csv(req, res); });
    server.route("GET", "/api/v1/public/import-columns",
                 [this](const Req& req, Res& res) { imports.columns(req, res); });
    server.route("POST", "/api/v1/imports/check",
                 [this](const Req& req, Res& res) { imports.check(req, res); });
    server.route("GET", "/api/v1/public/sets",
                 [this](const Req& req, Res& res) { public_routes.sets(req, res); });
    server.route("GET", "/api/v1/jobs/([^/]+)",
                 [this](const Req& req, Res& res) { deposits.job(req, res); });
    server.route("GET", "/api/v1/objects",
                 [this](const Req& req, Res& res) { deposits.list(req, res); });
    server.route("GET", "/api/v1/partners",
                 [this](const Req& req, Res& res) { partners.list(req, res); });
    server.route("GET", "/api/v1/partners/([^/]+)",
                 [this](const Req& req, Res& res) { partners.one(req, res); });
    server.route("GET", "/api/v1/partners/([^/]+)/harvests",
                 [this](const Req& req, Res& res) { partners.harvests(req, res); });
    server.route("POST", "/api/v1/partners/([^/]+)/harvests",
                 [this](const Req& req, Res& res) { partners.start_harvest(req, res); });
    server.route("GET", "/api/v1/partners/([^/]+)/report",
                 [this](const Req& req, Res& res) { partners.report(req, res); });
    server.route("PUT", "/api/v1/partners/([^/]+)",
                 [this](const Req& req, Res& res) { partners.put(req, res); });
    server.route("DELETE", "/api/v1/partners/([^/]+)",
                 [this](const Req& req, Res& res) { partners.remove(req, res); });
    for (const auto& [path, action] :
         {std::pair{"/api/v1/objects/(.+)/withdraw", TakedownAction::withdraw},
          std::pair{"/api/v1/objects/(.+)/reinstate", TakedownAction::reinstate},
          std::pair{"/api/v1/objects/(.+)/purge", TakedownAction::purge}}) {
        server.route("POST", path, [this, action = action](const Req& req, Res& res) {
            deposits.takedown(req, res, action);
        });
    }
    server.upload_route("POST", "/api/v1/objects/(.+)/pages",
                        [this](const Req& req) { return deposits.page_upload(req, false); });
    server.upload_route("PUT", "/api/v1/objects/(.+)/pages/(f[0-9]+)",
                        [this](const Req& req) { return deposits.page_upload(req, true); });
    server.route("GET", "/api/v1/objects/(.+)/pages",
                 [this](const Req& req, Res& res) { deposits.pages(req, res); });
    server.route("PUT", "/api/v1/objects/(.+)/pages",
                 [this](const Req& req, Res& res) { deposits.change_pages(req, res); });
    server.route("GET", "/api/v1/objects/(.+)",
                 [this](const Req& req, Res& res) { deposits.object(req, res); });
    server.route("PATCH", "/api/v1/objects/(.+)",
                 [this](const Req& req, Res& res) { deposits.patch(req, res); });
    using D = DirectoryRoutes;
    for (const auto& [method, path, handler] :
         {std::tuple{"GET", "/api/v1/institutions", &D::institutions},
          std::tuple{"PUT", "/api/v1/institutions/([^/]+)", &D::put_institution},
          std::tuple{"DELETE", "/api/v1/institutions/([^/]+)", &D::remove_institution},
          std::tuple{"GET", "/api/v1/accounts", &D::accounts},
          std::tuple{"POST", "/api/v1/accounts", &D::create_account},
          std::tuple{"GET", "/api/v1/accounts/([^/]+)", &D::account},
          std::tuple{"PATCH", "/api/v1/accounts/([^/]+)", &D::change_account},
          std::tuple{"GET", "/api/v1/accounts/([^/]+)/keys", &D::keys},
          std::tuple{"POST", "/api/v1/accounts/([^/]+)/keys", &D::create_key},
          std::tuple{"DELETE", "/api/v1/accounts/([^/]+)/keys/([^/]+)", &D::revoke_key},
          std::tuple{"GET", "/api/v1/audit", &D::audit},
          std::tuple{"GET", "/api/v1/shoulders", &D::shoulders},
          std::tuple{"POST", "/api/v1/shoulders", &D::create_shoulder},
          std::tuple{"PATCH", "/api/v1/shoulders/([^/]+)", &D::change_shoulder}}) {
        server.route(method, path, [this, handler = handler](const Req& req, Res& res) {
            (directory_routes.*handler)(req, res);
        });
    }
    using A = AccessRoutes;
    for (const auto& [method, path, handler] :
         {std::tuple{"GET", "/api/v1/policies", &A::policies},
          std::tuple{"PUT", "/api/v1/policies/([^/]+)", &A::put_policy},
          std::tuple{"DELETE", "/api/v1/policies/([^/]+)", &A::remove_policy},
          std::tuple{"PUT", "/api/v1/default-policy", &A::set_default_policy},
          std::tuple{"GET", "/api/v1/sets", &A::sets},
          std::tuple{"PUT", "/api/v1/sets/([^/]+)", &A::put_set},
          std::tuple{"DELETE", "/api/v1/sets/([^/]+)", &A::remove_set}}) {
        server.route(method, path, [this, handler = handler](const Req& req, Res& res) {
            (access_routes.*handler)(req, res);
        });
    }
    server.route("GET", "/health", [this](const Req& req, Res& res) { health.health(req, res); });
    server.route("GET", "/metrics",
                 [this](const Req& req, Res& res) { metrics_routes.metrics(req, res); });
    server.route("GET", "/oai", [this](const Req& req, Res& res) { oai.respond(req, res); });
    server.route("POST", "/oai", [this](const Req& req, Res& res) { oai.respond(req, res); });
    // IIIF Authorization Flow 2.0 (auth_service.hpp); nginx proxies /auth/ here.
    server.route("GET", "/auth/login",
                 [this](const Req& req, Res& res) { auth.login_form(req, res); });
    server.route("POST", "/auth/login", [this](const Req& req, Res& res) { auth.login(req, res); });
    server.route("GET", "/auth/token", [this](const Req& req, Res& res) { auth.token(req, res); });
    server.route("GET", "/auth/logout",
                 [this](const Req& req, Res& res) { auth.logout(req, res); });
}

HttpApi::HttpApi(const DaemonConfig& config, iiif::CatalogWriter& catalog, RedisPool& redis,
                 const Deposits& deposits, PartnerRegistry& partners, ObjectChanges& changes,
                 HarvestScheduler& scheduler, Directory& directory, AccessRegistry& access,
                 Metrics& metrics)
    : impl_(std::make_unique<Impl>(config, catalog, redis, deposits, partners, changes, scheduler,
                                   directory, access, metrics)) {
    impl_->routes();
}

HttpApi::~HttpApi() = default;

void HttpApi::bind() {
    impl_->server.bind(impl_->config.listen_host, impl_->config.listen_port);
}

void HttpApi::serve() {
    try {
        impl_->server.listen();
    } catch (const std::exception& failure) {
        // Without its HTTP face iiifd is of no use: stop it as a signal would.
        spdlog::critical("{}", failure.what());
        ::kill(::getpid(), SIGTERM);
    }
}

void HttpApi::stop() {
    impl_->server.stop();
}

}  // namespace iiifd
