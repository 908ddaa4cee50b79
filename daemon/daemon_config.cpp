#include "daemon_config.hpp"

#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "access_config.hpp"
#include "dublin_core.hpp"
#include "watermark.hpp"

namespace iiifd {
namespace {

// Reads typed values out of the parsed document and fails with "{file}: [section] key: why".
// Unknown sections and keys are errors too: a misspelt key silently ignored is a setting the
// administrator believes in and does not have.
class ConfigReader {
  public:
    explicit ConfigReader(std::string file_name) : file_(std::move(file_name)) {}

    [[noreturn]] void fail(std::string_view section, std::string_view key,
                           std::string_view why) const {
        std::string message = file_ + ": [" + std::string(section) + "]";
        if (!key.empty()) message += " " + std::string(key);
        throw std::runtime_error(message + ": " + std::string(why));
    }

    // The table [name] of `parent`, or null when it is absent.
    const toml::table* table(const toml::table& parent, std::string_view name,
                             std::string_view section) const {
        const toml::node* node = parent.get(name);
        if (node == nullptr) return nullptr;
        if (!node->is_table()) fail(section, "", "must be a table");
        return node->as_table();
    }

    void only_keys(const toml::table& table, std::string_view section,
                   std::initializer_list<std::string_view> known) const {
        for (const auto& [key, node] : table) {
            if (std::find(known.begin(), known.end(), key.str()) == known.end())
                fail(section, key.str(), "unknown key");
        }
    }

    std::optional<std::string> string(const toml::table* table, std::string_view section,
                                      std::string_view key) const {
        if (table == nullptr) return std::nullopt;
        const toml::node* node = table->get(key);
        if (node == nullptr) return std::nullopt;
        if (!node->is_string()) fail(section, key, "must be a string");
        return node->as_string()->get();
    }

    std::optional<std::int64_t> integer(const toml::table* table, std::string_view section,
                                        std::string_view key) const {
        if (table == nullptr) return std::nullopt;
        const toml::node* node = table->get(key);
        if (node == nullptr) return std::nullopt;
        if (!node->is_integer()) fail(section, key, "must be an integer");
        return node->as_integer()->get();
    }

    // A float, or an integer taken as one.
    std::optional<double> number(const toml::table* table, std::string_view section,
                                 std::string_view key) const {
        if (table == nullptr) return std::nullopt;
        const toml::node* node = table->get(key);
        if (node == nullptr) return std::nullopt;
        if (node->is_integer()) return static_cast<double>(node->as_integer()->get());
        if (!node->is_floating_point()) fail(section, key, "must be a number");
        return node->as_floating_point()->get();
    }

    void read(const toml::table* table, std::string_view section, std::string_view key,
              std::string& into) const {
        if (auto value = string(table, section, key)) into = *value;
    }

    void read(const toml::table* table, std::string_view section, std::string_view key,
              bool& into) const {
        if (table == nullptr) return;
        const toml::node* node = table->get(key);
        if (node == nullptr) return;
        if (!node->is_boolean()) fail(section, key, "must be true or false");
        into = node->as_boolean()->get();
    }

    // An integer in [low, high], stored in `into`.
    template <typename Int>
    void read(const toml::table* table, std::string_view section, std::string_view key, Int& into,
              std::int64_t low, std::int64_t high) const {
        std::optional<std::int64_t> value = integer(table, section, key);
        if (!value) return;
        if (*value < low || *value > high)
            fail(section, key,
                 "must be between " + std::to_string(low) + " and " + std::to_string(high));
        into = static_cast<Int>(*value);
    }

    std::vector<std::string> strings(const toml::table* table, std::string_view section,
                                     std::string_view key) const {
        std::vector<std::string> values;
        if (table == nullptr) return values;
        const toml::node* node = table->get(key);
        if (node == nullptr) return values;
        if (!node->is_array()) fail(section, key, "must be an array of strings");
        for (const toml::node& element : *node->as_array()) {
            if (!element.is_string()) fail(section, key, "must be an array of strings");
            values.push_back(element.as_string()->get());
        }
        return values;
    }

