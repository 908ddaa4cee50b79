// The directory: the institutions that share the platform, the accounts of their people with a
// role each, and the API keys that act for an account. Kept in the catalog's registry
// (CatalogWriter::edit_registry), every change checked and made in one transaction and written
// to the audit log (audit_log.hpp) first.
//
//   administrator  manages institutions, accounts, API keys, partners, shoulders, sets and
//                  policies; deposits for and changes the objects of any institution; purges
//   editor         deposits, edits, withdraws and reinstates the objects of their own
//                  institution, and nothing else
//   reader         signs in to see what the access policies open to their groups; no API
//
// An account signs in with its password (argon2id, access_config.hpp) at /auth/login, or
// through a trusted single sign-on proxy; an API key (shown once when made, kept as its SHA-256)
// carries its account's rights, and stops working when revoked or when its account is
// disabled. On its first start with a catalog, iiifd moves what iiifd.toml held into the
// directory, once (bootstrap()): the home institution ([public] institution_id and
// institution), each [access.users.NAME] (an editor of the home institution when one of its
// groups is among [http] deposit_groups, else a reader), and [http] api_keys as keys of the
// administrator account "admin" ("admin-keys" when a configured user is called "admin"). From then on the directory is managed through the API
// (/api/v1/institutions, /api/v1/accounts), the accounts page and `iiifd account`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit_log.hpp"
#include "catalog.hpp"
#include "daemon_config.hpp"

namespace iiifd {

enum class Role { reader = 0, editor = 1, administrator = 2 };
std::string_view role_name(Role role);
std::optional<Role> role_of_name(std::string_view name);

struct Institution {
    std::string id;  // [a-z0-9][a-z0-9-]*, at most 32: in objects, accounts, shoulders
    std::string name;
    std::string homepage;  // optional, http(s)
    std::int64_t created = 0;
    std::string shoulder{};  // the shoulder its deposits are minted under; empty: the default
};

// A sub-publisher of the NAAN: a shoulder, its code allocated by the platform (or registered in
// iiifd.toml, [ark.shoulders.XXX]) and never given to another, with a name and description the
// resolver's `?info` on ark:/NAAN/{code} shows, and the institution it belongs to.
struct ShoulderRecord {
    std::string code;  // 3 characters of the check profile's alphabet, e.g. "39D", "10B"
    std::string name;
    std::string subject;
    std::string description;
    std::string service;  // optional: where ark:/NAAN/{code} itself leads
    std::string institution;
    // Deposits into one of these sets (or their subsets) are minted under it.
    std::vector<std::string> sets;
    bool configured = false;  // from iiifd.toml
    std::int64_t created = 0;
};

// What an administrator sends to make or change a shoulder: absent fields stay as they are.
struct ShoulderChange {
    std::optional<std::string> name{};
    std::optional<std::string> subject{};
    std::optional<std::string> description{};
    std::optional<std::string> service{};
    std::optional<std::string> institution{};
    std::optional<std::vector<std::string>> sets{};
};

struct Account {
    std::string name;  // letters, digits and -_.@, at most 64; the session's subject
    std::string display_name;
    std::string email;
    Role role = Role::reader;
    std::string institution;
    std::vector<std::string> groups;  // the access policies' groups (letters, digits, -_.:@)
    std::string password_hash;        // argon2id; empty: no password (keys, single sign-on)
    bool disabled = false;
    std::int64_t created = 0;
    std::int64_t updated = 0;
};

struct ApiKey {
    std::string id;  // the first 12 hex digits of its SHA-256: how it is named and logged
    std::string account;
    std::string label;
    std::int64_t created = 0;
    std::int64_t revoked = 0;  // 0: in use
};

// The account name the keys of [http] api_keys belong to after bootstrap().
inline constexpr std::string_view kBootstrapAdmin = "admin";
// The shortest password an account may be given.
inline constexpr size_t kMinPasswordLength = 12;

// What an administrator sends to make or change an account: absent fields stay as they are (a
// new account's role is "reader", its institution the home one).
struct AccountChange {
    std::optional<std::string> display_name{};
    std::optional<std::string> email{};
    std::optional<std::string> institution{};
    std::optional<std::string> password{};
    std::optional<Role> role{};
    std::optional<std::vector<std::string>> groups{};
    std::optional<bool> disabled{};
};

class Directory {
  public:
    Directory(const DaemonConfig& config, iiif::CatalogWriter& catalog, AuditLog& audit);

    // Moves iiifd.toml's institution, users and API keys into a directory that has never been
    // bootstrapped; makes the home institution when it is missing (the configuration named
    // another one since). Returns what it did, for the log ("" when nothing).
    std::string bootstrap();

