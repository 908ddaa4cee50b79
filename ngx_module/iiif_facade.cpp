#include "iiif_facade.h"

#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ark_resolver.hpp"
#include "catalog.hpp"
#include "http_url.hpp"
#include "image_service.hpp"
#include "mapped_pages.hpp"
#include "renderer.hpp"
#include "request_memo.hpp"
#include "send_arena.hpp"
#include "signing.hpp"
#include "tile_cache.hpp"

namespace {

// Allocations up to this size come from malloc's heaps (a render's buffers are megabytes), and a
// heap gives back free memory at its top beyond kMallocTrimThreshold.
constexpr int kMallocMapThreshold = 32 << 20;
constexpr int kMallocTrimThreshold = 16 << 20;
constexpr int kMallocArenas = 2;
// The heaps' free pages are given back (malloc_trim) at most this often.
constexpr std::int64_t kTrimEveryNs = 5'000'000'000;
// A worker's mapped-file pages (its LMDB maps: every page a lookup or a hit read stays mapped)
// given back at the next tick past this (mapped_pages.hpp); the libraries' are about 20 MB.
constexpr std::size_t kMostMappedBytes = 64 << 20;

// A worker's handle on one catalog file, opened at the first chance: iiifd may make the file
// after nginx has started, so a failed open is tried again, no more often than kRetry.
struct CatalogSlot {
    static constexpr std::chrono::seconds kRetry{3};
    std::string path;
    std::unique_ptr<iiif::CatalogReader> reader;
    std::string error;  // why the last attempt failed
    std::chrono::steady_clock::time_point next_attempt{};

    bool open() {
        next_attempt = std::chrono::steady_clock::now() + kRetry;
        reader = iiif::CatalogReader::open(path, &error);
        return reader != nullptr;
    }
    // On the event loop: the reader, or null while the file cannot be opened.
    const iiif::CatalogReader* get() {
        if (!reader && std::chrono::steady_clock::now() >= next_attempt) open();
        return reader.get();
    }
};

}  // namespace

struct iiif_service {
    iiif::ServiceConfig config;
    std::string cache_path;
    long long cache_max_bytes = 0;
    iiif::TileCache* cache = nullptr;  // owned by the worker's registry
    CatalogSlot* catalog = nullptr;    // idem
    iiif::RequestMemo memo;            // the worker's, used on its event loop only
};

struct iiif_resolver {
    std::string catalog_path;
    CatalogSlot* catalog = nullptr;  // owned by the worker's registry
    iiif::PublicationMemo publication;
};

struct iiif_job {
    iiif::RenderJobPtr job;
    iiif::JobTraits traits;  // once asked
    bool traits_made = false;
    std::optional<iiif::HttpResponse> finished;  // its body shared by every copy
};

struct iiif_response {
    iiif::HttpResponse response;
};

