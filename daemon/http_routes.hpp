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

#include "access_registry.hpp"
#include "api_auth.hpp"
#include "catalog.hpp"
#include "daemon_config.hpp"
#include "deposits.hpp"
#include "directory.hpp"
#include "harvest_run.hpp"
#include "harvest_scheduler.hpp"
#include "http_message.hpp"
#include "http_server.hpp"
#include "job_queue.hpp"
#include "metadata_update.hpp"
#include "metrics.hpp"
#include "oai_provider.hpp"
#include "page_changes.hpp"
#include "object_changes.hpp"
#include "partners.hpp"
#include "takedown.hpp"

namespace iiifd {

// A metadata part, a PATCH or a takedown's body.
constexpr size_t kMaxMetadataBytes = 1 << 20;

void send_json(HttpResponse& res, int status, const std::string& body);
// `owned` (consumed) as the JSON body, not to be cached: what the API says of its records.
void send_owned(HttpResponse& res, int status, json_t* owned);
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

// Who makes a request the gate let through (api_auth.hpp). Asked again rather than carried over
// (requests are const there); a session that expired in between is refused here.
ApiCaller api_caller(const ApiAuth& auth, const HttpRequest& req);
// The caller, when their role is at least `role`; else IiifError 403 "{what}: administrators
// only" or "{what}: editors and administrators only".
ApiCaller require_role(const ApiAuth& auth, const HttpRequest& req, Role role, const char* what);

// Bytes one request may carry: a deposit's files at their limits, with room for the framing
// and the metadata part.
std::int64_t deposit_payload_limit(const DaemonConfig& config);

// Depositors: editors, for their own institution's objects, and administrators, for any
// (api_auth.hpp, directory.hpp).
class DepositRoutes {
  public:
    DepositRoutes(const DaemonConfig& config, iiif::CatalogWriter& catalog, RedisPool& redis,
                  const Deposits& deposits, const ApiAuth& api_auth, ObjectChanges& changes,
                  const Directory& directory)
        : config_(config),
          catalog_(catalog),
          redis_(redis),
          deposits_(deposits),
          api_auth_(api_auth),
          changes_(changes),
          directory_(directory),
          metadata_update_(changes_),
          takedown_(changes_),
          page_changes_(changes_) {}

    // Begins a deposit once its headers are in: its files stream to a staging directory.
    std::unique_ptr<HttpUpload> deposit(const HttpRequest& req);
    void job(const HttpRequest& req, HttpResponse& res);
    void session(const HttpRequest& req, HttpResponse& res);
    void list(const HttpRequest& req, HttpResponse& res);
    void object(const HttpRequest& req, HttpResponse& res);
    void patch(const HttpRequest& req, HttpResponse& res);
    void takedown(const HttpRequest& req, HttpResponse& res, TakedownAction action);
    // GET .../{ark}/pages: its version, pages (name, id, label, size, file name), table of
    // contents and pages taken out; PUT: a change of them (page_changes.hpp).
    void pages(const HttpRequest& req, HttpResponse& res);
    void change_pages(const HttpRequest& req, HttpResponse& res);
    // POST .../{ark}/pages (?after=fN): new pages; PUT .../{ark}/pages/fN: a page's new
    // image. Multipart as a deposit (`file` parts, an optional `pages` part of labels), 202
    // with the job; each makes a new version once ingested.
    std::unique_ptr<HttpUpload> page_upload(const HttpRequest& req, bool replace);

  private:
    // The caller, when they may change the object `ark` names: an administrator, or an editor
    // of the institution it belongs to. IiifError 403 otherwise (404 for an unknown object).
    ApiCaller object_changer(const HttpRequest& req, const std::string& ark,
                             const char* what) const;

    const DaemonConfig& config_;
    const iiif::CatalogWriter& catalog_;
    RedisPool& redis_;
    const Deposits& deposits_;
    const ApiAuth& api_auth_;
    ObjectChanges& changes_;
    const Directory& directory_;
    MetadataUpdate metadata_update_;
    Takedown takedown_;
    PageChanges page_changes_;
};

// Harvest partners: editors and administrators read them; only administrators change them or
// start a harvest.
class PartnerRoutes {
  public:
    PartnerRoutes(const DaemonConfig& config, PartnerRegistry& registry, const ApiAuth& api_auth,
                  HarvestScheduler& scheduler, Directory& directory, AccessRegistry& access)
        : config_(config),
          registry_(registry),
          api_auth_(api_auth),
          scheduler_(scheduler),
          directory_(directory),
          access_(access),
          audit_(directory.audit()),
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
    // The partner a route names, else 404.
    Partner named(const HttpRequest& req) const;
    json_t* answer(const Partner& partner) const;

