// Descriptive metadata of an object: the 15 elements of unqualified Dublin Core, each
// repeatable and with an optional language tag, plus what the platform adds (sets, licence,
// holding institution). One internal record from which manifests, OAI-PMH formats and pages
// are generated.
#pragma once

#include <jansson.h>

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iiif {

// title creator subject description publisher contributor date type format identifier source
// language relation coverage rights, in that order (the order of the DCMES).
extern const std::array<std::string_view, 15> kDublinCoreElements;
bool is_dublin_core_element(std::string_view name);

struct LangValue {
    std::string value;
    std::string lang;  // BCP 47 tag, empty when unknown
    bool operator==(const LangValue&) const = default;
};

struct ObjectMetadata {
    std::map<std::string, std::vector<LangValue>> dc;  // element -> values, in given order
    std::vector<std::string> sets;                     // set specs, hierarchical with ':'
    std::string license;                               // licence URI (CC or RightsStatements)
    std::string provider;                              // the holding institution
    bool operator==(const ObjectMetadata&) const = default;
};

// Parses the deposit API's metadata JSON:
//   {"title": [{"value": "...", "lang": "fr"}], "creator": [...], ..., "sets": ["a:b"],
//    "license": "https://creativecommons.org/licenses/by/4.0/", "provider": "..."}
// A plain string is accepted for an element as one value without a language. Unknown keys,
// wrong types, empty values, malformed set specs or a licence URI that is neither Creative
// Commons nor RightsStatements.org throw IiifError(400) naming the field.
ObjectMetadata parse_object_metadata(std::string_view json_text);
// Applies a PATCH: the keys present in `json_text` replace those of `base` (null removes).
ObjectMetadata patch_object_metadata(const ObjectMetadata& base, std::string_view json_text);

// The same shape as parse accepts; a new reference the caller owns.
json_t* object_metadata_to_json(const ObjectMetadata& metadata);
ObjectMetadata object_metadata_from_json(const json_t* json);  // throws IiifError(400)

bool is_known_license(std::string_view uri);
bool is_valid_set_spec(std::string_view spec);

}  // namespace iiif
