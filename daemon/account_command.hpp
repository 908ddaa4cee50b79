// `iiifd account` and `iiifd institution`: the directory (directory.hpp) from the command line,
// for the administrator of the machine: the first administrator of a platform whose iiifd.toml
// named no API key, a password reset when every administrator is locked out. Each change is in
// the audit log as made at the command line by $SUDO_USER or $USER.
//
//   iiifd account list
//   iiifd account create NAME --role R [--institution ID] [--display-name TEXT]
//                                           (a password read on stdin; none when stdin is empty)
//   iiifd account password NAME             (the new password read on stdin)
//   iiifd account disable NAME | enable NAME
//   iiifd account key NAME [--label TEXT]   (prints the new key, the only time it is shown)
//   iiifd institution list
//   iiifd institution put ID NAME [--homepage URL]
#pragma once

#include <istream>
#include <ostream>
#include <string>

#include "catalog.hpp"
#include "daemon_config.hpp"

namespace iiifd {

struct DirectoryCommand {
    std::string noun;    // "account" or "institution"
    std::string action;  // list, create, password, disable, enable, key, put
    std::string name;    // the account's name, the institution's id
    std::string role = "editor";
    std::string institution;
    std::string display_name;
    std::string label;
    std::string institution_name;
    std::string homepage;
};

// Runs it on the catalog (open_catalog bootstrapped the directory); what it prints goes to
// `out`, a password is read from `in`. Returns the exit status; a refusal (an unknown account,
// a short password) is printed as "iiifd: {reason}" to `err`, status 1.
int run_directory_command(const DaemonConfig& config, iiif::CatalogWriter& catalog,
                          const DirectoryCommand& command, std::istream& in, std::ostream& out,
                          std::ostream& err);

}  // namespace iiifd