namespace {

// One environment per cache path in a worker, shared by every location that names it. Lives
// from iiif_worker_init to iiif_worker_exit (nginx's worker lifecycle).
std::map<std::string, std::unique_ptr<iiif::TileCache>>& cache_registry() {
    static std::map<std::string, std::unique_ptr<iiif::TileCache>> registry;
    return registry;
}

// The worker's arena of hits sent with sendfile(), made after fork (null: none).
std::unique_ptr<iiif::SendArena>& send_arena() {
    static std::unique_ptr<iiif::SendArena> arena;
    return arena;
}

// Likewise one read-only catalog environment per path.
std::map<std::string, std::unique_ptr<CatalogSlot>>& catalog_registry() {
    static std::map<std::string, std::unique_ptr<CatalogSlot>> registry;
    return registry;
}

void write_error(char* error, size_t error_len, const std::string& message) {
    if (error && error_len) std::snprintf(error, error_len, "%s", message.c_str());
}

std::string_view view(iiif_str_t text) {
    return {text.data ? text.data : "", text.len};
}

iiif_str_t str(const std::string& text) {
    return {text.data(), text.size()};
}

iiif_response_t* wrap(iiif::HttpResponse response) {
    return new (std::nothrow) iiif_response{std::move(response)};
}

// The worker's slot for the catalog at `path`, opened (or tried) on first use: an LMDB
// environment must be opened once per process, so every location naming the file shares it.
int open_catalog(const std::string& path, CatalogSlot** slot_out, char* error, size_t error_len) {
    try {
        auto& registry = catalog_registry();
        auto found = registry.find(path);
        if (found == registry.end()) {
            auto slot = std::make_unique<CatalogSlot>();
            slot->path = path;
            slot->open();
            found = registry.emplace(path, std::move(slot)).first;
        }
        *slot_out = found->second.get();
        if ((*slot_out)->reader) return 0;
        struct stat there {};
        if (::stat(path.c_str(), &there) != 0) {
            write_error(error, error_len, (*slot_out)->error);
            return IIIF_CATALOG_MISSING;
        }
        // There, but not for this worker: the file's or its lock file's permissions, most often
        // (a -lock file made by a umask that took away its group's write).
        write_error(error, error_len,
                    (*slot_out)->error + " (the file is there: this worker, uid " +
                        std::to_string(::geteuid()) + ", must be able to read " + path +
                        " and to read and write " + path + "-lock)");
        return IIIF_CATALOG_REFUSED;
    } catch (const std::exception& e) {
        write_error(error, error_len, e.what());
        return -1;
    }
}

// The heaps' free pages given back (malloc_trim: not only those at a heap's top), so that a
// worker's memory after its largest renders is its caches, not the free space those renders left
// in each heap. Mostly on a render thread after its render, at most every few seconds (a trim
// holds each heap's lock while it gives pages back: never on the event loop while renders run),
// so the next render takes back a few pages, not a render's worth each time; and once on the
// event loop's tick after renders stopped, for the last ones.
std::int64_t monotonic_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
std::atomic<std::int64_t> last_trim_ns{0};
std::atomic<std::int64_t> last_render_ns{0};

// Trims unless another thread claimed the trim since `seen` was read.
void trim_heaps(std::int64_t seen, std::int64_t now) {
    if (last_trim_ns.compare_exchange_strong(seen, now, std::memory_order_relaxed))
        malloc_trim(kMallocTrimThreshold);
}

void trim_heaps_after_render() {
    const std::int64_t now = monotonic_ns();
    last_render_ns.store(now, std::memory_order_relaxed);
    const std::int64_t seen = last_trim_ns.load(std::memory_order_relaxed);
    if (now - seen >= kTrimEveryNs) trim_heaps(seen, now);
}

void trim_heaps_when_idle() {
    const std::int64_t now = monotonic_ns();
    const std::int64_t render = last_render_ns.load(std::memory_order_relaxed);
    const std::int64_t seen = last_trim_ns.load(std::memory_order_relaxed);
    if (seen <= render && now - render >= kTrimEveryNs) trim_heaps(seen, now);  // idle, untrimmed
}

}  // namespace

