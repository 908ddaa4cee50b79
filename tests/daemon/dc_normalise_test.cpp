// Dublin Core as partners write it, normalised (daemon/dc_normalise.hpp): every accepted form of
// date, language, type, format and rights with its exact result, what is kept and reported
// unmapped, the cleaning of values, partners' rules, the licence, the limits, and the quality
// report of a harvest.
#include "dc_normalise.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "dublin_core.hpp"
#include "json.hpp"

namespace Catch {
template <>
struct StringMaker<iiif::LangValue> {
    static std::string convert(const iiif::LangValue& value) {
        return "{\"" + value.value + "\", \"" + value.lang + "\"}";
    }
};
template <>
struct StringMaker<iiifd::DcFinding> {
    static std::string convert(const iiifd::DcFinding& finding) {
        return "{" + std::to_string(static_cast<int>(finding.kind)) + ", \"" + finding.element +
               "\", \"" + finding.value + "\"}";
    }
};
}  // namespace Catch

using iiif::LangValue;
using iiifd::DcFinding;
using iiifd::FindingKind;
using iiifd::normalise_record;
using iiifd::NormalisedRecord;
using iiifd::PartnerRules;
using iiifd::RawDublinCore;

namespace {

constexpr const char* kUnmapped = "(unmapped)";

std::string shown(const std::optional<std::string>& value) {
    return value ? *value : kUnmapped;
}

std::string date_of(std::string_view value) {
    return shown(iiifd::edtf_date(value));
}
std::string language_of(std::string_view value) {
    return shown(iiifd::iso_language(value));
}
std::string type_of(std::string_view value) {
    return shown(iiifd::dcmi_type(value));
}
std::string format_of(std::string_view value) {
    return shown(iiifd::media_type(value));
}
std::string licence_of(std::string_view value) {
    return shown(iiifd::license_uri(value));
}

std::vector<LangValue> plain(std::initializer_list<const char*> values) {
    std::vector<LangValue> result;
    for (const char* value : values) result.push_back({value, ""});
    return result;
}

// A record with a title, a date and a mappable rights value, plus `extra`.
RawDublinCore record_with(RawDublinCore extra) {
    RawDublinCore raw = {{"title", plain({"Carte de Cassini"})},
                         {"date", plain({"1789"})},
                         {"rights", plain({"domaine public"})}};
    for (auto& [element, values] : extra) raw[element] = std::move(values);
    return raw;
}

std::vector<DcFinding> findings_of_kind(const NormalisedRecord& record, FindingKind kind) {
    std::vector<DcFinding> found;
    for (const DcFinding& finding : record.findings)
        if (finding.kind == kind) found.push_back(finding);
    return found;
}

const std::string kByNcNd = "https://creativecommons.org/licenses/by-nc-nd/4.0/";
const std::string kMark = "https://creativecommons.org/publicdomain/mark/1.0/";
const std::string kZero = "https://creativecommons.org/publicdomain/zero/1.0/";

}  // namespace

TEST_CASE("values are trimmed and whitespace runs, NBSP included, made one space",
          "[dc_normalise]") {
    CHECK(iiifd::clean_value("  Carte\tde\n\nCassini  ") == "Carte de Cassini");
    CHECK(iiifd::clean_value("Paris\xC2\xA0:\xE2\x80\xAF"
                             "Didot\r\n") == "Paris : Didot");
    CHECK(iiifd::clean_value(" \t\xC2\xA0 ") == "");
    CHECK(iiifd::clean_value("caf\xE9") == "caf\xEF\xBF\xBD");  // Latin-1 byte: U+FFFD
}

TEST_CASE("empty values and exact duplicates are dropped, the order kept", "[dc_normalise]") {
    NormalisedRecord record = normalise_record(record_with({{"subject",
                                                             {{"Cartes", "fr"},
                                                              {"  ", "fr"},
                                                              {"Géographie", ""},
                                                              {" Cartes ", "fr"},
                                                              {"Cartes", "en"},
                                                              {"G\xC3\xA9ographie\xC2\xA0", ""},
                                                              {"", ""}}}}),
                                               {});
    CHECK(record.metadata.dc["subject"] ==
          std::vector<LangValue>{{"Cartes", "fr"}, {"Géographie", ""}, {"Cartes", "en"}});
}

