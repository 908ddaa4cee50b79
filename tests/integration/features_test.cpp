// Everything an info.json declares works (Image API 3.0 section 6, 2.1 section 6): each feature,
// quality and format it names, each tile scale factor and each entry of `sizes`, requested over
// HTTP from nginx and checked by decoding the image it answers with. The features are read from
// the served info.json, so a feature added there without a working request fails here.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "fixtures.hpp"
#include "http_client.hpp"
#include "test_images.hpp"

using fixtures::json_number;
using integration::get;
using integration::Nginx;
using integration::Response;
using test_images::kBlue;
using test_images::kGreen;
using test_images::kRed;
using test_images::kWhite;

namespace {

struct Declared {
    std::set<std::string> features, qualities, formats;
    std::vector<std::pair<int, int>> sizes;
    int tile_width = 0, tile_height = 0;
    std::vector<int> scale_factors;
};

void add_strings(std::set<std::string>& names, const json_t* array) {
    size_t index;
    json_t* value;
    json_array_foreach(array, index, value) names.insert(json_string_value(value));
}

// What the info.json of `version` ("3" or "2") declares, with what its compliance level implies.
Declared declared(const Nginx& nginx, const std::string& version,
                  const std::string& identifier = "master") {
    Response response = get(nginx.url("/iiif/" + version + "/" + identifier + "/info.json"));
    REQUIRE(response.status == 200);
    fixtures::Json info = fixtures::parse_json(response.body);
    REQUIRE(info);
    Declared result;
    if (version == "3") {
        REQUIRE(fixtures::json_text(info.get(), "profile") == "level2");
        result.features = {"regionByPx", "regionByPct",      "regionSquare",
                           "sizeByW",    "sizeByH",          "sizeByPct",
                           "sizeByWh",   "sizeByConfinedWh", "rotationBy90s"};
        result.qualities = {"default", "color"};
        result.formats = {"jpg", "png"};
        add_strings(result.features, json_object_get(info.get(), "extraFeatures"));
        add_strings(result.qualities, json_object_get(info.get(), "extraQualities"));
        add_strings(result.formats, json_object_get(info.get(), "extraFormats"));
    } else {
        json_t* profile = json_object_get(info.get(), "profile");
        REQUIRE(std::string(json_string_value(json_array_get(profile, 0))) ==
                "http://iiif.io/api/image/2/level2.json");
        result.features = {"regionByPx",        "regionByPct", "sizeByW",
                           "sizeByH",           "sizeByPct",   "sizeByConfinedWh",
                           "sizeByDistortedWh", "sizeByWh",    "rotationBy90s",
                           "baseUriRedirect",   "cors",        "jsonldMediaType"};
        result.qualities = {"default", "color", "gray", "bitonal"};
        result.formats = {"jpg", "png"};
        json_t* description = json_array_get(profile, 1);
        add_strings(result.features, json_object_get(description, "supports"));
        add_strings(result.qualities, json_object_get(description, "qualities"));
        add_strings(result.formats, json_object_get(description, "formats"));
    }
    size_t index;
    json_t* size;
    json_array_foreach(json_object_get(info.get(), "sizes"), index, size)
        result.sizes.emplace_back(json_number(size, "width"), json_number(size, "height"));
    json_t* tile = json_array_get(json_object_get(info.get(), "tiles"), 0);
    result.tile_width = static_cast<int>(json_number(tile, "width"));
    result.tile_height = json_object_get(tile, "height")
                             ? static_cast<int>(json_number(tile, "height"))
                             : result.tile_width;
    json_t* factor;
    json_array_foreach(json_object_get(tile, "scaleFactors"), index, factor)
        result.scale_factors.push_back(static_cast<int>(json_integer_value(factor)));
    return result;
}

// One request that uses a feature, on the 2000 x 1500 master, and the image it must give.
struct Exercise {
    std::string request;  // {region}/{size}/{rotation}/{quality}.{format}
    int width, height;
    std::function<void(const std::string& body)> check_pixels;
};

void check_near(const std::string& body, int x, int y, test_images::Rgb colour) {
    test_images::Pixel pixel = test_images::pixel_at(body, x, y);
    INFO("pixel (" << x << "," << y << ") = " << pixel.r << "," << pixel.g << "," << pixel.b);
    CHECK(test_images::near(pixel, colour, 8));
}

std::map<std::string, Exercise> image_exercises(const std::string& version) {
    // 2.1 names the whole size `full` and has no `^`: upscaling is its sizeAboveFull.
    std::string whole = version == "3" ? "max" : "full";
    auto mirrored = [](const std::string& body) {
        check_near(body, 0, 0, kGreen);
        check_near(body, 199, 149, kBlue);
    };
    auto turned = [](const std::string& body) {  // clockwise: bottom-left comes to top-left
        check_near(body, 0, 0, kBlue);
        check_near(body, 149, 0, kRed);
        check_near(body, 0, 199, kWhite);
    };
    // The bounding box of 200 x 150 turned by 45 degrees is 247.49 pixels square: 248. The
    // middle of the green quadrant, 50 right of and 38 above the centre, turns clockwise to
    // 88 / sqrt(2) = 62 right of and 12 / sqrt(2) = 8 below the centre.
    auto turned_45 = [](const std::string& body) {
        CHECK(test_images::pixel_at(body, 0, 0).a == 0);  // a transparent corner
        check_near(body, 124 + 62, 124 + 8, kGreen);
    };
    std::map<std::string, Exercise> exercises = {
        {"regionByPx", {"100,200,500,400/" + whole + "/0/default.jpg", 500, 400, {}}},
        {"regionByPct", {"pct:50,50,50,50/" + whole + "/0/default.jpg", 1000, 750, {}}},
        {"regionSquare", {"square/300,/0/default.jpg", 300, 300, {}}},
        {"sizeByW", {"full/500,/0/default.jpg", 500, 375, {}}},
        {"sizeByH", {"full/,375/0/default.jpg", 500, 375, {}}},
        {"sizeByPct", {"full/pct:10/0/default.jpg", 200, 150, {}}},
        {"sizeByWh", {"full/400,400/0/default.jpg", 400, 400, {}}},
        {"sizeByConfinedWh", {"full/!500,500/0/default.jpg", 500, 375, {}}},
        {"rotationBy90s", {"full/200,/90/default.png", 150, 200, turned}},
        {"rotationArbitrary", {"full/200,/45/default.png", 248, 248, turned_45}},
        {"mirroring", {"full/200,/!0/default.png", 200, 150, mirrored}},
    };
    if (version == "3") {
        exercises["sizeUpscaling"] = {"0,0,200,150/^400,/0/default.jpg", 400, 300, {}};
    } else {
        exercises["sizeAboveFull"] = {"0,0,200,150/400,/0/default.jpg", 400, 300, {}};
        exercises["sizeByForcedWh"] = {"full/400,400/0/default.jpg", 400, 400, {}};
        exercises["sizeByDistortedWh"] = {"full/400,400/0/default.jpg", 400, 400, {}};
    }
    return exercises;
}

// The features that are about HTTP rather than pixels, each checked by the request it names.
bool exercise_http_feature(const Nginx& nginx, const std::string& version,
                           const std::string& feature) {
    std::string service = nginx.url("/iiif/" + version + "/master");
    std::string profile = "<http://iiif.io/api/image/" + version + "/level2.json>;rel=\"profile\"";
    if (feature == "baseUriRedirect") {
        Response response = get(service);
        CHECK(response.status == 303);
        CHECK(response.header("Location") == service + "/info.json");
    } else if (feature == "cors") {
        Response response = get(service + "/info.json");
        CHECK(response.status == 200);
        CHECK(response.header("Access-Control-Allow-Origin") == "*");
    } else if (feature == "jsonldMediaType") {
        Response response = get(service + "/info.json", {"Accept: application/ld+json"});
        CHECK(response.status == 200);
        CHECK(response.header("Content-Type") ==
              "application/ld+json;profile=\"http://iiif.io/api/image/" + version +
                  "/context.json\"");
    } else if (feature == "profileLinkHeader") {
        Response response = get(service + "/full/100,/0/default.jpg");
        CHECK(response.status == 200);
        CHECK_THAT(response.header("Link"), Catch::Matchers::Contains(profile));
    } else if (feature == "canonicalLinkHeader") {
        Response response = get(service + "/full/100,/0/default.jpg");
        CHECK(response.status == 200);
        std::string canonical =
            version == "3" ? "full/100,75/0/default.jpg" : "full/100,/0/default.jpg";
        CHECK_THAT(
            response.header("Link"),
            Catch::Matchers::Contains("<" + service + "/" + canonical + ">;rel=\"canonical\""));
    } else {
        return false;
    }
    return true;
}

// GETs an image and checks that it is a 200 of the given size; returns the body.
std::string check_image(const Nginx& nginx, const std::string& version, const std::string& request,
                        int width, int height, const std::string& identifier = "master") {
    INFO("GET /iiif/" << version << "/" << identifier << "/" << request);
    Response response = get(nginx.url("/iiif/" + version + "/" + identifier + "/" + request));
    if (response.status != 200) {
        FAIL_CHECK("status " << response.status << ": " << response.body);
        return "";
    }
    vips::VImage image = test_images::decode(response.body);
    CHECK(image.width() == width);
    CHECK(image.height() == height);
    return response.body;
}

}  // namespace

