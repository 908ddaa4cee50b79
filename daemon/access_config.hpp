// What iiifd's [access], [policies.*], [watermarks.*] and sets' policies become: the settings
// and rules written into the catalog for the module (CatalogWriter::set_access), and the
// password hashes of [access.users.*].
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "access.hpp"
#include "daemon_config.hpp"
#include "dublin_core.hpp"

namespace iiifd {

// The access policies, the default one and the sets (with the policy and watermark each gives
// its objects): iiifd.toml's on a first start, the registry's after (access_registry.hpp).
struct AccessDefinitions {
    std::string default_policy = "public";
    std::vector<iiif::AccessPolicy> policies;  // "public" is implied, unless redefined here
    std::vector<std::pair<std::string, std::string>> policy_watermarks;  // policy -> watermark
    std::vector<SetDefinition> sets;
};
// iiifd.toml's [access] default_policy, [policies.*] and [sets.*].
AccessDefinitions configured_access(const DaemonConfig& config);

// The definitions' policies, [watermarks.*], the SHA-256 digests of the keys that pass every
// policy (and of those that open their editor's institution's images), the cookie's name, and
// where the auth services answer: {public base URL}/auth (nginx proxies /auth/ to iiifd).
iiif::AccessSettings access_settings(
    const DaemonConfig& config, const AccessDefinitions& access,
    std::vector<std::string> key_digests,
    std::vector<std::pair<std::string, std::string>> editor_key_digests = {});
// The default policy, each set's policy and watermark, each policy's watermark, and the home
// institution ([public] institution_id: the owner of objects that name none).
iiif::AccessRules access_rules(const DaemonConfig& config, const AccessDefinitions& access);
// Both as iiifd.toml alone defines them, its [http] api_keys passing every policy.
iiif::AccessSettings access_settings(const DaemonConfig& config);
iiif::AccessRules access_rules(const DaemonConfig& config);

// Whether `text` may be a group (letters, digits and -_.:@): groups travel in signed
// credentials, joined by line feeds; "network:{policy}" is the group of the tokens the
// external access service gives (daemon/auth_service.hpp).
bool is_group(std::string_view text);

// Whether `name` is a [policies.NAME] or "public", the one policy that needs no definition.
bool is_defined_policy(const AccessConfig& access, std::string_view name);

// A deposit's or PATCH's metadata may only name a policy the settings define ("public" always;
// the catalog's: CatalogReader::access_settings): IiifError(400, "metadata: access: ...")
// otherwise, so that no image is published under a policy the module would not know.
void check_access_name(const iiif::AccessSettings& access, const iiif::ObjectMetadata& metadata);

// Passwords are kept as argon2id hashes in libsodium's text form ("$argon2id$v=19$m=...").
// Hashing costs libsodium's interactive limits: some 64 MiB and a tenth of a second.
std::string hash_password(std::string_view password);
// Whether `password` is the one `hash` was made from; in time independent of where they differ.
bool password_matches(const std::string& hash, std::string_view password);
// Whether `text` is an argon2 (argon2id or argon2i) hash libsodium can check passwords against.
bool is_password_hash(const std::string& text);

}  // namespace iiifd
