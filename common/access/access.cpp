#include "access.hpp"

#include <arpa/inet.h>
#include <jansson.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "encoding.hpp"
#include "json.hpp"
#include "signing.hpp"

namespace iiif {
namespace {

constexpr std::string_view kOpenPolicy = "public";

// Credential layout: [version][kind][expires u64be][subject u16be length + bytes][groups, joined
// by '\n', u16be length + bytes], then the first 16 bytes of HMAC-SHA-256 over all that.
constexpr unsigned char kCredentialVersion = 1;
constexpr size_t kCredentialMacBytes = 16;

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
        const char a = static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
        if (a != prefix[i]) return false;
    }
    return true;
}

void put_text(std::string& out, std::string_view text) {
    const size_t size = std::min<size_t>(text.size(), 0xFFFF);
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size & 0xFF));
    out.append(text.substr(0, size));
}

json_t* string_array(const std::vector<std::string>& values) {
    json_t* array = json_array();
    for (const std::string& value : values)
        json_array_append_new(array, json_string(value.c_str()));
    return array;
}

std::string text_of(const json_t* object, const char* key) {
    const json_t* value = json_object_get(object, key);
    if (value == nullptr) return "";
    if (!json_is_string(value)) throw std::runtime_error(std::string("access: ") + key);
    return json_string_value(value);
}

std::vector<std::string> texts_of(const json_t* object, const char* key) {
    std::vector<std::string> values;
    const json_t* array = json_object_get(object, key);
    size_t i;
    const json_t* value;
    json_array_foreach(array, i, value) {
        if (!json_is_string(value)) throw std::runtime_error(std::string("access: ") + key);
        values.emplace_back(json_string_value(value));
    }
    return values;
}

json_int_t integer_of(const json_t* object, const char* key, json_int_t fallback) {
    const json_t* value = json_object_get(object, key);
    return json_is_integer(value) ? json_integer_value(value) : fallback;
}

double real_of(const json_t* object, const char* key, double fallback) {
    const json_t* value = json_object_get(object, key);
    return json_is_number(value) ? json_number_value(value) : fallback;
}

}  // namespace

std::optional<IpAddress> parse_ip_address(std::string_view text) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    char buffer[INET6_ADDRSTRLEN];
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    unsigned char bytes[16];
    if (inet_pton(AF_INET, buffer, bytes) == 1) return ipv4_address(bytes);
    IpAddress address;
    if (inet_pton(AF_INET6, buffer, address.bytes.data()) == 1) return address;
    return std::nullopt;
}

IpAddress ipv4_address(const unsigned char bytes[4]) {
    IpAddress address;
    address.bytes[10] = 0xFF;
    address.bytes[11] = 0xFF;
    std::memcpy(address.bytes.data() + 12, bytes, 4);
    return address;
}

bool Network::contains(const IpAddress& address) const {
    const int whole = prefix_bits / 8;
    if (std::memcmp(address.bytes.data(), base.bytes.data(), static_cast<size_t>(whole)) != 0)
        return false;
    const int rest = prefix_bits % 8;
    if (rest == 0) return true;
    const unsigned char mask = static_cast<unsigned char>(0xFF << (8 - rest));
    return (address.bytes[whole] & mask) == (base.bytes[whole] & mask);
}

std::optional<Network> parse_network(std::string_view text) {
    const size_t slash = text.find('/');
    const std::string_view host = text.substr(0, slash);
    auto address = parse_ip_address(host);
    if (!address) return std::nullopt;
    const bool v4 = host.find(':') == std::string_view::npos;
    Network network;
    network.base = *address;
    network.text = std::string(text);
    if (slash == std::string_view::npos) return network;
    const std::string_view digits = text.substr(slash + 1);
    int bits = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || bits < 0 ||
        bits > (v4 ? 32 : 128))
        return std::nullopt;
    network.prefix_bits = v4 ? 96 + bits : bits;
    for (int bit = network.prefix_bits; bit < 128; ++bit)
        if (network.base.bytes[bit / 8] & (0x80 >> (bit % 8))) return std::nullopt;
    return network;
}

bool is_watermark_position(std::string_view position) {
    static constexpr std::string_view kPositions[] = {"top-left",    "top",    "top-right",
                                                      "left",        "center", "right",
                                                      "bottom-left", "bottom", "bottom-right"};
    return std::find(std::begin(kPositions), std::end(kPositions), position) !=
           std::end(kPositions);
}