TEST_CASE("dates in ISO 8601 stay as they are", "[dc_normalise]") {
    CHECK(date_of("1789") == "1789");
    CHECK(date_of("1789-07") == "1789-07");
    CHECK(date_of("1789-07-14") == "1789-07-14");
    CHECK(date_of("2024-02-29") == "2024-02-29");
}

TEST_CASE("day-first numeric dates become ISO 8601", "[dc_normalise]") {
    CHECK(date_of("14/07/1789") == "1789-07-14");
    CHECK(date_of("4/7/1789") == "1789-07-04");
    CHECK(date_of("14.07.1789") == "1789-07-14");
}

TEST_CASE("dates with a month name become ISO 8601", "[dc_normalise]") {
    CHECK(date_of("14 juillet 1789") == "1789-07-14");
    CHECK(date_of("1er août 1789") == "1789-08-01");
    CHECK(date_of("3 Février 1790") == "1790-02-03");
    CHECK(date_of("July 14, 1789") == "1789-07-14");
    CHECK(date_of("december 1 1800") == "1800-12-01");
    CHECK(date_of("juillet 1789") == "1789-07");
    CHECK(date_of("Décembre 1851") == "1851-12");
    CHECK(date_of("July 1789") == "1789-07");
}

TEST_CASE("a supplied date is uncertain", "[dc_normalise]") {
    CHECK(date_of("[1789]") == "1789?");
    CHECK(date_of("[14 juillet 1789]") == "1789-07-14?");
    CHECK(date_of("1789?") == "1789?");
}

TEST_CASE("dates said to be about are approximate", "[dc_normalise]") {
    CHECK(date_of("vers 1850") == "1850~");
    CHECK(date_of("ca. 1850") == "1850~");
    CHECK(date_of("ca 1850") == "1850~");
    CHECK(date_of("circa 1850") == "1850~");
    CHECK(date_of("c. 1850") == "1850~");
    CHECK(date_of("c1850") == "1850~");
    CHECK(date_of("environ 1850") == "1850~");
    CHECK(date_of("env. 1850") == "1850~");
    CHECK(date_of("Vers juillet 1850") == "1850-07~");
    CHECK(date_of("1850~") == "1850~");
}

TEST_CASE("a supplied approximate date is uncertain and approximate", "[dc_normalise]") {
    CHECK(date_of("[ca 1900]") == "1900%");
    CHECK(date_of("[vers 1900]") == "1900%");
    CHECK(date_of("ca [1900]") == "1900%");
    CHECK(date_of("1900%") == "1900%");
}

TEST_CASE("year ranges and intervals become EDTF intervals", "[dc_normalise]") {
    CHECK(date_of("1914-1918") == "1914/1918");
    CHECK(date_of("1914 - 1918") == "1914/1918");
    CHECK(date_of("1914\xE2\x80\x93"
                  "1918") == "1914/1918");  // en dash
    CHECK(date_of("1914/1918") == "1914/1918");
    CHECK(date_of("1914-08/1918-11-11") == "1914-08/1918-11-11");
    CHECK(date_of("2 août 1914 - 11 novembre 1918") == "1914-08-02/1918-11-11");
    CHECK(date_of("[1914]-[1918]") == "1914?/1918?");
    CHECK(date_of("ca. 1850-1860") == "1850~/1860~");
    CHECK(date_of("1850~/1860~") == "1850~/1860~");
    CHECK(date_of("1850/1860~") == "1850/1860~");
    CHECK(date_of("[1914-1918]") == "1914?/1918?");
}

TEST_CASE("centuries and decades become unspecified digits", "[dc_normalise]") {
    CHECK(date_of("XVIIIe siècle") == "17XX");
    CHECK(date_of("XVIII siècle") == "17XX");
    CHECK(date_of("XVIII\xE1\xB5\x89 siècle") == "17XX");  // superscript e
    CHECK(date_of("xviiie s.") == "17XX");
    CHECK(date_of("18e siècle") == "17XX");
    CHECK(date_of("18ème siècle") == "17XX");
    CHECK(date_of("1er siècle") == "00XX");
    CHECK(date_of("XXIe siècle") == "20XX");
    CHECK(date_of("18th century") == "17XX");
    CHECK(date_of("21st century") == "20XX");
    CHECK(date_of("1850s") == "185X");
    CHECK(date_of("années 1850") == "185X");
    CHECK(date_of("17XX") == "17XX");
    CHECK(date_of("185x") == "185X");
}

