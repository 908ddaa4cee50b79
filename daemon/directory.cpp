#include "directory.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>

#include "access_config.hpp"
#include "clock.hpp"
#include "dublin_core.hpp"
#include "iiif_error.hpp"
#include "json.hpp"
#include "signing.hpp"

namespace iiifd {
namespace {

constexpr std::string_view kInstitutionPrefix = "institution ";
constexpr std::string_view kAccountPrefix = "account ";
constexpr std::string_view kKeyPrefix = "key ";
constexpr std::string_view kShoulderPrefix = "shoulder ";
constexpr std::string_view kStateKey = "directory";
constexpr size_t kMaxTextBytes = 200;
constexpr std::int64_t kObjectScanBatch = 4096;

std::string institution_key(std::string_view id) {
    return std::string(kInstitutionPrefix) + std::string(id);
}
std::string account_key(std::string_view name) {
    return std::string(kAccountPrefix) + std::string(name);
}
std::string shoulder_key(std::string_view code) {
    return std::string(kShoulderPrefix) + std::string(code);
}
std::string key_key(std::string_view digest_hex) {
    return std::string(kKeyPrefix) + std::string(digest_hex);
}

bool is_utf8(std::string_view text) {
    iiif::Json value(iiif::json_string_of(text));
    return value != nullptr;
}

void check_text(const std::string& field, const std::string& text, bool required) {
    if (required && std::all_of(text.begin(), text.end(),
                                [](unsigned char c) { return std::isspace(c) != 0; }))
        iiif::refuse_field(field, "required");
    if (text.size() > kMaxTextBytes) iiif::refuse_field(field, "longer than 200 bytes");
    if (!is_utf8(text)) iiif::refuse_field(field, "not UTF-8");
}

size_t characters(std::string_view text) {
    return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](unsigned char c) {
        return (c & 0xC0) != 0x80;
    }));
}

std::int64_t integer_member(const json_t* object, const char* key) {
    const json_t* value = json_object_get(object, key);
    return json_is_integer(value) ? json_integer_value(value) : 0;
}

iiif::Json parse(std::string_view text) {
    iiif::Json json(json_loadb(text.data(), text.size(), 0, nullptr));
    if (!json || !json_is_object(json.get()))
        throw iiif::IiifError(500, "directory: a corrupt record in the catalog's registry");
    return json;
}

std::string stored(json_t* owned) {
    iiif::Json json(owned);
    return iiif::json_text(json.get());
}

Institution institution_of(std::string_view text) {
    iiif::Json json = parse(text);
    return {iiif::json_string_member(json.get(), "id"), iiif::json_string_member(json.get(), "name"),
            iiif::json_string_member(json.get(), "homepage"), integer_member(json.get(), "created"),
            iiif::json_string_member(json.get(), "shoulder")};
}

std::vector<std::string> strings_member(const json_t* object, const char* key) {
    std::vector<std::string> found;
    size_t i;
    json_t* value;
    json_array_foreach(json_object_get(object, key), i, value) {
        if (json_is_string(value)) found.emplace_back(json_string_value(value));
    }
    return found;
}

ShoulderRecord shoulder_of(std::string_view text) {
    iiif::Json json = parse(text);
    ShoulderRecord shoulder;
    shoulder.code = iiif::json_string_member(json.get(), "code");
    shoulder.name = iiif::json_string_member(json.get(), "name");
    shoulder.subject = iiif::json_string_member(json.get(), "subject");
    shoulder.description = iiif::json_string_member(json.get(), "description");
    shoulder.service = iiif::json_string_member(json.get(), "service");
    shoulder.institution = iiif::json_string_member(json.get(), "institution");
    shoulder.sets = strings_member(json.get(), "sets");
    shoulder.configured = json_is_true(json_object_get(json.get(), "configured"));
    shoulder.created = integer_member(json.get(), "created");
    return shoulder;
}

