// The server: its limits and threads, who may call /api/ (before any route), errors turned
// into answers, and the route table; the handlers are in the *_routes.cpp files
// (http_routes.hpp).
#include "http_api.hpp"

#include <httplib.h>
#include <jansson.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <thread>
#include <variant>

#include "api_auth.hpp"
#include "auth_service.hpp"
#include "encoding.hpp"
#include "http_routes.hpp"
#include "iiif_error.hpp"
#include "json.hpp"

namespace iiifd {
namespace {

// Threads beyond the OAI requests admitted at once: deposits, job polls, and the quick 503s.
constexpr int kSpareThreads = 8;

std::string default_reason(int status) {
    switch (status) {
        case 400:
            return "bad request";
        case 401:
            return "missing or invalid API key";
        case 404:
            return "not found";
        case 405:
            return "method not allowed";
        case 413:
            return "payload too large";
        case 414:
            return "URI too long";
        case 415:
            return "unsupported media type";
        case 416:
            return "range not satisfiable";
        case 503:
            return "service unavailable";
        default:
            return status >= 500 ? "internal error" : "request refused";
    }
}

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

void send_json(httplib::Response& res, int status, const std::string& body) {
    res.status = status;
    res.set_content(body, "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
    // Unavailable for now (the job queue down, too many requests): when to ask again.
    if (status == 503 && !res.has_header("Retry-After")) res.set_header("Retry-After", "5");
    iiif::Json body(json_object());
    json_object_set_new(body.get(), "error", json_string(message.c_str()));
    send_json(res, status, iiif::json_text(body.get()));
}

std::string small_body(const httplib::ContentReader& content_reader, httplib::Response& res) {
    std::string body;
    bool too_large = false;
    bool ok = content_reader([&](const char* data, size_t length) {
        body.append(data, length);
        too_large = body.size() > kMaxMetadataBytes;
        return !too_large;
    });
    if (too_large || (!ok && res.status == 413))
        throw iiif::IiifError(
            413, "the body is larger than " + std::to_string(kMaxMetadataBytes) + " bytes");
    if (!ok) throw iiif::IiifError(400, "the body could not be read");
    return body;
}

int limit_param(const httplib::Request& req, int otherwise, int most) {
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

iiif::CatalogReader::Position cursor_param(const httplib::Request& req) {
    const std::string cursor = req.get_param_value("cursor");
    if (cursor.empty()) return {};
    std::optional<iiif::CatalogReader::Position> position = position_of_cursor(cursor);
    if (!position) throw iiif::IiifError(400, "cursor: not a cursor this API gave");
    return *position;
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
    PublicRoutes public_routes;
    httplib::Server server;

    Impl(const DaemonConfig& c, iiif::CatalogWriter& catalog, RedisPool& redis,
         const Deposits& accepting)
        : config(c),
          oai(c, catalog),
          auth(c),
          api_auth(c, auth),
          deposits(c, catalog, redis, accepting, api_auth),
          public_routes(catalog) {}

    void set_up();
    void routes();
};

void HttpApi::Impl::set_up() {
    server.set_payload_max_length(static_cast<size_t>(deposit_payload_limit(config)));
    const int threads = config.oai.max_concurrent + kSpareThreads;
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };

    // /api/ needs an API key, or the session of a user who may deposit (the deposit page;
    // api_auth.hpp); /api/v1/public/ (the list page's listing and search) needs nothing.
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        if (!req.path.starts_with("/api/") || req.path.starts_with("/api/v1/public/"))
            return httplib::Server::HandlerResponse::Unhandled;
        const std::variant<ApiCaller, iiif::IiifError> caller = api_auth.caller(req);
        const iiif::IiifError* refusal = std::get_if<iiif::IiifError>(&caller);
        if (refusal == nullptr) return httplib::Server::HandlerResponse::Unhandled;
        if (refusal->status == 401) res.set_header("WWW-Authenticate", "Bearer");
        send_error(res, refusal->status, refusal->reason);
        return httplib::Server::HandlerResponse::Handled;
    });
    server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (res.body.empty()) send_error(res, res.status, default_reason(res.status));
    });
    server.set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr exception) {
            try {
                std::rethrow_exception(exception);
            } catch (const iiif::IiifError& error) {
                if (error.status >= 500)
                    spdlog::error("{} {}: {}", req.method, req.path, error.reason);
                send_error(res, error.status, error.reason);
            } catch (const RedisUnavailable& error) {
                spdlog::warn("{} {}: {}", req.method, req.path, error.what());
                send_error(res, 503, "the job queue (Redis) is unavailable");
            } catch (const std::exception& error) {
                spdlog::error("{} {}: {}", req.method, req.path, error.what());
                send_error(res, 500, "internal error");
            }
        });
    server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
        spdlog::debug("{} {} {}", req.method, req.path, res.status);
    });
}

