#include "origin.hpp"

#include <algorithm>
#include <string_view>

#include "iiif_error.hpp"
#include "json.hpp"

namespace iiif {
namespace {

[[noreturn]] void refuse(std::string_view member, std::string_view what) {
    throw IiifError(400, "metadata: origin" + std::string(member.empty() ? "" : ".") +
                             std::string(member) + ": " + std::string(what));
}

bool is_http_url(std::string_view text) {
    for (std::string_view scheme : {"http://", "https://"})
        if (text.starts_with(scheme) && text.size() > scheme.size()) return true;
    return false;
}

// YYYY-MM-DD, or YYYY-MM-DDThh:mm:ssZ: the two granularities of an OAI-PMH datestamp.
bool is_oai_datestamp(std::string_view text) {
    auto shaped = [&](std::string_view pattern) {
        return text.size() == pattern.size() &&
               std::equal(pattern.begin(), pattern.end(), text.begin(), [](char p, char c) {
                   return p == '9' ? (c >= '0' && c <= '9') : p == c;
               });
    };
    return shaped("9999-99-99") || shaped("9999-99-99T99:99:99Z");
}

std::string text_member(const json_t* object, const char* name, bool required) {
    const json_t* value = json_object_get(object, name);
    if (!value) {
        if (required) refuse(name, "missing");
        return {};
    }
    if (!json_is_string(value)) refuse(name, "expected a string");
    std::string text(json_string_value(value), json_string_length(value));
    if (text.empty()) refuse(name, "empty value");
    return text;
}

constexpr std::string_view kMembers[] = {
    "partner", "base_url", "identifier", "datestamp", "metadata_namespace", "harvested", "link"};

}  // namespace

std::vector<std::pair<const char*, const std::string*>> origin_texts(const ObjectOrigin& origin) {
    return {{"partner", &origin.partner},
            {"base_url", &origin.base_url},
            {"identifier", &origin.identifier},
            {"datestamp", &origin.datestamp},
            {"metadata_namespace", &origin.metadata_namespace},
            {"link", &origin.link}};
}

json_t* origin_to_json(const ObjectOrigin& origin) {
    json_t* object = json_object();
    for (const auto& [name, value] : origin_texts(origin))
        if (!value->empty()) json_object_set_new(object, name, json_string_of(*value));
    json_object_set_new(object, "harvested", json_integer(origin.harvested));
    return object;
}

ObjectOrigin origin_from_json(const json_t* json) {
    if (!json_is_object(json)) refuse("", "expected a JSON object");
    const char* key;
    json_t* member;
    json_object_foreach(const_cast<json_t*>(json), key, member) {
        if (std::find(std::begin(kMembers), std::end(kMembers), std::string_view(key)) ==
            std::end(kMembers))
            refuse(key, "unknown member");
    }
    ObjectOrigin origin;
    origin.partner = text_member(json, "partner", true);
    origin.base_url = text_member(json, "base_url", true);
    if (!is_http_url(origin.base_url)) refuse("base_url", "not an http or https URL");
    origin.identifier = text_member(json, "identifier", true);
    origin.datestamp = text_member(json, "datestamp", true);
    if (!is_oai_datestamp(origin.datestamp))
        refuse("datestamp", "not YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ");
    origin.metadata_namespace = text_member(json, "metadata_namespace", true);
    const json_t* harvested = json_object_get(json, "harvested");
    if (!harvested) refuse("harvested", "missing");
    if (!json_is_integer(harvested) || json_integer_value(harvested) < 0)
        refuse("harvested", "expected unix seconds");
    origin.harvested = json_integer_value(harvested);
    origin.link = text_member(json, "link", false);
    if (!origin.link.empty() && !is_http_url(origin.link))
        refuse("link", "not an http or https URL");
    return origin;
}

}  // namespace iiif
