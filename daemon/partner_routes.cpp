// /api/v1/partners: the harvest partners (partners.hpp), read by editors and administrators, changed and
// harvested on request by administrators only.
#include <jansson.h>
#include <spdlog/spdlog.h>

#include <string>
#include <variant>

#include "http_routes.hpp"
#include "iiif_error.hpp"
#include "json.hpp"

namespace iiifd {
namespace {

using iiif::Json;

constexpr int kDefaultRuns = 20;
constexpr int kMostRuns = 1000;

json_t* parsed(const std::string& text) {
    json_error_t error;
    json_t* value = json_loadb(text.data(), text.size(), 0, &error);
    if (value == nullptr)
        throw iiif::IiifError(500, std::string("a stored harvest record: ") + error.text);
    return value;
}

// A harvest's request body: nothing, or {"full": true|false}.
bool full_harvest_of(const std::string& body) {
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) return false;
    json_error_t error;
    const Json document(json_loadb(body.data(), body.size(), 0, &error));
    const json_t* full = json_object_get(document.get(), "full");
    if (!json_is_object(document.get()) || json_object_size(document.get()) != (full ? 1 : 0) ||
        (full != nullptr && !json_is_boolean(full)))
        throw iiif::IiifError(400, "harvest: the body must be empty or {\"full\": true|false}");
    return json_is_true(full);
}

}  // namespace

// A partner as the API shows it: its definition and its last harvest (null before the first).
json_t* PartnerRoutes::answer(const Partner& partner) const {
    json_t* item = partner_to_json(partner);
    const std::vector<std::string> last = harvests_.runs_json(partner.id, 1);
    json_object_set_new(item, "last_harvest", last.empty() ? json_null() : parsed(last.front()));
    return item;
}

Partner PartnerRoutes::named(const HttpRequest& req) const {
    const std::string& id = req.matches[1];
    std::optional<Partner> partner = registry_.find(id);
    if (!partner) throw iiif::IiifError(404, "no partner " + id);
    return *partner;
}

void PartnerRoutes::harvests(const HttpRequest& req, HttpResponse& res) {
    require_role(api_auth_, req, Role::editor, "read partners");
    const Partner partner = named(req);
    const int limit = limit_param(req, kDefaultRuns, kMostRuns);
    Json body(json_object());
    json_t* runs = json_array();
    for (const std::string& run : harvests_.runs_json(partner.id, static_cast<size_t>(limit)))
        json_array_append_new(runs, parsed(run));
    json_object_set_new(body.get(), "partner", json_string(partner.id.c_str()));
    json_object_set_new(body.get(), "harvests", runs);
    send_json(res, 200, iiif::json_text(body.get()));
}

void PartnerRoutes::report(const HttpRequest& req, HttpResponse& res) {
    require_role(api_auth_, req, Role::editor, "read partners");
    const Partner partner = named(req);
    std::optional<std::string> report = harvests_.report_json(partner.id);
    if (!report) throw iiif::IiifError(404, "no harvest of " + partner.id + " yet");
    send_json(res, 200, *report);
}

void PartnerRoutes::start_harvest(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller who = require_role(api_auth_, req, Role::administrator, "start a harvest");
    const Partner partner = named(req);
    const bool full = full_harvest_of(req.body);
    scheduler_.request(partner.id, full);
    audit_.record(who.audit(), "partner.harvest", partner.id, "",
                  json_pack("{s:b}", "full", full));
    spdlog::info("partners: a {}harvest of {} queued", full ? "full " : "", partner.id);
    Json body(json_object());
    json_object_set_new(body.get(), "partner", json_string(partner.id.c_str()));
    json_object_set_new(body.get(), "queued", json_true());
    json_object_set_new(body.get(), "full", json_boolean(full));
    res.set_header("Location", "/api/v1/partners/" + partner.id + "/harvests");
    send_json(res, 202, iiif::json_text(body.get()));
}

void PartnerRoutes::list(const HttpRequest& req, HttpResponse& res) {
    require_role(api_auth_, req, Role::editor, "read partners");
    Json body(json_object());
    json_t* partners = json_array();
    for (const Partner& partner : registry_.list())
        json_array_append_new(partners, answer(partner));
    json_object_set_new(body.get(), "partners", partners);
    send_json(res, 200, iiif::json_text(body.get()));
}

void PartnerRoutes::one(const HttpRequest& req, HttpResponse& res) {
    require_role(api_auth_, req, Role::editor, "read partners");
    Json body(answer(named(req)));
    send_json(res, 200, iiif::json_text(body.get()));
}

void PartnerRoutes::put(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller who = require_role(api_auth_, req, Role::administrator, "change partners");
    Partner partner = partner_from_json(req.matches[1], req.body, config_);
    if (!directory_.shoulder(partner.shoulder))
        throw iiif::IiifError(400, "partner: shoulder: \"" + partner.shoulder +
                                       "\" is no registered shoulder");
    if (!partner.owner.empty() && !directory_.institution(partner.owner))
        throw iiif::IiifError(400, "partner: owner: no such institution: \"" + partner.owner +
                                       "\"");
    const bool added = registry_.put(partner);
    access_.apply();  // its set is named after it in ListSets
    spdlog::info("partners: {} {} ({})", added ? "defined" : "redefined", partner.id,
                 partner.base_url);
    audit_.record(who.audit(), added ? "partner.create" : "partner.change", partner.id, "",
                  json_pack("{s:s}", "base_url", partner.base_url.c_str()));
    Json body(answer(partner));
    send_json(res, added ? 201 : 200, iiif::json_text(body.get()));
}

void PartnerRoutes::remove(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller who = require_role(api_auth_, req, Role::administrator, "change partners");
    registry_.remove(req.matches[1]);
    access_.apply();
    audit_.record(who.audit(), "partner.remove", req.matches[1], "");
    spdlog::info("partners: removed {}", req.matches[1]);
    res.status = 204;
}

}  // namespace iiifd
