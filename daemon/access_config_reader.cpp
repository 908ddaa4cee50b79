// Reading [access], [access.users.*], [policies.*] and [watermarks.*]: each entry's name, then its
// keys, each checked against what the module and the access service can enforce.
#include "access_config_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <utility>

#include "access_config.hpp"
#include "auth_service.hpp"
#include "dublin_core.hpp"
#include "watermark.hpp"

namespace iiifd {
namespace {

constexpr std::int64_t kMaxLifetime = 366 * 86400;

// Policy and watermark names: what object metadata's "access" may hold (dublin_core.hpp).
bool is_name(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '-' || c == '_';
    });
}
constexpr std::string_view kNameRule = "a name is letters, digits, '-' and '_'";

// An HTTP token (RFC 9110): what header and cookie names are made of.
bool is_http_token(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 ||
               std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                   std::string_view::npos;
    });
}

// Origins as `origin_of` writes them, or "*" (any).
std::vector<std::string> read_origins(const ConfigSection& section, std::string_view key) {
    std::vector<std::string> origins = section.strings(key);
    for (size_t i = 0; i < origins.size(); ++i) {
        if (origins[i] == "*") continue;
        if (!is_origin(origins[i])) {
            section.report(
                std::string(key) + "[" + std::to_string(i) + "]",
                "not an origin: \"" + origins[i] + "\" (scheme://host[:port], or \"*\" for any)");
            continue;
        }
        origins[i] = origin_of(origins[i]);
    }
    return origins;
}

// A user name goes into the session cookie and the logs: printable, at most 256 bytes.
bool is_user_name(std::string_view text) {
    return !text.empty() && text.size() <= 256 &&
           std::none_of(text.begin(), text.end(),
                        [](unsigned char c) { return c < 0x20 || c == 0x7F; });
}

bool is_hex_color(std::string_view text) {
    return text.size() == 7 && text[0] == '#' &&
           std::all_of(text.begin() + 1, text.end(),
                       [](unsigned char c) { return std::isxdigit(c) != 0; });
}

std::vector<iiif::Network> read_networks(const ConfigSection& section, std::string_view key) {
    std::vector<iiif::Network> networks;
    const std::vector<std::string> texts = section.strings(key);
    for (size_t i = 0; i < texts.size(); ++i) {
        std::optional<iiif::Network> network = iiif::parse_network(texts[i]);
        if (!network) {
            section.report(std::string(key) + "[" + std::to_string(i) + "]",
                           "not a network: \"" + texts[i] +
                               "\" (an address, or address/prefix length with no bits set "
                               "beyond the prefix)");
            continue;
        }
        networks.push_back(std::move(*network));
    }
    return networks;
}

// [watermarks.NAME], once its name is judged (`before`: the problems reported until then).
iiif::WatermarkSpec read_watermark(const ConfigSection& entry, size_t before) {
    entry.only_keys({"institution", "image", "text", "color", "position", "opacity", "scale",
                     "margin", "min_size"});
    iiif::WatermarkSpec mark;
    mark.name = entry.key();
    entry.read("institution", mark.institution);
    entry.read("image", mark.image);
    entry.read("text", mark.text);
    if (mark.image.empty() == mark.text.empty())
        entry.report("", "give an image or a text (one of them)");
    if (!mark.image.empty()) entry.require_absolute("image", mark.image);
    entry.read("color", mark.color);
    if (!is_hex_color(mark.color)) entry.report("color", "must be #rrggbb");
    entry.read("position", mark.position);
    if (!iiif::is_watermark_position(mark.position))
        entry.report("position",
                     "must be top-left, top, top-right, left, center, right, bottom-left, "
                     "bottom or bottom-right");
    entry.read_fraction("opacity", mark.opacity);
    entry.read_fraction("scale", mark.scale);
    entry.read("margin", mark.margin, 0, 10000);
    entry.read("min_size", mark.min_size, 0, 100000);
    // The rest, such as whether the image is a PNG libvips reads, as the renderer sees it, of a
    // watermark that read well.
    if (entry.reported() == before) {
        if (std::optional<std::string> problem = iiif::watermark_problem(mark))
            entry.report("", *problem);
    }
    return mark;
}