void HttpApi::Impl::routes() {
    using Req = httplib::Request;
    using Res = httplib::Response;
    using Reader = httplib::ContentReader;

    server.Post("/api/v1/objects", [this](const Req& req, Res& res, const Reader& reader) {
        deposits.deposit(req, res, reader);
    });
    server.Get("/api/v1/session", [this](const Req& req, Res& res) { deposits.session(req, res); });
    server.Get("/api/v1/public/objects",
               [this](const Req& req, Res& res) { public_routes.objects(req, res); });
    server.Get("/api/v1/public/sets",
               [this](const Req& req, Res& res) { public_routes.sets(req, res); });
    server.Get("/api/v1/jobs/([^/]+)",
               [this](const Req& req, Res& res) { deposits.job(req, res); });
    server.Get("/api/v1/objects", [this](const Req& req, Res& res) { deposits.list(req, res); });
    server.Get("/api/v1/objects/(.+)",
               [this](const Req& req, Res& res) { deposits.object(req, res); });
    server.Get("/oai", [this](const Req& req, Res& res) { oai.respond(req, res, nullptr); });
    server.Post("/oai", [this](const Req& req, Res& res, const Reader& reader) {
        oai.respond(req, res, &reader);
    });
    // IIIF Authorization Flow 2.0 (auth_service.hpp); nginx proxies /auth/ here.
    server.Get("/auth/login", [this](const Req& req, Res& res) { auth.login_form(req, res); });
    server.Post("/auth/login", [this](const Req& req, Res& res, const Reader& reader) {
        auth.login(req, res, reader);
    });
    server.Get("/auth/token", [this](const Req& req, Res& res) { auth.token(req, res); });
    server.Get("/auth/logout", [this](const Req& req, Res& res) { auth.logout(req, res); });
    for (const auto& [path, action] :
         {std::pair{"/api/v1/objects/(.+)/withdraw", TakedownAction::withdraw},
          std::pair{"/api/v1/objects/(.+)/reinstate", TakedownAction::reinstate},
          std::pair{"/api/v1/objects/(.+)/purge", TakedownAction::purge}}) {
        server.Post(path, [this, action = action](const Req& req, Res& res, const Reader& reader) {
            deposits.takedown(req, res, reader, action);
        });
    }
    server.Patch("/api/v1/objects/(.+)", [this](const Req& req, Res& res, const Reader& reader) {
        deposits.patch(req, res, reader);
    });
}

HttpApi::HttpApi(const DaemonConfig& config, iiif::CatalogWriter& catalog, RedisPool& redis,
                 const Deposits& deposits)
    : impl_(std::make_unique<Impl>(config, catalog, redis, deposits)) {
    impl_->set_up();
    impl_->routes();
}

HttpApi::~HttpApi() = default;

void HttpApi::bind() {
    if (!impl_->server.bind_to_port(impl_->config.listen_host, impl_->config.listen_port))
        throw std::runtime_error("cannot listen on " + impl_->config.listen_host + ":" +
                                 std::to_string(impl_->config.listen_port));
}

void HttpApi::serve() {
    impl_->server.listen_after_bind();
}

void HttpApi::stop() {
    // stop() does nothing to a server not yet listening: give serve() a moment to begin.
    for (int i = 0; i < 100 && !impl_->server.is_running(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    impl_->server.stop();
}

}  // namespace iiifd
