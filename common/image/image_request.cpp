#include "image_request.hpp"

#include <charconv>
#include <limits>
#include <optional>
#include <vector>

#include "iiif_error.hpp"

namespace iiif {
namespace {

[[noreturn]] void bad_request(std::string reason) {
    throw IiifError(400, std::move(reason));
}

bool all_digits(std::string_view text) {
    if (text.empty()) return false;
    for (char c : text)
        if (c < '0' || c > '9') return false;
    return true;
}

// A non-negative integer written with digits only; nullopt for anything else or an overflow.
std::optional<int> parse_integer(std::string_view text) {
    if (!all_digits(text)) return std::nullopt;
    int value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// A non-negative decimal: digits, optionally followed by '.' and digits ("10", "10.5").
// Exponents, signs, and a bare leading or trailing '.' are refused.
std::optional<double> parse_decimal(std::string_view text) {
    auto dot = text.find('.');
    if (dot == std::string_view::npos) {
        if (!all_digits(text)) return std::nullopt;
    } else if (!all_digits(text.substr(0, dot)) || !all_digits(text.substr(dot + 1))) {
        return std::nullopt;
    }
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    while (true) {
        size_t at = text.find(separator, start);
        if (at == std::string_view::npos) {
            parts.push_back(text.substr(start));
            return parts;
        }
        parts.push_back(text.substr(start, at - start));
        start = at + 1;
    }
}

bool consume_prefix(std::string_view& text, std::string_view prefix) {
    if (!text.starts_with(prefix)) return false;
    text.remove_prefix(prefix.size());
    return true;
}

RegionSpec parse_region(std::string_view text) {
    RegionSpec region;
    if (text == "full") return region;
    if (text == "square") {
        region.kind = RegionSpec::Kind::square;
        return region;
    }
    bool percent = consume_prefix(text, "pct:");
    auto parts = split(text, ',');
    if (parts.size() != 4) bad_request("region must be full, square, x,y,w,h or pct:x,y,w,h");
    double values[4];
    for (size_t i = 0; i < 4; ++i) {
        std::optional<double> value = parse_decimal(parts[i]);
        if (!percent) {
            auto integer = parse_integer(parts[i]);
            value = integer ? std::optional<double>(*integer) : std::nullopt;
        }
        if (!value) bad_request("region values must be non-negative numbers");
        values[i] = *value;
    }
    region.kind = percent ? RegionSpec::Kind::percent : RegionSpec::Kind::pixels;
    region.x = values[0];
    region.y = values[1];
    region.w = values[2];
    region.h = values[3];
    if (region.w <= 0 || region.h <= 0) bad_request("region width and height must be above zero");
    return region;
}

int positive_dimension(std::string_view text) {
    auto value = parse_integer(text);
    if (!value) bad_request("size dimensions must be positive integers");
    if (*value == 0) bad_request("size dimensions must be above zero");
    return *value;
}

SizeSpec parse_size(ApiVersion version, std::string_view text) {
    SizeSpec size;
    if (version == ApiVersion::v3) {
        size.upscale = consume_prefix(text, "^");
    } else if (text.starts_with("^")) {
        bad_request("upscaling with ^ is Image API 3.0 syntax");
    }

    if (text == "max") {
        size.kind = SizeSpec::Kind::max;
        return size;
    }
    if (text == "full") {
        if (version == ApiVersion::v3) bad_request("size full is not Image API 3.0; use max");
        size.kind = SizeSpec::Kind::full;
        return size;
    }
    if (consume_prefix(text, "pct:")) {
        auto percent = parse_decimal(text);
        if (!percent) bad_request("size pct:n needs a non-negative number");
        if (*percent <= 0) bad_request("size percentage must be above zero");
        if (version == ApiVersion::v3 && !size.upscale && *percent > 100)
            bad_request("size above 100% needs ^ to upscale");
        size.kind = SizeSpec::Kind::percent;
        size.percent = *percent;
        return size;
    }
    bool best_fit = consume_prefix(text, "!");
    auto comma = text.find(',');
    if (comma == std::string_view::npos) bad_request("size must contain a comma");
    std::string_view width = text.substr(0, comma);
    std::string_view height = text.substr(comma + 1);
    if (best_fit || (!width.empty() && !height.empty())) {
        size.kind = best_fit ? SizeSpec::Kind::best_fit : SizeSpec::Kind::exact;
        size.width = positive_dimension(width);
        size.height = positive_dimension(height);
    } else if (!width.empty()) {
        size.kind = SizeSpec::Kind::width;
        size.width = positive_dimension(width);
    } else if (!height.empty()) {
        size.kind = SizeSpec::Kind::height;
        size.height = positive_dimension(height);
    } else {
        bad_request("size needs a width or a height");
    }
    return size;
}

RotationSpec parse_rotation(std::string_view text) {
    RotationSpec rotation;
    rotation.mirror = consume_prefix(text, "!");
    auto degrees = parse_decimal(text);
    if (!degrees) bad_request("rotation must be a number of degrees, optionally after !");
    if (*degrees > 360) bad_request("rotation must be between 0 and 360");
    rotation.degrees = *degrees;
    return rotation;
}

Quality parse_quality(std::string_view text) {
    if (text == "default") return Quality::default_quality;
    if (text == "color") return Quality::color;
    if (text == "gray") return Quality::gray;
    if (text == "bitonal") return Quality::bitonal;
    bad_request("quality must be default, color, gray or bitonal");
}

Format parse_format(ApiVersion version, std::string_view text) {
    if (text == "jpg") return Format::jpg;
    if (text == "png") return Format::png;
    if (text == "webp") return Format::webp;
    if (text == "tif") return Format::tif;
    if (text == "gif") return Format::gif;
    if (text == "jp2" || text == "pdf") {
        // 2.1 names 415 for a format the server does not produce; 3.0 folds it into 501.
        throw IiifError(version == ApiVersion::v2 ? 415 : 501,
                        "format " + std::string(text) + " is not offered");
    }
    bad_request("unknown format");
}

}  // namespace

std::string percent_decode(std::string_view text) {
    std::optional<std::string> decoded = percent_decoded(text);
    if (!decoded) bad_request("malformed percent escape");
    if (decoded->find('\0') != std::string::npos) bad_request("encoded NUL in path");
    return std::move(*decoded);
}

std::string encode_identifier(std::string_view identifier) {
    return percent_encode(identifier, ":");
}

ImageRequest parse_image_request(ApiVersion version, std::string_view region, std::string_view size,
                                 std::string_view rotation, std::string_view quality_dot_format) {
    ImageRequest request;
    request.version = version;
    request.region = parse_region(region);
    request.size = parse_size(version, size);
    request.rotation = parse_rotation(rotation);
    auto dot = quality_dot_format.rfind('.');
    if (dot == std::string_view::npos) bad_request("expected {quality}.{format}");
    request.quality = parse_quality(quality_dot_format.substr(0, dot));
    request.format = parse_format(version, quality_dot_format.substr(dot + 1));
    return request;
}

IiifPath parse_iiif_path(ApiVersion version, std::string_view path) {
    // Split before decoding: an encoded slash belongs to the identifier, never separates.
    auto segments = split(path, '/');
    IiifPath parsed;
    auto identifier_of = [&](size_t count) {
        std::string_view raw =
            path.substr(0, static_cast<size_t>(segments[count - 1].data() - path.data()) +
                               segments[count - 1].size());
        std::string identifier = percent_decode(raw);
        if (identifier.empty()) bad_request("empty identifier");
        return identifier;
    };

    const std::string_view last = segments.back();
    if (last == "info.json") {
        if (segments.size() < 2) bad_request("info.json needs an identifier");
        parsed.kind = IiifPath::Kind::info;
        parsed.identifier = identifier_of(segments.size() - 1);
        return parsed;
    }
    // An image request is at least an identifier and four parameters, the last one with its
    // format; anything shorter ("abc.tif", "a/b.c") is a base URI, even with a dot in it.
    if (segments.size() >= 5 && last.find('.') != std::string_view::npos) {
        size_t n = segments.size();
        parsed.kind = IiifPath::Kind::image;
        parsed.identifier = identifier_of(n - 4);
        parsed.image = parse_image_request(version, percent_decode(segments[n - 4]),
                                           percent_decode(segments[n - 3]),
                                           percent_decode(segments[n - 2]), percent_decode(last));
        return parsed;
    }
    parsed.kind = IiifPath::Kind::base;
    parsed.identifier = percent_decode(path);
    if (parsed.identifier.empty()) bad_request("empty identifier");
    return parsed;
}

std::string_view format_extension(Format format) {
    switch (format) {
        case Format::jpg:
            return "jpg";
        case Format::png:
            return "png";
        case Format::webp:
            return "webp";
        case Format::tif:
            return "tif";
        case Format::gif:
            return "gif";
    }
    return "jpg";
}

std::string_view format_media_type(Format format) {
    switch (format) {
        case Format::jpg:
            return "image/jpeg";
        case Format::png:
            return "image/png";
        case Format::webp:
            return "image/webp";
        case Format::tif:
            return "image/tiff";
        case Format::gif:
            return "image/gif";
    }
    return "application/octet-stream";
}

int max_output_side(Format format) {
    switch (format) {
        case Format::jpg:
            return 65500;
        case Format::webp:
            return 16383;
        case Format::gif:
            return 65535;
        case Format::png:
        case Format::tif:
            break;
    }
    return std::numeric_limits<int>::max();
}

std::string_view quality_name(Quality quality) {
    switch (quality) {
        case Quality::default_quality:
            return "default";
        case Quality::color:
            return "color";
        case Quality::gray:
            return "gray";
        case Quality::bitonal:
            return "bitonal";
    }
    return "default";
}

}  // namespace iiif
