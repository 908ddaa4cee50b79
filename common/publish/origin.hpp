// Where an object came from when it was harvested from a partner over OAI-PMH: the partner, the
// record there, and when it was taken. It travels with the object's metadata (ObjectMetadata's
// `origin`, dublin_core.hpp) into the object's record and object.json, and out as the
// <provenance> of its OAI-PMH records (the OAI-PMH 2.0 guidelines for provenance).
//
// Only iiifd sets it, when it harvests: the deposit API, the hot folder and `iiifd ingest` refuse
// it as an unknown field (parse_object_metadata), a PATCH can neither set nor remove it, and
// only the reading of a stored record (object_metadata_from_json) accepts it.
//
// Stored as the member "origin" of the metadata's JSON:
//   {"partner": "bm-lyon", "base_url": "https://oai.example.org/oai",
//    "identifier": "oai:example.org:123", "datestamp": "2024-01-31",
//    "metadata_namespace": "http://www.openarchives.org/OAI/2.0/oai_dc/",
//    "harvested": 1780272000, "link": "https://example.org/record/123"}
// every member required but "link".
#pragma once

#include <jansson.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace iiif {

struct ObjectOrigin {
    std::string partner;             // the partner's id ([partners."id"] in iiifd.toml)
    std::string base_url;            // its OAI-PMH base URL, http or https
    std::string identifier;          // the record's OAI identifier there
    std::string datestamp;           // the record's datestamp there, as given: day or second
    std::string metadata_namespace;  // of the format harvested
    std::int64_t harvested = 0;      // when it was harvested, unix seconds
    std::string link;                // the record's page at the partner; empty when unknown
    bool operator==(const ObjectOrigin&) const = default;
};

// The text members with their JSON names, in the order above: what the length limits apply to.
std::vector<std::pair<const char*, const std::string*>> origin_texts(const ObjectOrigin& origin);

// A new reference the caller owns.
json_t* origin_to_json(const ObjectOrigin& origin);
// Throws IiifError(400, "metadata: origin.{member}: {what}") for a missing member, one of the
// wrong type or empty, an unknown one, a base URL or link that is not http(s), or a datestamp
// that is neither YYYY-MM-DD nor YYYY-MM-DDThh:mm:ssZ.
ObjectOrigin origin_from_json(const json_t* json);

}  // namespace iiif
