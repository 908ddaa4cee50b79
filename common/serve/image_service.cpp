#include "image_service.hpp"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <optional>

#include "catalog.hpp"
#include "clock.hpp"
#include "document_service.hpp"
#include "iiif_error.hpp"
#include "info_json.hpp"
#include "request_memo.hpp"
#include "source_resolver.hpp"
#include "tile_cache.hpp"

namespace iiif {

// A job's cancellation flag. A job moves (from the stack to the heap) only before anyone can
// cancel it, so a moved flag starts clear.
struct CancelFlag {
    std::atomic<bool> value{false};
    CancelFlag() = default;
    CancelFlag(CancelFlag&&) noexcept {}
    CancelFlag& operator=(CancelFlag&&) = delete;
};

class RenderJob {
  public:
    const ServiceConfig* config = nullptr;
    TileCache* cache = nullptr;
    bool info = false;  // info.json, else an image
    bool json_ld = false;
    ImageRequest image;
    ResolvedSource source;  // in catalog mode, only its path (the master)
    bool in_catalog = false;
    std::int64_t last_modified = -1;
    std::string id_url;
    // When the cache or the catalog already knew it (shared: kept in the memo too).
    std::shared_ptr<const SourceInfo> source_info;
    // Access: the limits this requester gets (the service's, or degraded ones once the size is
    // known), the mark put on what is delivered, and how the answer is labelled.
    Limits limits;
    int degraded_size = 0;
    int beyond_status = 0;  // degraded: the status of a request finer than allowed
    std::optional<WatermarkSpec> watermark;
    std::string access_tag;  // in info.json's cache key: its services and tier
    std::string services;    // info.json's "service" (Auth 2.0), empty for public images
    std::string rights;
    bool controlled = false;   // under a policy other than public: private for caches
    std::string request_path;  // as asked, below the prefix: names the job for coalescing
    CancelFlag cancelled;
    HttpResponse response;

    // Names this version of the source in cache keys.
    const std::string& identity() const {
        settle_file_names();
        return identity_;
    }
    // The image's entries in the cache (purged together on takedown).
    const std::string& group() const {
        settle_file_names();
        return group_;
    }
    void set_catalog_names(std::string identity, std::string group) {
        identity_ = std::move(identity);
        group_ = std::move(group);
    }

