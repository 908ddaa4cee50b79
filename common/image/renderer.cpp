#include "renderer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vips/vips8>

#include "decoded_tiles.hpp"
#include "iiif_error.hpp"
#include "jp2_region.hpp"
#include "jpeg_encode.hpp"
#include "open_image_cache.hpp"
#include "resample.hpp"
#include "tiff_tiles.hpp"
#include "tile_passthrough.hpp"
#include "watermark.hpp"

namespace iiif {
namespace {

using vips::VImage;

// The flag of the RenderCancellation alive on this thread; null: the render runs to its end.
thread_local const std::atomic<bool>* t_cancelled = nullptr;

bool cancelled() {
    return t_cancelled && t_cancelled->load(std::memory_order_relaxed);
}

[[noreturn]] void throw_cancelled() {
    throw IiifError(503, "render cancelled: nobody waits for it any more");
}

void stop_if_cancelled() {
    if (cancelled()) throw_cancelled();
}

// Renders that were a native tile served as stored (native_tiles_served).
std::atomic<std::int64_t> native_tiles{0};

// libvips reports progress of a pipeline on the image that asked for it: a node of this
// request's own (never an opened level the open-image cache shares), whose death (kill) fails
// every region read through it, so the computation stops within a tile or two.
void on_eval(VipsImage* image, VipsProgress*, void* flag) {
    if (static_cast<const std::atomic<bool>*>(flag)->load(std::memory_order_relaxed))
        vips_image_set_kill(image, TRUE);
}

// `image`, through a node that stops the pipelines built on it when the render is cancelled.
// Called before anything is built on it: the progress signal is inherited by what follows.
VImage cancellable(const VImage& image) {
    if (!t_cancelled) return image;
    VImage node = image.copy();
    vips_image_set_progress(node.get_image(), TRUE);
    g_signal_connect(node.get_image(), "eval", G_CALLBACK(on_eval),
                     const_cast<std::atomic<bool>*>(t_cancelled));
    return node;
}

std::int64_t area(std::int64_t width, std::int64_t height) {
    return width * height;
}

bool supports_alpha(Format format) {
    return format != Format::jpg;
}

// A level is rectangular in level pixels: map the full-resolution region onto it, rounding
// outwards so no source pixel of the region is lost, and clamp to the level's real size.
struct LevelRegion {
    int x, y, w, h;
};

LevelRegion map_region(const PixelRect& region, const SourceInfo& source, int level_width,
                       int level_height) {
    const double sx = static_cast<double>(source.width) / level_width;
    const double sy = static_cast<double>(source.height) / level_height;
    int x0 = static_cast<int>(std::floor(region.x / sx));
    int y0 = static_cast<int>(std::floor(region.y / sy));
    int x1 = static_cast<int>(std::ceil((region.x + region.w) / sx - 1e-9));
    int y1 = static_cast<int>(std::ceil((region.y + region.h) / sy - 1e-9));
    x0 = std::clamp(x0, 0, level_width - 1);
    y0 = std::clamp(y0, 0, level_height - 1);
    x1 = std::clamp(x1, x0 + 1, level_width);
    y1 = std::clamp(y1, y0 + 1, level_height);
    return {x0, y0, x1 - x0, y1 - y0};
}

VImage load_level(const std::string& path, const SourceInfo& source, const SourceLevel& level) {
    // Tiled sources are read region by region; the others are decoded top to bottom once.
    auto options = VImage::option()
                       ->set("access", source.tiled ? VIPS_ACCESS_RANDOM : VIPS_ACCESS_SEQUENTIAL)
                       ->set("fail_on", VIPS_FAIL_ON_ERROR);
    switch (source.format) {
        case SourceFormat::tiff:
            return VImage::tiffload(path.c_str(), options->set("page", level.page));
        case SourceFormat::jp2:
            return VImage::jp2kload(path.c_str(), options->set("page", level.page));
        case SourceFormat::jpeg:
            return VImage::jpegload(path.c_str(), options->set("shrink", level.shrink));
        case SourceFormat::png:
            return VImage::pngload(path.c_str(), options);
        case SourceFormat::webp:
            return VImage::webpload(path.c_str(), options);
        case SourceFormat::gif:
            return VImage::gifload(path.c_str(), options);
        case SourceFormat::other:
            break;
    }
    throw IiifError(415, "source is not an image format this server reads");
}

// A level region only one pixel off the output (the outward rounding of an odd offset) is
// trimmed, not resampled: resampling by 500/501 costs a full filter pass for no visible gain.
bool within_a_pixel(int width, int height, int out_width, int out_height) {
    return std::abs(width - out_width) <= 1 && std::abs(height - out_height) <= 1;
}

// Scales to exactly width x height (libvips rounds its output size; one pixel of rounding is
// corrected by cropping or extending the edge).
VImage scale_to(VImage image, int width, int height) {
    if (!within_a_pixel(image.width(), image.height(), width, height) &&
        (image.width() != width || image.height() != height)) {
        double hscale = static_cast<double>(width) / image.width();
        double vscale = static_cast<double>(height) / image.height();
        image = image.resize(hscale, VImage::option()->set("vscale", vscale));
    }
    if (image.width() > width || image.height() > height)
        image = image.crop(0, 0, std::min(width, image.width()), std::min(height, image.height()));
    if (image.width() < width || image.height() < height)
        image = image.embed(0, 0, width, height, VImage::option()->set("extend", VIPS_EXTEND_COPY));
    return image;
}

// sRGB (or 8-bit grey) output whatever the source's colour space: an embedded ICC profile is
// honoured, then dropped by the encoders so nothing but pixels leaves the server.
VImage to_display_colour(VImage image) {
    if (image.get_typeof(VIPS_META_ICC_NAME) != 0) {
        try {
            return image
                .icc_transform("srgb", VImage::option()
                                           ->set("embedded", true)
                                           ->set("intent", VIPS_INTENT_PERCEPTUAL)
                                           ->set("depth", 8))
                .cast(VIPS_FORMAT_UCHAR);
        } catch (const vips::VError&) {
            // A broken profile is not worth refusing the image for: fall through to libvips'
            // interpretation-based conversion.
        }
    }
    VipsInterpretation interpretation = image.interpretation();
    bool grey = interpretation == VIPS_INTERPRETATION_B_W ||
                interpretation == VIPS_INTERPRETATION_GREY16 ||
                (image.bands() <= 2 && interpretation != VIPS_INTERPRETATION_sRGB);
    VipsInterpretation target = grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
    if (interpretation != target) image = image.colourspace(target);
    if (image.format() != VIPS_FORMAT_UCHAR) image = image.cast(VIPS_FORMAT_UCHAR);
    return image;
}

VImage apply_quality(VImage image, Quality quality) {
    switch (quality) {
        case Quality::default_quality:
        case Quality::color:
            return image;
        case Quality::gray:
            return image.colourspace(VIPS_INTERPRETATION_B_W);
        case Quality::bitonal: {
            VImage grey = image.colourspace(VIPS_INTERPRETATION_B_W);
            VImage bitonal = grey[0] >= 128;
            // Alpha (the transparent corners of an arbitrary rotation) is kept as it is.
            if (grey.has_alpha()) bitonal = bitonal.bandjoin(grey[grey.bands() - 1]);
            return bitonal.copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_B_W));
        }
    }
    return image;
}

