#include "http_api.hpp"

#include <fcntl.h>
#include <httplib.h>
#include <jansson.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <mutex>
#include <thread>
#include <variant>

#include "access_config.hpp"
#include "api_auth.hpp"
#include "auth_service.hpp"
#include "clock.hpp"
#include "iiif_error.hpp"
#include "ingest.hpp"
#include "json.hpp"
#include "oai_provider.hpp"
#include "oai_request.hpp"
#include "presentation.hpp"
#include "storage.hpp"

namespace iiifd {
namespace {

namespace fs = std::filesystem;

// The whole of one deposit, whatever the per-file limits multiply to.
constexpr std::int64_t kMaxDepositBytes = std::int64_t{32} << 30;
constexpr size_t kMaxMetadataBytes = 1 << 20;
constexpr size_t kWriteBuffer = 1 << 20;
constexpr int kDefaultListLimit = 100;
constexpr int kMaxListLimit = 1000;
// The public listing (the list page): a page of cards, and a search's words.
constexpr int kDefaultPublicLimit = 24;
constexpr int kMaxPublicLimit = 100;
constexpr size_t kMaxQueryBytes = 200;
// An OAI-PMH POST body is a handful of arguments; a resumption token is under 400 bytes.
constexpr size_t kMaxOaiBody = 64 << 10;
// Threads beyond the OAI requests admitted at once: deposits, job polls, and the quick 503s.
constexpr int kSpareThreads = 8;

using iiif::Json;

using iiif::json_text;

void send_json(httplib::Response& res, int status, const std::string& body) {
    res.status = status;
    res.set_content(body, "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
    Json body(json_object());
    json_object_set_new(body.get(), "error", json_string(message.c_str()));
    send_json(res, status, json_text(body.get()));
}

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

std::optional<std::string> unhex(std::string_view text) {
    if (text.size() % 2 != 0) return std::nullopt;
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
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

std::string status_url(const std::string& job_id) {
    return "/api/v1/jobs/" + job_id;
}

void fsync_path(const std::string& path, int flags) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        int error = errno;
        if (fd >= 0) ::close(fd);
        throw iiif::IiifError(500, "fsync " + path + ": " + std::strerror(error));
    }
    ::close(fd);
}

// The parts of one multipart deposit as they stream in: files written straight to the job's
// staging directory (never held whole in memory), the metadata part kept as text.
class DepositReceiver {
  public:
    DepositReceiver(const DaemonConfig& config, std::string directory)
        : config_(config), directory_(std::move(directory)) {}
    ~DepositReceiver() {
        if (fd_ >= 0) ::close(fd_);
    }

    bool part(const httplib::MultipartFormData& part) {
        if (!finish_file()) return false;
        if (part.name == "file") {
            if (files_.size() >= static_cast<size_t>(config_.max_files_per_object))
                return refuse(413, "more than " + std::to_string(config_.max_files_per_object) +
                                       " files in one object");
            size_t page = files_.size() + 1;
            std::string original = fs::path(part.filename).filename().string();
            if (original.empty()) original = "file" + std::to_string(page);
            std::string path = directory_ + "/" + staged_file_name(page, original);
            fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
            if (fd_ < 0) return refuse(500, "cannot write " + path + ": " + std::strerror(errno));
            files_.push_back({path, original});
            file_bytes_ = 0;
            target_ = Target::file;
        } else if (part.name == "metadata") {
            if (metadata_seen_) return refuse(400, "more than one metadata part");
            metadata_seen_ = true;
            target_ = Target::metadata;
        } else {
            return refuse(400, "unknown part \"" + part.name + "\" (expected file or metadata)");
        }
        return true;
    }

    bool data(const char* bytes, size_t length) {
        if (target_ == Target::metadata) {
            metadata_.append(bytes, length);
            if (metadata_.size() > kMaxMetadataBytes)
                return refuse(413, "the metadata part is larger than " +
                                       std::to_string(kMaxMetadataBytes) + " bytes");
            return true;
        }
        if (target_ != Target::file) return true;
        file_bytes_ += static_cast<std::int64_t>(length);
        if (file_bytes_ > config_.max_file_bytes)
            return refuse(413, files_.back().original_name + " is larger than " +
                                   std::to_string(config_.max_file_bytes) + " bytes");
        buffer_.append(bytes, length);
        return buffer_.size() < kWriteBuffer || flush();
    }

    // Completes the file being written (if any): all its bytes on disk, fsynced.
    bool finish_file() {
        if (target_ != Target::file) {
            target_ = Target::none;
            return true;
        }
        target_ = Target::none;
        if (!flush()) return false;
        int fd = fd_;
        fd_ = -1;
        if (::fsync(fd) != 0 || ::close(fd) != 0)
            return refuse(
                500, "cannot write " + files_.back().staged_path + ": " + std::strerror(errno));
        return true;
    }

