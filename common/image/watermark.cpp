#include "watermark.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <string_view>
#include <tuple>
#include <vector>

#include "iiif_error.hpp"

namespace iiif {
namespace {

using vips::VImage;

// Text is drawn this large once, then scaled to the mark's width as an image mark is.
constexpr const char* kTextFont = "DejaVu Sans Bold 128";

std::optional<std::array<double, 3>> parse_colour(std::string_view text) {
    if (text.size() != 7 || text[0] != '#') return std::nullopt;
    std::array<double, 3> rgb{};
    for (size_t i = 0; i < 3; ++i) {
        const char* first = text.data() + 1 + 2 * i;
        unsigned value = 0;
        auto [end, error] = std::from_chars(first, first + 2, value, 16);
        if (error != std::errc() || end != first + 2) return std::nullopt;
        rgb[i] = value;
    }
    return rgb;
}

// Marks are held as 8-bit sRGB with an alpha band, decoded into memory.
VImage as_srgb_alpha(VImage image) {
    if (image.interpretation() != VIPS_INTERPRETATION_sRGB || image.bands() < 3)
        image = image.colourspace(VIPS_INTERPRETATION_sRGB);
    if (image.format() != VIPS_FORMAT_UCHAR) image = image.cast(VIPS_FORMAT_UCHAR);
    if (!image.has_alpha()) image = image.bandjoin_const({255});
    return image.copy_memory();
}

VImage read_png_mark(const std::string& path) {
    return as_srgb_alpha(
        VImage::pngload(path.c_str(), VImage::option()->set("fail_on", VIPS_FAIL_ON_ERROR)));
}

// The text's coverage as alpha under ink of one colour. The text is escaped: libvips reads
// Pango markup, where "Smith & Sons" would be an error.
VImage text_mark(const std::string& text, const std::array<double, 3>& colour) {
    char* escaped = g_markup_escape_text(text.c_str(), -1);
    std::string markup(escaped);
    g_free(escaped);
    VImage coverage = VImage::text(markup.c_str(), VImage::option()->set("font", kTextFont));
    VImage ink = (VImage::black(coverage.width(), coverage.height()) +
                  std::vector<double>(colour.begin(), colour.end()))
                     .cast(VIPS_FORMAT_UCHAR);
    return ink.bandjoin(coverage)
        .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB))
        .copy_memory();
}

// Each mark is made once per process and then only read, which libvips allows from any number
// of render threads at once. The lock guards the map, and the first making of each mark so
// that two threads never decode the same PNG side by side.
VImage mark_for(const WatermarkSpec& spec) {
    static std::mutex mutex;
    static std::map<std::tuple<std::string, std::string, std::string>, VImage> marks;
    auto key = spec.image.empty() ? std::tuple(std::string(), spec.text, spec.color)
                                  : std::tuple(spec.image, std::string(), std::string());
    std::lock_guard lock(mutex);
    if (auto found = marks.find(key); found != marks.end()) return found->second;
    VImage mark;
    if (spec.image.empty()) {
        auto colour = parse_colour(spec.color);
        if (!colour) throw IiifError(500, "watermark " + spec.name + " has no valid colour");
        try {
            mark = text_mark(spec.text, *colour);
        } catch (const vips::VError&) {
            vips_error_clear();
            throw IiifError(500, "watermark " + spec.name + ": its text cannot be drawn");
        }
    } else {
        try {
            mark = read_png_mark(spec.image);
        } catch (const vips::VError&) {
            vips_error_clear();
            throw IiifError(
                500, "watermark " + spec.name + ": " + spec.image + " cannot be read as a PNG");
        }
    }
    marks.emplace(std::move(key), mark);
    return mark;
}

struct Box {
    int x, y, width, height;
};

