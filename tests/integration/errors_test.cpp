// Refusals and their statuses (Image API 3.0 section 7.2, 2.1 section 7): every error is a short
// plain-text reason with CORS, the status says whose fault it is, and none is a 500. A broken
// source costs its own request only: nginx keeps serving.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "fixtures.hpp"
#include "http_client.hpp"
#include "test_images.hpp"

using Catch::Matchers::Contains;
using fixtures::json_number;
using integration::fetch;
using integration::get;
using integration::Nginx;
using integration::NginxOptions;
using integration::Response;

namespace {

// A refusal as the service gives every one.
void check_error(const Response& response, long status) {
    INFO("body: " << response.body);
    CHECK(response.status == status);
    CHECK(response.header("Content-Type") == "text/plain; charset=utf-8");
    CHECK_FALSE(response.body.empty());
    CHECK(response.header("Access-Control-Allow-Origin") == "*");
}

void check_errors(const Nginx& nginx, const std::vector<std::string>& paths, long status) {
    for (const std::string& path : paths) {
        INFO("GET " << path);
        check_error(get(nginx.url(path)), status);
    }
}

}  // namespace

TEST_CASE("A malformed region, size, rotation or quality is 400", "[errors]") {
    auto nginx = fixtures::serve_master();
    check_errors(*nginx,
                 {
                     "/iiif/3/master/0,0,abc,10/max/0/default.jpg",  // region
                     "/iiif/3/master/pct:10,10/max/0/default.jpg",
                     "/iiif/3/master/squares/max/0/default.jpg",
                     "/iiif/3/master/full/abc/0/default.jpg",  // size
                     "/iiif/3/master/full/0,/0/default.jpg",
                     "/iiif/3/master/full/full/0/default.jpg",   // 2.1 only
                     "/iiif/3/master/full/max/abc/default.jpg",  // rotation
                     "/iiif/3/master/full/max/361/default.jpg",
                     "/iiif/3/master/full/max/-90/default.jpg",
                     "/iiif/3/master/full/max/0/fancy.jpg",   // quality
                     "/iiif/3/master/full/max/0/native.jpg",  // 1.x only
                     "/iiif/2/master/0,0,abc,10/full/0/default.jpg",
                     "/iiif/2/master/full/^500,/0/default.jpg",  // 3.0 only
                     "/iiif/2/master/full/full/x/default.jpg",
                     "/iiif/2/master/full/full/0/fancy.jpg",
                 },
                 400);
}

TEST_CASE("A region outside the image is 400", "[errors]") {
    auto nginx = fixtures::serve_master();
    check_errors(*nginx,
                 {"/iiif/3/master/2000,0,10,10/max/0/default.jpg",
                  "/iiif/3/master/0,1500,10,10/max/0/default.jpg",
                  "/iiif/3/master/5000,5000,100,100/max/0/default.jpg",
                  "/iiif/2/master/2000,0,10,10/full/0/default.jpg"},
                 400);
}

TEST_CASE("3.0: a size larger than the region without ^ is 400", "[errors]") {
    auto nginx = fixtures::serve_master();
    check_errors(
        *nginx,
        {"/iiif/3/master/full/3000,/0/default.jpg", "/iiif/3/master/full/,1600/0/default.jpg",
         "/iiif/3/master/0,0,100,100/200,200/0/default.jpg",
         "/iiif/3/master/full/pct:150/0/default.jpg"},
        400);
}

TEST_CASE("A size over iiif_max_width is 400, and info.json declares maxWidth", "[errors]") {
    NginxOptions options;
    options.location_extra = "iiif_max_width 1000;";
    auto nginx = fixtures::serve_master(options);
    check_errors(
        *nginx,
        {"/iiif/3/master/full/1500,/0/default.jpg", "/iiif/3/master/full/1001,/0/default.jpg",
         "/iiif/2/master/full/1500,/0/default.jpg"},
        400);

    Response v3 = get(nginx->url("/iiif/3/master/info.json"));
    REQUIRE(v3.status == 200);
    fixtures::Json info3 = fixtures::parse_json(v3.body);
    REQUIRE(info3);
    CHECK(json_number(info3.get(), "maxWidth") == 1000);

    Response v2 = get(nginx->url("/iiif/2/master/info.json"));
    REQUIRE(v2.status == 200);
    fixtures::Json info2 = fixtures::parse_json(v2.body);
    REQUIRE(info2);
    CHECK(json_number(json_array_get(json_object_get(info2.get(), "profile"), 1), "maxWidth") ==
          1000);

    // `max` is the largest size allowed: 1000 wide.
    Response largest = get(nginx->url("/iiif/3/master/full/max/0/default.jpg"));
    REQUIRE(largest.status == 200);
    CHECK(test_images::decode(largest.body).width() == 1000);
    CHECK(test_images::decode(largest.body).height() == 750);
}