TEST_CASE("dates in no accepted form are not mapped", "[dc_normalise]") {
    CHECK(date_of("s.d.") == kUnmapped);
    CHECK(date_of("31/02/1789") == kUnmapped);
    CHECK(date_of("1789-13") == kUnmapped);
    CHECK(date_of("2023-02-29") == kUnmapped);
    CHECK(date_of("1918-1914") == kUnmapped);
    CHECK(date_of("[XVIIIe siècle]") == kUnmapped);  // EDTF 1 qualifies no unspecified digits
    CHECK(date_of("XXIIe siècle") == kUnmapped);
    CHECK(date_of("XVIIe-XVIIIe siècle") == kUnmapped);
    CHECK(date_of("1850s-1860s") == kUnmapped);
    CHECK(date_of("brumaire an II") == kUnmapped);
    CHECK(date_of("14 juilet 1789") == kUnmapped);
    CHECK(date_of("1850-60") == kUnmapped);
}

TEST_CASE("a date not mapped stays as written and is reported", "[dc_normalise]") {
    NormalisedRecord record =
        normalise_record(record_with({{"date", {{" s.d. ", "fr"}, {"[1789]", "fr"}}}}), {});
    CHECK(record.metadata.dc["date"] == std::vector<LangValue>{{"s.d.", "fr"}, {"1789?", ""}});
    CHECK(findings_of_kind(record, FindingKind::unmapped) ==
          std::vector<DcFinding>{{FindingKind::unmapped, "date", "s.d."}});
}

TEST_CASE("languages become ISO 639-1, else ISO 639-2/B", "[dc_normalise]") {
    const std::vector<std::pair<const char*, const char*>> cases = {
        {"français", "fr"},
        {"francais", "fr"},
        {"French", "fr"},
        {"fre", "fr"},
        {"fra", "fr"},
        {"fr", "fr"},
        {"FR", "fr"},
        {" Français ", "fr"},
        {"fr-FR", "fr"},
        {"latin", "la"},
        {"lat", "la"},
        {"la", "la"},
        {"occitan", "oc"},
        {"oci", "oc"},
        {"oc", "oc"},
        {"breton", "br"},
        {"bre", "br"},
        {"br", "br"},
        {"anglais", "en"},
        {"English", "en"},
        {"eng", "en"},
        {"en-GB", "en"},
        {"allemand", "de"},
        {"German", "de"},
        {"ger", "de"},
        {"deu", "de"},
        {"italien", "it"},
        {"Italian", "it"},
        {"ita", "it"},
        {"espagnol", "es"},
        {"Spanish", "es"},
        {"español", "es"},
        {"spa", "es"},
        {"néerlandais", "nl"},
        {"Dutch", "nl"},
        {"dut", "nl"},
        {"nld", "nl"},
        {"portugais", "pt"},
        {"Portuguese", "pt"},
        {"por", "pt"},
        {"basque", "eu"},
        {"baq", "eu"},
        {"eus", "eu"},
        {"catalan", "ca"},
        {"cat", "ca"},
        {"grec", "el"},
        {"Greek", "el"},
        {"gre", "el"},
        {"ell", "el"},
        {"grec ancien", "grc"},
        {"Ancient Greek", "grc"},
        {"grc", "grc"},
        {"hébreu", "he"},
        {"Hebrew", "he"},
        {"heb", "he"},
        {"arabe", "ar"},
        {"Arabic", "ar"},
        {"ara", "ar"},
        {"und", "und"},
        {"indéterminé", "und"},
        {"zxx", "zxx"},
        {"pas de contenu linguistique", "zxx"},
    };
    for (const auto& [given, code] : cases) {
        INFO(given);
        CHECK(language_of(given) == code);
    }
    CHECK(language_of("klingon") == kUnmapped);
    CHECK(language_of("fre; lat") == kUnmapped);
}

