// The OAI-PMH 2.0 provider (daemon/oai_provider.hpp) answering from a real catalog in a temporary
// directory, without HTTP: one TEST_CASE per rule of the protocol, each response parsed with
// libxml2 and read with XPath, and every kind of response checked against the official schemas
// (tests/oai_schema.hpp), EDM records against Europeana's rules too.
#include "oai_provider.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "catalog.hpp"
#include "catalog_fixtures.hpp"
#include "oai_request.hpp"
#include "oai_schema.hpp"
#include "oai_xml.hpp"
#include "presentation.hpp"

using iiif::OaiArguments;
using iiif::ObjectRecord;
using iiifd::OaiProvider;
using oai_schema::valid;
using oai_xml::Xml;

namespace {

constexpr std::int64_t kNow = 1780272000;          // 2026-06-01T00:00:00Z
constexpr std::int64_t kMay1 = 1777593600;         // 2026-05-01T00:00:00Z
constexpr std::int64_t kMarch9Last = 1773100799;   // 2026-03-09T23:59:59Z
constexpr std::int64_t kMarch10 = 1773100800;      // 2026-03-10T00:00:00Z
constexpr std::int64_t kMarch10Noon = 1773144000;  // 2026-03-10T12:00:00Z
constexpr std::int64_t kMarch10Last = 1773187199;  // 2026-03-10T23:59:59Z
constexpr std::int64_t kMarch11 = 1773187200;      // 2026-03-11T00:00:00Z
constexpr std::int64_t kLifetime = 3600;
constexpr int kPageSize = 7;

const std::string kBaseUrl = "http://127.0.0.1:8080/oai";
const std::string kOai = "oai:images.example.org:";
const std::string kKey = "0123456789abcdef0123456789abcdef-first-key";
const std::string kOtherKey = "fedcba9876543210fedcba9876543210-other-key";

// "ark:/99999/fk4-1000000n-x": the n-th object's ARK, as minted.
std::string ark(int n) {
    char text[40];
    std::snprintf(text, sizeof text, "ark:/99999/fk4-1%07d-x", n);
    return text;
}

std::string oai_id(int n) {
    return kOai + ark(n);
}

iiif::PublicationSettings settings_with(const std::string& base_url,
                                        const std::string& repository_identifier) {
    iiif::PublicationSettings settings;
    settings.base_url = base_url;
    settings.oai_repository_identifier = repository_identifier;
    settings.institution = "Bibliothèque d'essai";
    settings.naan = "99999";
    settings.shoulders = {{"fk4", "Tests", "", "", ""}};
    settings.ark_policy = "Kept for ever.";
    return settings;
}

iiif::ImageRecord page_of(const std::string& object, int index) {
    iiif::ImageRecord image;
    image.id = object + "/f" + std::to_string(index);
    image.object = object;
    image.index = index;
    image.master_path = "/srv/masters/" + std::to_string(index) + ".tif";
    image.source.format = iiif::SourceFormat::tiff;
    image.source.width = 2000;
    image.source.height = 1000;
    image.source.levels = {{1, 2000, 1000, 0, 1}};
    image.state = iiif::RecordState::active;
    return image;
}

// The n-th object: active, one page, titled "Objet n", with a licence.
ObjectRecord object(int n, std::int64_t datestamp, std::vector<std::string> sets = {},
                    int pages = 1) {
    ObjectRecord record;
    record.ark = ark(n);
    record.metadata.dc["title"] = {{"Objet " + std::to_string(n), "fr"}};
    record.metadata.dc["creator"] = {{"Atelier Nadar", ""}};
    record.metadata.sets = std::move(sets);
    record.metadata.license = "https://creativecommons.org/licenses/by/4.0/";
    for (int i = 1; i <= pages; ++i) record.images.push_back(record.ark + "/f" + std::to_string(i));
    record.created = record.updated = record.datestamp = datestamp;
    record.state = iiif::RecordState::active;
    return record;
}

// The n-th object as harvested from a partner: object(n, ...) with an origin.
ObjectRecord harvested(int n, std::int64_t datestamp, int pages = 1) {
    ObjectRecord record = object(n, datestamp, {"partners:bm-lyon"}, pages);
    iiif::ObjectOrigin origin;
    origin.partner = "bm-lyon";
    origin.base_url = "https://oai.bm-lyon.example.org/oai";
    origin.identifier = "oai:bm-lyon.example.org:ms-" + std::to_string(n);
    origin.datestamp = "2024-01-31";
    origin.metadata_namespace = "http://www.openarchives.org/OAI/2.0/oai_dc/";
    origin.harvested = kMay1;
    origin.link = "https://collections.bm-lyon.example.org/ms-" + std::to_string(n);
    record.metadata.origin = origin;
    return record;
}

// The <about> a record harvested as harvested(n, ...) carries, byte for byte.
std::string provenance_of(int n) {
    return "<about><provenance xmlns=\"http://www.openarchives.org/OAI/2.0/provenance\" "
           "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
           "xsi:schemaLocation=\"http://www.openarchives.org/OAI/2.0/provenance "
           "http://www.openarchives.org/OAI/2.0/provenance.xsd\">"
           "<originDescription harvestDate=\"2026-05-01T00:00:00Z\" altered=\"true\">"
           "<baseURL>https://oai.bm-lyon.example.org/oai</baseURL>"
           "<identifier>oai:bm-lyon.example.org:ms-" +
           std::to_string(n) +
           "</identifier><datestamp>2024-01-31</datestamp>"
           "<metadataNamespace>http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace>"
           "</originDescription></provenance></about>";
}

// The <about> elements of a response, as written.
std::vector<std::string> abouts(const std::string& body) {
    std::vector<std::string> found;
    const std::regex about("<about>.*?</about>");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), about);
         it != std::sregex_iterator(); ++it)
        found.push_back(it->str());
    return found;
}

// A catalog of its own in the scratch directory, and providers over it.
class Repository {
  public:
    explicit Repository(const std::string& name,
                        iiif::PublicationSettings settings = settings_with("http://127.0.0.1:8080",
                                                                           "images.example.org"))
        : settings_(std::move(settings)) {
        writer_ =
            catalog_fixtures::open_writer(catalog_fixtures::catalog_path("oai-provider-", name));
        writer_->set_publication(settings_);
        config.repository_name = "Images d'essai";
        config.admin_emails = {"oai@images.example.org", "curator@images.example.org"};
        config.page_size = kPageSize;
        config.token_lifetime = kLifetime;
    }

    void put(const ObjectRecord& record) {
        std::vector<iiif::ImageRecord> pages;
        for (size_t i = 0; i < record.images.size(); ++i)
            pages.push_back(page_of(record.ark, static_cast<int>(i) + 1));
        writer_->put(record, pages);
    }
    // Objects first .. first + count - 1, one a minute from `datestamp`.
    void put_series(int first, int count, std::int64_t datestamp,
                    const std::vector<std::string>& sets = {}) {
        for (int i = 0; i < count; ++i) put(object(first + i, datestamp + 60 * i, sets));
    }
    void withdraw(int n, std::int64_t when) {
        writer_->withdraw(ark(n), "withdrawn by request", when);
    }
    void define_sets(const std::vector<iiif::CatalogReader::SetInfo>& sets) {
        writer_->define_sets(sets);
    }

    OaiProvider provider(const std::string& key = kKey) const {
        return OaiProvider(writer_->reader(), settings_, config, key);
    }
    std::string respond(const OaiArguments& arguments, std::int64_t now = kNow) const {
        return provider().respond(arguments, now);
    }

    iiifd::OaiConfig config;

  private:
    iiif::PublicationSettings settings_;
    std::unique_ptr<iiif::CatalogWriter> writer_;
};

bool valid_edm(const std::string& name, const std::string& body) {
    const std::string path = oai_schema::write_document(name, body);
    return oai_schema::validate({path}) == 0 && oai_schema::check_edm({path}) == 0;
}

// What a repeated request may change: the response date, the next token's expiry and text.
std::string without_clock(const std::string& body) {
    std::string out = std::regex_replace(body, std::regex("<responseDate>[^<]*</responseDate>"),
                                         "<responseDate/>");
    out = std::regex_replace(out, std::regex(" expirationDate=\"[^\"]*\""), "");
    return std::regex_replace(out, std::regex("(<resumptionToken[^>]*>)[^<]*<"), "$1<");
}

