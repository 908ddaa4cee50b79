// The metadata formats of the OAI-PMH provider, each written from the one internal record (the
// catalog's ObjectRecord) and the publication settings, so an object's OAI records, manifests
// and ARK all name the same addresses.
//
//   oai_dc  unqualified Dublin Core, the 15 elements with xml:lang where known; dc:identifier
//           adds the ARK URL and the Presentation 3.0 manifest URL (none for a described object,
//           one without images, which has no manifest), dc:rights the licence URI,
//           dc:source the holding institution, dc:publisher the holding institution when the
//           record names no publisher.
//   edm     the Europeana Data Model (RDF/XML), how Europeana and the aggregators that feed it
//           harvest, and the one format in which an aggregator can take the IIIF image
//           services and manifest along with the record (Europeana's IIIF profile: a
//           WebResource per page with svcs:has_service and dcterms:isReferencedBy).
//           edm:isShownAt is object_page_url: for a described object harvested with a link,
//           the partner's page; a described object has no WebResource and no edm:isShownBy.
#pragma once

#include <string_view>
#include <vector>

#include "presentation.hpp"
#include "records.hpp"
#include "xml_writer.hpp"

namespace iiif {

struct OaiFormat {
    std::string_view prefix;
    std::string_view schema;
    std::string_view namespace_uri;
};

const std::vector<OaiFormat>& oai_formats();                // oai_dc, then edm
const OaiFormat* find_oai_format(std::string_view prefix);  // null when unknown

// Writes the record in the format: the element that goes inside <metadata>.
void write_oai_metadata(XmlWriter& out, const OaiFormat& format,
                        const PublicationSettings& settings, const ObjectRecord& object);

// The <provenance> (OAI-PMH 2.0 guidelines for provenance) of a record harvested from a partner,
// the element that goes inside <about>: one originDescription, altered="true" (iiifd normalises
// what it harvests and writes it in its own formats), harvestDate when iiifd harvested it, and
// the partner's base URL, identifier, datestamp and metadata namespace.
void write_oai_provenance(XmlWriter& out, const ObjectOrigin& origin);

// An <oai_dc:dc> holding a title and a description (a set's setDescription).
void write_oai_dc_description(XmlWriter& out, std::string_view title, std::string_view description);

// The holding institution of a record: its provider, else the settings' institution.
std::string holding_institution(const PublicationSettings& settings, const ObjectRecord& object);

// The EDM type (TEXT, IMAGE, SOUND, VIDEO or 3D) the record's dc:type values call for; IMAGE
// when they name none.
std::string_view edm_type(const ObjectMetadata& metadata);

}  // namespace iiif
