// `iiifd remaster`: the TIFF masters written before iiifd coded their JPEG tiles in YCbCr 4:2:0
// (RGB-coded JPEG, about three times the bytes of a passed-through tile at the same quality)
// made again from their originals, in place. Each new master is written beside the old one and
// renamed over it; then object.json and the catalog record it with the image's version bumped,
// so that no tile cached from the old master is served for the new one. A master already in
// YCbCr, a JPEG 2000 and a withdrawn object's (in quarantine) are left as they are, so running
// it again does nothing. Run it while iiifd is stopped, as `iiifd rebuild`: a PATCH or a
// takedown in between would race with the object.json it rewrites.
#pragma once

#include <string>
#include <vector>

#include "catalog.hpp"
#include "daemon_config.hpp"

namespace iiifd {

struct RemasterReport {
    int objects = 0;  // objects with at least one master made again
    int images = 0;   // masters made again
    // images that could not be made again (a missing or undecodable original), and why
    std::vector<std::string> problems;
};

// Only with config.master_format "tiff" (a jp2 configuration remasters nothing).
RemasterReport remaster_masters(const DaemonConfig& config, iiif::CatalogWriter& catalog);

// Whether `path` is a TIFF whose JPEG tiles are coded RGB (a master to make again).
bool has_rgb_jpeg_tiles(const std::string& path);

}  // namespace iiifd
