// A 4:2:0 master rendered as planes (read_tiff_region_yuv, the planar resampler, the planar
// encoder) against libvips doing the same steps in RGB: the same level region decoded, cut,
// resized with its cubic kernel and saved as JPEG at the same quality. At every level, at edges,
// odd offsets and odd sizes.
#include <tiffio.h>

#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <string>
#include <vector>
#include <vips/vips8>

#include "image_plan.hpp"
#include "image_request.hpp"
#include "image_source.hpp"
#include "jpeg_encode.hpp"
#include "renderer.hpp"
#include "test_images.hpp"
#include "tiff_tiles.hpp"

using namespace iiif;
using vips::VImage;

namespace {

// Gradients and noise in every channel, as a photograph has detail in its chroma, kept clear of
// 0 and 255 (where RGB clips, and converting back to YCbCr cannot give the planes again).
VImage detailed(int width, int height) {
    VImage xy = VImage::xyz(width, height);
    VImage noise =
        VImage::gaussnoise(width, height, VImage::option()->set("sigma", 24.0)->set("seed", 1003));
    VImage r = (xy[0] * (200.0 / width) + 28).cast(VIPS_FORMAT_UCHAR);
    VImage g = (xy[1] * (160.0 / height) + noise / 4).cast(VIPS_FORMAT_UCHAR);
    VImage b = noise.cast(VIPS_FORMAT_UCHAR);
    return r.bandjoin(g).bandjoin(b).copy(
        VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
}

// libvips codes JPEG tiles as YCbCr 4:2:0 below quality 90.
const std::string& master() {
    static const std::string path =
        test_images::save(detailed(1003, 757), "yuv-master.tif",
                          "[tile,tile-width=128,tile-height=128,pyramid,compression=jpeg,Q=80]");
    return path;
}

VImage rgb_bytes(VImage image) {
    return image.cast(VIPS_FORMAT_UCHAR).copy_memory();
}

double mean_abs_difference(VImage a, VImage b) {
    REQUIRE(a.width() == b.width());
    REQUIRE(a.height() == b.height());
    REQUIRE(a.bands() == b.bands());
    return (a.cast(VIPS_FORMAT_INT) - b.cast(VIPS_FORMAT_INT)).abs().avg();
}

// JFIF's conversion of libvips' RGB, chroma averaged over each 2x2 block of the region as a JPEG
// encoder downsamples it (an odd size's last block one pixel wide or tall).
struct Reference {
    std::vector<double> y, cb, cr;
};
Reference jfif_planes(VImage rgb) {
    rgb = rgb_bytes(rgb);
    const int w = rgb.width(), h = rgb.height();
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    const auto* p = static_cast<const std::uint8_t*>(rgb.data());
    Reference ref{std::vector<double>(static_cast<size_t>(w) * h),
                  std::vector<double>(static_cast<size_t>(cw) * ch),
                  std::vector<double>(static_cast<size_t>(cw) * ch)};
    std::vector<int> count(static_cast<size_t>(cw) * ch);
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            const std::uint8_t* px = p + (static_cast<size_t>(y) * w + x) * 3;
            const double r = px[0], g = px[1], b = px[2];
            ref.y[static_cast<size_t>(y) * w + x] = 0.299 * r + 0.587 * g + 0.114 * b;
            const size_t c = static_cast<size_t>(y / 2) * cw + x / 2;
            ref.cb[c] += -0.168736 * r - 0.331264 * g + 0.5 * b + 128;
            ref.cr[c] += 0.5 * r - 0.418688 * g - 0.081312 * b + 128;
            ++count[c];
        }
    }
    for (size_t c = 0; c < count.size(); ++c) {
        ref.cb[c] /= count[c];
        ref.cr[c] /= count[c];
    }
    return ref;
}

// Over the top-left w x h of both planes only.
double plane_difference(const Plane& ours, const std::vector<double>& theirs, int w, int h) {
    REQUIRE(theirs.size() == static_cast<size_t>(ours.width) * ours.height);
    double sum = 0;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            sum += std::abs(ours.row(y)[x] - theirs[static_cast<size_t>(y) * ours.width + x]);
    return sum / (static_cast<double>(w) * h);
}

}  // namespace