    const std::vector<DepositFile>& files() const { return files_; }
    const std::string& metadata() const { return metadata_; }
    bool metadata_seen() const { return metadata_seen_; }
    const std::optional<iiif::IiifError>& problem() const { return problem_; }

  private:
    enum class Target { none, file, metadata };

    bool refuse(int status, std::string reason) {
        problem_.emplace(status, std::move(reason));
        return false;
    }

    bool flush() {
        size_t written = 0;
        while (written < buffer_.size()) {
            ssize_t n = ::write(fd_, buffer_.data() + written, buffer_.size() - written);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0)
                return refuse(
                    500, "cannot write " + files_.back().staged_path + ": " + std::strerror(errno));
            written += static_cast<size_t>(n);
        }
        buffer_.clear();
        return true;
    }

    const DaemonConfig& config_;
    std::string directory_;
    std::vector<DepositFile> files_;
    std::string metadata_;
    bool metadata_seen_ = false;
    Target target_ = Target::none;
    int fd_ = -1;
    std::int64_t file_bytes_ = 0;
    std::string buffer_;
    std::optional<iiif::IiifError> problem_;
};

// Removes a job's staging directory unless the job was queued.
struct StagingGuard {
    std::string directory;
    bool keep = false;
    ~StagingGuard() {
        if (keep) return;
        std::error_code ignored;
        fs::remove_all(directory, ignored);
    }
};

// Reads a small request body (PATCH) through the content reader, refusing a large one.
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

}  // namespace

// Admission of OAI-PMH requests: at most `limit` at once, the others refused at once (503)
// rather than queued behind a long harvest page.
class Admission {
  public:
    Admission(std::atomic<int>& in_flight, int limit) : in_flight_(in_flight) {
        admitted_ = in_flight_.fetch_add(1) < limit;
        if (!admitted_) in_flight_.fetch_sub(1);
    }
    ~Admission() {
        if (admitted_) in_flight_.fetch_sub(1);
    }
    Admission(const Admission&) = delete;
    Admission& operator=(const Admission&) = delete;
    bool admitted() const { return admitted_; }

  private:
    std::atomic<int>& in_flight_;
    bool admitted_ = false;
};

enum class Takedown { withdraw, reinstate, purge };

// Renames a directory into place, making the parents of `to` (same file system: the storage
// root); nothing to do when `from` is absent (an object without masters).
void move_directory(const std::string& from, const std::string& to) {
    std::error_code ignored;
    if (!fs::is_directory(from, ignored)) return;
    make_directories(fs::path(to).parent_path().string());
    fs::rename(from, to);
    fsync_path(fs::path(to).parent_path().string(), O_RDONLY | O_DIRECTORY);
    fsync_path(fs::path(from).parent_path().string(), O_RDONLY | O_DIRECTORY);
}

// Where a withdrawn object's masters wait, out of its directory: {root}/quarantine/{NAAN}/{name}.
// Nothing serves from there, and `iiifd rebuild` finds no object.json in it.
struct ObjectPaths {
    std::string masters;
    std::string originals;
    std::string quarantine;  // the masters, quarantined
};

ObjectPaths object_paths(const DaemonConfig& config, const std::string& ark_text) {
    std::optional<iiif::Ark> ark = iiif::parse_ark(ark_text);
    if (!ark) throw iiif::IiifError(500, "catalog: \"" + ark_text + "\" is no ARK");
    const std::string root = fs::absolute(config.storage_root).lexically_normal().string();
    const std::string directory = object_directory(root, *ark);
    const std::string relative = fs::path(directory).lexically_relative(root).string();
    return {directory + "/masters", directory + "/originals",
            root + "/quarantine/" + relative + "/masters"};
}

struct HttpApi::Impl {
    const DaemonConfig& config;
    iiif::CatalogWriter& catalog;
    RedisPool& redis;
    OaiProvider oai_provider;
    std::atomic<int> oai_in_flight{0};
    AuthService auth;
    ApiAuth api_auth;
    httplib::Server server;
    // A metadata change reads, rewrites object.json and puts the record: one at a time, so
    // that two PATCHes of an object do not lose one another's keys.
    std::mutex patch_mutex;
    std::int64_t payload_limit = 0;  // bytes of one request

    Impl(const DaemonConfig& c, iiif::CatalogWriter& w, RedisPool& r)
        : config(c),
          catalog(w),
          redis(r),
          oai_provider(w.reader(), w.publication(), c.oai, load_token_key(c.oai.token_key_file)),
          auth(c),
          api_auth(c, auth) {}

