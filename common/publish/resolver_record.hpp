// The resolver's record of an object: what the ARK resolver needs to answer for it, made by
// iiifd whenever the object changes and stored in the catalog (resolver_document_key), read in
// place by the module for every request on nginx's event loop.
//
// ANVL text, one "label: value" line per field, in this order (line breaks in a value become
// spaces):
//   ark, state, pages (the highest page number), landing (where the object is shown,
//   object_page_url: the landing page, or for a described object harvested with a link, the
//   partner's page), manifest (the 3.0 manifest's URL; empty for a described object, which has
//   none), who, what, when, where (the ARK's URL), and when withdrawn, withdrawn (ISO 8601, UTC)
//   and reason.
// who: the creators, else the publishers, else the holding institution; what: the first title;
// when: the first date; each "(:unav)" (the ERC's "unavailable") when there is none.
// Not JSON: parsing a few hundred bytes of JSON with jansson costs twenty times the catalog
// lookup.
#pragma once

#include <string>
#include <string_view>

#include "presentation.hpp"
#include "records.hpp"

namespace iiif {

// The ERC's code for "unavailable".
inline constexpr std::string_view kUnavailable = "(:unav)";
// `text`, or kUnavailable when it is empty.
std::string or_unavailable(std::string_view text);

std::string resolver_record(const PublicationSettings& settings, const ObjectRecord& object);

// A record read in place: views into the stored text.
struct ResolverRecord {
    std::string_view ark, state, pages, landing, manifest, who, what, when, where, withdrawn,
        reason;
};
// Labels it does not know are skipped, so that a record made by a newer iiifd still reads.
// IiifError(500) for a line without "label: ".
ResolverRecord read_resolver_record(std::string_view text);

}  // namespace iiif