void read_watermarks(const ConfigSection& root, AccessConfig& access) {
    const ConfigSection watermarks = root.section("watermarks");
    for (const ConfigSection& entry : watermarks.sections()) {
        const size_t before = entry.reported();
        if (!is_name(entry.key())) entry.report("", kNameRule);
        if (entry.key() == iiif::kInstitutionMark)
            entry.report("",
                         "\"institution\" stands for the holding institution's watermark; "
                         "choose another name");
        access.watermarks.push_back(read_watermark(entry, before));
    }
}

// The kind of [policies.NAME], which decides which of its other keys make sense; none when it
// is reported.
std::optional<iiif::PolicyKind> read_policy_kind(const ConfigSection& entry) {
    std::string kind;
    if (!entry.read("kind", kind)) return std::nullopt;
    if (kind.empty()) {
        entry.report("kind", "required (public, network, token or restricted)");
        return std::nullopt;
    }
    std::optional<iiif::PolicyKind> parsed = iiif::policy_kind_from_name(kind);
    if (!parsed) {
        entry.report("kind", "\"" + kind + "\" is not public, network, token or restricted");
    } else if (entry.key() == "public" && *parsed != iiif::PolicyKind::open) {
        entry.report("kind", "the policy \"public\" lets everyone in: its kind must be \"public\"");
        return std::nullopt;
    }
    return parsed;
}

// Who a policy lets in besides everyone: networks (network and token policies) and groups
// (token policies); judged against its kind when that was read well.
void read_policy_members(const ConfigSection& entry, bool kind_known, iiif::AccessPolicy& policy) {
    const size_t before = entry.reported();
    policy.networks = read_networks(entry, "networks");
    if (kind_known && entry.reported() == before) {
        if (policy.kind == iiif::PolicyKind::network && policy.networks.empty())
            entry.report("networks", "required for a network policy");
        if (!policy.networks.empty() && policy.kind != iiif::PolicyKind::network &&
            policy.kind != iiif::PolicyKind::token)
            entry.report("networks", "only network and token policies let networks in");
    }
    policy.groups = read_groups(entry, "groups");
    if (kind_known && !policy.groups.empty() && policy.kind != iiif::PolicyKind::token)
        entry.report("groups", "only token policies let groups in");
}

}  // namespace

iiif::AccessPolicy read_policy_entry(const ConfigSection& entry, AccessConfig& access) {
    if (!is_name(entry.key())) entry.report("", kNameRule);
    entry.only_keys({"kind", "networks", "groups", "degraded_size", "watermark",
                     "watermark_unauthorised_only", "label", "heading", "note"});
    iiif::AccessPolicy policy;
    policy.name = entry.key();
    const std::optional<iiif::PolicyKind> kind = read_policy_kind(entry);
    if (kind) policy.kind = *kind;
    read_policy_members(entry, kind.has_value(), policy);
    entry.read("degraded_size", policy.degraded_size, 0, 65535);
    if (kind && policy.degraded_size > 0 && policy.kind == iiif::PolicyKind::open)
        entry.report("degraded_size", "a public policy shows everyone the full image");
    std::string watermark;
    entry.read("watermark", watermark);
    require_watermark(entry, "watermark", access, watermark);
    entry.read("watermark_unauthorised_only", policy.watermark_unauthorised_only);
    entry.read("label", policy.label);
    entry.read("heading", policy.heading);
    entry.read("note", policy.note);
    if (!watermark.empty()) access.policy_watermarks.emplace_back(policy.name, watermark);
    return policy;
}

SetDefinition read_set_entry(const ConfigSection& entry, const AccessConfig& access) {
    if (!iiif::is_valid_set_spec(entry.key())) {
        entry.report("",
                     "not a set spec (segments of letters, digits and -_.!~*'() "
                     "separated by ':')");
    } else if (entry.key().size() > iiif::kMaxSetSpecLength) {
        entry.report("", "longer than " + std::to_string(iiif::kMaxSetSpecLength) + " characters");
    }
    entry.only_keys({"name", "description", "policy", "watermark"});
    SetDefinition set;
    set.spec = entry.key();
    entry.read_required("name", set.name);
    entry.read("description", set.description);
    entry.read("policy", set.policy);
    if (!set.policy.empty()) require_policy(entry, "policy", access, set.policy);
    entry.read("watermark", set.watermark);
    require_watermark(entry, "watermark", access, set.watermark);
    return set;
}