    void routes();
    void deposit(const httplib::Request& req, httplib::Response& res,
                 const httplib::ContentReader& content_reader);
    void job(const httplib::Request& req, httplib::Response& res);
    ApiCaller caller(const httplib::Request& req) const;
    void session(const httplib::Request& req, httplib::Response& res);
    void public_list(const httplib::Request& req, httplib::Response& res);
    void public_sets(const httplib::Request& req, httplib::Response& res);
    void list(const httplib::Request& req, httplib::Response& res);
    void object(const httplib::Request& req, httplib::Response& res);
    void patch(const httplib::Request& req, httplib::Response& res,
               const httplib::ContentReader& content_reader);
    void rewrite_object_file(const iiif::ObjectRecord& record);
    void change_state(const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader& content_reader, Takedown action);
    void log_withdrawal(const std::string& action, const iiif::ObjectRecord& record,
                        const std::string& reason, const std::string& requested_by,
                        const httplib::Request& req);
    void oai(const httplib::Request& req, httplib::Response& res,
             const httplib::ContentReader* content_reader);
};

void HttpApi::Impl::routes() {
    std::int64_t per_object = config.max_file_bytes;
    if (per_object > kMaxDepositBytes / config.max_files_per_object) {
        per_object = kMaxDepositBytes;
    } else {
        per_object *= config.max_files_per_object;
    }
    // Room for the multipart framing and the metadata part.
    payload_limit = std::min<std::int64_t>(
        per_object + 2 * static_cast<std::int64_t>(kMaxMetadataBytes), kMaxDepositBytes);
    server.set_payload_max_length(static_cast<size_t>(payload_limit));
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

    server.Post("/api/v1/objects",
                [this](const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader& reader) { deposit(req, res, reader); });
    server.Get("/api/v1/session",
               [this](const httplib::Request& req, httplib::Response& res) { session(req, res); });
    server.Get("/api/v1/public/objects", [this](const httplib::Request& req,
                                                httplib::Response& res) { public_list(req, res); });
    server.Get("/api/v1/public/sets", [this](const httplib::Request& req, httplib::Response& res) {
        public_sets(req, res);
    });
    server.Get("/api/v1/jobs/([^/]+)",
               [this](const httplib::Request& req, httplib::Response& res) { job(req, res); });
    server.Get("/api/v1/objects",
               [this](const httplib::Request& req, httplib::Response& res) { list(req, res); });
    server.Get("/api/v1/objects/(.+)",
               [this](const httplib::Request& req, httplib::Response& res) { object(req, res); });
    server.Get("/oai", [this](const httplib::Request& req, httplib::Response& res) {
        oai(req, res, nullptr);
    });
    server.Post("/oai", [this](const httplib::Request& req, httplib::Response& res,
                               const httplib::ContentReader& reader) { oai(req, res, &reader); });
    // IIIF Authorization Flow 2.0 (auth_service.hpp); nginx proxies /auth/ here.
    server.Get("/auth/login", [this](const httplib::Request& req, httplib::Response& res) {
        auth.login_form(req, res);
    });
    server.Post("/auth/login",
                [this](const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader& reader) { auth.login(req, res, reader); });
    server.Get("/auth/token", [this](const httplib::Request& req, httplib::Response& res) {
        auth.token(req, res);
    });
    server.Get("/auth/logout", [this](const httplib::Request& req, httplib::Response& res) {
        auth.logout(req, res);
    });
    for (const auto& [path, action] :
         {std::pair{"/api/v1/objects/(.+)/withdraw", Takedown::withdraw},
          std::pair{"/api/v1/objects/(.+)/reinstate", Takedown::reinstate},
          std::pair{"/api/v1/objects/(.+)/purge", Takedown::purge}}) {
        server.Post(path,
                    [this, action = action](const httplib::Request& req, httplib::Response& res,
                                            const httplib::ContentReader& reader) {
                        change_state(req, res, reader, action);
                    });
    }
    server.Patch("/api/v1/objects/(.+)",
                 [this](const httplib::Request& req, httplib::Response& res,
                        const httplib::ContentReader& reader) { patch(req, res, reader); });
}