TEST_CASE("Every feature info.json declares is served, in 3.0 and 2.1", "[features]") {
    auto nginx = fixtures::serve_master();
    for (std::string version : {"3", "2"}) {
        Declared info = declared(*nginx, version);
        auto exercises = image_exercises(version);
        for (const std::string& feature : info.features) {
            INFO("Image API " << version << ", feature " << feature);
            if (exercise_http_feature(*nginx, version, feature)) continue;
            auto exercise = exercises.find(feature);
            if (exercise == exercises.end()) {
                FAIL_CHECK("no request here exercises the declared feature " << feature);
                continue;
            }
            const Exercise& e = exercise->second;
            std::string body = check_image(*nginx, version, e.request, e.width, e.height);
            if (!body.empty() && e.check_pixels) e.check_pixels(body);
        }
    }
}

TEST_CASE("Every quality info.json declares is served, gray and bitonal with one band",
          "[features]") {
    auto nginx = fixtures::serve_master();
    for (std::string version : {"3", "2"}) {
        Declared info = declared(*nginx, version);
        CHECK(info.qualities == std::set<std::string>{"default", "color", "gray", "bitonal"});
        for (const std::string& quality : info.qualities) {
            INFO("Image API " << version << ", quality " << quality);
            std::string body =
                check_image(*nginx, version, "full/200,/0/" + quality + ".png", 200, 150);
            if (body.empty()) continue;
            bool one_band = quality == "gray" || quality == "bitonal";
            CHECK(test_images::decode(body).bands() == (one_band ? 1 : 3));
            if (quality == "bitonal") {
                CHECK(test_images::pixel_at(body, 0, 0).r == 0);        // red is dark
                CHECK(test_images::pixel_at(body, 199, 149).r == 255);  // white stays white
            }
        }
    }
}

