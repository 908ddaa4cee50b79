#include "presentation.hpp"

#include <jansson.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>

// For the record structs only: iiif_core uses no LMDB function, so it does not link LMDB.
#include "access.hpp"
#include "iiif_error.hpp"
#include "json.hpp"
#include "records.hpp"
#include "structures.hpp"

namespace iiif {

namespace {

constexpr const char* kContext3 = "http://iiif.io/api/presentation/3/context.json";
constexpr const char* kContext2 = "http://iiif.io/api/presentation/2/context.json";
constexpr const char* kImageContext2 = "http://iiif.io/api/image/2/context.json";
constexpr const char* kImageProfile2 = "http://iiif.io/api/image/2/level2.json";
constexpr const char* kOaiDcProfile = "http://www.openarchives.org/OAI/2.0/oai_dc/";
constexpr int kThumbnailBox = 200;

json_t* text(std::string_view value) {
    return json_stringn(value.data(), value.size());
}

void set(json_t* object, const char* key, json_t* value) {
    json_object_set_new(object, key, value);
}
void set(json_t* object, const char* key, std::string_view value) {
    set(object, key, text(value));
}

json_t* array_of(json_t* item) {
    json_t* array = json_array();
    json_array_append_new(array, item);
    return array;
}

// A value inside a query string or a landing page template: RFC 3986's unreserved characters
// only, like encodeURIComponent (which also keeps "!*'()").
std::string encode_component(std::string_view value) {
    return percent_encode(value, "");
}

std::string_view prefix(const PublicationSettings& settings, ApiVersion version) {
    return version == ApiVersion::v3 ? settings.image_prefix_v3 : settings.image_prefix_v2;
}

// "{base}{prefix}/{ARK}": the manifest, its canvases and annotations live below it.
std::string object_base(const PublicationSettings& settings, ApiVersion version,
                        std::string_view ark) {
    return settings.base_url + std::string(prefix(settings, version)) + "/" + std::string(ark);
}

// The host of an absolute URL, without user info or port, lower-cased.
std::string url_host(std::string_view url) {
    size_t scheme = url.find("://");
    if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
    url = url.substr(0, url.find_first_of("/?#"));
    size_t at = url.rfind('@');
    if (at != std::string_view::npos) url.remove_prefix(at + 1);
    size_t port = url.rfind(':');
    if (port != std::string_view::npos && url.find(']', port) == std::string_view::npos)
        url = url.substr(0, port);
    std::string host(url);
    std::transform(host.begin(), host.end(), host.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return host;
}

const std::vector<LangValue>* element(const ObjectMetadata& metadata, std::string_view name) {
    auto found = metadata.dc.find(std::string(name));
    if (found == metadata.dc.end() || found->second.empty()) return nullptr;
    return &found->second;
}

// A Presentation 3.0 language map: values grouped by language in the order languages first
// appear, a value without one under "none".
json_t* language_map(const std::vector<LangValue>& values) {
    json_t* map = json_object();
    for (const LangValue& value : values) {
        const std::string key = value.lang.empty() ? "none" : value.lang;
        json_t* list = json_object_get(map, key.c_str());
        if (!list) {
            list = json_array();
            json_object_set_new(map, key.c_str(), list);
        }
        json_array_append_new(list, text(value.value));
    }
    return map;
}

json_t* single_language_map(const char* lang, std::string_view value) {
    json_t* map = json_object();
    set(map, lang, array_of(text(value)));
    return map;
}

json_t* english_french(std::string_view english, std::string_view french) {
    json_t* map = single_language_map("en", english);
    set(map, "fr", array_of(text(french)));
    return map;
}

// The object's label: its titles, or the ARK when it has none.
json_t* object_label(const ObjectRecord& object) {
    if (const auto* titles = element(object.metadata, "title")) return language_map(*titles);
    return single_language_map("none", object.ark);
}

std::string first_title(const ObjectRecord& object) {
    const auto* titles = element(object.metadata, "title");
    return titles ? titles->front().value : object.ark;
}

struct ElementName {
    std::string_view english, french;
};
// The names of the 15 elements, in kDublinCoreElements' order, as the DCMES and its French
// translation give them.
constexpr ElementName kElementNames[] = {{"Title", "Titre"},       {"Creator", "Créateur"},
                                         {"Subject", "Sujet"},     {"Description", "Description"},
                                         {"Publisher", "Éditeur"}, {"Contributor", "Contributeur"},
                                         {"Date", "Date"},         {"Type", "Type"},
                                         {"Format", "Format"},     {"Identifier", "Identifiant"},
                                         {"Source", "Source"},     {"Language", "Langue"},
                                         {"Relation", "Relation"}, {"Coverage", "Couverture"},
                                         {"Rights", "Droits"}};
static_assert(std::size(kElementNames) == kDublinCoreElements.size());

std::string holding_institution(const PublicationSettings& settings, const ObjectRecord& object) {
    return object.metadata.provider.empty() ? settings.institution : object.metadata.provider;
}

// Only pages in service are shown; pending and withdrawn ones are left out.
std::vector<const ImageRecord*> active_pages(const std::vector<ImageRecord>& pages) {
    std::vector<const ImageRecord*> active;
    for (const ImageRecord& page : pages)
        if (page.state == RecordState::active) active.push_back(&page);
    return active;
}

struct Size {
    int width, height;
};
// The largest size within a kThumbnailBox square with the image's proportions, never larger
// than the image.
Size thumbnail_size(int width, int height) {
    if (width <= kThumbnailBox && height <= kThumbnailBox) return {width, height};
    auto scaled = [](int side, int other) {
        return std::max(1, static_cast<int>(std::lround(double(side) * kThumbnailBox / other)));
    };
    if (width >= height) return {kThumbnailBox, scaled(height, width)};
    return {scaled(width, height), kThumbnailBox};
}

std::string size_segment(Size size) {
    return std::to_string(size.width) + "," + std::to_string(size.height);
}

// ---- Presentation 3.0 pieces ----

json_t* image_service_v3(const std::string& service) {
    json_t* entry = json_object();
    set(entry, "id", service);
    set(entry, "type", "ImageService3");
    set(entry, "profile", "level2");
    return array_of(entry);
}

// An Image of the page at `size` ("max" or "w,h"), with its image service.
// The Auth 2.0 services of a page under a controlled policy, appended to `services` (a JSON
// array); nothing for a public page or without access settings.
void add_auth_services(json_t* services, const AccessSettings* access, const ImageRecord& page,
                       const std::string& service) {
    if (!access) return;
    const AccessPolicy* policy = access->policy(page.policy);
    if (!policy || policy->kind == PolicyKind::open) return;
    json_error_t error;
    json_t* auth =
        json_loads(auth_services_json(*policy, *access, service + "/probe").c_str(), 0, &error);
    json_array_extend(services, auth);
    json_decref(auth);
}

json_t* image_v3(const PublicationSettings& settings, const ImageRecord& page,
                 std::string_view size_text, Size size, const AccessSettings* access) {
    const std::string service = image_service_url(settings, ApiVersion::v3, page.id);
    json_t* image = json_object();
    set(image, "id", service + "/full/" + std::string(size_text) + "/0/default.jpg");
    set(image, "type", "Image");
    set(image, "format", "image/jpeg");
    set(image, "width", json_integer(size.width));
    set(image, "height", json_integer(size.height));
    json_t* services = image_service_v3(service);
    add_auth_services(services, access, page, service);
    set(image, "service", services);
    return image;
}

json_t* thumbnail_v3(const PublicationSettings& settings, const ImageRecord& page,
                     const AccessSettings* access = nullptr) {
    Size size = thumbnail_size(page.source.width, page.source.height);
    return array_of(image_v3(settings, page, size_segment(size), size, access));
}

// A page's label: its own, else its number.
std::string page_label(const ImageRecord& page) {
    return page.label.empty() ? std::to_string(page.index) : page.label;
}

json_t* canvas_v3(const PublicationSettings& settings, const std::string& base,
                  const ImageRecord& page, const AccessSettings* access) {
    const std::string n = "f" + std::to_string(page.index);
    const std::string canvas_id = base + "/canvas/" + n;
    const Size size{page.source.width, page.source.height};

    json_t* annotation = json_object();
    set(annotation, "id", base + "/annotation/" + n);
    set(annotation, "type", "Annotation");
    set(annotation, "motivation", "painting");
    set(annotation, "body", image_v3(settings, page, "max", size, access));
    set(annotation, "target", canvas_id);

    json_t* annotation_page = json_object();
    set(annotation_page, "id", base + "/page/" + n);
    set(annotation_page, "type", "AnnotationPage");
    set(annotation_page, "items", array_of(annotation));

    json_t* canvas = json_object();
    set(canvas, "id", canvas_id);
    set(canvas, "type", "Canvas");
    set(canvas, "label", single_language_map("none", page_label(page)));
    set(canvas, "width", json_integer(size.width));
    set(canvas, "height", json_integer(size.height));
    // What viewers show in their strip of pages, without asking the image service first.
    set(canvas, "thumbnail", thumbnail_v3(settings, page, access));
    set(canvas, "items", array_of(annotation_page));
    return canvas;
}

json_t* metadata_v3(const ObjectMetadata& metadata) {
    json_t* pairs = json_array();
    for (size_t i = 0; i < kDublinCoreElements.size(); ++i) {
        const auto* values = element(metadata, kDublinCoreElements[i]);
        if (!values) continue;
        json_t* pair = json_object();
        set(pair, "label", english_french(kElementNames[i].english, kElementNames[i].french));
        set(pair, "value", language_map(*values));
        json_array_append_new(pairs, pair);
    }
    if (!metadata.shelfmark.empty()) {
        json_t* pair = json_object();
        set(pair, "label", english_french("Shelfmark", "Cote"));
        set(pair, "value", single_language_map("none", metadata.shelfmark));
        json_array_append_new(pairs, pair);
    }
    return pairs;
}

// The holding institution as an Agent. The configured homepage is the platform institution's,
// so it identifies the agent only when that is the holding institution; any other gets a stable
// URI of its own below base_url.
json_t* provider_v3(const PublicationSettings& settings, const std::string& institution) {
    const bool ours = institution == settings.institution && !settings.institution_homepage.empty();
    json_t* agent = json_object();
    set(agent, "id",
        ours ? settings.institution_homepage
             : settings.base_url + "/#provider-" + encode_component(institution));
    set(agent, "type", "Agent");
    set(agent, "label", single_language_map("none", institution));
    if (ours) {
        json_t* homepage = json_object();
        set(homepage, "id", settings.institution_homepage);
        set(homepage, "type", "Text");
        set(homepage, "label", single_language_map("none", institution));
        set(homepage, "format", "text/html");
        set(agent, "homepage", array_of(homepage));
    }
    return array_of(agent);
}

// ---- Presentation 3.0 description: the manifest's descriptive and linking properties ----

// The record's page at the partner it was harvested from, where the original is shown; nullptr
// for an object that was not harvested, or whose record named no page.
const std::string* original_page(const ObjectRecord& object) {
    const std::optional<ObjectOrigin>& origin = object.metadata.origin;
    return origin && !origin->link.empty() ? &origin->link : nullptr;
}

// The original's link text, in English and French: the page is the holding institution's.
std::pair<std::string, std::string> original_label(const std::string& institution) {
    if (institution.empty()) return {"Original", "Original"};
    return {"Original at " + institution, "Original chez " + institution};
}

json_t* web_page_v3(const std::string& url, json_t* label) {
    json_t* page = json_object();
    set(page, "id", url);
    set(page, "type", "Text");
    set(page, "label", label);
    set(page, "format", "text/html");
    return page;
}

// From label to seeAlso, in that order: what manifest_v3 and object_description_v3 share. The
// homepages are the object's page here (its ARK), then the original's at the partner.
void describe_v3(json_t* root, const PublicationSettings& settings, const ObjectRecord& object) {
    const ObjectMetadata& metadata = object.metadata;
    const std::string institution = holding_institution(settings, object);
    set(root, "label", object_label(object));
    json_t* pairs = metadata_v3(metadata);
    if (json_array_size(pairs) > 0)
        set(root, "metadata", pairs);
    else
        json_decref(pairs);
    if (const auto* descriptions = element(metadata, "description"))
        set(root, "summary", language_map(*descriptions));
    if (!institution.empty()) {
        json_t* statement = json_object();
        set(statement, "label", english_french("Source", "Source"));
        set(statement, "value", single_language_map("none", institution));
        set(root, "requiredStatement", statement);
    }
    if (!metadata.license.empty()) set(root, "rights", canonical_rights(metadata.license));
    if (!institution.empty()) set(root, "provider", provider_v3(settings, institution));

    json_t* homepages = array_of(web_page_v3(ark_url(settings, object.ark), object_label(object)));
    if (const std::string* original = original_page(object)) {
        const auto [english, french] = original_label(institution);
        json_array_append_new(homepages, web_page_v3(*original, english_french(english, french)));
    }
    set(root, "homepage", homepages);

    json_t* record = json_object();
    set(record, "id", oai_record_url(settings, object.ark));
    set(record, "type", "Dataset");
    set(record, "format", "text/xml");
    set(record, "profile", kOaiDcProfile);
    set(root, "seeAlso", array_of(record));
}

// ---- Presentation 2.1 pieces ----

// A 2.1 value: a plain string when it is one value without a language, else a list of strings
// and {"@value", "@language"} objects.
json_t* value_v2(const std::vector<LangValue>& values) {
    if (values.size() == 1 && values.front().lang.empty()) return text(values.front().value);
    json_t* list = json_array();
    for (const LangValue& value : values) {
        if (value.lang.empty()) {
            json_array_append_new(list, text(value.value));
            continue;
        }
        json_t* tagged = json_object();
        set(tagged, "@value", value.value);
        set(tagged, "@language", value.lang);
        json_array_append_new(list, tagged);
    }
    return list;
}

json_t* metadata_v2(const ObjectMetadata& metadata) {
    json_t* pairs = json_array();
    for (size_t i = 0; i < kDublinCoreElements.size(); ++i) {
        const auto* values = element(metadata, kDublinCoreElements[i]);
        if (!values) continue;
        json_t* pair = json_object();
        set(pair, "label",
            value_v2({{std::string(kElementNames[i].english), "en"},
                      {std::string(kElementNames[i].french), "fr"}}));
        set(pair, "value", value_v2(*values));
        json_array_append_new(pairs, pair);
    }
    if (!metadata.shelfmark.empty()) {
        json_t* pair = json_object();
        set(pair, "label", value_v2({{"Shelfmark", "en"}, {"Cote", "fr"}}));
        set(pair, "value", metadata.shelfmark);
        json_array_append_new(pairs, pair);
    }
    return pairs;
}

json_t* image_service_v2(const std::string& service) {
    json_t* entry = json_object();
    set(entry, "@context", kImageContext2);
    set(entry, "@id", service);
    set(entry, "profile", kImageProfile2);
    return entry;
}

json_t* image_v2(const PublicationSettings& settings, const ImageRecord& page,
                 std::string_view size_text, Size size, const AccessSettings* access) {
    const std::string service = image_service_url(settings, ApiVersion::v2, page.id);
    json_t* image = json_object();
    set(image, "@id", service + "/full/" + std::string(size_text) + "/0/default.jpg");
    set(image, "@type", "dctypes:Image");
    set(image, "format", "image/jpeg");
    set(image, "width", json_integer(size.width));
    set(image, "height", json_integer(size.height));
    json_t* services = json_array();
    add_auth_services(services, access, page, service);
    if (json_array_size(services) == 0) {
        json_decref(services);
        set(image, "service", image_service_v2(service));
    } else {
        json_array_insert_new(services, 0, image_service_v2(service));
        set(image, "service", services);
    }
    return image;
}

json_t* canvas_v2(const PublicationSettings& settings, const std::string& base,
                  const ImageRecord& page, const AccessSettings* access) {
    const std::string n = "f" + std::to_string(page.index);
    const std::string canvas_id = base + "/canvas/" + n;
    const Size size{page.source.width, page.source.height};

    json_t* annotation = json_object();
    set(annotation, "@id", base + "/annotation/" + n);
    set(annotation, "@type", "oa:Annotation");
    set(annotation, "motivation", "sc:painting");
    set(annotation, "resource", image_v2(settings, page, "full", size, access));
    set(annotation, "on", canvas_id);

    json_t* canvas = json_object();
    set(canvas, "@id", canvas_id);
    set(canvas, "@type", "sc:Canvas");
    set(canvas, "label", page_label(page));
    set(canvas, "width", json_integer(size.width));
    set(canvas, "height", json_integer(size.height));
    const Size thumbnail = thumbnail_size(page.source.width, page.source.height);
    set(canvas, "thumbnail", image_v2(settings, page, size_segment(thumbnail), thumbnail, access));
    set(canvas, "images", array_of(annotation));
    return canvas;
}

// The 2.1 viewingHint for the first layout behavior that has one.
std::string_view viewing_hint(const std::vector<std::string>& behavior) {
    for (const std::string& name : behavior)
        if (name == "paged" || name == "individuals" || name == "continuous") return name;
    return {};
}

// ---- Collections ----

json_t* collection_label(std::string_view spec) {
    if (spec.empty()) return english_french("All collections", "Toutes les collections");
    return single_language_map("none", spec);
}

// `label` with " (n/K)" after each of its strings.
json_t* page_label(const json_t* label, size_t n, size_t pages) {
    const std::string suffix = " (" + std::to_string(n) + "/" + std::to_string(pages) + ")";
    json_t* numbered = json_object();
    const char* lang;
    json_t* values;
    json_object_foreach(const_cast<json_t*>(label), lang, values) {
        json_t* list = json_array();
        size_t i;
        json_t* value;
        json_array_foreach(values, i, value) {
            json_array_append_new(list, text(std::string(json_string_value(value)) + suffix));
        }
        json_object_set_new(numbered, lang, list);
    }
    return numbered;
}

json_t* collection_ref(const std::string& id, json_t* label) {
    json_t* ref = json_object();
    set(ref, "id", id);
    set(ref, "type", "Collection");
    set(ref, "label", label);
    return ref;
}

Json collection(const std::string& id, json_t* label) {
    Json document(json_object());
    set(document.get(), "@context", kContext3);
    set(document.get(), "id", id);
    set(document.get(), "type", "Collection");
    set(document.get(), "label", label);
    set(document.get(), "items", json_array());
    return document;
}

json_t* parsed_item(const std::string& item) {
    json_error_t error;
    json_t* parsed = json_loadb(item.data(), item.size(), 0, &error);
    if (!parsed)
        throw IiifError(500,
                        std::string("presentation: a collection item is not JSON: ") + error.text);
    return parsed;
}

}  // namespace

// ---- Rights ----

std::string canonical_rights(std::string_view uri) {
    for (std::string_view host : {"creativecommons.org/", "rightsstatements.org/"}) {
        if (uri.starts_with("https://") && uri.substr(8).starts_with(host))
            return "http://" + std::string(uri.substr(8));
    }
    return std::string(uri);
}

// ---- Addresses ----

std::string manifest_url(const PublicationSettings& settings, ApiVersion version,
                         std::string_view object_ark) {
    return object_base(settings, version, object_ark) + "/manifest";
}

std::string image_service_url(const PublicationSettings& settings, ApiVersion version,
                              std::string_view image_id) {
    return settings.base_url + std::string(prefix(settings, version)) + "/" +
           encode_identifier(image_id);
}

std::string ark_url(const PublicationSettings& settings, std::string_view ark) {
    return settings.base_url + "/" + std::string(ark);
}

std::string landing_page_url(const PublicationSettings& settings, std::string_view object_ark) {
    const std::string_view page = settings.landing_page;
    std::string url = page.starts_with("/") ? settings.base_url : std::string();
    for (size_t i = 0; i < page.size();) {
        if (page.substr(i).starts_with("{ark}")) {
            url += encode_component(object_ark);
            i += 5;
        } else if (page.substr(i).starts_with("{manifest}")) {
            url += encode_component(manifest_url(settings, ApiVersion::v3, object_ark));
            i += 10;
        } else {
            url.push_back(page[i++]);
        }
    }
    return url;
}

std::string object_page_url(const PublicationSettings& settings, const ObjectRecord& object) {
    if (is_described(object) && object.metadata.origin && !object.metadata.origin->link.empty())
        return object.metadata.origin->link;
    return landing_page_url(settings, object.ark);
}

std::string oai_repository_identifier(const PublicationSettings& settings) {
    return settings.oai_repository_identifier.empty() ? url_host(settings.base_url)
                                                      : settings.oai_repository_identifier;
}

std::string oai_identifier(const PublicationSettings& settings, std::string_view object_ark) {
    return "oai:" + oai_repository_identifier(settings) + ":" + std::string(object_ark);
}

std::string oai_record_url(const PublicationSettings& settings, std::string_view object_ark) {
    return settings.base_url + settings.oai_path +
           "?verb=GetRecord&metadataPrefix=oai_dc&identifier=" +
           encode_component(oai_identifier(settings, object_ark));
}

std::string collection_url(const PublicationSettings& settings, std::string_view spec, int page) {
    std::string url = settings.base_url + settings.image_prefix_v3 + "/collection";
    if (!spec.empty()) url += "/" + std::string(spec);
    if (page > 0) url += "/" + std::to_string(page);
    return url;
}

// ---- Manifests ----

std::string manifest_v3(const PublicationSettings& settings, const ObjectRecord& object,
                        const std::vector<ImageRecord>& pages, const AccessSettings* access) {
    const ObjectMetadata& metadata = object.metadata;
    const std::string base = object_base(settings, ApiVersion::v3, object.ark);
    const std::vector<const ImageRecord*> shown = active_pages(pages);

    Json document(json_object());
    json_t* root = document.get();
    set(root, "@context", kContext3);
    set(root, "id", base + "/manifest");
    set(root, "type", "Manifest");
    describe_v3(root, settings, object);

    if (!shown.empty()) set(root, "thumbnail", thumbnail_v3(settings, *shown.front(), access));
    if (!metadata.behavior.empty()) {
        json_t* behavior = json_array();
        for (const std::string& name : metadata.behavior)
            json_array_append_new(behavior, text(name));
        set(root, "behavior", behavior);
    }
    if (!metadata.viewing_direction.empty())
        set(root, "viewingDirection", metadata.viewing_direction);

    json_t* canvases = json_array();
    for (const ImageRecord* page : shown)
        json_array_append_new(canvases, canvas_v3(settings, base, *page, access));
    set(root, "items", canvases);
    if (json_t* structures = structures_v3(base, object.structures, shown))
        set(root, "structures", structures);
    return json_text(root);
}

std::string manifest_v2(const PublicationSettings& settings, const ObjectRecord& object,
                        const std::vector<ImageRecord>& pages, const AccessSettings* access) {
    const ObjectMetadata& metadata = object.metadata;
    const std::string base = object_base(settings, ApiVersion::v2, object.ark);
    const std::vector<const ImageRecord*> shown = active_pages(pages);
    const std::string institution = holding_institution(settings, object);

    Json document(json_object());
    json_t* root = document.get();
    set(root, "@context", kContext2);
    set(root, "@id", base + "/manifest");
    set(root, "@type", "sc:Manifest");
    set(root, "label", first_title(object));
    json_t* pairs = metadata_v2(metadata);
    if (json_array_size(pairs) > 0)
        set(root, "metadata", pairs);
    else
        json_decref(pairs);
    if (const auto* descriptions = element(metadata, "description"))
        set(root, "description", value_v2(*descriptions));
    if (!institution.empty()) set(root, "attribution", institution);
    if (!metadata.license.empty()) set(root, "license", canonical_rights(metadata.license));

    json_t* related = json_object();
    set(related, "@id", ark_url(settings, object.ark));
    set(related, "format", "text/html");
    if (const std::string* original = original_page(object)) {
        const auto [english, french] = original_label(institution);
        json_t* page = json_object();
        set(page, "@id", *original);
        set(page, "label", value_v2({{english, "en"}, {french, "fr"}}));
        set(page, "format", "text/html");
        related = array_of(related);
        json_array_append_new(related, page);
    }
    set(root, "related", related);

    json_t* record = json_object();
    set(record, "@id", oai_record_url(settings, object.ark));
    set(record, "format", "text/xml");
    set(record, "profile", kOaiDcProfile);
    set(root, "seeAlso", record);

    if (!shown.empty()) {
        const ImageRecord& first = *shown.front();
        Size size = thumbnail_size(first.source.width, first.source.height);
        set(root, "thumbnail", image_v2(settings, first, size_segment(size), size, access));
    }
    if (!metadata.viewing_direction.empty())
        set(root, "viewingDirection", metadata.viewing_direction);
    if (std::string_view hint = viewing_hint(metadata.behavior); !hint.empty())
        set(root, "viewingHint", hint);

    json_t* canvases = json_array();
    for (const ImageRecord* page : shown)
        json_array_append_new(canvases, canvas_v2(settings, base, *page, access));
    json_t* sequence = json_object();
    set(sequence, "@id", base + "/sequence/normal");
    set(sequence, "@type", "sc:Sequence");
    set(sequence, "canvases", canvases);
    set(root, "sequences", array_of(sequence));
    if (json_t* structures = structures_v2(base, object.structures, shown))
        set(root, "structures", structures);
    return json_text(root);
}

std::string object_description_v3(const PublicationSettings& settings, const ObjectRecord& object) {
    Json document(json_object());
    set(document.get(), "manifest",
        is_described(object) ? json_null()
                             : text(manifest_url(settings, ApiVersion::v3, object.ark)));
    describe_v3(document.get(), settings, object);
    return json_text(document.get());
}

// ---- Collections ----

std::string collection_item_v3(const PublicationSettings& settings, const ObjectRecord& object,
                               const ImageRecord* first_page) {
    Json item(json_object());
    set(item.get(), "id", manifest_url(settings, ApiVersion::v3, object.ark));
    set(item.get(), "type", "Manifest");
    set(item.get(), "label", object_label(object));
    if (first_page) set(item.get(), "thumbnail", thumbnail_v3(settings, *first_page));
    return json_text(item.get());
}

std::vector<CollectionDocument> collection_documents_v3(const PublicationSettings& settings,
                                                        std::string_view spec,
                                                        const std::vector<std::string>& subsets,
                                                        const std::vector<std::string>& items) {
    const size_t page_size = std::max<size_t>(1, settings.collection_page_size);
    const std::string id = collection_url(settings, spec);
    Json label(collection_label(spec));
    Json document = collection(id, json_incref(label.get()));
    json_t* entries = json_object_get(document.get(), "items");
    for (const std::string& subset : subsets)
        json_array_append_new(
            entries, collection_ref(collection_url(settings, subset), collection_label(subset)));

    std::vector<CollectionDocument> documents(1);
    if (subsets.size() + items.size() <= page_size) {
        for (const std::string& item : items) json_array_append_new(entries, parsed_item(item));
        documents[0].body = json_text(document.get());
        return documents;
    }

    // Too many for one document: the set's own lists its subsets and then its pages.
    const size_t pages = (items.size() + page_size - 1) / page_size;
    for (size_t n = 1; n <= pages; ++n) {
        const std::string page_id = collection_url(settings, spec, static_cast<int>(n));
        Json numbered(page_label(label.get(), n, pages));
        json_array_append_new(entries, collection_ref(page_id, json_incref(numbered.get())));

        Json page = collection(page_id, json_incref(numbered.get()));
        set(page.get(), "partOf", array_of(collection_ref(id, json_incref(label.get()))));
        json_t* page_items = json_object_get(page.get(), "items");
        const size_t end = std::min(items.size(), n * page_size);
        for (size_t i = (n - 1) * page_size; i < end; ++i)
            json_array_append_new(page_items, parsed_item(items[i]));
        documents.push_back({static_cast<int>(n), json_text(page.get())});
    }
    documents[0].body = json_text(document.get());
    return documents;
}

}  // namespace iiif
