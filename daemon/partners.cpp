#include "partners.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "daemon_config.hpp"
#include "directory.hpp"
#include "dublin_core.hpp"
#include "iiif_error.hpp"
#include "json.hpp"
#include "storage.hpp"

namespace iiifd {
namespace {

constexpr size_t kMaxUrlLength = 2000;
constexpr size_t kMaxPrefixLength = 64;
constexpr int kMaxScheduleHours = 24 * 366;
constexpr int kMaxDelayMs = 60000;
constexpr size_t kMaxRules = 10000;

bool is_http_url(std::string_view url) {
    const bool scheme = url.starts_with("http://") || url.starts_with("https://");
    const size_t host = url.find("//") + 2;
    return scheme && url.size() > host && url.size() <= kMaxUrlLength && url[host] != '/' &&
           std::none_of(url.begin(), url.end(),
                        [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

// An OAI-PMH metadataPrefix: the unreserved characters of a URI (OAI-PMH 2.0, 3.4).
bool is_metadata_prefix(std::string_view prefix) {
    return !prefix.empty() && prefix.size() <= kMaxPrefixLength &&
           std::all_of(prefix.begin(), prefix.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      std::string_view("-_.!~*'()").find(c) != std::string_view::npos;
           });
}

bool too_long(const std::string& value) {
    return value.size() > iiif::kMaxMetadataValueBytes;
}

const char* images_name(PartnerImages images) {
    return images == PartnerImages::fetch ? "fetch" : "metadata";
}

// ---- JSON -------------------------------------------------------------------------------------

[[noreturn]] void refuse(std::string_view field, std::string_view why) {
    throw iiif::IiifError(400, "partner: " + std::string(field) + ": " + std::string(why));
}

std::string json_text_field(const json_t* object, const char* key, bool required) {
    const json_t* value = json_object_get(object, key);
    if (value == nullptr || json_is_null(value)) {
        if (required) refuse(key, "required");
        return {};
    }
    if (!json_is_string(value)) refuse(key, "must be a string");
    return std::string(json_string_value(value), json_string_length(value));
}

Partner partner_of_json(std::string_view id, const json_t* object) {
    if (!json_is_object(object)) refuse("document", "expected a JSON object");
    static constexpr std::string_view kKeys[] = {
        "name",     "institution",    "homepage", "base_url", "sets",  "extra_prefix", "license",
        "shoulder", "schedule_hours", "images",   "delay_ms", "rules", "defined_in", "owner"};
    const char* key = nullptr;
    json_t* value = nullptr;
    json_object_foreach(const_cast<json_t*>(object), key, value) {
        if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys))
            refuse(key, "unknown key");
    }
    Partner partner;
    partner.id = std::string(id);
    partner.name = json_text_field(object, "name", true);
    partner.institution = json_text_field(object, "institution", false);
    partner.homepage = json_text_field(object, "homepage", false);
    partner.base_url = json_text_field(object, "base_url", true);
    partner.extra_prefix = json_text_field(object, "extra_prefix", false);
    partner.license = json_text_field(object, "license", false);
    partner.shoulder = json_text_field(object, "shoulder", false);
    partner.owner = json_text_field(object, "owner", false);
    if (const json_t* sets = json_object_get(object, "sets");
        sets != nullptr && !json_is_null(sets)) {
        if (!json_is_array(sets)) refuse("sets", "must be an array of set specs");
        size_t index = 0;
        const json_t* set = nullptr;
        json_array_foreach(sets, index, set) {
            if (!json_is_string(set)) refuse("sets", "must be an array of set specs");
            partner.sets.emplace_back(json_string_value(set), json_string_length(set));
        }
    }
    if (const json_t* hours = json_object_get(object, "schedule_hours"); hours != nullptr) {
        if (!json_is_integer(hours) || json_integer_value(hours) < 0 ||
            json_integer_value(hours) > kMaxScheduleHours)
            refuse("schedule_hours", "an integer from 0 to " + std::to_string(kMaxScheduleHours));
        partner.schedule_hours = static_cast<int>(json_integer_value(hours));
    }
    if (const json_t* delay = json_object_get(object, "delay_ms"); delay != nullptr) {
        if (!json_is_integer(delay) || json_integer_value(delay) < 0 ||
            json_integer_value(delay) > kMaxDelayMs)
            refuse("delay_ms", "an integer from 0 to " + std::to_string(kMaxDelayMs));
        partner.delay_ms = static_cast<int>(json_integer_value(delay));
    }
    const std::string images = json_text_field(object, "images", false);
    if (images == "metadata") {
        partner.images = PartnerImages::metadata;
    } else if (!images.empty() && images != "fetch") {
        refuse("images", "\"fetch\" or \"metadata\"");
    }
    if (const json_t* rules = json_object_get(object, "rules");
        rules != nullptr && !json_is_null(rules)) {
        if (!json_is_array(rules)) refuse("rules", "must be an array of {element, from, to}");
        size_t index = 0;
        const json_t* rule = nullptr;
        json_array_foreach(rules, index, rule) {
            const std::string field = "rules[" + std::to_string(index) + "]";
            if (!json_is_object(rule) || json_object_size(rule) != 3)
                refuse(field, "must be {\"element\", \"from\", \"to\"}");
            const json_t* element = json_object_get(rule, "element");
            const json_t* from = json_object_get(rule, "from");
            const json_t* to = json_object_get(rule, "to");
            if (!json_is_string(element) || !json_is_string(from) || !json_is_string(to))
                refuse(field, "must be {\"element\", \"from\", \"to\"}, three strings");
            partner.rules.push_back(
                {json_string_value(element), json_string_value(from), json_string_value(to)});
        }
    }
    return partner;
}

std::string read_whole(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) throw std::runtime_error("cannot read " + path);
    return text.str();
}

}  // namespace

