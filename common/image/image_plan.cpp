#include "image_plan.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <numbers>

#include "iiif_error.hpp"

namespace iiif {
namespace {

[[noreturn]] void bad_request(std::string reason) {
    throw IiifError(400, std::move(reason));
}

int rounded(double value) {
    if (value >= static_cast<double>(std::numeric_limits<int>::max()))
        bad_request("size is too large");
    return static_cast<int>(std::lround(value));
}

// Keeps the aspect ratio: the other side of a region scaled to `side` on one axis.
int proportional(int region_side, int region_other, int side) {
    return std::max(1, rounded(static_cast<double>(region_other) * side / region_side));
}

PixelRect plan_region(const RegionSpec& spec, int image_width, int image_height) {
    double x = spec.x, y = spec.y, w = spec.w, h = spec.h;
    switch (spec.kind) {
        case RegionSpec::Kind::full:
            return {0, 0, image_width, image_height};
        case RegionSpec::Kind::square: {
            int side = std::min(image_width, image_height);
            return {(image_width - side) / 2, (image_height - side) / 2, side, side};
        }
        case RegionSpec::Kind::percent:
            x = std::round(spec.x * image_width / 100.0);
            y = std::round(spec.y * image_height / 100.0);
            w = std::round(spec.w * image_width / 100.0);
            h = std::round(spec.h * image_height / 100.0);
            if (w <= 0 || h <= 0) bad_request("region is less than one pixel");
            break;
        case RegionSpec::Kind::pixels:
            break;
    }
    if (x >= image_width || y >= image_height) bad_request("region is outside the image");
    // Inside the image now, so every value fits in an int.
    PixelRect rect;
    rect.x = static_cast<int>(x);
    rect.y = static_cast<int>(y);
    rect.w = static_cast<int>(std::min(w, static_cast<double>(image_width - rect.x)));
    rect.h = static_cast<int>(std::min(h, static_cast<double>(image_height - rect.y)));
    return rect;
}

Dimensions plan_size(const SizeSpec& spec, ApiVersion version, int rw, int rh,
                     const Limits& limits) {
    // 2.1 has no ^: upscaling is allowed there for every form (the sizeAboveFull feature).
    const bool may_upscale = spec.upscale || version == ApiVersion::v2;
    Dimensions out;
    switch (spec.kind) {
        case SizeSpec::Kind::full:
            // 2.1's full asks for the region unscaled; like max it is brought within the limits,
            // so that the URL every 2.1 client makes of a whole image is always served.
        case SizeSpec::Kind::max:
            return max_size(rw, rh, limits, spec.upscale);
        case SizeSpec::Kind::width:
            out = {spec.width, proportional(rw, rh, spec.width)};
            break;
        case SizeSpec::Kind::height:
            out = {proportional(rh, rw, spec.height), spec.height};
            break;
        case SizeSpec::Kind::percent:
            out = {rounded(rw * spec.percent / 100.0), rounded(rh * spec.percent / 100.0)};
            if (out.width == 0 || out.height == 0) bad_request("size is less than one pixel");
            break;
        case SizeSpec::Kind::exact:
            out = {spec.width, spec.height};
            break;
        case SizeSpec::Kind::best_fit: {
            double width_scale = static_cast<double>(spec.width) / rw;
            double height_scale = static_cast<double>(spec.height) / rh;
            if (!may_upscale && width_scale >= 1 && height_scale >= 1) {
                out = {rw, rh};
            } else if (width_scale <= height_scale) {
                out = {spec.width, proportional(rw, rh, spec.width)};
            } else {
                out = {proportional(rh, rw, spec.height), spec.height};
            }
            // "As large as possible but not larger than ... server-imposed limits": a best fit
            // shrinks into the limits instead of failing on them.
            Limits size_limits = limits;  // the scale bound is the region's, below
            size_limits.max_scale = 0;
            out = max_size(out.width, out.height, size_limits, false);
            if (limits.max_scale > 0) {
                Limits scale_only;
                scale_only.max_scale = limits.max_scale;
                const Dimensions bound = max_size(rw, rh, scale_only, false);
                if (out.width > bound.width || out.height > bound.height)
                    out = static_cast<double>(bound.width) / out.width <=
                                  static_cast<double>(bound.height) / out.height
                              ? Dimensions{bound.width,
                                           proportional(out.width, out.height, bound.width)}
                              : Dimensions{proportional(out.height, out.width, bound.height),
                                           bound.height};
            }
            break;
        }
    }
    if (!may_upscale && (out.width > rw || out.height > rh))
        bad_request("size is larger than the region; use ^ to upscale");
    if ((limits.max_width && out.width > limits.max_width) ||
        (limits.max_height && out.height > limits.max_height))
        bad_request("size exceeds maxWidth or maxHeight");
    if (limits.max_area && static_cast<std::int64_t>(out.width) * out.height > limits.max_area)
        bad_request("size exceeds maxArea");
    return out;
}

std::string format_degrees(double degrees) {
    // Shortest fixed-point text that reads back as the same value: "90", "22.5", "0.5".
    char buffer[512];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, degrees, std::chars_format::fixed);
    if (result.ec != std::errc()) bad_request("rotation is not representable");
    return std::string(buffer, result.ptr);
}

std::string canonical_size(ApiVersion version, Dimensions out, int rw, int rh,
                           const Limits& limits) {
    auto pair = [](int w, int h) { return std::to_string(w) + "," + std::to_string(h); };
    if (version == ApiVersion::v2) {
        if (out == Dimensions{rw, rh}) return "full";
        if (out.height == proportional(rw, rh, out.width)) return std::to_string(out.width) + ",";
        return pair(out.width, out.height);
    }
    if (out == max_size(rw, rh, limits, false)) return "max";
    if (out.width > rw || out.height > rh) return "^" + pair(out.width, out.height);
    return pair(out.width, out.height);
}

}  // namespace