void HttpApi::Impl::deposit(const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& content_reader) {
    if (!req.is_multipart_form_data())
        throw iiif::IiifError(415, "expected multipart/form-data with file parts");

    const std::string job_id = new_job_id();
    StagingGuard staging{job_staging_dir(config, job_id)};
    make_directories(staging.directory);

    DepositReceiver receiver(config, staging.directory);
    bool ok = content_reader(
        [&](const httplib::MultipartFormData& part) { return receiver.part(part); },
        [&](const char* data, size_t length) { return receiver.data(data, length); });
    ok = ok && receiver.finish_file();
    if (!ok) {
        if (receiver.problem()) throw *receiver.problem();
        if (res.status == 413)
            throw iiif::IiifError(413, "the deposit is larger than the limit of " +
                                           std::to_string(payload_limit) + " bytes");
        throw iiif::IiifError(400, "malformed multipart body");
    }
    if (receiver.files().empty()) throw iiif::IiifError(400, "no file part in the deposit");
    if (receiver.metadata_seen() && receiver.metadata().empty())
        throw iiif::IiifError(400, "metadata: empty part");

    iiif::ObjectMetadata metadata;
    if (receiver.metadata_seen()) metadata = iiif::parse_object_metadata(receiver.metadata());
    check_access_name(config, metadata);
    fsync_path(staging.directory, O_RDONLY | O_DIRECTORY);

    auto redis_connection = redis.lease();
    IngestJob job = submit_deposit(*redis_connection, config, catalog, job_id, receiver.files(),
                                   std::move(metadata), "api");
    staging.keep = true;
    spdlog::info("deposit: job {}, {}, {} files", job.id, job.ark, job.files.size());

    Json body(json_object());
    json_object_set_new(body.get(), "job", json_string(job.id.c_str()));
    json_object_set_new(body.get(), "ark", json_string(job.ark.c_str()));
    json_object_set_new(body.get(), "status_url", json_string(status_url(job.id).c_str()));
    res.set_header("Location", status_url(job.id));
    send_json(res, 202, json_text(body.get()));
}

void HttpApi::Impl::job(const httplib::Request& req, httplib::Response& res) {
    std::string id = req.matches[1];
    if (!is_job_id(id)) throw iiif::IiifError(404, "no job " + id);
    auto redis_connection = redis.lease();
    std::optional<std::string> status = job_status_json(*redis_connection, id);
    if (!status) throw iiif::IiifError(404, "no job " + id);
    send_json(res, 200, *status);
}

// Who makes a request the pre-routing handler let through. Asked again rather than carried
// over (httplib's requests are const there); a session that expired in between is refused here.
ApiCaller HttpApi::Impl::caller(const httplib::Request& req) const {
    std::variant<ApiCaller, iiif::IiifError> caller = api_auth.caller(req);
    if (const iiif::IiifError* refusal = std::get_if<iiif::IiifError>(&caller)) throw *refusal;
    return std::get<ApiCaller>(std::move(caller));
}

// GET /api/v1/session: who the request is (a key or a signed-in user), and what the deposit
// page needs to know before sending: the limits, the sets, the default holding institution.
void HttpApi::Impl::session(const httplib::Request& req, httplib::Response& res) {
    const ApiCaller who = caller(req);
    const bool by_key = who.via == ApiCaller::Via::key;
    Json body(json_object());
    json_object_set_new(body.get(), "via", json_string(by_key ? "key" : "session"));
    json_object_set_new(body.get(), "user",
                        by_key ? json_null() : json_stringn(who.user.data(), who.user.size()));
    json_t* groups = json_array();
    for (const std::string& group : who.groups)
        json_array_append_new(groups, json_stringn(group.data(), group.size()));
    json_object_set_new(body.get(), "groups", groups);
    json_t* limits = json_object();
    json_object_set_new(limits, "max_file_bytes", json_integer(config.max_file_bytes));
    json_object_set_new(limits, "max_files_per_object", json_integer(config.max_files_per_object));
    json_object_set_new(limits, "max_pixels", json_integer(config.max_pixels));
    json_object_set_new(body.get(), "limits", limits);
    json_t* sets = json_array();
    for (const SetDefinition& set : config.sets) {
        json_t* item = json_object();
        json_object_set_new(item, "spec", json_string(set.spec.c_str()));
        json_object_set_new(item, "name", json_string(set.name.c_str()));
        json_array_append_new(sets, item);
    }
    json_object_set_new(body.get(), "sets", sets);
    json_object_set_new(body.get(), "institution", json_string(config.institution.c_str()));
    json_t* policies = json_array();
    json_array_append_new(policies, json_string("public"));
    for (const iiif::AccessPolicy& policy : config.access.policies)
        if (policy.name != "public")
            json_array_append_new(policies, json_string(policy.name.c_str()));
    json_object_set_new(body.get(), "policies", policies);
    res.set_header("Cache-Control", "no-store");
    send_json(res, 200, json_text(body.get()));
}

// A limit parameter: its value from 1 to `most`, `otherwise` when absent; 400 otherwise.
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

json_t* lang_values_json(const iiif::ObjectMetadata& metadata, const char* element) {
    json_t* values = json_array();
    auto found = metadata.dc.find(element);
    if (found == metadata.dc.end()) return values;
    for (const iiif::LangValue& value : found->second) {
        json_t* item = json_object();
        json_object_set_new(item, "value", json_stringn(value.value.data(), value.value.size()));
        json_object_set_new(item, "lang", json_string(value.lang.c_str()));
        json_array_append_new(values, item);
    }
    return values;
}

