// Opening a source file with libvips: probing its size and pyramid without decoding pixels.
#pragma once

#include <string>

#include "source_info.hpp"

namespace iiif {

// Limits on what a source may declare. A file beyond them is refused before any decode.
struct SourceLimits {
    int max_dimension = 100000;  // width or height
};

// Reads the header(s) of `path`. Throws IiifError: 404 if the file does not exist, 415 if it is
// no image format we read, 422 if it is corrupt or declares absurd dimensions.
SourceInfo probe_source(const std::string& path, const SourceLimits& limits = {});
// The same, kept in memory under `identity` (a source version's name, see
// ResolvedSource::identity), so that a source is probed once per process and version; the few
// thousand most recent are kept.
SourceInfo probe_source(const std::string& path, const SourceLimits& limits,
                        const std::string& identity);

}  // namespace iiif
