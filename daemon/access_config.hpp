// What iiifd's [access], [policies.*], [watermarks.*] and sets' policies become: the settings
// and rules written into the catalog for the module (CatalogWriter::set_access), and the
// password hashes of [access.users.*].
#pragma once

#include <string>
#include <string_view>

#include "access.hpp"
#include "daemon_config.hpp"
#include "dublin_core.hpp"

namespace iiifd {

// Policies, watermarks, the SHA-256 digests of the API keys, the cookie's name, and where the
// auth services answer: {public base URL}/auth (nginx proxies /auth/ to iiifd).
iiif::AccessSettings access_settings(const DaemonConfig& config);
// The default policy, each set's policy and watermark, and each policy's watermark.
iiif::AccessRules access_rules(const DaemonConfig& config);

// Whether `text` may be a group (letters, digits and -_.:@): groups travel in signed
// credentials, joined by line feeds; "network:{policy}" is the group of the tokens the
// external access service gives (daemon/auth_service.hpp).
bool is_group(std::string_view text);

// Whether `name` is a [policies.NAME] or "public", the one policy that needs no definition.
bool is_defined_policy(const AccessConfig& access, std::string_view name);

// A deposit's or PATCH's metadata may only name a policy the configuration defines ("public"
// always): IiifError(400, "metadata: access: ...") otherwise, so that no image is published
// under a policy the module would not know.
void check_access_name(const DaemonConfig& config, const iiif::ObjectMetadata& metadata);

// Passwords are kept as argon2id hashes in libsodium's text form ("$argon2id$v=19$m=...").
// Hashing costs libsodium's interactive limits: some 64 MiB and a tenth of a second.
std::string hash_password(std::string_view password);
// Whether `password` is the one `hash` was made from; in time independent of where they differ.
bool password_matches(const std::string& hash, std::string_view password);
// Whether `text` is an argon2 (argon2id or argon2i) hash libsodium can check passwords against.
bool is_password_hash(const std::string& text);

}  // namespace iiifd
