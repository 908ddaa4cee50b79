// The deposit API: deposits and their jobs, the session of the deposit page, the objects'
// listing, records, metadata changes and takedowns (http_api.hpp lists the routes).
#include <fcntl.h>
#include <jansson.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <variant>

#include "access_config.hpp"
#include "ark.hpp"
#include "http_routes.hpp"
#include "iiif_error.hpp"
#include "json.hpp"
#include "page_labels.hpp"
#include "staging.hpp"
#include "storage.hpp"

namespace iiifd {
namespace {

namespace fs = std::filesystem;
using iiif::Json;
using iiif::json_text;

// The whole of one deposit, whatever the per-file limits multiply to.
constexpr std::int64_t kMaxDepositBytes = std::int64_t{32} << 30;
constexpr size_t kWriteBuffer = 1 << 20;
constexpr int kDefaultListLimit = 100;
constexpr int kMaxListLimit = 1000;
// The sets the session lists for the deposit and edit pages to choose from.
constexpr size_t kSessionSets = 2000;

std::string status_url(const std::string& job_id) {
    return "/api/v1/jobs/" + job_id;
}

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

// Makes a staged file's bytes durable.
void fsync_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    const bool synced = fd >= 0 && ::fsync(fd) == 0;
    const int error = errno;
    if (fd >= 0) ::close(fd);
    if (!synced) throw iiif::IiifError(500, "cannot write " + path + ": " + std::strerror(error));
}

// One multipart deposit as it streams in: files written straight to the job's staging
// directory (never held whole in memory), the metadata part kept as text; once the body is
// whole, the files made durable and the job queued (finish, on a worker thread).
class DepositUpload : public HttpUpload {
  public:
    // What the files are to an object that exists: `mode` "add" or "replace" of its page
    // `target` (deposits.hpp's accept_pages); empty mode: a new object.
    struct PageJob {
        std::string ark, mode, target;
    };

    DepositUpload(const DaemonConfig& config, const Deposits& deposits, RedisPool& redis,
                  std::string job_id, DepositSource source, PageJob page_job = {})
        : config_(config),
          deposits_(deposits),
          redis_(redis),
          job_id_(std::move(job_id)),
          source_(std::move(source)),
          page_job_(std::move(page_job)),
          staging_{job_staging_dir(config, job_id_)} {
        make_directories(staging_.directory);
    }
    ~DepositUpload() override {
        if (fd_ >= 0) ::close(fd_);
    }

    bool part(const std::string& name, const std::string& filename) override {
        if (!finish_file()) return false;
        if (name == "file") {
            if (files_.size() >= static_cast<size_t>(config_.max_files_per_object))
                return refuse(413, "more than " + std::to_string(config_.max_files_per_object) +
                                       " files in one object");
            size_t page = files_.size() + 1;
            const std::string original =
                filename.empty() ? "file" + std::to_string(page) : deposit_file_name(filename);
            std::string path = staging_.directory + "/" + staged_file_name(page, original);
            fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
            if (fd_ < 0) return refuse(500, "cannot write " + path + ": " + std::strerror(errno));
            files_.push_back({path, original});
            file_bytes_ = 0;
            target_ = Target::file;
        } else if (name == "metadata") {
            if (metadata_seen_) return refuse(400, "more than one metadata part");
            metadata_seen_ = true;
            target_ = Target::metadata;
        } else if (name == "pages") {
            if (pages_seen_) return refuse(400, "more than one pages part");
            pages_seen_ = true;
            target_ = Target::pages;
        } else {
            return refuse(400, "unknown part \"" + name +
                                   "\" (expected file, metadata or pages)");
        }
        return true;
    }