std::vector<std::string> oai_ids(int first, int count) {
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) ids.push_back(oai_id(first + i));
    return ids;
}

const std::string kToken = "/o:OAI-PMH/*/o:resumptionToken";

}  // namespace

// ---- Identify ---------------------------------------------------------------------------------

TEST_CASE(
    "oai provider: Identify describes the repository, its earliest datestamp and its "
    "oai-identifier scheme",
    "[oai_provider]") {
    Repository repository("identify");
    repository.put(object(1, kMay1 + 60));
    repository.put(object(2, kMay1));
    const std::string body = repository.respond({{"verb", "Identify"}});
    Xml xml(body);
    CHECK(xml.text("/o:OAI-PMH/o:responseDate") == "2026-06-01T00:00:00Z");
    CHECK(xml.request() == std::vector<std::string>{"verb=Identify"});
    CHECK(xml.text("/o:OAI-PMH/o:request") == kBaseUrl);
    const std::string identify = "/o:OAI-PMH/o:Identify/";
    CHECK(xml.text(identify + "o:repositoryName") == "Images d'essai");
    CHECK(xml.text(identify + "o:baseURL") == kBaseUrl);
    CHECK(xml.text(identify + "o:protocolVersion") == "2.0");
    CHECK(xml.texts(identify + "o:adminEmail") ==
          std::vector<std::string>{"oai@images.example.org", "curator@images.example.org"});
    CHECK(xml.text(identify + "o:earliestDatestamp") == "2026-05-01T00:00:00Z");
    CHECK(xml.text(identify + "o:deletedRecord") == "persistent");
    CHECK(xml.text(identify + "o:granularity") == "YYYY-MM-DDThh:mm:ssZ");
    CHECK(xml.texts(identify + "o:compression") == std::vector<std::string>{"gzip"});
    const std::string scheme = identify + "o:description/id:oai-identifier/";
    CHECK(xml.text(scheme + "id:scheme") == "oai");
    CHECK(xml.text(scheme + "id:repositoryIdentifier") == "images.example.org");
    CHECK(xml.text(scheme + "id:delimiter") == ":");
    CHECK(xml.text(scheme + "id:sampleIdentifier") ==
          "oai:images.example.org:ark:/99999/fk4-12345678-X");
    CHECK(valid("identify.xml", body));
}

TEST_CASE(
    "oai provider: without a domain name for the repository, Identify has no oai-identifier "
    "description and still validates",
    "[oai_provider]") {
    Repository repository("identify-ip", settings_with("http://127.0.0.1:8080", ""));
    repository.put(object(1, kMay1));
    const std::string body = repository.respond({{"verb", "Identify"}});
    Xml xml(body);
    CHECK(xml.errors().empty());
    CHECK(xml.count("/o:OAI-PMH/o:Identify/o:description") == 0);
    CHECK(xml.text("/o:OAI-PMH/o:Identify/o:baseURL") == kBaseUrl);
    // Identifiers then name the host of the base URL.
    Xml record(repository.respond({{"verb", "GetRecord"},
                                   {"identifier", "oai:127.0.0.1:" + ark(1)},
                                   {"metadataPrefix", "oai_dc"}}));
    CHECK(record.identifiers() == std::vector<std::string>{"oai:127.0.0.1:" + ark(1)});
    CHECK(valid("identify-ip.xml", body));
}

TEST_CASE(
    "oai provider: Identify of an empty repository gives the response date as its earliest "
    "datestamp",
    "[oai_provider]") {
    Repository repository("identify-empty");
    const std::string body = repository.respond({{"verb", "Identify"}});
    CHECK(Xml(body).text("/o:OAI-PMH/o:Identify/o:earliestDatestamp") == "2026-06-01T00:00:00Z");
    CHECK(valid("identify-empty.xml", body));
}

// ---- ListMetadataFormats ----------------------------------------------------------------------

TEST_CASE(
    "oai provider: ListMetadataFormats lists oai_dc and edm, for the repository and for an "
    "item",
    "[oai_provider]") {
    Repository repository("formats");
    repository.put(object(1, kMay1));
    const std::vector<std::string> prefixes{"oai_dc", "edm"};
    const std::vector<std::string> schemas{"http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
                                           "http://www.europeana.eu/schemas/edm/EDM.xsd"};
    const std::vector<std::string> namespaces{"http://www.openarchives.org/OAI/2.0/oai_dc/",
                                              "http://www.w3.org/1999/02/22-rdf-syntax-ns#"};
    const std::string format = "/o:OAI-PMH/o:ListMetadataFormats/o:metadataFormat/";

    const std::string all = repository.respond({{"verb", "ListMetadataFormats"}});
    Xml xml(all);
    CHECK(xml.request() == std::vector<std::string>{"verb=ListMetadataFormats"});
    CHECK(xml.texts(format + "o:metadataPrefix") == prefixes);
    CHECK(xml.texts(format + "o:schema") == schemas);
    CHECK(xml.texts(format + "o:metadataNamespace") == namespaces);
    CHECK(valid("listmetadataformats.xml", all));

    const std::string item =
        repository.respond({{"verb", "ListMetadataFormats"}, {"identifier", oai_id(1)}});
    Xml for_item(item);
    CHECK(for_item.request() ==
          std::vector<std::string>{"verb=ListMetadataFormats", "identifier=" + oai_id(1)});
    CHECK(for_item.texts(format + "o:metadataPrefix") == prefixes);
    CHECK(valid("listmetadataformats-item.xml", item));
}

TEST_CASE("oai provider: ListMetadataFormats for a withdrawn item is noMetadataFormats",
          "[oai_provider]") {
    Repository repository("formats-withdrawn");
    repository.put(object(1, kMay1));
    repository.withdraw(1, kMay1 + 3600);
    const std::string body =
        repository.respond({{"verb", "ListMetadataFormats"}, {"identifier", oai_id(1)}});
    Xml xml(body);
    CHECK(xml.errors() == std::vector<std::string>{"noMetadataFormats"});
    CHECK(xml.request() ==
          std::vector<std::string>{"verb=ListMetadataFormats", "identifier=" + oai_id(1)});
    CHECK(xml.count("/o:OAI-PMH/o:ListMetadataFormats") == 0);
    CHECK(valid("error-nometadataformats.xml", body));
}

TEST_CASE("oai provider: ListMetadataFormats for an unknown item is idDoesNotExist",
          "[oai_provider]") {
    Repository repository("formats-unknown");
    repository.put(object(1, kMay1));
    const std::string body =
        repository.respond({{"verb", "ListMetadataFormats"}, {"identifier", oai_id(2)}});
    Xml xml(body);
    CHECK(xml.errors() == std::vector<std::string>{"idDoesNotExist"});
    CHECK(xml.request() ==
          std::vector<std::string>{"verb=ListMetadataFormats", "identifier=" + oai_id(2)});
    CHECK(valid("error-iddoesnotexist-formats.xml", body));
}

// ---- GetRecord --------------------------------------------------------------------------------

TEST_CASE(
    "oai provider: GetRecord in oai_dc gives the header and the Dublin Core with the ARK, the "
    "manifest, the licence and the institution",
    "[oai_provider]") {
    Repository repository("getrecord-dc");
    repository.put(object(1, kMay1 + 90, {"fonds:letters"}));
    const std::string body = repository.respond(
        {{"verb", "GetRecord"}, {"identifier", oai_id(1)}, {"metadataPrefix", "oai_dc"}});
    Xml xml(body);
    CHECK(xml.errors().empty());
    CHECK(xml.request() == std::vector<std::string>{"verb=GetRecord", "identifier=" + oai_id(1),
                                                    "metadataPrefix=oai_dc"});
    const std::string record = "/o:OAI-PMH/o:GetRecord/o:record/";
    CHECK(xml.count(record + "o:header/@status") == 0);
    CHECK(xml.text(record + "o:header/o:identifier") == oai_id(1));
    CHECK(xml.text(record + "o:header/o:datestamp") == "2026-05-01T00:01:30Z");
    CHECK(xml.texts(record + "o:header/o:setSpec") ==
          std::vector<std::string>{"fonds", "fonds:letters"});
    const std::string dc = record + "o:metadata/oai_dc:dc/";
    CHECK(xml.texts(dc + "dc:title") == std::vector<std::string>{"Objet 1"});
    CHECK(xml.text(dc + "dc:title/@xml:lang") == "fr");
    CHECK(xml.texts(dc + "dc:creator") == std::vector<std::string>{"Atelier Nadar"});
    CHECK(xml.texts(dc + "dc:identifier") ==
          std::vector<std::string>{"http://127.0.0.1:8080/" + ark(1),
                                   "http://127.0.0.1:8080/iiif/3/" + ark(1) + "/manifest"});
    CHECK(xml.texts(dc + "dc:rights") ==
          std::vector<std::string>{"http://creativecommons.org/licenses/by/4.0/"});
    CHECK(xml.texts(dc + "dc:publisher") == std::vector<std::string>{"Bibliothèque d'essai"});
    CHECK(xml.texts(dc + "dc:source") == std::vector<std::string>{"Bibliothèque d'essai"});
    CHECK(valid("getrecord-oai_dc.xml", body));
}

