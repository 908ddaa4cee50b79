// OAI-PMH responses checked by the tools in tests/tools:
//  - validate_oai.py: xmllint against the official OAI-PMH 2.0 and oai_dc schemas
//    (shared/schemas/oai-pmh), plus our tests/schemas/oai-identifier.xsd (Identify's
//    description) and tests/schemas/edm/*.xsd (the strict shape of our EDM records);
//  - check_edm.py: Europeana's mandatory EDM rules on each record's RDF graph, with Debian's
//    python3-rdflib.
// Both run with Debian's /usr/bin/python3 (where python3-rdflib is; another python3 on PATH
// may lack it). Needs IIIF_SOURCE_DIR (the repository) and IIIF_SHARED_DIR (the folder of
// shared/schemas, found by tests/CMakeLists.txt) defined.
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

namespace oai_schema {

inline const std::string kPython = "/usr/bin/python3";
inline const std::string kValidator = IIIF_SOURCE_DIR "/tests/tools/validate_oai.py";
inline const std::string kEdmChecker = IIIF_SOURCE_DIR "/tests/tools/check_edm.py";
inline const std::string kSharedSchemas = IIIF_SHARED_DIR "/schemas";

// Writes a document (an uncompressed response body) into the tests' scratch directory; its
// path.
inline std::string write_document(const std::string& name, const std::string& body) {
    const std::filesystem::path dir = test_images::scratch_dir() / "oai";
    std::filesystem::create_directories(dir);
    const std::string path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << body;
    return path;
}

// Runs `arguments` (already quoted) with the Debian python; its exit status, its report (stdout
// and stderr) in the test's log.
inline int run_tool(const std::string& arguments, const std::vector<std::string>& paths,
                    const std::string& log_name) {
    const std::string log = (test_images::scratch_dir() / log_name).string();
    std::string command = kPython + " " + arguments;
    for (const std::string& path : paths) command += " '" + path + "'";
    command += " > '" + log + "' 2>&1";
    const int status = std::system(command.c_str());
    std::ifstream report(log);
    std::stringstream text;
    text << report.rdbuf();
    UNSCOPED_INFO(text.str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// validate_oai.py's exit status for these files (0: all valid against the schemas).
inline int validate(const std::vector<std::string>& paths) {
    return run_tool("'" + kValidator + "' '" + kSharedSchemas + "'", paths,
                    "oai-validation.log");
}

// check_edm.py's exit status for these files (0: every EDM record follows Europeana's rules).
inline int check_edm(const std::vector<std::string>& paths) {
    return run_tool("'" + kEdmChecker + "'", paths, "oai-edm-check.log");
}

}  // namespace oai_schema
