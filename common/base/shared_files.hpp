// Files that processes of another user, in the same group, must write: the catalog's lock file
// (nginx's workers take reader slots in it) and the tile cache's files (nginx's workers write
// them, iiifd's purger deletes from them). The process that makes such a file runs with a
// umask of its own (022 by default on Debian, which takes away the group's write), so the
// owner gives the group read and write itself, once, after opening.
#pragma once

#include <string>

namespace iiif {

// Adds group read and write to `path` when this process owns it and the group lacks either;
// another user's file, or one already shared, is left as it is. A failure is not reported
// here: the process that cannot open the file says so, naming it.
void share_with_group(const std::string& path);

}  // namespace iiif
