// The renderer's resampler against libvips' resize of the same pixels, and its exact promises:
// the size asked, flat areas exactly flat, edges repeated, every band count.
#include "resample.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <memory>
#include <vips/vips8>

using namespace iiif;
using vips::VImage;

namespace {

Pixels from_vips(VImage image) {
    image = image.cast(VIPS_FORMAT_UCHAR).copy_memory();
    Pixels pixels(image.width(), image.height(), image.bands());
    std::memcpy(pixels.data.get(), image.data(), pixels.byte_size());
    return pixels;
}

// Gradients and noise: something for a filter to get wrong.
VImage picture(int width, int height, int bands) {
    VImage xy = VImage::xyz(width, height);
    VImage noise =
        VImage::gaussnoise(width, height, VImage::option()->set("sigma", 25.0)->set("seed", 1003));
    VImage r = xy[0] * (255.0 / width);
    VImage g = xy[1] * (255.0 / height);
    VImage image = r.bandjoin(g).bandjoin(noise).bandjoin((r + g) / 2);
    return image.extract_band(0, VImage::option()->set("n", bands)).cast(VIPS_FORMAT_UCHAR);
}

double mean_abs_difference(const Pixels& a, const Pixels& b) {
    REQUIRE(a.byte_size() == b.byte_size());
    double sum = 0;
    for (size_t i = 0; i < a.byte_size(); ++i) sum += std::abs(int(a.data[i]) - int(b.data[i]));
    return sum / static_cast<double>(a.byte_size());
}

}  // namespace

TEST_CASE("Resampling gives the exact size asked, for every band count", "[resample]") {
    for (int bands = 1; bands <= 4; ++bands) {
        const Pixels in = from_vips(picture(501, 377, bands));
        for (auto [w, h] : {std::pair{400, 301}, {250, 377}, {501, 200}, {1, 1}, {777, 555}}) {
            INFO(bands << " bands to " << w << "x" << h);
            const Pixels out = resample(in, w, h, Kernel::catmull_rom);
            CHECK(out.width == w);
            CHECK(out.height == h);
            CHECK(out.bands == bands);
        }
    }
}

TEST_CASE("A flat image stays exactly flat at any scale", "[resample]") {
    Pixels in(333, 211, 3);
    for (size_t i = 0; i < in.byte_size(); i += 3) {
        in.data[i] = 12;
        in.data[i + 1] = 200;
        in.data[i + 2] = 255;
    }
    for (Kernel kernel : {Kernel::linear, Kernel::catmull_rom, Kernel::lanczos3}) {
        for (auto [w, h] : {std::pair{250, 160}, {100, 50}, {500, 400}, {333, 100}}) {
            const Pixels out = resample(in, w, h, kernel);
            int wrong = 0;
            for (size_t i = 0; i < out.byte_size(); i += 3)
                wrong += out.data[i] != 12 || out.data[i + 1] != 200 || out.data[i + 2] != 255;
            CHECK(wrong == 0);
        }
    }
}

TEST_CASE("Shrinking a pyramid level to the output is close to libvips' resize", "[resample]") {
    // The renderer shrinks a level by a factor between 1 and 2. libvips' cubic is the same
    // Catmull-Rom filter (measured: 0.08 of a level apart, fixed-point rounding); its default,
    // Lanczos-3, is sharper (0.71 apart). A nearest-neighbour shrink is 4.4 from Lanczos-3.
    const VImage source = picture(1250, 1000, 3);
    const Pixels in = from_vips(source);
    const Pixels ours = resample(in, 1000, 800, Kernel::catmull_rom);
    const Pixels cubic =
        from_vips(source.resize(0.8, VImage::option()->set("kernel", VIPS_KERNEL_CUBIC)));
    const Pixels lanczos = from_vips(source.resize(0.8));
    REQUIRE(cubic.width == 1000);
    REQUIRE(cubic.height == 800);
    CHECK(mean_abs_difference(ours, cubic) < 0.25);
    CHECK(mean_abs_difference(ours, lanczos) < 1.0);
    // And a nearest-neighbour shrink is far from both: the bound above does tell filters apart.
    const Pixels nearest =
        from_vips(source.resize(0.8, VImage::option()->set("kernel", VIPS_KERNEL_NEAREST)));
    CHECK(mean_abs_difference(nearest, lanczos) > 2.0);
}

