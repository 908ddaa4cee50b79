// IIIF Presentation 3.0 documents checked against the official JSON schema
// (shared/schemas/iiif-presentation/iiif_3_0.json) by tests/tools/validate_presentation.py,
// with Debian's python3-jsonschema. Needs IIIF_SOURCE_DIR (the repository) and IIIF_SHARED_DIR
// (the folder of shared/schemas, found by tests/CMakeLists.txt) defined.
#pragma once

#include <string>
#include <vector>

#include "schema_check.hpp"

namespace presentation_schema {

inline const std::string kValidator = IIIF_SOURCE_DIR "/tests/tools/validate_presentation.py";
inline const std::string kSchema = IIIF_SHARED_DIR "/schemas/iiif-presentation/iiif_3_0.json";

// Writes a document into the tests' scratch directory; its path.
inline std::string write_document(const std::string& name, const std::string& body) {
    return schema_check::write_document("presentation", name, body);
}

// The validator's exit status for these files (0: all valid); its report goes to the test's
// log.
inline int validate(const std::vector<std::string>& paths) {
    return schema_check::run("python3 '" + kValidator + "' '" + kSchema + "'", paths,
                             "presentation-validation.log");
}

}  // namespace presentation_schema