    void require_absolute(std::string_view section, std::string_view key,
                          const std::string& path) const {
        if (path.empty()) fail(section, key, "required");
        if (path.front() != '/') fail(section, key, "must be an absolute path");
    }

  private:
    std::string file_;
};

bool is_alnum(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(),
                                        [](unsigned char c) { return std::isalnum(c) != 0; });
}

std::string default_consumer_name() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
        std::snprintf(host, sizeof host, "iiifd");
    return std::string(host) + "-" + std::to_string(getpid());
}

bool is_http_url(std::string_view text) {
    return text.starts_with("http://") || text.starts_with("https://");
}

std::string without_trailing_slash(std::string path) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    return path;
}

// An address as OAI-PMH's schema takes it: \S+@(\S+\.)+\S+.
bool is_email(std::string_view text) {
    const size_t at = text.find('@');
    if (at == 0 || at == std::string_view::npos) return false;
    if (std::any_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); }))
        return false;
    const std::string_view domain = text.substr(at + 1);
    const size_t dot = domain.rfind('.');
    return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size();
}

constexpr std::int64_t kMaxPort = 65535;
constexpr std::int64_t kMaxInt = std::numeric_limits<int>::max();
constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();
constexpr size_t kMinApiKeyLength = 16;
constexpr std::int64_t kMaxLifetime = 366 * 86400;

// Policy and watermark names: what object metadata's "access" may hold (dublin_core.hpp).
bool is_name(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '-' || c == '_';
    });
}
constexpr std::string_view kNameRule = "a name is letters, digits, '-' and '_'";

// Groups travel in signed credentials, joined by line feeds; "network:{policy}" is the group of
// the tokens the external access service gives (daemon/auth_service.hpp).
bool is_group(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 ||
               std::string_view("-_.:@").find(static_cast<char>(c)) != std::string_view::npos;
    });
}

// An HTTP token (RFC 9110): what header and cookie names are made of.
bool is_http_token(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 ||
               std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                   std::string_view::npos;
    });
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

std::vector<iiif::Network> networks(const ConfigReader& reader, const toml::table* table,
                                    std::string_view section, std::string_view key) {
    std::vector<iiif::Network> networks;
    const std::vector<std::string> texts = reader.strings(table, section, key);
    for (size_t i = 0; i < texts.size(); ++i) {
        std::optional<iiif::Network> network = iiif::parse_network(texts[i]);
        if (!network)
            reader.fail(section, std::string(key) + "[" + std::to_string(i) + "]",
                        "not a network: \"" + texts[i] +
                            "\" (an address, or address/prefix length with no bits set beyond "
                            "the prefix)");
        networks.push_back(std::move(*network));
    }
    return networks;
}

std::vector<std::string> groups(const ConfigReader& reader, const toml::table* table,
                                std::string_view section, const std::string& key = "groups") {
    std::vector<std::string> groups = reader.strings(table, section, key);
    for (size_t i = 0; i < groups.size(); ++i)
        if (!is_group(groups[i]))
            reader.fail(section, key + "[" + std::to_string(i) + "]",
                        "not a group: \"" + groups[i] + "\" (letters, digits and -_.:@)");
    return groups;
}

// A fraction in (0, 1], stored in `into`.
void read_fraction(const ConfigReader& reader, const toml::table* table, std::string_view section,
                   std::string_view key, double& into) {
    std::optional<double> value = reader.number(table, section, key);
    if (!value) return;
    if (!(*value > 0.0 && *value <= 1.0))
        reader.fail(section, key, "must be above 0 and at most 1");
    into = *value;
}

bool policy_is_defined(const AccessConfig& access, std::string_view name) {
    return name == "public" ||
           std::any_of(access.policies.begin(), access.policies.end(),
                       [&](const iiif::AccessPolicy& policy) { return policy.name == name; });
}