std::string_view policy_kind_name(PolicyKind kind) {
    switch (kind) {
        case PolicyKind::open:
            return "public";
        case PolicyKind::network:
            return "network";
        case PolicyKind::token:
            return "token";
        case PolicyKind::restricted:
            return "restricted";
    }
    return "public";
}

std::optional<PolicyKind> policy_kind_from_name(std::string_view name) {
    for (PolicyKind kind :
         {PolicyKind::open, PolicyKind::network, PolicyKind::token, PolicyKind::restricted})
        if (policy_kind_name(kind) == name) return kind;
    return std::nullopt;
}

const AccessPolicy* AccessSettings::policy(std::string_view name) const {
    for (const AccessPolicy& policy : policies)
        if (policy.name == name) return &policy;
    if (name == kOpenPolicy) {
        static const AccessPolicy open = [] {
            AccessPolicy policy;
            policy.name = std::string(kOpenPolicy);
            return policy;
        }();
        return &open;
    }
    return nullptr;
}

const WatermarkSpec* AccessSettings::watermark(std::string_view name) const {
    for (const WatermarkSpec& watermark : watermarks)
        if (watermark.name == name) return &watermark;
    return nullptr;
}

namespace {

json_t* pairs_json(const std::vector<std::pair<std::string, std::string>>& pairs) {
    json_t* array = json_array();
    for (const auto& [key, value] : pairs)
        json_array_append_new(array, json_pack("[ss]", key.c_str(), value.c_str()));
    return array;
}

std::vector<std::pair<std::string, std::string>> pairs_of(const json_t* object, const char* key) {
    std::vector<std::pair<std::string, std::string>> pairs;
    size_t i;
    const json_t* item;
    json_array_foreach(json_object_get(object, key), i, item) {
        const json_t* first = json_array_get(item, 0);
        const json_t* second = json_array_get(item, 1);
        if (!json_is_string(first) || !json_is_string(second))
            throw std::runtime_error(std::string("access rules: ") + key);
        pairs.emplace_back(json_string_value(first), json_string_value(second));
    }
    return pairs;
}

// The value for the most specific of `sets` (the longest spec) that has one.
const std::string* most_specific(const std::vector<std::pair<std::string, std::string>>& pairs,
                                 const std::vector<std::string>& sets) {
    const std::pair<std::string, std::string>* best = nullptr;
    for (const auto& pair : pairs)
        if (std::find(sets.begin(), sets.end(), pair.first) != sets.end() &&
            (!best || pair.first.size() > best->first.size()))
            best = &pair;
    return best ? &best->second : nullptr;
}

}  // namespace

std::string access_settings_to_json(const AccessSettings& settings) {
    Json root(json_object());
    json_t* policies = json_array();
    for (const AccessPolicy& policy : settings.policies) {
        json_t* item = json_object();
        json_object_set_new(item, "name", json_string(policy.name.c_str()));
        json_object_set_new(item, "kind",
                            json_string(std::string(policy_kind_name(policy.kind)).c_str()));
        std::vector<std::string> networks;
        for (const Network& network : policy.networks) networks.push_back(network.text);
        json_object_set_new(item, "networks", string_array(networks));
        json_object_set_new(item, "groups", string_array(policy.groups));
        json_object_set_new(item, "degraded_size", json_integer(policy.degraded_size));
        json_object_set_new(item, "watermark_unauthorised_only",
                            json_boolean(policy.watermark_unauthorised_only));
        json_object_set_new(item, "label", json_string(policy.label.c_str()));
        json_object_set_new(item, "heading", json_string(policy.heading.c_str()));
        json_object_set_new(item, "note", json_string(policy.note.c_str()));
        json_array_append_new(policies, item);
    }
    json_object_set_new(root.get(), "policies", policies);
    json_t* watermarks = json_array();
    for (const WatermarkSpec& mark : settings.watermarks) {
        json_t* item = json_object();
        json_object_set_new(item, "name", json_string(mark.name.c_str()));
        json_object_set_new(item, "institution", json_string(mark.institution.c_str()));
        json_object_set_new(item, "image", json_string(mark.image.c_str()));
        json_object_set_new(item, "text", json_string(mark.text.c_str()));
        json_object_set_new(item, "color", json_string(mark.color.c_str()));
        json_object_set_new(item, "position", json_string(mark.position.c_str()));
        json_object_set_new(item, "opacity", json_real(mark.opacity));
        json_object_set_new(item, "scale", json_real(mark.scale));
        json_object_set_new(item, "margin", json_integer(mark.margin));
        json_object_set_new(item, "min_size", json_integer(mark.min_size));
        json_array_append_new(watermarks, item);
    }
    json_object_set_new(root.get(), "watermarks", watermarks);
    json_object_set_new(root.get(), "api_key_digests", string_array(settings.api_key_digests));
    json_object_set_new(root.get(), "editor_key_digests", pairs_json(settings.editor_key_digests));
    json_object_set_new(root.get(), "cookie_name", json_string(settings.cookie_name.c_str()));
    json_object_set_new(root.get(), "auth_base_url", json_string(settings.auth_base_url.c_str()));
    json_object_set_new(root.get(), "institution", json_string(settings.institution.c_str()));
    return json_text(root.get(), JSON_COMPACT | JSON_SORT_KEYS);
}