// The n-th code the platform gives: a digit from 1, then a character and a letter of the
// profile's alphabet ("10B", "10C", ... "1ZZ", "20B"...): 9 x 30 x 20 of them, none of the
// "0.." codes people register by hand the most.
std::optional<std::string> allocated_code(std::int64_t n, iiif::CheckProfile profile) {
    const std::string_view alphabet = profile == iiif::CheckProfile::noid
                                          ? "0123456789bcdfghjkmnpqrstvwxz"
                                          : "0123456789BCDFGHJKLMNPQRSTVWXZ";
    const std::string_view letters = alphabet.substr(10);
    const std::int64_t per_first = static_cast<std::int64_t>(alphabet.size() * letters.size());
    if (n < 0 || n >= 9 * per_first) return std::nullopt;
    std::string code;
    code += alphabet[static_cast<size_t>(1 + n / per_first)];
    code += alphabet[static_cast<size_t>((n % per_first) / static_cast<std::int64_t>(letters.size()))];
    code += letters[static_cast<size_t>(n % static_cast<std::int64_t>(letters.size()))];
    return code;
}

void check_shoulder_change(const ShoulderChange& change) {
    if (change.name) check_text("name", *change.name, true);
    if (change.subject) check_text("subject", *change.subject, false);
    if (change.description) {
        if (change.description->size() > 2000) iiif::refuse_field("description", "longer than 2000 bytes");
        if (!is_utf8(*change.description)) iiif::refuse_field("description", "not UTF-8");
    }
    if (change.service) {
        check_text("service", *change.service, false);
        if (!change.service->empty() && !change.service->starts_with("http://") &&
            !change.service->starts_with("https://"))
            iiif::refuse_field("service", "not an http or https URL");
    }
    if (change.sets)
        for (size_t i = 0; i < change.sets->size(); ++i)
            if (!iiif::is_valid_set_spec((*change.sets)[i]))
                iiif::refuse_field("sets[" + std::to_string(i) + "]", "not a set spec");
}

void apply_shoulder_change(ShoulderRecord& shoulder, const ShoulderChange& change) {
    if (change.name) shoulder.name = *change.name;
    if (change.subject) shoulder.subject = *change.subject;
    if (change.description) shoulder.description = *change.description;
    if (change.service) shoulder.service = *change.service;
    if (change.institution) shoulder.institution = *change.institution;
    if (change.sets) shoulder.sets = *change.sets;
}

// Whether an object in `sets` is in the shoulder's sets (or their subsets).
bool in_shoulder_sets(const ShoulderRecord& shoulder, const std::vector<std::string>& sets) {
    return std::any_of(sets.begin(), sets.end(), [&](const std::string& set) {
        return std::any_of(shoulder.sets.begin(), shoulder.sets.end(), [&](const std::string& own) {
            return set == own || (set.starts_with(own) && set[own.size()] == ':');
        });
    });
}

std::string stored_account(const Account& account) {
    json_t* json = account_to_json(account);
    json_object_del(json, "has_password");
    json_object_set_new(json, "password_hash", json_string(account.password_hash.c_str()));
    return stored(json);
}

Account account_of(std::string_view text) {
    iiif::Json json = parse(text);
    Account account;
    account.name = iiif::json_string_member(json.get(), "name");
    account.display_name = iiif::json_string_member(json.get(), "display_name");
    account.email = iiif::json_string_member(json.get(), "email");
    account.role = role_of_name(iiif::json_string_member(json.get(), "role")).value_or(Role::reader);
    account.institution = iiif::json_string_member(json.get(), "institution");
    size_t i;
    json_t* group;
    json_array_foreach(json_object_get(json.get(), "groups"), i, group) {
        if (json_is_string(group)) account.groups.emplace_back(json_string_value(group));
    }
    account.password_hash = iiif::json_string_member(json.get(), "password_hash");
    account.disabled = json_is_true(json_object_get(json.get(), "disabled"));
    account.created = integer_member(json.get(), "created");
    account.updated = integer_member(json.get(), "updated");
    return account;
}

ApiKey key_of(std::string_view text) {
    iiif::Json json = parse(text);
    return {iiif::json_string_member(json.get(), "id"), iiif::json_string_member(json.get(), "account"),
            iiif::json_string_member(json.get(), "label"), integer_member(json.get(), "created"),
            integer_member(json.get(), "revoked")};
}

