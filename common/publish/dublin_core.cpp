#include "dublin_core.hpp"

#include <algorithm>
#include <cctype>
#include <memory>

#include "iiif_error.hpp"
#include "json.hpp"

namespace iiif {

const std::array<std::string_view, 15> kDublinCoreElements = {
    "title",  "creator",    "subject", "description", "publisher", "contributor", "date",  "type",
    "format", "identifier", "source",  "language",    "relation",  "coverage",    "rights"};

namespace {

[[noreturn]] void refuse(std::string_view field, std::string_view what) {
    throw IiifError(400, "metadata: " + std::string(field) + ": " + std::string(what));
}

std::string quoted(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
    return is_alpha(c) || is_digit(c);
}

bool is_blank(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

}  // namespace

bool is_valid_language_tag(std::string_view tag) {
    size_t start = 0;
    for (bool first = true;; first = false) {
        size_t end = tag.find('-', start);
        std::string_view subtag =
            tag.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (first) {
            if (subtag.size() < 2 || subtag.size() > 8 ||
                !std::all_of(subtag.begin(), subtag.end(), is_alpha))
                return false;
        } else if (subtag.empty() || subtag.size() > 8 ||
                   !std::all_of(subtag.begin(), subtag.end(), is_alnum)) {
            return false;
        }
        if (end == std::string_view::npos) return true;
        start = end + 1;
    }
}

namespace {

bool is_set_spec_char(char c) {
    return is_alnum(c) || std::string_view("_.!~*'()-").find(c) != std::string_view::npos;
}

// Strips "http://" or "https://" and `host`, or returns false.
bool strip_origin(std::string_view& uri, std::string_view host) {
    if (uri.starts_with("https://"))
        uri.remove_prefix(8);
    else if (uri.starts_with("http://"))
        uri.remove_prefix(7);
    else
        return false;
    if (!uri.starts_with(host)) return false;
    uri.remove_prefix(host.size());
    return true;
}

// "a/b/c/" or "a/b/c" -> {a, b, c}; empty segments elsewhere make it fail.
bool split_path(std::string_view path, std::vector<std::string_view>& segments) {
    if (path.ends_with("/")) path.remove_suffix(1);
    size_t start = 0;
    for (;;) {
        size_t end = path.find('/', start);
        std::string_view segment =
            path.substr(start, end == std::string_view::npos ? end : end - start);
        if (segment.empty()) return false;
        segments.push_back(segment);
        if (end == std::string_view::npos) return true;
        start = end + 1;
    }
}

bool is_licence_version(std::string_view version) {
    return version.size() == 3 && is_digit(version[0]) && version[1] == '.' && is_digit(version[2]);
}

// creativecommons.org/licenses/{code}/{version}/[{jurisdiction}/] and the two public domain
// tools, CC0 and the Public Domain Mark.
bool is_creative_commons(std::string_view uri) {
    if (!strip_origin(uri, "creativecommons.org/")) return false;
    if (uri == "publicdomain/zero/1.0/" || uri == "publicdomain/zero/1.0" ||
        uri == "publicdomain/mark/1.0/" || uri == "publicdomain/mark/1.0")
        return true;
    if (!uri.starts_with("licenses/")) return false;
    uri.remove_prefix(9);
    std::vector<std::string_view> segments;
    if (!split_path(uri, segments) || segments.size() < 2 || segments.size() > 3) return false;
    static constexpr std::string_view kCodes[] = {"by",    "by-sa",    "by-nd",
                                                  "by-nc", "by-nc-sa", "by-nc-nd"};
    if (std::find(std::begin(kCodes), std::end(kCodes), segments[0]) == std::end(kCodes))
        return false;
    if (!is_licence_version(segments[1])) return false;
    if (segments.size() == 3) {
        std::string_view port = segments[2];
        if (port.size() < 2 || port.size() > 8 ||
            !std::all_of(port.begin(), port.end(),
                         [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; }))
            return false;
    }
    return true;
}

bool is_rights_statement(std::string_view uri) {
    if (!strip_origin(uri, "rightsstatements.org/vocab/")) return false;
    std::vector<std::string_view> segments;
    if (!split_path(uri, segments) || segments.size() != 2 || segments[1] != "1.0") return false;
    static constexpr std::string_view kStatements[] = {
        "InC",    "InC-OW-EU", "InC-EDU", "InC-NC", "InC-RUU", "NoC-CR",
        "NoC-NC", "NoC-OKLR",  "NoC-US",  "CNE",    "UND",     "NKC"};
    return std::find(std::begin(kStatements), std::end(kStatements), segments[0]) !=
           std::end(kStatements);
}

std::string element_value(const json_t* value, const std::string& field) {
    if (!json_is_string(value)) refuse(field, "expected a string");
    std::string text(json_string_value(value), json_string_length(value));
    if (is_blank(text)) refuse(field, "empty value");
    return text;
}

LangValue lang_value(const json_t* item, const std::string& field) {
    if (json_is_string(item)) return {element_value(item, field), ""};
    if (!json_is_object(item)) refuse(field, "expected a string or {\"value\", \"lang\"}");
    LangValue parsed;
    const char* key;
    json_t* member;
    json_object_foreach(const_cast<json_t*>(item), key, member) {
        std::string_view name(key);
        if (name == "value") {
            parsed.value = element_value(member, field + ".value");
        } else if (name == "lang") {
            if (json_is_null(member)) continue;
            if (!json_is_string(member)) refuse(field + ".lang", "expected a string");
            parsed.lang.assign(json_string_value(member), json_string_length(member));
            if (!parsed.lang.empty() && !is_valid_language_tag(parsed.lang))
                refuse(field + ".lang", "not a language tag: " + quoted(parsed.lang));
        } else {
            refuse(field, "unknown key " + quoted(name));
        }
    }
    if (!json_object_get(item, "value")) refuse(field, "no \"value\"");
    return parsed;
}

std::vector<LangValue> element_values(const json_t* value, const std::string& element) {
    if (json_is_string(value)) return {{element_value(value, element), ""}};
    if (!json_is_array(value)) refuse(element, "expected a string or a list of values");
    std::vector<LangValue> values;
    size_t i;
    json_t* item;
    json_array_foreach(value, i, item) {
        values.push_back(lang_value(item, element + "[" + std::to_string(i) + "]"));
    }
    return values;
}

std::vector<std::string> set_specs(const json_t* value) {
    std::vector<std::string> sets;
    auto add = [&](const json_t* item, const std::string& field) {
        if (!json_is_string(item)) refuse(field, "expected a string");
        std::string spec(json_string_value(item), json_string_length(item));
        if (!is_valid_set_spec(spec)) refuse(field, "not a set spec: " + quoted(spec));
        // A set named twice is one membership.
        if (std::find(sets.begin(), sets.end(), spec) == sets.end()) sets.push_back(spec);
    };
    if (json_is_string(value)) {
        add(value, "sets");
        return sets;
    }
    if (!json_is_array(value)) refuse("sets", "expected a list of set specs");
    size_t i;
    json_t* item;
    json_array_foreach(value, i, item) {
        add(item, "sets[" + std::to_string(i) + "]");
    }
    return sets;
}

// The behavior values of Presentation 3.0 valid on a Manifest. Values of one group are disjoint:
// a manifest cannot be both auto-advance and no-auto-advance, nor paged and continuous.
struct ManifestBehavior {
    std::string_view name;
    int disjoint_group;
};
constexpr ManifestBehavior kManifestBehaviors[] = {
    {"auto-advance", 0}, {"no-auto-advance", 0}, {"repeat", 1},     {"no-repeat", 1},
    {"unordered", 2},    {"individuals", 2},     {"continuous", 2}, {"paged", 2}};

const ManifestBehavior* manifest_behavior(std::string_view name) {
    for (const ManifestBehavior& behavior : kManifestBehaviors)
        if (behavior.name == name) return &behavior;
    return nullptr;
}

std::vector<std::string> behaviors(const json_t* value) {
    std::vector<std::string> names;
    auto add = [&](const json_t* item, const std::string& field) {
        if (!json_is_string(item)) refuse(field, "expected a string");
        std::string name(json_string_value(item), json_string_length(item));
        const ManifestBehavior* behavior = manifest_behavior(name);
        if (!behavior) refuse(field, "not a behavior of a Manifest: " + quoted(name));
        for (const std::string& earlier : names) {
            if (earlier == name) refuse(field, "named twice: " + quoted(name));
            if (manifest_behavior(earlier)->disjoint_group == behavior->disjoint_group)
                refuse(field, quoted(name) + " cannot be combined with " + quoted(earlier));
        }
        names.push_back(std::move(name));
    };
    if (json_is_string(value)) {
        add(value, "behavior");
        return names;
    }
    if (!json_is_array(value)) refuse("behavior", "expected a string or a list of strings");
    size_t i;
    json_t* item;
    json_array_foreach(value, i, item) {
        add(item, "behavior[" + std::to_string(i) + "]");
    }
    return names;
}

std::string viewing_direction(const json_t* value) {
    if (!json_is_string(value)) refuse("viewingDirection", "expected a string");
    std::string direction(json_string_value(value), json_string_length(value));
    static constexpr std::string_view kDirections[] = {"left-to-right", "right-to-left",
                                                       "top-to-bottom", "bottom-to-top"};
    if (std::find(std::begin(kDirections), std::end(kDirections), direction) ==
        std::end(kDirections))
        refuse("viewingDirection", "not a viewing direction: " + quoted(direction));
    return direction;
}

std::string policy_name(const json_t* value) {
    if (!json_is_string(value)) refuse("access", "expected a string");
    std::string name(json_string_value(value), json_string_length(value));
    const bool valid =
        !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        });
    if (!valid) refuse("access", "not a policy name: " + quoted(name));
    return name;
}

// Who a metadata document comes from: a depositor (the API, the hot folder, the CLI, a PATCH),
// or iiifd's own stored record, which alone may carry an origin.
enum class Source { depositor, stored };

// Sets one top-level field of `metadata` from its JSON value; null (or an empty list) clears it.
void apply_field(ObjectMetadata& metadata, std::string_view name, const json_t* value,
                 Source source) {
    const std::string field(name);
    const bool clear = json_is_null(value);
    if (is_dublin_core_element(name)) {
        std::vector<LangValue> values;
        if (!clear) values = element_values(value, field);
        if (values.empty())
            metadata.dc.erase(field);
        else
            metadata.dc[field] = std::move(values);
    } else if (name == "sets") {
        metadata.sets = clear ? std::vector<std::string>{} : set_specs(value);
    } else if (name == "license") {
        if (clear) {
            metadata.license.clear();
            return;
        }
        if (!json_is_string(value)) refuse(field, "expected a string");
        std::string uri(json_string_value(value), json_string_length(value));
        if (!is_known_license(uri))
            refuse(field, "not a Creative Commons or RightsStatements.org URI: " + quoted(uri));
        metadata.license = std::move(uri);
    } else if (name == "provider") {
        metadata.provider = clear ? std::string() : element_value(value, field);
    } else if (name == "shelfmark") {
        metadata.shelfmark = clear ? std::string() : element_value(value, field);
    } else if (name == "access") {
        metadata.access = clear ? std::string() : policy_name(value);
    } else if (name == "behavior") {
        metadata.behavior = clear ? std::vector<std::string>{} : behaviors(value);
    } else if (name == "viewingDirection") {
        metadata.viewing_direction = clear ? std::string() : viewing_direction(value);
    } else if (name == "origin" && source == Source::stored) {
        metadata.origin.reset();
        if (!clear) metadata.origin = origin_from_json(value);
    } else {
        refuse(field, "unknown field");
    }
}

Json load_document(std::string_view json_text) {
    json_error_t error;
    Json document(json_loadb(json_text.data(), json_text.size(), JSON_DECODE_ANY, &error));
    if (!document)
        refuse("document",
               "not JSON (line " + std::to_string(error.line) + ": " + error.text + ")");
    if (!json_is_object(document.get())) refuse("document", "expected a JSON object");
    return document;
}

void apply_object(ObjectMetadata& metadata, const json_t* object, Source source) {
    const char* key;
    json_t* value;
    json_object_foreach(const_cast<json_t*>(object), key, value) {
        apply_field(metadata, key, value, source);
    }
}

ObjectMetadata read_metadata(const json_t* json, Source source) {
    if (!json_is_object(json)) refuse("document", "expected a JSON object");
    ObjectMetadata metadata;
    apply_object(metadata, json, source);
    return metadata;
}

}  // namespace

