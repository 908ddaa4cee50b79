// The renderer's resampler against libvips' resize of the same pixels, and its exact promises:
// the size asked, flat areas exactly flat, edges repeated, every band count.
#include "resample.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
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
    VImage noise = VImage::gaussnoise(width, height, VImage::option()->set("sigma", 25.0));
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
    const Pixels cubic = from_vips(
        source.resize(0.8, VImage::option()->set("kernel", VIPS_KERNEL_CUBIC)));
    const Pixels lanczos = from_vips(source.resize(0.8));
    REQUIRE(cubic.width == 1000);
    REQUIRE(cubic.height == 800);
    CHECK(mean_abs_difference(ours, cubic) < 0.25);
    CHECK(mean_abs_difference(ours, lanczos) < 1.0);
    // And a nearest-neighbour shrink is far from both: the bound above does tell filters apart.
    const Pixels nearest = from_vips(
        source.resize(0.8, VImage::option()->set("kernel", VIPS_KERNEL_NEAREST)));
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
