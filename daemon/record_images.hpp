// The images a harvested record points to, in page order: the references its metadata makes
// (Dublin Core, EDM), what the harvester fetches of them, and the pages of a IIIF
// Presentation manifest (3.0 or 2.1), fetched with one bounded GET.
//
// A reference's kind is read from its URL, as partners write them:
//   manifest       the last path segment names a manifest (".../manifest", ".../manifest.json",
//                  "b123-manifest.json"), or EDM calls it one (dcterms:isReferencedBy, or an
//                  svcs:Service conforming to the Presentation API);
//   image_service  ".../info.json", a URL of the Image API's form
//                  {base}/{region}/{size}/{rotation}/{quality}.{format}, or an EDM svcs:Service
//                  conforming to the Image API; the URL kept is the service's base;
//   file           an image file (.jpg .jpeg .tif .tiff .jp2 .j2k .png, any case, a query
//                  allowed);
//   page           any other http(s) URL: a landing page to link to, never fetched as an image.
#pragma once

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "http_fetch.hpp"
#include "oai_harvester.hpp"

namespace iiifd {

enum class ReferenceKind { manifest, image_service, file, page };

struct ImageReference {
    std::string url;
    ReferenceKind kind = ReferenceKind::page;
    // The element that names it first, prefixed as usual: "dc:identifier", "dc:relation",
    // "dc:source", "dcterms:isReferencedBy", "svcs:Service", "edm:isShownBy", "edm:hasView",
    // "edm:isShownAt".
    std::string element;
    bool shown_at = false;  // an edm:isShownAt names it (maybe not first): the landing page
    bool operator==(const ImageReference&) const = default;
};

constexpr std::size_t kMaxReferenceLength = 2000;

// The http(s) URLs of the record, each once (the first place it is named), in document order,
// but for EDM's edm:isShownBy, the object's main view, put before its edm:hasView siblings.
// Read from `metadata_xml` (oai_dc, EDM, any format using those elements); from `dc`
// (identifier, relation, then source) when there is no metadata XML or it cannot be read. Values
// that are not http(s) URLs, or longer than kMaxReferenceLength, are left out.
std::vector<ImageReference> find_image_references(const HarvestedRecord& record);

// What the harvester fetches for a record, and the page it links to.
struct PagePlan {
    // manifest: `urls` holds the first manifest; image_service or file: every service, or
    // every file, in order; page: nothing to fetch, the record is described only.
    ReferenceKind fetch = ReferenceKind::page;
    std::vector<std::string> urls;
    std::string landing_page;  // edm:isShownAt's page, else the first page; empty when none
    bool described_only() const { return urls.empty(); }
    bool operator==(const PagePlan&) const = default;
};

PagePlan choose_pages(const std::vector<ImageReference>& references);

// ---- manifests ------------------------------------------------------------------------------

enum class ImageServiceType { none, image_service1, image_service2, image_service3 };

struct ManifestImage {
    std::string canvas_id;
    std::string label;  // the canvas's first label value; empty when it has none
    // The image service's base URL (without "/info.json"), or the image's own URL when
    // `service` is none.
    std::string url;
    ImageServiceType service = ImageServiceType::none;
    std::string image_url;  // the painting image's own URL, whatever its service
    bool operator==(const ManifestImage&) const = default;
};

struct ManifestLimits {
    std::size_t max_canvases = 2000;
};

// What is refused of a manifest or its fetch, with the reason; `http_status` when the server
// answered with an error status, 0 otherwise.
class ManifestError : public std::runtime_error {
  public:
    explicit ManifestError(const std::string& message, long http_status = 0)
        : std::runtime_error(message), http_status_(http_status) {}
    long http_status() const { return http_status_; }

  private:
    long http_status_;
};

// The first painting image of each canvas, in canvas order; canvases without one (blank,
// audio, video) are passed over. Of an image's services the most recent Image API version is
// kept. Throws ManifestError for text that is not JSON or not a Presentation 3.0 or 2.1
// Manifest, a manifest with no canvas or none with an image, or more than
// `limits.max_canvases` canvases.
std::vector<ManifestImage> manifest_images(const std::string& json,
                                           const ManifestLimits& limits = {});

// One GET of `url` (http or https only, redirects included), asking for gzip: the body of a
// 200 answer. Throws ManifestError for another status, a body over `limits.max_bytes`, too
// many redirects, a timeout, a transport failure.
std::string fetch_manifest(const std::string& url, const FetchLimits& limits = {});

}  // namespace iiifd
