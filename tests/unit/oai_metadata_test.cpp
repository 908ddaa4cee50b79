// The OAI-PMH metadata formats written from an object's record: unqualified Dublin Core
// (oai_dc) and the Europeana Data Model (edm) with its IIIF web resources, valid against their
// schemas and Europeana's rules; and the XML writer under them, which makes any text fit for
// XML 1.0 and escapes what markup would misread.
#include "oai_metadata.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "oai_request.hpp"
#include "oai_schema.hpp"
#include "oai_xml.hpp"
#include "xml_writer.hpp"

using namespace iiif;
using oai_xml::Xml;

namespace {

constexpr const char* kArk = "ark:/67375/39D-6W3GQPXD-V";
const std::string kBase = "https://img.example.org";
const std::string kCho = kBase + "/" + kArk;
const std::string kManifest = kBase + "/iiif/3/" + kArk + "/manifest";
const std::string kService = kBase + "/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff";  // + page
const std::string kLanding = kBase +
                             "/object.html?manifest=https%3A%2F%2Fimg.example.org%2Fiiif%2F3%2F"
                             "ark%3A%2F67375%2F39D-6W3GQPXD-V%2Fmanifest";
const std::string kCcBy = "http://creativecommons.org/licenses/by/4.0/";
const std::string kNotEvaluated = "http://rightsstatements.org/vocab/CNE/1.0/";

PublicationSettings settings() {
    PublicationSettings settings;
    settings.base_url = kBase;
    settings.institution = "Example Library";
    settings.naan = "67375";
    return settings;
}

// Titles in two languages, two creators, a subject, a date, a type, a deposited identifier,
// an https CC licence and a provider; `pages` pages.
ObjectRecord map_record(int pages = 3) {
    ObjectRecord object;
    object.ark = kArk;
    auto& dc = object.metadata.dc;
    dc["title"] = {{"Carte de la Loire", "fr"}, {"Map of the Loire", "en"}};
    dc["creator"] = {{"Cassini, César-François", ""}, {"Delisle, Guillaume", ""}};
    dc["subject"] = {{"Cartographie", "fr"}};
    dc["date"] = {{"1750", ""}};
    dc["type"] = {{"map", "en"}};
    dc["identifier"] = {{"MS 123", ""}};
    object.metadata.license = "https://creativecommons.org/licenses/by/4.0/";
    object.metadata.provider = "Bibliothèque X";
    for (int i = 1; i <= pages; ++i)
        object.images.push_back(std::string(kArk) + "/f" + std::to_string(i));
    object.created = object.updated = object.datestamp = 1709294400;
    object.state = RecordState::active;
    return object;
}

// A record with nothing deposited but its pages.
ObjectRecord bare_record(int pages = 1) {
    ObjectRecord object;
    object.ark = kArk;
    for (int i = 1; i <= pages; ++i)
        object.images.push_back(std::string(kArk) + "/f" + std::to_string(i));
    object.created = object.updated = object.datestamp = 1709294400;
    object.state = RecordState::active;
    return object;
}

// The record in a format, as a document of its own (the element that goes in <metadata>).
std::string metadata_document(std::string_view prefix, const ObjectRecord& object,
                              const PublicationSettings& with = settings()) {
    const OaiFormat* format = find_oai_format(prefix);
    REQUIRE(format);
    XmlWriter out;
    write_oai_metadata(out, *format, with, object);
    return out.finish();
}

// The record in a whole GetRecord response, as the provider would send it.
std::string get_record_document(std::string_view prefix, const ObjectRecord& object,
                                const PublicationSettings& with = settings()) {
    const OaiFormat* format = find_oai_format(prefix);
    REQUIRE(format);
    XmlWriter out;
    out.start("OAI-PMH");
    out.attribute("xmlns", "http://www.openarchives.org/OAI/2.0/");
    out.attribute("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
    out.attribute("xsi:schemaLocation",
                  "http://www.openarchives.org/OAI/2.0/ "
                  "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd");
    out.element("responseDate", "2026-01-01T00:00:00Z");
    out.start("request");
    out.attribute("verb", "GetRecord");
    out.attribute("identifier", oai_identifier(with, object.ark));
    out.attribute("metadataPrefix", prefix);
    out.text(with.base_url + with.oai_path);
    out.end();
    out.start("GetRecord");
    out.start("record");
    out.start("header");
    out.element("identifier", oai_identifier(with, object.ark));
    out.element("datestamp", format_utc_datetime(object.datestamp));
    for (const std::string& spec : object.metadata.sets) out.element("setSpec", spec);
    out.end();
    out.start("metadata");
    write_oai_metadata(out, *format, with, object);
    out.end();
    out.end();
    out.end();
    out.end();
    return out.finish();
}

using Strings = std::vector<std::string>;

std::string view_of(int page) {
    return kService + std::to_string(page) + "/full/max/0/default.jpg";
}

ObjectMetadata typed(std::vector<std::string> types) {
    ObjectMetadata metadata;
    for (const std::string& type : types) metadata.dc["type"].push_back({type, ""});
    return metadata;
}

}  // namespace

// ---- The formats --------------------------------------------------------------------------------

TEST_CASE("OAI formats: oai_dc and edm, in that order, with their schemas and namespaces",
          "[oai_metadata]") {
    const std::vector<OaiFormat>& formats = oai_formats();
    REQUIRE(formats.size() == 2);
    CHECK(formats[0].prefix == "oai_dc");
    CHECK(formats[0].schema == "http://www.openarchives.org/OAI/2.0/oai_dc.xsd");
    CHECK(formats[0].namespace_uri == "http://www.openarchives.org/OAI/2.0/oai_dc/");
    CHECK(formats[1].prefix == "edm");
    CHECK(formats[1].schema == "http://www.europeana.eu/schemas/edm/EDM.xsd");
    CHECK(formats[1].namespace_uri == "http://www.w3.org/1999/02/22-rdf-syntax-ns#");
    CHECK(find_oai_format("oai_dc") == &formats[0]);
    CHECK(find_oai_format("edm") == &formats[1]);
    CHECK(find_oai_format("EDM") == nullptr);
    CHECK(find_oai_format("marc21") == nullptr);
    CHECK(find_oai_format("") == nullptr);
}

// ---- oai_dc -----------------------------------------------------------------------------------

TEST_CASE(
    "oai_dc: the deposited elements in DCMES order with their languages, then the "
    "platform's identifiers, source, publisher and rights",
    "[oai_metadata]") {
    const Xml dc(metadata_document("oai_dc", map_record()));
    CHECK(dc.elements("/oai_dc:dc/*") ==
          Strings{"dc:title@fr=Carte de la Loire", "dc:title@en=Map of the Loire",
                  "dc:creator=Cassini, César-François", "dc:creator=Delisle, Guillaume",
                  "dc:subject@fr=Cartographie", "dc:publisher=Bibliothèque X", "dc:date=1750",
                  "dc:type@en=map", "dc:identifier=MS 123", "dc:identifier=" + kCho,
                  "dc:identifier=" + kManifest, "dc:source=Bibliothèque X", "dc:rights=" + kCcBy});
}

TEST_CASE("oai_dc: the root declares oai_dc, dc and its schema location", "[oai_metadata]") {
    const Xml dc(metadata_document("oai_dc", map_record()));
    CHECK(dc.names("/*") == Strings{"oai_dc:dc"});
    CHECK(dc.texts("/oai_dc:dc/@xsi:schemaLocation") ==
          Strings{"http://www.openarchives.org/OAI/2.0/oai_dc/ "
                  "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"});
}

TEST_CASE("oai_dc: dc:identifier adds the ARK URL and the 3.0 manifest URL", "[oai_metadata]") {
    const Xml dc(metadata_document("oai_dc", bare_record()));
    CHECK(dc.texts("/oai_dc:dc/dc:identifier") == Strings{kCho, kManifest});
    CHECK(kCho == "https://img.example.org/ark:/67375/39D-6W3GQPXD-V");
    CHECK(kManifest == "https://img.example.org/iiif/3/ark:/67375/39D-6W3GQPXD-V/manifest");
}

TEST_CASE("oai_dc: an address the depositor already gave is not repeated", "[oai_metadata]") {
    ObjectRecord object = bare_record();
    object.metadata.dc["identifier"] = {{kCho, ""}};
    object.metadata.dc["rights"] = {{kCcBy, ""}};
    object.metadata.license = kCcBy;
    const Xml dc(metadata_document("oai_dc", object));
    CHECK(dc.texts("/oai_dc:dc/dc:identifier") == Strings{kCho, kManifest});
    CHECK(dc.texts("/oai_dc:dc/dc:rights") == Strings{kCcBy});
}

TEST_CASE("oai_dc: dc:rights is the licence in its http:// form", "[oai_metadata]") {
    ObjectRecord object = bare_record();
    object.metadata.license = "https://rightsstatements.org/vocab/InC/1.0/";
    CHECK(Xml(metadata_document("oai_dc", object)).texts("/oai_dc:dc/dc:rights") ==
          Strings{"http://rightsstatements.org/vocab/InC/1.0/"});
    object.metadata.license = "http://creativecommons.org/publicdomain/zero/1.0/";
    CHECK(Xml(metadata_document("oai_dc", object)).texts("/oai_dc:dc/dc:rights") ==
          Strings{"http://creativecommons.org/publicdomain/zero/1.0/"});
    // A deposited rights statement stays, before the licence.
    object.metadata.dc["rights"] = {{"Domaine public", "fr"}};
    CHECK(Xml(metadata_document("oai_dc", object)).elements("/oai_dc:dc/dc:rights") ==
          Strings{"dc:rights@fr=Domaine public",
                  "dc:rights=http://creativecommons.org/publicdomain/zero/1.0/"});
    object.metadata.license.clear();
    CHECK(Xml(metadata_document("oai_dc", object)).texts("/oai_dc:dc/dc:rights") ==
          Strings{"Domaine public"});
}

TEST_CASE("oai_dc: dc:source is the holding institution", "[oai_metadata]") {
    ObjectRecord object = bare_record();
    object.metadata.provider = "Archives départementales";
    CHECK(Xml(metadata_document("oai_dc", object)).texts("/oai_dc:dc/dc:source") ==
          Strings{"Archives départementales"});
    object.metadata.provider.clear();  // the settings' institution
    CHECK(Xml(metadata_document("oai_dc", object)).texts("/oai_dc:dc/dc:source") ==
          Strings{"Example Library"});
    PublicationSettings anonymous = settings();  // then the repository's identifier
    anonymous.institution.clear();
    CHECK(Xml(metadata_document("oai_dc", object, anonymous)).texts("/oai_dc:dc/dc:source") ==
          Strings{"img.example.org"});
}

TEST_CASE("oai_dc: dc:publisher is the holding institution only when none was deposited",
          "[oai_metadata]") {
    ObjectRecord object = map_record();
    CHECK(Xml(metadata_document("oai_dc", object)).texts("/oai_dc:dc/dc:publisher") ==
          Strings{"Bibliothèque X"});
    object.metadata.dc["publisher"] = {{"Imprimerie royale", "fr"}};
    CHECK(Xml(metadata_document("oai_dc", object)).elements("/oai_dc:dc/dc:publisher") ==
          Strings{"dc:publisher@fr=Imprimerie royale"});
}

TEST_CASE("oai_dc: a record with nothing deposited has only the platform's elements",
          "[oai_metadata]") {
    // No title or type is made up for oai_dc (EDM's fallbacks are EDM's).
    CHECK(Xml(metadata_document("oai_dc", bare_record())).elements("/oai_dc:dc/*") ==
          Strings{"dc:publisher=Example Library", "dc:identifier=" + kCho,
                  "dc:identifier=" + kManifest, "dc:source=Example Library"});
}

TEST_CASE("oai_dc: a GetRecord response is valid against OAI-PMH.xsd and oai_dc.xsd",
          "[oai_metadata]") {
    ObjectRecord plain = bare_record(0);
    plain.ark = "ark:/67375/39D-S2GXG1TW-8";
    ObjectRecord hostile = map_record();
    hostile.metadata.dc["description"] = {{"<b>bold</b> & \"quoted\" \x01\xff", "fr-CA"}};
    const std::vector<std::string> paths{
        oai_schema::write_document("getrecord-oai_dc.xml",
                                   get_record_document("oai_dc", map_record())),
        oai_schema::write_document("getrecord-oai_dc-plain.xml",
                                   get_record_document("oai_dc", plain)),
        oai_schema::write_document("getrecord-oai_dc-hostile.xml",
                                   get_record_document("oai_dc", hostile))};
    CHECK(oai_schema::validate(paths) == 0);
}

TEST_CASE("oai_dc: a set's description is an oai_dc:dc with its title and description",
          "[oai_metadata]") {
    XmlWriter out;
    write_oai_dc_description(out, "Cartes", "Cartes anciennes & plans");
    const Xml dc(out.finish());
    CHECK(dc.elements("/oai_dc:dc/*") ==
          Strings{"dc:title=Cartes", "dc:description=Cartes anciennes & plans"});
    XmlWriter no_title;
    write_oai_dc_description(no_title, "", "Seulement une description");
    CHECK(Xml(no_title.finish()).elements("/oai_dc:dc/*") ==
          Strings{"dc:description=Seulement une description"});
}

// ---- EDM --------------------------------------------------------------------------------------

TEST_CASE("EDM: the ProvidedCHO is the ARK URL, with the Dublin Core and the ARK as identifier",
          "[oai_metadata]") {
    const Xml edm(metadata_document("edm", map_record()));
    CHECK(edm.texts("/rdf:RDF/edm:ProvidedCHO/@rdf:about") == Strings{kCho});
    CHECK(edm.elements("/rdf:RDF/edm:ProvidedCHO/*") ==
          Strings{"dc:title@fr=Carte de la Loire", "dc:title@en=Map of the Loire",
                  "dc:creator=Cassini, César-François", "dc:creator=Delisle, Guillaume",
                  "dc:subject@fr=Cartographie", "dc:publisher=Bibliothèque X", "dc:date=1750",
                  "dc:type@en=map", "dc:identifier=ark:/67375/39D-6W3GQPXD-V",
                  "dc:identifier=MS 123", "dc:source=Bibliothèque X", "dc:rights=" + kCcBy,
                  "edm:type=IMAGE"});
}

TEST_CASE("EDM: one WebResource and one Service per page, in page order", "[oai_metadata]") {
    const Xml edm(metadata_document("edm", map_record(3)));
    CHECK(edm.names("/rdf:RDF/*") == Strings{"edm:ProvidedCHO", "edm:WebResource", "svcs:Service",
                                             "edm:WebResource", "svcs:Service", "edm:WebResource",
                                             "svcs:Service", "ore:Aggregation"});
    CHECK(edm.texts("/rdf:RDF/edm:WebResource/@rdf:about") ==
          Strings{view_of(1), view_of(2), view_of(3)});
    CHECK(edm.texts("/rdf:RDF/svcs:Service/@rdf:about") ==
          Strings{kService + "1", kService + "2", kService + "3"});
    CHECK(view_of(1) ==
          "https://img.example.org/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1/full/max/0/"
          "default.jpg");
    for (int page = 1; page <= 3; ++page) {
        INFO("page " << page);
        const std::string resource = "/rdf:RDF/edm:WebResource[" + std::to_string(page) + "]/*";
        CHECK(edm.elements(resource.c_str()) ==
              Strings{"dcterms:isReferencedBy->" + kManifest, "edm:rights->" + kCcBy,
                      "svcs:has_service->" + kService + std::to_string(page)});
        const std::string service = "/rdf:RDF/svcs:Service[" + std::to_string(page) + "]/*";
        CHECK(edm.elements(service.c_str()) ==
              Strings{"dcterms:conformsTo->http://iiif.io/api/image",
                      "doap:implements->http://iiif.io/api/image/3/level2.json"});
    }
}

TEST_CASE(
    "EDM: the aggregation links the CHO, views of pages 2 to n, the landing page, page 1 "
    "and its thumbnail",
    "[oai_metadata]") {
    const Xml edm(metadata_document("edm", map_record(3)));
    CHECK(edm.texts("/rdf:RDF/ore:Aggregation/@rdf:about") == Strings{kCho + "#aggregation"});
    CHECK(edm.elements("/rdf:RDF/ore:Aggregation/*") ==
          Strings{"edm:aggregatedCHO->" + kCho, "edm:dataProvider=Bibliothèque X",
                  "edm:hasView->" + view_of(2), "edm:hasView->" + view_of(3),
                  "edm:isShownAt->" + kLanding, "edm:isShownBy->" + view_of(1),
                  "edm:object->" + kService + "1/full/!200,200/0/default.jpg",
                  "edm:provider=Example Library", "edm:rights->" + kCcBy});
}

TEST_CASE("EDM: a one-page object has no hasView", "[oai_metadata]") {
    const Xml edm(metadata_document("edm", map_record(1)));
    CHECK(edm.texts("/rdf:RDF/ore:Aggregation/edm:hasView").empty());
    CHECK(edm.texts("/rdf:RDF/ore:Aggregation/edm:isShownBy/@rdf:resource") == Strings{view_of(1)});
    CHECK(edm.texts("/rdf:RDF/edm:WebResource/@rdf:about") == Strings{view_of(1)});
}

TEST_CASE("EDM: an object without pages is shown at its landing page only", "[oai_metadata]") {
    const Xml edm(metadata_document("edm", map_record(0)));
    CHECK(edm.texts("/rdf:RDF/edm:WebResource").empty());
    CHECK(edm.texts("/rdf:RDF/svcs:Service").empty());
    CHECK(edm.elements("/rdf:RDF/ore:Aggregation/*") ==
          Strings{"edm:aggregatedCHO->" + kCho, "edm:dataProvider=Bibliothèque X",
                  "edm:isShownAt->" + kLanding, "edm:provider=Example Library",
                  "edm:rights->" + kCcBy});
}

TEST_CASE(
    "EDM: without a licence, edm:rights is Copyright Not Evaluated, on the aggregation "
    "only",
    "[oai_metadata]") {
    ObjectRecord object = map_record(2);
    object.metadata.license.clear();
    const Xml edm(metadata_document("edm", object));
    CHECK(edm.texts("/rdf:RDF/ore:Aggregation/edm:rights/@rdf:resource") == Strings{kNotEvaluated});
    CHECK(edm.texts("/rdf:RDF/edm:WebResource/edm:rights").empty());
    CHECK(edm.texts("/rdf:RDF/edm:ProvidedCHO/dc:rights").empty());
}

TEST_CASE("EDM: dataProvider is the holding institution, provider the settings' institution",
          "[oai_metadata]") {
    ObjectRecord object = map_record(1);
    object.metadata.provider.clear();
    const Xml own(metadata_document("edm", object));
    CHECK(own.texts("/rdf:RDF/ore:Aggregation/edm:dataProvider") == Strings{"Example Library"});
    CHECK(own.texts("/rdf:RDF/ore:Aggregation/edm:provider") == Strings{"Example Library"});
    PublicationSettings anonymous = settings();
    anonymous.institution.clear();
    const Xml none(metadata_document("edm", object, anonymous));
    CHECK(none.texts("/rdf:RDF/ore:Aggregation/edm:dataProvider") == Strings{"img.example.org"});
    CHECK(none.texts("/rdf:RDF/ore:Aggregation/edm:provider") == Strings{"img.example.org"});
    object.metadata.provider = "Musée Y";
    const Xml provided(metadata_document("edm", object, anonymous));
    CHECK(provided.texts("/rdf:RDF/ore:Aggregation/edm:dataProvider") == Strings{"Musée Y"});
    CHECK(provided.texts("/rdf:RDF/ore:Aggregation/edm:provider") == Strings{"Musée Y"});
}

TEST_CASE("EDM: a record with no title and no description is titled with its ARK",
          "[oai_metadata]") {
    const Xml bare(metadata_document("edm", bare_record()));
    CHECK(bare.elements("/rdf:RDF/edm:ProvidedCHO/dc:title") ==
          Strings{"dc:title=ark:/67375/39D-6W3GQPXD-V"});
    ObjectRecord described = bare_record();
    described.metadata.dc["description"] = {{"Une carte", "fr"}};
    const Xml edm(metadata_document("edm", described));
    CHECK(edm.texts("/rdf:RDF/edm:ProvidedCHO/dc:title").empty());
    CHECK(edm.elements("/rdf:RDF/edm:ProvidedCHO/dc:description") ==
          Strings{"dc:description@fr=Une carte"});
}

TEST_CASE("EDM: a record with no subject, type or coverage gets dc:type Image in English",
          "[oai_metadata]") {
    CHECK(Xml(metadata_document("edm", bare_record())).elements("/rdf:RDF/edm:ProvidedCHO/*") ==
          Strings{"dc:title=ark:/67375/39D-6W3GQPXD-V", "dc:publisher=Example Library",
                  "dc:type@en=Image", "dc:identifier=ark:/67375/39D-6W3GQPXD-V",
                  "dc:source=Example Library", "edm:type=IMAGE"});
    for (const char* element : {"subject", "type", "coverage"}) {
        INFO(element);
        ObjectRecord object = bare_record();
        object.metadata.dc[element] = {{"Loire", ""}};
        const Xml edm(metadata_document("edm", object));
        CHECK(edm.texts("/rdf:RDF/edm:ProvidedCHO/dc:type[. = 'Image']").empty());
    }
}

TEST_CASE("EDM: edm:type is what the record's dc:type calls for, IMAGE otherwise",
          "[oai_metadata]") {
    CHECK(edm_type(typed({"Text"})) == "TEXT");
    CHECK(edm_type(typed({"texte"})) == "TEXT");
    CHECK(edm_type(typed({"Textes"})) == "TEXT");
    CHECK(edm_type(typed({"Sound"})) == "SOUND");
    CHECK(edm_type(typed({"son"})) == "SOUND");
    CHECK(edm_type(typed({"Audio"})) == "SOUND");
    CHECK(edm_type(typed({"MovingImage"})) == "VIDEO");
    CHECK(edm_type(typed({"Moving Image"})) == "VIDEO");
    CHECK(edm_type(typed({"Vidéo"})) == "VIDEO");
    CHECK(edm_type(typed({"film"})) == "VIDEO");
    CHECK(edm_type(typed({"3D"})) == "3D");
    CHECK(edm_type(typed({"3D model"})) == "3D");
    CHECK(edm_type(typed({"Modèle 3D"})) == "3D");
    CHECK(edm_type(typed({"StillImage"})) == "IMAGE");
    CHECK(edm_type(typed({})) == "IMAGE");
    CHECK(edm_type(ObjectMetadata{}) == "IMAGE");
    CHECK(edm_type(typed({"map"})) == "IMAGE");
    CHECK(edm_type(typed({"manuscrit", "estampe"})) == "IMAGE");
    // The first value that names a type decides.
    CHECK(edm_type(typed({"map", "Sound"})) == "SOUND");
    CHECK(edm_type(typed({"Image", "Text"})) == "IMAGE");
    CHECK(edm_type(typed({"Text", "Image"})) == "TEXT");
}

TEST_CASE("EDM: the record's edm:type follows its dc:type", "[oai_metadata]") {
    for (const auto& [type, expected] :
         std::vector<std::pair<std::string, std::string>>{{"Text", "TEXT"},
                                                          {"Sound", "SOUND"},
                                                          {"MovingImage", "VIDEO"},
                                                          {"3D", "3D"},
                                                          {"carte", "IMAGE"}}) {
        INFO(type);
        ObjectRecord object = map_record(1);
        object.metadata.dc["type"] = {{type, ""}};
        CHECK(Xml(metadata_document("edm", object)).texts("/rdf:RDF/edm:ProvidedCHO/edm:type") ==
              Strings{expected});
    }
}

TEST_CASE("EDM: GetRecord responses are valid against the schemas and follow Europeana's rules",
          "[oai_metadata]") {
    ObjectRecord no_licence = map_record(2);
    no_licence.metadata.license.clear();
    ObjectRecord sound = map_record(1);
    sound.metadata.dc["type"] = {{"Sound", ""}};
    ObjectRecord text = map_record(2);
    text.metadata.dc["type"] = {{"Text", ""}};
    text.metadata.dc["language"] = {{"fre", ""}};
    const std::vector<std::string> paths{
        oai_schema::write_document("getrecord-edm.xml", get_record_document("edm", map_record())),
        oai_schema::write_document("getrecord-edm-bare.xml",
                                   get_record_document("edm", bare_record())),
        oai_schema::write_document("getrecord-edm-one-page.xml",
                                   get_record_document("edm", map_record(1))),
        oai_schema::write_document("getrecord-edm-no-pages.xml",
                                   get_record_document("edm", map_record(0))),
        oai_schema::write_document("getrecord-edm-no-licence.xml",
                                   get_record_document("edm", no_licence)),
        oai_schema::write_document("getrecord-edm-sound.xml", get_record_document("edm", sound)),
        oai_schema::write_document("getrecord-edm-text.xml", get_record_document("edm", text))};
    CHECK(oai_schema::validate(paths) == 0);
    CHECK(oai_schema::check_edm(paths) == 0);
    // A bare rdf:RDF, as write_oai_metadata makes it, is valid on its own too.
    const std::string bare =
        oai_schema::write_document("edm-record.xml", metadata_document("edm", map_record()));
    CHECK(oai_schema::validate({bare}) == 0);
    CHECK(oai_schema::check_edm({bare}) == 0);
}

TEST_CASE("EDM: a text whose depositor gave no language still follows Europeana's rules",
          "[oai_metadata]") {
    // Europeana requires dc:language of every TEXT object.
    ObjectRecord text = map_record(2);
    text.metadata.dc["type"] = {{"Text", ""}};
    const std::string path = oai_schema::write_document("getrecord-edm-text-no-language.xml",
                                                        get_record_document("edm", text));
    CHECK(oai_schema::validate({path}) == 0);
    CHECK(oai_schema::check_edm({path}) == 0);
}

// ---- XML writer -------------------------------------------------------------------------------

TEST_CASE("XML text: control characters are dropped, but tab, line feed and carriage return",
          "[oai_metadata]") {
    CHECK(xml_safe_text("a\x01"
                        "b\x08"
                        "c\x0B"
                        "d\x0C"
                        "e\x1F"
                        "f\x1B"
                        "g") == "abcdefg");
    CHECK(xml_safe_text(std::string("a\0b", 3)) == "ab");
    CHECK(xml_safe_text("a\tb\nc\rd") == "a\tb\nc\rd");
    CHECK(xml_safe_text("\x7F") == "\x7F");  // DEL is an XML 1.0 character
    CHECK(xml_safe_text("") == "");
    CHECK(xml_safe_text("plain ASCII <&>\"'") == "plain ASCII <&>\"'");
}

TEST_CASE("XML text: bytes that are not UTF-8 become U+FFFD, one for each", "[oai_metadata]") {
    const std::string replacement = "\xEF\xBF\xBD";
    CHECK(xml_safe_text("\xFF") == replacement);
    CHECK(xml_safe_text("\x80") == replacement);         // a lone continuation byte
    CHECK(xml_safe_text("a\xC3") == "a" + replacement);  // cut short at the end
    CHECK(xml_safe_text("\xC3(") == replacement + "(");  // no continuation
    CHECK(xml_safe_text("\xE2\x82") == replacement + replacement);
    CHECK(xml_safe_text("\xE9t\xE9") == replacement + "t" + replacement);  // Latin-1
    CHECK(xml_safe_text("\xF8\x88\x80\x80\x80") ==
          replacement + replacement + replacement + replacement + replacement);
}

TEST_CASE("XML text: overlong forms, surrogates and non-characters become U+FFFD",
          "[oai_metadata]") {
    const std::string r = "\xEF\xBF\xBD";
    CHECK(xml_safe_text("\xC0\xAF") == r + r);  // '/' in two bytes
    CHECK(xml_safe_text("\xC1\xBF") == r + r);
    CHECK(xml_safe_text("\xE0\x80\xAF") == r + r + r);          // '/' in three bytes
    CHECK(xml_safe_text("\xE0\x9F\xBF") == r + r + r);          // U+07FF in three bytes
    CHECK(xml_safe_text("\xF0\x80\x80\xAF") == r + r + r + r);  // '/' in four bytes
    CHECK(xml_safe_text("\xF0\x8F\xBF\xBF") == r + r + r + r);  // U+FFFF in four bytes
    CHECK(xml_safe_text("\xED\xA0\x80") == r + r + r);          // U+D800
    CHECK(xml_safe_text("\xED\xBF\xBF") == r + r + r);          // U+DFFF
    CHECK(xml_safe_text("\xF4\x90\x80\x80") == r + r + r + r);  // U+110000
    // U+FFFE and U+FFFF are well-formed UTF-8 but no XML characters: one U+FFFD each.
    CHECK(xml_safe_text("\xEF\xBF\xBE") == r);
    CHECK(xml_safe_text("caf\xEF\xBF\xBF") == "caf" + r);
}

TEST_CASE("XML text: valid UTF-8 is kept as it is", "[oai_metadata]") {
    for (const char* text :
         {"é", "César-François", "\xC2\x80", "\xDF\xBF", "€", "\xE0\xA0\x80", "\xED\x9F\xBF",
          "\xEE\x80\x80", "\xEF\xBF\xBD", "\xEF\xBF\xBC", "😀", "\xF0\x90\x80\x80",
          "\xF4\x8F\xBF\xBF", "日本語のテキスト", "Ελληνικά", "עברית"}) {
        INFO(text);
        CHECK(xml_safe_text(text) == text);
    }
}

TEST_CASE("XML writer: a document starts with the XML declaration in UTF-8", "[oai_metadata]") {
    XmlWriter out;
    out.element("a", "b");
    const std::string text = out.finish();
    CHECK(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    CHECK(text.find("<a>b</a>") != std::string::npos);
}

TEST_CASE("XML writer: <, & and \" are escaped in text and attributes", "[oai_metadata]") {
    const std::string hostile = "a < b & c \"d\" > e 'f' ]]> &amp;";
    XmlWriter out;
    out.start("root");
    out.attribute("title", hostile);
    out.text(hostile);
    out.end();
    const std::string text = out.finish();
    INFO(text);
    CHECK(text.find("a &lt; b &amp; c") != std::string::npos);
    CHECK(text.find("&quot;d&quot;") != std::string::npos);
    CHECK(text.find("&amp;amp;") != std::string::npos);
    CHECK(text.find("]]&gt;") != std::string::npos);
    CHECK(text.find("a < b") == std::string::npos);
    CHECK(text.find("\"d\"") == std::string::npos);
    const Xml document(text);
    CHECK(document.texts("/root") == Strings{hostile});
    CHECK(document.texts("/root/@title") == Strings{hostile});
}

TEST_CASE("XML writer: tabs, line breaks and carriage returns survive a parse", "[oai_metadata]") {
    // In an attribute a raw tab or line break would be read back as a space, and a raw
    // carriage return is lost anywhere: they must be written as character references.
    const std::string spaced = "one\ttwo\nthree\r\nfour";
    XmlWriter out;
    out.start("root");
    out.attribute("value", spaced);
    out.text(spaced);
    out.end();
    const Xml document(out.finish());
    CHECK(document.texts("/root/@value") == Strings{spaced});
    CHECK(document.texts("/root") == Strings{spaced});
}

TEST_CASE("XML writer: text that XML cannot carry is made fit for it", "[oai_metadata]") {
    XmlWriter out;
    out.start("root");
    out.attribute("value", std::string("a\x01\0b\xFF", 5));
    out.text(
        "c\x0B"
        "d\xC0\xAF");
    out.end();
    const Xml document(out.finish());  // well-formed: the parse succeeds
    CHECK(document.texts("/root/@value") == Strings{"ab\xEF\xBF\xBD"});
    CHECK(document.texts("/root") == Strings{"cd\xEF\xBF\xBD\xEF\xBF\xBD"});
}

TEST_CASE("XML writer: namespaced names and declarations are written as given", "[oai_metadata]") {
    XmlWriter out;
    out.start("dc:title");
    out.attribute("xmlns:dc", "http://purl.org/dc/elements/1.1/");
    out.attribute("xml:lang", "fr");
    out.text("Titre");
    out.end();
    const Xml document(out.finish());
    CHECK(document.elements("/dc:title") == Strings{"dc:title@fr=Titre"});
}

TEST_CASE("XML writer: finish closes the elements still open", "[oai_metadata]") {
    XmlWriter out;
    out.start("a");
    out.start("b");
    out.text("x");
    const std::string text = out.finish();
    CHECK(text.find("<a><b>x</b></a>") != std::string::npos);
    CHECK(Xml(text).texts("/a/b") == Strings{"x"});
}