    // The institution objects belong to when nothing says otherwise (the hot folder's, iiifd
    // ingest's, a record from before institutions): [public] institution_id.
    const std::string& home_institution() const { return home_; }
    // The institution an object belongs to: its own, else the home institution.
    const std::string& owner_of(const iiif::ObjectRecord& object) const {
        return object.institution.empty() ? home_ : object.institution;
    }

    AuditLog& audit() const { return audit_; }
    const iiif::CatalogReader& catalog_reader() const { return catalog_.reader(); }

    std::vector<Institution> institutions() const;
    std::optional<Institution> institution(std::string_view id) const;
    // Makes (201: true) or renames (false) an institution. IiifError 400 for a bad id, name or
    // homepage.
    bool put_institution(const Actor& actor, const Institution& institution);
    // IiifError 404 for an unknown one, 409 while accounts belong to it or it is the home one.
    // (Objects name it for ever: an institution whose objects remain is kept by the caller's
    // check, objects_of.)
    void remove_institution(const Actor& actor, const std::string& id);

    std::vector<Account> accounts() const;
    std::optional<Account> account(std::string_view name) const;
    // IiifError 400 (a bad name, field, unknown institution, short password), 409 when the
    // name is taken.
    Account create_account(const Actor& actor, const std::string& name, const AccountChange& change);
    // IiifError 404 for an unknown account, 400 as above; 409 when it would leave the
    // platform without an enabled administrator.
    Account change_account(const Actor& actor, const std::string& name, const AccountChange& change);

    std::vector<ShoulderRecord> shoulders() const;
    std::optional<ShoulderRecord> shoulder(std::string_view code) const;
    // A new shoulder, its code the next the platform has not given (nor iiifd.toml named).
    // IiifError 400 for a missing name, a bad field, an unknown institution or set spec.
    ShoulderRecord create_shoulder(const Actor& actor, const ShoulderChange& change);
    // IiifError 404 for an unknown code, 400 as above.
    ShoulderRecord change_shoulder(const Actor& actor, const std::string& code,
                                   const ShoulderChange& change);
    // The shoulder a deposit is minted under: `requested` (checked by the caller: one of the
    // owner's, or any for an administrator) when given, else the first whose sets hold one of
    // `sets`, else the institution's, else [ark] default_shoulder.
    std::string shoulder_for(const std::string& institution, const std::vector<std::string>& sets,
                             const std::string& requested) const;

    // Whether `password` is the enabled account `name`'s (a tenth of a second either way).
    bool password_is(const std::string& name, std::string_view password) const;

    // A new key for `account`: its text, shown this once, and its record. IiifError 404 for an
    // unknown account, 400 for a label over 200 bytes.
    std::pair<std::string, ApiKey> create_key(const Actor& actor, const std::string& account,
                                              const std::string& label);
    std::vector<ApiKey> keys(const std::string& account) const;
    // IiifError 404 when the account has no such key; revoking a revoked key changes nothing.
    ApiKey revoke_key(const Actor& actor, const std::string& account, const std::string& id);

    // The enabled account an unrevoked key belongs to, and the key.
    std::optional<std::pair<Account, ApiKey>> account_of_key(std::string_view presented) const;

    // The SHA-256 (hex) of each unrevoked key of an enabled administrator: the keys the module
    // lets through every access policy (AccessSettings::api_key_digests).
    std::vector<std::string> administrator_key_digests() const;
    // The same of enabled editors, each with the editor's institution: the keys the module lets
    // see that institution's images (AccessSettings::editor_key_digests).
    std::vector<std::pair<std::string, std::string>> editor_key_digests() const;
    // Called after a key is made or revoked, or an account's role or state changes (what
    // administrator_key_digests() says may have changed).
    void on_keys_changed(std::function<void()> listener) { keys_changed_ = std::move(listener); }

  private:
    void check_institution_exists(const iiif::RegistryEdit& edit, const std::string& id) const;
    // The shoulders recorded for the module's resolver (CatalogWriter::set_shoulders).
    void publish_shoulders() const;
    void keys_changed() const;

    const DaemonConfig& config_;
    iiif::CatalogWriter& catalog_;
    AuditLog& audit_;
    std::string home_;
    std::function<void()> keys_changed_;
};

// Whether `text` may be an account's name, an institution's id.
bool is_account_name(std::string_view text);
bool is_institution_id(std::string_view text);

json_t* institution_to_json(const Institution& institution);
json_t* shoulder_to_json(const ShoulderRecord& shoulder);
// Without the password hash: whether it has one.
json_t* account_to_json(const Account& account);
json_t* api_key_to_json(const ApiKey& key);

}  // namespace iiifd