    bool data(const char* bytes, size_t length) override {
        if (target_ == Target::metadata || target_ == Target::pages) {
            std::string& text = target_ == Target::metadata ? metadata_ : pages_;
            text.append(bytes, length);
            if (text.size() > kMaxMetadataBytes)
                return refuse(413, std::string("the ") +
                                       (target_ == Target::metadata ? "metadata" : "pages") +
                                       " part is larger than " +
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

    std::optional<iiif::IiifError> refusal() const override { return problem_; }

    void finish(const HttpRequest&, HttpResponse& res) override {
        if (!finish_file()) throw *problem_;
        if (files_.empty()) throw iiif::IiifError(400, "no file part in the deposit");
        if (metadata_seen_ && metadata_.empty()) throw iiif::IiifError(400, "metadata: empty part");

        if (!page_job_.mode.empty() && metadata_seen_)
            throw iiif::IiifError(400, "metadata: not here (PATCH the object)");
        iiif::ObjectMetadata metadata;
        if (metadata_seen_) metadata = iiif::parse_object_metadata(metadata_);
        if (pages_seen_) apply_page_labels(pages_, files_);
        deposits_.check(metadata);
        for (const DepositFile& file : files_) fsync_file(file.staged_path);
        fsync_directory(staging_.directory);

        auto redis = redis_.lease();
        IngestJob job = page_job_.mode.empty()
                            ? deposits_.accept(*redis, job_id_, files_, std::move(metadata), source_)
                            : deposits_.accept_pages(*redis, job_id_, files_, page_job_.ark,
                                                     page_job_.mode, page_job_.target, source_);
        staging_.keep = true;
        spdlog::info("deposit: job {}, {}, {} files", job.id, job.ark, job.files.size());

        Json body(json_object());
        json_object_set_new(body.get(), "job", json_string(job.id.c_str()));
        json_object_set_new(body.get(), "ark", json_string(job.ark.c_str()));
        json_object_set_new(body.get(), "status_url", json_string(status_url(job.id).c_str()));
        res.set_header("Location", status_url(job.id));
        send_json(res, 202, json_text(body.get()));
    }

  private:
    enum class Target { none, file, metadata, pages };

    bool refuse(int status, std::string reason) {
        problem_.emplace(status, std::move(reason));
        return false;
    }

    // Completes the file being written (if any): all its bytes written (made durable in
    // finish()).
    bool finish_file() {
        if (target_ != Target::file) {
            target_ = Target::none;
            return true;
        }
        target_ = Target::none;
        if (!flush()) return false;
        int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0)
            return refuse(
                500, "cannot write " + files_.back().staged_path + ": " + std::strerror(errno));
        return true;
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
    const Deposits& deposits_;
    RedisPool& redis_;
    std::string job_id_;
    DepositSource source_;
    PageJob page_job_;
    StagingGuard staging_;
    std::vector<DepositFile> files_;
    std::string metadata_;
    bool metadata_seen_ = false;
    std::string pages_;  // the page labels' part (page_labels.hpp)
    bool pages_seen_ = false;
    Target target_ = Target::none;
    int fd_ = -1;
    std::int64_t file_bytes_ = 0;
    std::string buffer_;
    std::optional<iiif::IiifError> problem_;
};

// A takedown's body, {"reason": "...", "requested_by": "..."}: both required, nothing else.
TakedownRequest takedown_request(const std::string& body) {
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
    TakedownRequest request;
    request.reason = text("reason");
    request.requested_by = text("requested_by");
    for (const char* key : {"reason", "requested_by"}) json_object_del(document.get(), key);
    if (json_object_size(document.get()) != 0)
        throw iiif::IiifError(400, std::string("unknown key \"") +
                                       json_object_iter_key(json_object_iter(document.get())) +
                                       "\" (expected reason and requested_by)");
    return request;
}

}  // namespace

std::int64_t deposit_payload_limit(const DaemonConfig& config) {
    std::int64_t per_object = config.max_file_bytes;
    if (per_object > kMaxDepositBytes / config.max_files_per_object) {
        per_object = kMaxDepositBytes;
    } else {
        per_object *= config.max_files_per_object;
    }
    // Room for the multipart framing and the metadata part.
    return std::min<std::int64_t>(per_object + 2 * static_cast<std::int64_t>(kMaxMetadataBytes),
                                  kMaxDepositBytes);
}

// Before the body: who deposits, for which institution (?institution=, an administrator's
// choice; an editor's own otherwise), under which shoulder (?shoulder=, one of the
// institution's; otherwise Directory::shoulder_for chooses).
std::unique_ptr<HttpUpload> DepositRoutes::deposit(const HttpRequest& req) {
    const ApiCaller who = require_role(api_auth_, req, Role::editor, "deposit");
    std::string institution = who.account.institution;
    if (req.has_param("institution")) {
        institution = req.get_param_value("institution");
        if (!who.is(Role::administrator) && institution != who.account.institution)
            throw iiif::IiifError(403, "deposit for another institution: administrators only");
        if (!directory_.institution(institution))
            throw iiif::IiifError(400, "institution: no such institution: " + institution);
    }
    std::string shoulder;
    if (req.has_param("shoulder")) {
        shoulder = req.get_param_value("shoulder");
        std::optional<ShoulderRecord> record = directory_.shoulder(shoulder);
        if (!record) throw iiif::IiifError(400, "shoulder: no such shoulder: " + shoulder);
        if (!who.is(Role::administrator) && record->institution != institution)
            throw iiif::IiifError(403, "shoulder: this shoulder belongs to another institution");
    }
    if (!req.is_multipart_form_data())
        throw iiif::IiifError(415, "expected multipart/form-data with file parts");
    return std::make_unique<DepositUpload>(
        config_, deposits_, redis_, new_job_id(),
        DepositSource{"api", institution, who.audit(), shoulder});
}

// POST .../{ark}/pages (?after=fN) and PUT .../{ark}/pages/fN: new pages, a page's new image.
std::unique_ptr<HttpUpload> DepositRoutes::page_upload(const HttpRequest& req, bool replace) {
    const std::string ark = object_ark(req);
    const ApiCaller who = object_changer(req, ark, "change an object's pages");
    if (!req.is_multipart_form_data())
        throw iiif::IiifError(415, "expected multipart/form-data with file parts");
    const std::string target = replace ? std::string(req.matches[2]) : req.get_param_value("after");
    return std::make_unique<DepositUpload>(
        config_, deposits_, redis_, new_job_id(),
        DepositSource{"api", directory_.owner_of(changes_.object(ark)), who.audit()},
        DepositUpload::PageJob{ark, replace ? "replace" : "add", target});
}

void DepositRoutes::job(const HttpRequest& req, HttpResponse& res) {
    require_role(api_auth_, req, Role::editor, "follow a deposit");
    std::string id = req.matches[1];
    if (!is_job_id(id)) throw iiif::IiifError(404, "no job " + id);
    auto redis = redis_.lease();
    std::optional<std::string> status = job_status_json(*redis, id);
    if (!status) throw iiif::IiifError(404, "no job " + id);
    send_json(res, 200, *status);
}

ApiCaller DepositRoutes::object_changer(const HttpRequest& req, const std::string& ark,
                                        const char* what) const {
    ApiCaller who = require_role(api_auth_, req, Role::editor, what);
    const iiif::ObjectRecord object = changes_.object(ark);
    if (!who.is(Role::administrator) && directory_.owner_of(object) != who.account.institution)
        throw iiif::IiifError(403, std::string(what) + ": this object belongs to another institution");
    return who;
}

// GET /api/v1/session: who the request is (a key or a signed-in user), and what the deposit
// page needs to know before sending: the limits, the sets, the default holding institution.
void DepositRoutes::session(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller who = api_caller(api_auth_, req);
    const bool by_key = who.via == ApiCaller::Via::key;
    Json body(json_object());
    json_object_set_new(body.get(), "via", json_string(by_key ? "key" : "session"));
    json_object_set_new(body.get(), "user", iiif::json_string_of(who.account.name));
    json_object_set_new(body.get(), "display_name",
                        iiif::json_string_of(who.account.display_name));
    json_object_set_new(body.get(), "role",
                        json_string(std::string(role_name(who.account.role)).c_str()));
    json_t* groups = json_array();
    for (const std::string& group : who.account.groups)
        json_array_append_new(groups, json_stringn(group.data(), group.size()));
    json_object_set_new(body.get(), "groups", groups);
    const std::optional<Institution> own = directory_.institution(who.account.institution);
    json_object_set_new(body.get(), "account_institution",
                        own ? institution_to_json(*own) : json_null());
    json_t* limits = json_object();
    json_object_set_new(limits, "max_file_bytes", json_integer(config_.max_file_bytes));
    json_object_set_new(limits, "max_files_per_object", json_integer(config_.max_files_per_object));
    json_object_set_new(limits, "max_pixels", json_integer(config_.max_pixels));
    json_object_set_new(body.get(), "limits", limits);
    json_t* sets = json_array();
    // The named sets (the access registry's, and the partners'), as ListSets shows them.
    for (const iiif::CatalogReader::SetInfo& set : catalog_.reader().sets("", kSessionSets)) {
        if (set.name.empty()) continue;
        json_t* item = json_object();
        json_object_set_new(item, "spec", iiif::json_string_of(set.spec));
        json_object_set_new(item, "name", iiif::json_string_of(set.name));
        json_array_append_new(sets, item);
    }
    json_object_set_new(body.get(), "sets", sets);
    json_object_set_new(body.get(), "institution",
                        iiif::json_string_of(own ? own->name : config_.institution));
    json_t* policies = json_array();
    json_array_append_new(policies, json_string("public"));
    for (const iiif::AccessPolicy& policy : catalog_.reader().access_settings()->policies)
        if (policy.name != "public")
            json_array_append_new(policies, iiif::json_string_of(policy.name));
    json_object_set_new(body.get(), "policies", policies);
    res.set_header("Cache-Control", "no-store");
    send_json(res, 200, json_text(body.get()));
}

void DepositRoutes::list(const HttpRequest& req, HttpResponse& res) {
    require_role(api_auth_, req, Role::editor, "list objects");
    const int limit = limit_param(req, kDefaultListLimit, kMaxListLimit);
    const iiif::CatalogReader::Position after = cursor_param(req);
    std::vector<iiif::ObjectRecord> records =
        catalog_.reader().objects_by_date(after, 0, static_cast<size_t>(limit));
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
        json_object_set_new(item, "institution",
                            json_string(directory_.owner_of(record).c_str()));
        json_object_set_new(
            item, "state", json_string(std::string(iiif::record_state_name(record.state)).c_str()));
        json_array_append_new(objects, item);
    }
    json_object_set_new(body.get(), "next_cursor", next_cursor_json(records, limit));
    send_json(res, 200, json_text(body.get()));
}

void DepositRoutes::object(const HttpRequest& req, HttpResponse& res) {
    require_role(api_auth_, req, Role::editor, "read objects");
    const std::string ark = object_ark(req);
    std::optional<iiif::ObjectRecord> record = catalog_.reader().object(ark);
    if (!record) throw iiif::IiifError(404, "no object " + ark);
    send_json(res, 200, iiif::object_record_to_json(*record));
}

void DepositRoutes::patch(const HttpRequest& req, HttpResponse& res) {
    const std::string ark = object_ark(req);
    const ApiCaller who = object_changer(req, ark, "change an object");
    const iiif::ObjectRecord changed = metadata_update_.apply(ark, req.body);
    directory_.audit().record(who.audit(), "object.change", changed.ark,
                              directory_.owner_of(changed),
                              json_pack("{s:s%}", "patch", req.body.data(), req.body.size()));
    send_json(res, 200, iiif::object_record_to_json(changed));
}

void DepositRoutes::pages(const HttpRequest& req, HttpResponse& res) {
    require_role(api_auth_, req, Role::editor, "read objects");
    const std::string ark = object_ark(req);
    const iiif::ObjectRecord object = changes_.object(ark);
    Json body(json_object());
    json_object_set_new(body.get(), "ark", json_string(object.ark.c_str()));
    json_object_set_new(body.get(), "version", json_integer(object.version));
    json_t* pages = json_array();
    for (const std::string& id : object.images) {
        std::optional<iiif::ImageRecord> page = catalog_.reader().image(id);
        if (!page) continue;
        json_array_append_new(
            pages, json_pack("{s:s,s:s,s:s%,s:i,s:i,s:s%}", "page", iiif::page_name(id).c_str(),
                             "id", id.c_str(), "label", page->label.data(), page->label.size(),
                             "width", page->source.width, "height", page->source.height,
                             "file", page->original_name.data(), page->original_name.size()));
    }
    json_object_set_new(body.get(), "pages", pages);
    json_object_set_new(body.get(), "structures", iiif::page_ranges_to_json(object.structures));
    json_t* removed = json_array();
    for (const std::string& id : object.removed)
        json_array_append_new(removed, json_string(iiif::page_name(id).c_str()));
    json_object_set_new(body.get(), "removed", removed);
    res.set_header("Cache-Control", "no-store");
    send_json(res, 200, json_text(body.get()));
}

void DepositRoutes::change_pages(const HttpRequest& req, HttpResponse& res) {
    const std::string ark = object_ark(req);
    const ApiCaller who = object_changer(req, ark, "change an object's pages");
    const PagesChange change = parse_pages_change(req.body);
    const std::int64_t before = changes_.object(ark).version;
    const iiif::ObjectRecord changed = page_changes_.apply(ark, change);
    if (changed.version != before)
        directory_.audit().record(who.audit(), "object.pages", changed.ark,
                                  directory_.owner_of(changed),
                                  json_pack("{s:I,s:i}", "version",
                                            static_cast<json_int_t>(changed.version), "pages",
                                            static_cast<int>(changed.images.size())));
    pages(req, res);
}

// POST .../withdraw, /reinstate, /purge (takedown.hpp).
void DepositRoutes::takedown(const HttpRequest& req, HttpResponse& res, TakedownAction action) {
    const std::string ark = object_ark(req);
    const char* name = action == TakedownAction::withdraw    ? "withdraw"
                       : action == TakedownAction::reinstate ? "reinstate"
                                                             : "purge";
    const std::string what = std::string(name) + " an object";
    const ApiCaller who = action == TakedownAction::purge
                              ? require_role(api_auth_, req, Role::administrator, what.c_str())
                              : object_changer(req, ark, what.c_str());
    TakedownRequest request = takedown_request(req.body);
    request.actor = who.actor;
    const iiif::ObjectRecord done = takedown_.apply(action, ark, request);
    directory_.audit().record(
        who.audit(), std::string("object.") + name, done.ark,
        directory_.owner_of(done),
        json_pack("{s:s%,s:s%}", "reason", request.reason.data(), request.reason.size(),
                  "requested_by", request.requested_by.data(), request.requested_by.size()));
    send_json(res, 200, iiif::object_record_to_json(done));
}

}  // namespace iiifd
