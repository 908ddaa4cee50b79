// Descriptive metadata of an object: the 15 elements of unqualified Dublin Core, each
// repeatable and with an optional language tag, plus what the platform adds (sets, licence,
// holding institution, and how a viewer should present it), and, for an object harvested from a
// partner, its origin (origin.hpp). One internal record from which manifests, OAI-PMH formats and
// pages are generated.
#pragma once

#include <jansson.h>

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "origin.hpp"

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
    std::string shelfmark;  // where the holding institution keeps it ("Ms. 1234", "Latin 8878")
    // The object's own access policy (access.hpp), a name iiifd's configuration defines; empty:
    // that of its sets, else the default.
    std::string access;
    // IIIF Presentation 3.0 hints for the manifest: "behavior" values valid on a Manifest, and
    // "viewingDirection"; empty when not given.
    std::vector<std::string> behavior;
    std::string viewing_direction;
    // Set by iiifd for a record it harvested, never by a depositor (origin.hpp).
    std::optional<ObjectOrigin> origin;
    bool operator==(const ObjectMetadata&) const = default;
};

// The longest a set spec and a value may be. A set spec is part of the catalog's index keys,
// beside a datestamp and the object's ARK (LMDB's keys hold at most 511 bytes); a value goes
// into the object's records and documents, whole.
inline constexpr size_t kMaxSetSpecLength = 200;         // characters (a set spec is ASCII)
inline constexpr size_t kMaxMetadataValueBytes = 16384;  // bytes of UTF-8, per value
// Checks `metadata` against them, throwing IiifError(400, "metadata: {field}: longer than
// {limit} characters|bytes") for the first value over its limit, the field as in "sets[0]",
// "description[2]", "provider" or "origin.link" (each text of the origin is a value). Every write
// of an object's record checks it first.
void check_metadata_limits(const ObjectMetadata& metadata);

// Parses the deposit API's metadata JSON:
//   {"title": [{"value": "...", "lang": "fr"}], "creator": [...], ..., "sets": ["a:b"],
//    "license": "https://creativecommons.org/licenses/by/4.0/", "provider": "...",
//    "shelfmark": "Ms. 1234",
//    "behavior": ["paged"], "viewingDirection": "right-to-left", "access": "campus"}
// A plain string is accepted for an element as one value without a language (and for "sets" or
// "behavior" as one value); null or [] is no value; a set named twice is one. Unknown keys,
// wrong types, empty (or blank) values, malformed language tags or set specs, or a licence URI
// that is neither Creative Commons (licenses/{by,by-sa,by-nd,by-nc,by-nc-sa,by-nc-nd}/{x.y}/
// [jurisdiction/], publicdomain/zero/1.0/, publicdomain/mark/1.0/) nor a RightsStatements.org
// statement (vocab/{code}/1.0/), http or https, throw IiifError(400, "metadata: {field}:
// {what}"), the field as in "title", "title[2]", "title[2].lang", "sets[0]", "license",
// "behavior[1]" or "document". So do a behavior that is not valid on a Manifest (auto-advance,
// no-auto-advance, repeat, no-repeat, unordered, individuals, continuous, paged), one named twice
// or one disjoint with an earlier one (the spec's pairs: auto-advance and no-auto-advance, repeat
// and no-repeat, any two of the four layouts), and a viewingDirection other than left-to-right,
// right-to-left, top-to-bottom or bottom-to-top. "access" must be a name of [A-Za-z0-9_-]
// (whether the configuration defines it is iiifd's check). The result is within the limits
// (check_metadata_limits). "origin" is an unknown field here: what a depositor sends never
// claims to come from a partner.
ObjectMetadata parse_object_metadata(std::string_view json_text);
// Applies a PATCH: the keys present in `json_text` replace those of `base` (null removes); the
// result is checked as parse_object_metadata's is, limits included. "origin" is an unknown field
// of a PATCH too; the base's origin stays as it was.
ObjectMetadata patch_object_metadata(const ObjectMetadata& base, std::string_view json_text);

// The same shape as parse accepts, with "origin" when there is one; a new reference the caller
// owns.
json_t* object_metadata_to_json(const ObjectMetadata& metadata);
// Reads a stored record's metadata (the catalog's record, object.json, a job iiifd queued): the
// same checks as parse, but the limits, so that a record written before them can be read,
// reported and mended; and "origin" is read (origin_from_json). Throws IiifError(400).
ObjectMetadata object_metadata_from_json(const json_t* json);

bool is_known_license(std::string_view uri);
// Non-empty segments of [A-Za-z0-9_.!~*'()-] separated by ':' (OAI-PMH setSpec).
bool is_valid_set_spec(std::string_view spec);
// The shape of a BCP 47 tag, [a-zA-Z]{2,8}(-[a-zA-Z0-9]{1,8})*, not its registry.
bool is_valid_language_tag(std::string_view tag);

}  // namespace iiif