    const DaemonConfig& config_;
    PartnerRegistry& registry_;
    const ApiAuth& api_auth_;
    HarvestScheduler& scheduler_;
    Directory& directory_;
    AccessRegistry& access_;
    AuditLog& audit_;
    HarvestStore harvests_;
};

// The directory (directory.hpp): institutions, accounts and their API keys, and the audit log.
//   GET    /api/v1/institutions              editors and administrators
//   PUT    /api/v1/institutions/{id}         {"name", "homepage", "shoulder"}: administrators;
//                                            201 or 200
//   DELETE /api/v1/institutions/{id}         administrators; 204
//   GET    /api/v1/accounts                  administrators
//   POST   /api/v1/accounts                  {"name", "display_name", "email", "role",
//                                            "institution", "groups", "password", "disabled"}:
//                                            administrators; 201
//   GET    /api/v1/accounts/{name}           administrators, and the account itself
//   PATCH  /api/v1/accounts/{name}           the same fields but the name: administrators; the
//                                            account itself its display_name, email and
//                                            password (with "current_password")
//   GET    /api/v1/accounts/{name}/keys      administrators, and the account itself
//   POST   /api/v1/accounts/{name}/keys      {"label"}: the same; 201 with the key, shown once
//   DELETE /api/v1/accounts/{name}/keys/{id} the same: the key revoked, 200 with its record
//   GET    /api/v1/audit                     ?limit=&before=: administrators all of it, editors
//                                            their institution's
//   GET    /api/v1/shoulders                 editors and administrators
//   POST   /api/v1/shoulders                 {"name", "subject", "description", "service",
//                                            "institution", "sets"}: administrators; 201 with
//                                            the code the platform gave it
//   PATCH  /api/v1/shoulders/{code}          the same fields: administrators
class DirectoryRoutes {
  public:
    DirectoryRoutes(Directory& directory, const ApiAuth& api_auth)
        : directory_(directory), api_auth_(api_auth) {}

    void institutions(const HttpRequest& req, HttpResponse& res);
    void put_institution(const HttpRequest& req, HttpResponse& res);
    void remove_institution(const HttpRequest& req, HttpResponse& res);
    void accounts(const HttpRequest& req, HttpResponse& res);
    void create_account(const HttpRequest& req, HttpResponse& res);
    void account(const HttpRequest& req, HttpResponse& res);
    void change_account(const HttpRequest& req, HttpResponse& res);
    void keys(const HttpRequest& req, HttpResponse& res);
    void create_key(const HttpRequest& req, HttpResponse& res);
    void revoke_key(const HttpRequest& req, HttpResponse& res);
    void audit(const HttpRequest& req, HttpResponse& res);
    void shoulders(const HttpRequest& req, HttpResponse& res);
    void create_shoulder(const HttpRequest& req, HttpResponse& res);
    void change_shoulder(const HttpRequest& req, HttpResponse& res);

  private:
    // The caller, when it is an administrator or the account the path names.
    ApiCaller self_or_administrator(const HttpRequest& req, const char* what) const;

    Directory& directory_;
    const ApiAuth& api_auth_;
};

// The access policies and sets (access_registry.hpp): editors and administrators read them,
// administrators change them.
//   GET    /api/v1/policies            {"default", "watermarks", "policies": [...]}
//   PUT    /api/v1/policies/{name}     201 made, 200 replaced
//   DELETE /api/v1/policies/{name}     204; 409 while the default, a set or an object names it
//   PUT    /api/v1/default-policy      {"policy": name}
//   GET    /api/v1/sets                {"sets": [...]}
//   PUT    /api/v1/sets/{spec}         201 made, 200 replaced
//   DELETE /api/v1/sets/{spec}         204
class AccessRoutes {
  public:
    AccessRoutes(AccessRegistry& access, const ApiAuth& api_auth, const DaemonConfig& config)
        : access_(access), api_auth_(api_auth), config_(config) {}

