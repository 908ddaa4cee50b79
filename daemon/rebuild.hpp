// `iiifd rebuild`: the catalog emptied and filled again from the storage root, the durable
// truth: every object.json under it (object_store.hpp), wherever it is, so that a storage root
// copied or moved elsewhere rebuilds the same catalog.
#pragma once

#include <string>
#include <vector>

#include "catalog.hpp"
#include "daemon_config.hpp"

namespace iiifd {

struct RebuildReport {
    int objects = 0;
    int images = 0;
    // object.json files that could not be read, objects the catalog cannot hold (left out,
    // their object.json untouched), and masters they name that are missing
    std::vector<std::string> problems;
};
RebuildReport rebuild_catalog(const DaemonConfig& config, iiif::CatalogWriter& catalog);

}  // namespace iiifd
