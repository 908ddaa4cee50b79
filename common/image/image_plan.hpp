// Planning: an ImageRequest applied to an image of known size becomes the exact pixel region to
// read, the exact output size, and the canonical form of the request (used for
// `Link: rel="canonical"` and as the cache key). Every rule that needs the image's size lives
// here: region cropping, zero sizes, upscaling, maxWidth / maxHeight / maxArea.
#pragma once

#include <cstdint>
#include <string>

#include "image_request.hpp"

namespace iiif {

// The limits a service declares in info.json. Zero means "no limit".
struct Limits {
    int max_width = 0;
    int max_height = 0;
    std::int64_t max_area = 0;
    // Degraded access (access.hpp): output pixels per source pixel may not exceed this, so no
    // request gets more detail than the image fitted to a size; 0: no bound. `max` and best
    // fits shrink into it; the service refuses other sizes beyond it (its status: 401 or 403).
    double max_scale = 0;
};
// The limits of degraded access: the image fitted to `size` pixels on its longer side.
Limits degraded_limits(const Limits& limits, int image_width, int image_height, int size);
// Whether a planned output stays within limits.max_scale of its region (always without one).
struct ImagePlan;
bool within_scale(const ImagePlan& plan, const Limits& limits);

struct PixelRect {
    int x = 0, y = 0, w = 0, h = 0;
    bool operator==(const PixelRect&) const = default;
};

struct ImagePlan {
    PixelRect region;  // in full-resolution pixels, inside the image
    int width = 0;     // output size before rotation
    int height = 0;
    bool mirror = false;
    double degrees = 0;
    Quality quality = Quality::default_quality;
    Format format = Format::jpg;
    std::string canonical;  // "{region}/{size}/{rotation}/{quality}.{format}"
};

ImagePlan plan_image(const ImageRequest& request, int image_width, int image_height,
                     const Limits& limits);

// The size `max` gives for a region under the limits (never larger than the region).
struct Dimensions {
    int width = 0, height = 0;
    bool operator==(const Dimensions&) const = default;
};
Dimensions max_size(int region_width, int region_height, const Limits& limits, bool upscale);

// Output size of rotating a w x h image by `degrees` (the bounding box libvips produces).
Dimensions rotated_size(int width, int height, double degrees);

}  // namespace iiif