AccessSettings access_settings_from_json(std::string_view text) {
    json_error_t error;
    Json root(json_loadb(text.data(), text.size(), 0, &error));
    if (!root || !json_is_object(root.get()))
        throw std::runtime_error(std::string("access settings: ") + error.text);
    AccessSettings settings;
    size_t i;
    const json_t* item;
    json_array_foreach(json_object_get(root.get(), "policies"), i, item) {
        AccessPolicy policy;
        policy.name = text_of(item, "name");
        auto kind = policy_kind_from_name(text_of(item, "kind"));
        if (!kind) throw std::runtime_error("access settings: policy kind");
        policy.kind = *kind;
        for (const std::string& network : texts_of(item, "networks")) {
            auto parsed = parse_network(network);
            if (!parsed) throw std::runtime_error("access settings: network " + network);
            policy.networks.push_back(std::move(*parsed));
        }
        policy.groups = texts_of(item, "groups");
        policy.degraded_size = static_cast<int>(integer_of(item, "degraded_size", 0));
        policy.watermark_unauthorised_only =
            json_is_true(json_object_get(item, "watermark_unauthorised_only"));
        policy.label = text_of(item, "label");
        policy.heading = text_of(item, "heading");
        policy.note = text_of(item, "note");
        settings.policies.push_back(std::move(policy));
    }
    json_array_foreach(json_object_get(root.get(), "watermarks"), i, item) {
        WatermarkSpec mark;
        mark.name = text_of(item, "name");
        mark.institution = text_of(item, "institution");
        mark.image = text_of(item, "image");
        mark.text = text_of(item, "text");
        mark.color = text_of(item, "color");
        mark.position = text_of(item, "position");
        mark.opacity = real_of(item, "opacity", mark.opacity);
        mark.scale = real_of(item, "scale", mark.scale);
        mark.margin = static_cast<int>(integer_of(item, "margin", mark.margin));
        mark.min_size = static_cast<int>(integer_of(item, "min_size", mark.min_size));
        settings.watermarks.push_back(std::move(mark));
    }
    settings.api_key_digests = texts_of(root.get(), "api_key_digests");
    settings.editor_key_digests = pairs_of(root.get(), "editor_key_digests");
    settings.cookie_name = text_of(root.get(), "cookie_name");
    settings.auth_base_url = text_of(root.get(), "auth_base_url");
    settings.institution = text_of(root.get(), "institution");
    settings.fingerprint = sha256_hex(text).substr(0, 16);
    return settings;
}

std::string access_rules_to_json(const AccessRules& rules) {
    Json root(json_object());
    json_object_set_new(root.get(), "default_policy", json_string(rules.default_policy.c_str()));
    json_object_set_new(root.get(), "set_policies", pairs_json(rules.set_policies));
    json_object_set_new(root.get(), "set_watermarks", pairs_json(rules.set_watermarks));
    json_object_set_new(root.get(), "policy_watermarks", pairs_json(rules.policy_watermarks));
    if (!rules.home_institution.empty())
        json_object_set_new(root.get(), "home_institution",
                            json_string(rules.home_institution.c_str()));
    return json_text(root.get());
}

AccessRules access_rules_from_json(std::string_view text) {
    json_error_t error;
    Json root(json_loadb(text.data(), text.size(), 0, &error));
    if (!root || !json_is_object(root.get()))
        throw std::runtime_error(std::string("access rules: ") + error.text);
    AccessRules rules;
    rules.default_policy = text_of(root.get(), "default_policy");
    rules.set_policies = pairs_of(root.get(), "set_policies");
    rules.set_watermarks = pairs_of(root.get(), "set_watermarks");
    rules.policy_watermarks = pairs_of(root.get(), "policy_watermarks");
    rules.home_institution = text_of(root.get(), "home_institution");
    return rules;
}

