// The service's limits (Image API 3.0 section 5.3, 2.1 section 5.3): what info.json declares is
// what the server delivers. Without any iiif_max_* directive the defaults are declared, `max`
// (and 2.1's `full`) is the largest size they allow of any source, and a request beyond them is
// the client's mistake: 400, told on arithmetic before anything is decoded.
#include <catch2/catch.hpp>
#include <chrono>

#include "fixtures.hpp"
#include "http_client.hpp"
#include "test_images.hpp"

using Catch::Matchers::Contains;
using fixtures::json_number;
using integration::get;
using integration::Nginx;
using integration::Response;

namespace {

constexpr test_images::Rgb kTeal{0, 128, 128};

// 25000 x 25000: 625 megapixels, over the renderer's output guard (100) and decode guard (400),
// in a pyramid that goes down to one tile.
std::unique_ptr<Nginx> serve_huge() {
    auto nginx = std::make_unique<Nginx>();
    nginx->add_image("huge.tif", fixtures::solid_pyramid(25000, 25000, kTeal));
    nginx->start();
    return nginx;
}

fixtures::Json info_of(const Nginx& nginx, const std::string& path) {
    Response response = get(nginx.url(path));
    INFO(response.status << " " << response.body);
    REQUIRE(response.status == 200);
    fixtures::Json info = fixtures::parse_json(response.body);
    REQUIRE(info);
    return info;
}

}  // namespace

TEST_CASE("Without iiif_max_* directives, info.json declares the default limits",
          "[limits][integration]") {
    auto nginx = serve_huge();
    fixtures::Json v3 = info_of(*nginx, "/iiif/3/huge/info.json");
    CHECK(json_number(v3.get(), "width") == 25000);
    CHECK(json_number(v3.get(), "maxWidth") == 10000);
    CHECK(json_number(v3.get(), "maxHeight") == 10000);
    CHECK(json_number(v3.get(), "maxArea") == 50000000);

    fixtures::Json v2 = info_of(*nginx, "/iiif/2/huge/info.json");
    const json_t* profile = json_array_get(json_object_get(v2.get(), "profile"), 1);
    CHECK(json_number(profile, "maxWidth") == 10000);
    CHECK(json_number(profile, "maxHeight") == 10000);
    CHECK(json_number(profile, "maxArea") == 50000000);
}

TEST_CASE("iiif_max_* set to 0 or beyond what the renderer delivers declare its limits",
          "[limits][integration]") {
    integration::NginxOptions options;
    options.location_extra = "iiif_max_width 0; iiif_max_height 30000; iiif_max_area 0;";
    auto nginx = fixtures::serve_master(options);
    fixtures::Json v3 = info_of(*nginx, "/iiif/3/master/info.json");
    CHECK(json_number(v3.get(), "maxWidth") == 16383);  // WebP's largest side
    CHECK(json_number(v3.get(), "maxHeight") == 16383);
    CHECK(json_number(v3.get(), "maxArea") == 50000000);
}

TEST_CASE("full/max of an image over the pixel guards is the largest size the limits allow",
          "[limits][integration]") {
    auto nginx = serve_huge();
    // sqrt(50000000 / 625000000) of 25000: 7071 x 7071 (49999041 pixels).
    Response v3 = get(nginx->url("/iiif/3/huge/full/max/0/default.jpg"));
    INFO(v3.body.substr(0, 200));
    REQUIRE(v3.status == 200);
    CHECK(test_images::decode(v3.body).width() == 7071);
    CHECK(test_images::decode(v3.body).height() == 7071);
    CHECK(test_images::near(test_images::pixel_at(v3.body, 3535, 3535), kTeal, 3));
    CHECK_THAT(v3.header("Link"), Contains("<" + nginx->url("/iiif/3/huge") +
                                           "/full/max/0/default.jpg>;rel=\"canonical\""));
}

TEST_CASE("2.1: full and max of an image over the pixel guards scale down to the limits alike",
          "[limits][integration]") {
    // 60000 x 2000 (120 megapixels): maxWidth decides, 10000 x 333.
    Nginx nginx;
    nginx.add_image("panorama.tif", fixtures::solid_pyramid(60000, 2000, kTeal));
    nginx.start();
    for (const char* size : {"full", "max"}) {
        INFO(size);
        Response v2 =
            get(nginx.url("/iiif/2/panorama/full/" + std::string(size) + "/0/default.jpg"));
        INFO(v2.body.substr(0, 200));
        REQUIRE(v2.status == 200);
        CHECK(test_images::decode(v2.body).width() == 10000);
        CHECK(test_images::decode(v2.body).height() == 333);
        CHECK(test_images::near(test_images::pixel_at(v2.body, 5000, 166), kTeal, 3));
        // The canonical form names the width.
        CHECK_THAT(v2.header("Link"), Contains("<" + nginx.url("/iiif/2/panorama") +
                                               "/full/10000,/0/default.jpg>;rel=\"canonical\""));
    }
    Response v3 = get(nginx.url("/iiif/3/panorama/full/max/0/default.jpg"));
    REQUIRE(v3.status == 200);
    CHECK(test_images::decode(v3.body).width() == 10000);
}
