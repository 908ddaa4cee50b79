// The publication settings as iiifd records them in the catalog (meta "publication") and the
// module reads them back (presentation.hpp).
#include <jansson.h>

#include "iiif_error.hpp"
#include "json.hpp"
#include "presentation.hpp"

namespace iiif {
namespace {

void set(json_t* object, const char* key, std::string_view value) {
    json_object_set_new(object, key, json_string_of(value));
}

[[noreturn]] void refuse_settings(std::string_view field, std::string_view what) {
    throw IiifError(500, "publication settings: " + std::string(field) + ": " + std::string(what));
}

void read_string(const json_t* object, const char* key, std::string& out,
                 const std::string& field) {
    const json_t* value = json_object_get(object, key);
    if (!value) return;
    if (!json_is_string(value)) refuse_settings(field, "expected a string");
    out.assign(json_string_value(value), json_string_length(value));
}

json_t* shoulders_json(const std::vector<ShoulderInfo>& list) {
    json_t* shoulders = json_array();
    for (const ShoulderInfo& info : list) {
        json_t* shoulder = json_object();
        set(shoulder, "shoulder", info.shoulder);
        set(shoulder, "name", info.name);
        set(shoulder, "subject", info.subject);
        set(shoulder, "description", info.description);
        set(shoulder, "service", info.service);
        if (!info.institution.empty()) set(shoulder, "institution", info.institution);
        json_array_append_new(shoulders, shoulder);
    }
    return shoulders;
}

std::vector<ShoulderInfo> shoulders_of_json(const json_t* shoulders, const std::string& where) {
    if (!json_is_array(shoulders)) refuse_settings(where, "expected a list");
    std::vector<ShoulderInfo> list;
    size_t i;
    json_t* item;
    json_array_foreach(shoulders, i, item) {
        const std::string field = where + "[" + std::to_string(i) + "]";
        if (!json_is_object(item)) refuse_settings(field, "expected an object");
        ShoulderInfo info;
        read_string(item, "shoulder", info.shoulder, field + ".shoulder");
        read_string(item, "name", info.name, field + ".name");
        read_string(item, "subject", info.subject, field + ".subject");
        read_string(item, "description", info.description, field + ".description");
        read_string(item, "service", info.service, field + ".service");
        read_string(item, "institution", info.institution, field + ".institution");
        list.push_back(std::move(info));
    }
    return list;
}

}  // namespace

std::string shoulders_to_json(const std::vector<ShoulderInfo>& shoulders) {
    Json json(shoulders_json(shoulders));
    return json_text(json.get());
}

std::vector<ShoulderInfo> shoulders_from_json(std::string_view text) {
    json_error_t error;
    Json document(json_loadb(text.data(), text.size(), 0, &error));
    if (!document) refuse_settings("shoulders", std::string("not JSON: ") + error.text);
    return shoulders_of_json(document.get(), "shoulders");
}

std::string publication_settings_to_json(const PublicationSettings& settings) {
    Json document(json_object());
    json_t* root = document.get();
    set(root, "base_url", settings.base_url);
    set(root, "image_prefix_v3", settings.image_prefix_v3);
    set(root, "image_prefix_v2", settings.image_prefix_v2);
    set(root, "oai_path", settings.oai_path);
    set(root, "oai_repository_identifier", settings.oai_repository_identifier);
    set(root, "landing_page", settings.landing_page);
    set(root, "institution", settings.institution);
    set(root, "institution_homepage", settings.institution_homepage);
    json_object_set_new(root, "collection_page_size",
                        json_integer(static_cast<json_int_t>(settings.collection_page_size)));
    set(root, "naan", settings.naan);
    json_object_set_new(root, "shoulders", shoulders_json(settings.shoulders));
    set(root, "ark_policy", settings.ark_policy);
    set(root, "global_resolver", settings.global_resolver);
    return json_text(root);
}

// Keys it does not know are ignored and missing ones keep their defaults, so that a reader
// built before a new setting still reads what a newer iiifd recorded.
PublicationSettings publication_settings_from_json(std::string_view text_in) {
    json_error_t error;
    Json document(json_loadb(text_in.data(), text_in.size(), 0, &error));
    if (!document) refuse_settings("document", std::string("not JSON: ") + error.text);
    const json_t* root = document.get();
    if (!json_is_object(root)) refuse_settings("document", "expected a JSON object");

    PublicationSettings settings;
    read_string(root, "base_url", settings.base_url, "base_url");
    read_string(root, "image_prefix_v3", settings.image_prefix_v3, "image_prefix_v3");
    read_string(root, "image_prefix_v2", settings.image_prefix_v2, "image_prefix_v2");
    read_string(root, "oai_path", settings.oai_path, "oai_path");
    read_string(root, "oai_repository_identifier", settings.oai_repository_identifier,
                "oai_repository_identifier");
    read_string(root, "landing_page", settings.landing_page, "landing_page");
    read_string(root, "institution", settings.institution, "institution");
    read_string(root, "institution_homepage", settings.institution_homepage,
                "institution_homepage");
    if (const json_t* size = json_object_get(root, "collection_page_size")) {
        if (!json_is_integer(size) || json_integer_value(size) < 1)
            refuse_settings("collection_page_size", "expected a positive integer");
        settings.collection_page_size = static_cast<size_t>(json_integer_value(size));
    }
    read_string(root, "naan", settings.naan, "naan");
    if (const json_t* shoulders = json_object_get(root, "shoulders"))
        settings.shoulders = shoulders_of_json(shoulders, "shoulders");
    read_string(root, "ark_policy", settings.ark_policy, "ark_policy");
    read_string(root, "global_resolver", settings.global_resolver, "global_resolver");
    return settings;
}

}  // namespace iiif