// Where a mark of mark_width x mark_height goes on a width x height output: `scale` of the
// output's width, its aspect kept, shrunk further to fit inside the margins, and never less than
// a pixel. The margins take at most a quarter of each side: an output that is to be marked is
// marked, however small (a tile of a degraded image, which min_size does not spare).
Box mark_box(const WatermarkSpec& spec, int mark_width, int mark_height, int width, int height) {
    const int margin = std::min({spec.margin, width / 4, height / 4});
    const int room_width = width - 2 * margin;
    const int room_height = height - 2 * margin;
    const double aspect = static_cast<double>(mark_height) / mark_width;
    int w = std::clamp(static_cast<int>(std::lround(spec.scale * width)), 1, room_width);
    int h = std::max(1, static_cast<int>(std::lround(w * aspect)));
    if (h > room_height) {
        h = room_height;
        w = std::clamp(static_cast<int>(std::lround(h / aspect)), 1, room_width);
    }

    const std::string_view position = spec.position;
    Box box{(width - w) / 2, (height - h) / 2, w, h};
    if (position.ends_with("left")) box.x = margin;
    if (position.ends_with("right")) box.x = width - margin - w;
    if (position.starts_with("top")) box.y = margin;
    if (position.starts_with("bottom")) box.y = height - margin - h;
    return box;
}

// Exactly width x height. Resampled premultiplied, so the colour under transparent pixels does
// not bleed into the mark's edges.
VImage scale_mark(const VImage& mark, int width, int height) {
    if (mark.width() == width && mark.height() == height) return mark;
    VImage scaled =
        mark.premultiply()
            .resize(static_cast<double>(width) / mark.width(),
                    VImage::option()->set("vscale", static_cast<double>(height) / mark.height()))
            .unpremultiply();
    if (scaled.width() > width || scaled.height() > height)
        scaled =
            scaled.crop(0, 0, std::min(width, scaled.width()), std::min(height, scaled.height()));
    if (scaled.width() < width || scaled.height() < height)
        scaled =
            scaled.embed(0, 0, width, height, VImage::option()->set("extend", VIPS_EXTEND_COPY));
    return scaled;
}

}  // namespace

std::optional<std::string> watermark_problem(const WatermarkSpec& spec) {
    if (spec.image.empty() == spec.text.empty()) return "needs exactly one of image and text";
    if (!is_watermark_position(spec.position))
        return "position \"" + spec.position +
               "\" is not one of top-left, top, top-right, left, center, right, bottom-left, "
               "bottom, bottom-right";
    if (!(spec.opacity > 0 && spec.opacity <= 1))
        return "opacity must be greater than 0 and at most 1";
    if (!(spec.scale > 0 && spec.scale <= 1)) return "scale must be greater than 0 and at most 1";
    if (spec.margin < 0) return "margin must not be negative";
    if (spec.min_size < 0) return "min_size must not be negative";
    if (!parse_colour(spec.color)) return "color \"" + spec.color + "\" is not #rrggbb";
    if (!spec.image.empty()) {
        std::error_code error;
        if (!std::filesystem::is_regular_file(spec.image, error))
            return "image " + spec.image + " does not exist";
        try {
            read_png_mark(spec.image);
        } catch (const vips::VError&) {
            vips_error_clear();
            return "image " + spec.image + " is not a readable PNG";
        }
    }
    return std::nullopt;
}

bool watermark_applies(const WatermarkSpec& spec, int width, int height) {
    return std::max(width, height) >= spec.min_size;
}

VImage apply_watermark(const VImage& image, const WatermarkSpec& spec) {
    if (!watermark_applies(spec, image.width(), image.height())) return image;
    VImage mark = mark_for(spec);
    const Box box = mark_box(spec, mark.width(), mark.height(), image.width(), image.height());

    VImage overlay =
        scale_mark(mark, box.width, box.height) * std::vector<double>{1.0, 1.0, 1.0, spec.opacity};
    // Only the mark's box is blended (in the output's own space: a grey output gets a grey
    // mark); the rest of the output stays exactly as it was.
    VImage under = image.crop(box.x, box.y, box.width, box.height);
    const bool grey = image.bands() < 3;
    VImage blended = under.composite2(
        overlay, VIPS_BLEND_MODE_OVER,
        VImage::option()->set("compositing_space",
                              grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB));
    // The blend always has alpha; an output without it is opaque, and so is the blend there.
    if (!under.has_alpha())
        blended = blended.extract_band(0, VImage::option()->set("n", blended.bands() - 1));
    blended = blended.rint().cast(VIPS_FORMAT_UCHAR);
    return image.insert(blended, box.x, box.y);
}

}  // namespace iiif
