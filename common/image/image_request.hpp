// The IIIF Image API request grammar, versions 2.1 and 3.0, parsed into values.
//
// Parsing knows nothing of the image: it rejects what is malformed (400) or names a feature this
// server does not offer (501, or 415 for an unsupported format in 2.1). Everything that needs the
// image's size (a region outside it, upscaling, limits) is decided by plan_image().
#pragma once

#include <string>
#include <string_view>

#include "encoding.hpp"

namespace iiif {

enum class ApiVersion { v2, v3 };

struct RegionSpec {
    enum class Kind { full, square, pixels, percent };
    Kind kind = Kind::full;
    double x = 0, y = 0, w = 0, h = 0;  // pixels (integral) or percent
};

struct SizeSpec {
    // full: 2.1 only. max: 2.1 and 3.0. The others exist in both; `upscale` (^) is 3.0 only.
    enum class Kind { full, max, width, height, percent, exact, best_fit };
    Kind kind = Kind::max;
    bool upscale = false;
    int width = 0, height = 0;
    double percent = 0;
};

struct RotationSpec {
    bool mirror = false;
    double degrees = 0;  // [0, 360]
};

enum class Quality { default_quality, color, gray, bitonal };
enum class Format { jpg, png, webp, tif, gif };

struct ImageRequest {
    ApiVersion version = ApiVersion::v3;
    RegionSpec region;
    SizeSpec size;
    RotationSpec rotation;
    Quality quality = Quality::default_quality;
    Format format = Format::jpg;
};

// Parses the four parameter segments of an image request (already percent-decoded).
ImageRequest parse_image_request(ApiVersion version, std::string_view region, std::string_view size,
                                 std::string_view rotation, std::string_view quality_dot_format);

// A request path below the service prefix, parsed from the right so that identifiers may hold
// raw slashes: "{id}/info.json", "{id}/{region}/{size}/{rotation}/{quality}.{format}" (five
// segments or more, the last with a dot) or "{id}" (the base URI, anything else). Segments are
// percent-decoded after splitting, so "%2F" in an identifier is a slash of the identifier, never a
// separator.
struct IiifPath {
    enum class Kind { base, info, image };
    Kind kind = Kind::base;
    std::string identifier;
    ImageRequest image;  // meaningful when kind == image
};

IiifPath parse_iiif_path(ApiVersion version, std::string_view path);

// Decodes %XX escapes; a malformed escape or an encoded NUL is a 400.
std::string percent_decode(std::string_view text);
// An identifier as one path segment of a URI (slashes included, ':' kept): the form of the
// "id" of an image's info.json and of the image services in manifests.
std::string encode_identifier(std::string_view identifier);

std::string_view format_extension(Format format);
std::string_view format_media_type(Format format);
// The largest width or height an output of `format` can have (JPEG: 65500 in libjpeg-turbo,
// WebP: 16383, GIF: 65535; PNG and TIFF: no bound below an int's).
int max_output_side(Format format);
std::string_view quality_name(Quality quality);

}  // namespace iiif
