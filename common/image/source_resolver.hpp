// File mode: an identifier names a file in the source directory, `{dir}/{id}.{ext}` with the
// first of tif, tiff, jp2, jpg, jpeg, png that exists. Identifiers may contain slashes
// (sub-directories) but never a segment that could leave the directory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace iiif {

struct ResolvedSource {
    std::string path;
    std::int64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::uint64_t inode = 0;
    // Names this version of this file: changes when the file is replaced or rewritten.
    std::string identity() const;
};

// Throws IiifError(400) for an identifier that is unsafe as a path (empty or "." or ".."
// segments, a leading slash, backslashes, control characters, over 1024 bytes). Returns
// nullopt when no file matches.
std::optional<ResolvedSource> resolve_source_file(const std::string& directory,
                                                  const std::string& identifier);

}  // namespace iiif
