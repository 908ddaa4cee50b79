#include "fixtures.hpp"

#include <map>

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
