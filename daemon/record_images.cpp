#include "record_images.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <regex>
#include <string_view>

#include "encoding.hpp"
#include "json.hpp"

namespace iiifd {
namespace {

constexpr std::string_view kDcNamespace = "http://purl.org/dc/elements/1.1/";
constexpr std::string_view kDctermsNamespace = "http://purl.org/dc/terms/";
constexpr std::string_view kEdmNamespace = "http://www.europeana.eu/schemas/edm/";
constexpr std::string_view kSvcsNamespace = "http://rdfs.org/sioc/services#";
constexpr std::string_view kDoapNamespace = "http://usefulinc.com/ns/doap#";
constexpr std::string_view kRdfNamespace = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    });
    return out;
}

// ---- URLs -----------------------------------------------------------------------------------

// An http(s) URL cut where its kind is read: scheme and host, then the path without query or
// fragment.
struct HttpUrl {
    std::string_view origin;
    std::string_view path;
};

std::optional<HttpUrl> http_url(std::string_view url) {
    const std::string scheme = lower(url.substr(0, 8));
    const std::size_t host_begin = scheme.starts_with("https://")  ? 8
                                   : scheme.starts_with("http://") ? 7
                                                                   : 0;
    if (host_begin == 0) return {};
    for (const char c : url)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return {};
    const std::size_t host_end = std::min(url.find_first_of("/?#", host_begin), url.size());
    if (host_end == host_begin) return {};
    const std::size_t path_end = std::min(url.find_first_of("?#", host_end), url.size());
    return HttpUrl{url.substr(0, host_end), url.substr(host_end, path_end - host_end)};
}

std::vector<std::string_view> path_segments(std::string_view path) {
    std::vector<std::string_view> segments;
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t slash = std::min(path.find('/', start), path.size());
        segments.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return segments;
}

// A service's URL as its base: without "/info.json" and trailing slashes.
std::string service_base(std::string_view url) {
    if (url.ends_with("/info.json")) url.remove_suffix(std::string_view("/info.json").size());
    while (url.ends_with('/')) url.remove_suffix(1);
    return std::string(url);
}

// The base of an Image API image request, {base}/{region}/{size}/{rotation}/{quality}.{format}
// (2.x and 3.0 syntax, 1.x's "native" quality too); nullopt for another URL.
std::optional<std::string> image_request_base(const HttpUrl& url) {
    static const std::regex region(
        R"(full|square|(pct:)?\d+(\.\d+)?,\d+(\.\d+)?,\d+(\.\d+)?,\d+(\.\d+)?)");
    static const std::regex size(R"(\^?(full|max|pct:\d+(\.\d+)?|!?\d+,\d+|\d+,|,\d+))");
    static const std::regex rotation(R"(!?\d+(\.\d+)?)");
    static const std::regex quality_format(
        R"((default|color|gray|bitonal|native)\.(jpg|tif|png|gif|jp2|pdf|webp))");
    const std::vector<std::string_view> segments = path_segments(url.path);
    // "", at least one identifier segment, then the four parameters.
    if (segments.size() < 6 || !url.path.starts_with('/') || url.path.ends_with('/')) return {};
    const auto at = [&](std::size_t from_end) {
        const std::string_view segment = segments[segments.size() - from_end];
        return std::string(segment);
    };
    if (!std::regex_match(at(4), region) || !std::regex_match(at(3), size) ||
        !std::regex_match(at(2), rotation) || !std::regex_match(at(1), quality_format) ||
        at(5).empty())
        return {};
    const std::string_view last = segments[segments.size() - 5];
    const std::size_t base_end =
        static_cast<std::size_t>(last.data() - url.path.data()) + last.size();
    return std::string(url.origin) + std::string(url.path.substr(0, base_end));
}

