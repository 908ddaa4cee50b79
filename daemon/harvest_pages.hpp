// The pages of a harvested record fetched for the ingest (issue 18): what choose_pages
// (record_images.hpp) says to fetch, in page order, into a staging directory, as the files of an
// ingest job.
//
// - A manifest: fetched (one bounded GET), each canvas's first painting image taken as a page.
// - An image service (named by the record or by a manifest's image): its info.json read for its
//   version and limits, then the whole image asked at the largest size it serves
//   (3: full/max/0/default.jpg; 2: full/max when it declares limits (2.1), else full/full;
//   1: full/full/0/native.jpg). The service's own base URL is used, not the id it declares.
// - A file: fetched as it is.
//
// An answer that is not an image (an HTML page behind an image's URL) is refused by its type
// before the ingest sees it; the ingest refuses what does not decode. Limits: the object's
// pages (max_files_per_object) and the ingest's bytes per file (max_file_bytes).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "http_fetch.hpp"
#include "ingest.hpp"
#include "record_images.hpp"

namespace iiifd {

struct PageFetchLimits {
    FetchLimits documents;  // manifests and info.json
    FetchLimits images;     // image files
    std::size_t max_pages = 2000;
};

// The limits iiifd's configuration gives.
PageFetchLimits page_fetch_limits(const DaemonConfig& config);

// The URL of the whole image at the largest size the Image API service at `base` (no trailing
// "/info.json") serves, read from its info.json. Throws FetchError when it cannot be fetched,
// ManifestError when it is not an Image API info.json.
std::string whole_image_url(const std::string& base, const FetchLimits& limits);

// Fetches the pages `plan` names into `directory` (which exists), named as staging names them
// ({page}-{name}); returns them in page order. Throws FetchError or ManifestError for the first
// page that cannot be had (no partial object is made: the record is tried again at the next
// harvest).
std::vector<DepositFile> fetch_pages(const PagePlan& plan, const std::string& directory,
                                     const PageFetchLimits& limits);

// What identifies the pages a plan fetches: the kind and the URLs, hashed (SHA-256, hex). A
// record whose plan keeps its signature keeps its pages: they are not fetched again.
std::string pages_signature(const PagePlan& plan);

}  // namespace iiifd
