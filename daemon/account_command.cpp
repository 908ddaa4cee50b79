#include "account_command.hpp"

#include "access_registry.hpp"
#include "audit_log.hpp"
#include "directory.hpp"
#include "iiif_error.hpp"

namespace iiifd {
namespace {

// A line of standard input without its line ending; empty at its end.
std::string read_line(std::istream& in) {
    std::string line;
    if (!std::getline(in, line)) return {};
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

void print_account(std::ostream& out, const Account& account) {
    out << account.name << "\t" << role_name(account.role) << "\t" << account.institution << "\t"
        << (account.disabled ? "disabled" : "enabled") << "\t"
        << (account.password_hash.empty() ? "no password" : "password") << "\t"
        << account.display_name << "\n";
}

int run(Directory& directory, const DirectoryCommand& command, std::istream& in,
        std::ostream& out) {
    const Actor actor = command_line_actor();
    if (command.noun == "institution") {
        if (command.action == "list") {
            for (const Institution& institution : directory.institutions())
                out << institution.id << "\t" << institution.name << "\t" << institution.homepage
                    << "\n";
            return 0;
        }
        const bool created = directory.put_institution(
            actor, {command.name, command.institution_name, command.homepage, 0});
        out << (created ? "made " : "changed ") << command.name << "\n";
        return 0;
    }
    if (command.action == "list") {
        for (const Account& account : directory.accounts()) print_account(out, account);
        return 0;
    }
    if (command.action == "create") {
        AccountChange change;
        change.role = role_of_name(command.role);
        if (!change.role) throw iiif::IiifError(400, "role: one of administrator, editor, reader");
        if (!command.institution.empty()) change.institution = command.institution;
        if (!command.display_name.empty()) change.display_name = command.display_name;
        if (std::string password = read_line(in); !password.empty()) change.password = password;
        print_account(out, directory.create_account(actor, command.name, change));
        return 0;
    }
    if (command.action == "password") {
        const std::string password = read_line(in);
        if (password.empty()) throw iiif::IiifError(400, "password: none on standard input");
        print_account(out, directory.change_account(actor, command.name,
                                                    AccountChange{.password = password}));
        return 0;
    }
    if (command.action == "disable" || command.action == "enable") {
        print_account(out, directory.change_account(
                               actor, command.name,
                               AccountChange{.disabled = command.action == "disable"}));
        return 0;
    }
    if (command.action == "key") {
        auto [text, key] = directory.create_key(actor, command.name, command.label);
        out << text << "\n";
        return 0;
    }
    throw iiif::IiifError(400, "unknown command " + command.noun + " " + command.action);
}

}  // namespace

int run_directory_command(const DaemonConfig& config, iiif::CatalogWriter& catalog,
                          const DirectoryCommand& command, std::istream& in, std::ostream& out,
                          std::ostream& err) {
    AuditLog audit(audit_log_path(config.storage_root));
    Directory directory(config, catalog, audit);
    // A key made or revoked, an account disabled here reaches the module at once, as through
    // the API: the access registry applies itself again.
    const AccessRegistry access(config, catalog, directory);
    try {
        return run(directory, command, in, out);
    } catch (const iiif::IiifError& refusal) {
        err << "iiifd: " << refusal.reason << "\n";
        return 1;
    }
}

}  // namespace iiifd