TEST_CASE(
    "oai provider: GetRecord in edm gives a ProvidedCHO, a WebResource and a Service per "
    "page and an Aggregation, valid and following Europeana's rules",
    "[oai_provider]") {
    Repository repository("getrecord-edm");
    repository.put(object(1, kMay1, {"maps"}, 2));
    const std::string body = repository.respond(
        {{"verb", "GetRecord"}, {"identifier", oai_id(1)}, {"metadataPrefix", "edm"}});
    Xml xml(body);
    CHECK(xml.errors().empty());
    CHECK(xml.text("//o:header/o:identifier") == oai_id(1));
    const std::string rdf = "/o:OAI-PMH/o:GetRecord/o:record/o:metadata/rdf:RDF/";
    CHECK(xml.text(rdf + "edm:ProvidedCHO/@rdf:about") == "http://127.0.0.1:8080/" + ark(1));
    CHECK(xml.texts(rdf + "edm:ProvidedCHO/dc:title") == std::vector<std::string>{"Objet 1"});
    CHECK(xml.text(rdf + "edm:ProvidedCHO/edm:type") == "IMAGE");
    CHECK(xml.count(rdf + "edm:WebResource") == 2);
    CHECK(xml.count(rdf + "svcs:Service") == 2);
    CHECK(xml.text(rdf + "ore:Aggregation/edm:aggregatedCHO/@rdf:resource") ==
          "http://127.0.0.1:8080/" + ark(1));
    CHECK(xml.text(rdf + "ore:Aggregation/edm:rights/@rdf:resource") ==
          "http://creativecommons.org/licenses/by/4.0/");
    CHECK(xml.text(rdf + "ore:Aggregation/edm:dataProvider") == "Bibliothèque d'essai");
    CHECK(valid_edm("getrecord-edm.xml", body));
}

TEST_CASE(
    "oai provider: a withdrawn item is a header with status deleted, its withdrawal's "
    "datestamp, its sets, and no metadata",
    "[oai_provider]") {
    Repository repository("getrecord-deleted");
    repository.put(object(1, kMay1, {"fonds:letters"}));
    repository.withdraw(1, kMay1 + 3600);
    for (const std::string prefix : {"oai_dc", "edm"}) {
        const std::string body = repository.respond(
            {{"verb", "GetRecord"}, {"identifier", oai_id(1)}, {"metadataPrefix", prefix}});
        Xml xml(body);
        INFO(prefix);
        const std::string record = "/o:OAI-PMH/o:GetRecord/o:record/";
        CHECK(xml.errors().empty());
        CHECK(xml.text(record + "o:header/@status") == "deleted");
        CHECK(xml.text(record + "o:header/o:identifier") == oai_id(1));
        CHECK(xml.text(record + "o:header/o:datestamp") == "2026-05-01T01:00:00Z");
        CHECK(xml.texts(record + "o:header/o:setSpec") ==
              std::vector<std::string>{"fonds", "fonds:letters"});
        CHECK(xml.count(record + "o:metadata") == 0);
        CHECK(valid("getrecord-deleted-" + prefix + ".xml", body));
    }
}

TEST_CASE(
    "oai provider: withdrawn items stay in lists as deleted headers at their withdrawal's "
    "datestamp",
    "[oai_provider]") {
    Repository repository("list-deleted");
    repository.put_series(1, 3, kMay1);
    repository.withdraw(1, kMay1 + 3600);
    for (const std::string verb : {"ListRecords", "ListIdentifiers"}) {
        const std::string body = repository.respond({{"verb", verb}, {"metadataPrefix", "oai_dc"}});
        Xml xml(body);
        INFO(verb);
        CHECK(xml.identifiers() == std::vector<std::string>{oai_id(2), oai_id(3), oai_id(1)});
        CHECK(xml.texts("//o:header/o:datestamp") ==
              std::vector<std::string>{"2026-05-01T00:01:00Z", "2026-05-01T00:02:00Z",
                                       "2026-05-01T01:00:00Z"});
        CHECK(xml.texts("//o:header/@status") == std::vector<std::string>{"deleted"});
        CHECK(xml.count("//o:header[@status]/../o:metadata") == 0);
        CHECK(valid("list-deleted-" + std::string(verb) + ".xml", body));
    }
    Xml records(repository.respond({{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}}));
    CHECK(records.count("//o:record/o:metadata") == 2);
}

TEST_CASE("oai provider: GetRecord finds an item by any form of its ARK and names it as minted",
          "[oai_provider]") {
    Repository repository("getrecord-forms");
    repository.put(object(7, kMay1));
    for (const std::string& identifier :
         {kOai + "ARK:/99999/fk410000007x", kOai + "ark:99999/fk4-10000007-x",
          kOai + "ark:/99999/fk4-1000-0007-x"}) {
        INFO(identifier);
        Xml xml(repository.respond(
            {{"verb", "GetRecord"}, {"identifier", identifier}, {"metadataPrefix", "oai_dc"}}));
        CHECK(xml.errors().empty());
        CHECK(xml.request() == std::vector<std::string>{"verb=GetRecord",
                                                        "identifier=" + identifier,
                                                        "metadataPrefix=oai_dc"});
        CHECK(xml.identifiers() == std::vector<std::string>{oai_id(7)});
    }
}

TEST_CASE(
    "oai provider: GetRecord of a page, of the ARK with a separator after it, of another "
    "repository's identifier or of no oai identifier is idDoesNotExist",
    "[oai_provider]") {
    Repository repository("getrecord-unknown");
    repository.put(object(7, kMay1));
    for (const std::string& identifier :
         {oai_id(7) + "/f1", oai_id(7) + "/", oai_id(7) + ".", "oai:other.example.org:" + ark(7),
          ark(7), oai_id(8), std::string("oai:images.example.org:")}) {
        INFO(identifier);
        const std::string body = repository.respond(
            {{"verb", "GetRecord"}, {"identifier", identifier}, {"metadataPrefix", "oai_dc"}});
        Xml xml(body);
        CHECK(xml.errors() == std::vector<std::string>{"idDoesNotExist"});
        CHECK(xml.request() == std::vector<std::string>{"verb=GetRecord",
                                                        "identifier=" + identifier,
                                                        "metadataPrefix=oai_dc"});
        CHECK(xml.count("/o:OAI-PMH/o:GetRecord") == 0);
    }
    CHECK(valid("error-iddoesnotexist.xml", repository.respond({{"verb", "GetRecord"},
                                                                {"identifier", oai_id(7) + "/f1"},
                                                                {"metadataPrefix", "oai_dc"}})));
}

TEST_CASE("oai provider: GetRecord of an unknown item in an unknown format gives both errors",
          "[oai_provider]") {
    Repository repository("getrecord-two-errors");
    repository.put(object(1, kMay1));
    const std::string body = repository.respond(
        {{"verb", "GetRecord"}, {"identifier", oai_id(2)}, {"metadataPrefix", "marc21"}});
    Xml xml(body);
    CHECK(xml.errors() == std::vector<std::string>{"idDoesNotExist", "cannotDisseminateFormat"});
    CHECK(xml.request() == std::vector<std::string>{"verb=GetRecord", "identifier=" + oai_id(2),
                                                    "metadataPrefix=marc21"});
    CHECK(valid("error-two.xml", body));

    const std::string format = repository.respond(
        {{"verb", "GetRecord"}, {"identifier", oai_id(1)}, {"metadataPrefix", "marc21"}});
    CHECK(Xml(format).errors() == std::vector<std::string>{"cannotDisseminateFormat"});
    CHECK(valid("error-cannotdisseminateformat-getrecord.xml", format));
}