bool is_image_file(std::string_view last_segment) {
    static constexpr std::array<std::string_view, 7> extensions = {".jpg", ".jpeg", ".tif", ".tiff",
                                                                   ".jp2", ".j2k",  ".png"};
    const std::string name = lower(last_segment);
    return std::any_of(extensions.begin(), extensions.end(),
                       [&](std::string_view extension) { return name.ends_with(extension); });
}

struct Classified {
    std::string url;
    ReferenceKind kind;
};

Classified classify(std::string_view text, const HttpUrl& url) {
    const std::vector<std::string_view> segments = path_segments(url.path);
    const std::string_view last = segments.back();
    if (lower(last).find("manifest") != std::string::npos)
        return {std::string(text), ReferenceKind::manifest};
    if (url.path.ends_with("/info.json") && url.path.size() > std::string_view("/info.json").size())
        return {service_base(std::string(url.origin) + std::string(url.path)),
                ReferenceKind::image_service};
    if (std::optional<std::string> base = image_request_base(url))
        return {std::move(*base), ReferenceKind::image_service};
    if (is_image_file(last)) return {std::string(text), ReferenceKind::file};
    return {std::string(text), ReferenceKind::page};
}

// ---- references -----------------------------------------------------------------------------

class References {
  public:
    // `role`: the kind the element gives its URL whatever the URL says (EDM's), if any.
    void add(std::string_view value, std::string element,
             std::optional<ReferenceKind> role = std::nullopt, bool shown_at = false) {
        const std::string_view text = iiif::trim_space(value);
        if (text.size() > kMaxReferenceLength) return;
        const std::optional<HttpUrl> url = http_url(text);
        if (!url) return;
        Classified found = classify(text, *url);
        if (role) {
            found.kind = *role;
            found.url =
                *role == ReferenceKind::image_service ? service_base(text) : std::string(text);
        }
        const auto known = std::find_if(list_.begin(), list_.end(), [&](const ImageReference& r) {
            return r.url == found.url;
        });
        if (known == list_.end()) {
            list_.push_back({std::move(found.url), found.kind, std::move(element), shown_at});
            return;
        }
        if (role) known->kind = *role;
        known->shown_at = known->shown_at || shown_at;
    }

    std::vector<ImageReference> take() { return std::move(list_); }

  private:
    std::vector<ImageReference> list_;
};

// ---- libxml2 --------------------------------------------------------------------------------

struct DocDeleter {
    void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};

struct XmlCharDeleter {
    void operator()(xmlChar* text) const { xmlFree(text); }
};
using XmlText = std::unique_ptr<xmlChar, XmlCharDeleter>;

std::string_view view(const xmlChar* text) {
    return text ? std::string_view(reinterpret_cast<const char*>(text)) : std::string_view();
}

const xmlChar* xml(const char* text) {
    return reinterpret_cast<const xmlChar*>(text);
}

bool in_namespace(const xmlNode* node, std::string_view ns) {
    return node->type == XML_ELEMENT_NODE && node->ns && view(node->ns->href) == ns;
}

bool is_element(const xmlNode* node, std::string_view ns, std::string_view local) {
    return in_namespace(node, ns) && view(node->name) == local;
}

std::string rdf_attribute(const xmlNode* node, const char* name) {
    XmlText value(xmlGetNsProp(node, xml(name), xml(kRdfNamespace.data())));
    return std::string(view(value.get()));
}

// An element's URL: its rdf:resource when it has one (EDM), else its text (Dublin Core).
std::string value_of(const xmlNode* node) {
    std::string resource = rdf_attribute(node, "resource");
    if (!resource.empty()) return resource;
    XmlText text(xmlNodeGetContent(node));
    return std::string(view(text.get()));
}

