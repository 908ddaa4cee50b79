// The deposit API on loopback (nginx proxies /api/v1/ to it), on HttpServer (http_server.hpp);
// its handlers by audience in deposit_routes.cpp, partner_routes.cpp, directory_routes.cpp
// (institutions, accounts, keys, shoulders, the audit log: http_routes.hpp lists them),
// public_routes.cpp and oai_routes.cpp. Who may call each: docs/ARCHITECTURE.md, "Who may do
// what".
//
//   POST  /api/v1/objects          ?institution=&shoulder=, multipart: `file` parts in page
//                                  order, optional `metadata` (JSON) and `pages` (JSON, the
//                                  pages' labels: page_labels.hpp) -> 202 {"job", "ark",
//                                  "status_url"}
//   GET   /api/v1/jobs/{id}        the job's state and each file's state, progress and reason
//   GET   /api/v1/session          who asks (a key or a session): the account, its role and
//                                  institution; the deposit limits, sets and policy names
//   GET   /api/v1/objects          ?cursor=&limit= -> {"objects": [{ark, title, updated,
//                                  state}], "next_cursor"}
//   GET   /api/v1/objects/{ark}    the object record (ARK raw with its slashes, or encoded)
//   PATCH /api/v1/objects/{ark}    metadata JSON: the keys given replace the object's
//   GET   /api/v1/objects/{ark}/pages  its version, pages (name, id, label, size, file name),
//                                  table of contents and pages taken out
//   PUT   /api/v1/objects/{ark}/pages  a change of them (page_changes.hpp): the answer as GET
//   POST  /api/v1/objects/{ark}/pages  ?after=fN, multipart as a deposit: new pages -> 202 job
//   PUT   /api/v1/objects/{ark}/pages/fN  multipart, one `file`: the page's new image -> 202
//                                  job (its id and label kept, its version one more)
//   POST  /api/v1/objects/{ark}/withdraw   {"reason", "requested_by"}: takedown, logged
//   POST  /api/v1/objects/{ark}/reinstate  {"reason", "requested_by"}: undoes it
//   POST  /api/v1/objects/{ark}/purge      {"reason", "requested_by"}: a withdrawn object's
//                                          masters and originals deleted for good
//                                          (administrators only)
//   GET   /api/v1/partners         the harvest partners (partners.hpp), each with its last harvest
//   GET   /api/v1/partners/{id}    one of them
//   GET   /api/v1/partners/{id}/harvests   ?limit=: its harvests, most recent first
//   POST  /api/v1/partners/{id}/harvests   optional {"full": bool}: a harvest queued
//                                          (administrators) -> 202 {"partner", "queued",
//                                          "full"}; 409 when one of it is queued or running
//   GET   /api/v1/partners/{id}/report     the quality report of its last harvest
//   PUT   /api/v1/partners/{id}    defines or replaces a partner (administrators): 201 or 200
//   DELETE /api/v1/partners/{id}   removes a partner defined through the API (administrators):
//                                  204
//   GET   /api/v1/public/objects   ?q=&set=&limit=&cursor=: the list page's cards (no key)
//   GET   /api/v1/public/objects/{ark}  what the document page shows of an active object,
//                                  described ones included (object_description_v3), and the
//                                  id of the institution it belongs to (no key)
//   GET   /api/v1/public/sets      every set, its name and count; a partner's set named after
//                                  the partner (no key)
//   GET|POST /oai                  the OAI-PMH provider (no key; oai_provider.hpp)
//   GET|POST /auth/login, GET /auth/token, GET /auth/logout
//                                  the IIIF Auth 2.0 access, token and logout services (no
//                                  key; auth_service.hpp)
//   GET   /health                  Redis, the catalog and the storage root checked (no key;
//                                  loopback only: the shipped nginx does not proxy it)
//   GET   /metrics                 the Prometheus text format (metrics.hpp; no key, loopback
//                                  only as /health)
//
// Metadata naming an access policy the configuration does not define is 400.
//
// Every /api/ request but /api/v1/public/ needs `Authorization: Bearer <key>` (an account's
// key) or an account's session cookie (api_auth.hpp). Errors are JSON {"error": "..."} with
// their status: 400 bad metadata or no file, 401 no or wrong key or session, 403 a role that
// may not (e.g. "purge an object: administrators only"), another institution's object, or a
// cross-site change made with a session,
// 404 unknown job, object or partner, 409 a state that forbids the change (or a harvest of the
// partner queued or running), 413 too large, 415 not multipart, 503 Redis unreachable.
#pragma once

#include <memory>

#include "access_registry.hpp"
#include "catalog.hpp"
#include "daemon_config.hpp"
#include "deposits.hpp"
#include "directory.hpp"
#include "harvest_scheduler.hpp"
#include "job_queue.hpp"
#include "metrics.hpp"
#include "object_changes.hpp"
#include "partners.hpp"

namespace iiifd {

class HttpApi {
  public:
    // Deposits are accepted through `deposits`; metadata changes and takedowns go through the
    // services of metadata_update.hpp and takedown.hpp, on `changes`; harvests asked for are
    // queued on `scheduler`. OAI-PMH answers are counted in `metrics`, which /metrics shows.
    HttpApi(const DaemonConfig& config, iiif::CatalogWriter& catalog, RedisPool& redis,
            const Deposits& deposits, PartnerRegistry& partners, ObjectChanges& changes,
            HarvestScheduler& scheduler, Directory& directory, AccessRegistry& access,
            Metrics& metrics);
    ~HttpApi();
    HttpApi(const HttpApi&) = delete;
    HttpApi& operator=(const HttpApi&) = delete;

    // Binds config.listen_host:listen_port; throws std::runtime_error when it cannot.
    void bind();
    // Serves until stop(); run it on a thread of its own. When the server cannot start, logs why
    // and sends iiifd SIGTERM, so that it stops as it would on a signal.
    void serve();
    // Stops accepting connections; requests under way finish.
    void stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace iiifd