bool is_dublin_core_element(std::string_view name) {
    return std::find(kDublinCoreElements.begin(), kDublinCoreElements.end(), name) !=
           kDublinCoreElements.end();
}

bool is_known_license(std::string_view uri) {
    return is_creative_commons(uri) || is_rights_statement(uri);
}

bool is_valid_set_spec(std::string_view spec) {
    size_t start = 0;
    for (;;) {
        size_t end = spec.find(':', start);
        std::string_view segment =
            spec.substr(start, end == std::string_view::npos ? end : end - start);
        if (segment.empty() || !std::all_of(segment.begin(), segment.end(), is_set_spec_char))
            return false;
        if (end == std::string_view::npos) return true;
        start = end + 1;
    }
}

void check_metadata_limits(const ObjectMetadata& metadata) {
    for (size_t i = 0; i < metadata.sets.size(); ++i) {
        if (metadata.sets[i].size() > kMaxSetSpecLength)
            refuse("sets[" + std::to_string(i) + "]",
                   "longer than " + std::to_string(kMaxSetSpecLength) + " characters");
    }
    const std::string too_long = "longer than " + std::to_string(kMaxMetadataValueBytes) + " bytes";
    for (std::string_view element : kDublinCoreElements) {
        auto found = metadata.dc.find(std::string(element));
        if (found == metadata.dc.end()) continue;
        for (size_t i = 0; i < found->second.size(); ++i) {
            if (found->second[i].value.size() > kMaxMetadataValueBytes)
                refuse(std::string(element) + "[" + std::to_string(i) + "]", too_long);
        }
    }
    if (metadata.provider.size() > kMaxMetadataValueBytes) refuse("provider", too_long);
    if (metadata.shelfmark.size() > kMaxMetadataValueBytes) refuse("shelfmark", too_long);
    if (metadata.origin) {
        for (const auto& [name, value] : origin_texts(*metadata.origin))
            if (value->size() > kMaxMetadataValueBytes)
                refuse("origin." + std::string(name), too_long);
    }
}