TEST_CASE("types become DCMI Type terms", "[dc_normalise]") {
    const std::vector<std::pair<const char*, const char*>> cases = {
        {"Texte imprimé", "Text"},
        {"texte", "Text"},
        {"text", "Text"},
        {"Monographie imprimée", "Text"},
        {"Manuscrit", "Text"},
        {"manuscript", "Text"},
        {"Périodique", "Text"},
        {"Partition", "Text"},
        {"Image fixe", "StillImage"},
        {"image", "StillImage"},
        {"photographie", "StillImage"},
        {"estampe", "StillImage"},
        {"dessin", "StillImage"},
        {"Carte", "StillImage"},
        {"map", "StillImage"},
        {"plan", "StillImage"},
        {"StillImage", "StillImage"},
        {"Enregistrement sonore", "Sound"},
        {"vidéo", "MovingImage"},
        {"VIDEO", "MovingImage"},
        {"objet", "PhysicalObject"},
        {"http://purl.org/dc/dcmitype/StillImage", "StillImage"},
        {"https://purl.org/dc/dcmitype/Text/", "Text"},
        {"http://purl.org/dc/dcmitype/Image", "Image"},
        {"info:eu-repo/semantics/article", "Text"},
        {"info:eu-repo/semantics/doctoralThesis", "Text"},
    };
    for (const auto& [given, term] : cases) {
        INFO(given);
        CHECK(type_of(given) == term);
    }
    CHECK(type_of("info:eu-repo/semantics/other") == kUnmapped);
    CHECK(type_of("http://purl.org/dc/dcmitype/Picture") == kUnmapped);
    CHECK(type_of("Document iconographique") == kUnmapped);
}

TEST_CASE("formats become media types, extents are kept and not reported", "[dc_normalise]") {
    const std::vector<std::pair<const char*, const char*>> cases = {
        {"JPEG", "image/jpeg"},
        {"jpg", "image/jpeg"},
        {"image/jpeg", "image/jpeg"},
        {"TIFF", "image/tiff"},
        {"tif", "image/tiff"},
        {"JPEG 2000", "image/jp2"},
        {"jp2", "image/jp2"},
        {"PNG", "image/png"},
        {"GIF", "image/gif"},
        {"PDF", "application/pdf"},
        {"application/pdf", "application/pdf"},
        {"text/html", "text/html"},
        {"Image/JPEG", "image/jpeg"},
        {"audio/mpeg", "audio/mpeg"},
    };
    for (const auto& [given, type] : cases) {
        INFO(given);
        CHECK(format_of(given) == type);
    }
    CHECK(iiifd::is_extent("1 vol. (250 p.)"));
    CHECK(iiifd::is_extent("24 cm"));
    CHECK(iiifd::is_extent("in-folio"));
    CHECK_FALSE(iiifd::is_extent("papier vélin"));

    NormalisedRecord record = normalise_record(
        record_with({{"format", plain({"JPEG", "1 vol. (250 p.)", "24 cm", "papier vélin"})}}), {});
    CHECK(record.metadata.dc["format"] ==
          plain({"image/jpeg", "1 vol. (250 p.)", "24 cm", "papier vélin"}));
    CHECK(findings_of_kind(record, FindingKind::unmapped) ==
          std::vector<DcFinding>{{FindingKind::unmapped, "format", "papier vélin"}});
}

TEST_CASE("Creative Commons licences by label or URL become their https URI", "[dc_normalise]") {
    CHECK(licence_of("CC BY-NC-ND 4.0") == kByNcNd);
    CHECK(licence_of("cc-by-nc-nd") == kByNcNd);
    CHECK(licence_of("Creative Commons Attribution - Pas d'Utilisation Commerciale - Pas de "
                     "Modification 4.0") == kByNcNd);
    CHECK(licence_of("Creative Commons Attribution-NonCommercial-NoDerivatives 4.0 "
                     "International") == kByNcNd);
    CHECK(licence_of("http://creativecommons.org/licenses/by-nc-nd/4.0") == kByNcNd);
    CHECK(licence_of("https://creativecommons.org/licenses/by-nc-nd/4.0/deed.fr") == kByNcNd);
    CHECK(licence_of("creativecommons.org/licenses/by-nc-nd/") == kByNcNd);
    CHECK(licence_of("CC BY-SA 3.0") == "https://creativecommons.org/licenses/by-sa/3.0/");
    CHECK(licence_of("CC BY 2.5") == "https://creativecommons.org/licenses/by/2.5/");
    CHECK(licence_of("Creative Commons Paternité - Partage des Conditions Initiales à "
                     "l'Identique 2.0") == "https://creativecommons.org/licenses/by-sa/2.0/");
    CHECK(licence_of("http://creativecommons.org/licenses/by/3.0/fr/") ==
          "https://creativecommons.org/licenses/by/3.0/fr/");
    CHECK(licence_of("CC0") == kZero);
    CHECK(licence_of("CC0 1.0 Universal") == kZero);
    CHECK(licence_of("http://creativecommons.org/publicdomain/zero/1.0") == kZero);
    CHECK(licence_of("CC BY-NC-ND 3.5") == kUnmapped);
    CHECK(licence_of("CC BY-ND-SA") == kUnmapped);
    CHECK(licence_of("Creative Commons") == kUnmapped);
}

