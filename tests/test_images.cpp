#include "test_images.hpp"

#include <cstdlib>
#include <unistd.h>

namespace test_images {

using vips::VImage;

VImage solid(int width, int height, Rgb colour) {
    return (VImage::black(width, height) + std::vector<double>{double(colour.r), double(colour.g),
                                                               double(colour.b)})
        .cast(VIPS_FORMAT_UCHAR)
        .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
}

VImage quadrants(int width, int height) {
    int half_w = width / 2, half_h = height / 2;
    VImage top = solid(half_w, half_h, kRed).join(solid(width - half_w, half_h, kGreen),
                                                  VIPS_DIRECTION_HORIZONTAL);
    VImage bottom = solid(half_w, height - half_h, kBlue)
                        .join(solid(width - half_w, height - half_h, kWhite),
                              VIPS_DIRECTION_HORIZONTAL);
    return top.join(bottom, VIPS_DIRECTION_VERTICAL);
}

std::filesystem::path scratch_dir() {
    static const std::filesystem::path dir = [] {
        std::string pattern = (std::filesystem::temp_directory_path() / "iiif-tests-XXXXXX").string();
        if (!mkdtemp(pattern.data())) std::abort();
        std::filesystem::path made(pattern);
        static const std::filesystem::path to_remove = made;
        std::atexit([] { std::filesystem::remove_all(to_remove); });
        return made;
    }();
    return dir;
}

std::string save(const VImage& image, const std::string& name, const std::string& options) {
    std::string path = (scratch_dir() / name).string();
    image.write_to_file((path + options).c_str());
    return path;
}

VImage decode(const std::string& encoded) {
    return VImage::new_from_buffer(encoded.data(), encoded.size(), "");
}

Pixel pixel_at(const std::string& encoded, int x, int y) {
    VImage image = decode(encoded);
    std::vector<double> values = image.getpoint(x, y);
    Pixel pixel{0, 0, 0, 255};
    auto at = [&](size_t i) { return static_cast<int>(values[i] + 0.5); };
    if (values.size() <= 2) {
        pixel.r = pixel.g = pixel.b = at(0);
        if (values.size() == 2) pixel.a = at(1);
    } else {
        pixel.r = at(0);
        pixel.g = at(1);
        pixel.b = at(2);
        if (values.size() == 4) pixel.a = at(3);
    }
    return pixel;
}

bool near(Pixel pixel, Rgb colour, int tolerance) {
    return std::abs(pixel.r - colour.r) <= tolerance && std::abs(pixel.g - colour.g) <= tolerance &&
           std::abs(pixel.b - colour.b) <= tolerance;
}

}  // namespace test_images
