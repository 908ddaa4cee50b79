// /api/v1/partners: the harvest partners (partners.hpp), read by any API caller, changed with an
// API key only.
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

// A partner as the API shows it: its definition and its last harvest (null until the harvester
// has run it).
json_t* partner_answer(const Partner& partner) {
    json_t* item = partner_to_json(partner);
    json_object_set_new(item, "last_harvest", json_null());
    return item;
}

}  // namespace

void PartnerRoutes::require_key(const HttpRequest& req) const {
    const std::variant<ApiCaller, iiif::IiifError> caller = api_auth_.caller(req);
    if (const iiif::IiifError* refusal = std::get_if<iiif::IiifError>(&caller)) throw *refusal;
    if (std::get<ApiCaller>(caller).via != ApiCaller::Via::key)
        throw iiif::IiifError(403, "only an API key may change partners");
}

void PartnerRoutes::list(const HttpRequest&, HttpResponse& res) {
    Json body(json_object());
    json_t* partners = json_array();
    for (const Partner& partner : registry_.list())
        json_array_append_new(partners, partner_answer(partner));
    json_object_set_new(body.get(), "partners", partners);
    send_json(res, 200, iiif::json_text(body.get()));
}

void PartnerRoutes::one(const HttpRequest& req, HttpResponse& res) {
    const std::string& id = req.matches[1];
    std::optional<Partner> partner = registry_.find(id);
    if (!partner) throw iiif::IiifError(404, "no partner " + id);
    Json body(partner_answer(*partner));
    send_json(res, 200, iiif::json_text(body.get()));
}

void PartnerRoutes::put(const HttpRequest& req, HttpResponse& res) {
    require_key(req);
    Partner partner = partner_from_json(req.matches[1], req.body, config_);
    const bool added = registry_.put(partner);
    spdlog::info("partners: {} {} ({})", added ? "defined" : "redefined", partner.id,
                 partner.base_url);
    Json body(partner_answer(partner));
    send_json(res, added ? 201 : 200, iiif::json_text(body.get()));
}

void PartnerRoutes::remove(const HttpRequest& req, HttpResponse& res) {
    require_key(req);
    registry_.remove(req.matches[1]);
    spdlog::info("partners: removed {}", req.matches[1]);
    res.status = 204;
}

}  // namespace iiifd