bool is_partner_id(std::string_view id) {
    return !id.empty() && id.size() <= kMaxPartnerId &&
           std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
           });
}

std::string partner_set(std::string_view id) {
    return std::string(kPartnersSet) + ":" + std::string(id);
}

std::string_view partner_of_set(std::string_view spec) {
    if (spec.size() <= kPartnersSet.size() + 1 || !spec.starts_with(kPartnersSet) ||
        spec[kPartnersSet.size()] != ':')
        return {};
    const std::string_view id = spec.substr(kPartnersSet.size() + 1);
    return is_partner_id(id) ? id : std::string_view();
}

std::optional<std::string> complete_partner(Partner& partner, const DaemonConfig& config,
                                            ShoulderCheck shoulder_check) {
    if (!is_partner_id(partner.id)) return "id: 1 to 64 of a-z, 0-9 and -";
    if (partner.name.empty()) return "name: required";
    if (partner.institution.empty()) partner.institution = partner.name;
    if (partner.license.empty()) partner.license = kDefaultPartnerLicense;
    if (partner.shoulder.empty()) partner.shoulder = config.default_shoulder;
    for (const auto& [field, value] :
         {std::pair{"name", &partner.name}, std::pair{"institution", &partner.institution}})
        if (too_long(*value))
            return std::string(field) + ": longer than " +
                   std::to_string(iiif::kMaxMetadataValueBytes) + " bytes";
    if (!is_http_url(partner.base_url)) return "base_url: not an http or https URL";
    if (!partner.homepage.empty() && !is_http_url(partner.homepage))
        return "homepage: not an http or https URL";
    for (size_t i = 0; i < partner.sets.size(); ++i) {
        const std::string& set = partner.sets[i];
        if (!iiif::is_valid_set_spec(set) || set.size() > iiif::kMaxSetSpecLength)
            return "sets[" + std::to_string(i) + "]: not a set spec of at most " +
                   std::to_string(iiif::kMaxSetSpecLength) + " characters";
    }
    if (!partner.extra_prefix.empty() &&
        (!is_metadata_prefix(partner.extra_prefix) || partner.extra_prefix == "oai_dc"))
        return "extra_prefix: a metadataPrefix other than oai_dc (always harvested)";
    if (!iiif::is_known_license(partner.license))
        return "license: not a Creative Commons or RightsStatements.org URI";
    const bool known_shoulder = std::any_of(
        config.shoulders.begin(), config.shoulders.end(),
        [&](const Shoulder& shoulder) { return shoulder.shoulder == partner.shoulder; });
    if (shoulder_check == ShoulderCheck::configured && !known_shoulder)
        return "shoulder: \"" + partner.shoulder + "\" is no [ark.shoulders] entry";
    if (!partner.owner.empty() && !is_institution_id(partner.owner))
        return "owner: not an institution id (a-z, 0-9 and -, at most 32)";
    if (partner.schedule_hours < 0 || partner.schedule_hours > kMaxScheduleHours)
        return "schedule_hours: from 0 to " + std::to_string(kMaxScheduleHours);
    if (partner.delay_ms < 0 || partner.delay_ms > kMaxDelayMs)
        return "delay_ms: from 0 to " + std::to_string(kMaxDelayMs);
    if (partner.rules.size() > kMaxRules) return "rules: at most " + std::to_string(kMaxRules);
    for (size_t i = 0; i < partner.rules.size(); ++i) {
        const PartnerRule& rule = partner.rules[i];
        const std::string field = "rules[" + std::to_string(i) + "]";
        if (!iiif::is_dublin_core_element(rule.element))
            return field + ": \"" + rule.element + "\" is no Dublin Core element";
        if (rule.from.empty()) return field + ": the value it maps must not be empty";
        if (too_long(rule.from) || too_long(rule.to))
            return field + ": longer than " + std::to_string(iiif::kMaxMetadataValueBytes) +
                   " bytes";
    }
    return std::nullopt;
}

