// A process's resident pages of mapped files, and giving them back. An LMDB reader maps the
// whole file and every page it reads stays in its resident set (RssFile) as long as the map
// lives: a long-lived reader (an nginx worker, a harvest) grows with the files it reads, though
// the pages are the kernel's page cache, shared and reclaimable. madvise(MADV_DONTNEED) on a
// shared, read-only map drops the process's mappings only: the pages stay cached, and a later
// read takes them back with a minor fault.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace iiif {

// RssFile of /proc/self/status, in bytes (0 when it cannot be read).
std::size_t resident_file_bytes();

// Gives back this process's mappings of each file (by path; each compared after
// canonicalisation with the names in /proc/self/maps). Read-only shared maps only: a private
// or writable map would lose its changes.
void unmap_file_pages(const std::vector<std::string>& paths);

}  // namespace iiif