namespace {

// After [watermarks], which policies name.
void read_policies(const ConfigSection& root, AccessConfig& access) {
    const ConfigSection policies = root.section("policies");
    for (const ConfigSection& entry : policies.sections())
        access.policies.push_back(read_policy_entry(entry, access));
}

// [access] but its users; after [policies], which default_policy names.
void read_access_settings(const ConfigSection& table, const std::string& storage_root,
                          const std::vector<std::string>& own_origins, AccessConfig& access) {
    if (!table.only_keys({"default_policy", "key_file", "cookie_name", "session_lifetime",
                          "token_lifetime", "remote_user_header", "trusted_proxies",
                          "token_origins", "users"}))
        return;
    if (table.read("default_policy", access.default_policy))
        require_policy(table, "default_policy", access, access.default_policy);
    access.key_file = storage_root + "/access.key";
    table.read("key_file", access.key_file);
    table.require_absolute("key_file", access.key_file);
    table.read("cookie_name", access.cookie_name);
    if (!is_http_token(access.cookie_name))
        table.report("cookie_name", "must be a cookie name (letters, digits and !#$%&'*+-.^_`|~)");
    table.read("session_lifetime", access.session_lifetime, 60, kMaxLifetime);
    table.read("token_lifetime", access.token_lifetime, 60, kMaxLifetime);
    table.read("remote_user_header", access.remote_user_header);
    if (!access.remote_user_header.empty() && !is_http_token(access.remote_user_header))
        table.report("remote_user_header",
                     "must be a header name (letters, digits and !#$%&'*+-.^_`|~)");
    if (table.has("trusted_proxies")) {
        access.trusted_proxies = read_networks(table, "trusted_proxies");
    } else {
        access.trusted_proxies = {*iiif::parse_network("127.0.0.1"), *iiif::parse_network("::1")};
    }
    access.token_origins =
        table.has("token_origins") ? read_origins(table, "token_origins") : own_origins;
}

// [access.users.NAME]; after remote_user_header, which lets a user go without a password.
void read_users(const ConfigSection& table, AccessConfig& access) {
    const ConfigSection users = table.section("users");
    for (const ConfigSection& entry : users.sections()) {
        if (!is_user_name(entry.key()))
            entry.report("", "a user name is at most 256 printable bytes");
        entry.only_keys({"password_hash", "groups"});
        AccessUser user;
        user.name = entry.key();
        const bool hash_read = entry.read("password_hash", user.password_hash);
        // Behind a single sign-on proxy a user may be listed for their groups alone.
        if (hash_read && user.password_hash.empty() && access.remote_user_header.empty())
            entry.report("password_hash", "required (make one with `iiifd hash-password`)");
        if (!user.password_hash.empty() && !is_password_hash(user.password_hash))
            entry.report("password_hash",
                         "not an argon2 hash (make one with `iiifd hash-password`)");
        user.groups = read_groups(entry, "groups");
        access.users.push_back(std::move(user));
    }
}

}  // namespace

AccessConfig read_access_config(const ConfigSection& root, const std::string& storage_root,
                                const std::vector<std::string>& own_origins) {
    AccessConfig access;
    read_watermarks(root, access);
    read_policies(root, access);
    const ConfigSection table = root.section("access");
    read_access_settings(table, storage_root, own_origins, access);
    read_users(table, access);
    return access;
}

std::vector<std::string> read_groups(const ConfigSection& section, std::string_view key) {
    std::vector<std::string> groups = section.strings(key);
    for (size_t i = 0; i < groups.size(); ++i)
        if (!is_group(groups[i]))
            section.report(std::string(key) + "[" + std::to_string(i) + "]",
                           "not a group: \"" + groups[i] + "\" (letters, digits and -_.:@)");
    return groups;
}

void require_policy(const ConfigSection& section, std::string_view key, const AccessConfig& access,
                    const std::string& name) {
    if (!is_defined_policy(access, name))
        section.report(key, "\"" + name + "\" is not among [policies] (nor \"public\")");
}

void require_watermark(const ConfigSection& section, std::string_view key,
                       const AccessConfig& access, const std::string& name) {
    if (name.empty() || name == iiif::kInstitutionMark) return;
    if (std::none_of(access.watermarks.begin(), access.watermarks.end(),
                     [&](const iiif::WatermarkSpec& mark) { return mark.name == name; }))
        section.report(key, "\"" + name + "\" is not among [watermarks] (nor \"institution\")");
}

}  // namespace iiifd
