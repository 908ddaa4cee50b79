// IIIF Presentation 3.0 documents checked against the official JSON schema
// (shared/schemas/iiif-presentation/iiif_3_0.json) by tests/tools/validate_presentation.py,
// with Debian's python3-jsonschema. Needs IIIF_SOURCE_DIR (the repository) and IIIF_SHARED_DIR
// (the folder of shared/schemas, found by tests/CMakeLists.txt) defined.
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

namespace presentation_schema {

inline const std::string kValidator = IIIF_SOURCE_DIR "/tests/tools/validate_presentation.py";
inline const std::string kSchema = IIIF_SHARED_DIR "/schemas/iiif-presentation/iiif_3_0.json";

// Writes a document into the tests' scratch directory; its path.
inline std::string write_document(const std::string& name, const std::string& body) {
    const std::filesystem::path dir = test_images::scratch_dir() / "presentation";
    std::filesystem::create_directories(dir);
    const std::string path = (dir / name).string();
    std::ofstream(path) << body;
    return path;
}

// The validator's exit status for these files (0: all valid); its report goes to the test's
// log.
inline int validate(const std::vector<std::string>& paths) {
    const std::string log = (test_images::scratch_dir() / "presentation-validation.log").string();
    std::string command = "python3 '" + kValidator + "' '" + kSchema + "'";
    for (const std::string& path : paths) command += " '" + path + "'";
    command += " > '" + log + "' 2>&1";
    const int status = std::system(command.c_str());
    std::ifstream report(log);
    std::stringstream text;
    text << report.rdbuf();
    UNSCOPED_INFO(text.str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace presentation_schema
