// The ARK resolver, as the module runs it on nginx's event loop: a request for
// /ark:/NAAN/name[/qualifier][?info|??] becomes a redirect, a document or an error, from the
// catalog alone (no daemon, no file but catalog.mdb).
//
// What it needs of an object is one small stored record, made by iiifd whenever the object
// changes (publish/resolver_record.hpp, stored under resolver_document_key), so that resolving the
// ARK of a 500-page book costs one lookup of a few hundred bytes, not the object record.
//
// The rules, in the order they apply:
//   - OPTIONS is a CORS preflight (204); methods but GET and HEAD get 405 with Allow.
//   - The path is percent-decoded, then read as an ARK: label "ark:" in any case, "ark:/" and
//     "ark:" alike, the name's hyphens ignored. A path that is no ARK (or holds an invalid
//     escape or a control character) is 404 "not an ARK".
//   - No catalog yet, or no publication settings recorded in it: 404 "unknown ARK".
//   - Another NAAN: 302 to the global resolver ("{global_resolver}ark:/{rest}", the query
//     kept) when one is configured, else 404 "unknown ARK".
//   - The NAAN alone ("/ark:/NAAN", "/ark:/NAAN/"): 302 to the base URL, or with an
//     inflection the institution's record. A shoulder alone ("/ark:/NAAN/d3m"): 302 to the
//     shoulder's service (404 without one), or with an inflection the shoulder's record.
//   - An object that is unknown or pending: 404 "unknown ARK". Withdrawn: 410 with its
//     tombstone record, whatever the qualifier or inflection.
//   - Qualifiers: none -> 302 to where the object is shown (the landing page; for a described
//     object, one without images, harvested with a link: the partner's page, object_page_url);
//     "manifest" -> 302 to the 3.0 manifest (a described object has none: 404 "unknown
//     qualifier");
//     "f{n}" and "f{n}/info.json" (1 <= n <= pages, no leading zero) -> 302 to the page's
//     info.json; "f{n}/{region}/{size}/{rotation}/{quality}.{format}" -> 302 to that image
//     request (the image service validates it); anything else -> 404 "unknown qualifier".
//   - Inflections (after a valid qualifier): "?info" and "?" give the object's ERC record,
//     "??" the same plus the ARK policy; as ANVL text, or as JSON when Accept asks for
//     application/json. Any other query is ignored.
// Every response carries Access-Control-Allow-Origin: *; redirects and 200 records also
// Cache-Control: public, max-age=300 (a withdrawal reaches clients within five minutes).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "http_message.hpp"
#include "presentation.hpp"

namespace iiif {

class CatalogReader;
struct ObjectRecord;

struct ResolverRequest {
    std::string_view method;  // GET, HEAD, OPTIONS, ...
    std::string_view path;    // as the client sent it, percent-encoded, without the query
    std::string_view query;   // after the first '?', raw: "info", "?" (for "??"), "" ...
    bool has_query = false;   // a '?' was present (so "/ark:/1/x?" is an inflection)
    std::string_view accept;
};

// The publication settings iiifd recorded in a catalog (meta "publication"), read again at
// most every `recheck` and parsed again only when the recorded text changed: the resolver runs
// for every request, and reading them costs as much as the object's record. So a change of
// iiifd's addresses reaches the resolver within a second. One per catalog and thread.
class PublicationMemo {
  public:
    explicit PublicationMemo(std::chrono::milliseconds recheck = std::chrono::seconds(1))
        : recheck_(recheck) {}
    // Null before iiifd first recorded them. Throws IiifError(500) when they are malformed.
    const PublicationSettings* get(const CatalogReader& catalog);

  private:
    std::chrono::milliseconds recheck_;
    std::chrono::steady_clock::time_point next_read_{};
    std::string text_;
    std::string shoulders_text_;  // meta "shoulders" as last read; empty when absent
    std::optional<PublicationSettings> settings_;
};

// `catalog` may be null (not opened yet): every ARK of ours is then unknown (404).
HttpResponse resolve_ark(const CatalogReader* catalog, const ResolverRequest& request);
// The same, with the settings memoised across calls (the module keeps one memo per location).
HttpResponse resolve_ark(const CatalogReader* catalog, const ResolverRequest& request,
                         PublicationMemo& memo);

}  // namespace iiif