TEST_CASE("4:2:0 TIFF regions read as planes match libvips' decode at every level",
          "[tiff_tiles][yuv420]") {
    const SourceInfo source = probe_source(master());
    REQUIRE(source.levels.size() == 4);  // 1003, 502, 251, 126 wide
    for (const SourceLevel& level : source.levels) {
        INFO("level " << level.page << " (" << level.width << "x" << level.height << ")");
        SharedTiffJpegLevel layout = tiff_jpeg_level(master(), source, level, "");
        REQUIRE(layout);
        REQUIRE(layout->yuv420);
        const std::vector<PixelRect> regions = {
            {0, 0, level.width, level.height},                            // the whole level
            {level.width / 3 * 2, level.height / 4 * 2, 97, 61},          // even offset, odd size
            {level.width / 3 * 2 + 1, level.height / 4 * 2, 98, 60},      // odd x
            {level.width / 3 * 2, level.height / 4 * 2 + 1, 60, 97},      // odd y
            {level.width / 3 * 2 + 1, level.height / 4 * 2 + 1, 97, 61},  // odd both, odd size
            {level.width - 45, level.height - 31, 45, 31},                // bottom-right edge
            {level.width - 1, 0, 1, level.height},                        // one column
            {0, level.height - 1, level.width, 1},                        // one row
        };
        for (const PixelRect& r : regions) {
            if (r.x < 0 || r.y < 0 || r.x + r.w > level.width || r.y + r.h > level.height) continue;
            INFO("region " << r.x << "," << r.y << "," << r.w << "," << r.h);
            std::vector<std::uint8_t> memory(Yuv420::byte_size(r.w, r.h));
            Yuv420 ours = Yuv420::place(memory.data(), r.w, r.h);
            read_tiff_region_yuv(*layout, level, r, "", ours);
            const VImage theirs =
                VImage::tiffload(master().c_str(), VImage::option()->set("page", level.page))
                    .crop(r.x, r.y, r.w, r.h);
            const Reference ref = jfif_planes(theirs);
            // Within two pixels of the level's right and bottom edges, libjpeg-turbo's
            // upsampling inside libvips mixes the tiles' padding (beyond the image) into the
            // chroma of the last pixels, which the planes never use: those are left out.
            const int w = std::min(r.w, level.width - 2 - r.x);
            const int h = std::min(r.h, level.height - 2 - r.y);
            if (w < 2 || h < 2) continue;
            // Luma: libvips' RGB, from the same luma and upsampled chroma, rounded to bytes and
            // converted back (measured up to 0.17 apart). Chroma: the tiles' own samples, or the
            // mean of two on an odd offset, against the mean of libjpeg-turbo's upsampled chroma
            // over the same pixels (measured up to 0.75 apart).
            CHECK(plane_difference(ours.y, ref.y, w, h) < 0.25);
            CHECK(plane_difference(ours.cb, ref.cb, w / 2, h / 2) < 1.0);
            CHECK(plane_difference(ours.cr, ref.cr, w / 2, h / 2) < 1.0);
        }
    }
}

TEST_CASE("RGB-coded and grey JPEG TIFFs are not read as 4:2:0 planes", "[tiff_tiles][yuv420]") {
    const std::string rgb =
        test_images::save(detailed(300, 200), "yuv-rgb.tif",
                          "[tile,tile-width=128,tile-height=128,compression=jpeg,Q=92]");
    const std::string grey =
        test_images::save(detailed(300, 200).extract_band(1), "yuv-grey.tif",
                          "[tile,tile-width=128,tile-height=128,compression=jpeg,Q=80]");
    for (const std::string& path : {rgb, grey}) {
        const SourceInfo source = probe_source(path);
        SharedTiffJpegLevel layout = tiff_jpeg_level(path, source, source.levels[0], "");
        REQUIRE(layout);
        CHECK_FALSE(layout->yuv420);
    }
}