void check_account_change(const AccountChange& change) {
    if (change.display_name) check_text("display_name", *change.display_name, false);
    if (change.email) {
        check_text("email", *change.email, false);
        if (!change.email->empty() && change.email->find('@') == std::string::npos)
            iiif::refuse_field("email", "not an e-mail address");
    }
    if (change.groups)
        for (size_t i = 0; i < change.groups->size(); ++i)
            if ((*change.groups)[i].size() > 64 || !is_group((*change.groups)[i]))
                iiif::refuse_field("groups[" + std::to_string(i) + "]",
                    "not a group (letters, digits and -_.:@, at most 64)");
    if (change.password && characters(*change.password) < kMinPasswordLength)
        iiif::refuse_field("password", "shorter than " + std::to_string(kMinPasswordLength) + " characters");
}

// What a change does, for the audit log: the fields it sets, a password never shown.
json_t* change_detail(const AccountChange& change) {
    json_t* detail = json_object();
    if (change.display_name)
        json_object_set_new(detail, "display_name", iiif::json_string_of(*change.display_name));
    if (change.email) json_object_set_new(detail, "email", iiif::json_string_of(*change.email));
    if (change.institution)
        json_object_set_new(detail, "institution", iiif::json_string_of(*change.institution));
    if (change.role)
        json_object_set_new(detail, "role", json_string(std::string(role_name(*change.role)).c_str()));
    if (change.groups) {
        json_t* groups = json_array();
        for (const std::string& group : *change.groups)
            json_array_append_new(groups, json_string(group.c_str()));
        json_object_set_new(detail, "groups", groups);
    }
    if (change.disabled) json_object_set_new(detail, "disabled", json_boolean(*change.disabled));
    if (change.password) json_object_set_new(detail, "password", json_string("set"));
    return detail;
}

bool is_enabled_administrator(const Account& account) {
    return account.role == Role::administrator && !account.disabled;
}

}  // namespace

std::string_view role_name(Role role) {
    switch (role) {
        case Role::administrator: return "administrator";
        case Role::editor: return "editor";
        case Role::reader: return "reader";
    }
    return "reader";
}

std::optional<Role> role_of_name(std::string_view name) {
    for (Role role : {Role::reader, Role::editor, Role::administrator})
        if (role_name(role) == name) return role;
    return std::nullopt;
}

bool is_account_name(std::string_view text) {
    return !text.empty() && text.size() <= 64 &&
           std::isalnum(static_cast<unsigned char>(text.front())) != 0 &&
           std::all_of(text.begin(), text.end(), [](unsigned char c) {
               return std::isalnum(c) != 0 || std::string_view("-_.@").find(c) != std::string_view::npos;
           });
}

bool is_institution_id(std::string_view text) {
    auto lower_or_digit = [](unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    };
    return !text.empty() && text.size() <= 32 && lower_or_digit(text.front()) &&
           std::all_of(text.begin(), text.end(),
                       [&](unsigned char c) { return lower_or_digit(c) || c == '-'; });
}

json_t* institution_to_json(const Institution& institution) {
    json_t* json = json_object();
    json_object_set_new(json, "id", json_string(institution.id.c_str()));
    json_object_set_new(json, "name", iiif::json_string_of(institution.name));
    json_object_set_new(json, "homepage", iiif::json_string_of(institution.homepage));
    json_object_set_new(json, "created", json_integer(institution.created));
    json_object_set_new(json, "shoulder", iiif::json_string_of(institution.shoulder));
    return json;
}

json_t* shoulder_to_json(const ShoulderRecord& shoulder) {
    json_t* json = json_object();
    json_object_set_new(json, "code", json_string(shoulder.code.c_str()));
    json_object_set_new(json, "name", iiif::json_string_of(shoulder.name));
    json_object_set_new(json, "subject", iiif::json_string_of(shoulder.subject));
    json_object_set_new(json, "description", iiif::json_string_of(shoulder.description));
    json_object_set_new(json, "service", iiif::json_string_of(shoulder.service));
    json_object_set_new(json, "institution", json_string(shoulder.institution.c_str()));
    json_t* sets = json_array();
    for (const std::string& set : shoulder.sets) json_array_append_new(sets, json_string(set.c_str()));
    json_object_set_new(json, "sets", sets);
    json_object_set_new(json, "configured", json_boolean(shoulder.configured));
    json_object_set_new(json, "created", json_integer(shoulder.created));
    return json;
}

