// Who may see what. An image names an access policy (ImageRecord::policy); the module decides
// on every request of it, before any cache lookup or render, whether the requester gets the
// image in full, degraded (scaled to fit a size), or nothing (401 or 403).
//
// Policies, watermarks and the digests of the API keys are iiifd's configuration, written into
// the catalog (meta "access") so the module reads them with the images. The credentials the
// auth services hand out (a session cookie, a bearer access token) are signed with a key iiifd
// and nginx share, and checked here without asking iiifd anything.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace iiif {

// An IPv4 or IPv6 address; IPv4 is held in its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so one
// network list serves both.
struct IpAddress {
    std::array<unsigned char, 16> bytes{};
    bool operator==(const IpAddress&) const = default;
};
std::optional<IpAddress> parse_ip_address(std::string_view text);
IpAddress ipv4_address(const unsigned char bytes[4]);

// "192.0.2.0/24", "2001:db8::/32", or one address (a /32 or /128). Bits beyond the prefix must
// be zero, so a typo such as "10.1.2.3/8" is refused rather than silently widened.
struct Network {
    IpAddress base;
    int prefix_bits = 128;  // over the 128-bit form
    std::string text;       // as configured
    bool contains(const IpAddress& address) const;
};
std::optional<Network> parse_network(std::string_view text);

// A mark put on delivered images (never on the master), for a holding institution.
struct WatermarkSpec {
    std::string name;
    std::string institution;  // the holding institution it marks (ObjectMetadata::provider)
    std::string image;        // a PNG (alpha respected), or:
    std::string text;         // a text, drawn in `color`
    std::string color = "#ffffff";
    // top-left, top, top-right, left, center, right, bottom-left, bottom, bottom-right
    std::string position = "bottom-right";
    double opacity = 0.5;  // 0 < opacity <= 1
    double scale = 0.25;   // the mark's width as a fraction of the output's width
    int margin = 16;       // pixels between the mark and the output's edges
    int min_size = 300;    // outputs whose longer side is below this are not marked (degraded
                           // answers are, at every size)
    bool operator==(const WatermarkSpec&) const = default;
};
bool is_watermark_position(std::string_view position);

enum class PolicyKind {
    open,        // everyone ("public")
    network,     // requesters from the networks (the campus)
    token,       // signed-in users (of the groups, when any are named), and the networks if any
    restricted,  // API-key holders only
};
std::string_view policy_kind_name(PolicyKind kind);
std::optional<PolicyKind> policy_kind_from_name(std::string_view name);

struct AccessPolicy {
    std::string name;
    PolicyKind kind = PolicyKind::open;
    std::vector<Network> networks;
    std::vector<std::string> groups;
    // Who is not let in gets the image scaled to fit this many pixels on its longer side (and
    // no more detail: tiles finer than that are refused); 0: nothing.
    int degraded_size = 0;
    // Whom the image's watermark (ImageRecord::watermark) marks: everyone, or only those who
    // are not let in (then readers in full get clean images).
    bool watermark_unauthorised_only = false;
    // Shown by viewers (IIIF Auth 2.0): the access service's label, and what the probe says
    // to one who is not let in.
    std::string label;
    std::string heading;
    std::string note;
};

// Everything the module needs to decide; iiifd's [access], [policies.*] and [watermarks.*].
struct AccessSettings {
    std::vector<AccessPolicy> policies;  // "public" is implied
    std::vector<WatermarkSpec> watermarks;
    std::vector<std::string> api_key_digests;  // sha256_hex of each API key
    // sha256_hex of each key of an institution's editor, with the institution: such a key opens
    // that institution's images (decide_access's `owner`), as the editor's session does.
    std::vector<std::pair<std::string, std::string>> editor_key_digests;
    std::string cookie_name = "iiif_access";
    // Where the auth services answer, e.g. "https://images.example.org/auth": the access
    // service is {auth_base_url}/login, the token service {…}/token, logout {…}/logout.
    std::string auth_base_url;
    // Who runs the auth services: the platform's institution, named by the access service's
    // and logout service's labels, so users know whom they sign in to (Auth 2.0, 3.3.1, 6.1).
    std::string institution;
    // Names this version of the settings in cache keys (set by access_settings_from_json).
    std::string fingerprint;

    // Null for an unknown name; "public" when not configured otherwise is the open policy.
    const AccessPolicy* policy(std::string_view name) const;
    const WatermarkSpec* watermark(std::string_view name) const;
};
std::string access_settings_to_json(const AccessSettings& settings);
// Throws std::runtime_error on a text not made by access_settings_to_json.
AccessSettings access_settings_from_json(std::string_view text);

