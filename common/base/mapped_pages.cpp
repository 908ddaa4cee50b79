#include "mapped_pages.hpp"

#include <sys/mman.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace iiif {

std::size_t resident_file_bytes() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("RssFile:"))
            return static_cast<std::size_t>(std::strtoull(line.c_str() + 8, nullptr, 10)) * 1024;
    }
    return 0;
}

void unmap_file_pages(const std::vector<std::string>& paths) {
    std::vector<std::string> files;
    for (const std::string& path : paths) {
        std::error_code error;
        std::string file = std::filesystem::canonical(path, error).string();
        if (!error) files.push_back(std::move(file));
    }
    if (files.empty()) return;
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);) {
        // start-end perms offset dev inode path
        const size_t name = line.find('/');
        if (name == std::string::npos) continue;
        bool listed = false;
        for (const std::string& file : files)
            listed = listed || line.compare(name, std::string::npos, file) == 0;
        if (!listed) continue;
        std::uintptr_t start = 0;
        std::uintptr_t end = 0;
        char perms[5] = {};
        if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR " %4s", &start, &end, perms) != 3)
            continue;
        if (perms[1] != '-' || perms[3] != 's') continue;  // writable or private: left alone
        ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
    }
}

}  // namespace iiif