TEST_CASE("Edges map onto edges: a white last column is half of the last pixel of half the width",
          "[resample]") {
    Pixels in(100, 10, 1);
    std::memset(in.data.get(), 0, in.byte_size());
    for (int y = 0; y < 10; ++y) in.row(y)[99] = 255;
    const Pixels out = resample(in, 50, 10, Kernel::catmull_rom);
    // The last output pixel is centred between input columns 98 and 99; the window is symmetric
    // about that centre, so white (column 99, and beyond the edge, where it repeats) gets
    // exactly half the weight.
    CHECK(std::abs(out.row(5)[49] - 127.5) <= 0.5);
    CHECK(out.row(5)[0] == 0);
    CHECK(out.row(5)[46] == 0);
}

namespace {

// One band of `image` as a plane of `pixels` (which owns the bytes).
Plane plane_of(Pixels& pixels) {
    return {pixels.data.get(), pixels.width, pixels.height, pixels.row_bytes()};
}

double mean_abs_difference(const Plane& a, const Plane& b) {
    REQUIRE(a.width == b.width);
    REQUIRE(a.height == b.height);
    double sum = 0;
    for (int y = 0; y < a.height; ++y)
        for (int x = 0; x < a.width; ++x) sum += std::abs(int(a.row(y)[x]) - int(b.row(y)[x]));
    return sum / (static_cast<double>(a.width) * a.height);
}

// A 4:2:0 image whose three planes are three one-band pictures of libvips', chroma half size.
struct OwnedYuv {
    std::unique_ptr<std::uint8_t[]> memory;
    Yuv420 image;
    OwnedYuv(int width, int height)
        : memory(new std::uint8_t[Yuv420::byte_size(width, height)]),
          image(Yuv420::place(memory.get(), width, height)) {}
};

void fill(const Plane& plane, const VImage& picture) {
    const Pixels pixels = from_vips(picture);
    REQUIRE(pixels.width == plane.width);
    for (int y = 0; y < plane.height; ++y)
        std::memcpy(plane.row(y), pixels.row(y), static_cast<size_t>(plane.width));
}

OwnedYuv yuv_picture(int width, int height) {
    OwnedYuv yuv(width, height);
    const int cw = Yuv420::chroma_size(width), ch = Yuv420::chroma_size(height);
    fill(yuv.image.y, picture(width, height, 3).extract_band(2));
    fill(yuv.image.cb, picture(cw, ch, 1));
    fill(yuv.image.cr, picture(cw, ch, 3).extract_band(1));
    return yuv;
}

}  // namespace

TEST_CASE("4:2:0 planes resample to the exact size asked, each plane its share", "[resample]") {
    const OwnedYuv in = yuv_picture(501, 377);
    for (auto [w, h] :
         {std::pair{400, 301}, {250, 377}, {501, 200}, {1, 1}, {777, 555}, {120, 90}}) {
        INFO("to " << w << "x" << h);
        OwnedYuv out(w, h);
        resample(in.image, out.image, Kernel::catmull_rom);
        CHECK(out.image.y.width == w);
        CHECK(out.image.y.height == h);
        CHECK(out.image.cb.width == (w + 1) / 2);
        CHECK(out.image.cr.height == (h + 1) / 2);
    }
}

