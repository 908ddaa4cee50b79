// Documents checked by an outside tool (a schema validator, a rules checker): written into the
// tests' scratch directory, the tool run on them, and its report put in the test's log.
#pragma once

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_images.hpp"

namespace schema_check {

// Writes `body` as `name` in the scratch directory's `folder`; its path.
inline std::string write_document(const std::string& folder, const std::string& name,
                                  const std::string& body) {
    const std::filesystem::path dir = test_images::scratch_dir() / folder;
    std::filesystem::create_directories(dir);
    const std::string path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << body;
    return path;
}

// Runs `command` (already quoted) on these files; its exit status, its report (stdout and
// stderr, kept as `log_name` in the scratch directory) in the test's log.
inline int run(const std::string& command, const std::vector<std::string>& paths,
               const std::string& log_name) {
    const std::string log = (test_images::scratch_dir() / log_name).string();
    std::string line = command;
    for (const std::string& path : paths) line += " '" + path + "'";
    line += " > '" + log + "' 2>&1";
    const int status = std::system(line.c_str());
    std::ifstream report(log);
    std::stringstream text;
    text << report.rdbuf();
    UNSCOPED_INFO(text.str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace schema_check