ResolvedAccess resolve_access(const AccessRules& rules, const AccessSettings& settings,
                              std::string_view explicit_policy,
                              const std::vector<std::string>& sets, std::string_view provider) {
    ResolvedAccess resolved;
    if (!explicit_policy.empty()) {
        resolved.policy = std::string(explicit_policy);
    } else if (const std::string* policy = most_specific(rules.set_policies, sets)) {
        resolved.policy = *policy;
    } else {
        resolved.policy = rules.default_policy;
    }
    const std::string* mark = most_specific(rules.set_watermarks, sets);
    if (!mark) {
        for (const auto& [policy, watermark] : rules.policy_watermarks)
            if (policy == resolved.policy) mark = &watermark;
    }
    if (mark && *mark == kInstitutionMark) {
        for (const WatermarkSpec& spec : settings.watermarks)
            if (!provider.empty() && spec.institution == provider) resolved.watermark = spec.name;
    } else if (mark) {
        resolved.watermark = *mark;
    }
    return resolved;
}

std::string sign_credential(const AccessCredential& credential, std::string_view key) {
    std::string payload;
    payload.push_back(static_cast<char>(kCredentialVersion));
    payload.push_back(static_cast<char>(credential.kind));
    const auto expires = static_cast<std::uint64_t>(credential.expires);
    for (int shift = 56; shift >= 0; shift -= 8)
        payload.push_back(static_cast<char>((expires >> shift) & 0xFF));
    put_text(payload, credential.subject);
    std::string groups;
    for (const std::string& group : credential.groups) {
        if (!groups.empty()) groups.push_back('\n');
        groups += group;
    }
    put_text(payload, groups);
    const Digest digest = hmac_sha256(payload, key);
    payload.append(reinterpret_cast<const char*>(digest.data()), kCredentialMacBytes);
    return base64url(payload);
}

std::optional<AccessCredential> verify_credential(std::string_view text, std::string_view key,
                                                  std::int64_t now) {
    if (key.empty() || text.empty() || text.size() > 4096) return std::nullopt;
    std::optional<std::string> bytes = from_base64url(text);
    if (!bytes || bytes->size() < kCredentialMacBytes + 14) return std::nullopt;
    std::string_view payload =
        std::string_view(*bytes).substr(0, bytes->size() - kCredentialMacBytes);
    const Digest digest = hmac_sha256(payload, key);
    if (!equal_secret(digest.data(), bytes->data() + payload.size(), kCredentialMacBytes))
        return std::nullopt;
    if (static_cast<unsigned char>(payload[0]) != kCredentialVersion) return std::nullopt;
    AccessCredential credential;
    const auto kind = static_cast<unsigned char>(payload[1]);
    if (kind != 1 && kind != 2) return std::nullopt;
    credential.kind = static_cast<AccessCredential::Kind>(kind);
    std::uint64_t expires = 0;
    for (int i = 2; i < 10; ++i) expires = (expires << 8) | static_cast<unsigned char>(payload[i]);
    credential.expires = static_cast<std::int64_t>(expires);
    payload.remove_prefix(10);
    auto text_field = [&payload]() -> std::optional<std::string_view> {
        if (payload.size() < 2) return std::nullopt;
        const size_t size =
            (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
        if (payload.size() < 2 + size) return std::nullopt;
        std::string_view value = payload.substr(2, size);
        payload.remove_prefix(2 + size);
        return value;
    };
    auto subject = text_field();
    auto groups = text_field();
    if (!subject || !groups || !payload.empty()) return std::nullopt;
    credential.subject = std::string(*subject);
    for (std::string_view rest = *groups; !rest.empty();) {
        const size_t end = rest.find('\n');
        credential.groups.emplace_back(rest.substr(0, end));
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end + 1);
    }
    if (credential.expires <= now) return std::nullopt;
    return credential;
}

