#include "document_service.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include "catalog.hpp"
#include "clock.hpp"
#include "iiif_error.hpp"

namespace iiif {
namespace {

std::string_view presentation_context(ApiVersion version) {
    return version == ApiVersion::v3 ? "http://iiif.io/api/presentation/3/context.json"
                                     : "http://iiif.io/api/presentation/2/context.json";
}

constexpr std::string_view kDocumentCacheControl = "public, max-age=300";

}  // namespace

std::optional<HttpResponse> document_response(const ServiceConfig& config,
                                              const HttpRequest& request,
                                              const CatalogReader* catalog) {
    constexpr std::string_view kManifest = "/manifest";
    constexpr std::string_view kCollection = "collection";
    // Every tile comes through here: only a path that can name a document is decoded.
    if (!request.path.ends_with("manifest") && !request.path.starts_with(kCollection))
        return std::nullopt;
    const std::string path = percent_decode(request.path);
    std::string key;
    std::optional<std::string> object;
    if (path.size() > kManifest.size() && path.ends_with(kManifest)) {
        const std::string_view ark =
            std::string_view(path).substr(0, path.size() - kManifest.size());
        auto parsed = parse_ark(ark);
        if (!parsed || !parsed->qualifier.empty()) return std::nullopt;
        object = parsed->normalized_base();
        key = manifest_document_key(config.version, *object);
    } else if (path == kCollection || path.starts_with(std::string(kCollection) + "/")) {
        if (config.version != ApiVersion::v3)
            throw IiifError(404, "collections are served with Presentation 3.0");
        std::string_view rest = std::string_view(path).substr(kCollection.size());
        if (!rest.empty()) rest.remove_prefix(1);
        const size_t slash = rest.find('/');
        int page = 0;
        if (slash != std::string_view::npos) {
            std::string_view digits = rest.substr(slash + 1);
            auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), page);
            if (ec != std::errc() || end != digits.data() + digits.size() || page < 1 ||
                digits[0] == '0')
                throw IiifError(404, "no such collection page");
            rest = rest.substr(0, slash);
        }
        if (slash != std::string_view::npos && rest.empty())
            throw IiifError(404, "no such collection");
        key = collection_document_key(rest, page);
    } else {
        return std::nullopt;
    }

    // A manifest under a restricted policy is for those its images are for (other policies
    // publish their manifests, whose probe services tell viewers how to get in). Looked up only
    // where a restricted policy exists, so other sites pay nothing.
    if (object && catalog) {
        auto settings = catalog->access_settings();
        const bool any_restricted =
            std::any_of(settings->policies.begin(), settings->policies.end(),
                        [](const AccessPolicy& p) { return p.kind == PolicyKind::restricted; });
        if (any_restricted) {
            auto record = catalog->object(*object);
            const AccessPolicy* policy = record ? settings->policy(record->policy) : nullptr;
            if (record && record->state != RecordState::withdrawn && policy &&
                policy->kind == PolicyKind::restricted) {
                Requester requester{request.client_address, request.cookie, request.authorization};
                AccessDecision decision =
                    decide_access(*policy, requester, *settings, config.access_key, now_seconds(),
                                  nullptr, record->institution);
                if (decision.grant != Grant::full)
                    throw IiifError(decision.status, "this manifest is not available to you");
            }
        }
    }

    // Pinned where a reader slot is free: a 500-page manifest is then written from the map.
    std::optional<CatalogReader::PinnedDocument> pinned;
    std::optional<StoredDocument> document;
    if (catalog) {
        pinned = catalog->pinned_document(key);
        if (!pinned) document = catalog->document(key);
    }
    if (!pinned && !document) {
        if (object && catalog) {
            auto record = catalog->object(*object);
            if (record && record->state == RecordState::withdrawn)
                throw IiifError(config.withdrawn_status, config.withdrawn_status == 404
                                                             ? "no such manifest"
                                                             : "object withdrawn");
        }
        throw IiifError(404, object ? "no such manifest" : "no such collection");
    }
    HttpResponse response;
    if (pinned) {
        response.body_pin = std::move(pinned->pin);
        response.pinned_body = pinned->view.body;
        response.etag = pinned->view.etag;
        response.last_modified = pinned->view.modified;
    } else {
        response.body = std::move(document->body);
        response.etag = std::move(document->etag);
        response.last_modified = document->modified;
    }
    // Presentation 3.0 asks for JSON-LD with its context as profile; 2.1 for plain JSON unless
    // the client asks for JSON-LD, as info.json.
    const bool json_ld = config.version == ApiVersion::v3 || accepts_json_ld(request.accept);
    response.content_type = json_ld ? "application/ld+json;profile=\"" +
                                          std::string(presentation_context(config.version)) + "\""
                                    : "application/json";
    response.headers.emplace_back("Access-Control-Allow-Origin", "*");
    // Documents change with their object's metadata: caches revalidate soon (a 304 is cheap).
    response.headers.emplace_back("Cache-Control", std::string(kDocumentCacheControl));
    if (config.version == ApiVersion::v2) response.headers.emplace_back("Vary", "Accept");
    return response;
}

}  // namespace iiif
