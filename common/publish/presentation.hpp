// IIIF Presentation documents made from the catalog's records: manifests (3.0 and 2.1) and
// collections (3.0). iiifd builds them when an object changes and stores them in the catalog;
// the module serves the stored bytes. Pure functions: no I/O, no clock.
//
// Every URL in them comes from PublicationSettings, which iiifd also records in the catalog
// (meta "publication") so that the module's ARK resolver answers with the same addresses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ark.hpp"
#include "image_request.hpp"

namespace iiif {

struct ObjectRecord;
struct ImageRecord;
struct AccessSettings;

struct ShoulderInfo {
    std::string shoulder;  // e.g. "39D"
    std::string name;
    std::string subject;
    std::string description;
    std::string service;  // URL of the service behind it; may be empty
    std::string institution{};  // the name of the institution it belongs to; may be empty
    bool operator==(const ShoulderInfo&) const = default;
};

struct PublicationSettings {
    std::string base_url;                     // public origin, "https://images.example.org"
    std::string image_prefix_v3 = "/iiif/3";  // Image API 3.0 and Presentation 3.0 documents
    std::string image_prefix_v2 = "/iiif/2";  // Image API 2.1 and Presentation 2.1 manifests
    std::string oai_path = "/oai";
    std::string oai_repository_identifier;  // oai:{this}:{ARK}; default: base_url's host
    // The object's landing page (where a bare ARK leads): a path below base_url or an absolute
    // URL, with {ark} (the ARK as minted) and {manifest} (the 3.0 manifest URL), URL-encoded.
    std::string landing_page = "/object.html?manifest={manifest}";
    std::string institution;           // the default holding institution (provider)
    std::string institution_homepage;  // optional
    size_t collection_page_size = 1000;
    // ARK resolver (see ark_resolver.hpp).
    std::string naan;
    std::vector<ShoulderInfo> shoulders;
    std::string ark_policy;       // the persistence statement shown by "??"
    std::string global_resolver;  // e.g. "https://n2t.net/": other NAANs go there; empty: 404
    bool operator==(const PublicationSettings&) const = default;
};

std::string publication_settings_to_json(const PublicationSettings& settings);
// The registered shoulders alone, as the catalog records them apart (meta "shoulders", which
// iiifd rewrites when its directory's shoulders change, and which replaces the publication
// settings' list for the resolver). Throws IiifError(500, "publication settings: ...").
std::string shoulders_to_json(const std::vector<ShoulderInfo>& shoulders);
std::vector<ShoulderInfo> shoulders_from_json(std::string_view text);
// Throws IiifError(500, "publication settings: ...") on a malformed document.
PublicationSettings publication_settings_from_json(std::string_view text);

// Creative Commons and RightsStatements.org publish their identifiers as http:// URIs, and the
// Presentation 3.0 schema and Europeana accept rights only in that form: a deposit's https://
// licence is written as http://. Other URIs are returned as they are.
std::string canonical_rights(std::string_view uri);

// ---- Addresses -------------------------------------------------------------------------------
// "{base}{prefix}/{ARK as minted}/manifest": the ARK raw, with its slashes.
std::string manifest_url(const PublicationSettings& settings, ApiVersion version,
                         std::string_view object_ark);
// "{base}{prefix}/{encode_identifier(image id)}": equal to the "id" of the image's info.json.
std::string image_service_url(const PublicationSettings& settings, ApiVersion version,
                              std::string_view image_id);
std::string ark_url(const PublicationSettings& settings, std::string_view ark);  // {base}/{ark}
std::string landing_page_url(const PublicationSettings& settings, std::string_view object_ark);
// Where the object is shown, what its bare ARK leads to and EDM's isShownAt: a described object
// (is_described) harvested with a link to its page at the partner has no page of its own worth
// showing (the landing page is a viewer of its manifest, and it has none), so that link; any other
// object, its landing page.
std::string object_page_url(const PublicationSettings& settings, const ObjectRecord& object);
// GetRecord in oai_dc for the object.
std::string oai_record_url(const PublicationSettings& settings, std::string_view object_ark);
std::string oai_identifier(const PublicationSettings& settings, std::string_view object_ark);
// oai_repository_identifier, or base_url's host when it is empty.
std::string oai_repository_identifier(const PublicationSettings& settings);
// "{base}{prefix3}/collection" for the top collection (spec ""), ".../collection/{spec}" for a
// set, ".../collection/{spec}/{page}" for page n >= 1 of a paged set.
std::string collection_url(const PublicationSettings& settings, std::string_view spec,
                           int page = 0);

// ---- Manifests -------------------------------------------------------------------------------
// `pages` are the object's images in page order (ImageRecord::source gives each canvas its
// size). Presentation 3.0: label, metadata, summary, requiredStatement (the source: the holding
// institution), rights, provider, homepage, seeAlso, thumbnail, behavior and viewingDirection
// when the metadata has them, one Canvas per page painted by an Image with an ImageService3.
// Compact JSON text. The homepage is the object's ARK; an object harvested from a partner whose
// record named its page there (ObjectOrigin::link) has that page as a second homepage, the
// original, labelled "Original at {holding institution}" ("Original chez ..." in French).
// With `access`, a page under a policy other than public also declares, beside its image
// service, the IIIF Auth 2.0 services of that policy (auth_services_json).
// A described object (is_described) has no manifest: Presentation 3.0 requires at least one
// Canvas in a Manifest's items (3.4.1, items) and 2.1 at least one canvas in a sequence (5.2).
std::string manifest_v3(const PublicationSettings& settings, const ObjectRecord& object,
                        const std::vector<ImageRecord>& pages,
                        const AccessSettings* access = nullptr);
// Presentation 2.1: the same content in sc:Manifest form, with ImageService2 services; the
// original's page follows the ARK in "related", which is then a list.
std::string manifest_v2(const PublicationSettings& settings, const ObjectRecord& object,
                        const std::vector<ImageRecord>& pages,
                        const AccessSettings* access = nullptr);

// What the document page shows of an object, described ones included, which have no manifest to
// read it from: {"manifest": its 3.0 manifest's URL, null for a described object} followed by
// the 3.0 manifest's properties from label to seeAlso, exactly as manifest_v3 writes them. Not a
// Presentation document (no @context, type or items). Compact JSON text.
std::string object_description_v3(const PublicationSettings& settings, const ObjectRecord& object);

// ---- Collections (3.0) -----------------------------------------------------------------------
// The reference to an object's manifest inside a collection: {"id", "type": "Manifest",
// "label", "thumbnail"} (thumbnail from `first_page` when given). Compact JSON text.
std::string collection_item_v3(const PublicationSettings& settings, const ObjectRecord& object,
                               const ImageRecord* first_page);

struct CollectionDocument {
    int page = 0;  // 0: the set's own document; n >= 1: page n of a paged set
    std::string body;
};
// The documents of set `spec` ("" for the top collection): `subsets` are the full specs of its
// child sets (listed first, as Collections), `items` the collection_item_v3 texts of the
// objects directly in it, in order. Up to settings.collection_page_size entries: one document.
// More: the set's document lists the subsets then its pages ("{spec} (n/K)"), each page a
// Collection of up to collection_page_size items.
std::vector<CollectionDocument> collection_documents_v3(const PublicationSettings& settings,
                                                        std::string_view spec,
                                                        const std::vector<std::string>& subsets,
                                                        const std::vector<std::string>& items);

}  // namespace iiif
