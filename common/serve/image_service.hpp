// The Image API as an HTTP service, without nginx: an HttpRequest becomes an HttpResponse, in
// two steps so that the server's event loop never waits.
//
//   prepare_request()  on the event loop: parse, resolve the source (a stat, or a catalog
//                      lookup), look the answer up in the tile cache. Either the response is
//                      complete (an error, a redirect, a cache hit) or a RenderJob is returned.
//   run_job()          on a worker thread: probe, plan, render or write info.json, store.
//   finish_job()       back on the event loop: the response.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "access.hpp"
#include "http_message.hpp"
#include "image_plan.hpp"
#include "image_request.hpp"
#include "image_source.hpp"
#include "renderer.hpp"

namespace iiif {

class CatalogReader;
class RequestMemo;
class TileCache;

struct ServiceConfig {
    ApiVersion version = ApiVersion::v3;
    // File mode: identifiers name files in this directory (see source_resolver.hpp). Empty:
    // no file mode, only the catalog's images.
    std::string source_dir;
    // Catalog mode: identifiers that are image ARKs ("ark:/NAAN/name/f{n}", any ARK form) are
    // looked up in the catalog reader passed to prepare_request(); other identifiers stay in
    // file mode. The path is the module's business; here it only says the mode is on.
    std::string catalog_path;
    // Public base URI of the service, e.g. "https://images.example.org/iiif/3". Empty: derived
    // from each request (X-Forwarded-Proto/-Host/-Prefix, else the connection and Host).
    std::string base_url;
    // What info.json declares and requests are held to; 0: none of the service's own. Either
    // way capped to what `render` can deliver (renderable_limits), so that `max` (and 2.1's
    // `full`) is always served.
    Limits limits{.max_width = 10000, .max_height = 10000, .max_area = 50'000'000};
    RenderOptions render;
    SourceLimits source_limits;
    std::string cache_control = "public, max-age=86400";
    int default_tile_size = 512;
    // The key access credentials are signed with (access.hpp), shared with iiifd; empty: no
    // credential is valid (networks and API keys still let in).
    std::string access_key;
    // The status of a withdrawn image or object: 410 Gone, or 404 where the holder prefers
    // that a takedown not be told apart from an identifier that never existed.
    int withdrawn_status = 410;
};

class RenderJob;
struct RenderJobDeleter {
    void operator()(RenderJob* job) const;
};
using RenderJobPtr = std::unique_ptr<RenderJob, RenderJobDeleter>;

struct PreparedRequest {
    HttpResponse response;  // final unless `job` is set
    RenderJobPtr job;
};

// `catalog` may be null in catalog mode (not opened yet): every image ARK is then unknown.
// In catalog mode the image's record gives its master and its size (no stat, no probe); its id
// and version name it in the cache, so a new version never meets the old one's entries. A
// withdrawn image is 410 (config.withdrawn_status), an image ARK the catalog does not hold (or
// holds pending) is 404.
//
// Access (catalog mode): the image's policy is decided for the requester before the cache is
// read. Who is let in gets the image; who is not gets it degraded (the policy's size: smaller
// limits, declared in info.json, so a cache entry of one never answers the other) or a 401/403.
// info.json is given to everyone but under a restricted policy, with the IIIF Auth 2.0 probe
// service; "{id}/probe" answers that service. Answers under a policy other than public are
// marked private for caches. The image's watermark is applied as its policy says.
//
// `memo` (request_memo.hpp), when given, spares a repeated request the parse, the plan, the
// key's digest, the header strings and the cache lookup itself; it belongs to one
// configuration and one cache (what it keeps is theirs), and is used by one thread at a time.
PreparedRequest prepare_request(const ServiceConfig& config, TileCache* cache,
                                const HttpRequest& request, const CatalogReader* catalog = nullptr,
                                RequestMemo* memo = nullptr);
// What a server's admission of renders needs to know of a job before it runs (on the event
// loop; cheap: no I/O).
struct JobTraits {
    // Equal for two jobs exactly when they get the same answer: identical requests may share
    // one render.
    std::string key;
    // Pixels the render decodes and produces (render_pixels), or -1 when the source is not
    // known yet (it is probed first).
    std::int64_t pixels = -1;
};
JobTraits job_traits(const RenderJob& job);
// Asks the job to stop, from any thread: a job not started yet does nothing, a running render
// stops at its next step (RenderCancellation). Its answer is then a 503, and nothing is stored.
void cancel_job(RenderJob& job);
// Blocking work; safe on any thread. Never throws.
void run_job(RenderJob& job);
HttpResponse finish_job(RenderJob& job);

// The answer when the render queue is full.
HttpResponse overloaded_response();

}  // namespace iiif
