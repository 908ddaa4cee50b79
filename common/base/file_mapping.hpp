// Where a file is mapped in this process. LMDB says where it mapped its data file only with
// MDB_FIXEDMAP; a reader that gives a server a file offset for a value it read in place (for
// sendfile) finds the map here: the value's offset in the file is its address minus the base.
#pragma once

#include <cstddef>

namespace iiif {

struct FileMapping {
    const char* base = nullptr;  // null: not mapped
    size_t size = 0;
};

// The mapping of the file open at `fd` that starts at its offset 0, from /proc/self/maps (the
// first one, when there are several). A few hundred microseconds: look it up once per map.
FileMapping find_file_mapping(int fd);

}  // namespace iiif