VImage apply_rotation(VImage image, bool mirror, double degrees, Format format) {
    if (mirror) image = image.flip(VIPS_DIRECTION_HORIZONTAL);
    double turns = std::fmod(degrees, 360.0);
    if (turns == 0) return image;
    if (turns == 90) return image.rot(VIPS_ANGLE_D90);
    if (turns == 180) return image.rot(VIPS_ANGLE_D180);
    if (turns == 270) return image.rot(VIPS_ANGLE_D270);
    // Arbitrary angles: corners are transparent where the format has alpha, white elsewhere.
    std::vector<double> background;
    if (supports_alpha(format)) {
        if (!image.has_alpha()) image = image.bandjoin_const({255});
        background.assign(static_cast<size_t>(image.bands()), 0.0);
    } else {
        background.assign(static_cast<size_t>(image.bands()), 255.0);
    }
    VImage rotated = image.rotate(degrees, VImage::option()->set("background", background));
    // libvips rounds the bounding box to the nearest pixel; the plan promises the smallest box
    // that holds the whole rotated image, so the corners are never clipped.
    Dimensions box = rotated_size(image.width(), image.height(), degrees);
    if (rotated.width() != box.width || rotated.height() != box.height)
        rotated = rotated.gravity(VIPS_COMPASS_DIRECTION_CENTRE, box.width, box.height,
                                  VImage::option()->set("background", background));
    return rotated;
}