TEST_CASE("oai provider: text XML cannot carry is dropped or replaced and the record validates",
          "[oai_provider]") {
    Repository repository("getrecord-escaping");
    ObjectRecord record = object(1, kMay1);
    // U+0001 is no XML character: it is dropped.
    record.metadata.dc["title"] = {{"<b>Fish & \"chips\"</b>\x01!", "en"}};
    repository.put(record);
    const std::string body = repository.respond(
        {{"verb", "GetRecord"}, {"identifier", oai_id(1)}, {"metadataPrefix", "oai_dc"}});
    CHECK(Xml(body).texts("//dc:title") == std::vector<std::string>{"<b>Fish & \"chips\"</b>!"});
    CHECK(valid("getrecord-escaping.xml", body));
}

TEST_CASE("oai provider: a character XML cannot carry becomes one U+FFFD", "[oai_provider]") {
    Repository repository("getrecord-noncharacter");
    ObjectRecord record = object(1, kMay1);
    // U+FFFF is well-formed UTF-8 (EF BF BF) but no XML character.
    record.metadata.dc["title"] = {{"caf\xEF\xBF\xBF", "en"}};
    repository.put(record);
    const std::string body = repository.respond(
        {{"verb", "GetRecord"}, {"identifier", oai_id(1)}, {"metadataPrefix", "oai_dc"}});
    CHECK(Xml(body).texts("//dc:title") == std::vector<std::string>{"caf\xEF\xBF\xBD"});
    CHECK(valid("getrecord-noncharacter.xml", body));
}

// ---- Errors of the request itself -------------------------------------------------------------

TEST_CASE(
    "oai provider: a missing, repeated or unknown verb is badVerb, with the base URL alone "
    "in request",
    "[oai_provider]") {
    Repository repository("badverb");
    const std::vector<OaiArguments> requests{{},
                                             {{"metadataPrefix", "oai_dc"}},
                                             {{"verb", "Identify"}, {"verb", "Identify"}},
                                             {{"verb", "ListAllRecords"}},
                                             {{"verb", "identify"}}};
    int n = 0;
    for (const OaiArguments& arguments : requests) {
        INFO("request " << n);
        const std::string body = repository.respond(arguments);
        Xml xml(body);
        CHECK(xml.errors() == std::vector<std::string>{"badVerb"});
        CHECK(xml.request().empty());
        CHECK(xml.text("/o:OAI-PMH/o:request") == kBaseUrl);
        CHECK(valid("error-badverb-" + std::to_string(n++) + ".xml", body));
    }
}

TEST_CASE(
    "oai provider: a missing, unknown, repeated, empty or malformed argument is badArgument, "
    "with the base URL alone in request",
    "[oai_provider]") {
    Repository repository("badargument");
    repository.put(object(1, kMay1));
    const std::vector<OaiArguments> requests{
        {{"verb", "GetRecord"}, {"identifier", oai_id(1)}},
        {{"verb", "Identify"}, {"identifier", oai_id(1)}},
        {{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"metadataPrefix", "edm"}},
        {{"verb", "ListRecords"}, {"metadataPrefix", ""}},
        {{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"from", "2026-02-30"}},
        {{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"until", "2026-05-01T10:00:00"}},
        {{"verb", "ListRecords"},
         {"metadataPrefix", "oai_dc"},
         {"from", "2026-05-01"},
         {"until", "2026-05-02T00:00:00Z"}},
        {{"verb", "ListRecords"},
         {"metadataPrefix", "oai_dc"},
         {"from", "2026-05-02"},
         {"until", "2026-05-01"}},
        {{"verb", "ListRecords"}, {"resumptionToken", "abc"}, {"metadataPrefix", "oai_dc"}},
        {{"verb", "ListSets"}, {"set", "fonds"}}};
    int n = 0;
    for (const OaiArguments& arguments : requests) {
        INFO("request " << n);
        const std::string body = repository.respond(arguments);
        Xml xml(body);
        CHECK(xml.errors() == std::vector<std::string>{"badArgument"});
        CHECK(xml.request().empty());
        CHECK(xml.text("/o:OAI-PMH/o:request") == kBaseUrl);
        CHECK(valid("error-badargument-" + std::to_string(n++) + ".xml", body));
    }
}

TEST_CASE(
    "oai provider: a set argument that is no set spec is badArgument, with the base URL alone "
    "in request",
    "[oai_provider]") {
    Repository repository("badargument-set");
    repository.put(object(1, kMay1, {"fonds"}));
    const std::string body = repository.respond(
        {{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"set", "fonds letters"}});
    Xml xml(body);
    CHECK(xml.errors() == std::vector<std::string>{"badArgument"});
    CHECK(xml.request().empty());
    CHECK(valid("error-badargument-set.xml", body));
}

TEST_CASE(
    "oai provider: a metadataPrefix of illegal syntax is badArgument, with the base URL alone "
    "in request",
    "[oai_provider]") {
    Repository repository("badargument-prefix");
    repository.put(object(1, kMay1));
    const std::string body =
        repository.respond({{"verb", "ListRecords"}, {"metadataPrefix", "oai dc"}});
    Xml xml(body);
    CHECK(xml.errors() == std::vector<std::string>{"badArgument"});
    CHECK(xml.request().empty());
    CHECK(valid("error-badargument-prefix.xml", body));
}

TEST_CASE(
    "oai provider: an identifier that is no URI is badArgument, with the base URL alone in "
    "request",
    "[oai_provider]") {
    Repository repository("badargument-identifier");
    repository.put(object(1, kMay1));
    int n = 0;
    for (const std::string identifier : {"%%%", "oai:images.example.org:a#b#c"}) {
        for (const OaiArguments& arguments :
             {OaiArguments{
                  {"verb", "GetRecord"}, {"identifier", identifier}, {"metadataPrefix", "oai_dc"}},
              OaiArguments{{"verb", "ListMetadataFormats"}, {"identifier", identifier}}}) {
            INFO(arguments.front().second << " " << identifier);
            const std::string body = repository.respond(arguments);
            Xml xml(body);
            CHECK(xml.errors() == std::vector<std::string>{"badArgument"});
            CHECK(xml.request().empty());
            CHECK(valid("error-badargument-identifier" + std::to_string(n++) + ".xml", body));
        }
    }
}

// ---- Lists ------------------------------------------------------------------------------------

TEST_CASE(
    "oai provider: ListRecords of 50 records in pages of 7 gives each record once, with "
    "completeListSize, cursor and expirationDate exact on every page",
    "[oai_provider]") {
    Repository repository("walk-records");
    repository.put_series(1, 50, kMay1);
    for (const std::string prefix : {"oai_dc", "edm"}) {
        INFO(prefix);
        std::vector<std::string> harvested;
        std::string token;
        for (int page = 0;; ++page) {
            INFO("page " << page);
            REQUIRE(page < 8);
            const std::int64_t now = kNow + page;  // each page a second later
            const OaiArguments arguments =
                token.empty() ? OaiArguments{{"verb", "ListRecords"}, {"metadataPrefix", prefix}}
                              : OaiArguments{{"verb", "ListRecords"}, {"resumptionToken", token}};
            const std::string body = repository.respond(arguments, now);
            Xml xml(body);
            REQUIRE(xml.errors().empty());
            const std::vector<std::string> ids = xml.identifiers();
            harvested.insert(harvested.end(), ids.begin(), ids.end());
            CHECK(xml.count("//o:record/o:metadata") == static_cast<int>(ids.size()));
            CHECK(xml.count(kToken) == 1);
            CHECK(xml.text(kToken + "/@completeListSize") == "50");
            CHECK(xml.text(kToken + "/@cursor") == std::to_string(7 * page));
            token = xml.text(kToken);
            const bool last = page == 7;
            CHECK(ids.size() == (last ? 1u : 7u));
            if (last) {
                CHECK(token.empty());
                CHECK(xml.count(kToken + "/@expirationDate") == 0);
            } else {
                CHECK_FALSE(token.empty());
                CHECK(xml.text(kToken + "/@expirationDate") ==
                      "2026-06-01T01:00:0" + std::to_string(page) + "Z");
            }
            if (page == 0 || page == 3 || last) {
                const std::string name =
                    "listrecords-" + prefix + "-page" + std::to_string(page) + ".xml";
                CHECK((prefix == "edm" ? valid_edm(name, body) : valid(name, body)));
            }
            if (last) break;
        }
        CHECK(harvested == oai_ids(1, 50));
    }
}