void require_policy(const ConfigReader& reader, const AccessConfig& access,
                    std::string_view section, std::string_view key, const std::string& name) {
    if (!policy_is_defined(access, name))
        reader.fail(section, key, "\"" + name + "\" is not among [policies] (nor \"public\")");
}

void require_watermark(const ConfigReader& reader, const AccessConfig& access,
                       std::string_view section, std::string_view key, const std::string& name) {
    if (name.empty() || name == iiif::kInstitutionMark) return;
    if (std::none_of(access.watermarks.begin(), access.watermarks.end(),
                     [&](const iiif::WatermarkSpec& mark) { return mark.name == name; }))
        reader.fail(section, key,
                    "\"" + name + "\" is not among [watermarks] (nor \"institution\")");
}

void read_watermarks(const ConfigReader& reader, const toml::table& root, AccessConfig& access) {
    const toml::table* watermarks = reader.table(root, "watermarks", "watermarks");
    if (watermarks == nullptr) return;
    for (const auto& [key, node] : *watermarks) {
        const std::string section = "watermarks." + std::string(key.str());
        if (!is_name(key.str())) reader.fail(section, "", kNameRule);
        if (key.str() == iiif::kInstitutionMark)
            reader.fail(section, "",
                        "\"institution\" stands for the holding institution's watermark; "
                        "choose another name");
        if (!node.is_table()) reader.fail(section, "", "must be a table");
        const toml::table* entry = node.as_table();
        reader.only_keys(*entry, section,
                         {"institution", "image", "text", "color", "position", "opacity", "scale",
                          "margin", "min_size"});
        iiif::WatermarkSpec mark;
        mark.name = std::string(key.str());
        reader.read(entry, section, "institution", mark.institution);
        reader.read(entry, section, "image", mark.image);
        reader.read(entry, section, "text", mark.text);
        if (mark.image.empty() == mark.text.empty())
            reader.fail(section, "", "give an image or a text (one of them)");
        if (!mark.image.empty()) reader.require_absolute(section, "image", mark.image);
        reader.read(entry, section, "color", mark.color);
        if (!is_hex_color(mark.color)) reader.fail(section, "color", "must be #rrggbb");
        reader.read(entry, section, "position", mark.position);
        if (!iiif::is_watermark_position(mark.position))
            reader.fail(section, "position",
                        "must be top-left, top, top-right, left, center, right, bottom-left, "
                        "bottom or bottom-right");
        read_fraction(reader, entry, section, "opacity", mark.opacity);
        read_fraction(reader, entry, section, "scale", mark.scale);
        reader.read(entry, section, "margin", mark.margin, 0, 10000);
        reader.read(entry, section, "min_size", mark.min_size, 0, 100000);
        // The rest, such as whether the image is a PNG libvips reads, as the renderer sees it.
        if (std::optional<std::string> problem = iiif::watermark_problem(mark))
            reader.fail(section, "", *problem);
        access.watermarks.push_back(std::move(mark));
    }
}