// What an svcs:Service says it conforms to or implements: the Image API, the Presentation
// API, or neither (its URL decides).
std::optional<ReferenceKind> service_role(const xmlNode* service) {
    for (const xmlNode* child = service->children; child; child = child->next) {
        if (!is_element(child, kDctermsNamespace, "conformsTo") &&
            !is_element(child, kDoapNamespace, "implements"))
            continue;
        const std::string spec = value_of(child);
        if (spec.find("iiif.io/api/image") != std::string::npos)
            return ReferenceKind::image_service;
        if (spec.find("iiif.io/api/presentation") != std::string::npos)
            return ReferenceKind::manifest;
    }
    return std::nullopt;
}

void consider(const xmlNode* node, References& out) {
    const std::string_view name = view(node->name);
    const bool dc = in_namespace(node, kDcNamespace);
    if ((dc || in_namespace(node, kDctermsNamespace)) &&
        (name == "identifier" || name == "relation" || name == "source")) {
        out.add(value_of(node), (dc ? "dc:" : "dcterms:") + std::string(name));
    } else if (is_element(node, kDctermsNamespace, "isReferencedBy")) {
        out.add(value_of(node), "dcterms:isReferencedBy", ReferenceKind::manifest);
    } else if (in_namespace(node, kEdmNamespace) &&
               (name == "isShownBy" || name == "hasView" || name == "isShownAt")) {
        out.add(value_of(node), "edm:" + std::string(name), std::nullopt, name == "isShownAt");
    } else if (is_element(node, kSvcsNamespace, "Service")) {
        out.add(rdf_attribute(node, "about"), "svcs:Service", service_role(node));
    }
}

// Document order, but an edm:isShownBy before its siblings: EDM's schema writes the other
// views (edm:hasView) first, while isShownBy is the object's main view, its first page.
void walk(const xmlNode* node, References& out) {
    consider(node, out);
    for (const xmlNode* child = node->children; child; child = child->next)
        if (is_element(child, kEdmNamespace, "isShownBy")) walk(child, out);
    for (const xmlNode* child = node->children; child; child = child->next)
        if (child->type == XML_ELEMENT_NODE && !is_element(child, kEdmNamespace, "isShownBy"))
            walk(child, out);
}

// ---- manifests ------------------------------------------------------------------------------

std::string_view string_member(const json_t* object, const char* key) {
    const json_t* value = json_object_get(object, key);
    return json_is_string(value) ? std::string_view(json_string_value(value)) : "";
}

// Presentation 3.0 writes "id" and "type", 2.1 "@id" and "@type"; some 3.0 manifests keep
// 2.1's spelling for their ImageService2.
std::string_view id_of(const json_t* object) {
    const std::string_view id = string_member(object, "id");
    return id.empty() ? string_member(object, "@id") : id;
}

std::string_view type_of(const json_t* object) {
    const std::string_view type = string_member(object, "type");
    return type.empty() ? string_member(object, "@type") : type;
}

// A member that may be one value or an array of them, as its entries.
std::vector<const json_t*> entries(const json_t* value) {
    if (json_is_array(value)) {
        std::vector<const json_t*> all;
        for (std::size_t i = 0; i < json_array_size(value); ++i)
            all.push_back(json_array_get(value, i));
        return all;
    }
    if (value) return {value};
    return {};
}

// The first value of a label: a 3.0 language map ({"en": ["..."]}), or 2.1's string, value
// object ({"@value": "..."}) or array of either.
std::string first_label_value(const json_t* label) {
    if (json_is_string(label)) return json_string_value(label);
    if (json_is_array(label))
        return json_array_size(label) ? first_label_value(json_array_get(label, 0)) : "";
    if (!json_is_object(label)) return "";
    if (json_is_string(json_object_get(label, "@value")))
        return json_string_value(json_object_get(label, "@value"));
    const char* language;
    const json_t* values;
    json_object_foreach(const_cast<json_t*>(label), language, values) {
        const std::string value = first_label_value(values);
        if (!value.empty()) return value;
    }
    return "";
}

