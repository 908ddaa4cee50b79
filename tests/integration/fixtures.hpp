// What the integration tests serve and how they read it back: source images made once per test
// process with libvips, and info.json documents parsed with jansson.
#pragma once

#include <jansson.h>

#include <memory>
#include <string>
#include <vips/vips8>

#include "nginx_harness.hpp"
#include "test_images.hpp"

namespace fixtures {

// 2000 x 1500, the four quadrants of test_images (red, green / blue, white), as a tiled
// pyramidal TIFF: tiles of 256 x 256, levels at scale factors 1, 2, 4 and 8.
constexpr int kMasterWidth = 2000;
constexpr int kMasterHeight = 1500;
constexpr int kMasterTile = 256;
const std::string& master_tiff();

// The saver options of every pyramidal source here.
constexpr const char* kPyramid =
    "[tile,pyramid,compression=deflate,tile-width=256,tile-height=256]";

// A square uniform grey TIFF of `side` pixels, in strips, neither tiled nor pyramidal: any
// render of its full region decodes every pixel, so it is slow on purpose (about 0.5 s for
// side 8000), yet small on disk (deflate).
const std::string& slow_tiff(int side);

// A pyramidal TIFF of width x height in one colour, deflated in 512 x 512 tiles, levels halved
// down to one tile: large in declared size, yet written in a blink (every tile of a level holds
// the same bytes, compressed once) and a few megabytes on disk. Made once per size and colour.
const std::string& solid_pyramid(int width, int height, test_images::Rgb colour);

// A started nginx serving master_tiff() as "master" under /iiif/3/ and /iiif/2/.
std::unique_ptr<integration::Nginx> serve_master(integration::NginxOptions options = {});

// `image` as a pyramidal TIFF at `path`.
void write_pyramid(const vips::VImage& image, const std::string& path);

struct JsonDecref {
    void operator()(json_t* value) const { json_decref(value); }
};
using Json = std::unique_ptr<json_t, JsonDecref>;

// The parsed document, or null when `text` is not JSON.
Json parse_json(const std::string& text);
// Shorthands that read a member of an object: "" or -1 when absent or of another type.
std::string json_text(const json_t* object, const char* key);
long long json_number(const json_t* object, const char* key);

}  // namespace fixtures