// An object as the list page shows it: a card with its title, creator, date, pages and
// thumbnail, and the addresses of its page and manifest.
json_t* public_object_json(const iiif::ObjectRecord& record,
                           const iiif::PublicationSettings& publication,
                           const iiif::AccessSettings& access) {
    json_t* item = json_object();
    json_object_set_new(item, "ark", json_string(record.ark.c_str()));
    json_object_set_new(item, "title", lang_values_json(record.metadata, "title"));
    json_object_set_new(item, "creator", lang_values_json(record.metadata, "creator"));
    json_object_set_new(item, "date", lang_values_json(record.metadata, "date"));
    json_object_set_new(item, "pages", json_integer(static_cast<json_int_t>(record.images.size())));
    json_t* sets = json_array();
    for (const std::string& spec : record.metadata.sets)
        json_array_append_new(sets, json_string(spec.c_str()));
    json_object_set_new(item, "sets", sets);
    json_object_set_new(item, "license", json_string(record.metadata.license.c_str()));
    const std::string provider =
        record.metadata.provider.empty() ? publication.institution : record.metadata.provider;
    json_object_set_new(item, "provider", json_string(provider.c_str()));
    json_object_set_new(item, "updated",
                        json_string(iiif::format_utc_datetime(record.updated).c_str()));
    json_object_set_new(
        item, "manifest",
        json_string(iiif::manifest_url(publication, iiif::ApiVersion::v3, record.ark).c_str()));
    json_object_set_new(item, "landing",
                        json_string(iiif::landing_page_url(publication, record.ark).c_str()));
    // No thumbnail where nobody without a key could see it.
    const iiif::AccessPolicy* policy = access.policy(record.policy);
    const bool closed = policy == nullptr || policy->kind == iiif::PolicyKind::restricted;
    json_object_set_new(
        item, "thumbnail",
        record.images.empty() || closed
            ? json_null()
            : json_string((iiif::image_service_url(publication, iiif::ApiVersion::v3,
                                                   record.images.front()) +
                           "/full/!240,240/0/default.jpg")
                              .c_str()));
    return item;
}

// GET /api/v1/public/objects?q=&set=&limit=&cursor=: the list page's cards, no key needed.
// Without q the most recent active objects (of a set when given), a page at a time; with q
// those whose title has every word of it as a word's beginning (one page, no cursor).
void HttpApi::Impl::public_list(const httplib::Request& req, httplib::Response& res) {
    const int limit = limit_param(req, kDefaultPublicLimit, kMaxPublicLimit);
    const std::string query = req.get_param_value("q");
    const std::string set = req.get_param_value("set");
    const std::string cursor = req.get_param_value("cursor");
    if (query.size() > kMaxQueryBytes)
        throw iiif::IiifError(400, "q: at most " + std::to_string(kMaxQueryBytes) + " bytes");
    if (!set.empty() && !iiif::is_valid_set_spec(set))
        throw iiif::IiifError(400, "set: not a set spec");
    if (!query.empty() && (!set.empty() || !cursor.empty()))
        throw iiif::IiifError(400, "q: a search takes neither set nor cursor");
    iiif::CatalogReader::Position before;
    if (!cursor.empty()) {
        std::optional<iiif::CatalogReader::Position> position = position_of_cursor(cursor);
        if (!position) throw iiif::IiifError(400, "cursor: not a cursor this API gave");
        before = *position;
    }
    const iiif::CatalogReader& reader = catalog.reader();
    std::vector<iiif::ObjectRecord> records =
        query.empty() ? reader.recent_objects(before, static_cast<size_t>(limit), set)
                      : reader.search_titles(query, static_cast<size_t>(limit));
    const std::shared_ptr<const iiif::AccessSettings> access = reader.access_settings();
    Json body(json_object());
    json_t* objects = json_array();
    json_object_set_new(body.get(), "objects", objects);
    for (const iiif::ObjectRecord& record : records)
        json_array_append_new(objects, public_object_json(record, catalog.publication(), *access));
    json_object_set_new(
        body.get(), "next_cursor",
        query.empty() && records.size() == static_cast<size_t>(limit)
            ? json_string(cursor_of(iiif::CatalogReader::position_of(records.back())).c_str())
            : json_null());
    res.set_header("Cache-Control", "no-cache");
    send_json(res, 200, json_text(body.get()));
}