TEST_CASE("oai provider: ListIdentifiers gives headers only, five times page_size a page",
          "[oai_provider]") {
    Repository repository("walk-identifiers");
    repository.put_series(1, 50, kMay1, {"fonds"});
    const std::string first =
        repository.respond({{"verb", "ListIdentifiers"}, {"metadataPrefix", "edm"}});
    Xml one(first);
    CHECK(one.request() == std::vector<std::string>{"verb=ListIdentifiers", "metadataPrefix=edm"});
    CHECK(one.identifiers() == oai_ids(1, 35));
    CHECK(one.texts("/o:OAI-PMH/o:ListIdentifiers/o:header[1]/o:datestamp") ==
          std::vector<std::string>{"2026-05-01T00:00:00Z"});
    CHECK(one.texts("/o:OAI-PMH/o:ListIdentifiers/o:header[1]/o:setSpec") ==
          std::vector<std::string>{"fonds"});
    CHECK(one.count("//o:metadata") == 0);
    CHECK(one.count("//o:record") == 0);
    CHECK(one.text(kToken + "/@completeListSize") == "50");
    CHECK(one.text(kToken + "/@cursor") == "0");
    CHECK(one.text(kToken + "/@expirationDate") == "2026-06-01T01:00:00Z");
    CHECK(valid("listidentifiers-page0.xml", first));

    const std::string token = one.text(kToken);
    const std::string second =
        repository.respond({{"verb", "ListIdentifiers"}, {"resumptionToken", token}}, kNow + 1);
    Xml two(second);
    CHECK(two.request() ==
          std::vector<std::string>{"verb=ListIdentifiers", "resumptionToken=" + token});
    CHECK(two.identifiers() == oai_ids(36, 15));
    CHECK(two.text(kToken) == "");
    CHECK(two.text(kToken + "/@completeListSize") == "50");
    CHECK(two.text(kToken + "/@cursor") == "35");
    CHECK(valid("listidentifiers-page1.xml", second));
}

TEST_CASE("oai provider: a list that fits in one page has no resumptionToken", "[oai_provider]") {
    Repository repository("one-page");
    repository.put_series(1, kPageSize, kMay1);
    for (const std::string verb : {"ListRecords", "ListIdentifiers"}) {
        INFO(verb);
        const std::string body = repository.respond({{"verb", verb}, {"metadataPrefix", "oai_dc"}});
        Xml xml(body);
        CHECK(xml.identifiers() == oai_ids(1, kPageSize));
        CHECK(xml.count("//o:resumptionToken") == 0);
        CHECK(valid("one-page-" + std::string(verb) + ".xml", body));
    }
}

TEST_CASE("oai provider: the same token asked again gives the same page", "[oai_provider]") {
    Repository repository("same-token");
    repository.put_series(1, 20, kMay1);
    Xml first(repository.respond({{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}}));
    const std::string token = first.text(kToken);
    REQUIRE_FALSE(token.empty());

    const OaiArguments again{{"verb", "ListRecords"}, {"resumptionToken", token}};
    const std::string once = repository.respond(again, kNow + 10);
    const std::string twice = repository.respond(again, kNow + 20);
    // Only the clock moves: the response date, and with it the next token's expiry.
    CHECK(without_clock(once) == without_clock(twice));
    CHECK(once != twice);
    Xml a(once), b(twice);
    CHECK(a.identifiers() == oai_ids(8, 7));
    CHECK(a.text(kToken + "/@expirationDate") == "2026-06-01T01:00:10Z");
    CHECK(b.text(kToken + "/@expirationDate") == "2026-06-01T01:00:20Z");
    // Either next token leads to the same last page.
    const std::string from_a = repository.respond(
        {{"verb", "ListRecords"}, {"resumptionToken", a.text(kToken)}}, kNow + 30);
    const std::string from_b = repository.respond(
        {{"verb", "ListRecords"}, {"resumptionToken", b.text(kToken)}}, kNow + 30);
    CHECK(from_a.substr(from_a.find("<ListRecords>")) ==
          from_b.substr(from_b.find("<ListRecords>")));
    CHECK(Xml(from_a).identifiers() == oai_ids(15, 6));
    // In the same second, byte for byte.
    CHECK(repository.respond(again, kNow + 10) == once);
}

TEST_CASE(
    "oai provider: a token is good for a provider made again with the same key, and bad "
    "with another key",
    "[oai_provider]") {
    Repository repository("restart");
    repository.put_series(1, 20, kMay1);
    std::string page2;
    std::string token;
    {
        const OaiProvider before = repository.provider(kKey);
        token = Xml(before.respond({{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}}, kNow))
                    .text(kToken);
        REQUIRE_FALSE(token.empty());
        page2 = before.respond({{"verb", "ListRecords"}, {"resumptionToken", token}}, kNow + 5);
    }
    const OaiProvider after = repository.provider(kKey);
    CHECK(after.respond({{"verb", "ListRecords"}, {"resumptionToken", token}}, kNow + 5) == page2);

    const OaiProvider other = repository.provider(kOtherKey);
    const std::string refused =
        other.respond({{"verb", "ListRecords"}, {"resumptionToken", token}}, kNow + 5);
    Xml xml(refused);
    CHECK(xml.errors() == std::vector<std::string>{"badResumptionToken"});
    CHECK(xml.request() ==
          std::vector<std::string>{"verb=ListRecords", "resumptionToken=" + token});
    CHECK(valid("error-badresumptiontoken-key.xml", refused));
}

TEST_CASE("oai provider: a token is good until its expirationDate and badResumptionToken after",
          "[oai_provider]") {
    Repository repository("expiry");
    repository.put_series(1, 10, kMay1);
    Xml first(repository.respond({{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}}, kNow));
    CHECK(first.text(kToken + "/@expirationDate") == "2026-06-01T01:00:00Z");
    const OaiArguments next{{"verb", "ListRecords"}, {"resumptionToken", first.text(kToken)}};

    Xml in_time(repository.respond(next, kNow + kLifetime));
    CHECK(in_time.errors().empty());
    CHECK(in_time.identifiers() == oai_ids(8, 3));

    const std::string late = repository.respond(next, kNow + kLifetime + 1);
    Xml expired(late);
    CHECK(expired.errors() == std::vector<std::string>{"badResumptionToken"});
    CHECK(expired.count("//o:header") == 0);
    CHECK(valid("error-badresumptiontoken-expired.xml", late));
}

TEST_CASE("oai provider: a token continues only the verb that issued it", "[oai_provider]") {
    Repository repository("token-verb");
    repository.put_series(1, 40, kMay1, {"fonds"});
    repository.define_sets({{"a1", "", ""},
                            {"a2", "", ""},
                            {"a3", "", ""},
                            {"a4", "", ""},
                            {"a5", "", ""},
                            {"a6", "", ""}});
    repository.config.page_size = 1;  // ListSets: 5 sets a page
    const std::string records =
        Xml(repository.respond({{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}}))
            .text(kToken);
    const std::string identifiers =
        Xml(repository.respond({{"verb", "ListIdentifiers"}, {"metadataPrefix", "oai_dc"}}))
            .text(kToken);
    const std::string sets = Xml(repository.respond({{"verb", "ListSets"}})).text(kToken);
    REQUIRE_FALSE(records.empty());
    REQUIRE_FALSE(identifiers.empty());
    REQUIRE_FALSE(sets.empty());
    const std::vector<std::pair<std::string, std::string>> misuses{{"ListIdentifiers", records},
                                                                   {"ListSets", records},
                                                                   {"ListRecords", identifiers},
                                                                   {"ListRecords", sets}};
    int n = 0;
    for (const auto& [verb, token] : misuses) {
        INFO(verb << " " << n);
        const std::string body = repository.respond({{"verb", verb}, {"resumptionToken", token}});
        Xml xml(body);
        CHECK(xml.errors() == std::vector<std::string>{"badResumptionToken"});
        CHECK(xml.request() ==
              std::vector<std::string>{"verb=" + verb, "resumptionToken=" + token});
        CHECK(valid("error-badresumptiontoken-verb" + std::to_string(n++) + ".xml", body));
    }
}

