// /api/v1/institutions, /api/v1/accounts (and their keys), /api/v1/audit: the directory
// (directory.hpp) through the API, each route checking the caller's role (http_routes.hpp).
#include <jansson.h>
#include <spdlog/spdlog.h>

#include <string>

#include "http_routes.hpp"
#include "iiif_error.hpp"
#include "json.hpp"

namespace iiifd {
namespace {

using iiif::Json;

constexpr int kDefaultAuditEntries = 100;
constexpr int kMostAuditEntries = 1000;

// A body that must be a JSON object whose keys are among `allowed`.
Json object_body(const std::string& body, std::initializer_list<std::string_view> allowed) {
    json_error_t error;
    Json document(json_loadb(body.data(), body.size(), 0, &error));
    if (!json_is_object(document.get())) throw iiif::IiifError(400, "expected a JSON object");
    const char* key;
    json_t* value;
    json_object_foreach(document.get(), key, value) {
        if (std::find(allowed.begin(), allowed.end(), std::string_view(key)) == allowed.end())
            throw iiif::IiifError(400, std::string("unknown key \"") + key + "\"");
    }
    return document;
}

std::optional<std::string> text_field(const json_t* object, const char* key) {
    const json_t* value = json_object_get(object, key);
    if (value == nullptr) return std::nullopt;
    if (!json_is_string(value)) throw iiif::IiifError(400, std::string(key) + ": not a string");
    return std::string(json_string_value(value), json_string_length(value));
}

std::optional<std::vector<std::string>> strings_field(const json_t* object, const char* key) {
    const json_t* value = json_object_get(object, key);
    if (value == nullptr) return std::nullopt;
    if (!json_is_array(value)) throw iiif::IiifError(400, std::string(key) + ": not an array");
    std::vector<std::string> found;
    size_t i;
    json_t* item;
    json_array_foreach(value, i, item) {
        if (!json_is_string(item))
            throw iiif::IiifError(400, std::string(key) + "[" + std::to_string(i) +
                                           "]: not a string");
        found.emplace_back(json_string_value(item), json_string_length(item));
    }
    return found;
}

ShoulderChange shoulder_change_of(const std::string& text) {
    Json body = object_body(text, {"name", "subject", "description", "service", "institution",
                                   "sets"});
    ShoulderChange change;
    change.name = text_field(body.get(), "name");
    change.subject = text_field(body.get(), "subject");
    change.description = text_field(body.get(), "description");
    change.service = text_field(body.get(), "service");
    change.institution = text_field(body.get(), "institution");
    change.sets = strings_field(body.get(), "sets");
    return change;
}

AccountChange account_change_of(const json_t* body) {
    AccountChange change;
    change.display_name = text_field(body, "display_name");
    change.email = text_field(body, "email");
    change.institution = text_field(body, "institution");
    change.password = text_field(body, "password");
    if (std::optional<std::string> role = text_field(body, "role")) {
        change.role = role_of_name(*role);
        if (!change.role)
            throw iiif::IiifError(400, "role: one of administrator, editor, reader");
    }
    change.groups = strings_field(body, "groups");
    if (const json_t* disabled = json_object_get(body, "disabled")) {
        if (!json_is_boolean(disabled)) throw iiif::IiifError(400, "disabled: not a boolean");
        change.disabled = json_is_true(disabled);
    }
    return change;
}

}  // namespace

ApiCaller DirectoryRoutes::self_or_administrator(const HttpRequest& req, const char* what) const {
    ApiCaller caller = api_caller(api_auth_, req);
    if (!caller.is(Role::administrator) && caller.account.name != req.matches[1])
        throw iiif::IiifError(403, std::string(what) + ": administrators and the account itself only");
    return caller;
}

// ---- Institutions -----------------------------------------------------------------------------

void DirectoryRoutes::institutions(const HttpRequest& req, HttpResponse& res) {
    require_role(api_auth_, req, Role::editor, "list institutions");
    json_t* list = json_array();
    for (const Institution& institution : directory_.institutions())
        json_array_append_new(list, institution_to_json(institution));
    send_owned(res, 200, json_pack("{s:o,s:s}", "institutions", list, "home",
                                   directory_.home_institution().c_str()));
}

void DirectoryRoutes::put_institution(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller caller = require_role(api_auth_, req, Role::administrator, "change institutions");
    Json body = object_body(req.body, {"name", "homepage", "shoulder"});
    Institution institution;
    institution.id = req.matches[1];
    institution.name = text_field(body.get(), "name").value_or("");
    institution.homepage = text_field(body.get(), "homepage").value_or("");
    institution.shoulder = text_field(body.get(), "shoulder").value_or("");
    const bool created = directory_.put_institution(caller.audit(), institution);
    spdlog::info("directory: institution {} {} by {}", institution.id,
                 created ? "created" : "changed", caller.account.name);
    send_owned(res, created ? 201 : 200, institution_to_json(*directory_.institution(institution.id)));
}

void DirectoryRoutes::remove_institution(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller caller = require_role(api_auth_, req, Role::administrator, "change institutions");
    directory_.remove_institution(caller.audit(), req.matches[1]);
    res.status = 204;
}

// ---- Accounts ---------------------------------------------------------------------------------

void DirectoryRoutes::accounts(const HttpRequest& req, HttpResponse& res) {
    require_role(api_auth_, req, Role::administrator, "list accounts");
    json_t* list = json_array();
    for (const Account& account : directory_.accounts())
        json_array_append_new(list, account_to_json(account));
    send_owned(res, 200, json_pack("{s:o}", "accounts", list));
}

void DirectoryRoutes::create_account(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller caller = require_role(api_auth_, req, Role::administrator, "create accounts");
    Json body = object_body(req.body, {"name", "display_name", "email", "role", "institution",
                                       "groups", "password", "disabled"});
    const std::string name = text_field(body.get(), "name").value_or("");
    const Account account =
        directory_.create_account(caller.audit(), name, account_change_of(body.get()));
    spdlog::info("directory: account {} created by {}", account.name, caller.account.name);
    res.set_header("Location", "/api/v1/accounts/" + account.name);
    send_owned(res, 201, account_to_json(account));
}

void DirectoryRoutes::account(const HttpRequest& req, HttpResponse& res) {
    self_or_administrator(req, "read an account");
    std::optional<Account> account = directory_.account(req.matches[1]);
    if (!account) throw iiif::IiifError(404, "no such account");
    send_owned(res, 200, account_to_json(*account));
}

void DirectoryRoutes::change_account(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller caller = self_or_administrator(req, "change an account");
    const std::string& name = req.matches[1];
    Json body = object_body(req.body, {"display_name", "email", "role", "institution", "groups",
                                       "password", "disabled", "current_password"});
    AccountChange change = account_change_of(body.get());
    if (!caller.is(Role::administrator)) {
        // One's own account: how one is named and reached, and one's password.
        if (change.role || change.institution || change.groups || change.disabled)
            throw iiif::IiifError(
                403, "change an account's role, institution, groups or state: administrators only");
        if (change.password) {
            const std::optional<std::string> current = text_field(body.get(), "current_password");
            if (!current || !directory_.password_is(name, *current))
                throw iiif::IiifError(403, "current_password: not this account's password");
        }
    }
    const Account account = directory_.change_account(caller.audit(), name, change);
    send_owned(res, 200, account_to_json(account));
}

// ---- API keys ---------------------------------------------------------------------------------

void DirectoryRoutes::keys(const HttpRequest& req, HttpResponse& res) {
    self_or_administrator(req, "list an account's keys");
    if (!directory_.account(req.matches[1])) throw iiif::IiifError(404, "no such account");
    json_t* list = json_array();
    for (const ApiKey& key : directory_.keys(req.matches[1]))
        json_array_append_new(list, api_key_to_json(key));
    send_owned(res, 200, json_pack("{s:o}", "keys", list));
}

void DirectoryRoutes::create_key(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller caller = self_or_administrator(req, "make a key");
    std::string label;
    if (req.body.find_first_not_of(" \t\r\n") != std::string::npos)
        label = text_field(object_body(req.body, {"label"}).get(), "label").value_or("");
    auto [text, key] = directory_.create_key(caller.audit(), req.matches[1], label);
    json_t* answer = api_key_to_json(key);
    json_object_set_new(answer, "key", json_string(text.c_str()));
    spdlog::info("directory: key {} of {} made by {}", key.id, key.account, caller.account.name);
    send_owned(res, 201, answer);
}

void DirectoryRoutes::revoke_key(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller caller = self_or_administrator(req, "revoke a key");
    const ApiKey key = directory_.revoke_key(caller.audit(), req.matches[1], req.matches[2]);
    spdlog::info("directory: key {} of {} revoked by {}", key.id, key.account, caller.account.name);
    send_owned(res, 200, api_key_to_json(key));
}

// ---- Shoulders --------------------------------------------------------------------------------

void DirectoryRoutes::shoulders(const HttpRequest& req, HttpResponse& res) {
    require_role(api_auth_, req, Role::editor, "list shoulders");
    json_t* list = json_array();
    for (const ShoulderRecord& shoulder : directory_.shoulders())
        json_array_append_new(list, shoulder_to_json(shoulder));
    send_owned(res, 200, json_pack("{s:o}", "shoulders", list));
}

void DirectoryRoutes::create_shoulder(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller caller = require_role(api_auth_, req, Role::administrator, "make shoulders");
    const ShoulderRecord shoulder =
        directory_.create_shoulder(caller.audit(), shoulder_change_of(req.body));
    spdlog::info("directory: shoulder {} ({}) made by {}", shoulder.code, shoulder.name,
                 caller.account.name);
    res.set_header("Location", "/api/v1/shoulders/" + shoulder.code);
    send_owned(res, 201, shoulder_to_json(shoulder));
}

void DirectoryRoutes::change_shoulder(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller caller = require_role(api_auth_, req, Role::administrator, "change shoulders");
    send_owned(res, 200,
               shoulder_to_json(directory_.change_shoulder(caller.audit(), req.matches[1],
                                                           shoulder_change_of(req.body))));
}

// ---- The audit log ----------------------------------------------------------------------------

void DirectoryRoutes::audit(const HttpRequest& req, HttpResponse& res) {
    const ApiCaller caller = require_role(api_auth_, req, Role::editor, "read the audit log");
    const int limit = limit_param(req, kDefaultAuditEntries, kMostAuditEntries);
    size_t before = 0;
    if (req.has_param("before")) {
        const std::string text = req.get_param_value("before");
        if (text.empty() || text.size() > 12 ||
            text.find_first_not_of("0123456789") != std::string::npos)
            throw iiif::IiifError(400, "before: not a position in the log");
        before = std::stoul(text);
    }
    // An editor sees what concerns their institution.
    const std::string institution =
        caller.is(Role::administrator) ? std::string() : caller.account.institution;
    size_t next = 0;
    json_t* list = json_array();
    for (const AuditEntry& entry :
         directory_.audit().recent(static_cast<size_t>(limit), institution, before, &next))
        json_array_append_new(list, audit_entry_to_json(entry));
    send_owned(res, 200,
               json_pack("{s:o,s:o}", "entries", list, "next_before",
                         next == 0 ? json_null() : json_integer(static_cast<json_int_t>(next))));
}

}  // namespace iiifd