// GET /api/v1/public/sets: every set with its name and how many published objects it and its
// subsets hold (from the tallies: a few reads each).
void HttpApi::Impl::public_sets(const httplib::Request&, httplib::Response& res) {
    constexpr size_t kMaxSets = 1000;
    const iiif::CatalogReader& reader = catalog.reader();
    Json body(json_object());
    json_t* sets = json_array();
    json_object_set_new(body.get(), "sets", sets);
    for (const iiif::CatalogReader::SetInfo& set : reader.sets("", kMaxSets)) {
        json_t* item = json_object();
        json_object_set_new(item, "spec", json_string(set.spec.c_str()));
        json_object_set_new(item, "name", json_string(set.name.c_str()));
        json_object_set_new(item, "description", json_string(set.description.c_str()));
        json_object_set_new(item, "count", json_integer(reader.count_published(0, 0, set.spec)));
        json_array_append_new(sets, item);
    }
    res.set_header("Cache-Control", "no-cache");
    send_json(res, 200, json_text(body.get()));
}

void HttpApi::Impl::list(const httplib::Request& req, httplib::Response& res) {
    int limit = kDefaultListLimit;
    if (req.has_param("limit")) {
        std::string text = req.get_param_value("limit");
        try {
            size_t used = 0;
            limit = std::stoi(text, &used);
            if (used != text.size()) throw std::invalid_argument(text);
        } catch (const std::exception&) {
            limit = 0;
        }
        if (limit < 1 || limit > kMaxListLimit)
            throw iiif::IiifError(
                400, "limit: an integer from 1 to " + std::to_string(kMaxListLimit) + " expected");
    }
    iiif::CatalogReader::Position after;
    if (std::string cursor = req.get_param_value("cursor"); !cursor.empty()) {
        std::optional<iiif::CatalogReader::Position> position = position_of_cursor(cursor);
        if (!position) throw iiif::IiifError(400, "cursor: not a cursor this API gave");
        after = *position;
    }

    std::vector<iiif::ObjectRecord> records =
        catalog.reader().objects_by_date(after, 0, static_cast<size_t>(limit));
    Json body(json_object());
    json_t* objects = json_array();
    json_object_set_new(body.get(), "objects", objects);
    for (const iiif::ObjectRecord& record : records) {
        json_t* item = json_object();
        json_object_set_new(item, "ark", json_string(record.ark.c_str()));
        auto title = record.metadata.dc.find("title");
        json_object_set_new(item, "title",
                            title != record.metadata.dc.end() && !title->second.empty()
                                ? json_string(title->second.front().value.c_str())
                                : json_null());
        json_object_set_new(item, "updated", json_integer(record.updated));
        json_object_set_new(
            item, "state", json_string(std::string(iiif::record_state_name(record.state)).c_str()));
        json_array_append_new(objects, item);
    }
    json_object_set_new(
        body.get(), "next_cursor",
        records.size() == static_cast<size_t>(limit)
            ? json_string(cursor_of(iiif::CatalogReader::position_of(records.back())).c_str())
            : json_null());
    send_json(res, 200, json_text(body.get()));
}

void HttpApi::Impl::object(const httplib::Request& req, httplib::Response& res) {
    std::string ark = req.matches[1];
    std::optional<iiif::ObjectRecord> record = catalog.reader().object(ark);
    if (!record) throw iiif::IiifError(404, "no object " + ark);
    send_json(res, 200, iiif::object_record_to_json(*record));
}

void HttpApi::Impl::patch(const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& content_reader) {
    std::string ark = req.matches[1];
    std::string body = small_body(content_reader, res);

    auto redis_connection = redis.lease();
    // The change goes to the events stream: refuse it while that stream cannot be reached.
    redis_connection->command({"PING"});

    std::lock_guard lock(patch_mutex);
    std::optional<iiif::ObjectRecord> record = catalog.reader().object(ark);
    if (!record) throw iiif::IiifError(404, "no object " + ark);
    if (record->state == iiif::RecordState::withdrawn)
        throw iiif::IiifError(409, "the object has been withdrawn");
    record->metadata = iiif::patch_object_metadata(record->metadata, body);
    check_access_name(config, record->metadata);
    if (record->metadata.provider.empty()) record->metadata.provider = config.institution;
    record->updated = record->datestamp = std::max(iiif::now_seconds(), record->datestamp);

    // The storage root is the durable truth: object.json first, then the catalog.
    rewrite_object_file(*record);
    catalog.put(*record, {});
    try {
        append_event(*redis_connection, config,
                     CatalogEvent{"object.updated", record->ark, record->datestamp});
    } catch (const std::exception& error) {
        spdlog::error("object {} updated, but its event is lost: {}", record->ark, error.what());
    }
    spdlog::info("metadata of {} updated", record->ark);
    send_json(res, 200, iiif::object_record_to_json(*record));
}