TEST_CASE("Plain JPEGs of a 4:2:0 master are as close to its pixels as libvips' own",
          "[render][yuv420]") {
    const SourceInfo source = probe_source(master());
    // Resampled from each level (1003 -> 800, 502 -> 400 and 333, 251 -> 200, 126 -> 63),
    // regions at odd offsets and of odd sizes, edges, and regions only trimmed (a level region
    // one pixel larger than the output) or taken as they are.
    for (const char* request :
         {"full/800,", "full/400,", "full/333,", "full/200,", "full/63,", "301,203,501,399/250,",
          "301,203,500,400/500,", "3,5,998,751/499,", "700,500,303,257/303,", "0,0,1003,757/max",
          "101,77,600,600/299,", "902,656,101,101/77,"}) {
        INFO(request);
        const IiifPath parsed =
            parse_iiif_path(ApiVersion::v3, std::string("id/") + request + "/0/default.jpg");
        const ImagePlan plan = plan_image(parsed.image, source.width, source.height, {});
        const RenderOptions options;  // quality 85: 4:2:0 output
        const RenderedImage ours = render_image(master(), source, plan, options, "yuv-test");
        REQUIRE(ours.width == plan.width);
        REQUIRE(ours.height == plan.height);

        // libvips, in RGB: the level region the renderer reads, resized as it would be.
        const SourceLevel& level = choose_level(source, plan);
        const double sx = static_cast<double>(source.width) / level.width;
        const double sy = static_cast<double>(source.height) / level.height;
        const int x0 = static_cast<int>(std::floor(plan.region.x / sx));
        const int y0 = static_cast<int>(std::floor(plan.region.y / sy));
        const int x1 = std::min(
            level.width, static_cast<int>(std::ceil((plan.region.x + plan.region.w) / sx - 1e-9)));
        const int y1 = std::min(
            level.height, static_cast<int>(std::ceil((plan.region.y + plan.region.h) / sy - 1e-9)));
        VImage region =
            VImage::tiffload(master().c_str(), VImage::option()->set("page", level.page))
                .crop(x0, y0, x1 - x0, y1 - y0);
        if (std::abs(region.width() - plan.width) > 1 ||
            std::abs(region.height() - plan.height) > 1)
            region = region.resize(
                static_cast<double>(plan.width) / region.width(),
                VImage::option()
                    ->set("vscale", static_cast<double>(plan.height) / region.height())
                    ->set("kernel", VIPS_KERNEL_CUBIC));
        const VImage truth = rgb_bytes(region.crop(0, 0, plan.width, plan.height));
        void* buffer = nullptr;
        size_t length = 0;
        truth.write_to_buffer(".jpg", &buffer, &length, VImage::option()->set("Q", 85));
        const std::string theirs(static_cast<const char*>(buffer), length);
        g_free(buffer);

        const double ours_off = mean_abs_difference(test_images::decode(ours.bytes), truth);
        const double theirs_off = mean_abs_difference(test_images::decode(theirs), truth);
        INFO("ours " << ours_off << " from the pixels, libvips' JPEG " << theirs_off);
        // JPEG at 85 is 1 to 3 off on this noise either way; the planes' path adds at most a
        // few hundredths to it (measured: ours / libvips' 0.99 to 1.04, the largest on the
        // smallest output).
        CHECK(ours_off < theirs_off * 1.06);
        // And no larger a file (measured 0.90 to 1.05 of libvips').
        CHECK(static_cast<double>(ours.bytes.size()) < static_cast<double>(theirs.size()) * 1.08);
    }
}

