#include "file_mapping.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace iiif {

FileMapping find_file_mapping(int fd) {
    struct stat file;
    if (fd < 0 || fstat(fd, &file) != 0) return {};
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        unsigned long long start = 0, end = 0, offset = 0, inode = 0;
        unsigned major = 0, minor = 0;
        char perms[8] = {};
        if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &offset,
                        &major, &minor, &inode) != 7)
            continue;
        if (inode != file.st_ino || offset != 0 || makedev(major, minor) != file.st_dev) continue;
        return {reinterpret_cast<const char*>(start), static_cast<size_t>(end - start)};
    }
    return {};
}

}  // namespace iiif