TEST_CASE("public domain becomes the Public Domain Mark", "[dc_normalise]") {
    CHECK(licence_of("domaine public") == kMark);
    CHECK(licence_of("Domaine public.") == kMark);
    CHECK(licence_of("public domain") == kMark);
    CHECK(licence_of("Public Domain Mark") == kMark);
    CHECK(licence_of("Public Domain Mark 1.0") == kMark);
    CHECK(licence_of("https://creativecommons.org/publicdomain/mark/1.0/") == kMark);
    CHECK(licence_of("Œuvre du domaine public, sauf les illustrations") == kUnmapped);
}

TEST_CASE("RightsStatements.org statements become their vocab URI", "[dc_normalise]") {
    CHECK(licence_of("In Copyright") == "http://rightsstatements.org/vocab/InC/1.0/");
    CHECK(licence_of("No Copyright - United States") ==
          "http://rightsstatements.org/vocab/NoC-US/1.0/");
    CHECK(licence_of("In Copyright - Educational Use Permitted") ==
          "http://rightsstatements.org/vocab/InC-EDU/1.0/");
    CHECK(licence_of("Copyright Not Evaluated") == "http://rightsstatements.org/vocab/CNE/1.0/");
    CHECK(licence_of("http://rightsstatements.org/vocab/InC/1.0/") ==
          "http://rightsstatements.org/vocab/InC/1.0/");
    CHECK(licence_of("https://rightsstatements.org/page/NoC-OKLR/1.0/?language=fr") ==
          "http://rightsstatements.org/vocab/NoC-OKLR/1.0/");
    CHECK(licence_of("http://rightsstatements.org/vocab/Free/1.0/") == kUnmapped);
}

TEST_CASE("every licence given is one the catalog accepts", "[dc_normalise]") {
    for (const char* label :
         {"CC BY-NC-ND 4.0", "cc-by-sa", "CC0", "domaine public",
          "http://creativecommons.org/licenses/by/3.0/fr", "No Copyright - United States",
          "http://rightsstatements.org/vocab/InC/1.0/"}) {
        INFO(label);
        std::optional<std::string> uri = iiifd::license_uri(label);
        REQUIRE(uri);
        CHECK(iiif::is_known_license(*uri));
    }
}

TEST_CASE("the first rights value that maps is the licence, the rights text stays",
          "[dc_normalise]") {
    NormalisedRecord record =
        normalise_record(record_with({{"rights",
                                       {{"Bibliothèque municipale de Lyon", "fr"},
                                        {"CC BY-NC-ND 4.0", ""},
                                        {"domaine public", "fr"}}}}),
                         {{}, "http://rightsstatements.org/vocab/InC/1.0/"});
    CHECK(record.metadata.license == kByNcNd);
    CHECK(record.metadata.dc["rights"] ==
          std::vector<LangValue>{{"Bibliothèque municipale de Lyon", "fr"},
                                 {"CC BY-NC-ND 4.0", ""},
                                 {"domaine public", "fr"}});
    CHECK(record.findings.empty());
}