json_t* account_to_json(const Account& account) {
    json_t* json = json_object();
    json_object_set_new(json, "name", json_string(account.name.c_str()));
    json_object_set_new(json, "display_name", iiif::json_string_of(account.display_name));
    json_object_set_new(json, "email", iiif::json_string_of(account.email));
    json_object_set_new(json, "role", json_string(std::string(role_name(account.role)).c_str()));
    json_object_set_new(json, "institution", json_string(account.institution.c_str()));
    json_t* groups = json_array();
    for (const std::string& group : account.groups)
        json_array_append_new(groups, json_string(group.c_str()));
    json_object_set_new(json, "groups", groups);
    json_object_set_new(json, "has_password", json_boolean(!account.password_hash.empty()));
    json_object_set_new(json, "disabled", json_boolean(account.disabled));
    json_object_set_new(json, "created", json_integer(account.created));
    json_object_set_new(json, "updated", json_integer(account.updated));
    return json;
}

json_t* api_key_to_json(const ApiKey& key) {
    json_t* json = json_object();
    json_object_set_new(json, "id", json_string(key.id.c_str()));
    json_object_set_new(json, "account", json_string(key.account.c_str()));
    json_object_set_new(json, "label", iiif::json_string_of(key.label));
    json_object_set_new(json, "created", json_integer(key.created));
    json_object_set_new(json, "revoked", key.revoked ? json_integer(key.revoked) : json_null());
    return json;
}

Directory::Directory(const DaemonConfig& config, iiif::CatalogWriter& catalog, AuditLog& audit)
    : config_(config), catalog_(catalog), audit_(audit), home_(config.institution_id) {}

std::string Directory::bootstrap() {
    const Actor iiifd{"iiifd", "configuration"};
    const std::int64_t now = iiif::now_seconds();
    std::string done;
    catalog_.edit_registry([&](iiif::RegistryEdit& edit) {
        if (!edit.get(institution_key(home_))) {
            Institution home{home_, config_.institution, config_.institution_homepage, now};
            edit.put(institution_key(home_), stored(institution_to_json(home)));
            audit_.record(iiifd, "institution.create", home_, home_);
            done += "institution " + home_ + " made; ";
        }
        for (const Shoulder& configured : config_.shoulders) {
            if (edit.get(shoulder_key(configured.shoulder))) continue;
            ShoulderRecord shoulder{configured.shoulder, configured.name, configured.subject,
                                    configured.description, configured.service, home_, {},
                                    true, now};
            edit.put(shoulder_key(shoulder.code), stored(shoulder_to_json(shoulder)));
            audit_.record(iiifd, "shoulder.create", shoulder.code, home_);
            done += "shoulder " + shoulder.code + " registered; ";
        }
        if (edit.get(kStateKey)) return;
        for (const AccessUser& user : config_.access.users) {
            if (edit.get(account_key(user.name))) continue;
            Account account;
            account.name = user.name;
            account.institution = home_;
            account.groups = user.groups;
            account.password_hash = user.password_hash;
            account.created = account.updated = now;
            const bool deposits = std::any_of(
                user.groups.begin(), user.groups.end(), [&](const std::string& group) {
                    return std::find(config_.deposit_groups.begin(), config_.deposit_groups.end(),
                                     group) != config_.deposit_groups.end();
                });
            account.role = deposits ? Role::editor : Role::reader;
            edit.put(account_key(account.name), stored_account(account));
            audit_.record(iiifd, "account.create", account.name, home_,
                          json_pack("{s:s}", "role", std::string(role_name(account.role)).c_str()));
        }
        if (!config_.api_keys.empty()) {
            // A configured user of that name keeps their own rights: the keys get another one.
            const bool taken = std::any_of(
                config_.access.users.begin(), config_.access.users.end(),
                [](const AccessUser& user) { return user.name == kBootstrapAdmin; });
            Account admin;
            admin.name = taken ? std::string(kBootstrapAdmin) + "-keys" : std::string(kBootstrapAdmin);
            const bool existing = edit.get(account_key(admin.name)).has_value();
            admin.display_name = "Administrator";
            admin.institution = home_;
            admin.created = admin.updated = now;
            admin.role = Role::administrator;
            edit.put(account_key(admin.name), stored_account(admin));
            audit_.record(iiifd, existing ? "account.change" : "account.create", admin.name,
                          home_, json_pack("{s:s}", "role", "administrator"));
            for (const std::string& text : config_.api_keys) {
                const std::string digest = iiif::sha256_hex(text);
                ApiKey key{digest.substr(0, 12), admin.name, "from iiifd.toml", now, 0};
                edit.put(key_key(digest), stored(api_key_to_json(key)));
                audit_.record(iiifd, "key.create", admin.name + "/" + key.id, home_);
            }
        }
        edit.put(kStateKey, stored(json_pack("{s:I,s:I}", "bootstrapped",
                                             static_cast<json_int_t>(now), "next_shoulder",
                                             static_cast<json_int_t>(0))));
        done += std::to_string(config_.access.users.size()) + " user(s) and " +
                std::to_string(config_.api_keys.size()) + " API key(s) moved from iiifd.toml";
    });
    publish_shoulders();
    return done;
}

