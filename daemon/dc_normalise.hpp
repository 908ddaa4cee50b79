// Dublin Core as partners write it, made into the catalog's metadata model (issue 18): what the
// harvester applies to every record it takes in, before the record goes the way of a deposit.
// Values are cleaned; dates, languages, types, formats and rights are mapped onto the
// vocabularies the platform publishes (EDTF, ISO 639, DCMI Type, media types, Creative Commons
// and RightsStatements.org URIs); what cannot be mapped is kept as written and reported, per
// record and, summed over a harvest, in a QualityReport. Pure: no I/O, no configuration reading.
#pragma once

#include <jansson.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dublin_core.hpp"

namespace iiifd {

// A harvested record: element name -> (value, xml:lang) in the order the partner wrote them.
using RawDublinCore = std::map<std::string, std::vector<iiif::LangValue>>;

// One rule of a partner's configuration: a value of `element` equal to `source` (after cleaning,
// case-insensitively) becomes `target`, before any built-in table is asked; an empty `target`
// drops the value. The target is final for date, language, type and format; for rights it is the
// text the licence is read from.
struct DcOverride {
    std::string element;
    std::string source;
    std::string target;
};

struct PartnerRules {
    std::vector<DcOverride> overrides;  // the first that matches applies
    // The licence of a record none of whose rights values maps to one: empty, or a URI
    // iiif::is_known_license accepts (the configuration reader checks it).
    std::string default_license;
};

enum class FindingKind {
    unmapped,              // a value of date, language, type, format or rights kept as written
    missing,               // no title, no date, or no rights value at all
    default_license,       // no rights value mapped; `value` is the default given (maybe empty)
    value_cut,             // a value over iiif::kMaxMetadataValueBytes, cut to it (`value`:
                           // its first 64 bytes or fewer, at a character boundary, then "...")
    language_tag_dropped,  // an xml:lang that is not a language tag (`value` is it)
    unknown_element,       // not one of the 15 elements: dropped with its values
};

struct DcFinding {
    FindingKind kind;
    std::string element;
    std::string value;
    bool operator==(const DcFinding&) const = default;
};

struct NormalisedRecord {
    // `dc` and `license` filled; within iiif::check_metadata_limits, and every language tag
    // well-formed, so that parse_object_metadata accepts object_metadata_to_json of it.
    iiif::ObjectMetadata metadata;
    // Unknown elements, then each element's in the order of the 15 and of its values, then what
    // is missing, then the default licence.
    std::vector<DcFinding> findings;
};

// Cleans every value (clean_value; empty ones dropped, then exact duplicates of value and
// language), applies the partner's overrides, maps date, language, type, format and rights (the
// functions below), and cuts values over iiif::kMaxMetadataValueBytes at a character boundary.
// A mapped (or overridden) value of date, language, type or format loses its xml:lang: a code
// belongs to no language. An xml:lang naming a language in iso_language's table becomes its code
// ("fre" -> "fr"), another well-formed tag is kept, a malformed one dropped. Rights values stay
// as written; the first that maps gives the licence, else rules.default_license applies
// (reported, with every rights value as unmapped). Extents in format are kept unreported.
NormalisedRecord normalise_record(const RawDublinCore& raw, const PartnerRules& rules);

// Valid UTF-8 (U+FFFD for what is not), whitespace (any Unicode space or line separator: tab,
// newline, NBSP, U+202F) trimmed and each run inside made one space.
std::string clean_value(std::string_view value);
// How table keys compare: clean_value, then compatibility forms decomposed, case folded and
// accents dropped ("  Institution de  CONSERVATION " -> "institution de conservation").
std::string comparison_key(std::string_view value);

// A date as EDTF level 1, or nullopt. Accepted (case and accents ignored):
//   1789, 1789-07, 1789-07-14 (ISO 8601, checked) -> as they are
//   14/07/1789, 14.07.1789 (day first) -> 1789-07-14
//   14 juillet 1789, 1er juillet 1789, July 14, 1789, July 14 1789 -> 1789-07-14 / 1789-07-01
//   juillet 1789, July 1789 -> 1789-07
//   XVIIIe siecle, XVIII siecle, 18e siecle, XVIIIe s., 18th century -> 17XX (centuries 1 to 21)
//   1850s, annees 1850 -> 185X; 17XX, 185X -> as they are
//   1914-1918, 1914 - 1918, 1914/1918, 1914-08/1918-11-11 -> an interval, start <= end
//   [d] (supplied) and d? -> d?; vers d, ca. d, ca d, circa d, c. d, c1850, environ d, env. d
//   (d also a month and year: vers juillet 1850) and d~ -> d~; [ca d], ca [d] and d% -> d%;
//   brackets or a word around an interval qualify both ends (ca. 1850-1860 -> 1850~/1860~,
//   [1914-1918] -> 1914?/1918?), a mark after its end that end. A qualified century or decade
//   is refused, and so is an interval bounded by one: EDTF level 1 qualifies and bounds
//   intervals with whole dates only.
std::optional<std::string> edtf_date(std::string_view value);

// ISO 639-1 code where one exists, else ISO 639-2/B: French, English, German, Latin, Occitan,
// Breton, Italian, Spanish, Dutch, Portuguese, Basque, Catalan, Greek (el), ancient Greek (grc),
// Hebrew, Arabic, und, zxx, by their French or English name or any of their codes; a tag with a
// region (fr-FR) by its language.
std::optional<std::string> iso_language(std::string_view value);

// The DCMI Type term: French and English names of kinds of documents (texte imprime, manuscrit,
// estampe, carte, enregistrement sonore, ...), the terms themselves, their purl.org URIs, and
// info:eu-repo/semantics/ types of publications (Text).
std::optional<std::string> dcmi_type(std::string_view value);

// A media type: JPEG, TIFF, JPEG 2000, PNG, GIF, PDF by name, extension or media type; any
// other well-formed media type in lower case (text/html).
std::optional<std::string> media_type(std::string_view value);
// A physical description rather than a format: holds a digit ("1 vol. (250 p.)", "24 cm"), or is
// a book size ("in-folio", "in-8").
bool is_extent(std::string_view value);

// A licence URI iiif::is_known_license accepts, or nullopt: Creative Commons by label (English
// or French, abbreviated or whole; version 4.0 when none is given) or URL (https, trailing
// slash), CC0, the Public Domain Mark (also "domaine public", "public domain"), and
// RightsStatements.org statements by label or URI (http://rightsstatements.org/vocab/{code}/1.0/).
std::optional<std::string> license_uri(std::string_view value);

// What a harvest's records lacked and which values could not be mapped, summed over records.
class QualityReport {
  public:
    // At most `max_distinct` unmapped values counted per element; the others' occurrences are
    // summed as "others".
    explicit QualityReport(size_t max_distinct = 1000) : max_distinct_(max_distinct) {}

    void add(const NormalisedRecord& record);

    size_t records() const { return records_; }
    size_t without_title() const { return without_title_; }
    size_t without_date() const { return without_date_; }
    // Records none of whose rights values gave a licence (before the default one).
    size_t without_rights() const { return without_rights_; }

    struct Unmapped {
        std::map<std::string, size_t> counts;  // value -> occurrences
        size_t others = 0;                     // occurrences of values beyond max_distinct
    };
    const std::map<std::string, Unmapped>& unmapped() const { return unmapped_; }

    // {"records": N, "without_title": N, "without_date": N, "without_rights": N,
    //  "unmapped": {"date": {"values": [{"value": "s.d.", "count": 2}, ...], "others": N}}},
    // values by count, most first, then by value. A new reference the caller owns.
    json_t* to_json() const;

  private:
    size_t max_distinct_;
    size_t records_ = 0;
    size_t without_title_ = 0;
    size_t without_date_ = 0;
    size_t without_rights_ = 0;
    std::map<std::string, Unmapped> unmapped_;  // element -> its unmapped values
};

}  // namespace iiifd