Dimensions max_size(int rw, int rh, const Limits& limits, bool upscale) {
    double scale = upscale ? std::numeric_limits<double>::infinity() : 1.0;
    if (limits.max_width) scale = std::min(scale, static_cast<double>(limits.max_width) / rw);
    if (limits.max_height) scale = std::min(scale, static_cast<double>(limits.max_height) / rh);
    if (limits.max_area)
        scale = std::min(scale, std::sqrt(static_cast<double>(limits.max_area) /
                                          (static_cast<double>(rw) * rh)));
    if (limits.max_scale > 0) scale = std::min(scale, limits.max_scale);
    if (std::isinf(scale) || scale == 1.0) return {rw, rh};
    auto side = [&](int length) {
        double scaled = std::floor(length * scale);
        if (scaled >= std::numeric_limits<int>::max()) bad_request("size is too large");
        return std::max(1, static_cast<int>(scaled));
    };
    return {side(rw), side(rh)};
}

Limits degraded_limits(const Limits& limits, int image_width, int image_height, int size) {
    Limits degraded = limits;
    const int longer = std::max(image_width, image_height);
    if (size <= 0 || longer <= size) return degraded;
    degraded.max_scale = static_cast<double>(size) / longer;
    const Dimensions fitted = max_size(image_width, image_height, degraded, false);
    degraded.max_width = limits.max_width ? std::min(limits.max_width, fitted.width) : fitted.width;
    degraded.max_height =
        limits.max_height ? std::min(limits.max_height, fitted.height) : fitted.height;
    return degraded;
}

bool within_scale(const ImagePlan& plan, const Limits& limits) {
    if (limits.max_scale <= 0) return true;
    // Sides as rotation leaves them unchanged: the plan's size is before rotation.
    const double slack = 1e-9;
    return plan.width <= std::ceil(plan.region.w * limits.max_scale - slack) &&
           plan.height <= std::ceil(plan.region.h * limits.max_scale - slack);
}

Dimensions rotated_size(int width, int height, double degrees) {
    double turns = std::fmod(degrees, 360.0);
    if (turns == 0 || turns == 180) return {width, height};
    if (turns == 90 || turns == 270) return {height, width};
    double radians = degrees * std::numbers::pi / 180.0;
    double c = std::fabs(std::cos(radians)), s = std::fabs(std::sin(radians));
    // Saturated: the box of two sides near an int's largest may not fit in one.
    auto side = [](double length) {
        return static_cast<int>(std::min(std::ceil(length - 1e-6),
                                         static_cast<double>(std::numeric_limits<int>::max())));
    };
    return {side(width * c + height * s), side(width * s + height * c)};
}

ImagePlan plan_image(const ImageRequest& request, int image_width, int image_height,
                     const Limits& limits) {
    if (image_width <= 0 || image_height <= 0) throw IiifError(422, "image has no pixels");
    ImagePlan plan;
    plan.region = plan_region(request.region, image_width, image_height);
    Dimensions out = plan_size(request.size, request.version, plan.region.w, plan.region.h, limits);
    // An output its format cannot hold is the request's fault, told before anything is decoded
    // (its encoder would fail only once the pixels are made).
    const int side = max_output_side(request.format);
    const Dimensions shown = rotated_size(out.width, out.height, request.rotation.degrees);
    if (shown.width > side || shown.height > side)
        bad_request("a " + std::string(format_extension(request.format)) + " output has at most " +
                    std::to_string(side) + " pixels a side");
    plan.width = out.width;
    plan.height = out.height;
    plan.mirror = request.rotation.mirror;
    plan.degrees = request.rotation.degrees;
    plan.quality = request.quality;
    plan.format = request.format;

    const PixelRect& r = plan.region;
    std::string region = (r == PixelRect{0, 0, image_width, image_height})
                             ? "full"
                             : std::to_string(r.x) + "," + std::to_string(r.y) + "," +
                                   std::to_string(r.w) + "," + std::to_string(r.h);
    plan.canonical = region + "/" + canonical_size(request.version, out, r.w, r.h, limits) + "/" +
                     (plan.mirror ? "!" : "") + format_degrees(plan.degrees) + "/" +
                     std::string(quality_name(plan.quality)) + "." +
                     std::string(format_extension(plan.format));
    return plan;
}

}  // namespace iiif