// ---- Institutions -----------------------------------------------------------------------------

std::vector<Institution> Directory::institutions() const {
    std::vector<Institution> found;
    for (const auto& [key, value] : catalog_.registry_scan(kInstitutionPrefix))
        found.push_back(institution_of(value));
    return found;
}

std::optional<Institution> Directory::institution(std::string_view id) const {
    if (!is_institution_id(id)) return std::nullopt;
    std::optional<std::string> text = catalog_.registry_get(institution_key(id));
    if (!text) return std::nullopt;
    return institution_of(*text);
}

bool Directory::put_institution(const Actor& actor, const Institution& institution) {
    if (!is_institution_id(institution.id))
        iiif::refuse_field("id", "not an institution id (a-z, 0-9 and '-', at most 32, a letter or digit first)");
    check_text("name", institution.name, true);
    check_text("homepage", institution.homepage, false);
    if (!institution.homepage.empty() && !institution.homepage.starts_with("http://") &&
        !institution.homepage.starts_with("https://"))
        iiif::refuse_field("homepage", "not an http or https URL");
    bool created = false;
    catalog_.edit_registry([&](iiif::RegistryEdit& edit) {
        std::optional<std::string> existing = edit.get(institution_key(institution.id));
        if (!institution.shoulder.empty() && !edit.get(shoulder_key(institution.shoulder)))
            iiif::refuse_field("shoulder", "no such shoulder: \"" + institution.shoulder + "\"");
        Institution record = institution;
        record.created = existing ? institution_of(*existing).created : iiif::now_seconds();
        created = !existing;
        edit.put(institution_key(record.id), stored(institution_to_json(record)));
        audit_.record(actor, created ? "institution.create" : "institution.change", record.id,
                      record.id,
                      json_pack("{s:s%,s:s%}", "name", record.name.data(), record.name.size(),
                                "homepage", record.homepage.data(), record.homepage.size()));
    });
    return created;
}

void Directory::remove_institution(const Actor& actor, const std::string& id) {
    if (id == home_) throw iiif::IiifError(409, "the home institution cannot be removed");
    if (!institution(id)) throw iiif::IiifError(404, "no such institution");
    // Objects name their institution for ever: one that has any stays.
    iiif::CatalogReader::Position after;
    for (;;) {
        std::vector<iiif::ObjectRecord> page =
            catalog_.reader().objects_by_date(after, 0, kObjectScanBatch);
        for (const iiif::ObjectRecord& object : page)
            if (object.institution == id)
                throw iiif::IiifError(409, "objects belong to this institution");
        if (page.size() < static_cast<size_t>(kObjectScanBatch)) break;
        after = iiif::CatalogReader::position_of(page.back());
    }
    catalog_.edit_registry([&](iiif::RegistryEdit& edit) {
        if (!edit.get(institution_key(id))) throw iiif::IiifError(404, "no such institution");
        for (const auto& [key, value] : edit.scan(kAccountPrefix))
            if (account_of(value).institution == id)
                throw iiif::IiifError(409, "accounts belong to this institution");
        edit.erase(institution_key(id));
        audit_.record(actor, "institution.remove", id, id);
    });
}

