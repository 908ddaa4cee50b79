#include "harvest_pages.hpp"

#include <jansson.h>

#include <algorithm>
#include <optional>
#include <string_view>

#include "json.hpp"
#include "signing.hpp"
#include "staging.hpp"

namespace iiifd {
namespace {

using iiif::Json;

constexpr const char* kImageAccept = "image/*;q=1.0, */*;q=0.1";
constexpr const char* kInfoAccept =
    "application/ld+json;profile=\"http://iiif.io/api/image/3/context.json\", "
    "application/json;q=0.9, */*;q=0.1";

std::string without_slash(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

// A string member's value, "" when it is absent or no string.
std::string text_of(const json_t* object, const char* key) {
    const json_t* value = json_object_get(object, key);
    return json_is_string(value) ? json_string_value(value) : "";
}

// Whether `context` (a string, or a list of them) names `needle`.
bool context_names(const json_t* context, std::string_view needle) {
    if (json_is_string(context)) return std::string_view(json_string_value(context)) == needle;
    size_t index;
    const json_t* item;
    json_array_foreach(context, index, item) {
        if (json_is_string(item) && std::string_view(json_string_value(item)) == needle)
            return true;
    }
    return false;
}

// The last segment of a URL's path, without query or fragment; "" when there is none.
std::string file_name_of(const std::string& url) {
    std::string path = url.substr(0, std::min(url.find_first_of("?#"), url.size()));
    const size_t scheme = path.find("://");
    const size_t start = path.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    if (start == std::string::npos) return "";
    path = path.substr(start);
    const size_t slash = path.rfind('/');
    return path.substr(slash + 1);
}

// Whether an Image API 2 info.json limits its sizes (maxWidth, maxHeight, maxArea, which only
// 2.1 has): 2.1 declares them in the objects of its "profile" (§5.3); some servers write them at
// the top, where 3.0 puts them.
bool declares_size_limits(const json_t* info) {
    const auto limits = [](const json_t* object) {
        return json_object_get(object, "maxWidth") != nullptr ||
               json_object_get(object, "maxHeight") != nullptr ||
               json_object_get(object, "maxArea") != nullptr;
    };
    if (limits(info)) return true;
    size_t index;
    const json_t* item;
    json_array_foreach(json_object_get(info, "profile"), index, item) {
        if (json_is_object(item) && limits(item)) return true;
    }
    return false;
}

bool is_image_type(const std::string& type) {
    // Servers that do not know the type say so; the ingest decodes or refuses what they sent.
    return type.empty() || type.starts_with("image/") || type == "application/octet-stream" ||
           type == "binary/octet-stream";
}

// One page: the URL of its bytes, and the name it is staged under.
struct PageSource {
    std::string url;
    std::string name;
};

PageSource service_page(const std::string& base, const FetchLimits& limits) {
    return {whole_image_url(base, limits), "image.jpg"};
}

PageSource file_page(const std::string& url) {
    const std::string name = file_name_of(url);
    return {url, name.empty() ? "image" : name};
}

std::vector<PageSource> sources_of(const PagePlan& plan, const PageFetchLimits& limits) {
    std::vector<PageSource> sources;
    auto check_count = [&](size_t count) {
        if (count > limits.max_pages)
            throw ManifestError("more than " + std::to_string(limits.max_pages) +
                                " pages (the most an object may have)");
    };
    switch (plan.fetch) {
        case ReferenceKind::manifest: {
            if (plan.urls.empty()) break;
            ManifestLimits manifest_limits;
            manifest_limits.max_canvases = limits.max_pages;
            const std::vector<ManifestImage> images = manifest_images(
                fetch_manifest(plan.urls.front(), limits.documents), manifest_limits);
            for (const ManifestImage& image : images) {
                if (image.service != ImageServiceType::none) {
                    sources.push_back(service_page(image.url, limits.documents));
                } else {
                    sources.push_back(
                        file_page(image.image_url.empty() ? image.url : image.image_url));
                }
            }
            break;
        }
        case ReferenceKind::image_service:
            check_count(plan.urls.size());
            for (const std::string& url : plan.urls)
                sources.push_back(service_page(url, limits.documents));
            break;
        case ReferenceKind::file:
            check_count(plan.urls.size());
            for (const std::string& url : plan.urls) sources.push_back(file_page(url));
            break;
        case ReferenceKind::page:
            break;
    }
    return sources;
}

}  // namespace

PageFetchLimits page_fetch_limits(const DaemonConfig& config) {
    PageFetchLimits limits;
    limits.images.max_bytes = static_cast<std::size_t>(config.max_file_bytes);
    limits.images.timeout = std::chrono::minutes(10);
    limits.max_pages = static_cast<std::size_t>(config.max_files_per_object);
    return limits;
}

std::string whole_image_url(const std::string& base, const FetchLimits& limits) {
    const std::string service = without_slash(base);
    const std::string url = service + "/info.json";
    const std::string text = fetch_text(url, kInfoAccept, limits);
    json_error_t error;
    const Json info(json_loadb(text.data(), text.size(), 0, &error));
    const std::string refusal = url + ": not the info.json of an Image API 1, 2 or 3 service";
    if (!info) throw ManifestError(url + ": not JSON: " + std::string(error.text));
    if (!json_is_object(info.get())) throw ManifestError(refusal);
    const json_t* context = json_object_get(info.get(), "@context");
    if (context_names(context, "http://iiif.io/api/image/3/context.json"))
        return service + "/full/max/0/default.jpg";
    if (context_names(context, "http://iiif.io/api/image/2/context.json")) {
        // 2.1 has "max", and a service that limits its sizes refuses "full" beyond them; 2.0
        // knows "full" alone.
        return service + (declares_size_limits(info.get()) ? "/full/max/0/default.jpg"
                                                           : "/full/full/0/default.jpg");
    }
    if (context_names(context, "http://library.stanford.edu/iiif/image-api/1.1/context.json") ||
        text_of(info.get(), "profile").find("library.stanford.edu/iiif/image-api") !=
            std::string::npos)
        return service + "/full/full/0/native.jpg";
    throw ManifestError(refusal);
}

std::vector<DepositFile> fetch_pages(const PagePlan& plan, const std::string& directory,
                                     const PageFetchLimits& limits) {
    std::vector<DepositFile> files;
    const std::vector<PageSource> sources = sources_of(plan, limits);
    for (size_t i = 0; i < sources.size(); ++i) {
        const PageSource& source = sources[i];
        const std::string path = directory + "/" + staged_file_name(i + 1, source.name);
        const FetchedFile fetched = fetch_to_file(source.url, path, kImageAccept, limits.images);
        if (!is_image_type(fetched.content_type))
            throw FetchError(source.url + ": " + fetched.content_type + " is not an image");
        files.push_back({path, deposit_file_name(source.name)});
    }
    return files;
}

std::string pages_signature(const PagePlan& plan) {
    std::string text = std::to_string(static_cast<int>(plan.fetch));
    for (const std::string& url : plan.urls) text += "\n" + url;
    return iiif::sha256_hex(text);
}

}  // namespace iiifd