TEST_CASE("Flat 4:2:0 planes stay exactly flat at any scale", "[resample]") {
    OwnedYuv in(333, 211);
    std::memset(in.image.y.data, 12, static_cast<size_t>(333 * 211));
    std::memset(in.image.cb.data, 200, static_cast<size_t>(167 * 106));
    std::memset(in.image.cr.data, 255, static_cast<size_t>(167 * 106));
    for (Kernel kernel : {Kernel::linear, Kernel::catmull_rom, Kernel::lanczos3}) {
        // Shrinking by up to 2 (the row filter in registers), by more, and enlarging.
        for (auto [w, h] : {std::pair{250, 160}, {100, 50}, {500, 400}, {333, 100}, {31, 17}}) {
            INFO(w << "x" << h);
            OwnedYuv out(w, h);
            resample(in.image, out.image, kernel);
            int wrong = 0;
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) wrong += out.image.y.row(y)[x] != 12;
            for (int y = 0; y < out.image.cb.height; ++y)
                for (int x = 0; x < out.image.cb.width; ++x)
                    wrong += out.image.cb.row(y)[x] != 200 || out.image.cr.row(y)[x] != 255;
            CHECK(wrong == 0);
        }
    }
}

TEST_CASE("A luma plane shrinks as libvips' cubic resize and the interleaved resampler do",
          "[resample]") {
    // The plane's rows are filtered in registers, not transposed; the same Catmull-Rom weights
    // give libvips' cubic within the two's fixed-point rounding (on pure noise, measured 0.24 to
    // 0.26 apart), and the interleaved resampler
    // within a rounding now and then (measured 0.011 to 0.018).
    for (auto [in_w, in_h, out_w, out_h] : {std::array{1250, 1000, 1000, 800},
                                            {1003, 757, 502, 379},
                                            {999, 501, 640, 320},
                                            {800, 600, 150, 111}}) {
        INFO(in_w << "x" << in_h << " to " << out_w << "x" << out_h);
        const VImage source = picture(in_w, in_h, 3).extract_band(2);
        Pixels in = from_vips(source);
        Pixels out(out_w, out_h, 1);
        OwnedYuv yin(in_w, in_h), yout(out_w, out_h);
        std::memcpy(yin.image.y.data, in.data.get(), in.byte_size());
        resample(yin.image, yout.image, Kernel::catmull_rom);
        std::memcpy(out.data.get(), yout.image.y.data, out.byte_size());
        Pixels cubic =
            from_vips(source.resize(static_cast<double>(out_w) / in_w,
                                    VImage::option()
                                        ->set("vscale", static_cast<double>(out_h) / in_h)
                                        ->set("kernel", VIPS_KERNEL_CUBIC)));
        REQUIRE(cubic.width == out_w);
        REQUIRE(cubic.height == out_h);
        // Shrinking by more than 2, libvips' resize shrinks by whole factors first (a box:
        // measured 0.82 apart).
        CHECK(mean_abs_difference(plane_of(out), plane_of(cubic)) <
              (in_w <= 2 * out_w ? 0.3 : 1.0));
        Pixels interleaved = resample(in, out_w, out_h, Kernel::catmull_rom);
        CHECK(mean_abs_difference(plane_of(out), plane_of(interleaved)) < 0.05);
    }
}

TEST_CASE("Chroma planes shrink sited as JPEG sites them, by the luma's scale", "[resample]") {
    // 1250x1000 to 1000x800 as full/1000 does: the chroma planes (625x500 to 500x400) go as the
    // picture they are made of resampled whole, then halved, give them.
    const VImage chroma = picture(625, 500, 3).extract_band(2);
    OwnedYuv in(1250, 1000), out(1000, 800);
    std::memset(in.image.y.data, 128, static_cast<size_t>(1250 * 1000));
    fill(in.image.cb, chroma);
    fill(in.image.cr, chroma);
    resample(in.image, out.image, Kernel::catmull_rom);
    Pixels cubic =
        from_vips(chroma.resize(0.8, VImage::option()->set("kernel", VIPS_KERNEL_CUBIC)));
    REQUIRE(cubic.width == 500);
    // Noise: measured 0.246 apart, as the luma.
    CHECK(mean_abs_difference(out.image.cb, plane_of(cubic)) < 0.3);
    // An odd output: the last chroma sample covers one luma pixel.
    OwnedYuv odd(999, 799);
    resample(in.image, odd.image, Kernel::catmull_rom);
    CHECK(odd.image.cb.width == 500);
    CHECK(odd.image.cb.height == 400);
}
