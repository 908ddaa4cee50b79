// The HTTP side of the Image API (3.0 sections 6.1 and 7, 2.1 sections 6 and 7): CORS, the
// profile and canonical Link headers, caching headers and validators, the base URI redirect,
// conditional requests and HEAD, as nginx sends them.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <ctime>

#include "fixtures.hpp"
#include "http_client.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using integration::fetch;
using integration::get;
using integration::NginxOptions;
using integration::Response;

namespace {

const std::string kImage = "/iiif/3/master/full/500,/0/default.jpg";

// The file's mtime as an HTTP date (RFC 9110 IMF-fixdate).
std::string http_date_of(const std::string& path) {
    struct stat status {};
    REQUIRE(stat(path.c_str(), &status) == 0);
    std::tm tm{};
    gmtime_r(&status.st_mtime, &tm);
    char text[64];
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return text;
}

}  // namespace

TEST_CASE("CORS: every response allows any origin, errors included", "[headers]") {
    auto nginx = fixtures::serve_master();
    std::string etag = get(nginx->url(kImage)).header("ETag");
    struct Case {
        std::string method, path;
        std::vector<std::string> headers;
        long status;
    };
    const std::vector<Case> cases = {
        {"GET", "/iiif/3/master/info.json", {}, 200},
        {"GET", "/iiif/2/master/info.json", {}, 200},
        {"GET", kImage, {}, 200},
        {"GET", "/iiif/3/master", {}, 303},
        {"GET", kImage, {"If-None-Match: " + etag}, 304},
        {"GET", "/iiif/3/master/full/500,/0/nonsense.jpg", {}, 400},
        {"GET", "/iiif/3/missing/info.json", {}, 404},
        {"POST", "/iiif/3/master/info.json", {}, 405},
        {"GET", "/iiif/2/master/full/500,/0/default.jp2", {}, 415},
        {"GET", "/iiif/3/master/full/500,/0/default.jp2", {}, 501},
    };
    for (const Case& c : cases) {
        INFO(c.method << " " << c.path);
        Response response = fetch({nginx->url(c.path), c.headers, c.method});
        CHECK(response.status == c.status);
        CHECK(response.header("Access-Control-Allow-Origin") == "*");
    }
}