std::string encode(VImage image, Format format, const RenderOptions& options) {
    void* buffer = nullptr;
    size_t length = 0;
    switch (format) {
        case Format::jpg: {
            if (image.has_alpha())
                image =
                    image.flatten(VImage::option()->set("background", std::vector<double>{255}));
            if (image.format() != VIPS_FORMAT_UCHAR) image = image.cast(VIPS_FORMAT_UCHAR);
            // In memory (a no-op for an image already there), then one TurboJPEG call.
            image = image.copy_memory();
            return encode_jpeg(
                static_cast<const std::uint8_t*>(image.data()), image.width(), image.height(),
                image.bands(),
                static_cast<size_t>(image.width()) * static_cast<size_t>(image.bands()),
                options.jpeg_quality);
        }
        case Format::png:
            image.write_to_buffer(
                ".png", &buffer, &length,
                VImage::option()->set("compression", options.png_compression)->set("strip", true));
            break;
        case Format::webp:
            image.write_to_buffer(
                ".webp", &buffer, &length,
                VImage::option()->set("Q", options.webp_quality)->set("strip", true));
            break;
        case Format::tif:
            image.write_to_buffer(".tif", &buffer, &length,
                                  VImage::option()
                                      ->set("compression", VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE)
                                      ->set("strip", true));
            break;
        case Format::gif:
            image.write_to_buffer(".gif", &buffer, &length, VImage::option()->set("strip", true));
            break;
    }
    std::string bytes(static_cast<const char*>(buffer), length);
    g_free(buffer);
    return bytes;
}

// The commonest render of a master, a plain JPEG at a quality that subsamples chroma (4:2:0)
// from a JPEG-tiled TIFF level coded YCbCr 4:2:0: its tiles decoded to planes, the region cut,
// resampled and encoded without ever being RGB. nullopt when the plan or the level is not that
// case (a tile coded otherwise than its TIFF says included), or the level region is a pixel
// short of the output (libvips' edge extension then).
std::optional<RenderedImage> render_yuv420(const std::string& path, const SourceInfo& source,
                                           const SourceLevel& level, const PixelRect& region,
                                           const ImagePlan& plan, const RenderOptions& options,
                                           const std::string& identity, bool marked) {
    if (source.format != SourceFormat::tiff || !source.tiled || plan.format != Format::jpg ||
        plan.mirror || plan.degrees != 0 || marked || options.jpeg_quality >= 90 ||
        (plan.quality != Quality::default_quality && plan.quality != Quality::color))
        return std::nullopt;
    const bool trimmed = within_a_pixel(region.w, region.h, plan.width, plan.height);
    if (trimmed && (region.w < plan.width || region.h < plan.height)) return std::nullopt;
    SharedTiffJpegLevel layout = tiff_jpeg_level(path, source, level, identity);
    if (!layout || !layout->yuv420) return std::nullopt;

    // The level region and the output, in memory the thread keeps for its next render (as much
    // as full/1000 from a 1250x1000 level needs).
    thread_local ScratchBuffer scratch(4 << 20);
    const size_t in_bytes = Yuv420::byte_size(region.w, region.h);
    const size_t out_bytes = trimmed ? 0 : Yuv420::byte_size(plan.width, plan.height);
    std::uint8_t* memory = scratch.get(in_bytes + out_bytes);
    Yuv420 in = Yuv420::place(memory, region.w, region.h);
    if (!read_tiff_region_yuv(*layout, level, region, identity, in)) return std::nullopt;
    stop_if_cancelled();
    const Yuv420 out = trimmed ? in : Yuv420::place(memory + in_bytes, plan.width, plan.height);
    if (!trimmed) resample(in, out, Kernel::catmull_rom);
    stop_if_cancelled();
    RenderedImage rendered;
    rendered.bytes = encode_jpeg(out, plan.width, plan.height, options.jpeg_quality);
    rendered.media_type = std::string(format_media_type(plan.format));
    rendered.width = plan.width;
    rendered.height = plan.height;
    scratch.trim();
    return rendered;
}

}  // namespace

const SourceLevel& choose_level(const SourceInfo& source, const ImagePlan& plan) {
    // The coarsest level that still holds the output resolution on both axes. A level may be
    // one of its own pixels short: levels are rounded (ceil or floor of W/s) differently by each
    // encoder and each client, and stretching by one pixel is invisible next to reading a level
    // four times larger.
    const SourceLevel* chosen = &source.levels.front();
    for (const SourceLevel& level : source.levels) {
        const std::int64_t s = level.scale_factor;
        if (s * (plan.width - 1) <= plan.region.w && s * (plan.height - 1) <= plan.region.h)
            chosen = &level;
    }
    return *chosen;
}

