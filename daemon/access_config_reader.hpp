// Reading iiifd.toml's [access], [access.users.*], [policies.*] and [watermarks.*] into
// AccessConfig, and the checks the other sections make of what they name: groups ([http]
// deposit_groups) and policies and watermarks ([sets.*]).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config_section.hpp"
#include "daemon_config.hpp"

namespace iiifd {

// `root` is the whole document; the key file defaults to {storage_root}/access.key, the token
// service's origins to `own_origins` (the site's). Read before [sets], which name policies and
// watermarks.
AccessConfig read_access_config(const ConfigSection& root, const std::string& storage_root,
                                const std::vector<std::string>& own_origins);

// [policies.NAME] (its name judged too); the watermark it names must be among access.watermarks
// and goes to access.policy_watermarks. Each reader reports every problem of its entry to the
// section's list (config_section.hpp) and returns what it read all the same.
iiif::AccessPolicy read_policy_entry(const ConfigSection& entry, AccessConfig& access);
// [sets."spec"] (its spec judged too); the policy and watermark it names must be in `access`.
SetDefinition read_set_entry(const ConfigSection& entry, const AccessConfig& access);

// The array `key` of group names.
std::vector<std::string> read_groups(const ConfigSection& section, std::string_view key);

// Reports `key` unless `name` is a [policies.NAME] or "public".
void require_policy(const ConfigSection& section, std::string_view key, const AccessConfig& access,
                    const std::string& name);
// Reports `key` unless `name` is empty, a [watermarks.NAME] or "institution".
void require_watermark(const ConfigSection& section, std::string_view key,
                       const AccessConfig& access, const std::string& name);

}  // namespace iiifd
