// The Presentation documents iiifd stored in the catalog, served as they are, beside the
// images of the same service prefix: "{object ARK}/manifest" (3.0 and 2.1) and, in 3.0, the
// collections "collection", "collection/{set}" and "collection/{set}/{page}".
//
// A manifest under a restricted policy is for those its images are for; other policies
// publish their manifests, whose probe services tell viewers how to get in. A withdrawn
// object's manifest is config.withdrawn_status. Bodies are pinned in the catalog's map where a
// reader slot is free, so a 500-page manifest is written from there without a copy of its own.
#pragma once

#include <optional>

#include "http_message.hpp"
#include "image_service.hpp"

namespace iiif {

class CatalogReader;

// The document `request` names, or an error (IiifError thrown: 404 unknown, 401/403 refused,
// 410 withdrawn). Nullopt for a path that names no document (an image request, a base URI):
// only a path ending in "manifest" or beginning with "collection" is even decoded, since
// every tile comes through here.
std::optional<HttpResponse> document_response(const ServiceConfig& config,
                                              const HttpRequest& request,
                                              const CatalogReader* catalog);

}  // namespace iiif
