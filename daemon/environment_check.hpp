// `iiifd --check-environment`: whether this machine lets iiifd do what a configuration (read
// well) asks of it, judged as the user running the check, making and changing nothing:
//
//   - the storage root is a directory this user may write in; it must be there (iiifd would
//     make it, but a missing root is most often a volume not mounted, and iiifd would fill the
//     disk beneath instead);
//   - staging, the hot folder and the catalog's directory, which iiifd makes when missing, are
//     writable directories, or the nearest directory above one that is missing is writable; a
//     catalog file already there is readable and writable;
//   - the tile cache (nginx makes it) is a writable directory;
//   - the key files ([access] key_file, [oai] token_key_file) are readable and not by other
//     users (no "r" for others in their mode); a missing one, which iiifd makes at its first
//     start, can be made in its directory;
//   - the watermarks' images are readable;
//   - Redis answers PING within 2 s (the master the sentinels name, with [redis] sentinels).
//
// [http] host is loopback (or listen_beyond_loopback set) is the configuration's own rule.
#pragma once

#include <string>
#include <vector>

#include "daemon_config.hpp"

namespace iiifd {

// Every failure, one a line naming the setting, the path or address and why, such as
// `[storage] root "/var/lib/iiifd": not writable by uid 107 (Permission denied)`; none: all is
// well.
std::vector<std::string> check_environment(const DaemonConfig& config);

}  // namespace iiifd
