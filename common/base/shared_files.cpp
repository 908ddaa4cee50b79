#include "shared_files.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace iiif {

void share_with_group(const std::string& path) {
    struct stat made {};
    if (stat(path.c_str(), &made) != 0 || made.st_uid != geteuid()) return;
    constexpr mode_t kGroupReadWrite = S_IRGRP | S_IWGRP;
    if ((made.st_mode & kGroupReadWrite) == kGroupReadWrite) return;
    chmod(path.c_str(), (made.st_mode & 07777) | kGroupReadWrite);
}

}  // namespace iiif
