#include "oai_metadata.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <string>

#include "clock.hpp"

namespace iiif {
namespace {

constexpr std::string_view kDcNamespace = "http://purl.org/dc/elements/1.1/";
constexpr std::string_view kOaiDcNamespace = "http://www.openarchives.org/OAI/2.0/oai_dc/";
constexpr std::string_view kXsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";
constexpr std::string_view kProvenanceNamespace = "http://www.openarchives.org/OAI/2.0/provenance";
constexpr std::string_view kProvenanceSchema = "http://www.openarchives.org/OAI/2.0/provenance.xsd";
// Copyright Not Evaluated: what EDM's mandatory edm:rights says of a record with no licence.
constexpr std::string_view kRightsNotEvaluated = "http://rightsstatements.org/vocab/CNE/1.0/";
constexpr std::string_view kIiifImageApi = "http://iiif.io/api/image";
constexpr std::string_view kIiifLevel = "http://iiif.io/api/image/3/level2.json";

const std::vector<LangValue>* values_of(const ObjectMetadata& metadata, std::string_view element) {
    auto found = metadata.dc.find(std::string(element));
    return found == metadata.dc.end() || found->second.empty() ? nullptr : &found->second;
}

bool has_value(const std::vector<LangValue>* values, std::string_view value) {
    return values && std::any_of(values->begin(), values->end(),
                                 [&](const LangValue& given) { return given.value == value; });
}

// The record's Dublin Core as the formats write it: what was deposited, in DCMES order, with
// the platform's additions (see oai_metadata.hpp).
std::map<std::string_view, std::vector<LangValue>> dublin_core(const PublicationSettings& settings,
                                                               const ObjectRecord& object) {
    std::map<std::string_view, std::vector<LangValue>> dc;
    for (std::string_view element : kDublinCoreElements)
        if (const auto* values = values_of(object.metadata, element)) dc[element] = *values;
    auto add = [&](std::string_view element, const std::string& value) {
        if (!value.empty() && !has_value(values_of(object.metadata, element), value))
            dc[element].push_back({value, ""});
    };
    add("identifier", ark_url(settings, object.ark));
    if (!is_described(object))
        add("identifier", manifest_url(settings, ApiVersion::v3, object.ark));
    add("rights", canonical_rights(object.metadata.license));
    const std::string institution = holding_institution(settings, object);
    // Where the original is: the holding institution and, when known, its shelfmark.
    add("source", object.metadata.shelfmark.empty()
                      ? institution
                      : institution + ", " + object.metadata.shelfmark);
    if (!values_of(object.metadata, "publisher")) add("publisher", institution);
    return dc;
}

void write_values(XmlWriter& out, std::string_view element, const std::vector<LangValue>& values) {
    const std::string name = "dc:" + std::string(element);
    for (const LangValue& value : values) {
        out.start(name.c_str());
        if (!value.lang.empty()) out.attribute("xml:lang", value.lang);
        out.text(value.value);
        out.end();
    }
}

void start_oai_dc(XmlWriter& out) {
    out.start("oai_dc:dc");
    out.attribute("xmlns:oai_dc", kOaiDcNamespace);
    out.attribute("xmlns:dc", kDcNamespace);
    out.attribute("xmlns:xsi", kXsiNamespace);
    out.attribute("xsi:schemaLocation",
                  std::string(kOaiDcNamespace) + " http://www.openarchives.org/OAI/2.0/oai_dc.xsd");
}

void write_oai_dc(XmlWriter& out, const PublicationSettings& settings, const ObjectRecord& object) {
    start_oai_dc(out);
    const auto dc = dublin_core(settings, object);
    for (std::string_view element : kDublinCoreElements)
        if (auto found = dc.find(element); found != dc.end())
            write_values(out, element, found->second);
    out.end();
}

void resource(XmlWriter& out, const char* name, std::string_view uri) {
    out.start(name);
    out.attribute("rdf:resource", uri);
    out.end();
}

void write_edm(XmlWriter& out, const PublicationSettings& settings, const ObjectRecord& object) {
    const std::string cho = ark_url(settings, object.ark);
    const std::string manifest = manifest_url(settings, ApiVersion::v3, object.ark);
    const std::string licence = canonical_rights(object.metadata.license);
    const std::string rights = licence.empty() ? std::string(kRightsNotEvaluated) : licence;
    std::vector<std::string> services, views;
    for (const std::string& id : object.images) {
        services.push_back(image_service_url(settings, ApiVersion::v3, id));
        views.push_back(services.back() + "/full/max/0/default.jpg");
    }

    out.start("rdf:RDF");
    out.attribute("xmlns:rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#");
    out.attribute("xmlns:dc", kDcNamespace);
    out.attribute("xmlns:dcterms", "http://purl.org/dc/terms/");
    out.attribute("xmlns:edm", "http://www.europeana.eu/schemas/edm/");
    out.attribute("xmlns:ore", "http://www.openarchives.org/ore/terms/");
    out.attribute("xmlns:svcs", "http://rdfs.org/sioc/services#");
    out.attribute("xmlns:doap", "http://usefulinc.com/ns/doap#");

    // The cultural heritage object: its Dublin Core, with what Europeana requires of every
    // record (a title or a description; a subject, type or coverage) taken from what the
    // platform knows when the depositor gave none.
    auto dc = dublin_core(settings, object);
    // The ARK URL is the object's rdf:about and the manifest is linked from each page, so the
    // identifiers are the ARK as minted and those deposited.
    std::vector<LangValue> identifiers{{object.ark, ""}};
    if (const auto* given = values_of(object.metadata, "identifier"))
        identifiers.insert(identifiers.end(), given->begin(), given->end());
    if (!object.metadata.shelfmark.empty()) identifiers.push_back({object.metadata.shelfmark, ""});
    dc["identifier"] = identifiers;
    if (!dc.count("title") && !dc.count("description")) dc["title"].push_back({object.ark, ""});
    if (!dc.count("subject") && !dc.count("type") && !dc.count("coverage"))
        dc["type"].push_back({"Image", "en"});
    // Europeana requires the language of a text: "und" (ISO 639-2, undetermined) says it is not
    // known rather than guessing one.
    const std::string_view type = edm_type(object.metadata);
    if (type == "TEXT" && !dc.count("language")) dc["language"].push_back({"und", ""});
    out.start("edm:ProvidedCHO");
    out.attribute("rdf:about", cho);
    for (std::string_view element : kDublinCoreElements)
        if (auto found = dc.find(element); found != dc.end())
            write_values(out, element, found->second);
    out.element("edm:type", type);
    out.end();

    for (size_t page = 0; page < services.size(); ++page) {
        out.start("edm:WebResource");
        out.attribute("rdf:about", views[page]);
        resource(out, "dcterms:isReferencedBy", manifest);
        if (!licence.empty()) resource(out, "edm:rights", licence);
        resource(out, "svcs:has_service", services[page]);
        out.end();
        out.start("svcs:Service");
        out.attribute("rdf:about", services[page]);
        resource(out, "dcterms:conformsTo", kIiifImageApi);
        resource(out, "doap:implements", kIiifLevel);
        out.end();
    }

    out.start("ore:Aggregation");
    out.attribute("rdf:about", cho + "#aggregation");
    resource(out, "edm:aggregatedCHO", cho);
    out.element("edm:dataProvider", holding_institution(settings, object));
    for (size_t page = 1; page < views.size(); ++page) resource(out, "edm:hasView", views[page]);
    resource(out, "edm:isShownAt", object_page_url(settings, object));
    if (!views.empty()) {
        resource(out, "edm:isShownBy", views.front());
        resource(out, "edm:object", services.front() + "/full/!200,200/0/default.jpg");
    }
    out.element("edm:provider", settings.institution.empty() ? holding_institution(settings, object)
                                                             : settings.institution);
    resource(out, "edm:rights", rights);
    out.end();
    out.end();
}

}  // namespace

const std::vector<OaiFormat>& oai_formats() {
    static const std::vector<OaiFormat> formats{
        {"oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", kOaiDcNamespace},
        {"edm", "http://www.europeana.eu/schemas/edm/EDM.xsd",
         "http://www.w3.org/1999/02/22-rdf-syntax-ns#"},
    };
    return formats;
}

const OaiFormat* find_oai_format(std::string_view prefix) {
    for (const OaiFormat& format : oai_formats())
        if (format.prefix == prefix) return &format;
    return nullptr;
}

void write_oai_metadata(XmlWriter& out, const OaiFormat& format,
                        const PublicationSettings& settings, const ObjectRecord& object) {
    if (format.prefix == "edm") {
        write_edm(out, settings, object);
    } else {
        write_oai_dc(out, settings, object);
    }
}

void write_oai_provenance(XmlWriter& out, const ObjectOrigin& origin) {
    out.start("provenance");
    out.attribute("xmlns", kProvenanceNamespace);
    out.attribute("xmlns:xsi", kXsiNamespace);
    out.attribute("xsi:schemaLocation",
                  std::string(kProvenanceNamespace) + " " + std::string(kProvenanceSchema));
    out.start("originDescription");
    out.attribute("harvestDate", format_utc_datetime(origin.harvested));
    out.attribute("altered", "true");
    out.element("baseURL", origin.base_url);
    out.element("identifier", origin.identifier);
    out.element("datestamp", origin.datestamp);
    out.element("metadataNamespace", origin.metadata_namespace);
    out.end();
    out.end();
}

void write_oai_dc_description(XmlWriter& out, std::string_view title,
                              std::string_view description) {
    start_oai_dc(out);
    if (!title.empty()) out.element("dc:title", title);
    if (!description.empty()) out.element("dc:description", description);
    out.end();
}

std::string holding_institution(const PublicationSettings& settings, const ObjectRecord& object) {
    if (!object.metadata.provider.empty()) return object.metadata.provider;
    if (!settings.institution.empty()) return settings.institution;
    return oai_repository_identifier(settings);
}

std::string_view edm_type(const ObjectMetadata& metadata) {
    const auto* types = values_of(metadata, "type");
    if (!types) return "IMAGE";
    for (const LangValue& type : *types) {
        std::string word;
        for (char c : type.value)
            if (std::isalnum(static_cast<unsigned char>(c)) ||
                static_cast<unsigned char>(c) >= 0x80)
                word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (word == "text" || word == "texte" || word == "texts" || word == "textes") return "TEXT";
        if (word == "sound" || word == "son" || word == "audio") return "SOUND";
        if (word == "movingimage" || word == "video" || word == "vidéo" || word == "film")
            return "VIDEO";
        if (word == "3d" || word == "3dmodel" || word == "modèle3d") return "3D";
        if (word == "image" || word == "stillimage") return "IMAGE";
    }
    return "IMAGE";
}

}  // namespace iiif