TEST_CASE("Every format info.json declares is served with its media type", "[features]") {
    const std::map<std::string, std::string> media_types = {{"jpg", "image/jpeg"},
                                                            {"png", "image/png"},
                                                            {"webp", "image/webp"},
                                                            {"tif", "image/tiff"},
                                                            {"gif", "image/gif"}};
    auto nginx = fixtures::serve_master();
    for (std::string version : {"3", "2"}) {
        Declared info = declared(*nginx, version);
        CHECK(info.formats == std::set<std::string>{"jpg", "png", "webp", "tif", "gif"});
        for (const std::string& format : info.formats) {
            INFO("Image API " << version << ", format " << format);
            std::string request = "full/200,/0/default." + format;
            Response response = get(nginx->url("/iiif/" + version + "/master/" + request));
            CHECK(response.status == 200);
            REQUIRE(media_types.count(format) == 1);
            CHECK(response.header("Content-Type") == media_types.at(format));
            if (response.status != 200) continue;
            vips::VImage image = test_images::decode(response.body);
            CHECK(image.width() == 200);
            CHECK(image.height() == 150);
        }
    }
}

TEST_CASE("Every tile scale factor serves tiles as OpenSeadragon requests them", "[features]") {
    auto nginx = fixtures::serve_master();
    const int W = fixtures::kMasterWidth, H = fixtures::kMasterHeight;
    for (std::string version : {"3", "2"}) {
        Declared info = declared(*nginx, version);
        REQUIRE(info.tile_width == fixtures::kMasterTile);
        REQUIRE(info.scale_factors == std::vector<int>{1, 2, 4, 8});
        for (int sf : info.scale_factors) {
            // The first tile and the last (partial) one of the level.
            int span_w = info.tile_width * sf, span_h = info.tile_height * sf;
            int last_col = (W - 1) / span_w, last_row = (H - 1) / span_h;
            for (auto [col, row] : {std::pair{0, 0}, std::pair{last_col, last_row}}) {
                int x = col * span_w, y = row * span_h;
                int w = std::min(span_w, W - x), h = std::min(span_h, H - y);
                int out_w = (w + sf - 1) / sf;
                int out_h = static_cast<int>(std::lround(static_cast<double>(h) * out_w / w));
                std::string request = std::to_string(x) + "," + std::to_string(y) + "," +
                                      std::to_string(w) + "," + std::to_string(h) + "/" +
                                      std::to_string(out_w) + ",/0/default.jpg";
                INFO("Image API " << version << ", scale factor " << sf);
                check_image(*nginx, version, request, out_w, out_h);
            }
        }
    }
}