namespace {

constexpr const char* kAuthContext = "http://iiif.io/api/auth/2/context.json";

json_t* language_map(const std::string& text) {
    return json_pack("{s:[s]}", "en", text.c_str());
}

std::string dump_compact(json_t* value) {
    Json owned(value);
    return json_text(owned.get(), JSON_COMPACT | JSON_PRESERVE_ORDER);
}

// The institution as labels name it: the configured one, else the auth services' host.
std::string institution_name(const AccessSettings& settings) {
    if (!settings.institution.empty()) return settings.institution;
    std::string_view host = settings.auth_base_url;
    if (const size_t scheme = host.find("://"); scheme != std::string_view::npos)
        host.remove_prefix(scheme + 3);
    return std::string(host.substr(0, host.find('/')));
}

std::string default_label(const AccessPolicy& policy, const AccessSettings& settings) {
    if (!policy.label.empty()) return policy.label;
    const std::string institution = institution_name(settings);
    switch (policy.kind) {
        case PolicyKind::network:
            return "Available from the network of " + institution;
        case PolicyKind::restricted:
            return "Sign in to " + institution + " with an API key";
        default:
            return "Sign in to " + institution;
    }
}

std::string default_heading(const AccessPolicy& policy) {
    if (!policy.heading.empty()) return policy.heading;
    return policy.degraded_size > 0 ? "This image is shown at a reduced size"
                                    : "This image is not available to you";
}

std::string default_note(const AccessPolicy& policy) {
    if (!policy.note.empty()) return policy.note;
    switch (policy.kind) {
        case PolicyKind::network:
            return "It can be seen in full from the holding institution's network.";
        case PolicyKind::restricted:
            return "It is restricted to the holding institution's staff.";
        default:
            return "Signed-in readers can see it in full.";
    }
}

}  // namespace

std::string auth_services_json(const AccessPolicy& policy, const AccessSettings& settings,
                               std::string_view probe_id) {
    json_t* probe = json_object();
    json_object_set_new(probe, "id", json_stringn(probe_id.data(), probe_id.size()));
    json_object_set_new(probe, "type", json_string("AuthProbeService2"));
    if (!settings.auth_base_url.empty()) {
        const std::string base = settings.auth_base_url;
        json_t* access = json_object();
        json_object_set_new(access, "id", json_string((base + "/login").c_str()));
        json_object_set_new(access, "type", json_string("AuthAccessService2"));
        json_object_set_new(
            access, "profile",
            json_string(policy.kind == PolicyKind::network ? "external" : "active"));
        json_object_set_new(access, "label", language_map(default_label(policy, settings)));
        if (policy.kind != PolicyKind::network) {
            json_object_set_new(access, "heading", language_map(default_heading(policy)));
            json_object_set_new(access, "note", language_map(default_note(policy)));
            json_object_set_new(access, "confirmLabel", language_map("Sign in"));
        }
        json_t* token = json_object();
        json_object_set_new(token, "id", json_string((base + "/token").c_str()));
        json_object_set_new(token, "type", json_string("AuthAccessTokenService2"));
        json_t* logout = json_object();
        json_object_set_new(logout, "id", json_string((base + "/logout").c_str()));
        json_object_set_new(logout, "type", json_string("AuthLogoutService2"));
        json_object_set_new(logout, "label",
                            language_map("Sign out of " + institution_name(settings)));
        json_object_set_new(access, "service", json_pack("[oo]", token, logout));
        json_object_set_new(probe, "service", json_pack("[o]", access));
    }
    return dump_compact(json_pack("[o]", probe));
}

std::string probe_result_json(const AccessPolicy& policy, const AccessDecision& decision,
                              std::string_view probe_id, std::string_view substitute_id) {
    json_t* result = json_object();
    json_object_set_new(result, "@context", json_string(kAuthContext));
    json_object_set_new(result, "id", json_stringn(probe_id.data(), probe_id.size()));
    json_object_set_new(result, "type", json_string("AuthProbeResult2"));
    json_object_set_new(result, "status",
                        json_integer(decision.grant == Grant::full ? 200 : decision.status));
    if (decision.grant != Grant::full) {
        if (decision.grant == Grant::degraded) {
            json_t* substitute = json_object();
            json_object_set_new(substitute, "id",
                                json_stringn(substitute_id.data(), substitute_id.size()));
            json_object_set_new(substitute, "type", json_string("Image"));
            json_object_set_new(substitute, "format", json_string("image/jpeg"));
            json_object_set_new(result, "substitute", json_pack("[o]", substitute));
        }
        json_object_set_new(result, "heading", language_map(default_heading(policy)));
        json_object_set_new(result, "note", language_map(default_note(policy)));
    }
    return dump_compact(result);
}