TEST_CASE("Planes are encoded as they are: decoding gives them back", "[yuv420]") {
    // Odd sizes, and the top-left of larger planes.
    for (auto [w, h, out_w, out_h] :
         {std::array{64, 48, 64, 48}, {97, 61, 97, 61}, {501, 500, 500, 500}, {33, 1, 33, 1}}) {
        INFO(w << "x" << h << " encoded " << out_w << "x" << out_h);
        std::vector<std::uint8_t> memory(Yuv420::byte_size(w, h));
        Yuv420 planes = Yuv420::place(memory.data(), w, h);
        // Smooth ramps that no RGB channel clips.
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                planes.y.row(y)[x] = static_cast<std::uint8_t>(64 + x * 64 / w + y * 64 / h);
        for (const Plane* chroma : {&planes.cb, &planes.cr})
            for (int y = 0; y < chroma->height; ++y)
                for (int x = 0; x < chroma->width; ++x)
                    chroma->row(y)[x] = static_cast<std::uint8_t>(128 + x * 20 / chroma->width -
                                                                  y * 20 / chroma->height);
        const std::string jpeg = encode_jpeg(planes, out_w, out_h, 95);
        const VImage decoded = test_images::decode(jpeg);
        CHECK(decoded.width() == out_w);
        CHECK(decoded.height() == out_h);
        CHECK(decoded.bands() == 3);
        // Back to JFIF luma: the planes' own within JPEG's loss at 95.
        const VImage rgb = rgb_bytes(decoded);
        const auto* p = static_cast<const std::uint8_t*>(rgb.data());
        double sum = 0;
        for (int y = 0; y < out_h; ++y)
            for (int x = 0; x < out_w; ++x) {
                const std::uint8_t* px = p + (static_cast<size_t>(y) * out_w + x) * 3;
                sum += std::abs(0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2] - planes.y.row(y)[x]);
            }
        CHECK(sum / (out_w * out_h) < 1.0);  // measured 0.19 to 0.66 (the 33x1)
    }
}

TEST_CASE("A TIFF saying 4:2:0 whose tiles are coded otherwise is rendered in RGB all the same",
          "[render][yuv420]") {
    // Written by hand: YCbCr with subsampling 2,2 in the tags, each tile a standalone 4:4:4 JPEG.
    const std::string path = (test_images::scratch_dir() / "yuv-mislabelled.tif").string();
    const VImage picture = rgb_bytes(detailed(256, 256));
    void* jpeg = nullptr;
    size_t length = 0;
    picture.write_to_buffer(
        ".jpg", &jpeg, &length,
        VImage::option()->set("Q", 90)->set("subsample_mode", VIPS_FOREIGN_SUBSAMPLE_OFF));
    TIFF* tiff = TIFFOpen(path.c_str(), "w");
    REQUIRE(tiff);
    TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, 256);
    TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, 256);
    TIFFSetField(tiff, TIFFTAG_TILEWIDTH, 256);
    TIFFSetField(tiff, TIFFTAG_TILELENGTH, 256);
    TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, 3);
    TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tiff, TIFFTAG_COMPRESSION, COMPRESSION_JPEG);
    TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR);
    TIFFSetField(tiff, TIFFTAG_YCBCRSUBSAMPLING, 2, 2);
    REQUIRE(TIFFWriteRawTile(tiff, 0, jpeg, static_cast<tmsize_t>(length)) ==
            static_cast<tmsize_t>(length));
    TIFFClose(tiff);
    g_free(jpeg);

    const SourceInfo source = probe_source(path);
    SharedTiffJpegLevel layout = tiff_jpeg_level(path, source, source.levels[0], "");
    REQUIRE(layout);
    REQUIRE(layout->yuv420);  // as the tags say
    std::vector<std::uint8_t> memory(Yuv420::byte_size(100, 100));
    Yuv420 planes = Yuv420::place(memory.data(), 100, 100);
    CHECK_FALSE(read_tiff_region_yuv(*layout, source.levels[0], {10, 10, 100, 100}, "", planes));

    const IiifPath parsed = parse_iiif_path(ApiVersion::v3, "id/full/200,/0/default.jpg");
    const ImagePlan plan = plan_image(parsed.image, source.width, source.height, {});
    const RenderedImage out = render_image(path, source, plan, {}, "mislabelled");
    const VImage truth =
        rgb_bytes(picture.resize(200.0 / 256, VImage::option()->set("kernel", VIPS_KERNEL_CUBIC)));
    void* theirs = nullptr;
    size_t theirs_length = 0;
    truth.write_to_buffer(".jpg", &theirs, &theirs_length, VImage::option()->set("Q", 85));
    const double theirs_off = mean_abs_difference(
        test_images::decode(std::string(static_cast<const char*>(theirs), theirs_length)), truth);
    g_free(theirs);
    // The RGB path's decode, resize and JPEG at 85, as near the picture as libvips' JPEG of it.
    CHECK(mean_abs_difference(test_images::decode(out.bytes), truth) < theirs_off * 1.1);
}
