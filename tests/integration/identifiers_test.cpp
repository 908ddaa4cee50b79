// Identifiers and the URIs made of them (Image API 3.0 sections 3 and 5.1, 2.1 section 9): an
// identifier may hold slashes, and the id of a service is its public URI, behind a reverse
// proxy or as configured.
#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "http_client.hpp"
#include "test_images.hpp"

using Catch::Matchers::Contains;
using fixtures::json_text;
using integration::get;
using integration::Nginx;
using integration::NginxOptions;
using integration::Response;

namespace {

// The id (3.0) or @id (2.1) of an info.json response; "" if it is not one.
std::string service_id(const Response& response, const char* key = "id") {
    fixtures::Json info = fixtures::parse_json(response.body);
    return info ? json_text(info.get(), key) : "";
}

}  // namespace

TEST_CASE("An identifier with slashes is served percent-encoded and raw", "[identifiers]") {
    Nginx nginx;
    nginx.add_image("a/b/c.tif", fixtures::master_tiff());
    nginx.start();

    Response encoded = get(nginx.url("/iiif/3/a%2Fb%2Fc/info.json"));
    CHECK(encoded.status == 200);
    CHECK(service_id(encoded) == nginx.url("/iiif/3/a%2Fb%2Fc"));

    Response raw = get(nginx.url("/iiif/3/a/b/c/info.json"));
    CHECK(raw.status == 200);
    CHECK(service_id(raw) == nginx.url("/iiif/3/a%2Fb%2Fc"));

    Response image = get(nginx.url("/iiif/3/a%2Fb%2Fc/full/200,/0/default.jpg"));
    CHECK(image.status == 200);
    CHECK_THAT(image.header("Link"), Contains("<" + nginx.url("/iiif/3/a%2Fb%2Fc") +
                                              "/full/200,150/0/default.jpg>;rel=\"canonical\""));
    Response raw_image = get(nginx.url("/iiif/3/a/b/c/full/200,/0/default.jpg"));
    CHECK(raw_image.status == 200);
    CHECK(raw_image.body == image.body);

    Response v2 = get(nginx.url("/iiif/2/a%2Fb%2Fc/info.json"));
    CHECK(v2.status == 200);
    CHECK(service_id(v2, "@id") == nginx.url("/iiif/2/a%2Fb%2Fc"));
}

TEST_CASE("With raw slashes, a path that is no image request is 303 for an image, else 404",
          "[identifiers]") {
    Nginx nginx;
    nginx.add_image("a/b/c.tif", fixtures::master_tiff());
    nginx.start();
    for (const char* version : {"3", "2"}) {
        const std::string prefix = "/iiif/" + std::string(version);
        Response base = get(nginx.url(prefix + "/a/b/c"));
        CHECK(base.status == 303);
        CHECK(base.header("Location") == nginx.url(prefix + "/a%2Fb%2Fc/info.json"));
        for (const char* path : {"/a/b/c/full/max/0/default", "/a/b/c/info.json/extra",
                                 "/a/b/c/inf0.json", "/a/b/nothing"}) {
            INFO(prefix << path);
            Response response = get(nginx.url(prefix + path));
            CHECK(response.status == 404);
            CHECK(response.header("Location").empty());
            CHECK(response.body == "image not found\n");
        }
    }
}

TEST_CASE("Behind a reverse proxy, X-Forwarded-Proto, -Host and -Prefix make the service's URI",
          "[identifiers]") {
    auto nginx = fixtures::serve_master();
    const std::vector<std::string> proxy = {"X-Forwarded-Proto: https",
                                            "X-Forwarded-Host: images.example.org",
                                            "X-Forwarded-Prefix: /pub"};

    Response v3 = get(nginx->url("/iiif/3/master/info.json"), proxy);
    CHECK(v3.status == 200);
    CHECK(service_id(v3) == "https://images.example.org/pub/iiif/3/master");

    Response v2 = get(nginx->url("/iiif/2/master/info.json"), proxy);
    CHECK(v2.status == 200);
    CHECK(service_id(v2, "@id") == "https://images.example.org/pub/iiif/2/master");

    Response base = get(nginx->url("/iiif/3/master"), proxy);
    CHECK(base.status == 303);
    CHECK(base.header("Location") == "https://images.example.org/pub/iiif/3/master/info.json");

    Response image = get(nginx->url("/iiif/3/master/full/200,/0/default.jpg"), proxy);
    CHECK(image.status == 200);
    CHECK_THAT(image.header("Link"),
               Contains("<https://images.example.org/pub/iiif/3/master/full/200,150/0/"
                        "default.jpg>;rel=\"canonical\""));
}

TEST_CASE("iiif_base_url makes the service's URI whatever the request's headers", "[identifiers]") {
    NginxOptions options;
    options.location_extra = "iiif_base_url https://iiif.example.org/iiif/3;";
    auto nginx = fixtures::serve_master(options);

    Response plain = get(nginx->url("/iiif/3/master/info.json"));
    CHECK(plain.status == 200);
    CHECK(service_id(plain) == "https://iiif.example.org/iiif/3/master");

    Response proxied = get(nginx->url("/iiif/3/master/info.json"),
                           {"X-Forwarded-Proto: http", "X-Forwarded-Host: elsewhere.example.org",
                            "X-Forwarded-Prefix: /other", "Host: spoofed.example.org"});
    CHECK(proxied.status == 200);
    CHECK(service_id(proxied) == "https://iiif.example.org/iiif/3/master");

    Response base = get(nginx->url("/iiif/3/master"));
    CHECK(base.status == 303);
    CHECK(base.header("Location") == "https://iiif.example.org/iiif/3/master/info.json");
}