    void policies(const HttpRequest& req, HttpResponse& res);
    void put_policy(const HttpRequest& req, HttpResponse& res);
    void remove_policy(const HttpRequest& req, HttpResponse& res);
    void set_default_policy(const HttpRequest& req, HttpResponse& res);
    void sets(const HttpRequest& req, HttpResponse& res);
    void put_set(const HttpRequest& req, HttpResponse& res);
    void remove_set(const HttpRequest& req, HttpResponse& res);

  private:
    AccessRegistry& access_;
    const ApiAuth& api_auth_;
    const DaemonConfig& config_;
};

// GET /health: Redis, the catalog's file and the storage root's room (health_routes.cpp). No
// key: iiifd listens on loopback, and the shipped nginx configuration does not proxy it.
// One check of a /health answer: {"ok": true} or {"ok": false, "error": ...}; and whether every
// check of an object of them holds.
json_t* health_check(bool ok, const std::string& error);
bool all_checks_hold(json_t* checks);

class HealthRoutes {
  public:
    HealthRoutes(const DaemonConfig& config, RedisPool& redis) : config_(config), redis_(redis) {}
    void health(const HttpRequest& req, HttpResponse& res);

  private:
    const DaemonConfig& config_;
    RedisPool& redis_;
};

// Documents described in a spreadsheet (sheet_import.hpp):
//   GET  /api/v1/public/import-template.csv   the template: the columns and an example row
//   GET  /api/v1/public/import-columns        the columns: key, English and French headers,
//                                             example, help
//   POST /api/v1/imports/check                {"headers": [...], "rows": [{"row": 2,
//                                             "cells": [...]}]}: each row checked and made
//                                             into what its deposit sends (editors and
//                                             administrators); nothing is deposited
class ImportRoutes {
  public:
    ImportRoutes(const DaemonConfig& config, const iiif::CatalogWriter& catalog,
                 const ApiAuth& api_auth)
        : config_(config), catalog_(catalog), api_auth_(api_auth) {}

    void template_csv(const HttpRequest& req, HttpResponse& res);
    void columns(const HttpRequest& req, HttpResponse& res);
    void check(const HttpRequest& req, HttpResponse& res);

  private:
    const DaemonConfig& config_;
    const iiif::CatalogWriter& catalog_;
    const ApiAuth& api_auth_;
};

// The list and document pages, no key needed.
class PublicRoutes {
  public:
    PublicRoutes(const iiif::CatalogWriter& catalog, const PartnerRegistry& partners,
                 const Directory& directory)
        : catalog_(catalog), partners_(partners), directory_(directory) {}

    void objects(const HttpRequest& req, HttpResponse& res);
    // GET /api/v1/public/objects/{ARK}: what the document page shows of it, and the institution
    // it belongs to (whose editors may change it).
    void object(const HttpRequest& req, HttpResponse& res);
    void sets(const HttpRequest& req, HttpResponse& res);

  private:
    const iiif::CatalogWriter& catalog_;
    const PartnerRegistry& partners_;
    const Directory& directory_;
};

// OAI-PMH harvesters, no key needed. Every answer is counted in `metrics` by verb and status.
class OaiRoutes {
  public:
    OaiRoutes(const DaemonConfig& config, const iiif::CatalogWriter& catalog, Metrics& metrics);

    // Admits a request to /oai (from its headers to the end of its answer: `held`), or answers
    // 503 with Retry-After when max_concurrent are under way and returns true.
    bool refuse_beyond_limit(const HttpRequest& req, HttpResponse& res,
                             std::shared_ptr<void>& held);
    // GET, or POST with a form.
    void respond(const HttpRequest& req, HttpResponse& res);

  private:
    const OaiConfig& config_;
    OaiProvider provider_;
    Metrics& metrics_;
    std::atomic<int> in_flight_{0};
};

// GET /metrics: what iiifd has counted (metrics.hpp), and the ingest queue read from Redis, in
// the Prometheus text format (metrics_routes.cpp). No key, as /health.
class MetricsRoutes {
  public:
    MetricsRoutes(const DaemonConfig& config, RedisPool& redis, const Metrics& metrics,
                  const iiif::CatalogReader& catalog)
        : config_(config), redis_(redis), metrics_(metrics), catalog_(catalog) {}
    void metrics(const HttpRequest& req, HttpResponse& res);

  private:
    const DaemonConfig& config_;
    RedisPool& redis_;
    const Metrics& metrics_;
    const iiif::CatalogReader& catalog_;  // its replication position, for a writer
};

}  // namespace iiifd