// Takedown, reinstatement and purge: {"reason": "...", "requested_by": "..."}, both required.
// A withdrawal writes object.json first (the storage root is the truth, and `iiifd rebuild`
// keeps the state), then the catalog (at once: images 410, manifests gone, the ARK's tombstone,
// the OAI record deleted), then moves the masters to quarantine. A reinstatement brings them
// back first. A purge (of a withdrawn object) deletes the quarantined masters and the
// originals for good: the object then stays a tombstone. Each is logged and has its event.
void HttpApi::Impl::change_state(const httplib::Request& req, httplib::Response& res,
                                 const httplib::ContentReader& content_reader, Takedown action) {
    const std::string ark = req.matches[1];
    const std::string body = small_body(content_reader, res);
    json_error_t error;
    Json document(json_loadb(body.data(), body.size(), 0, &error));
    if (!json_is_object(document.get()))
        throw iiif::IiifError(400, "expected a JSON object {\"reason\", \"requested_by\"}");
    auto text = [&](const char* key) {
        const json_t* value = json_object_get(document.get(), key);
        if (!json_is_string(value) || json_string_length(value) == 0)
            throw iiif::IiifError(400, std::string(key) + ": a non-empty string is required");
        return std::string(json_string_value(value), json_string_length(value));
    };
    const std::string reason = text("reason");
    const std::string requested_by = text("requested_by");
    for (const char* key : {"reason", "requested_by"}) json_object_del(document.get(), key);
    if (json_object_size(document.get()) != 0)
        throw iiif::IiifError(400, std::string("unknown key \"") +
                                       json_object_iter_key(json_object_iter(document.get())) +
                                       "\" (expected reason and requested_by)");

    auto redis_connection = redis.lease();
    redis_connection->command({"PING"});  // the change goes to the events stream

    std::lock_guard lock(patch_mutex);
    std::optional<iiif::ObjectRecord> record = catalog.reader().object(ark);
    if (!record) throw iiif::IiifError(404, "no object " + ark);
    if (record->state == iiif::RecordState::pending)
        throw iiif::IiifError(409, "the object is still being ingested");
    const bool withdrawn = record->state == iiif::RecordState::withdrawn;
    if (action == Takedown::withdraw && withdrawn)
        throw iiif::IiifError(409, "the object is already withdrawn");
    if (action != Takedown::withdraw && !withdrawn)
        throw iiif::IiifError(409, "the object is not withdrawn");
    const ObjectPaths paths = object_paths(config, record->ark);
    std::error_code ignored;
    const bool quarantined = fs::is_directory(paths.quarantine, ignored);
    if (action == Takedown::reinstate && !quarantined && !fs::is_directory(paths.masters, ignored))
        throw iiif::IiifError(409, "the object's masters were purged: it cannot be reinstated");

    std::string event;
    std::int64_t when = record->datestamp;
    if (action == Takedown::purge) {
        fs::remove_all(paths.quarantine, ignored);
        fs::remove_all(paths.masters, ignored);
        fs::remove_all(paths.originals, ignored);
        event = "purged";
    } else {
        const bool withdraw = action == Takedown::withdraw;
        when = std::max(iiif::now_seconds(), record->datestamp);
        iiif::ObjectRecord changed = *record;
        changed.state = withdraw ? iiif::RecordState::withdrawn : iiif::RecordState::active;
        changed.withdrawn_reason = withdraw ? reason : "";
        changed.updated = changed.datestamp = when;
        if (!withdraw && quarantined) move_directory(paths.quarantine, paths.masters);
        rewrite_object_file(changed);
        if (withdraw) {
            catalog.withdraw(record->ark, reason, when);
            try {
                move_directory(paths.masters, paths.quarantine);
            } catch (const std::exception& failure) {
                spdlog::error("object {} withdrawn, but its masters stay in place: {}", record->ark,
                              failure.what());
            }
            event = "withdrawn";
        } else {
            catalog.reinstate(record->ark, when);
            event = "reinstated";
        }
    }
    std::optional<iiif::ObjectRecord> changed_record = catalog.reader().object(ark);
    if (!changed_record) throw iiif::IiifError(500, "the object left the catalog");
    try {
        log_withdrawal(event, *changed_record, reason, requested_by, req);
    } catch (const std::exception& failure) {
        spdlog::error("object {} {}, but the withdrawal log could not be written: {}", record->ark,
                      event, failure.what());
    }
    try {
        append_event(*redis_connection, config, CatalogEvent{"object." + event, record->ark, when});
    } catch (const std::exception& failure) {
        spdlog::error("object {} {}, but its event is lost: {}", record->ark, event,
                      failure.what());
    }
    spdlog::info("object {} {} at the request of {}: {}", record->ark, event, requested_by, reason);
    send_json(res, 200, iiif::object_record_to_json(*changed_record));
}