  private:
    // A file's are made from its stat only when asked: a hit the memo knows needs neither.
    void settle_file_names() const {
        if (in_catalog || !identity_.empty()) return;
        identity_ = source.identity();
        group_ = "file|" + source.path;
    }
    mutable std::string identity_;
    mutable std::string group_;
};

namespace {

constexpr std::string_view kSourceMediaType = "application/x-iiif-source";

// The limits declared and applied: the configured ones within what the renderer can deliver.
Limits service_limits(const ServiceConfig& config) {
    return renderable_limits(config.limits, config.render);
}

std::string_view context_uri(ApiVersion version) {
    return version == ApiVersion::v3 ? "http://iiif.io/api/image/3/context.json"
                                     : "http://iiif.io/api/image/2/context.json";
}

std::string_view profile_uri(ApiVersion version) {
    return version == ApiVersion::v3 ? "http://iiif.io/api/image/3/level2.json"
                                     : "http://iiif.io/api/image/2/level2.json";
}

std::string profile_link(ApiVersion version) {
    return "<" + std::string(profile_uri(version)) + ">;rel=\"profile\"";
}

std::string limits_text(const Limits& limits) {
    std::string text = std::to_string(limits.max_width) + "x" + std::to_string(limits.max_height) +
                       "x" + std::to_string(limits.max_area);
    if (limits.max_scale > 0) text += "s" + std::to_string(limits.max_scale);
    return text;
}

std::string watermark_text(const WatermarkSpec& mark) {
    return mark.name + "," + mark.image + "," + mark.text + "," + mark.color + "," + mark.position +
           "," + std::to_string(mark.opacity) + "," + std::to_string(mark.scale) + "," +
           std::to_string(mark.margin) + "," + std::to_string(mark.min_size);
}

// Answers that depend on the requester's credentials: kept by the browser only, and checked
// again on every use (a 304 when the credentials still give the same answer), so a sign-in or
// sign-out takes effect at once.
constexpr std::string_view kControlledCacheControl = "private, no-cache";

// Cache key texts. Each names everything its bytes depend on; see tile_cache.hpp.
CacheKey source_key(const RenderJob& job) {
    return make_cache_key(job.group(), "source|" + job.identity());
}

CacheKey info_key(const RenderJob& job) {
    return make_cache_key(job.group(), "info|" + std::to_string(kInfoJsonLayout) + "|" +
                                           std::to_string(static_cast<int>(job.config->version)) +
                                           "|" + job.id_url + "|" + job.identity() + "|" +
                                           limits_text(job.limits) + "|" +
                                           std::to_string(job.config->default_tile_size) + "|" +
                                           job.rights + "|" + job.access_tag);
}

CacheKey image_key(const RenderJob& job, const ImagePlan& plan) {
    const RenderOptions& render = job.config->render;
    return make_cache_key(
        job.group(), "image|" + std::to_string(static_cast<int>(job.config->version)) + "|" +
                         job.identity() + "|" + plan.canonical + "|" + limits_text(job.limits) +
                         "|q" + std::to_string(render.jpeg_quality) + "," +
                         std::to_string(render.webp_quality) + "," +
                         std::to_string(render.png_compression) +
                         (job.watermark ? "|w" + watermark_text(*job.watermark) : std::string()));
}

std::string etag_of(const CacheKey& key) {
    return "\"" + cache_key_hex(key).substr(0, 32) + "\"";
}

std::string base_uri(const ServiceConfig& config, const HttpRequest& request) {
    if (!config.base_url.empty()) {
        std::string base = config.base_url;
        while (!base.empty() && base.back() == '/') base.pop_back();
        return base;
    }
    // Behind a reverse proxy, the public scheme, host and path prefix come from its headers.
    std::string scheme(request.forwarded_proto.empty() ? request.scheme : request.forwarded_proto);
    std::string host(request.forwarded_host.empty() ? request.host : request.forwarded_host);
    // Only the first value of a comma-separated list (the client-facing proxy) counts.
    scheme = scheme.substr(0, scheme.find(','));
    host = host.substr(0, host.find(','));
    std::string prefix(request.forwarded_prefix);
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    std::string path(request.prefix);
    while (!path.empty() && path.back() == '/') path.pop_back();
    return scheme + "://" + host + prefix + path;
}

void add_success_headers(HttpResponse& response, const RenderJob& job) {
    response.headers.emplace_back("Access-Control-Allow-Origin", "*");
    if (job.controlled) {
        response.headers.emplace_back("Cache-Control", std::string(kControlledCacheControl));
        response.headers.emplace_back("Vary", "Cookie, Authorization");
    } else if (!job.config->cache_control.empty())
        response.headers.emplace_back("Cache-Control", job.config->cache_control);
}

// The headers of info.json; the caller sets the body.
HttpResponse info_response(const RenderJob& job, const CacheKey& key, CacheStatus status) {
    HttpResponse response;
    response.content_type = job.json_ld ? "application/ld+json;profile=\"" +
                                              std::string(context_uri(job.config->version)) + "\""
                                        : "application/json";
    add_success_headers(response, job);
    response.headers.emplace_back("Link", profile_link(job.config->version));
    response.headers.emplace_back("Vary", "Accept");
    response.etag = etag_of(key);
    response.last_modified = job.last_modified;
    response.cache_status = status;
    return response;
}

// The Link header of an image: the profile and the canonical URI.
std::string image_link(const RenderJob& job, const ImagePlan& plan) {
    return profile_link(job.config->version) + ", <" + job.id_url + "/" + plan.canonical +
           ">;rel=\"canonical\"";
}

// The headers of an image; the caller sets the body.
HttpResponse image_response(const RenderJob& job, std::string media_type, std::string etag,
                            std::string link, CacheStatus status) {
    HttpResponse response;
    response.content_type = std::move(media_type);
    add_success_headers(response, job);
    response.headers.emplace_back("Link", std::move(link));
    response.etag = std::move(etag);
    response.last_modified = job.last_modified;
    response.cache_status = status;
    return response;
}

// A hit's entry as the memo keeps it: everything but the pin (a memo must hold no snapshot).
void keep_unpinned(PinnedEntry& kept, const PinnedEntry& entry) {
    kept.media_type = entry.media_type;
    kept.bytes = entry.bytes;
    kept.stored_at = entry.stored_at;
    kept.commit = entry.commit;
}

// A hit's body where the cache holds it: in LMDB's map.
void set_pinned_body(HttpResponse& response, PinnedEntry&& entry) {
    response.pinned_body = entry.bytes;
    response.body_pin = std::move(entry.pin);
}

// A hit the memo has seen before is sent from the worker's SendArena: copied there once, then
// sent by reference with sendfile() (the bytes under a key never change, so the copy stays the
// entry's while its segment is current).
void send_from_arena(HttpResponse& response, MemoAnswer& answer, std::string_view bytes,
                     SendArena* arena) {
    if (!arena) return;
    std::optional<SendArena::Span> span = arena->find(answer.sent);
    if (span && span->size != bytes.size()) span.reset();
    if (!span && answer.hit_before) span = arena->add(bytes, &answer.sent);
    answer.hit_before = true;
    if (span) response.body_file = {std::move(span->hold), span->fd, span->offset};
}

// The description of the source the cache knows, kept in the memo once parsed: a hit would
// otherwise read and parse the same few numbers again on every request of a viewer.
std::shared_ptr<const SourceInfo> cached_source_info(TileCache* cache, const RenderJob& job,
                                                     RequestMemo* memo) {
    if (!cache) return nullptr;
    if (memo)
        if (auto kept = memo->source(job.identity())) return kept;
    auto entry = cache->get(source_key(job));
    if (!entry || entry->media_type != kSourceMediaType) return nullptr;
    std::optional<SourceInfo> parsed = parse_source_info(entry->bytes);
    if (!parsed) return nullptr;
    auto source = std::make_shared<const SourceInfo>(std::move(*parsed));
    if (memo) memo->keep_source(job.identity(), source);
    return source;
}

// Catalog mode: the image's record names its master, its size, its version and its policy.
ImageRecord resolve_in_catalog(RenderJob& job, const CatalogReader* catalog, const std::string& key,
                               const std::string& identifier, RequestMemo* memo) {
    std::optional<ImageRecord> record;
    if (catalog) record = catalog->image(identifier);
    if (!record || record->state == RecordState::pending) throw IiifError(404, "image not found");
    if (record->state == RecordState::withdrawn)
        throw IiifError(job.config->withdrawn_status, job.config->withdrawn_status == 404
                                                          ? "image not found"
                                                          : "image withdrawn");
    job.source.path = record->master_path;
    job.in_catalog = true;
    job.set_catalog_names("catalog|" + key + "|v" + std::to_string(record->version),
                          image_cache_group(key));
    job.rights = record->rights;
    // A record without the master's description (width 0) is probed like a file. The
    // description is the version's (a new master is a new version): the memo may keep it.
    if (record->source.width > 0) {
        job.source_info = memo ? memo->source(job.identity()) : nullptr;
        if (!job.source_info) {
            job.source_info = std::make_shared<const SourceInfo>(record->source);
            if (memo) memo->keep_source(job.identity(), job.source_info);
        }
    }
    return std::move(*record);
}

// The limits of this requester for a source of known size; a source too large to serve
// whole is refused here, for info.json as for every image.
void settle_limits(RenderJob& job, const SourceInfo& source) {
    check_renderable(source, service_limits(*job.config), job.config->render);
    if (job.degraded_size > 0)
        job.limits = degraded_limits(service_limits(*job.config), source.width, source.height,
                                     job.degraded_size);
}

// An answer that depends on the requester's access, before any cache lookup: a refusal is
// thrown, a degraded grant narrows the limits, a watermark is chosen. Returns the decision and
// the policy it was taken under (the probe service answers with them).
struct Access {
    std::shared_ptr<const AccessSettings> settings;
    const AccessPolicy* policy = nullptr;
    AccessDecision decision;
};
Access decide(RenderJob& job, const HttpRequest& request, const CatalogReader& catalog,
              const ImageRecord& record, bool probe) {
    Access access;
    access.settings = catalog.access_settings();
    access.policy = access.settings->policy(record.policy);
    if (!access.policy)
        throw IiifError(500, "access policy \"" + record.policy + "\" is not configured");
    Requester requester;
    requester.address = request.client_address;
    requester.authorization = request.authorization;
    // The probe is asked with the access token only (Auth 2.0); images also with the cookie.
    if (!probe) requester.cookie = request.cookie;
    const std::int64_t now = now_seconds();
    // The event loop's memo of credentials already verified (one per worker thread).
    thread_local CredentialMemo verified;
    access.decision = decide_access(*access.policy, requester, *access.settings,
                                    job.config->access_key, now, &verified, record.institution);
    const AccessDecision& decision = access.decision;
    job.controlled = access.policy->kind != PolicyKind::open;
    if (decision.grant == Grant::degraded) {
        job.degraded_size = decision.degraded_size;
        job.beyond_status = decision.status;
    }
    if (!record.watermark.empty() &&
        (decision.grant != Grant::full || !access.policy->watermark_unauthorised_only)) {
        const WatermarkSpec* mark = access.settings->watermark(record.watermark);
        if (!mark) throw IiifError(500, "watermark \"" + record.watermark + "\" is not configured");
        job.watermark = *mark;
        // min_size spares a reader's thumbnails; a degraded requester gets no such favour, as
        // tiles under it would stitch into an unmarked copy of the degraded image.
        if (decision.grant == Grant::degraded) job.watermark->min_size = 0;
    }
    return access;
}

// The plan of an image request under the requester's limits. Degraded, a request finer than
// allowed is refused with the access status (401 or 403) rather than as a malformed request:
// its scale is checked under the service's own limits first.
ImagePlan plan_within_access(const RenderJob& job, const SourceInfo& source) {
    if (job.limits.max_scale > 0) {
        Limits scale_only = service_limits(*job.config);
        scale_only.max_scale = job.limits.max_scale;
        if (!within_scale(plan_image(job.image, source.width, source.height, scale_only),
                          job.limits))
            throw IiifError(job.beyond_status, "finer than the size allowed to you");
    }
    return plan_image(job.image, source.width, source.height, job.limits);
}

// The degraded version has a URL of its own (its exact size), so that no cache, the browser's
// included, can answer one version for the other.
std::string substitute_url(const RenderJob& job) {
    if (!job.source_info || job.degraded_size <= 0) return job.id_url + "/full/max/0/default.jpg";
    const Limits fitted = degraded_limits(service_limits(*job.config), job.source_info->width,
                                          job.source_info->height, job.degraded_size);
    const Dimensions size =
        max_size(job.source_info->width, job.source_info->height, fitted, false);
    return job.id_url + "/full/" + std::to_string(size.width) + "," + std::to_string(size.height) +
           "/0/default.jpg";
}

HttpResponse probe_response(const RenderJob& job, const Access& access) {
    HttpResponse response;
    const AccessPolicy open;
    response.body = probe_result_json(access.policy ? *access.policy : open, access.decision,
                                      job.id_url + "/probe", substitute_url(job));
    response.content_type =
        "application/ld+json;profile=\"http://iiif.io/api/auth/2/context.json\"";
    response.headers.emplace_back("Access-Control-Allow-Origin", "*");
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
}

// File mode: the identifier names a file, whose size, mtime and inode name its version.
void resolve_in_directory(RenderJob& job, const ServiceConfig& config,
                          const std::string& identifier) {
    if (config.source_dir.empty()) throw IiifError(404, "image not found");
    auto source = resolve_source_file(config.source_dir, identifier);
    if (!source) throw IiifError(404, "image not found");
    job.source = std::move(*source);
    job.last_modified = job.source.mtime_ns / 1'000'000'000;
}

// The image's id URL: "{base URI}/{identifier}", as last made for this request when the
// request fields the base URI is read from are the same (all of them: which count depends on
// the configuration and on which are present).
std::string id_url_of(const ServiceConfig& config, const HttpRequest& request, const IiifPath& path,
                      MemoEntry* memo) {
    if (!memo) return base_uri(config, request) + "/" + encode_identifier(path.identifier);
    const std::string_view fields[] = {request.scheme,           request.host,
                                       request.forwarded_proto,  request.forwarded_host,
                                       request.forwarded_prefix, request.prefix};
    size_t at = 0;
    bool same = !memo->id_url.empty();
    for (std::string_view field : fields) {
        same = same && at + field.size() < memo->base_fields.size() &&
               memo->base_fields.compare(at, field.size(), field) == 0 &&
               memo->base_fields[at + field.size()] == '\0';
        at += field.size() + 1;
    }
    if (same && at == memo->base_fields.size()) return memo->id_url;
    memo->answer.reset();  // its Link holds the id URL
    memo->base_fields.clear();
    for (std::string_view field : fields) memo->base_fields.append(field).push_back('\0');
    memo->id_url = base_uri(config, request) + "/" + encode_identifier(path.identifier);
    return memo->id_url;
}

// Whether `answer` was made for this version of the job's source: a file's path, size, mtime
// and inode (compared as they are, without making its identity), or a catalog identity.
bool same_version(const MemoAnswer& answer, const RenderJob& job) {
    if (job.in_catalog) return answer.identity == job.identity();
    return answer.identity.empty() && answer.file.path == job.source.path &&
           answer.file.size == job.source.size && answer.file.mtime_ns == job.source.mtime_ns &&
           answer.file.inode == job.source.inode;
}

// An image request's cache key, ETag and Link: made (a plan, a key text, its digest) into
// `made`, and kept in the memo; or as last made for this request, when every input is the same.
MemoAnswer& image_answer(const RenderJob& job, MemoEntry* memo, MemoAnswer& made) {
    const SourceInfo& source = *job.source_info;
    if (memo && memo->answer && same_version(*memo->answer, job) &&
        memo->answer->made_from(job.limits, job.watermark, source.width, source.height))
        return *memo->answer;
    const ImagePlan plan = plan_within_access(job, source);
    if (job.in_catalog)
        made.identity = job.identity();
    else
        made.file = job.source;
    made.source = job.source_info;
    made.limits = job.limits;
    made.watermark = job.watermark;
    made.width = source.width;
    made.height = source.height;
    made.key = image_key(job, plan);
    made.etag = etag_of(made.key);
    made.link = image_link(job, plan);
    if (!memo) return made;
    memo->answer = std::move(made);
    return *memo->answer;
}

// The loop side: everything that costs no more than a stat (or a catalog lookup) and a cache
// read.
PreparedRequest prepare(const ServiceConfig& config, TileCache* cache, const HttpRequest& request,
                        const CatalogReader* catalog, RequestMemo* memo) {
    PreparedRequest prepared;
    if (request.method == "OPTIONS") {
        HttpResponse& response = prepared.response;
        response.status = 204;
        response.headers = {{"Access-Control-Allow-Origin", "*"},
                            {"Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"},
                            {"Access-Control-Max-Age", "86400"}};
        if (!request.access_control_request_headers.empty())
            response.headers.emplace_back("Access-Control-Allow-Headers",
                                          std::string(request.access_control_request_headers));
        return prepared;
    }
    if (request.method != "GET" && request.method != "HEAD") {
        prepared.response = error_response(405, "method not allowed");
        prepared.response.headers.emplace_back("Allow", "GET, HEAD, OPTIONS");
        return prepared;
    }

    if (!config.catalog_path.empty()) {
        if (auto document = document_response(config, request, catalog)) {
            prepared.response = std::move(*document);
            return prepared;
        }
    }

    // "{id}/probe": the Auth 2.0 probe service of the image.
    constexpr std::string_view kProbe = "/probe";
    const bool probe = request.path.size() > kProbe.size() && request.path.ends_with(kProbe);
    IiifPath parsed;
    MemoEntry* memo_entry = nullptr;
    if (probe)
        parsed = parse_iiif_path(config.version, std::string(request.path.substr(
                                                     0, request.path.size() - kProbe.size())) +
                                                     "/info.json");
    else if (memo)
        memo_entry = memo->entry(request.path,
                                 [&] { return parse_iiif_path(config.version, request.path); });
    if (!probe && !memo_entry) parsed = parse_iiif_path(config.version, request.path);
    const IiifPath& path = memo_entry ? memo_entry->path : parsed;
    // Made on the stack: a hit needs no job once prepared; a miss moves it to the heap.
    RenderJob job_here;
    RenderJob* job = &job_here;
    job->config = &config;
    job->cache = cache;
    job->limits = service_limits(config);
    job->id_url = id_url_of(config, request, path, memo_entry);

    // Resolved before anything else is answered, the base URI included: whatever the path
    // parses as (the parse is from the right, so a mistyped image request is a base URI of an
    // identifier holding slashes), no answer but a 404 is given for an image that does not exist.
    std::optional<std::string> catalog_key;
    if (!config.catalog_path.empty()) catalog_key = catalog_image_key(path.identifier);
    std::optional<ImageRecord> record;
    if (catalog_key)
        record = resolve_in_catalog(*job, catalog, *catalog_key, path.identifier, memo);
    else
        resolve_in_directory(*job, config, path.identifier);
    if (path.kind == IiifPath::Kind::base) {
        HttpResponse& response = prepared.response;
        response.status = 303;
        response.headers = {{"Access-Control-Allow-Origin", "*"},
                            {"Location", job->id_url + "/info.json"}};
        return prepared;
    }
    std::optional<Access> access;
    if (record) access = decide(*job, request, *catalog, *record, probe);
    if (probe) {
        prepared.response = probe_response(*job, access.value_or(Access{}));
        return prepared;
    }
    job->info = path.kind == IiifPath::Kind::info;
    if (access && access->decision.grant == Grant::none &&
        (!job->info || access->policy->kind == PolicyKind::restricted))
        throw IiifError(access->decision.status, "this image is not available to you");
    // What info.json declares of a controlled image, and the tier it was made for (its cache
    // key): made for info.json only, not for every tile.
    if (job->info && job->controlled) {
        job->services =
            auth_services_json(*access->policy, *access->settings, job->id_url + "/probe");
        job->access_tag = access->policy->name + ":" +
                          std::to_string(static_cast<int>(access->decision.grant)) + ":" +
                          access->settings->fingerprint;
    }
    job->json_ld = accepts_json_ld(request.accept);
    job->image = path.image;
    job->request_path = request.path;
    // The source's description the memo's answer was made with, when the source is the same.
    if (!job->source_info && memo_entry && memo_entry->answer &&
        same_version(*memo_entry->answer, *job))
        job->source_info = memo_entry->answer->source;
    if (!job->source_info) job->source_info = cached_source_info(cache, *job, memo);
    if (job->source_info) settle_limits(*job, *job->source_info);

    if (cache && job->info) {
        CacheKey key = info_key(*job);
        if (auto entry = cache->get_pinned(key)) {
            cache->touch(key);
            prepared.response = info_response(*job, key, CacheStatus::hit);
            set_pinned_body(prepared.response, std::move(*entry));
            return prepared;
        }
    } else if (cache && job->source_info) {
        MemoAnswer made;
        MemoAnswer& answer = image_answer(*job, memo_entry, made);
        if (auto entry = cache->get_pinned(answer.key, memo_entry ? &answer.seen : nullptr)) {
            // A coarse clock (the kernel's tick, no clock source read): enough for once a second.
            timespec now;
            clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
            if (!memo_entry || answer.touched != now.tv_sec) {
                cache->touch(answer.key);
                answer.touched = now.tv_sec;
            }
            if (memo_entry) keep_unpinned(answer.seen, *entry);
            if (!memo_entry) {
                prepared.response = image_response(*job, std::string(entry->media_type),
                                                   answer.etag, answer.link, CacheStatus::hit);
            } else {
                // The headers of a hit the memo knows are made once.
                if (!answer.head || answer.head->content_type != entry->media_type ||
                    answer.head->last_modified != job->last_modified ||
                    answer.head_controlled != job->controlled) {
                    answer.head = std::make_shared<const HttpResponse>(
                        image_response(*job, std::string(entry->media_type), answer.etag,
                                       answer.link, CacheStatus::hit));
                    answer.head_controlled = job->controlled;
                }
                prepared.response.head = answer.head;
                send_from_arena(prepared.response, answer, entry->bytes, memo->arena);
            }
            set_pinned_body(prepared.response, std::move(*entry));
            return prepared;
        }
    }
    prepared.job.reset(new RenderJob(std::move(job_here)));
    return prepared;
}

}  // namespace

HttpResponse overloaded_response() {
    HttpResponse response = error_response(503, "render queue is full, retry shortly");
    response.headers.emplace_back("Retry-After", "2");
    return response;
}

PreparedRequest prepare_request(const ServiceConfig& config, TileCache* cache,
                                const HttpRequest& request, const CatalogReader* catalog,
                                RequestMemo* memo) {
    try {
        return prepare(config, cache, request, catalog, memo);
    } catch (const IiifError& error) {
        PreparedRequest prepared;
        prepared.response = error_response(error.status, error.reason);
        return prepared;
    } catch (const std::exception& error) {
        PreparedRequest prepared;
        prepared.response = error_response(500, error.what());
        return prepared;
    }
}

JobTraits job_traits(const RenderJob& job) {
    JobTraits traits;
    // Everything the answer depends on besides the source's bytes, which the identity names.
    traits.key = std::string(job.info ? "info|" : "image|") + job.request_path + "|" + job.id_url +
                 "|" + job.identity() + "|" + limits_text(job.limits) + "|d" +
                 std::to_string(job.degraded_size) + "," + std::to_string(job.beyond_status) + "|" +
                 (job.watermark ? watermark_text(*job.watermark) : std::string()) + "|" +
                 job.access_tag + "|" + job.rights + "|" + (job.controlled ? "c" : "") +
                 (job.json_ld ? "j" : "") + "|" + job.services;
    if (job.info) {
        traits.pixels = 0;  // a probe at most
    } else if (job.source_info) {
        const SourceInfo& source = *job.source_info;
        const Limits limits = job.degraded_size > 0
                                  ? degraded_limits(service_limits(*job.config), source.width,
                                                    source.height, job.degraded_size)
                                  : job.limits;
        try {
            traits.pixels =
                render_pixels(source, plan_image(job.image, source.width, source.height, limits));
        } catch (const IiifError&) {
            traits.pixels = 0;  // refused at once when it runs
        }
    }
    return traits;
}

void cancel_job(RenderJob& job) {
    job.cancelled.value.store(true, std::memory_order_relaxed);
}

void run_job(RenderJob& job) {
    const ServiceConfig& config = *job.config;
    const CacheStatus status = job.cache ? CacheStatus::miss : CacheStatus::bypass;
    const RenderCancellation cancellation(&job.cancelled.value);
    try {
        if (job.cancelled.value.load(std::memory_order_relaxed))
            throw IiifError(503, "render cancelled: nobody waits for it any more");
        if (!job.source_info) {
            job.source_info = std::make_shared<const SourceInfo>(
                probe_source(job.source.path, config.source_limits, job.identity()));
            if (job.cache)
                job.cache->put(source_key(job), kSourceMediaType,
                               serialize_source_info(*job.source_info));
        }
        const SourceInfo& source = *job.source_info;
        settle_limits(job, source);
        if (job.info) {
            InfoOptions options;
            options.version = config.version;
            options.id = job.id_url;
            options.limits = job.limits;
            options.default_tile_size = config.default_tile_size;
            options.rights = job.rights;
            options.services = job.services;
            std::string body = info_json(source, options);
            CacheKey key = info_key(job);
            if (job.cache) job.cache->put(key, "application/json", body);
            job.response = info_response(job, key, status);
            job.response.body = std::move(body);
        } else {
            ImagePlan plan = plan_within_access(job, source);
            RenderedImage rendered =
                render_image(job.source.path, source, plan, config.render, job.identity(),
                             job.watermark ? &*job.watermark : nullptr);
            CacheKey key = image_key(job, plan);
            if (job.cache) job.cache->put(key, rendered.media_type, rendered.bytes);
            job.response = image_response(job, std::move(rendered.media_type), etag_of(key),
                                          image_link(job, plan), status);
            job.response.body = std::move(rendered.bytes);
        }
        if (job.cache && job.cache->touches_pending()) job.cache->flush_touches();
    } catch (const IiifError& error) {
        job.response = error_response(error.status, error.reason);
    } catch (const std::exception& error) {
        job.response = error_response(500, error.what());
    }
}

HttpResponse finish_job(RenderJob& job) {
    return std::move(job.response);
}

void RenderJobDeleter::operator()(RenderJob* job) const {
    delete job;
}

}  // namespace iiif