TEST_CASE("Every entry of sizes is served at exactly that size", "[features]") {
    auto nginx = fixtures::serve_master();
    for (std::string version : {"3", "2"}) {
        Declared info = declared(*nginx, version);
        // The four levels of the 2000x1500 master, and 125x94 below them (the thumbnail).
        CHECK(info.sizes.size() == 5);
        for (auto [width, height] : info.sizes) {
            INFO("Image API " << version << ", size " << width << "x" << height);
            check_image(
                *nginx, version,
                "full/" + std::to_string(width) + "," + std::to_string(height) + "/0/default.jpg",
                width, height);
        }
    }
}

TEST_CASE(
    "A flat PNG declares virtual scale factors until one tile holds it, and serves each as "
    "OpenSeadragon requests its tiles",
    "[features]") {
    Nginx nginx;
    // 2000 x 1500 quadrants: red top-left, green top-right, blue bottom-left, white bottom-right.
    nginx.add_image("flat.png", test_images::save(test_images::quadrants(2000, 1500), "flat.png"));
    nginx.start();
    for (std::string version : {"3", "2"}) {
        Declared info = declared(nginx, version, "flat");
        // No level but the full one: 2 and 4 are virtual (500 x 375 fits one 512 tile).
        REQUIRE(info.tile_width == 512);
        REQUIRE(info.scale_factors == std::vector<int>{1, 2, 4});
        CHECK(info.sizes == std::vector<std::pair<int, int>>{
                                {125, 94}, {250, 188}, {500, 375}, {1000, 750}, {2000, 1500}});
        for (int sf : info.scale_factors) {
            const int span = 512 * sf;
            const int last_col = (2000 - 1) / span, last_row = (1500 - 1) / span;
            for (auto [col, row] : {std::pair{0, 0}, std::pair{last_col, last_row}}) {
                const int x = col * span, y = row * span;
                const int w = std::min(span, 2000 - x), h = std::min(span, 1500 - y);
                const int out_w = (w + sf - 1) / sf;
                const int out_h = static_cast<int>(std::lround(static_cast<double>(h) * out_w / w));
                INFO("Image API " << version << ", scale factor " << sf << ", tile " << col << ","
                                  << row);
                const std::string body = check_image(
                    nginx, version,
                    std::to_string(x) + "," + std::to_string(y) + "," + std::to_string(w) + "," +
                        std::to_string(h) + "/" + std::to_string(out_w) + ",/0/default.png",
                    out_w, out_h, "flat");
                // The first tile starts in the red quadrant; the last one ends in the white.
                if (!body.empty())
                    check_near(body, col == 0 ? 2 : out_w - 3, col == 0 ? 2 : out_h - 3,
                               col == 0 ? kRed : kWhite);
            }
        }
        // The smallest size, the thumbnail, is served whole at exactly that size.
        check_image(nginx, version, "full/125,94/0/default.jpg", 125, 94, "flat");
    }
}