TEST_CASE("oai provider: an altered, cut or made-up token is badResumptionToken",
          "[oai_provider]") {
    Repository repository("token-altered");
    repository.put_series(1, 10, kMay1);
    const std::string token =
        Xml(repository.respond({{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}}))
            .text(kToken);
    REQUIRE(token.size() > 40);
    std::string altered = token;
    altered[20] = altered[20] == 'A' ? 'B' : 'A';
    for (const std::string& bad : {altered, token.substr(0, token.size() - 4), token + "AAAA",
                                   std::string("abc"), std::string("not a token!")}) {
        INFO(bad);
        const std::string body =
            repository.respond({{"verb", "ListRecords"}, {"resumptionToken", bad}});
        Xml xml(body);
        CHECK(xml.errors() == std::vector<std::string>{"badResumptionToken"});
        CHECK(xml.request() ==
              std::vector<std::string>{"verb=ListRecords", "resumptionToken=" + bad});
        CHECK(valid("error-badresumptiontoken.xml", body));
    }
}

TEST_CASE(
    "oai provider: from and until select datestamps to the second and to the day, both "
    "bounds included",
    "[oai_provider]") {
    Repository repository("from-until");
    repository.put(object(1, kMarch9Last));
    repository.put(object(2, kMarch10));
    repository.put(object(3, kMarch10Noon));
    repository.put(object(4, kMarch10Last));
    repository.put(object(5, kMarch11));
    struct Case {
        std::string from, until;
        std::vector<int> expected;
    };
    const std::vector<Case> cases{{"2026-03-10", "2026-03-10", {2, 3, 4}},
                                  {"2026-03-10T00:00:00Z", "2026-03-10T12:00:00Z", {2, 3}},
                                  {"2026-03-10T00:00:01Z", "", {3, 4, 5}},
                                  {"", "2026-03-09", {1}},
                                  {"", "2026-03-10T00:00:00Z", {1, 2}},
                                  {"2026-03-10T23:59:59Z", "2026-03-11T00:00:00Z", {4, 5}},
                                  {"2026-03-11", "", {5}},
                                  {"2000-01-01", "2030-12-31", {1, 2, 3, 4, 5}}};
    for (const Case& c : cases) {
        OaiArguments arguments{{"verb", "ListIdentifiers"}, {"metadataPrefix", "oai_dc"}};
        if (!c.from.empty()) arguments.push_back({"from", c.from});
        if (!c.until.empty()) arguments.push_back({"until", c.until});
        INFO("from " << c.from << " until " << c.until);
        const std::string body = repository.respond(arguments);
        Xml xml(body);
        std::vector<std::string> expected;
        for (int n : c.expected) expected.push_back(oai_id(n));
        CHECK(xml.identifiers() == expected);
        std::vector<std::string> request{"verb=ListIdentifiers", "metadataPrefix=oai_dc"};
        if (!c.from.empty()) request.push_back("from=" + c.from);
        if (!c.until.empty()) request.push_back("until=" + c.until);
        CHECK(xml.request() == request);
    }
    CHECK(valid("listidentifiers-from-until.xml", repository.respond({{"verb", "ListIdentifiers"},
                                                                      {"metadataPrefix", "oai_dc"},
                                                                      {"from", "2026-03-10"},
                                                                      {"until", "2026-03-10"}})));
}

TEST_CASE("oai provider: from and until keep their bounds on every page of a list",
          "[oai_provider]") {
    Repository repository("from-until-pages");
    repository.put_series(1, 30, kMay1);  // 00:00 to 00:29
    const OaiArguments arguments{{"verb", "ListRecords"},
                                 {"metadataPrefix", "oai_dc"},
                                 {"from", "2026-05-01T00:05:00Z"},
                                 {"until", "2026-05-01T00:24:00Z"}};
    std::vector<std::string> harvested;
    std::vector<std::string> sizes;
    Xml page(repository.respond(arguments));
    for (int n = 0; n < 4; ++n) {
        const std::vector<std::string> ids = page.identifiers();
        harvested.insert(harvested.end(), ids.begin(), ids.end());
        sizes.push_back(page.text(kToken + "/@completeListSize"));
        const std::string token = page.text(kToken);
        if (token.empty()) break;
        page = Xml(repository.respond({{"verb", "ListRecords"}, {"resumptionToken", token}}));
    }
    CHECK(harvested == oai_ids(6, 20));
    CHECK(sizes == std::vector<std::string>{"20", "20", "20"});
}

TEST_CASE("oai provider: a list with nothing in its range is noRecordsMatch", "[oai_provider]") {
    Repository repository("norecordsmatch");
    repository.put(object(1, kMarch10, {"fonds"}));
    const std::vector<OaiArguments> requests{
        {{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"from", "2026-03-11"}},
        {{"verb", "ListIdentifiers"}, {"metadataPrefix", "edm"}, {"until", "2026-03-09"}},
        {{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"set", "maps"}},
        {{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"set", "fond"}}};
    int n = 0;
    for (const OaiArguments& arguments : requests) {
        INFO("request " << n);
        const std::string body = repository.respond(arguments);
        Xml xml(body);
        CHECK(xml.errors() == std::vector<std::string>{"noRecordsMatch"});
        std::vector<std::string> request;
        for (const auto& [name, value] : arguments) request.push_back(name + "=" + value);
        CHECK(xml.request() == request);
        CHECK(valid("error-norecordsmatch-" + std::to_string(n++) + ".xml", body));
    }
}

TEST_CASE("oai provider: a list in an unknown format is cannotDisseminateFormat",
          "[oai_provider]") {
    Repository repository("cannotdisseminate");
    repository.put(object(1, kMay1));
    for (const std::string verb : {"ListRecords", "ListIdentifiers"}) {
        const std::string body = repository.respond({{"verb", verb}, {"metadataPrefix", "mods"}});
        Xml xml(body);
        CHECK(xml.errors() == std::vector<std::string>{"cannotDisseminateFormat"});
        CHECK(xml.request() ==
              std::vector<std::string>{"verb=" + std::string(verb), "metadataPrefix=mods"});
        CHECK(valid("error-cannotdisseminateformat-" + std::string(verb) + ".xml", body));
    }
}

TEST_CASE(
    "oai provider: set selects the records of the set and of its subsets, and headers name "
    "every set with its ancestors",
    "[oai_provider]") {
    Repository repository("sets");
    repository.put(object(1, kMay1, {"fonds"}));
    repository.put(object(2, kMay1 + 60, {"fonds:letters"}));
    repository.put(object(3, kMay1 + 120, {"fonds:letters:1890", "maps"}));
    repository.put(object(4, kMay1 + 180, {"maps"}));
    repository.put(object(5, kMay1 + 240));
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases{
        {"fonds", {oai_id(1), oai_id(2), oai_id(3)}},
        {"fonds:letters", {oai_id(2), oai_id(3)}},
        {"fonds:letters:1890", {oai_id(3)}},
        {"maps", {oai_id(3), oai_id(4)}}};
    for (const auto& [set, expected] : cases) {
        INFO(set);
        Xml xml(repository.respond(
            {{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"set", set}}));
        CHECK(xml.identifiers() == expected);
    }
    const std::string body = repository.respond(
        {{"verb", "ListIdentifiers"}, {"metadataPrefix", "oai_dc"}, {"set", "fonds:letters"}});
    Xml xml(body);
    CHECK(xml.request() == std::vector<std::string>{"verb=ListIdentifiers", "metadataPrefix=oai_dc",
                                                    "set=fonds:letters"});
    CHECK(xml.texts("//o:header[o:identifier='" + oai_id(3) + "']/o:setSpec") ==
          std::vector<std::string>{"fonds", "fonds:letters", "fonds:letters:1890", "maps"});
    CHECK(valid("listidentifiers-set.xml", body));
}