void Directory::check_institution_exists(const iiif::RegistryEdit& edit,
                                         const std::string& id) const {
    if (!is_institution_id(id) || !edit.get(institution_key(id)))
        iiif::refuse_field("institution", "no such institution: \"" + id + "\"");
}

// ---- Accounts ---------------------------------------------------------------------------------

std::vector<Account> Directory::accounts() const {
    std::vector<Account> found;
    for (const auto& [key, value] : catalog_.registry_scan(kAccountPrefix))
        found.push_back(account_of(value));
    return found;
}

std::optional<Account> Directory::account(std::string_view name) const {
    if (!is_account_name(name)) return std::nullopt;
    std::optional<std::string> text = catalog_.registry_get(account_key(name));
    if (!text) return std::nullopt;
    return account_of(*text);
}

Account Directory::create_account(const Actor& actor, const std::string& name,
                                  const AccountChange& change) {
    if (!is_account_name(name))
        iiif::refuse_field("name", "not an account name (letters, digits and -_.@, at most 64, a letter or "
                    "digit first)");
    check_account_change(change);
    // Hashing takes a tenth of a second: not inside the write transaction.
    const std::string hash = change.password ? hash_password(*change.password) : std::string();
    Account account;
    catalog_.edit_registry([&](iiif::RegistryEdit& edit) {
        if (edit.get(account_key(name))) throw iiif::IiifError(409, "this account exists");
        account.name = name;
        account.display_name = change.display_name.value_or("");
        account.email = change.email.value_or("");
        account.role = change.role.value_or(Role::reader);
        account.institution = change.institution.value_or(home_);
        check_institution_exists(edit, account.institution);
        account.groups = change.groups.value_or(std::vector<std::string>{});
        account.password_hash = hash;
        account.disabled = change.disabled.value_or(false);
        account.created = account.updated = iiif::now_seconds();
        edit.put(account_key(name), stored_account(account));
        audit_.record(actor, "account.create", name, account.institution, change_detail(change));
    });
    return account;
}

Account Directory::change_account(const Actor& actor, const std::string& name,
                                  const AccountChange& change) {
    if (!is_account_name(name)) throw iiif::IiifError(404, "no such account");
    check_account_change(change);
    const std::string hash = change.password ? hash_password(*change.password) : std::string();
    Account account;
    catalog_.edit_registry([&](iiif::RegistryEdit& edit) {
        std::optional<std::string> existing = edit.get(account_key(name));
        if (!existing) throw iiif::IiifError(404, "no such account");
        account = account_of(*existing);
        const bool was_administrator = is_enabled_administrator(account);
        if (change.display_name) account.display_name = *change.display_name;
        if (change.email) account.email = *change.email;
        if (change.role) account.role = *change.role;
        if (change.institution) {
            check_institution_exists(edit, *change.institution);
            account.institution = *change.institution;
        }
        if (change.groups) account.groups = *change.groups;
        if (change.disabled) account.disabled = *change.disabled;
        if (change.password) account.password_hash = hash;
        account.updated = iiif::now_seconds();
        if (was_administrator && !is_enabled_administrator(account)) {
            const auto all = edit.scan(kAccountPrefix);
            if (std::none_of(all.begin(), all.end(), [&](const auto& entry) {
                    const Account other = account_of(entry.second);
                    return other.name != name && is_enabled_administrator(other);
                }))
                throw iiif::IiifError(409, "the last administrator cannot be disabled or demoted");
        }
        edit.put(account_key(name), stored_account(account));
        audit_.record(actor, change.password && !change.role && !change.disabled
                                 ? "account.password"
                                 : "account.change",
                      name, account.institution, change_detail(change));
    });
    if (change.role || change.disabled || change.institution) keys_changed();
    return account;
}