extern "C" {

int iiif_check_base_url(iiif_str_t url, char* error, size_t error_len) {
    try {
        const std::string problem = iiif::http_url_problem(view(url));
        if (problem.empty()) return 0;
        write_error(error, error_len, problem);
    } catch (const std::exception& e) {
        write_error(error, error_len, e.what());
    }
    return -1;
}

int iiif_check_access_key_file(iiif_str_t path, char* error, size_t error_len) {
    const std::string file(view(path));
    try {
        iiif::load_secret_key(file, false);
        return 0;
    } catch (const std::exception& e) {
        // "{path}: what is wrong" (signing.hpp): the directive names the path already.
        std::string_view message = e.what();
        if (message.starts_with(file + ": ")) message.remove_prefix(file.size() + 2);
        write_error(error, error_len, std::string(message));
        return -1;
    }
}

iiif_service_t* iiif_service_create(const iiif_service_config_t* config, char* error,
                                    size_t error_len) {
    try {
        auto service = std::make_unique<iiif_service>();
        iiif::ServiceConfig& c = service->config;
        c.version = config->api_version == 2 ? iiif::ApiVersion::v2 : iiif::ApiVersion::v3;
        c.source_dir = std::string(view(config->source_dir));
        c.catalog_path = std::string(view(config->catalog_path));
        c.base_url = std::string(view(config->base_url));
        c.cache_control = std::string(view(config->cache_control));
        c.limits = {config->max_width, config->max_height, config->max_area};
        c.render.jpeg_quality = config->jpeg_quality;
        c.default_tile_size = config->tile_size;
        c.withdrawn_status = config->withdrawn_status;
        // The key's format is signing.hpp's, shared with iiifd: read here, once, so the master
        // reports a bad key at configuration time and the workers need no access to the file.
        if (config->access_key_file.len)
            c.access_key = iiif::load_secret_key(std::string(view(config->access_key_file)), false);
        service->cache_path = std::string(view(config->cache_path));
        service->cache_max_bytes = config->cache_max_bytes;
        return service.release();
    } catch (const std::exception& e) {
        write_error(error, error_len, e.what());
        return nullptr;
    }
}

void iiif_service_destroy(iiif_service_t* service) {
    delete service;
}

int iiif_worker_init(int vips_concurrency, size_t decoded_cache_bytes, char* error,
                     size_t error_len) {
    try {
        iiif::init_renderer("nginx", vips_concurrency);
        // Opened pyramid levels kept per worker: each holds its decoder and libvips' cache of
        // recently decoded tiles (at most two rows of tiles of its level).
        iiif::set_open_image_capacity(8);
        // Decoded source tiles shared by the worker's render threads: a viewer's next region
        // overlaps the last one, and a level's tiles are decoded once.
        iiif::set_decoded_tile_capacity(decoded_cache_bytes);
        // A render's buffers (a level region, the resampler's passes: megabytes each) are
        // taken from and given back to malloc's heaps, not mapped and unmapped by the kernel
        // for every request, whose page faults and zeroing cost a third of a render.
        mallopt(M_MMAP_THRESHOLD, kMallocMapThreshold);
        mallopt(M_TRIM_THRESHOLD, kMallocTrimThreshold);
        // At most two heaps, which the event loop and the render threads share, rather than
        // one per render thread, each keeping the free memory of its own largest renders.
        mallopt(M_ARENA_MAX, kMallocArenas);
        return 0;
    } catch (const std::exception& e) {
        write_error(error, error_len, e.what());
        return -1;
    }
}

int iiif_worker_init_send_arena(size_t send_arena_bytes, char* error, size_t error_len) {
    try {
        send_arena().reset();
        if (send_arena_bytes == 0) return 0;
        std::string message;
        send_arena() = iiif::SendArena::create(send_arena_bytes, &message);
        if (!send_arena()) {
            write_error(error, error_len, message);
            return -1;
        }
        return 0;
    } catch (const std::exception& e) {
        write_error(error, error_len, e.what());
        return -1;
    }
}

int iiif_service_open_cache(iiif_service_t* service, char* error, size_t error_len) {
    service->memo.arena = send_arena().get();
    if (service->cache_path.empty()) return 0;
    try {
        auto& registry = cache_registry();
        auto found = registry.find(service->cache_path);
        if (found == registry.end()) {
            std::string message;
            auto cache =
                iiif::TileCache::open(service->cache_path, service->cache_max_bytes, &message);
            if (!cache) {
                write_error(error, error_len, message);
                return -1;
            }
            found = registry.emplace(service->cache_path, std::move(cache)).first;
        }
        service->cache = found->second.get();
        return 0;
    } catch (const std::exception& e) {
        write_error(error, error_len, e.what());
        return -1;
    }
}

int iiif_service_open_catalog(iiif_service_t* service, char* error, size_t error_len) {
    if (service->config.catalog_path.empty()) return 0;
    return open_catalog(service->config.catalog_path, &service->catalog, error, error_len);
}

void iiif_worker_tick(void) {
    try {
        for (auto& [path, cache] : cache_registry()) cache->release_idle_pins();
        if (iiif::resident_file_bytes() > kMostMappedBytes) {
            std::vector<std::string> files;
            for (auto& [path, cache] : cache_registry()) files.push_back(path + "/data.mdb");
            for (auto& [path, slot] : catalog_registry()) files.push_back(path);
            iiif::unmap_file_pages(files);
        }
        trim_heaps_when_idle();
    } catch (...) {
    }
}

void iiif_worker_exit(void) {
    try {
        for (auto& [path, cache] : cache_registry()) cache->flush_touches();
        cache_registry().clear();
        send_arena().reset();
        catalog_registry().clear();
    } catch (...) {
    }
}

iiif_kind_t iiif_request_kind(const iiif_service_t* service, const iiif_http_request_t* request) {
    const std::string_view path = view(request->path);
    // The paths document_response (serve/document_service.cpp) takes up, in catalog mode only.
    if (!service->config.catalog_path.empty() &&
        (path.ends_with("manifest") || path.starts_with("collection")))
        return IIIF_KIND_MANIFEST;
    if (path.ends_with("/info.json") || path.ends_with("/probe")) return IIIF_KIND_INFO;
    return IIIF_KIND_TILE;
}

void iiif_worker_take_counts(long long* evictions, long long* native_tiles) {
    // The totals already reported: the event loop is the only caller.
    static std::int64_t reported_evictions = 0, reported_native_tiles = 0;
    std::int64_t total_evictions = 0;
    for (auto& [path, cache] : cache_registry()) total_evictions += cache->evictions();
    const std::int64_t total_native_tiles = iiif::native_tiles_served();
    *evictions = total_evictions - reported_evictions;
    *native_tiles = total_native_tiles - reported_native_tiles;
    reported_evictions = total_evictions;
    reported_native_tiles = total_native_tiles;
}

void iiif_worker_cache_size(long long* used_bytes, long long* max_bytes) {
    *used_bytes = 0;
    *max_bytes = 0;
    try {
        for (auto& [path, cache] : cache_registry()) {
            const iiif::CacheStats stats = cache->stats();
            *used_bytes += stats.used_bytes;
            *max_bytes += stats.max_bytes;
        }
    } catch (...) {
    }
}

iiif_response_t* iiif_prepare(iiif_service_t* service, const iiif_http_request_t* request,
                              iiif_job_t** job) {
    *job = nullptr;
    try {
        iiif::HttpRequest http;
        http.method = view(request->method);
        http.path = view(request->path);
        http.prefix = view(request->prefix);
        http.scheme = view(request->scheme);
        http.host = view(request->host);
        http.forwarded_proto = view(request->forwarded_proto);
        http.forwarded_host = view(request->forwarded_host);
        http.forwarded_prefix = view(request->forwarded_prefix);
        http.accept = view(request->accept);
        http.access_control_request_headers = view(request->access_control_request_headers);
        http.cookie = view(request->cookie);
        http.authorization = view(request->authorization);
        if (request->client_address_len == 4) {
            http.client_address = iiif::ipv4_address(request->client_address);
        } else if (request->client_address_len == 16) {
            iiif::IpAddress address;
            std::memcpy(address.bytes.data(), request->client_address, 16);
            http.client_address = address;
        }
        const iiif::CatalogReader* catalog = service->catalog ? service->catalog->get() : nullptr;
        iiif::PreparedRequest prepared =
            iiif::prepare_request(service->config, service->cache, http, catalog, &service->memo);
        if (!prepared.job) return wrap(std::move(prepared.response));
        auto handle = std::make_unique<iiif_job>();
        handle->job = std::move(prepared.job);
        *job = handle.release();
        return nullptr;
    } catch (const std::exception& e) {
        return wrap(iiif::error_response(500, e.what()));
    } catch (...) {
        return wrap(iiif::error_response(500, "internal error"));
    }
}

void iiif_job_run(iiif_job_t* job) {
    try {
        iiif::run_job(*job->job);
    } catch (...) {
        // run_job reports its own failures in the response; nothing may escape a thread.
    }
    trim_heaps_after_render();
}

void iiif_job_traits(iiif_job_t* job, iiif_str_t* key, long long* pixels) {
    try {
        if (!job->traits_made) {
            job->traits = iiif::job_traits(*job->job);
            job->traits_made = true;
        }
        *key = str(job->traits.key);
        *pixels = job->traits.pixels;
    } catch (...) {
        // Nothing to share it with, and a cost the admission treats as unknown.
        *key = {nullptr, 0};
        *pixels = -1;
    }
}

void iiif_job_cancel(iiif_job_t* job) {
    iiif::cancel_job(*job->job);
}

iiif_response_t* iiif_job_response(iiif_job_t* job) {
    try {
        if (!job->finished) {
            iiif::HttpResponse response = iiif::finish_job(*job->job);
            if (!response.body_pin && !response.body.empty()) {
                auto body = std::make_shared<const std::string>(std::move(response.body));
                response.body.clear();
                response.pinned_body = *body;
                response.body_pin = std::move(body);
            }
            job->finished = std::move(response);
        }
        return wrap(*job->finished);
    } catch (...) {
        return nullptr;
    }
}

void iiif_job_free(iiif_job_t* job) {
    delete job;
}

iiif_resolver_t* iiif_resolver_create(iiif_str_t catalog_path, char* error, size_t error_len) {
    try {
        auto resolver = std::make_unique<iiif_resolver>();
        resolver->catalog_path = std::string(view(catalog_path));
        return resolver.release();
    } catch (const std::exception& e) {
        write_error(error, error_len, e.what());
        return nullptr;
    }
}

void iiif_resolver_destroy(iiif_resolver_t* resolver) {
    delete resolver;
}

int iiif_resolver_open_catalog(iiif_resolver_t* resolver, char* error, size_t error_len) {
    return open_catalog(resolver->catalog_path, &resolver->catalog, error, error_len);
}

iiif_response_t* iiif_resolve(iiif_resolver_t* resolver, const iiif_resolver_request_t* request) {
    try {
        iiif::ResolverRequest ark;
        ark.method = view(request->method);
        ark.path = view(request->path);
        ark.query = view(request->query);
        ark.has_query = request->has_query != 0;
        ark.accept = view(request->accept);
        const iiif::CatalogReader* catalog = resolver->catalog ? resolver->catalog->get() : nullptr;
        return wrap(iiif::resolve_ark(catalog, ark, resolver->publication));
    } catch (const std::exception& e) {
        return wrap(iiif::error_response(500, e.what()));
    } catch (...) {
        return wrap(iiif::error_response(500, "internal error"));
    }
}

iiif_response_t* iiif_overloaded_response(void) {
    try {
        return wrap(iiif::overloaded_response());
    } catch (...) {
        return nullptr;
    }
}

iiif_response_t* iiif_error_response(int status, const char* reason) {
    try {
        return wrap(iiif::error_response(status, reason));
    } catch (...) {
        return nullptr;
    }
}

int iiif_response_status(const iiif_response_t* r) {
    return r->response.meta().status;
}
iiif_str_t iiif_response_content_type(const iiif_response_t* r) {
    return str(r->response.meta().content_type);
}
iiif_str_t iiif_response_body(const iiif_response_t* r) {
    std::string_view body = r->response.body_bytes();
    return {body.data(), body.size()};
}
int iiif_response_body_file(const iiif_response_t* r, int* fd, long long* offset) {
    const auto& file = r->response.body_file;
    if (file.fd < 0) return 0;
    *fd = file.fd;
    *offset = file.offset;
    return 1;
}
iiif_str_t iiif_response_etag(const iiif_response_t* r) {
    return str(r->response.meta().etag);
}
long long iiif_response_last_modified(const iiif_response_t* r) {
    return r->response.meta().last_modified;
}
const char* iiif_response_cache_status(const iiif_response_t* r) {
    return iiif::cache_status_name(r->response.meta().cache_status).data();
}
size_t iiif_response_header_count(const iiif_response_t* r) {
    return r->response.meta().headers.size();
}
iiif_str_t iiif_response_header_name(const iiif_response_t* r, size_t i) {
    return str(r->response.meta().headers[i].first);
}
iiif_str_t iiif_response_header_value(const iiif_response_t* r, size_t i) {
    return str(r->response.meta().headers[i].second);
}
void iiif_response_free(iiif_response_t* r) {
    delete r;
}

}  // extern "C"