std::string_view cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        const size_t end = header.find(';');
        std::string_view pair = trim_space(header.substr(0, end));
        const size_t equals = pair.find('=');
        if (equals != std::string_view::npos && trim_space(pair.substr(0, equals)) == name) {
            std::string_view value = trim_space(pair.substr(equals + 1));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            return value;
        }
        if (end == std::string_view::npos) break;
        header.remove_prefix(end + 1);
    }
    return {};
}

std::string_view bearer_credentials(std::string_view authorization) {
    authorization = trim_space(authorization);
    if (!iequals_prefix(authorization, "bearer ")) return {};
    return trim_space(authorization.substr(7));
}

std::optional<AccessCredential> CredentialMemo::verify(std::string_view text, std::string_view key,
                                                       std::int64_t now) {
    if (key != key_) {
        known_.clear();
        key_ = std::string(key);
    }
    auto found = known_.find(std::string(text));
    if (found == known_.end()) {
        if (known_.size() >= kCapacity) known_.clear();
        // Verified with no expiry in view, so that the entry holds whatever the time.
        found = known_.emplace(std::string(text), verify_credential(text, key, INT64_MIN)).first;
    }
    if (!found->second || found->second->expires <= now) return std::nullopt;
    return found->second;
}

std::string editor_group(std::string_view institution) {
    return std::string(kEditorGroupPrefix) + std::string(institution);
}

AccessDecision decide_access(const AccessPolicy& policy, const Requester& requester,
                             const AccessSettings& settings, std::string_view key, std::int64_t now,
                             CredentialMemo* memo, std::string_view owner) {
    auto verify = [&](std::string_view text) {
        return memo ? memo->verify(text, key, now) : verify_credential(text, key, now);
    };
    AccessDecision decision;
    if (policy.kind == PolicyKind::open) return decision;

    const bool inside =
        requester.address &&
        std::any_of(policy.networks.begin(), policy.networks.end(),
                    [&](const Network& network) { return network.contains(*requester.address); });
    if (inside && policy.kind != PolicyKind::restricted) return decision;

    // Credentials: an API key or an access token as bearer, else the session cookie.
    std::optional<AccessCredential> credential;
    const std::string_view bearer = bearer_credentials(requester.authorization);
    if (!bearer.empty()) {
        const bool editors_keys = !owner.empty() && !settings.editor_key_digests.empty();
        if (!settings.api_key_digests.empty() || editors_keys) {
            const std::string digest = sha256_hex(bearer);
            auto same = [&](const std::string& known) {
                return known.size() == digest.size() &&
                       equal_secret(known.data(), digest.data(), digest.size());
            };
            for (const std::string& known : settings.api_key_digests)
                if (same(known)) return decision;
            if (editors_keys)
                for (const auto& [known, institution] : settings.editor_key_digests)
                    if (institution == owner && same(known)) return decision;
        }
        credential = verify(bearer);
    }
    if (!credential && !settings.cookie_name.empty()) {
        const std::string_view cookie = cookie_value(requester.cookie, settings.cookie_name);
        if (!cookie.empty()) credential = verify(cookie);
    }
    // A credential that names nobody (the token service's answer to an address inside a
    // network) only tells the probe what the address already says: it signs no one in, so it
    // cannot be carried off the network to open a token policy.
    if (credential && credential->subject.empty()) credential.reset();
    if (credential) {
        const auto& groups = credential->groups;
        const bool api_key_holder =
            std::find(groups.begin(), groups.end(), kApiKeyGroup) != groups.end();
        if (api_key_holder) return decision;
        if (!owner.empty() &&
            std::any_of(groups.begin(), groups.end(), [&](const std::string& group) {
                return group.size() == kEditorGroupPrefix.size() + owner.size() &&
                       group.starts_with(kEditorGroupPrefix) && group.ends_with(owner);
            }))
            return decision;
        if (policy.kind == PolicyKind::token &&
            (policy.groups.empty() ||
             std::any_of(groups.begin(), groups.end(), [&](const std::string& group) {
                 return std::find(policy.groups.begin(), policy.groups.end(), group) !=
                        policy.groups.end();
             })))
            return decision;
    }

    decision.grant = policy.degraded_size > 0 ? Grant::degraded : Grant::none;
    decision.degraded_size = policy.degraded_size;
    const bool credential_could_help =
        policy.kind == PolicyKind::token || policy.kind == PolicyKind::restricted;
    decision.status = credential || !credential_could_help ? 403 : 401;
    return decision;
}

}  // namespace iiif