// ---- Shoulders --------------------------------------------------------------------------------

std::vector<ShoulderRecord> Directory::shoulders() const {
    std::vector<ShoulderRecord> found;
    for (const auto& [key, value] : catalog_.registry_scan(kShoulderPrefix))
        found.push_back(shoulder_of(value));
    return found;
}

std::optional<ShoulderRecord> Directory::shoulder(std::string_view code) const {
    if (code.empty() || code.size() > 16) return std::nullopt;
    std::optional<std::string> text = catalog_.registry_get(shoulder_key(code));
    if (!text) return std::nullopt;
    return shoulder_of(*text);
}

ShoulderRecord Directory::create_shoulder(const Actor& actor, const ShoulderChange& change) {
    if (!change.name) iiif::refuse_field("name", "required");
    check_shoulder_change(change);
    ShoulderRecord shoulder;
    catalog_.edit_registry([&](iiif::RegistryEdit& edit) {
        apply_shoulder_change(shoulder, change);
        if (shoulder.institution.empty()) shoulder.institution = home_;
        check_institution_exists(edit, shoulder.institution);
        iiif::Json state = parse(edit.get(kStateKey).value_or("{}"));
        std::int64_t next = integer_member(state.get(), "next_shoulder");
        for (;; ++next) {
            std::optional<std::string> code = allocated_code(next, config_.check_profile);
            if (!code) throw iiif::IiifError(409, "no shoulder code is left to give");
            if (!edit.get(shoulder_key(*code))) {
                shoulder.code = *code;
                break;
            }
        }
        json_object_set_new(state.get(), "next_shoulder", json_integer(next + 1));
        edit.put(kStateKey, iiif::json_text(state.get()));
        shoulder.created = iiif::now_seconds();
        edit.put(shoulder_key(shoulder.code), stored(shoulder_to_json(shoulder)));
        audit_.record(actor, "shoulder.create", shoulder.code, shoulder.institution,
                      json_pack("{s:s%}", "name", shoulder.name.data(), shoulder.name.size()));
    });
    publish_shoulders();
    return shoulder;
}

ShoulderRecord Directory::change_shoulder(const Actor& actor, const std::string& code,
                                          const ShoulderChange& change) {
    check_shoulder_change(change);
    ShoulderRecord shoulder;
    catalog_.edit_registry([&](iiif::RegistryEdit& edit) {
        std::optional<std::string> existing = edit.get(shoulder_key(code));
        if (code.empty() || code.size() > 16 || !existing)
            throw iiif::IiifError(404, "no such shoulder");
        shoulder = shoulder_of(*existing);
        apply_shoulder_change(shoulder, change);
        check_institution_exists(edit, shoulder.institution);
        edit.put(shoulder_key(code), stored(shoulder_to_json(shoulder)));
        audit_.record(actor, "shoulder.change", code, shoulder.institution);
    });
    publish_shoulders();
    return shoulder;
}

std::string Directory::shoulder_for(const std::string& institution,
                                    const std::vector<std::string>& sets,
                                    const std::string& requested) const {
    if (!requested.empty()) return requested;
    const std::vector<ShoulderRecord> all = shoulders();
    for (const ShoulderRecord& shoulder : all)
        if (in_shoulder_sets(shoulder, sets)) return shoulder.code;
    if (std::optional<Institution> owner = this->institution(institution);
        owner && !owner->shoulder.empty())
        return owner->shoulder;
    return config_.default_shoulder;
}

void Directory::publish_shoulders() const {
    std::vector<iiif::ShoulderInfo> infos;
    for (const ShoulderRecord& shoulder : shoulders()) {
        std::optional<Institution> owner = institution(shoulder.institution);
        infos.push_back({shoulder.code, shoulder.name, shoulder.subject, shoulder.description,
                         shoulder.service, owner ? owner->name : std::string()});
    }
    catalog_.set_shoulders(infos);
}

bool Directory::password_is(const std::string& name, std::string_view password) const {
    std::optional<Account> known = account(name);
    if (!known || known->disabled || known->password_hash.empty()) return false;
    return password_matches(known->password_hash, password);
}