void read_policies(const ConfigReader& reader, const toml::table& root, AccessConfig& access) {
    const toml::table* policies = reader.table(root, "policies", "policies");
    if (policies == nullptr) return;
    for (const auto& [key, node] : *policies) {
        const std::string section = "policies." + std::string(key.str());
        if (!is_name(key.str())) reader.fail(section, "", kNameRule);
        if (!node.is_table()) reader.fail(section, "", "must be a table");
        const toml::table* entry = node.as_table();
        reader.only_keys(*entry, section,
                         {"kind", "networks", "groups", "degraded_size", "watermark",
                          "watermark_unauthorised_only", "label", "heading", "note"});
        iiif::AccessPolicy policy;
        policy.name = std::string(key.str());
        std::string kind;
        reader.read(entry, section, "kind", kind);
        if (kind.empty())
            reader.fail(section, "kind", "required (public, network, token or restricted)");
        std::optional<iiif::PolicyKind> parsed = iiif::policy_kind_from_name(kind);
        if (!parsed)
            reader.fail(section, "kind",
                        "\"" + kind + "\" is not public, network, token or restricted");
        policy.kind = *parsed;
        if (policy.name == "public" && policy.kind != iiif::PolicyKind::open)
            reader.fail(section, "kind",
                        "the policy \"public\" lets everyone in: its kind must be \"public\"");
        policy.networks = networks(reader, entry, section, "networks");
        if (policy.kind == iiif::PolicyKind::network && policy.networks.empty())
            reader.fail(section, "networks", "required for a network policy");
        if (!policy.networks.empty() && policy.kind != iiif::PolicyKind::network &&
            policy.kind != iiif::PolicyKind::token)
            reader.fail(section, "networks", "only network and token policies let networks in");
        policy.groups = groups(reader, entry, section);
        if (!policy.groups.empty() && policy.kind != iiif::PolicyKind::token)
            reader.fail(section, "groups", "only token policies let groups in");
        reader.read(entry, section, "degraded_size", policy.degraded_size, 0, 65535);
        if (policy.degraded_size > 0 && policy.kind == iiif::PolicyKind::open)
            reader.fail(section, "degraded_size", "a public policy shows everyone the full image");
        std::string watermark;
        reader.read(entry, section, "watermark", watermark);
        require_watermark(reader, access, section, "watermark", watermark);
        reader.read(entry, section, "watermark_unauthorised_only",
                    policy.watermark_unauthorised_only);
        reader.read(entry, section, "label", policy.label);
        reader.read(entry, section, "heading", policy.heading);
        reader.read(entry, section, "note", policy.note);
        if (!watermark.empty()) access.policy_watermarks.emplace_back(policy.name, watermark);
        access.policies.push_back(std::move(policy));
    }
}

// [access] with [access.users.*], [policies.*] and [watermarks.*]; before [sets], which name
// policies and watermarks.
void read_access(const ConfigReader& reader, const toml::table& root, DaemonConfig& config) {
    AccessConfig& access = config.access;
    read_watermarks(reader, root, access);
    read_policies(reader, root, access);

    const toml::table* table = reader.table(root, "access", "access");
    if (table != nullptr)
        reader.only_keys(*table, "access",
                         {"default_policy", "key_file", "cookie_name", "session_lifetime",
                          "token_lifetime", "remote_user_header", "trusted_proxies", "users"});
    reader.read(table, "access", "default_policy", access.default_policy);
    require_policy(reader, access, "access", "default_policy", access.default_policy);
    access.key_file = config.storage_root + "/access.key";
    reader.read(table, "access", "key_file", access.key_file);
    reader.require_absolute("access", "key_file", access.key_file);
    reader.read(table, "access", "cookie_name", access.cookie_name);
    if (!is_http_token(access.cookie_name))
        reader.fail("access", "cookie_name",
                    "must be a cookie name (letters, digits and !#$%&'*+-.^_`|~)");
    reader.read(table, "access", "session_lifetime", access.session_lifetime, 60, kMaxLifetime);
    reader.read(table, "access", "token_lifetime", access.token_lifetime, 60, kMaxLifetime);
    reader.read(table, "access", "remote_user_header", access.remote_user_header);
    if (!access.remote_user_header.empty() && !is_http_token(access.remote_user_header))
        reader.fail("access", "remote_user_header",
                    "must be a header name (letters, digits and !#$%&'*+-.^_`|~)");
    if (table != nullptr && table->get("trusted_proxies") != nullptr) {
        access.trusted_proxies = networks(reader, table, "access", "trusted_proxies");
    } else {
        access.trusted_proxies = {*iiif::parse_network("127.0.0.1"), *iiif::parse_network("::1")};
    }

    const toml::table* users =
        table != nullptr ? reader.table(*table, "users", "access.users") : nullptr;
    if (users == nullptr) return;
    for (const auto& [key, node] : *users) {
        const std::string section = "access.users." + std::string(key.str());
        if (!is_user_name(key.str()))
            reader.fail(section, "", "a user name is at most 256 printable bytes");
        if (!node.is_table()) reader.fail(section, "", "must be a table");
        const toml::table* entry = node.as_table();
        reader.only_keys(*entry, section, {"password_hash", "groups"});
        AccessUser user;
        user.name = std::string(key.str());
        reader.read(entry, section, "password_hash", user.password_hash);
        // Behind a single sign-on proxy a user may be listed for their groups alone.
        if (user.password_hash.empty() && access.remote_user_header.empty())
            reader.fail(section, "password_hash", "required (make one with `iiifd hash-password`)");
        if (!user.password_hash.empty() && !is_password_hash(user.password_hash))
            reader.fail(section, "password_hash",
                        "not an argon2 hash (make one with `iiifd hash-password`)");
        user.groups = groups(reader, entry, section);
        access.users.push_back(std::move(user));
    }
}

}  // namespace

