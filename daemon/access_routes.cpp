// /api/v1/policies, /api/v1/default-policy, /api/v1/sets: the access registry
// (access_registry.hpp) through the API, each route checking the caller's role.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "http_routes.hpp"
#include "iiif_error.hpp"
#include "json.hpp"

namespace iiifd {

void AccessRoutes::policies(const HttpRequest& req, HttpResponse& res) {
    require_role(api_auth_, req, Role::editor, "list access policies");
    const AccessDefinitions definitions = access_.definitions();
    // "public" first: built in, or as redefined (labels, a watermark).
    json_t* list = json_array();
    iiif::AccessPolicy open;
    open.name = "public";
    for (const iiif::AccessPolicy& policy : definitions.policies)
        if (policy.name == "public") open = policy;
    json_array_append_new(list, policy_to_json(open, policy_watermark(definitions, "public"), true));
    for (const iiif::AccessPolicy& policy : definitions.policies)
        if (policy.name != "public")
            json_array_append_new(
                list, policy_to_json(policy, policy_watermark(definitions, policy.name), false));
    json_t* watermarks = json_array();
    json_array_append_new(watermarks, json_string(std::string(iiif::kInstitutionMark).c_str()));
    for (const iiif::WatermarkSpec& mark : config_.access.watermarks)
        json_array_append_new(watermarks, iiif::json_string_of(mark.name));
    send_owned(res, 200,
               json_pack("{s:s%,s:o,s:o}", "default", definitions.default_policy.data(),
                         definitions.default_policy.size(), "watermarks", watermarks, "policies",
                         list));
}

void AccessRoutes::put_policy(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller caller =
        require_role(api_auth_, req, Role::administrator, "define access policies");
    const std::string name = req.matches[1];
    const bool created = access_.put_policy(caller.audit(), name, req.body);
    spdlog::info("access: policy {} {} by {}", name, created ? "made" : "changed",
                 caller.account.name);
    const AccessDefinitions definitions = access_.definitions();
    for (const iiif::AccessPolicy& policy : definitions.policies) {
        if (policy.name != name) continue;
        if (created) res.set_header("Location", "/api/v1/policies/" + name);
        send_owned(res, created ? 201 : 200,
                   policy_to_json(policy, policy_watermark(definitions, name), name == "public"));
        return;
    }
    throw iiif::IiifError(500, "the policy was not kept");
}

void AccessRoutes::remove_policy(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller caller =
        require_role(api_auth_, req, Role::administrator, "remove access policies");
    access_.remove_policy(caller.audit(), req.matches[1]);
    spdlog::info("access: policy {} removed by {}", req.matches[1], caller.account.name);
    res.status = 204;
}

void AccessRoutes::set_default_policy(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller caller =
        require_role(api_auth_, req, Role::administrator, "choose the default policy");
    json_error_t error;
    iiif::Json body(json_loadb(req.body.data(), req.body.size(), 0, &error));
    const json_t* policy = json_object_get(body.get(), "policy");
    if (!json_is_object(body.get()) || !json_is_string(policy) || json_object_size(body.get()) != 1)
        throw iiif::IiifError(400, "expected {\"policy\": name}");
    const std::string name(json_string_value(policy), json_string_length(policy));
    access_.set_default_policy(caller.audit(), name);
    spdlog::info("access: default policy {} chosen by {}", name, caller.account.name);
    send_owned(res, 200, json_pack("{s:s%}", "default", name.data(), name.size()));
}

void AccessRoutes::sets(const HttpRequest& req, HttpResponse& res) {
    require_role(api_auth_, req, Role::editor, "list sets");
    json_t* list = json_array();
    for (const SetDefinition& set : access_.definitions().sets)
        json_array_append_new(list, set_to_json(set));
    send_owned(res, 200, json_pack("{s:o}", "sets", list));
}

void AccessRoutes::put_set(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller caller = require_role(api_auth_, req, Role::administrator, "define sets");
    const std::string spec = req.matches[1];
    const bool created = access_.put_set(caller.audit(), spec, req.body);
    spdlog::info("access: set {} {} by {}", spec, created ? "made" : "changed",
                 caller.account.name);
    for (const SetDefinition& set : access_.definitions().sets) {
        if (set.spec != spec) continue;
        if (created) res.set_header("Location", "/api/v1/sets/" + spec);
        send_owned(res, created ? 201 : 200, set_to_json(set));
        return;
    }
    throw iiif::IiifError(500, "the set was not kept");
}

void AccessRoutes::remove_set(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller caller = require_role(api_auth_, req, Role::administrator, "remove sets");
    access_.remove_set(caller.audit(), req.matches[1]);
    spdlog::info("access: set {} removed by {}", req.matches[1], caller.account.name);
    res.status = 204;
}

}  // namespace iiifd