namespace {

OpenImageCache& open_images() {
    static OpenImageCache cache(0);
    return cache;
}

}  // namespace

RenderCancellation::RenderCancellation(const std::atomic<bool>* flag) : previous_(t_cancelled) {
    t_cancelled = flag;
}

RenderCancellation::~RenderCancellation() {
    t_cancelled = previous_;
}

Limits renderable_limits(const Limits& configured, const RenderOptions& options) {
    // Every format's largest side (WebP's is the smallest), so that no unrotated output within
    // the limits fails in its encoder.
    int side = std::numeric_limits<int>::max();
    for (Format format : {Format::jpg, Format::png, Format::webp, Format::tif, Format::gif})
        side = std::min(side, max_output_side(format));
    // `max` reads the coarsest level that still holds its output: under twice the output on
    // each side when the pyramid goes on halving, so under four times maxArea decoded (a level
    // that the pyramid does not reach is check_renderable's). An eighth of the decode guard
    // leaves that its rounding and more.
    const std::int64_t area = std::min(options.max_output_pixels, options.max_decode_pixels / 8);
    auto capped = [](auto value, auto cap) { return value > 0 ? std::min(value, cap) : cap; };
    Limits limits = configured;
    limits.max_width = capped(configured.max_width, side);
    limits.max_height = capped(configured.max_height, side);
    limits.max_area = capped(configured.max_area, area);
    return limits;
}

void check_renderable(const SourceInfo& source, const Limits& limits,
                      const RenderOptions& options) {
    ImagePlan largest;
    largest.region = {0, 0, source.width, source.height};
    const Dimensions size = max_size(source.width, source.height, limits, false);
    largest.width = size.width;
    largest.height = size.height;
    const SourceLevel& level = choose_level(source, largest);
    const std::int64_t decoded = area(level.width, level.height);
    if (decoded > options.max_decode_pixels)
        throw IiifError(422, "source image is too large to serve: its largest size allowed needs " +
                                 std::to_string(level.width) + "x" + std::to_string(level.height) +
                                 " pixels decoded, over the limit of " +
                                 std::to_string(options.max_decode_pixels));
}

std::int64_t render_pixels(const SourceInfo& source, const ImagePlan& plan) {
    const SourceLevel& level = choose_level(source, plan);
    const Dimensions output = rotated_size(plan.width, plan.height, plan.degrees);
    const LevelRegion planned = map_region(plan.region, source, level.width, level.height);
    const std::int64_t decoded =
        source.tiled ? area(planned.w, planned.h) : area(level.width, level.height);
    return decoded + area(output.width, output.height);
}

