#include "fixtures.hpp"

#include <tiffio.h>
#include <zlib.h>

#include <map>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "test_images.hpp"

namespace fixtures {

void write_pyramid(const vips::VImage& image, const std::string& path) {
    image.write_to_file((path + kPyramid).c_str());
}

const std::string& master_tiff() {
    static const std::string path = [] {
        std::string made = (test_images::scratch_dir() / "master.tif").string();
        write_pyramid(test_images::quadrants(kMasterWidth, kMasterHeight), made);
        return made;
    }();
    return path;
}

const std::string& slow_tiff(int side) {
    static std::map<int, std::string> made;
    auto found = made.find(side);
    if (found != made.end()) return found->second;
    std::string path =
        test_images::save(test_images::solid(side, side, {128, 128, 128}),
                          "slow" + std::to_string(side) + ".tif", "[compression=deflate]");
    return made.emplace(side, path).first->second;
}

const std::string& solid_pyramid(int width, int height, test_images::Rgb colour) {
    static std::map<std::tuple<int, int, int, int, int>, std::string> made;
    const auto key = std::tuple(width, height, colour.r, colour.g, colour.b);
    if (auto found = made.find(key); found != made.end()) return found->second;

    constexpr int kTile = 512;
    std::vector<unsigned char> pixels(static_cast<size_t>(kTile) * kTile * 3);
    for (size_t i = 0; i < pixels.size(); i += 3) {
        pixels[i] = static_cast<unsigned char>(colour.r);
        pixels[i + 1] = static_cast<unsigned char>(colour.g);
        pixels[i + 2] = static_cast<unsigned char>(colour.b);
    }
    uLongf packed_size = compressBound(static_cast<uLong>(pixels.size()));
    std::vector<unsigned char> packed(packed_size);
    if (compress2(packed.data(), &packed_size, pixels.data(), static_cast<uLong>(pixels.size()),
                  Z_BEST_SPEED) != Z_OK)
        throw std::runtime_error("solid_pyramid: deflate failed");

    const std::string path = (test_images::scratch_dir() /
                              ("solid-" + std::to_string(width) + "x" + std::to_string(height) +
                               "-" + std::to_string(colour.r) + "-" + std::to_string(colour.g) +
                               "-" + std::to_string(colour.b) + ".tif"))
                                 .string();
    TIFF* tiff = TIFFOpen(path.c_str(), "w");
    if (!tiff) throw std::runtime_error("solid_pyramid: cannot write " + path);
    for (int factor = 1;; factor *= 2) {
        const int level_width = (width + factor - 1) / factor;
        const int level_height = (height + factor - 1) / factor;
        TIFFSetField(tiff, TIFFTAG_SUBFILETYPE, factor == 1 ? 0 : FILETYPE_REDUCEDIMAGE);
        TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, level_width);
        TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, level_height);
        TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 8);
        TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, 3);
        TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
        TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        TIFFSetField(tiff, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
        TIFFSetField(tiff, TIFFTAG_TILEWIDTH, kTile);
        TIFFSetField(tiff, TIFFTAG_TILELENGTH, kTile);
        const ttile_t tiles = TIFFNumberOfTiles(tiff);
        for (ttile_t tile = 0; tile < tiles; ++tile)
            if (TIFFWriteRawTile(tiff, tile, packed.data(), static_cast<tmsize_t>(packed_size)) < 0)
                throw std::runtime_error("solid_pyramid: cannot write a tile of " + path);
        if (!TIFFWriteDirectory(tiff)) throw std::runtime_error("solid_pyramid: " + path);
        if (level_width <= kTile && level_height <= kTile) break;
    }
    TIFFClose(tiff);
    return made.emplace(key, path).first->second;
}

std::unique_ptr<integration::Nginx> serve_master(integration::NginxOptions options) {
    auto nginx = std::make_unique<integration::Nginx>(std::move(options));
    nginx->add_image("master.tif", master_tiff());
    nginx->start();
    return nginx;
}

Json parse_json(const std::string& text) {
    json_error_t error;
    return Json(json_loads(text.c_str(), 0, &error));
}

std::string json_text(const json_t* object, const char* key) {
    const char* value = json_string_value(json_object_get(object, key));
    return value ? value : "";
}

long long json_number(const json_t* object, const char* key) {
    const json_t* value = json_object_get(object, key);
    return json_is_integer(value) ? json_integer_value(value) : -1;
}

}  // namespace fixtures