TEST_CASE("oai provider: a set's completeListSize counts its subsets over several pages",
          "[oai_provider]") {
    Repository repository("sets-pages");
    repository.put_series(1, 9, kMay1, {"fonds:letters"});
    repository.put_series(10, 9, kMay1 + 3600, {"maps"});
    repository.put_series(19, 3, kMay1 + 7200, {"fonds"});
    Xml first(repository.respond(
        {{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"set", "fonds"}}));
    CHECK(first.identifiers() == oai_ids(1, 7));
    CHECK(first.text(kToken + "/@completeListSize") == "12");
    Xml second(
        repository.respond({{"verb", "ListRecords"}, {"resumptionToken", first.text(kToken)}}));
    std::vector<std::string> rest = oai_ids(8, 2);
    for (const std::string& id : oai_ids(19, 3)) rest.push_back(id);
    CHECK(second.identifiers() == rest);
    CHECK(second.text(kToken + "/@completeListSize") == "12");
    CHECK(second.text(kToken + "/@cursor") == "7");
}

TEST_CASE(
    "oai provider: a list without until stops at its first request's second: records put "
    "later wait for the next harvest",
    "[oai_provider]") {
    Repository repository("until-fixed");
    repository.put_series(1, 10, kMay1);
    const std::string first_body =
        repository.respond({{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}}, kNow);
    Xml first(first_body);
    CHECK(first.identifiers() == oai_ids(1, 7));
    repository.put(object(11, kNow + 5));
    repository.put(object(12, kNow));

    Xml second(repository.respond(
        {{"verb", "ListRecords"}, {"resumptionToken", first.text(kToken)}}, kNow + 10));
    CHECK(second.identifiers() ==
          std::vector<std::string>{oai_id(8), oai_id(9), oai_id(10), oai_id(12)});
    CHECK(second.text(kToken + "/@completeListSize") == "11");

    // The next harvest, from the first one's responseDate, takes them.
    const std::string from = first.text("/o:OAI-PMH/o:responseDate");
    CHECK(from == "2026-06-01T00:00:00Z");
    Xml next(repository.respond(
        {{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"from", from}}, kNow + 20));
    CHECK(next.identifiers() == std::vector<std::string>{oai_id(12), oai_id(11)});
}

TEST_CASE("oai provider: pending objects are invisible to every verb", "[oai_provider]") {
    Repository repository("pending");
    ObjectRecord pending = object(1, kMay1 - 86400, {"drafts"});
    pending.state = iiif::RecordState::pending;
    repository.put(pending);
    repository.put(object(2, kMay1, {"fonds"}));
    repository.put(object(3, kMay1 + 60, {"fonds"}));

    Xml identify(repository.respond({{"verb", "Identify"}}));
    CHECK(identify.text("//o:earliestDatestamp") == "2026-05-01T00:00:00Z");
    for (const std::string verb : {"ListRecords", "ListIdentifiers"}) {
        Xml list(repository.respond({{"verb", verb}, {"metadataPrefix", "oai_dc"}}));
        CHECK(list.identifiers() == std::vector<std::string>{oai_id(2), oai_id(3)});
    }
    Xml get(repository.respond(
        {{"verb", "GetRecord"}, {"identifier", oai_id(1)}, {"metadataPrefix", "oai_dc"}}));
    CHECK(get.errors() == std::vector<std::string>{"idDoesNotExist"});
    Xml formats(repository.respond({{"verb", "ListMetadataFormats"}, {"identifier", oai_id(1)}}));
    CHECK(formats.errors() == std::vector<std::string>{"idDoesNotExist"});
    Xml sets(repository.respond({{"verb", "ListSets"}}));
    CHECK(sets.texts("//o:set/o:setSpec") == std::vector<std::string>{"fonds"});
    Xml drafts(repository.respond(
        {{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"set", "drafts"}}));
    CHECK(drafts.errors() == std::vector<std::string>{"noRecordsMatch"});

    // Over several pages, completeListSize counts the published ones only.
    repository.put_series(10, 10, kMay1 + 3600);
    Xml page(repository.respond({{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}}));
    CHECK(page.text(kToken + "/@completeListSize") == "12");
}

// ---- ListSets ---------------------------------------------------------------------------------

TEST_CASE(
    "oai provider: ListSets lists the sets that hold records and those named, with their "
    "names and descriptions",
    "[oai_provider]") {
    Repository repository("listsets");
    repository.put(object(1, kMay1, {"fonds:letters"}));
    repository.put(object(2, kMay1, {"maps"}));
    repository.define_sets({{"fonds", "Fonds Nadar", "Lettres et photographies de l'atelier."},
                            {"empty", "Un ensemble encore vide", ""}});
    const std::string body = repository.respond({{"verb", "ListSets"}});
    Xml xml(body);
    CHECK(xml.errors().empty());
    CHECK(xml.request() == std::vector<std::string>{"verb=ListSets"});
    CHECK(xml.texts("//o:set/o:setSpec") ==
          std::vector<std::string>{"empty", "fonds", "fonds:letters", "maps"});
    CHECK(xml.texts("//o:set/o:setName") == std::vector<std::string>{"Un ensemble encore vide",
                                                                     "Fonds Nadar", "fonds:letters",
                                                                     "maps"});
    CHECK(xml.count("//o:set/o:setDescription") == 1);
    const std::string description = "//o:set[o:setSpec='fonds']/o:setDescription/oai_dc:dc/";
    CHECK(xml.texts(description + "dc:title") == std::vector<std::string>{"Fonds Nadar"});
    CHECK(xml.texts(description + "dc:description") ==
          std::vector<std::string>{"Lettres et photographies de l'atelier."});
    CHECK(xml.count("//o:resumptionToken") == 0);
    CHECK(valid("listsets-descriptions.xml", body));

    Repository plain("listsets-plain");
    plain.put(object(1, kMay1, {"maps"}));
    const std::string plain_body = plain.respond({{"verb", "ListSets"}});
    Xml plain_xml(plain_body);
    CHECK(plain_xml.texts("//o:set/o:setSpec") == std::vector<std::string>{"maps"});
    CHECK(plain_xml.count("//o:setDescription") == 0);
    CHECK(valid("listsets-plain.xml", plain_body));
}

TEST_CASE("oai provider: ListSets pages five times page_size with completeListSize and cursor",
          "[oai_provider]") {
    Repository repository("listsets-pages");
    repository.config.page_size = 1;
    std::vector<iiif::CatalogReader::SetInfo> named;
    std::vector<std::string> specs;
    for (int i = 1; i <= 12; ++i) {
        char spec[8];
        std::snprintf(spec, sizeof spec, "s%02d", i);
        named.push_back({spec, "Set " + std::to_string(i), ""});
        specs.push_back(spec);
    }
    repository.define_sets(named);
    std::vector<std::string> listed;
    std::string token;
    for (int page = 0; page < 3; ++page) {
        INFO("page " << page);
        const std::string body = repository.respond(
            token.empty() ? OaiArguments{{"verb", "ListSets"}}
                          : OaiArguments{{"verb", "ListSets"}, {"resumptionToken", token}},
            kNow + page);
        Xml xml(body);
        REQUIRE(xml.errors().empty());
        const std::vector<std::string> got = xml.texts("//o:set/o:setSpec");
        listed.insert(listed.end(), got.begin(), got.end());
        CHECK(got.size() == (page < 2 ? 5u : 2u));
        CHECK(xml.text(kToken + "/@completeListSize") == "12");
        CHECK(xml.text(kToken + "/@cursor") == std::to_string(5 * page));
        token = xml.text(kToken);
        CHECK(token.empty() == (page == 2));
        CHECK(valid("listsets-page" + std::to_string(page) + ".xml", body));
    }
    CHECK(listed == specs);
}