TEST_CASE("CORS preflight: OPTIONS is 204 with the methods and the requested headers",
          "[headers]") {
    auto nginx = fixtures::serve_master();
    Response response =
        fetch({nginx->url("/iiif/3/master/info.json"),
               {"Origin: https://viewer.example.org", "Access-Control-Request-Method: GET",
                "Access-Control-Request-Headers: x-requested-with, authorization"},
               "OPTIONS"});
    CHECK(response.status == 204);
    CHECK(response.body.empty());
    CHECK(response.header("Access-Control-Allow-Origin") == "*");
    CHECK(response.header("Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS");
    CHECK(response.header("Access-Control-Allow-Headers") == "x-requested-with, authorization");
}

TEST_CASE("Link: an image names its profile and its canonical URI, in 3.0 and 2.1", "[headers]") {
    auto nginx = fixtures::serve_master();

    Response v3 = get(nginx->url("/iiif/3/master/full/500,/0/default.jpg"));
    CHECK(v3.status == 200);
    CHECK_THAT(v3.header("Link"),
               Contains("<http://iiif.io/api/image/3/level2.json>;rel=\"profile\""));
    CHECK_THAT(v3.header("Link"), Contains("<" + nginx->url("/iiif/3/master") +
                                           "/full/500,375/0/default.jpg>;rel=\"canonical\""));

    Response v2 = get(nginx->url("/iiif/2/master/full/500,/0/default.jpg"));
    CHECK(v2.status == 200);
    CHECK_THAT(v2.header("Link"),
               Contains("<http://iiif.io/api/image/2/level2.json>;rel=\"profile\""));
    CHECK_THAT(v2.header("Link"), Contains("<" + nginx->url("/iiif/2/master") +
                                           "/full/500,/0/default.jpg>;rel=\"canonical\""));
}

TEST_CASE("Link: info.json names its profile", "[headers]") {
    auto nginx = fixtures::serve_master();
    Response v3 = get(nginx->url("/iiif/3/master/info.json"));
    CHECK(v3.status == 200);
    CHECK_THAT(v3.header("Link"),
               Contains("<http://iiif.io/api/image/3/level2.json>;rel=\"profile\""));
    Response v2 = get(nginx->url("/iiif/2/master/info.json"));
    CHECK(v2.status == 200);
    CHECK_THAT(v2.header("Link"),
               Contains("<http://iiif.io/api/image/2/level2.json>;rel=\"profile\""));
}

TEST_CASE("Cache-Control is public, max-age=86400 unless iiif_cache_control says otherwise",
          "[headers]") {
    {
        auto nginx = fixtures::serve_master();
        CHECK(get(nginx->url(kImage)).header("Cache-Control") == "public, max-age=86400");
        CHECK(get(nginx->url("/iiif/3/master/info.json")).header("Cache-Control") ==
              "public, max-age=86400");
    }
    NginxOptions options;
    options.location_extra = "iiif_cache_control \"public, max-age=60\";";
    auto nginx = fixtures::serve_master(options);
    CHECK(get(nginx->url(kImage)).header("Cache-Control") == "public, max-age=60");
    CHECK(get(nginx->url("/iiif/3/master/info.json")).header("Cache-Control") ==
          "public, max-age=60");
}

TEST_CASE("Validators: a strong ETag and the source's mtime as Last-Modified", "[headers]") {
    auto nginx = fixtures::serve_master();
    std::string mtime = http_date_of(nginx->path("images/master.tif"));
    for (std::string path : {kImage, std::string("/iiif/3/master/info.json")}) {
        INFO(path);
        Response response = get(nginx->url(path));
        CHECK(response.status == 200);
        CHECK_THAT(response.header("ETag"), StartsWith("\""));
        CHECK(response.header("ETag").size() > 2);
        CHECK(response.header("ETag").back() == '"');
        CHECK(response.header("Last-Modified") == mtime);
    }
}

TEST_CASE("The base URI redirects with 303 to its info.json", "[headers]") {
    auto nginx = fixtures::serve_master();
    Response v3 = get(nginx->url("/iiif/3/master"));
    CHECK(v3.status == 303);
    CHECK(v3.header("Location") == nginx->url("/iiif/3/master/info.json"));
    Response v2 = get(nginx->url("/iiif/2/master"));
    CHECK(v2.status == 303);
    CHECK(v2.header("Location") == nginx->url("/iiif/2/master/info.json"));
}

TEST_CASE("If-None-Match with the ETag is 304 with an empty body", "[headers]") {
    auto nginx = fixtures::serve_master();
    for (std::string path : {kImage, std::string("/iiif/3/master/info.json")}) {
        INFO(path);
        Response first = get(nginx->url(path));
        REQUIRE(first.status == 200);
        Response again = get(nginx->url(path), {"If-None-Match: " + first.header("ETag")});
        CHECK(again.status == 304);
        CHECK(again.body.empty());
        CHECK(again.header("ETag") == first.header("ETag"));
    }
}

TEST_CASE("If-Modified-Since equal to Last-Modified is 304", "[headers]") {
    auto nginx = fixtures::serve_master();
    Response first = get(nginx->url(kImage));
    REQUIRE(first.status == 200);
    REQUIRE(first.has("Last-Modified"));
    Response again =
        get(nginx->url(kImage), {"If-Modified-Since: " + first.header("Last-Modified")});
    CHECK(again.status == 304);
    CHECK(again.body.empty());
}

TEST_CASE("If-None-Match with another ETag is 200 with the image", "[headers]") {
    auto nginx = fixtures::serve_master();
    Response first = get(nginx->url(kImage));
    REQUIRE(first.status == 200);
    Response again = get(nginx->url(kImage), {"If-None-Match: \"0123456789abcdef\""});
    CHECK(again.status == 200);
    CHECK(again.body == first.body);
}

TEST_CASE("HEAD has the Content-Length of the GET and no body", "[headers]") {
    auto nginx = fixtures::serve_master();
    for (std::string path : {kImage, std::string("/iiif/3/master/info.json"),
                             std::string("/iiif/3/master/full/200,/0/default.png")}) {
        INFO(path);
        // HEAD first: a render that is not cached yet must still report its length.
        Response head = fetch({nginx->url(path), {}, "HEAD"});
        Response body = get(nginx->url(path));
        CHECK(head.status == 200);
        CHECK(body.status == 200);
        CHECK(head.body.empty());
        CHECK(head.header("Content-Length") == std::to_string(body.body.size()));
        CHECK(head.header("Content-Type") == body.header("Content-Type"));
    }
}
