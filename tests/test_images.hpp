// Test sources made by the tests themselves with libvips: a pattern of known colours at known
// places, written in every source format the core reads.
#pragma once

#include <filesystem>
#include <string>
#include <vips/vips8>

namespace test_images {

struct Rgb {
    int r, g, b;
};

// 400 x 300, four quadrants: red top-left, green top-right, blue bottom-left, white
// bottom-right.
constexpr int kWidth = 400;
constexpr int kHeight = 300;
constexpr Rgb kRed{255, 0, 0}, kGreen{0, 255, 0}, kBlue{0, 0, 255}, kWhite{255, 255, 255};

vips::VImage quadrants(int width = kWidth, int height = kHeight);
vips::VImage solid(int width, int height, Rgb colour);

// A fresh directory for this test process, removed at exit.
std::filesystem::path scratch_dir();

// Writes `image` to scratch_dir()/name with libvips' saver options in `options`
// (e.g. "[tile,pyramid,compression=deflate]"); returns the path.
std::string save(const vips::VImage& image, const std::string& name,
                 const std::string& options = "");

// Reads the pixel at (x, y) of an encoded image; missing bands (grey, no alpha) are filled in
// as a viewer would see them: grey g -> (g, g, g), alpha 255.
struct Pixel {
    int r, g, b, a;
};
Pixel pixel_at(const std::string& encoded, int x, int y);
vips::VImage decode(const std::string& encoded);

bool near(Pixel pixel, Rgb colour, int tolerance);

}  // namespace test_images