TEST_CASE(
    "oai provider: ListSets, and a list by set, in a repository without sets are "
    "noSetHierarchy",
    "[oai_provider]") {
    Repository repository("nosethierarchy");
    repository.put(object(1, kMay1));
    const std::vector<OaiArguments> requests{
        {{"verb", "ListSets"}},
        {{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"set", "fonds"}},
        {{"verb", "ListIdentifiers"}, {"metadataPrefix", "edm"}, {"set", "fonds"}}};
    int n = 0;
    for (const OaiArguments& arguments : requests) {
        INFO("request " << n);
        const std::string body = repository.respond(arguments);
        Xml xml(body);
        CHECK(xml.errors() == std::vector<std::string>{"noSetHierarchy"});
        std::vector<std::string> request;
        for (const auto& [name, value] : arguments) request.push_back(name + "=" + value);
        CHECK(xml.request() == request);
        CHECK(valid("error-nosethierarchy-" + std::to_string(n++) + ".xml", body));
    }
}

// ---- Harvested records: provenance -----------------------------------------------------------

TEST_CASE(
    "oai provider: GetRecord of a harvested record carries its provenance after its metadata, "
    "in every format, and validates",
    "[oai_provider]") {
    Repository repository("provenance-getrecord");
    repository.put(harvested(3, kMay1));
    repository.put(object(4, kMay1 + 60));
    for (const std::string prefix : {"oai_dc", "edm"}) {
        INFO(prefix);
        const std::string body = repository.respond(
            {{"verb", "GetRecord"}, {"identifier", oai_id(3)}, {"metadataPrefix", prefix}});
        Xml xml(body);
        CHECK(xml.errors().empty());
        CHECK(abouts(body) == std::vector<std::string>{provenance_of(3)});
        const std::string record = "/o:OAI-PMH/o:GetRecord/o:record/";
        CHECK(xml.names(record + "*") == std::vector<std::string>{"header", "metadata", "about"});
        const std::string origin = record + "o:about/prov:provenance/prov:originDescription/";
        CHECK(xml.text(origin + "@harvestDate") == "2026-05-01T00:00:00Z");
        CHECK(xml.text(origin + "@altered") == "true");
        CHECK(xml.text(origin + "prov:baseURL") == "https://oai.bm-lyon.example.org/oai");
        CHECK(xml.text(origin + "prov:identifier") == "oai:bm-lyon.example.org:ms-3");
        CHECK(xml.text(origin + "prov:datestamp") == "2024-01-31");
        CHECK(xml.text(origin + "prov:metadataNamespace") ==
              "http://www.openarchives.org/OAI/2.0/oai_dc/");
        const std::string name = "provenance-getrecord-" + prefix + ".xml";
        CHECK((prefix == "edm" ? valid_edm(name, body) : valid(name, body)));
    }
    // An object without origin: no <about>.
    const std::string plain = repository.respond(
        {{"verb", "GetRecord"}, {"identifier", oai_id(4)}, {"metadataPrefix", "oai_dc"}});
    CHECK(abouts(plain).empty());
}

TEST_CASE(
    "oai provider: ListRecords gives each harvested record its provenance and others none, "
    "ListIdentifiers gives none",
    "[oai_provider]") {
    Repository repository("provenance-list");
    repository.put(harvested(1, kMay1));
    repository.put(object(2, kMay1 + 60));
    repository.put(harvested(3, kMay1 + 120, 2));
    for (const std::string prefix : {"oai_dc", "edm"}) {
        INFO(prefix);
        const std::string body =
            repository.respond({{"verb", "ListRecords"}, {"metadataPrefix", prefix}});
        Xml xml(body);
        CHECK(xml.identifiers() == oai_ids(1, 3));
        CHECK(abouts(body) == std::vector<std::string>{provenance_of(1), provenance_of(3)});
        CHECK(xml.texts("//o:record[o:about]/o:header/o:identifier") ==
              std::vector<std::string>{oai_id(1), oai_id(3)});
        const std::string name = "provenance-listrecords-" + prefix + ".xml";
        CHECK((prefix == "edm" ? valid_edm(name, body) : valid(name, body)));
    }
    const std::string identifiers =
        repository.respond({{"verb", "ListIdentifiers"}, {"metadataPrefix", "oai_dc"}});
    CHECK(Xml(identifiers).identifiers() == oai_ids(1, 3));
    CHECK(abouts(identifiers).empty());
    CHECK(identifiers.find("provenance") == std::string::npos);
    CHECK(valid("provenance-listidentifiers.xml", identifiers));
}

TEST_CASE("oai provider: a withdrawn harvested record is a header alone, without provenance",
          "[oai_provider]") {
    Repository repository("provenance-withdrawn");
    repository.put(harvested(1, kMay1));
    repository.withdraw(1, kMay1 + 3600);
    const std::string body = repository.respond(
        {{"verb", "GetRecord"}, {"identifier", oai_id(1)}, {"metadataPrefix", "oai_dc"}});
    CHECK(Xml(body).text("//o:header/@status") == "deleted");
    CHECK(abouts(body).empty());
    CHECK(valid("provenance-withdrawn.xml", body));
}

// ---- Described objects (no images) ------------------------------------------------------------

TEST_CASE(
    "oai provider: a described object (no images) is harvested in oai_dc without a manifest URL, "
    "with its provenance, and validates",
    "[oai_provider]") {
    Repository repository("described-oai_dc");
    repository.put(harvested(5, kMay1, 0));
    const std::string body = repository.respond(
        {{"verb", "GetRecord"}, {"identifier", oai_id(5)}, {"metadataPrefix", "oai_dc"}});
    Xml xml(body);
    CHECK(xml.errors().empty());
    const std::string dc = "/o:OAI-PMH/o:GetRecord/o:record/o:metadata/oai_dc:dc/";
    CHECK(xml.texts(dc + "dc:title") == std::vector<std::string>{"Objet 5"});
    CHECK(xml.texts(dc + "dc:identifier") ==
          std::vector<std::string>{"http://127.0.0.1:8080/" + ark(5)});
    CHECK(abouts(body) == std::vector<std::string>{provenance_of(5)});
    CHECK(valid("described-getrecord-oai_dc.xml", body));
    // Listed like any other.
    const std::string list =
        repository.respond({{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}});
    CHECK(Xml(list).identifiers() == std::vector<std::string>{oai_id(5)});
    CHECK(valid("described-listrecords-oai_dc.xml", list));
}

TEST_CASE(
    "oai provider: a described object in edm is shown at the partner's page, with no "
    "WebResource, isShownBy or object, valid and following Europeana's rules",
    "[oai_provider]") {
    Repository repository("described-edm");
    repository.put(harvested(5, kMay1, 0));
    ObjectRecord unlinked = harvested(6, kMay1 + 60, 0);
    unlinked.metadata.origin->link.clear();
    repository.put(unlinked);
    const std::string aggregation =
        "/o:OAI-PMH/o:GetRecord/o:record/o:metadata/rdf:RDF/ore:Aggregation/";
    const std::string body = repository.respond(
        {{"verb", "GetRecord"}, {"identifier", oai_id(5)}, {"metadataPrefix", "edm"}});
    Xml xml(body);
    CHECK(xml.errors().empty());
    CHECK(xml.text(aggregation + "edm:isShownAt/@rdf:resource") ==
          "https://collections.bm-lyon.example.org/ms-5");
    CHECK(xml.count(aggregation + "edm:isShownBy") == 0);
    CHECK(xml.count(aggregation + "edm:object") == 0);
    CHECK(xml.count(aggregation + "edm:hasView") == 0);
    CHECK(xml.count("//edm:WebResource") == 0);
    CHECK(xml.count("//svcs:Service") == 0);
    CHECK(abouts(body) == std::vector<std::string>{provenance_of(5)});
    CHECK(valid_edm("described-getrecord-edm.xml", body));

    // Harvested without a link: its landing page.
    const std::string without = repository.respond(
        {{"verb", "GetRecord"}, {"identifier", oai_id(6)}, {"metadataPrefix", "edm"}});
    CHECK(Xml(without).text(aggregation + "edm:isShownAt/@rdf:resource") ==
          "http://127.0.0.1:8080/object.html?manifest=http%3A%2F%2F127.0.0.1%3A8080%2Fiiif%2F3%2F"
          "ark%3A%2F99999%2Ffk4-10000006-x%2Fmanifest");
    CHECK(Xml(without).count(aggregation + "edm:isShownBy") == 0);
    CHECK(valid_edm("described-unlinked-edm.xml", without));
}
