// OAI-PMH responses checked by the tools in tests/tools:
//  - validate_oai.py: xmllint against the official OAI-PMH 2.0 and oai_dc schemas
//    (shared/schemas/oai-pmh), plus our tests/schemas/oai-identifier.xsd (Identify's
//    description), tests/schemas/provenance.xsd (a harvested record's <about>) and
//    tests/schemas/edm/*.xsd (the strict shape of our EDM records);
//  - check_edm.py: Europeana's mandatory EDM rules on each record's RDF graph, with Debian's
//    python3-rdflib.
// Both run with Debian's /usr/bin/python3 (where python3-rdflib is; another python3 on PATH
// may lack it). Needs IIIF_SOURCE_DIR (the repository) and IIIF_SHARED_DIR (the folder of
// shared/schemas, found by tests/CMakeLists.txt) defined.
#pragma once

#include <string>
#include <vector>

#include "schema_check.hpp"

namespace oai_schema {

inline const std::string kPython = "/usr/bin/python3";
inline const std::string kValidator = IIIF_SOURCE_DIR "/tests/tools/validate_oai.py";
inline const std::string kEdmChecker = IIIF_SOURCE_DIR "/tests/tools/check_edm.py";
inline const std::string kSharedSchemas = IIIF_SHARED_DIR "/schemas";

// Writes a document (an uncompressed response body) into the tests' scratch directory; its
// path.
inline std::string write_document(const std::string& name, const std::string& body) {
    return schema_check::write_document("oai", name, body);
}

// validate_oai.py's exit status for these files (0: all valid against the schemas).
inline int validate(const std::vector<std::string>& paths) {
    return schema_check::run(kPython + " '" + kValidator + "' '" + kSharedSchemas + "'", paths,
                             "oai-validation.log");
}

// Writes a response as `name` and validates it against the OAI-PMH schemas.
inline bool valid(const std::string& name, const std::string& body) {
    return validate({write_document(name, body)}) == 0;
}

// check_edm.py's exit status for these files (0: every EDM record follows Europeana's rules).
inline int check_edm(const std::vector<std::string>& paths) {
    return schema_check::run(kPython + " '" + kEdmChecker + "'", paths, "oai-edm-check.log");
}

}  // namespace oai_schema