// The Image API version of a service: its 3.0 type, else (2.1 and older) its profile or
// context; none for another service (auth, search).
ImageServiceType service_type(const json_t* service) {
    const std::string_view type = type_of(service);
    if (type == "ImageService3") return ImageServiceType::image_service3;
    if (type == "ImageService2") return ImageServiceType::image_service2;
    if (type == "ImageService1") return ImageServiceType::image_service1;
    std::vector<std::string_view> names;
    for (const json_t* context : entries(json_object_get(service, "@context")))
        if (json_is_string(context)) names.push_back(json_string_value(context));
    for (const json_t* profile : entries(json_object_get(service, "profile")))
        if (json_is_string(profile)) names.push_back(json_string_value(profile));
    for (const std::string_view name : names) {
        if (name.find("iiif.io/api/image/3/") != std::string_view::npos)
            return ImageServiceType::image_service3;
        if (name.find("iiif.io/api/image/2/") != std::string_view::npos)
            return ImageServiceType::image_service2;
        if (name.find("iiif.io/api/image/1/") != std::string_view::npos ||
            name.find("library.stanford.edu/iiif/image-api/1.1/") != std::string_view::npos)
            return ImageServiceType::image_service1;
    }
    return ImageServiceType::none;
}

// An image resource (a 3.0 body, a 2.1 resource) as a page; nullopt when it names no URL.
std::optional<ManifestImage> image_of(const json_t* canvas, const json_t* image) {
    ManifestImage page;
    page.canvas_id = std::string(id_of(canvas));
    page.label = first_label_value(json_object_get(canvas, "label"));
    page.image_url = std::string(id_of(image));
    std::string service_url;
    for (const json_t* service : entries(json_object_get(image, "service"))) {
        const ImageServiceType type = service_type(service);
        if (type > page.service && !id_of(service).empty()) {
            page.service = type;
            service_url = service_base(id_of(service));
        }
    }
    page.url = page.service == ImageServiceType::none ? page.image_url : service_url;
    if (page.url.empty()) return std::nullopt;
    return page;
}

bool names_motivation(const json_t* annotation, std::string_view wanted) {
    for (const json_t* motivation : entries(json_object_get(annotation, "motivation")))
        if (json_is_string(motivation) && json_string_value(motivation) == wanted) return true;
    return false;
}

// 3.0: the canvas's annotation pages, their painting annotations, a body of type Image (of a
// Choice, the first item, which viewers show by default).
std::optional<ManifestImage> first_image_v3(const json_t* canvas) {
    for (const json_t* page : entries(json_object_get(canvas, "items"))) {
        for (const json_t* annotation : entries(json_object_get(page, "items"))) {
            if (!names_motivation(annotation, "painting")) continue;
            for (const json_t* body : entries(json_object_get(annotation, "body"))) {
                if (type_of(body) == "Choice") {
                    const std::vector<const json_t*> items =
                        entries(json_object_get(body, "items"));
                    body = items.empty() ? nullptr : items.front();
                }
                if (!body || type_of(body) != "Image") continue;
                if (std::optional<ManifestImage> image = image_of(canvas, body)) return image;
            }
        }
    }
    return std::nullopt;
}

// 2.1: the canvas's images, annotations whose resource is the image (of an oa:Choice, its
// default).
std::optional<ManifestImage> first_image_v2(const json_t* canvas) {
    for (const json_t* annotation : entries(json_object_get(canvas, "images"))) {
        if (json_object_get(annotation, "motivation") &&
            !names_motivation(annotation, "sc:painting"))
            continue;
        const json_t* resource = json_object_get(annotation, "resource");
        if (type_of(resource) == "oa:Choice") resource = json_object_get(resource, "default");
        const std::string_view type = type_of(resource);
        if (!json_is_object(resource) || (!type.empty() && type != "dctypes:Image")) continue;
        if (std::optional<ManifestImage> image = image_of(canvas, resource)) return image;
    }
    return std::nullopt;
}

}  // namespace