// How iiifd gives each object its policy and watermark (into ObjectRecord::policy and every
// ImageRecord's policy and watermark): the object's own choice (ObjectMetadata::access), else
// that of its most specific set that names one, else the default. The watermark is that of the
// most specific set that names one, else that of the policy. A watermark named kInstitutionMark
// is the one whose institution is the object's holding institution (none when there is none).
struct AccessRules {
    std::string default_policy = "public";
    std::vector<std::pair<std::string, std::string>> set_policies;       // set spec -> policy
    std::vector<std::pair<std::string, std::string>> set_watermarks;     // set spec -> watermark
    std::vector<std::pair<std::string, std::string>> policy_watermarks;  // policy -> watermark
    // The institution of objects that name none (records from before institutions).
    std::string home_institution;
    bool operator==(const AccessRules&) const = default;
};
inline constexpr std::string_view kInstitutionMark = "institution";
std::string access_rules_to_json(const AccessRules& rules);
AccessRules access_rules_from_json(std::string_view text);  // throws std::runtime_error
struct ResolvedAccess {
    std::string policy;
    std::string watermark;    // a WatermarkSpec name, or empty
    std::string institution;  // the owner (set by the catalog: the object's, else the home one)
};
// `explicit_policy`: the object's own (empty: none); `sets`: its set_memberships(), sorted.
ResolvedAccess resolve_access(const AccessRules& rules, const AccessSettings& settings,
                              std::string_view explicit_policy,
                              const std::vector<std::string>& sets, std::string_view provider);

// What an auth service hands out, signed: a session (the cookie the access service sets, which
// browsers send with image requests) or an access token (given to a viewer by the token
// service, sent as "Authorization: Bearer" to the probe service and accepted on images too).
struct AccessCredential {
    enum class Kind : unsigned char { session = 1, token = 2 };
    Kind kind = Kind::token;
    std::string subject;              // who: a user name; empty: nobody (a network's token)
    std::vector<std::string> groups;  // kApiKeyGroup for an API-key holder
    std::int64_t expires = 0;         // unix seconds
    bool operator==(const AccessCredential&) const = default;
};
inline constexpr std::string_view kApiKeyGroup = "api-key";
// The group of an institution's editors ("editor/{institution}"): they see its images whatever
// their policy. The '/' is in no group an account may be given (access_config.hpp's is_group).
inline constexpr std::string_view kEditorGroupPrefix = "editor/";
std::string editor_group(std::string_view institution);
// URL- and cookie-safe text ([A-Za-z0-9_-]).
std::string sign_credential(const AccessCredential& credential, std::string_view key);
// Nullopt when altered, forged with another key, malformed or expired at `now`.
std::optional<AccessCredential> verify_credential(std::string_view text, std::string_view key,
                                                  std::int64_t now);

// Credentials already verified, by their text: a viewer sends the same cookie with every tile,
// and an HMAC per tile would cost more than the cache hit it guards. A text found here was
// verified under the same key; its expiry is still checked at each use. Bounded: emptied when
// full. Not thread-safe: one per thread.
class CredentialMemo {
  public:
    std::optional<AccessCredential> verify(std::string_view text, std::string_view key,
                                           std::int64_t now);

  private:
    static constexpr size_t kCapacity = 4096;
    std::string key_;  // the key the entries were verified under
    std::unordered_map<std::string, std::optional<AccessCredential>> known_;
};

// The requester as the module sees it.
struct Requester {
    std::optional<IpAddress> address;  // the connection's peer (after nginx's realip module)
    std::string_view cookie;           // the Cookie header, all of it
    std::string_view authorization;    // the Authorization header
};

enum class Grant { full, degraded, none };
struct AccessDecision {
    Grant grant = Grant::full;
    // When not full: 401 when no valid credential was presented and one could let in (token
    // and restricted policies), 403 otherwise (outside the networks, or signed in but not in a
    // group let in).
    int status = 200;
    int degraded_size = 0;  // for Grant::degraded
};
// `key` is the credentials' signing key (empty: no credential is ever valid); `memo`, when
// given, spares verifying a credential again; `owner`, the institution the image belongs to,
// whose editors (editor_group) are let in in full.
AccessDecision decide_access(const AccessPolicy& policy, const Requester& requester,
                             const AccessSettings& settings, std::string_view key, std::int64_t now,
                             CredentialMemo* memo = nullptr, std::string_view owner = {});

// The IIIF Authorization Flow 2.0 services of a resource under `policy`, as a JSON array text:
// its probe service (`probe_id`), holding the access service that fits the policy (active: the
// login page, for token and restricted policies; external: for network policies, where the
// address is the credential), which holds the token and logout services. The access service is
// left out when settings.auth_base_url is empty.
std::string auth_services_json(const AccessPolicy& policy, const AccessSettings& settings,
                               std::string_view probe_id);
// The probe service's answer (an AuthProbeResult2) for a decision: status 200, or the 401/403
// with a heading, a note and, when degraded, the substitute (`substitute_id`, a JPEG).
std::string probe_result_json(const AccessPolicy& policy, const AccessDecision& decision,
                              std::string_view probe_id, std::string_view substitute_id);

// The value of cookie `name` in a Cookie header; empty when absent.
std::string_view cookie_value(std::string_view header, std::string_view name);
// The credentials of "Authorization: Bearer {credentials}"; empty for another scheme.
std::string_view bearer_credentials(std::string_view authorization);

}  // namespace iiif