// ---- API keys ---------------------------------------------------------------------------------

std::pair<std::string, ApiKey> Directory::create_key(const Actor& actor, const std::string& account,
                                                     const std::string& label) {
    check_text("label", label, false);
    unsigned char random[24];
    randombytes_buf(random, sizeof random);
    const std::string text =
        "iiif_" + iiif::base64url(std::string_view(reinterpret_cast<char*>(random), sizeof random));
    const std::string digest = iiif::sha256_hex(text);
    ApiKey key{digest.substr(0, 12), account, label, iiif::now_seconds(), 0};
    catalog_.edit_registry([&](iiif::RegistryEdit& edit) {
        std::optional<std::string> owner = edit.get(account_key(account));
        if (!is_account_name(account) || !owner) throw iiif::IiifError(404, "no such account");
        edit.put(key_key(digest), stored(api_key_to_json(key)));
        audit_.record(actor, "key.create", account + "/" + key.id, account_of(*owner).institution,
                      json_pack("{s:s%}", "label", label.data(), label.size()));
    });
    keys_changed();
    return {text, key};
}

std::vector<ApiKey> Directory::keys(const std::string& account) const {
    std::vector<ApiKey> found;
    for (const auto& [key, value] : catalog_.registry_scan(kKeyPrefix)) {
        ApiKey record = key_of(value);
        if (record.account == account) found.push_back(std::move(record));
    }
    std::sort(found.begin(), found.end(),
              [](const ApiKey& a, const ApiKey& b) { return a.created < b.created; });
    return found;
}

ApiKey Directory::revoke_key(const Actor& actor, const std::string& account,
                             const std::string& id) {
    ApiKey revoked;
    catalog_.edit_registry([&](iiif::RegistryEdit& edit) {
        for (const auto& [key, value] : edit.scan(kKeyPrefix)) {
            ApiKey record = key_of(value);
            if (record.account != account || record.id != id) continue;
            if (record.revoked == 0) {
                record.revoked = iiif::now_seconds();
                edit.put(key, stored(api_key_to_json(record)));
                std::optional<std::string> owner = edit.get(account_key(account));
                audit_.record(actor, "key.revoke", account + "/" + id,
                              owner ? account_of(*owner).institution : std::string());
            }
            revoked = record;
            return;
        }
        throw iiif::IiifError(404, "no such key");
    });
    keys_changed();
    return revoked;
}

std::vector<std::string> Directory::administrator_key_digests() const {
    std::vector<std::string> digests;
    for (const auto& [key, value] : catalog_.registry_scan(kKeyPrefix)) {
        const ApiKey record = key_of(value);
        if (record.revoked != 0) continue;
        const std::optional<Account> owner = account(record.account);
        if (owner && !owner->disabled && owner->role == Role::administrator)
            digests.push_back(key.substr(kKeyPrefix.size()));
    }
    return digests;
}

std::vector<std::pair<std::string, std::string>> Directory::editor_key_digests() const {
    std::vector<std::pair<std::string, std::string>> digests;
    for (const auto& [key, value] : catalog_.registry_scan(kKeyPrefix)) {
        const ApiKey record = key_of(value);
        if (record.revoked != 0) continue;
        const std::optional<Account> owner = account(record.account);
        if (owner && !owner->disabled && owner->role == Role::editor)
            digests.emplace_back(key.substr(kKeyPrefix.size()), owner->institution);
    }
    return digests;
}

void Directory::keys_changed() const {
    if (keys_changed_) keys_changed_();
}

std::optional<std::pair<Account, ApiKey>> Directory::account_of_key(
    std::string_view presented) const {
    std::optional<std::string> text = catalog_.registry_get(key_key(iiif::sha256_hex(presented)));
    if (!text) return std::nullopt;
    ApiKey key = key_of(*text);
    if (key.revoked != 0) return std::nullopt;
    std::optional<Account> owner = account(key.account);
    if (!owner || owner->disabled) return std::nullopt;
    return std::pair{std::move(*owner), std::move(key)};
}

}  // namespace iiifd