json_t* partner_to_json(const Partner& partner) {
    json_t* object = json_object();
    auto text = [&](const char* key, const std::string& value) {
        json_object_set_new(object, key, json_stringn(value.data(), value.size()));
    };
    text("id", partner.id);
    text("name", partner.name);
    text("institution", partner.institution);
    json_object_set_new(
        object, "homepage",
        partner.homepage.empty() ? json_null() : json_string(partner.homepage.c_str()));
    text("base_url", partner.base_url);
    json_t* sets = json_array();
    for (const std::string& set : partner.sets)
        json_array_append_new(sets, json_string(set.c_str()));
    json_object_set_new(object, "sets", sets);
    json_object_set_new(
        object, "extra_prefix",
        partner.extra_prefix.empty() ? json_null() : json_string(partner.extra_prefix.c_str()));
    text("license", partner.license);
    text("shoulder", partner.shoulder);
    text("owner", partner.owner);
    json_object_set_new(object, "schedule_hours", json_integer(partner.schedule_hours));
    json_object_set_new(object, "images", json_string(images_name(partner.images)));
    json_object_set_new(object, "delay_ms", json_integer(partner.delay_ms));
    json_t* rules = json_array();
    for (const PartnerRule& rule : partner.rules) {
        json_t* item = json_object();
        json_object_set_new(item, "element", json_string(rule.element.c_str()));
        json_object_set_new(item, "from", json_stringn(rule.from.data(), rule.from.size()));
        json_object_set_new(item, "to", json_stringn(rule.to.data(), rule.to.size()));
        json_array_append_new(rules, item);
    }
    json_object_set_new(object, "rules", rules);
    json_object_set_new(object, "defined_in", json_string(partner.from_api ? "api" : "iiifd.toml"));
    return object;
}

Partner partner_from_json(std::string_view id, std::string_view json, const DaemonConfig& config) {
    if (!is_partner_id(id)) refuse("id", "1 to 64 of a-z, 0-9 and -");
    json_error_t error;
    iiif::Json document(json_loadb(json.data(), json.size(), 0, &error));
    if (!document) refuse("document", std::string("not JSON: ") + error.text);
    Partner partner = partner_of_json(id, document.get());
    partner.from_api = true;
    if (std::optional<std::string> problem =
            complete_partner(partner, config, ShoulderCheck::by_caller)) {
        const size_t colon = problem->find(": ");
        refuse(problem->substr(0, colon), problem->substr(colon + 2));
    }
    return partner;
}

PartnerRegistry::PartnerRegistry(const DaemonConfig& config)
    : config_(config), path_(config.storage_root + "/partners.json") {
    if (!std::filesystem::exists(path_)) return;
    const std::string text = read_whole(path_);
    json_error_t error;
    iiif::Json document(json_loadb(text.data(), text.size(), 0, &error));
    if (!json_is_object(document.get()))
        throw std::runtime_error(path_ + ": not a JSON object of partners");
    const char* id = nullptr;
    json_t* definition = nullptr;
    json_object_foreach(document.get(), id, definition) {
        try {
            iiif::Json copy(json_deep_copy(definition));
            json_object_del(copy.get(), "id");
            json_object_del(copy.get(), "defined_in");
            api_partners_.push_back(partner_from_json(id, iiif::json_text(copy.get()), config));
        } catch (const iiif::IiifError& refused) {
            throw std::runtime_error(path_ + ": " + id + ": " + refused.reason);
        }
    }
}

std::vector<Partner> PartnerRegistry::list() const {
    std::lock_guard lock(mutex_);
    std::vector<Partner> all = config_.partners;
    all.insert(all.end(), api_partners_.begin(), api_partners_.end());
    return all;
}

std::optional<Partner> PartnerRegistry::find(std::string_view id) const {
    for (const Partner& partner : list())
        if (partner.id == id) return partner;
    return std::nullopt;
}

bool PartnerRegistry::put(Partner partner) {
    std::lock_guard lock(mutex_);
    for (const Partner& defined : config_.partners)
        if (defined.id == partner.id)
            throw iiif::IiifError(409, "partner " + partner.id + " is defined in iiifd.toml");
    partner.from_api = true;
    auto found = std::find_if(api_partners_.begin(), api_partners_.end(),
                              [&](const Partner& p) { return p.id == partner.id; });
    const bool added = found == api_partners_.end();
    const std::vector<Partner> before = api_partners_;
    if (added) {
        api_partners_.push_back(std::move(partner));
    } else {
        *found = std::move(partner);
    }
    try {
        save();
    } catch (...) {
        api_partners_ = before;
        throw;
    }
    return added;
}

void PartnerRegistry::remove(std::string_view id) {
    std::lock_guard lock(mutex_);
    for (const Partner& defined : config_.partners)
        if (defined.id == id)
            throw iiif::IiifError(
                409, "partner " + std::string(id) + " is defined in iiifd.toml: remove it there");
    auto found = std::find_if(api_partners_.begin(), api_partners_.end(),
                              [&](const Partner& p) { return p.id == id; });
    if (found == api_partners_.end()) throw iiif::IiifError(404, "no partner " + std::string(id));
    const std::vector<Partner> before = api_partners_;
    api_partners_.erase(found);
    try {
        save();
    } catch (...) {
        api_partners_ = before;
        throw;
    }
}

void PartnerRegistry::save() const {
    iiif::Json document(json_object());
    for (const Partner& partner : api_partners_)
        json_object_set_new(document.get(), partner.id.c_str(), partner_to_json(partner));
    write_file_atomically(path_, iiif::json_text(document.get()) + "\n");
}

}  // namespace iiifd