// {storage root}/withdrawals.log: one JSON line per takedown or reinstatement, appended and
// synced, never rewritten: when, what, which object, why, at whose request, and who acted
// ("key": the API key's first 12 hex digits of SHA-256, never the key, or "user:{name}").
void HttpApi::Impl::log_withdrawal(const std::string& action, const iiif::ObjectRecord& record,
                                   const std::string& reason, const std::string& requested_by,
                                   const httplib::Request& req) {
    Json line(json_object());
    json_object_set_new(line.get(), "time", json_integer(record.datestamp));
    json_object_set_new(line.get(), "action", json_string(action.c_str()));
    json_object_set_new(line.get(), "ark", json_string(record.ark.c_str()));
    json_object_set_new(line.get(), "reason", json_stringn(reason.data(), reason.size()));
    json_object_set_new(line.get(), "requested_by",
                        json_stringn(requested_by.data(), requested_by.size()));
    json_object_set_new(line.get(), "key", json_string(caller(req).actor.c_str()));
    const std::string text = json_text(line.get()) + "\n";
    const std::string path = config.storage_root + "/withdrawals.log";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) throw iiif::IiifError(500, path + ": " + std::strerror(errno));
    const bool written =
        ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
        ::fsync(fd) == 0;
    ::close(fd);
    if (!written) throw iiif::IiifError(500, path + ": cannot append");
}

// OAI-PMH: GET with the arguments in the query, POST with them in an
// application/x-www-form-urlencoded body. The body is read after admission, so a slow client
// holds its place like any other request under way.
void HttpApi::Impl::oai(const httplib::Request& req, httplib::Response& res,
                        const httplib::ContentReader* content_reader) {
    Admission admission(oai_in_flight, config.oai.max_concurrent);
    if (!admission.admitted()) {
        res.status = 503;
        res.set_header("Retry-After", std::to_string(config.oai.retry_after));
        res.set_content("too many OAI-PMH requests at once: retry after " +
                            std::to_string(config.oai.retry_after) + " seconds\n",
                        "text/plain; charset=utf-8");
        return;
    }
    httplib::Params params = req.params;
    if (content_reader != nullptr) {
        const std::string type = req.get_header_value("Content-Type");
        if (!type.starts_with("application/x-www-form-urlencoded"))
            throw iiif::IiifError(415,
                                  "OAI-PMH requests by POST are application/x-www-form-urlencoded");
        std::string body;
        const bool read = (*content_reader)([&](const char* data, size_t length) {
            body.append(data, length);
            return body.size() <= kMaxOaiBody;
        });
        if (body.size() > kMaxOaiBody)
            throw iiif::IiifError(413, "an OAI-PMH request body is at most " +
                                           std::to_string(kMaxOaiBody) + " bytes");
        if (!read) throw iiif::IiifError(400, "the request body could not be read");
        httplib::detail::parse_query_text(body, params);
    }
    iiif::OaiArguments arguments(params.begin(), params.end());
    res.set_header("Vary", "Accept-Encoding");
    res.set_content(oai_provider.respond(arguments, iiif::now_seconds()),
                    "text/xml; charset=utf-8");
}

// object.json is {"schema", "object": the object record, "images": [...]} (daemon/ingest.cpp);
// a metadata change replaces "object" and keeps the rest as it is.
void HttpApi::Impl::rewrite_object_file(const iiif::ObjectRecord& record) {
    std::optional<iiif::Ark> ark = iiif::parse_ark(record.ark);
    if (!ark) throw iiif::IiifError(500, "catalog: \"" + record.ark + "\" is no ARK");
    std::string path = object_directory(config.storage_root, *ark) + "/object.json";
    std::ifstream in(path, std::ios::binary);
    if (!in) throw iiif::IiifError(500, path + ": cannot read");
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    json_error_t error;
    Json document(json_loadb(text.data(), text.size(), 0, &error));
    if (!json_is_object(document.get()))
        throw iiif::IiifError(500, path + ": invalid JSON: " + error.text);
    std::string object_text = iiif::object_record_to_json(record);
    json_t* object = json_loadb(object_text.data(), object_text.size(), 0, &error);
    if (object == nullptr) throw iiif::IiifError(500, "object record: " + std::string(error.text));
    json_object_set_new(document.get(), "object", object);
    write_file_atomically(path, json_text(document.get(), JSON_INDENT(2)) + "\n");
}

HttpApi::HttpApi(const DaemonConfig& config, iiif::CatalogWriter& catalog, RedisPool& redis)
    : impl_(std::make_unique<Impl>(config, catalog, redis)) {
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
