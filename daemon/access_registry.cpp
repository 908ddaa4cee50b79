#include "access_registry.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

#include "access_config_reader.hpp"
#include "clock.hpp"
#include "config_section.hpp"
#include "iiif_error.hpp"
#include "json.hpp"
#include "partners.hpp"

namespace iiifd {
namespace {

constexpr std::string_view kPolicyPrefix = "policy ";
constexpr std::string_view kSetPrefix = "set ";
// {"bootstrapped": time, "default": policy}
constexpr std::string_view kStateKey = "access";
constexpr std::int64_t kObjectScanBatch = 4096;

std::string policy_key(std::string_view name) {
    return std::string(kPolicyPrefix) + std::string(name);
}
std::string set_key(std::string_view spec) {
    return std::string(kSetPrefix) + std::string(spec);
}

std::string stored(json_t* owned) {
    iiif::Json json(owned);
    return iiif::json_text(json.get());
}

// A JSON object of a request's body or the registry; `what` names it in the error.
iiif::Json object_of(std::string_view text, int status, const std::string& what) {
    json_error_t error;
    iiif::Json json(json_loadb(text.data(), text.size(), 0, &error));
    if (!json) throw iiif::IiifError(status, what + ": not JSON: " + error.text);
    if (!json_is_object(json.get())) throw iiif::IiifError(status, what + ": not a JSON object");
    return json;
}

// `fields` read as iiifd.toml's [`table`."key"] is, by `read`; its first problem, with
// "request: " taken off, becomes the IiifError `status`'s reason: "[policies.campus] networks:
// required for a network policy".
template <typename Read>
auto read_as_config(std::string_view table, const std::string& key, json_t* fields, int status,
                    Read read) {
    toml::table root;
    try {
        toml::table entries;
        entries.insert_or_assign(key, toml_table_of_json(fields));
        root.insert_or_assign(table, std::move(entries));
    } catch (const std::runtime_error& failure) {
        throw iiif::IiifError(status, failure.what());
    }
    std::vector<std::string> problems;
    const ConfigSection section("request", root, problems);
    auto entry = read(section.section(table).sections().front());
    if (problems.empty()) return entry;
    std::string reason = problems.front();
    if (reason.starts_with("request: ")) reason.erase(0, 9);
    throw iiif::IiifError(status, reason);
}

struct PolicyRead {
    iiif::AccessPolicy policy;
    std::string watermark;
};

// "name" and "builtin", as policy_to_json writes them, are not read: the path names it.
PolicyRead read_policy(const std::string& name, json_t* fields, AccessConfig known, int status) {
    json_object_del(fields, "name");
    json_object_del(fields, "builtin");
    return read_as_config("policies", name, fields, status, [&](const ConfigSection& entry) {
        known.policy_watermarks.clear();
        PolicyRead read{read_policy_entry(entry, known), ""};
        if (!known.policy_watermarks.empty()) read.watermark = known.policy_watermarks[0].second;
        return read;
    });
}

// "spec", as set_to_json writes it, is not read: the path names it.
SetDefinition read_set(const std::string& spec, json_t* fields, const AccessConfig& known,
                       int status) {
    json_object_del(fields, "spec");
    return read_as_config("sets", spec, fields, status, [&](const ConfigSection& entry) {
        return read_set_entry(entry, known);
    });
}

std::string default_of(const std::optional<std::string>& state) {
    if (!state) return "public";
    iiif::Json json = object_of(*state, 500, "registry: access");
    const std::string name = iiif::json_string_member(json.get(), "default");
    return name.empty() ? "public" : name;
}

std::string state_with_default(const std::optional<std::string>& state, const std::string& name) {
    iiif::Json json = state ? object_of(*state, 500, "registry: access") : iiif::Json(json_object());
    json_object_set_new(json.get(), "default", iiif::json_string_of(name));
    return iiif::json_text(json.get());
}

}  // namespace

json_t* policy_to_json(const iiif::AccessPolicy& policy, const std::string& watermark,
                       bool builtin) {
    json_t* json = json_object();
    json_object_set_new(json, "name", iiif::json_string_of(policy.name));
    json_object_set_new(json, "kind",
                        json_string(std::string(iiif::policy_kind_name(policy.kind)).c_str()));
    json_object_set_new(json, "builtin", json_boolean(builtin));
    json_t* networks = json_array();
    for (const iiif::Network& network : policy.networks)
        json_array_append_new(networks, iiif::json_string_of(network.text));
    json_object_set_new(json, "networks", networks);
    json_t* groups = json_array();
    for (const std::string& group : policy.groups)
        json_array_append_new(groups, iiif::json_string_of(group));
    json_object_set_new(json, "groups", groups);
    json_object_set_new(json, "degraded_size", json_integer(policy.degraded_size));
    json_object_set_new(json, "watermark", iiif::json_string_of(watermark));
    json_object_set_new(json, "watermark_unauthorised_only",
                        json_boolean(policy.watermark_unauthorised_only));
    json_object_set_new(json, "label", iiif::json_string_of(policy.label));
    json_object_set_new(json, "heading", iiif::json_string_of(policy.heading));
    json_object_set_new(json, "note", iiif::json_string_of(policy.note));
    return json;
}

json_t* set_to_json(const SetDefinition& set) {
    json_t* json = json_object();
    json_object_set_new(json, "spec", iiif::json_string_of(set.spec));
    json_object_set_new(json, "name", iiif::json_string_of(set.name));
    json_object_set_new(json, "description", iiif::json_string_of(set.description));
    json_object_set_new(json, "policy", iiif::json_string_of(set.policy));
    json_object_set_new(json, "watermark", iiif::json_string_of(set.watermark));
    return json;
}

std::string policy_watermark(const AccessDefinitions& definitions, const std::string& policy) {
    for (const auto& [name, watermark] : definitions.policy_watermarks)
        if (name == policy) return watermark;
    return {};
}

AccessRegistry::AccessRegistry(const DaemonConfig& config, iiif::CatalogWriter& catalog,
                               Directory& directory)
    : config_(config), catalog_(catalog), directory_(directory) {
    directory_.on_keys_changed([this] { apply(); });
}

AccessRegistry::~AccessRegistry() {
    directory_.on_keys_changed(nullptr);
}

AccessConfig AccessRegistry::known(const AccessDefinitions& definitions) const {
    AccessConfig known;
    known.watermarks = config_.access.watermarks;
    known.policies = definitions.policies;
    return known;
}

std::string AccessRegistry::bootstrap() {
    const Actor iiifd{"iiifd", "configuration"};
    std::string done;
    catalog_.edit_registry([&](iiif::RegistryEdit& edit) {
        if (edit.get(kStateKey)) return;
        const AccessDefinitions configured = configured_access(config_);
        for (const iiif::AccessPolicy& policy : configured.policies) {
            edit.put(policy_key(policy.name),
                     stored(policy_to_json(policy, policy_watermark(configured, policy.name),
                                           false)));
            directory_.audit().record(iiifd, "policy.create", policy.name, "");
        }
        for (const SetDefinition& set : configured.sets) {
            edit.put(set_key(set.spec), stored(set_to_json(set)));
            directory_.audit().record(iiifd, "set.create", set.spec, "");
        }
        edit.put(kStateKey, stored(json_pack("{s:I,s:s%}", "bootstrapped",
                                             static_cast<json_int_t>(iiif::now_seconds()),
                                             "default", configured.default_policy.data(),
                                             configured.default_policy.size())));
        done = std::to_string(configured.policies.size()) + " policies and " +
               std::to_string(configured.sets.size()) + " set(s) moved from iiifd.toml";
    });
    return done;
}

AccessDefinitions AccessRegistry::definitions() const {
    AccessDefinitions definitions;
    definitions.default_policy = default_of(catalog_.registry_get(kStateKey));
    AccessConfig accumulated = known(definitions);
    try {
        for (const auto& [key, value] : catalog_.registry_scan(kPolicyPrefix)) {
            const std::string name = key.substr(kPolicyPrefix.size());
            iiif::Json json = object_of(value, 500, "registry: policy " + name);
            PolicyRead read = read_policy(name, json.get(), accumulated, 500);
            if (!read.watermark.empty())
                definitions.policy_watermarks.emplace_back(name, read.watermark);
            accumulated.policies.push_back(read.policy);
            definitions.policies.push_back(std::move(read.policy));
        }
        for (const auto& [key, value] : catalog_.registry_scan(kSetPrefix)) {
            const std::string spec = key.substr(kSetPrefix.size());
            iiif::Json json = object_of(value, 500, "registry: set " + spec);
            definitions.sets.push_back(read_set(spec, json.get(), accumulated, 500));
        }
    } catch (const iiif::IiifError& failure) {
        throw std::runtime_error("the registry's access definitions: " + failure.reason);
    }
    return definitions;
}

void AccessRegistry::apply() {
    std::lock_guard lock(apply_mutex_);
    const AccessDefinitions definitions = this->definitions();
    std::vector<iiif::CatalogReader::SetInfo> sets;
    for (const SetDefinition& set : definitions.sets)
        sets.push_back({set.spec, set.name, set.description});
    // A partner's set is named after the partner in ListSets, unless a set definition names it.
    for (const Partner& partner : PartnerRegistry(config_).list()) {
        const std::string spec = partner_set(partner.id);
        if (std::none_of(sets.begin(), sets.end(), [&](const auto& set) { return set.spec == spec; }))
            sets.push_back({spec, partner.name, partner.institution});
    }
    catalog_.define_sets(sets);
    catalog_.set_access(
        access_settings(config_, definitions, directory_.administrator_key_digests(),
                        directory_.editor_key_digests()),
        access_rules(config_, definitions));
}

bool AccessRegistry::put_policy(const Actor& actor, const std::string& name,
                                std::string_view body) {
    // A policy names only a watermark (iiifd.toml's), no other policy.
    iiif::Json fields = object_of(body, 400, "policy");
    const PolicyRead read = read_policy(name, fields.get(), known({}), 400);
    bool created = false;
    catalog_.edit_registry([&](iiif::RegistryEdit& edit) {
        created = !edit.get(policy_key(name));
        edit.put(policy_key(name), stored(policy_to_json(read.policy, read.watermark, false)));
        directory_.audit().record(actor, created ? "policy.create" : "policy.change", name, "",
                                  policy_to_json(read.policy, read.watermark, false));
    });
    apply();
    return created;
}

bool AccessRegistry::named_by_an_object(const std::string& policy) const {
    iiif::CatalogReader::Position after;
    for (;;) {
        const std::vector<iiif::ObjectRecord> page =
            catalog_.reader().objects_by_date(after, 0, kObjectScanBatch);
        for (const iiif::ObjectRecord& object : page)
            if (object.metadata.access == policy) return true;
        if (page.size() < static_cast<size_t>(kObjectScanBatch)) return false;
        after = iiif::CatalogReader::position_of(page.back());
    }
}

void AccessRegistry::remove_policy(const Actor& actor, const std::string& name) {
    if (name != "public" && !catalog_.registry_get(policy_key(name)))
        throw iiif::IiifError(404, "no such policy");
    if (named_by_an_object(name))
        throw iiif::IiifError(409, "objects name the policy \"" + name + "\" in their metadata");
    catalog_.edit_registry([&](iiif::RegistryEdit& edit) {
        if (!edit.get(policy_key(name))) {
            if (name == "public")
                throw iiif::IiifError(409, "the policy \"public\" is built in");
            throw iiif::IiifError(404, "no such policy");
        }
        if (name != "public") {
            if (default_of(edit.get(kStateKey)) == name)
                throw iiif::IiifError(409, "\"" + name + "\" is the default policy");
            for (const auto& [key, value] : edit.scan(kSetPrefix)) {
                iiif::Json set = object_of(value, 500, "registry: " + key);
                if (iiif::json_string_member(set.get(), "policy") == name)
                    throw iiif::IiifError(409, "the set \"" + key.substr(kSetPrefix.size()) +
                                                   "\" gives its objects this policy");
            }
        }
        edit.erase(policy_key(name));
        directory_.audit().record(actor, "policy.remove", name, "");
    });
    apply();
}

void AccessRegistry::set_default_policy(const Actor& actor, const std::string& name) {
    catalog_.edit_registry([&](iiif::RegistryEdit& edit) {
        if (name != "public" && !edit.get(policy_key(name)))
            iiif::refuse_field("policy", "no such policy: \"" + name + "\"");
        edit.put(kStateKey, state_with_default(edit.get(kStateKey), name));
        directory_.audit().record(actor, "policy.default", name, "");
    });
    apply();
}

bool AccessRegistry::put_set(const Actor& actor, const std::string& spec, std::string_view body) {
    const AccessDefinitions now = definitions();
    iiif::Json fields = object_of(body, 400, "set");
    const SetDefinition set = read_set(spec, fields.get(), known(now), 400);
    bool created = false;
    catalog_.edit_registry([&](iiif::RegistryEdit& edit) {
        if (!set.policy.empty() && set.policy != "public" && !edit.get(policy_key(set.policy)))
            iiif::refuse_field("policy", "no such policy: \"" + set.policy + "\"");
        created = !edit.get(set_key(spec));
        edit.put(set_key(spec), stored(set_to_json(set)));
        directory_.audit().record(actor, created ? "set.create" : "set.change", spec, "",
                                  set_to_json(set));
    });
    apply();
    return created;
}

void AccessRegistry::remove_set(const Actor& actor, const std::string& spec) {
    catalog_.edit_registry([&](iiif::RegistryEdit& edit) {
        if (!edit.get(set_key(spec))) throw iiif::IiifError(404, "no such set");
        edit.erase(set_key(spec));
        directory_.audit().record(actor, "set.remove", spec, "");
    });
    apply();
}

}  // namespace iiifd