DaemonConfig load_daemon_config(const std::string& path) {
    const std::string file_name = std::filesystem::path(path).filename().string();
    ConfigReader reader(file_name.empty() ? path : file_name);

    std::error_code error_code;
    if (!std::filesystem::is_regular_file(path, error_code))
        throw std::runtime_error(path + ": no such configuration file");
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& error) {
        const toml::source_position& at = error.source().begin;
        std::string where = file_name;
        if (at.line > 0) where += ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
        throw std::runtime_error(where + ": " + std::string(error.description()));
    }

    for (const auto& [key, node] : root) {
        static constexpr std::string_view kSections[] = {
            "storage", "redis", "ark",    "public",   "http",       "ingest",
            "oai",     "sets",  "access", "policies", "watermarks", "cache"};
        if (std::find(std::begin(kSections), std::end(kSections), key.str()) == std::end(kSections))
            reader.fail(key.str(), "", "unknown section");
    }

    DaemonConfig config;

    const toml::table* storage = reader.table(root, "storage", "storage");
    if (storage != nullptr) reader.only_keys(*storage, "storage", {"root", "catalog", "staging"});
    reader.read(storage, "storage", "root", config.storage_root);
    reader.require_absolute("storage", "root", config.storage_root);
    config.storage_root = without_trailing_slash(config.storage_root);
    config.catalog_path = config.storage_root + "/catalog.mdb";
    reader.read(storage, "storage", "catalog", config.catalog_path);
    reader.require_absolute("storage", "catalog", config.catalog_path);
    config.staging_dir = config.storage_root + "/staging";
    reader.read(storage, "storage", "staging", config.staging_dir);
    reader.require_absolute("storage", "staging", config.staging_dir);
    config.staging_dir = without_trailing_slash(config.staging_dir);

    const toml::table* redis = reader.table(root, "redis", "redis");
    if (redis != nullptr)
        reader.only_keys(*redis, "redis",
                         {"host", "port", "ingest_stream", "events_stream", "consumer_group",
                          "consumer_name", "reclaim_idle_seconds"});
    reader.read(redis, "redis", "host", config.redis_host);
    if (config.redis_host.empty()) reader.fail("redis", "host", "must not be empty");
    reader.read(redis, "redis", "port", config.redis_port, 1, kMaxPort);
    reader.read(redis, "redis", "ingest_stream", config.ingest_stream);
    if (config.ingest_stream.empty()) reader.fail("redis", "ingest_stream", "must not be empty");
    reader.read(redis, "redis", "events_stream", config.events_stream);
    if (config.events_stream.empty()) reader.fail("redis", "events_stream", "must not be empty");
    reader.read(redis, "redis", "consumer_group", config.consumer_group);
    if (config.consumer_group.empty()) reader.fail("redis", "consumer_group", "must not be empty");
    reader.read(redis, "redis", "consumer_name", config.consumer_name);
    if (config.consumer_name.empty()) config.consumer_name = default_consumer_name();
    reader.read(redis, "redis", "reclaim_idle_seconds", config.reclaim_idle_seconds, 1, 86400);

    const toml::table* ark = reader.table(root, "ark", "ark");
    if (ark == nullptr) reader.fail("ark", "", "required (naan, shoulders)");
    reader.only_keys(
        *ark, "ark",
        {"naan", "check_profile", "default_shoulder", "shoulders", "policy", "global_resolver"});
    reader.read(ark, "ark", "policy", config.ark_policy);
    if (config.ark_policy.empty()) reader.fail("ark", "policy", "must not be empty");
    reader.read(ark, "ark", "global_resolver", config.global_resolver);
    if (!config.global_resolver.empty()) {
        if (!is_http_url(config.global_resolver))
            reader.fail("ark", "global_resolver", "must start with http:// or https://");
        if (!config.global_resolver.ends_with('/')) config.global_resolver += '/';
    }
    reader.read(ark, "ark", "naan", config.naan);
    if (!is_alnum(config.naan)) reader.fail("ark", "naan", "must be 5 digits or betanumeric");
    std::string profile = "inist";
    reader.read(ark, "ark", "check_profile", profile);
    if (profile == "inist") {
        config.check_profile = iiif::CheckProfile::inist;
    } else if (profile == "noid") {
        config.check_profile = iiif::CheckProfile::noid;
    } else {
        reader.fail("ark", "check_profile", "must be \"inist\" or \"noid\"");
    }
    const toml::table* shoulders = reader.table(*ark, "shoulders", "ark.shoulders");
    if (shoulders == nullptr || shoulders->empty())
        reader.fail("ark", "shoulders", "at least one shoulder must be registered");
    for (const auto& [key, node] : *shoulders) {
        const std::string section = "ark.shoulders." + std::string(key.str());
        if (key.str().size() != 3 || !is_alnum(key.str()))
            reader.fail(section, "", "a shoulder must be 3 letters or digits");
        if (!node.is_table()) reader.fail(section, "", "must be a table");
        const toml::table* entry = node.as_table();
        reader.only_keys(*entry, section, {"name", "subject", "description", "service"});
        Shoulder shoulder;
        shoulder.shoulder = std::string(key.str());
        reader.read(entry, section, "name", shoulder.name);
        if (shoulder.name.empty()) reader.fail(section, "name", "required");
        reader.read(entry, section, "subject", shoulder.subject);
        reader.read(entry, section, "description", shoulder.description);
        reader.read(entry, section, "service", shoulder.service);
        config.shoulders.push_back(std::move(shoulder));
    }
    reader.read(ark, "ark", "default_shoulder", config.default_shoulder);
    if (config.default_shoulder.empty()) {
        if (config.shoulders.size() != 1)
            reader.fail("ark", "default_shoulder",
                        "required when several shoulders are registered");
        config.default_shoulder = config.shoulders.front().shoulder;
    }
    if (std::none_of(config.shoulders.begin(), config.shoulders.end(),
                     [&](const Shoulder& s) { return s.shoulder == config.default_shoulder; }))
        reader.fail("ark", "default_shoulder",
                    "\"" + config.default_shoulder + "\" is not among [ark.shoulders]");

    const toml::table* public_ = reader.table(root, "public", "public");
    if (public_ != nullptr)
        reader.only_keys(*public_, "public",
                         {"base_url", "institution", "institution_homepage", "landing_page",
                          "oai_repository_identifier"});
    reader.read(public_, "public", "base_url", config.public_base_url);
    if (!is_http_url(config.public_base_url))
        reader.fail("public", "base_url", "must start with http:// or https://");
    while (config.public_base_url.ends_with('/')) config.public_base_url.pop_back();
    reader.read(public_, "public", "institution", config.institution);
    reader.read(public_, "public", "institution_homepage", config.institution_homepage);
    if (!config.institution_homepage.empty() && !is_http_url(config.institution_homepage))
        reader.fail("public", "institution_homepage", "must start with http:// or https://");
    reader.read(public_, "public", "landing_page", config.landing_page);
    if (!config.landing_page.starts_with('/') && !is_http_url(config.landing_page))
        reader.fail("public", "landing_page",
                    "must be a path starting with / or an http:// or https:// URL");
    reader.read(public_, "public", "oai_repository_identifier", config.oai_repository_identifier);

    const toml::table* http = reader.table(root, "http", "http");
    if (http == nullptr) reader.fail("http", "", "required (api_keys)");
    reader.only_keys(*http, "http", {"host", "port", "api_keys", "deposit_groups"});
    reader.read(http, "http", "host", config.listen_host);
    if (config.listen_host.empty()) reader.fail("http", "host", "must not be empty");
    reader.read(http, "http", "port", config.listen_port, 1, kMaxPort);
    config.api_keys = reader.strings(http, "http", "api_keys");
    if (config.api_keys.empty()) reader.fail("http", "api_keys", "at least one key is required");
    for (size_t i = 0; i < config.api_keys.size(); ++i) {
        if (config.api_keys[i].size() < kMinApiKeyLength)
            reader.fail("http", "api_keys",
                        "key " + std::to_string(i + 1) + " is shorter than " +
                            std::to_string(kMinApiKeyLength) + " characters");
    }
    if (http->contains("deposit_groups"))
        config.deposit_groups = groups(reader, http, "http", "deposit_groups");

    const toml::table* ingest = reader.table(root, "ingest", "ingest");
    if (ingest != nullptr)
        reader.only_keys(
            *ingest, "ingest",
            {"workers", "master_format", "jpeg_quality", "tile_size", "max_file_bytes",
             "max_pixels", "max_files_per_object", "hot_folder", "hot_folder_settle_seconds"});
    reader.read(ingest, "ingest", "workers", config.workers, 1, 64);
    reader.read(ingest, "ingest", "master_format", config.master_format);
    if (config.master_format != "tiff" && config.master_format != "jp2")
        reader.fail("ingest", "master_format", "must be \"tiff\" or \"jp2\"");
    reader.read(ingest, "ingest", "jpeg_quality", config.master_jpeg_quality, 1, 100);
    reader.read(ingest, "ingest", "tile_size", config.master_tile_size, 16, 4096);
    if (config.master_tile_size % 16 != 0)
        reader.fail("ingest", "tile_size", "must be a multiple of 16 (TIFF tiles)");
    reader.read(ingest, "ingest", "max_file_bytes", config.max_file_bytes, 1, kMaxInt64);
    reader.read(ingest, "ingest", "max_pixels", config.max_pixels, 1, kMaxInt64);
    reader.read(ingest, "ingest", "max_files_per_object", config.max_files_per_object, 1, kMaxInt);
    reader.read(ingest, "ingest", "hot_folder", config.hot_folder);
    if (!config.hot_folder.empty()) {
        reader.require_absolute("ingest", "hot_folder", config.hot_folder);
        config.hot_folder = without_trailing_slash(config.hot_folder);
    }
    reader.read(ingest, "ingest", "hot_folder_settle_seconds", config.hot_folder_settle_seconds, 1,
                86400);

    const toml::table* oai = reader.table(root, "oai", "oai");
    if (oai != nullptr)
        reader.only_keys(*oai, "oai",
                         {"repository_name", "admin_email", "page_size", "token_lifetime",
                          "token_key_file", "max_concurrent", "retry_after"});
    config.oai.repository_name = config.institution;
    reader.read(oai, "oai", "repository_name", config.oai.repository_name);
    if (config.oai.repository_name.empty()) config.oai.repository_name = "IIIF repository";
    if (oai != nullptr && oai->get("admin_email") != nullptr &&
        oai->get("admin_email")->is_string()) {
        config.oai.admin_emails = {*reader.string(oai, "oai", "admin_email")};
    } else {
        config.oai.admin_emails = reader.strings(oai, "oai", "admin_email");
    }
    if (config.oai.admin_emails.empty()) {
        const std::string host = iiif::oai_repository_identifier(publication_settings(config));
        config.oai.admin_emails = {"oai-admin@" +
                                   (host.find('.') != std::string::npos && is_email("x@" + host)
                                        ? host
                                        : std::string("localhost.localdomain"))};
    }
    for (const std::string& email : config.oai.admin_emails)
        if (!is_email(email))
            reader.fail("oai", "admin_email", "\"" + email + "\" is no e-mail address");
    reader.read(oai, "oai", "page_size", config.oai.page_size, 1, 10000);
    reader.read(oai, "oai", "token_lifetime", config.oai.token_lifetime, 60, 10LL * 366 * 86400);
    config.oai.token_key_file = config.storage_root + "/oai-token.key";
    reader.read(oai, "oai", "token_key_file", config.oai.token_key_file);
    reader.require_absolute("oai", "token_key_file", config.oai.token_key_file);
    reader.read(oai, "oai", "max_concurrent", config.oai.max_concurrent, 1, 1024);
    reader.read(oai, "oai", "retry_after", config.oai.retry_after, 1, 3600);

    read_access(reader, root, config);

    if (const toml::table* sets = reader.table(root, "sets", "sets")) {
        for (const auto& [key, node] : *sets) {
            const std::string section = "sets." + std::string(key.str());
            if (!iiif::is_valid_set_spec(key.str()))
                reader.fail(section, "",
                            "not a set spec (segments of letters, digits and -_.!~*'() "
                            "separated by ':')");
            if (!node.is_table()) reader.fail(section, "", "must be a table");
            const toml::table* entry = node.as_table();
            reader.only_keys(*entry, section, {"name", "description", "policy", "watermark"});
            SetDefinition set;
            set.spec = std::string(key.str());
            reader.read(entry, section, "name", set.name);
            if (set.name.empty()) reader.fail(section, "name", "required");
            reader.read(entry, section, "description", set.description);
            reader.read(entry, section, "policy", set.policy);
            if (!set.policy.empty())
                require_policy(reader, config.access, section, "policy", set.policy);
            reader.read(entry, section, "watermark", set.watermark);
            require_watermark(reader, config.access, section, "watermark", set.watermark);
            config.sets.push_back(std::move(set));
        }
    }

    const toml::table* cache = reader.table(root, "cache", "cache");
    if (cache != nullptr) reader.only_keys(*cache, "cache", {"tile_cache"});
    reader.read(cache, "cache", "tile_cache", config.tile_cache_dir);
    if (!config.tile_cache_dir.empty()) {
        reader.require_absolute("cache", "tile_cache", config.tile_cache_dir);
        config.tile_cache_dir = without_trailing_slash(config.tile_cache_dir);
    }

    return config;
}

iiif::PublicationSettings publication_settings(const DaemonConfig& config) {
    iiif::PublicationSettings settings;
    settings.base_url = config.public_base_url;
    settings.oai_repository_identifier = config.oai_repository_identifier;
    settings.landing_page = config.landing_page;
    settings.institution = config.institution;
    settings.institution_homepage = config.institution_homepage;
    settings.naan = config.naan;
    for (const Shoulder& shoulder : config.shoulders)
        settings.shoulders.push_back({shoulder.shoulder, shoulder.name, shoulder.subject,
                                      shoulder.description, shoulder.service});
    settings.ark_policy = config.ark_policy;
    settings.global_resolver = config.global_resolver;
    return settings;
}

}  // namespace iiifd