ObjectMetadata parse_object_metadata(std::string_view json_text) {
    Json document = load_document(json_text);
    ObjectMetadata metadata = read_metadata(document.get(), Source::depositor);
    check_metadata_limits(metadata);
    return metadata;
}

ObjectMetadata patch_object_metadata(const ObjectMetadata& base, std::string_view json_text) {
    Json document = load_document(json_text);
    ObjectMetadata patched = base;
    apply_object(patched, document.get(), Source::depositor);
    check_metadata_limits(patched);
    return patched;
}

ObjectMetadata object_metadata_from_json(const json_t* json) {
    return read_metadata(json, Source::stored);
}

json_t* object_metadata_to_json(const ObjectMetadata& metadata) {
    json_t* object = json_object();
    for (std::string_view element : kDublinCoreElements) {
        auto found = metadata.dc.find(std::string(element));
        if (found == metadata.dc.end() || found->second.empty()) continue;
        json_t* values = json_array();
        for (const LangValue& value : found->second) {
            json_t* item = json_object();
            json_object_set_new(item, "value",
                                json_stringn(value.value.data(), value.value.size()));
            if (!value.lang.empty())
                json_object_set_new(item, "lang",
                                    json_stringn(value.lang.data(), value.lang.size()));
            json_array_append_new(values, item);
        }
        json_object_set_new(object, std::string(element).c_str(), values);
    }
    if (!metadata.sets.empty()) {
        json_t* sets = json_array();
        for (const std::string& spec : metadata.sets)
            json_array_append_new(sets, json_stringn(spec.data(), spec.size()));
        json_object_set_new(object, "sets", sets);
    }
    if (!metadata.license.empty())
        json_object_set_new(object, "license",
                            json_stringn(metadata.license.data(), metadata.license.size()));
    if (!metadata.provider.empty())
        json_object_set_new(object, "provider",
                            json_stringn(metadata.provider.data(), metadata.provider.size()));
    if (!metadata.shelfmark.empty())
        json_object_set_new(object, "shelfmark",
                            json_stringn(metadata.shelfmark.data(), metadata.shelfmark.size()));
    if (!metadata.access.empty())
        json_object_set_new(object, "access",
                            json_stringn(metadata.access.data(), metadata.access.size()));
    if (!metadata.behavior.empty()) {
        json_t* behavior = json_array();
        for (const std::string& name : metadata.behavior)
            json_array_append_new(behavior, json_stringn(name.data(), name.size()));
        json_object_set_new(object, "behavior", behavior);
    }
    if (!metadata.viewing_direction.empty())
        json_object_set_new(
            object, "viewingDirection",
            json_stringn(metadata.viewing_direction.data(), metadata.viewing_direction.size()));
    if (metadata.origin) json_object_set_new(object, "origin", origin_to_json(*metadata.origin));
    return object;
}

}  // namespace iiif