TEST_CASE("A size beyond the limits or what its format holds is 400, never 422 or 500",
          "[errors][limits]") {
    // The default limits: 10000 a side, 50000000 in all.
    auto nginx = fixtures::serve_master();
    const std::vector<std::string> paths = {
        "/iiif/3/master/full/^65536,1/0/default.jpg",
        "/iiif/3/master/full/^1,65536/0/default.jpg",
        "/iiif/3/master/full/^10001,/0/default.png",
        "/iiif/3/master/full/^10000,10000/0/default.jpg",
        "/iiif/3/master/full/^pct:1000/0/default.jpg",
        "/iiif/3/master/0,0,1,1/^10000,5001/0/default.jpg",
        "/iiif/2/master/full/65536,1/0/default.jpg",
        "/iiif/2/master/full/pct:600/0/default.jpg",
        // A percentage region far past the image is cropped to it, then held to the limits.
        "/iiif/3/master/pct:0,0,100000,100000/^10001,/0/default.jpg",
        "/iiif/3/master/pct:100000,0,1,1/max/0/default.jpg",
        "/iiif/3/master/pct:0,0,0.001,100000/^max/0/default.jpg",
        // Within the limits, but turned by 45 degrees: 10607 x 10607, over 100 megapixels out.
        "/iiif/3/master/full/^10000,5000/45/default.jpg",
    };
    for (int round = 0; round < 2; ++round) {  // the source unknown, then known
        for (const std::string& path : paths) {
            INFO("GET " << path);
            Response response = get(nginx->url(path));
            check_error(response, 400);
            CHECK_THAT(response.body, !Contains("damaged"));
        }
    }
    // Without limits of its own the service keeps the renderer's: 16383 a side, which a WebP
    // turned by 7 degrees (16505 wide) outgrows.
    NginxOptions unlimited;
    unlimited.location_extra = "iiif_max_width 0; iiif_max_height 0; iiif_max_area 0;";
    auto open = fixtures::serve_master(unlimited);
    check_errors(*open,
                 {"/iiif/3/master/full/^16384,/0/default.png",
                  "/iiif/3/master/full/^16383,2000/7/default.webp",
                  "/iiif/3/master/full/^65536,1/0/default.jpg"},
                 400);
}

TEST_CASE("A format the server does not produce is 501 in 3.0 and 415 in 2.1", "[errors]") {
    auto nginx = fixtures::serve_master();
    check_errors(*nginx,
                 {"/iiif/3/master/full/max/0/default.jp2", "/iiif/3/master/full/max/0/default.pdf"},
                 501);
    check_errors(
        *nginx,
        {"/iiif/2/master/full/full/0/default.jp2", "/iiif/2/master/full/full/0/default.pdf"}, 415);
}

TEST_CASE("An unknown identifier is 404", "[errors]") {
    auto nginx = fixtures::serve_master();
    check_errors(*nginx,
                 {"/iiif/3/nothing/info.json", "/iiif/3/nothing/full/max/0/default.jpg",
                  "/iiif/2/nothing/info.json", "/iiif/2/nothing/full/full/0/default.jpg",
                  "/iiif/3/a%2Fnothing/info.json"},
                 404);
}

TEST_CASE("A corrupt source is 415 or 422, never 500, and nginx keeps serving", "[errors]") {
    Nginx nginx;
    nginx.add_image("master.tif", fixtures::master_tiff());
    nginx.write_file("images/text.tif", "This is a text file, not a TIFF.\n");

    // The first half of the pyramid: the header survives, the directories do not.
    std::string whole;
    {
        std::ifstream file(fixtures::master_tiff(), std::ios::binary);
        whole.assign(std::istreambuf_iterator<char>(file), {});
    }
    REQUIRE(whole.size() > 4096);
    nginx.write_file("images/truncated.tif", whole.substr(0, whole.size() / 2));
    // Header and directories intact, the first tiles' deflate streams overwritten.
    std::string damaged = whole;
    std::fill(damaged.begin() + 16, damaged.begin() + static_cast<long>(damaged.size() / 8),
              '\xAB');
    nginx.write_file("images/damaged.tif", damaged);
    nginx.start();

    struct Case {
        std::string path;
        long status;
    };
    const std::vector<Case> cases = {
        {"/iiif/3/text/info.json", 415},
        {"/iiif/3/text/full/max/0/default.jpg", 415},
        {"/iiif/2/text/info.json", 415},
        {"/iiif/3/truncated/info.json", 422},
        {"/iiif/3/truncated/full/max/0/default.jpg", 422},
        {"/iiif/3/damaged/0,0,256,256/max/0/default.jpg", 422},
        {"/iiif/3/damaged/full/max/0/default.jpg", 422},
    };
    for (const Case& c : cases) {
        INFO("GET " << c.path);
        Response response = get(nginx.url(c.path));
        CHECK(response.status != 500);
        check_error(response, c.status);
        Response next = get(nginx.url("/iiif/3/master/full/100,/0/default.jpg"));
        CHECK(next.status == 200);
    }
    CHECK(nginx.running());
    CHECK_FALSE(nginx.worker_crashed());
}

TEST_CASE("Methods other than GET, HEAD and OPTIONS are 405", "[errors]") {
    auto nginx = fixtures::serve_master();
    for (std::string method : {"POST", "PUT", "DELETE", "PATCH"}) {
        INFO(method);
        Response response = fetch({nginx->url("/iiif/3/master/info.json"), {}, method});
        check_error(response, 405);
        CHECK(response.header("Allow") == "GET, HEAD, OPTIONS");
    }
}
