// info.json over HTTP (Image API 3.0 section 5, 2.1 section 5): the document nginx serves for a
// 2000 x 1500 pyramidal TIFF, and the media type it is served as.
#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "http_client.hpp"

using fixtures::json_number;
using fixtures::json_text;
using integration::get;
using integration::Response;

namespace {

const std::string kJsonLd3 =
    "application/ld+json;profile=\"http://iiif.io/api/image/3/context.json\"";
const std::string kJsonLd2 =
    "application/ld+json;profile=\"http://iiif.io/api/image/2/context.json\"";

std::vector<long long> integers(const json_t* array) {
    std::vector<long long> values;
    size_t index;
    json_t* value;
    json_array_foreach(array, index, value) values.push_back(json_integer_value(value));
    return values;
}

}  // namespace

TEST_CASE("info.json 3.0 gives the id, size, type, profile, tiles and scale factors", "[info]") {
    auto nginx = fixtures::serve_master();
    Response response = get(nginx->url("/iiif/3/master/info.json"));
    REQUIRE(response.status == 200);
    fixtures::Json info = fixtures::parse_json(response.body);
    REQUIRE(info);

    CHECK(json_text(info.get(), "@context") == "http://iiif.io/api/image/3/context.json");
    CHECK(json_text(info.get(), "id") == nginx->url("/iiif/3/master"));
    CHECK(json_text(info.get(), "type") == "ImageService3");
    CHECK(json_text(info.get(), "protocol") == "http://iiif.io/api/image");
    CHECK(json_text(info.get(), "profile") == "level2");
    CHECK(json_number(info.get(), "width") == 2000);
    CHECK(json_number(info.get(), "height") == 1500);
    json_t* tile = json_array_get(json_object_get(info.get(), "tiles"), 0);
    REQUIRE(tile);
    CHECK(json_number(tile, "width") == 256);
    CHECK(integers(json_object_get(tile, "scaleFactors")) == std::vector<long long>{1, 2, 4, 8});
}

TEST_CASE("info.json 3.0 is application/json, or JSON-LD with the 3.0 context when accepted",
          "[info]") {
    auto nginx = fixtures::serve_master();
    std::string url = nginx->url("/iiif/3/master/info.json");

    Response plain = get(url);
    CHECK(plain.status == 200);
    CHECK(plain.header("Content-Type") == "application/json");

    Response linked = get(url, {"Accept: application/ld+json"});
    CHECK(linked.status == 200);
    CHECK(linked.header("Content-Type") == kJsonLd3);
    CHECK(linked.body == plain.body);
}

TEST_CASE("info.json 2.1 gives @id, the level 2 profile URI and the JSON-LD type of 2.1",
          "[info]") {
    auto nginx = fixtures::serve_master();
    std::string url = nginx->url("/iiif/2/master/info.json");

    Response response = get(url);
    REQUIRE(response.status == 200);
    CHECK(response.header("Content-Type") == "application/json");
    fixtures::Json info = fixtures::parse_json(response.body);
    REQUIRE(info);
    CHECK(json_text(info.get(), "@context") == "http://iiif.io/api/image/2/context.json");
    CHECK(json_text(info.get(), "@id") == nginx->url("/iiif/2/master"));
    CHECK(json_number(info.get(), "width") == 2000);
    CHECK(json_number(info.get(), "height") == 1500);
    const char* profile =
        json_string_value(json_array_get(json_object_get(info.get(), "profile"), 0));
    REQUIRE(profile);
    CHECK(std::string(profile) == "http://iiif.io/api/image/2/level2.json");
    json_t* tile = json_array_get(json_object_get(info.get(), "tiles"), 0);
    REQUIRE(tile);
    CHECK(json_number(tile, "width") == 256);
    CHECK(integers(json_object_get(tile, "scaleFactors")) == std::vector<long long>{1, 2, 4, 8});

    Response linked = get(url, {"Accept: application/ld+json"});
    CHECK(linked.status == 200);
    CHECK(linked.header("Content-Type") == kJsonLd2);
}
