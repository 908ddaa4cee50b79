// The platform's access policies, its default policy and its OAI-PMH sets (with the policy and
// watermark a set gives its objects), kept in the catalog's registry beside the directory and
// managed by administrators through the API (/api/v1/policies, /api/v1/sets) and the access
// page. iiifd.toml's [policies.*], [access] default_policy and [sets.*] are moved into it once,
// on the first start with a registry that has none (bootstrap()); [watermarks.*] stay in
// iiifd.toml, since they name files on this machine.
//
// apply() gives the catalog what they define: the sets ListSets names (with the partners'
// own), and the settings and rules the module decides with and every object gets its policy
// and watermark by (CatalogWriter::set_access, which remakes the objects' documents when they
// change). Each change is checked and made in one registry transaction, written to the audit
// log, then applied.
#pragma once

#include <jansson.h>

#include <mutex>
#include <string>
#include <string_view>

#include "access_config.hpp"
#include "audit_log.hpp"
#include "catalog.hpp"
#include "daemon_config.hpp"
#include "directory.hpp"

namespace iiifd {

class AccessRegistry {
  public:
    // Applies itself again whenever the directory's administrators' or editors' keys change.
    AccessRegistry(const DaemonConfig& config, iiif::CatalogWriter& catalog, Directory& directory);
    AccessRegistry(const AccessRegistry&) = delete;
    AccessRegistry& operator=(const AccessRegistry&) = delete;
    ~AccessRegistry();

    // Moves iiifd.toml's policies, default policy and sets into a registry that has never had
    // them. Returns what it did, for the log ("" when nothing).
    std::string bootstrap();
    // Gives the catalog the registry's definitions (one apply at a time).
    void apply();

    // As the registry holds them. std::runtime_error when a stored definition no longer reads
    // (a watermark it names was taken out of iiifd.toml).
    AccessDefinitions definitions() const;

    // `body`: the policy as policy_to_json writes it ("name" and "builtin" ignored). Makes
    // (true) or replaces (false) it. IiifError 400 for a bad name or field, with iiifd.toml's
    // rules and messages.
    bool put_policy(const Actor& actor, const std::string& name, std::string_view body);
    // IiifError 404 for an unknown policy; 409 for the built-in "public" (unless redefined:
    // then its redefinition goes), the default policy, or one a set or an object names.
    void remove_policy(const Actor& actor, const std::string& name);
    // IiifError 400 for an unknown policy.
    void set_default_policy(const Actor& actor, const std::string& name);

    // `body`: {"name" (required), "description", "policy", "watermark"}. True when made.
    bool put_set(const Actor& actor, const std::string& spec, std::string_view body);
    // IiifError 404 for an unknown set. Its objects stay in it (their metadata names it).
    void remove_set(const Actor& actor, const std::string& spec);

  private:
    // What iiifd.toml defines that a definition may name: its watermarks, and `policies`.
    AccessConfig known(const AccessDefinitions& definitions) const;
    // Whether an object's own metadata names the policy.
    bool named_by_an_object(const std::string& policy) const;

    const DaemonConfig& config_;
    iiif::CatalogWriter& catalog_;
    Directory& directory_;
    std::mutex apply_mutex_;
};

// {"name", "kind", "builtin", "networks", "groups", "degraded_size", "watermark",
//  "watermark_unauthorised_only", "label", "heading", "note"}
json_t* policy_to_json(const iiif::AccessPolicy& policy, const std::string& watermark,
                       bool builtin);
// {"spec", "name", "description", "policy", "watermark"}
json_t* set_to_json(const SetDefinition& set);
// The watermark a policy gives its objects ("" none).
std::string policy_watermark(const AccessDefinitions& definitions, const std::string& policy);

}  // namespace iiifd
