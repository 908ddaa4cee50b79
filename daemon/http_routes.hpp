// The HTTP API's handlers by audience, private to http_api.cpp (the server and its route table)
// and the files that define them: deposit_routes.cpp (depositors: /api/v1/ but public and
// partners), partner_routes.cpp (/api/v1/partners), public_routes.cpp (the list and document
// pages: /api/v1/public/), oai_routes.cpp (harvesters: /oai). Each handler parses, asks who calls
// where it matters, calls a service and answers; errors are thrown as IiifError and answered in
// one place (http_api.cpp).
#pragma once

#include <jansson.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api_auth.hpp"
#include "catalog.hpp"
#include "daemon_config.hpp"
#include "deposits.hpp"
#include "harvest_run.hpp"
#include "harvest_scheduler.hpp"
#include "http_message.hpp"
#include "http_server.hpp"
#include "job_queue.hpp"
#include "metadata_update.hpp"
#include "oai_provider.hpp"
#include "object_changes.hpp"
#include "partners.hpp"
#include "takedown.hpp"

namespace iiifd {

// A metadata part, a PATCH or a takedown's body.
constexpr size_t kMaxMetadataBytes = 1 << 20;

void send_json(HttpResponse& res, int status, const std::string& body);
// {"error": message}; a 503 gets a Retry-After.
void send_error(HttpResponse& res, int status, const std::string& message);
// The `limit` parameter, from 1 to `most`; `otherwise` when absent; 400 otherwise.
int limit_param(const HttpRequest& req, int otherwise, int most);
// The `cursor` parameter, the position of the last object of the page before; the start when
// absent; 400 when it is not one this API gave.
iiif::CatalogReader::Position cursor_param(const HttpRequest& req);
// A listing's next_cursor: the position of a full page's last object, else null.
json_t* next_cursor_json(const std::vector<iiif::ObjectRecord>& records, int limit);
// The object an object route names: the ARK its path ends with (its first match, percent-decoded
// by then), in any spelling the ARK rules allow; 400 past kMaxArkLength, 404 when anything
// follows the object's name.
std::string object_ark(const HttpRequest& req);

// Bytes one request may carry: a deposit's files at their limits, with room for the framing
// and the metadata part.
std::int64_t deposit_payload_limit(const DaemonConfig& config);

// Depositors (an API key or a depositor's session; api_auth.hpp).
class DepositRoutes {
  public:
    DepositRoutes(const DaemonConfig& config, iiif::CatalogWriter& catalog, RedisPool& redis,
                  const Deposits& deposits, const ApiAuth& api_auth, ObjectChanges& changes)
        : config_(config),
          catalog_(catalog),
          redis_(redis),
          deposits_(deposits),
          api_auth_(api_auth),
          changes_(changes),
          metadata_update_(changes_),
          takedown_(changes_) {}

    // Begins a deposit once its headers are in: its files stream to a staging directory.
    std::unique_ptr<HttpUpload> deposit(const HttpRequest& req);
    void job(const HttpRequest& req, HttpResponse& res);
    void session(const HttpRequest& req, HttpResponse& res);
    void list(const HttpRequest& req, HttpResponse& res);
    void object(const HttpRequest& req, HttpResponse& res);
    void patch(const HttpRequest& req, HttpResponse& res);
    void takedown(const HttpRequest& req, HttpResponse& res, TakedownAction action);

  private:
    ApiCaller caller(const HttpRequest& req) const;

    const DaemonConfig& config_;
    const iiif::CatalogWriter& catalog_;
    RedisPool& redis_;
    const Deposits& deposits_;
    const ApiAuth& api_auth_;
    ObjectChanges& changes_;
    MetadataUpdate metadata_update_;
    Takedown takedown_;
};

// Harvest partners: any API caller reads them; only an API key changes them or starts a
// harvest (a signed-in depositor gets 403).
class PartnerRoutes {
  public:
    PartnerRoutes(const DaemonConfig& config, PartnerRegistry& registry, const ApiAuth& api_auth,
                  HarvestScheduler& scheduler)
        : config_(config),
          registry_(registry),
          api_auth_(api_auth),
          scheduler_(scheduler),
          harvests_(config) {}

    void list(const HttpRequest& req, HttpResponse& res);
    void one(const HttpRequest& req, HttpResponse& res);
    void put(const HttpRequest& req, HttpResponse& res);
    void remove(const HttpRequest& req, HttpResponse& res);
    // GET .../{id}/harvests?limit=: its runs, most recent first (harvest_run.hpp).
    void harvests(const HttpRequest& req, HttpResponse& res);
    // POST .../{id}/harvests, optional body {"full": bool}: a harvest queued
    // (harvest_scheduler.hpp), 202.
    void start_harvest(const HttpRequest& req, HttpResponse& res);
    // GET .../{id}/report: the quality report of its last harvest.
    void report(const HttpRequest& req, HttpResponse& res);

  private:
    // 403 "only an API key may {what}" unless the caller holds an API key.
    void require_key(const HttpRequest& req, const char* what) const;
    // The partner a route names, else 404.
    Partner named(const HttpRequest& req) const;
    json_t* answer(const Partner& partner) const;

    const DaemonConfig& config_;
    PartnerRegistry& registry_;
    const ApiAuth& api_auth_;
    HarvestScheduler& scheduler_;
    HarvestStore harvests_;
};

// The list and document pages, no key needed.
class PublicRoutes {
  public:
    PublicRoutes(const iiif::CatalogWriter& catalog, const PartnerRegistry& partners)
        : catalog_(catalog), partners_(partners) {}

    void objects(const HttpRequest& req, HttpResponse& res);
    // GET /api/v1/public/objects/{ARK}: what the document page shows of it.
    void object(const HttpRequest& req, HttpResponse& res);
    void sets(const HttpRequest& req, HttpResponse& res);

  private:
    const iiif::CatalogWriter& catalog_;
    const PartnerRegistry& partners_;
};

// OAI-PMH harvesters, no key needed.
class OaiRoutes {
  public:
    OaiRoutes(const DaemonConfig& config, const iiif::CatalogWriter& catalog);

    // Admits a request to /oai (from its headers to the end of its answer: `held`), or answers
    // 503 with Retry-After when max_concurrent are under way and returns true.
    bool refuse_beyond_limit(HttpResponse& res, std::shared_ptr<void>& held);
    // GET, or POST with a form.
    void respond(const HttpRequest& req, HttpResponse& res);

  private:
    const OaiConfig& config_;
    OaiProvider provider_;
    std::atomic<int> in_flight_{0};
};

}  // namespace iiifd