TEST_CASE("with no rights value that maps, the partner's default licence applies, reported",
          "[dc_normalise]") {
    const PartnerRules rules{{}, "http://rightsstatements.org/vocab/InC/1.0/"};
    NormalisedRecord unmapped =
        normalise_record(record_with({{"rights", plain({"Tous droits réservés"})}}), rules);
    CHECK(unmapped.metadata.license == "http://rightsstatements.org/vocab/InC/1.0/");
    CHECK(unmapped.metadata.dc["rights"] == plain({"Tous droits réservés"}));
    CHECK(unmapped.findings ==
          std::vector<DcFinding>{{FindingKind::unmapped, "rights", "Tous droits réservés"},
                                 {FindingKind::default_license, "rights",
                                  "http://rightsstatements.org/vocab/InC/1.0/"}});

    RawDublinCore raw = record_with({});
    raw.erase("rights");
    NormalisedRecord none = normalise_record(raw, rules);
    CHECK(none.metadata.license == "http://rightsstatements.org/vocab/InC/1.0/");
    CHECK(none.findings == std::vector<DcFinding>{{FindingKind::missing, "rights", ""},
                                                  {FindingKind::default_license, "rights",
                                                   "http://rightsstatements.org/vocab/InC/1.0/"}});

    NormalisedRecord no_default = normalise_record(raw, {});
    CHECK(no_default.metadata.license.empty());
    CHECK(findings_of_kind(no_default, FindingKind::default_license) ==
          std::vector<DcFinding>{{FindingKind::default_license, "rights", ""}});
}

TEST_CASE("a partner's rule overrides the built-in tables, case-insensitively", "[dc_normalise]") {
    PartnerRules rules;
    rules.overrides = {{"type", "image", "Image"},
                       {"type", "DOCUMENT ICONOGRAPHIQUE", "StillImage"},
                       {"language", "Français", "fr-CA"},
                       {"subject", "Cartes", "Cartographie"},
                       {"rights", "Libre de droits", "domaine public"}};
    NormalisedRecord record = normalise_record(
        record_with({{"type", {{"Image", "fr"}, {"document  iconographique", "fr"}}},
                     {"language", plain({"français", "latin"})},
                     {"subject", {{"cartes", "fr"}}},
                     {"rights", {{"libre de droits", "fr"}}}}),
        rules);
    CHECK(record.metadata.dc["type"] == plain({"Image", "StillImage"}));
    CHECK(record.metadata.dc["language"] == plain({"fr-CA", "la"}));
    CHECK(record.metadata.dc["subject"] == std::vector<LangValue>{{"Cartographie", "fr"}});
    CHECK(record.metadata.dc["rights"] == std::vector<LangValue>{{"domaine public", "fr"}});
    CHECK(record.metadata.license == kMark);
    CHECK(record.findings.empty());
}

TEST_CASE("a partner's rule with an empty target drops the value", "[dc_normalise]") {
    PartnerRules rules;
    rules.overrides = {{"description", "Notice en cours de rédaction", ""}, {"date", "s.d.", ""}};
    NormalisedRecord record = normalise_record(
        record_with({{"description", plain({"notice en cours de rédaction", "Feuille 1"})},
                     {"date", plain({"s.d."})}}),
        rules);
    CHECK(record.metadata.dc["description"] == plain({"Feuille 1"}));
    CHECK_FALSE(record.metadata.dc.contains("date"));
    CHECK(record.findings == std::vector<DcFinding>{{FindingKind::missing, "date", ""}});
}

TEST_CASE("mapped values lose their xml:lang, language tags are read as codes or dropped",
          "[dc_normalise]") {
    NormalisedRecord record = normalise_record(record_with({{"title",
                                                             {{"Carte de Cassini", "fre"},
                                                              {"Cassini map", "en-GB"},
                                                              {"Cassinikarte", "Deutsch"},
                                                              {"Mapa", "es_ES!"}}},
                                                            {"type", {{"Carte", "fr"}}},
                                                            {"language", {{"français", "fr"}}}}),
                                               {});
    CHECK(record.metadata.dc["title"] == std::vector<LangValue>{{"Carte de Cassini", "fr"},
                                                                {"Cassini map", "en-GB"},
                                                                {"Cassinikarte", "de"},
                                                                {"Mapa", ""}});
    CHECK(record.metadata.dc["type"] == plain({"StillImage"}));
    CHECK(record.metadata.dc["language"] == plain({"fr"}));
    CHECK(record.findings ==
          std::vector<DcFinding>{{FindingKind::language_tag_dropped, "title", "es_ES!"}});
}

