// Harvest partners (issue 18): the OAI-PMH data providers whose records and pages this portal
// harvests. A partner is defined in iiifd.toml ([partners."id"]) or through the API
// (PUT /api/v1/partners/{id}, kept in {storage root}/partners.json); both are checked alike.
#pragma once

#include <jansson.h>

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iiifd {

struct DaemonConfig;

// What the harvester does with a record's images.
enum class PartnerImages {
    fetch,     // the pages it points to are fetched into the normal ingest
    metadata,  // metadata only: the object links to the partner's page
};

// A mapping the partner's records need beyond the built-in ones: a value of a Dublin Core
// element (compared after whitespace cleaning, without case) becomes `to`; "" drops it.
struct PartnerRule {
    std::string element;
    std::string from;
    std::string to;
    bool operator==(const PartnerRule&) const = default;
};

struct Partner {
    std::string id;                 // [a-z0-9-], 1 to 64: the table's key, the API's path
    std::string name;               // the partner, as the portal names it
    std::string institution;        // the holding institution: watermark, source mention, provider
    std::string homepage;           // optional, the link of the source mention
    std::string base_url;           // its OAI-PMH base URL, http or https
    std::vector<std::string> sets;  // the sets harvested; empty: all of them
    // Records are always harvested as oai_dc; `extra_prefix` (optional, e.g. "edm") is
    // harvested too and kept verbatim beside the object.
    std::string extra_prefix;
    std::string license;      // the default licence (CC or RightsStatements.org URI)
    std::string shoulder;     // the ARK shoulder its objects are minted under
    // The platform's institution (directory.hpp) its harvested objects belong to, whose editors
    // see and change them; empty: the home institution.
    std::string owner;
    int schedule_hours = 24;  // a harvest every so many hours; 0: only on demand
    PartnerImages images = PartnerImages::fetch;
    int delay_ms = 1000;  // milliseconds between two requests to the partner (0 to 60000)
    std::vector<PartnerRule> rules;
    bool from_api = false;  // defined through the API (else in iiifd.toml)
    bool operator==(const Partner&) const = default;
};

inline constexpr const char* kDefaultPartnerLicense =
    "https://creativecommons.org/licenses/by-nc-nd/4.0/";
inline constexpr size_t kMaxPartnerId = 64;

bool is_partner_id(std::string_view id);

// The set a partner's objects are in, "partner:{id}", inside kPartnersSet: one collection per
// partner on the list page, named after it (PublicRoutes::sets).
inline constexpr std::string_view kPartnersSet = "partner";
std::string partner_set(std::string_view id);
// The partner id of a set "partner:{id}"; empty for any other set.
std::string_view partner_of_set(std::string_view spec);

// Whether complete_partner checks that the shoulder is one of iiifd.toml's [ark.shoulders]
// (iiifd.toml's partners), or leaves it to the caller (the API's, checked against the
// directory's shoulders when defined).
enum class ShoulderCheck { configured, by_caller };
// Fills what the definition leaves out (institution: the name; licence: BY-NC-ND 4.0;
// shoulder: [ark] default_shoulder) and checks the rest against `config`; the first problem as
// "field: why" ("base_url: not an http or https URL"), nullopt when there is none.
std::optional<std::string> complete_partner(Partner& partner, const DaemonConfig& config,
                                            ShoulderCheck shoulder = ShoulderCheck::configured);

// The API's JSON: {"id", "name", "institution", "homepage", "base_url", "sets", "extra_prefix",
// "license", "shoulder", "owner", "schedule_hours", "images": "fetch"|"metadata", "delay_ms",
// "rules": [{"element", "from", "to"}], "defined_in": "iiifd.toml"|"api"}.
json_t* partner_to_json(const Partner& partner);
// A partner from the API's JSON (the same keys but id and defined_in; name and base_url
// required), completed and checked but for its shoulder's and owner's existence (the caller's,
// against the directory): throws IiifError(400, "partner: {field}: {why}").
Partner partner_from_json(std::string_view id, std::string_view json, const DaemonConfig& config);

// Every partner: those of iiifd.toml, then those defined through the API, which are kept in
// {storage root}/partners.json (rewritten atomically at each change). Thread-safe.
class PartnerRegistry {
  public:
    // Reads partners.json when there is one; throws std::runtime_error when it does not read,
    // naming the file and the partner.
    explicit PartnerRegistry(const DaemonConfig& config);

    std::vector<Partner> list() const;
    std::optional<Partner> find(std::string_view id) const;
    // Defines or replaces an API partner; IiifError(409) for one of iiifd.toml. True when it
    // was new.
    bool put(Partner partner);
    // Removes an API partner; IiifError(404) when there is none, 409 for one of iiifd.toml.
    void remove(std::string_view id);

  private:
    void save() const;  // under mutex_

    const DaemonConfig& config_;
    std::string path_;
    mutable std::mutex mutex_;
    std::vector<Partner> api_partners_;
};

}  // namespace iiifd
