// What the chain tests share: iiifd's files made readable by nginx's workers.
#pragma once

#include <filesystem>
#include <string>

namespace chain {

// nginx's workers run as nobody (the tests run as root): they read the masters and take a
// reader slot in the catalog's lock file.
inline void open_to_workers(const std::string& dir, const std::string& catalog) {
    namespace fs = std::filesystem;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        auto extra = entry.is_directory() ? fs::perms::others_read | fs::perms::others_exec |
                                                fs::perms::group_read | fs::perms::group_exec
                                          : fs::perms::others_read | fs::perms::group_read;
        fs::permissions(entry.path(), extra, fs::perm_options::add);
    }
    fs::permissions(dir, fs::perms::others_read | fs::perms::others_exec, fs::perm_options::add);
    fs::permissions(catalog + "-lock",
                    fs::perms::others_read | fs::perms::others_write | fs::perms::group_write,
                    fs::perm_options::add);
}

}  // namespace chain