TEST_CASE("values mapped to the same term are one", "[dc_normalise]") {
    NormalisedRecord record = normalise_record(
        record_with(
            {{"type", {{"Texte imprimé", "fr"}, {"Monographie imprimée", "fr"}, {"text", "en"}}},
             {"format", plain({"JPEG", "image/jpeg", "jpg"})}}),
        {});
    CHECK(record.metadata.dc["type"] == plain({"Text"}));
    CHECK(record.metadata.dc["format"] == plain({"image/jpeg"}));
}

TEST_CASE("elements outside the 15 are dropped and reported", "[dc_normalise]") {
    NormalisedRecord record =
        normalise_record(record_with({{"dcterms:spatial", plain({"Lyon"})}}), {});
    CHECK_FALSE(record.metadata.dc.contains("dcterms:spatial"));
    CHECK(record.findings ==
          std::vector<DcFinding>{{FindingKind::unknown_element, "dcterms:spatial", ""}});
}

TEST_CASE(
    "a value over the limit is cut at a character boundary and reported, so the record "
    "is within the catalog's limits",
    "[dc_normalise]") {
    // "é" is two bytes: the limit falls in the middle of one.
    std::string long_text = "a";
    while (long_text.size() <= iiif::kMaxMetadataValueBytes + 10) long_text += "é";
    NormalisedRecord record =
        normalise_record(record_with({{"description", {{long_text, "fr"}}}}), {});
    const std::string& cut = record.metadata.dc["description"].at(0).value;
    CHECK(cut.size() == iiif::kMaxMetadataValueBytes - 1);
    CHECK(cut == long_text.substr(0, iiif::kMaxMetadataValueBytes - 1));
    std::string start = "a";
    while (start.size() < 63) start += "é";
    CHECK(record.findings ==
          std::vector<DcFinding>{{FindingKind::value_cut, "description", start + "..."}});
    CHECK_NOTHROW(iiif::check_metadata_limits(record.metadata));
    iiif::Json json(iiif::object_metadata_to_json(record.metadata));
    CHECK(iiif::parse_object_metadata(iiif::json_text(json.get())) == record.metadata);
}

TEST_CASE("the quality report counts what records lack and their unmapped values",
          "[dc_normalise]") {
    const PartnerRules rules{{}, "http://rightsstatements.org/vocab/InC/1.0/"};
    iiifd::QualityReport report;
    report.add(normalise_record(record_with({}), rules));
    report.add(normalise_record(
        {{"date", plain({"s.d."})}, {"type", plain({"Document iconographique"})}}, rules));
    report.add(normalise_record({{"title", plain({"Plan de Lyon"})},
                                 {"date", plain({"s.d.", "an II"})},
                                 {"rights", plain({"Tous droits réservés"})}},
                                rules));
    CHECK(report.records() == 3);
    CHECK(report.without_title() == 1);
    CHECK(report.without_date() == 0);
    CHECK(report.without_rights() == 2);
    iiif::Json json(report.to_json());
    CHECK(iiif::json_text(json.get(), JSON_COMPACT | JSON_SORT_KEYS) ==
          R"({"records":3,"unmapped":{"date":{"others":0,"values":[{"count":2,"value":"s.d."},)"
          R"({"count":1,"value":"an II"}]},"rights":{"others":0,"values":[{"count":1,"value":)"
          R"("Tous droits réservés"}]},"type":{"others":0,"values":[{"count":1,"value":)"
          R"("Document iconographique"}]}},"without_date":0,"without_rights":2,)"
          R"("without_title":1})");
}

TEST_CASE("the quality report keeps a bounded number of distinct unmapped values per element",
          "[dc_normalise]") {
    iiifd::QualityReport report(2);
    for (const char* date : {"s.d.", "an II", "s.d.", "an III", "an IV", "an II"})
        report.add(normalise_record(record_with({{"date", plain({date})}}), {}));
    REQUIRE(report.unmapped().contains("date"));
    const iiifd::QualityReport::Unmapped& dates = report.unmapped().at("date");
    CHECK(dates.counts == std::map<std::string, size_t>{{"s.d.", 2}, {"an II", 2}});
    CHECK(dates.others == 2);
    iiif::Json json(report.to_json());
    CHECK(
        iiif::json_text(json_object_get(json.get(), "unmapped"), JSON_COMPACT | JSON_SORT_KEYS) ==
        R"({"date":{"others":2,"values":[{"count":2,"value":"an II"},{"count":2,"value":"s.d."}]}})");
}