RenderedImage render_image(const std::string& path, const SourceInfo& source, const ImagePlan& plan,
                           const RenderOptions& options, const std::string& source_identity,
                           const WatermarkSpec* watermark) {
    stop_if_cancelled();
    const SourceLevel& level = choose_level(source, plan);

    // Guards run on arithmetic alone, before libvips allocates anything.
    Dimensions output = rotated_size(plan.width, plan.height, plan.degrees);
    if (area(output.width, output.height) > options.max_output_pixels)
        throw IiifError(400, "output of " + std::to_string(output.width) + "x" +
                                 std::to_string(output.height) + " exceeds the pixel limit");
    LevelRegion planned = map_region(plan.region, source, level.width, level.height);
    std::int64_t decoded =
        source.tiled ? area(planned.w, planned.h) : area(level.width, level.height);
    if (decoded > options.max_decode_pixels)
        throw IiifError(400, "request needs " + std::to_string(decoded) +
                                 " source pixels decoded, over the limit of " +
                                 std::to_string(options.max_decode_pixels));

    const bool marked = watermark && watermark_applies(*watermark, output.width, output.height);
    if (auto jpeg =
            marked ? std::nullopt : native_tile_jpeg(path, source, level, plan, source_identity)) {
        native_tiles.fetch_add(1, std::memory_order_relaxed);
        RenderedImage rendered;
        rendered.bytes = std::move(*jpeg);
        rendered.media_type = std::string(format_media_type(plan.format));
        rendered.width = plan.width;
        rendered.height = plan.height;
        return rendered;
    }

    try {
        // JPEG-compressed tiled TIFFs and JPEG 2000 are decoded here, block by block through
        // the shared cache of decoded tiles; what they decline and everything else through
        // libvips' loaders.
        const PixelRect level_region{planned.x, planned.y, planned.w, planned.h};
        if (auto rendered = render_yuv420(path, source, level, level_region, plan, options,
                                          source_identity, marked))
            return std::move(*rendered);
        std::optional<Pixels> pixels;
        if (source.format == SourceFormat::tiff && source.tiled)
            pixels = read_tiff_region(path, source, level, level_region, source_identity);
        else if (source.format == SourceFormat::jp2)
            pixels = read_jp2_region(path, source, level, level_region, source_identity);
        stop_if_cancelled();
        VImage image;
        if (pixels) {
            // Resampled here, in one pass per axis, unless a pixel of rounding is all there is
            // to it (scale_to trims that).
            if (!within_a_pixel(pixels->width, pixels->height, plan.width, plan.height))
                pixels = resample(*pixels, plan.width, plan.height, Kernel::catmull_rom);
            // A plain JPEG of the pixels as they are (at most a row or column of rounding too
            // many): encoded straight from them, without libvips.
            if (plan.format == Format::jpg && !plan.mirror && plan.degrees == 0 && !marked &&
                (plan.quality == Quality::default_quality || plan.quality == Quality::color) &&
                pixels->width >= plan.width && pixels->height >= plan.height) {
                RenderedImage rendered;
                rendered.bytes =
                    encode_jpeg(pixels->data.get(), plan.width, plan.height, pixels->bands,
                                pixels->row_bytes(), options.jpeg_quality);
                rendered.media_type = std::string(format_media_type(plan.format));
                rendered.width = plan.width;
                rendered.height = plan.height;
                return rendered;
            }
            // Read in place: `pixels` outlives every use of `image` in this function.
            image = VImage::new_from_memory(pixels->data.get(), pixels->byte_size(), pixels->width,
                                            pixels->height, pixels->bands, VIPS_FORMAT_UCHAR)
                        .copy(VImage::option()->set("interpretation",
                                                    pixels->bands == 1 ? VIPS_INTERPRETATION_B_W
                                                                       : VIPS_INTERPRETATION_sRGB));
            image = cancellable(image);
        } else {
            image = source.tiled && !source_identity.empty()
                        ? open_images().get(source_identity + "|" + std::to_string(level.page) +
                                                "|" + std::to_string(level.shrink),
                                            [&] { return load_level(path, source, level); })
                        : load_level(path, source, level);
            image = cancellable(image);
            LevelRegion region = map_region(plan.region, source, image.width(), image.height());
            if (region.x != 0 || region.y != 0 || region.w != image.width() ||
                region.h != image.height())
                image = image.crop(region.x, region.y, region.w, region.h);
        }
        image = scale_to(image, plan.width, plan.height);
        // Materialise the (bounded) scaled image: rotation needs random access to it, and a
        // sequential source must be read exactly once.
        image = to_display_colour(image).copy_memory();
        image = apply_rotation(image, plan.mirror, plan.degrees, plan.format);
        // The mark goes on upright, as the output is seen, and before quality so that a grey
        // or bitonal output shows it in grey or bitonal too.
        if (marked) image = apply_watermark(image, *watermark);
        image = apply_quality(image, plan.quality);

        RenderedImage rendered;
        rendered.width = image.width();
        rendered.height = image.height();
        stop_if_cancelled();
        rendered.bytes = encode(image, plan.format, options);
        stop_if_cancelled();
        rendered.media_type = std::string(format_media_type(plan.format));
        return rendered;
    } catch (const vips::VError& error) {
        vips_error_clear();
        if (cancelled()) throw_cancelled();
        throw IiifError(422,
                        "source image is damaged: " + std::string(error.what()).substr(0, 200));
    }
}

void set_open_image_capacity(size_t capacity) {
    open_images().set_capacity(capacity);
}

void set_decoded_tile_capacity(size_t bytes) {
    decoded_tiles().set_capacity(bytes);
}

std::int64_t native_tiles_served() {
    return native_tiles.load(std::memory_order_relaxed);
}

void init_renderer(const char* argv0, int concurrency) {
    if (VIPS_INIT(argv0 ? argv0 : "iiif") != 0)
        throw IiifError(500, "libvips failed to initialise");
    vips_concurrency_set(concurrency);
    // Each request opens its own source; libvips' operation cache would only hold memory.
    vips_cache_set_max(0);
}

}  // namespace iiif