std::vector<ImageReference> find_image_references(const HarvestedRecord& record) {
    References references;
    std::unique_ptr<xmlDoc, DocDeleter> doc;
    if (!record.metadata_xml.empty())
        doc.reset(xmlReadMemory(record.metadata_xml.data(),
                                static_cast<int>(record.metadata_xml.size()), nullptr, "UTF-8",
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
    if (const xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr) {
        walk(root, references);
        return references.take();
    }
    for (const char* element : {"identifier", "relation", "source"}) {
        const auto values = record.dc.find(element);
        if (values == record.dc.end()) continue;
        for (const DcValue& value : values->second)
            references.add(value.value, "dc:" + std::string(element));
    }
    return references.take();
}

PagePlan choose_pages(const std::vector<ImageReference>& references) {
    PagePlan plan;
    const auto has = [&](ReferenceKind kind) {
        return std::any_of(references.begin(), references.end(),
                           [&](const ImageReference& r) { return r.kind == kind; });
    };
    for (const ReferenceKind kind :
         {ReferenceKind::manifest, ReferenceKind::image_service, ReferenceKind::file}) {
        if (!has(kind)) continue;
        plan.fetch = kind;
        for (const ImageReference& reference : references) {
            if (reference.kind != kind) continue;
            plan.urls.push_back(reference.url);
            if (kind == ReferenceKind::manifest) break;
        }
        break;
    }
    const auto landing = [&](bool shown_at_only) {
        return std::find_if(references.begin(), references.end(), [&](const ImageReference& r) {
            return r.kind == ReferenceKind::page && (r.shown_at || !shown_at_only);
        });
    };
    auto page = landing(true);
    if (page == references.end()) page = landing(false);
    if (page != references.end()) plan.landing_page = page->url;
    return plan;
}

std::vector<ManifestImage> manifest_images(const std::string& json, const ManifestLimits& limits) {
    json_error_t error;
    const iiif::Json root(json_loadb(json.data(), json.size(), 0, &error));
    if (!root)
        throw ManifestError("not JSON: " + std::string(error.text) + " (line " +
                            std::to_string(error.line) + ")");
    if (!json_is_object(root.get())) throw ManifestError("not a IIIF manifest: not a JSON object");
    const std::string_view type = type_of(root.get());
    const bool v3 = type == "Manifest";
    if (!v3 && type != "sc:Manifest")
        throw ManifestError(type.empty()
                                ? "not a IIIF manifest: it has no type"
                                : "not a IIIF manifest: its type is \"" + std::string(type) + "\"");
    const json_t* canvases =
        v3 ? json_object_get(root.get(), "items")
           : json_object_get(json_array_get(json_object_get(root.get(), "sequences"), 0),
                             "canvases");
    const std::size_t count = json_array_size(canvases);
    if (count == 0) throw ManifestError("the manifest has no canvas");
    if (count > limits.max_canvases)
        throw ManifestError("the manifest has " + std::to_string(count) + " canvases, more than " +
                            std::to_string(limits.max_canvases));
    std::vector<ManifestImage> pages;
    for (std::size_t i = 0; i < count; ++i) {
        const json_t* canvas = json_array_get(canvases, i);
        std::optional<ManifestImage> image = v3 ? first_image_v3(canvas) : first_image_v2(canvas);
        if (image) pages.push_back(std::move(*image));
    }
    if (pages.empty()) throw ManifestError("no canvas of the manifest has an image");
    return pages;
}

std::string fetch_manifest(const std::string& url, const FetchLimits& limits) {
    try {
        return fetch_text(url,
                          "application/ld+json;profile=\"http://iiif.io/api/presentation/3/"
                          "context.json\", application/json;q=0.9, */*;q=0.1",
                          limits);
    } catch (const FetchError& error) {
        throw ManifestError(error.what(), error.http_status());
    }
}

}  // namespace iiifd
