#include "access_config.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "iiif_error.hpp"
#include "signing.hpp"

namespace iiifd {
namespace {

void init_sodium() {
    static const int ready = sodium_init();
    if (ready < 0) throw std::runtime_error("libsodium cannot be initialised");
}

}  // namespace

AccessDefinitions configured_access(const DaemonConfig& config) {
    AccessDefinitions access;
    access.default_policy = config.access.default_policy;
    access.policies = config.access.policies;
    access.policy_watermarks = config.access.policy_watermarks;
    access.sets = config.sets;
    return access;
}

iiif::AccessSettings access_settings(
    const DaemonConfig& config, const AccessDefinitions& access,
    std::vector<std::string> key_digests,
    std::vector<std::pair<std::string, std::string>> editor_key_digests) {
    iiif::AccessSettings settings;
    settings.policies = access.policies;
    settings.watermarks = config.access.watermarks;
    settings.api_key_digests = std::move(key_digests);
    settings.editor_key_digests = std::move(editor_key_digests);
    settings.cookie_name = config.access.cookie_name;
    settings.auth_base_url = config.public_base_url + "/auth";
    settings.institution = config.institution;
    return settings;
}

iiif::AccessRules access_rules(const DaemonConfig& config, const AccessDefinitions& access) {
    iiif::AccessRules rules;
    rules.home_institution = config.institution_id;
    rules.default_policy = access.default_policy;
    for (const SetDefinition& set : access.sets) {
        if (!set.policy.empty()) rules.set_policies.emplace_back(set.spec, set.policy);
        if (!set.watermark.empty()) rules.set_watermarks.emplace_back(set.spec, set.watermark);
    }
    rules.policy_watermarks = access.policy_watermarks;
    return rules;
}

iiif::AccessSettings access_settings(const DaemonConfig& config) {
    std::vector<std::string> digests;
    for (const std::string& key : config.api_keys) digests.push_back(iiif::sha256_hex(key));
    return access_settings(config, configured_access(config), std::move(digests));
}

iiif::AccessRules access_rules(const DaemonConfig& config) {
    return access_rules(config, configured_access(config));
}

bool is_group(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 ||
               std::string_view("-_.:@").find(static_cast<char>(c)) != std::string_view::npos;
    });
}

bool is_defined_policy(const AccessConfig& access, std::string_view name) {
    return name == "public" ||
           std::any_of(access.policies.begin(), access.policies.end(),
                       [&](const iiif::AccessPolicy& policy) { return policy.name == name; });
}

void check_access_name(const iiif::AccessSettings& access, const iiif::ObjectMetadata& metadata) {
    if (metadata.access.empty() || access.policy(metadata.access)) return;
    throw iiif::IiifError(400, "metadata: access: no such policy: \"" + metadata.access + "\"");
}

std::string hash_password(std::string_view password) {
    init_sodium();
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password.data(), password.size(),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        throw std::runtime_error("out of memory hashing the password");
    return hash;
}

bool password_matches(const std::string& hash, std::string_view password) {
    init_sodium();
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool is_password_hash(const std::string& text) {
    init_sodium();
    // -1: not a hash string libsodium reads; 0 or 1: one, made with these limits or others.
    return crypto_pwhash_str_needs_rehash(text.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                          crypto_pwhash_MEMLIMIT_INTERACTIVE) >= 0;
}

}  // namespace iiifd
