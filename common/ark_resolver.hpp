// The ARK resolver, as the module runs it on nginx's event loop: a request for
// /ark:/NAAN/name[/qualifier][?info|??] becomes a redirect, a document or an error, from the
// catalog alone (no daemon, no file but catalog.mdb).
//
// What it needs of an object is one small stored record, made by iiifd whenever the object
// changes (resolver_record, stored under resolver_document_key), so that resolving the ARK of
// a 500-page book costs one lookup of a few hundred bytes, not the object record.
#pragma once

#include <string>
#include <string_view>

#include "image_service.hpp"
#include "presentation.hpp"

namespace iiif {

class CatalogReader;
struct ObjectRecord;

// The object's resolver record: the ARK as minted, its state, page count, landing page, the
// ERC kernel (who, what, when, where) and, when withdrawn, the tombstone (when and why).
// Compact JSON text.
std::string resolver_record(const PublicationSettings& settings, const ObjectRecord& object);

struct ResolverRequest {
    std::string_view method;  // GET, HEAD, OPTIONS, ...
    std::string_view path;    // as the client sent it, percent-encoded, without the query
    std::string_view query;   // after the first '?', raw: "info", "?" (for "??"), "" ...
    bool has_query = false;   // a '?' was present (so "/ark:/1/x?" is an inflection)
    std::string_view accept;
};

// `catalog` may be null (not opened yet): every ARK of ours is then unknown (404).
HttpResponse resolve_ark(const CatalogReader* catalog, const ResolverRequest& request);

}  // namespace iiif
