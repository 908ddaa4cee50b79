// Manifests and collections, end to end: a deposit through the real iiifd makes them in the
// catalog, and the real nginx with the module serves them, with no request to iiifd.
#include <jansson.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "api_harness.hpp"
#include "chain_support.hpp"
#include "http_client.hpp"
#include "image_service.hpp"
#include "nginx_harness.hpp"
#include "presentation_schema.hpp"
#include "test_images.hpp"

using namespace test_images;

namespace {

struct JsonDecref {
    void operator()(json_t* value) const { json_decref(value); }
};
using Json = std::unique_ptr<json_t, JsonDecref>;

Json parse(const std::string& text) {
    Json json(json_loadb(text.data(), text.size(), 0, nullptr));
    REQUIRE(json);
    return json;
}

long long integer_at(const json_t* array, size_t i, const char* key) {
    return json_integer_value(json_object_get(json_array_get(array, i), key));
}

}  // namespace

TEST_CASE("chain: a deposit's manifests and collection are served by nginx from the catalog",
          "[chain]") {
    daemon_harness::RedisServer redis;
    daemon_harness::Daemon iiifd(redis);
    iiifd.start();

    std::string first = save(quadrants(1200, 900), "manifest-1.jpg", "[Q=95]");
    std::string second = save(quadrants(600, 800), "manifest-2.png");
    daemon_harness::HttpResponse deposit = iiifd.post_object(
        {first, second},
        R"({"title": [{"value": "Atlas", "lang": "fr"}], "sets": ["fonds:cartes"],)"
        R"( "license": "https://creativecommons.org/licenses/by/4.0/"})");
    REQUIRE(deposit.status == 202);
    const std::string ark = daemon_harness::json_text(deposit.body, "ark");
    const std::string job = iiifd.wait_for_job(daemon_harness::json_text(deposit.body, "job"));
    REQUIRE(daemon_harness::json_text(job, "state") == "done");

    chain::open_to_workers(iiifd.dir(), iiifd.catalog_path());
    integration::NginxOptions options;
    options.cache = false;
    options.location_extra = "iiif_catalog " + iiifd.catalog_path() + ";";
    // Manifests then go out from catalog.mdb itself, as a static file would.
    options.server_extra = "sendfile on;";
    integration::Nginx nginx(options);
    nginx.start();

    // Presentation 3.0: one canvas per page, at the page's size, and the page's image service.
    integration::Response v3 = integration::get(nginx.url("/iiif/3/" + ark + "/manifest"));
    REQUIRE(v3.status == 200);
    CHECK(v3.header("Content-Type") ==
          "application/ld+json;profile=\"http://iiif.io/api/presentation/3/context.json\"");
    CHECK(v3.header("Access-Control-Allow-Origin") == "*");
    Json manifest = parse(v3.body);
    const json_t* canvases = json_object_get(manifest.get(), "items");
    REQUIRE(json_array_size(canvases) == 2);
    CHECK(integer_at(canvases, 0, "width") == 1200);
    CHECK(integer_at(canvases, 0, "height") == 900);
    CHECK(integer_at(canvases, 1, "width") == 600);
    CHECK(integer_at(canvases, 1, "height") == 800);
    CHECK(v3.body.find("\"" + std::string("http://127.0.0.1:8080/iiif/3/") +
                       iiif::encode_identifier(ark + "/f2") + "\"") != std::string::npos);

    // A range of it: the bytes sent from the catalog file are the manifest's.
    integration::Response range =
        integration::get(nginx.url("/iiif/3/" + ark + "/manifest"), {"Range: bytes=100-1099"});
    CHECK(range.status == 206);
    CHECK(range.body == v3.body.substr(100, 1000));

    // The same through the encoded ARK, and a 304 for the validator it gave.
    const std::string etag = v3.header("ETag");
    REQUIRE(etag.size() == 34);
    integration::Response encoded =
        integration::get(nginx.url("/iiif/3/" + iiif::encode_identifier(ark) + "/manifest"));
    CHECK(encoded.status == 200);
    CHECK(encoded.body == v3.body);
    CHECK(integration::get(nginx.url("/iiif/3/" + ark + "/manifest"), {"If-None-Match: " + etag})
              .status == 304);

    // Presentation 2.1, plain JSON unless asked for JSON-LD.
    integration::Response v2 = integration::get(nginx.url("/iiif/2/" + ark + "/manifest"));
    REQUIRE(v2.status == 200);
    CHECK(v2.header("Content-Type") == "application/json");
    Json manifest2 = parse(v2.body);
    const json_t* sequences = json_object_get(manifest2.get(), "sequences");
    CHECK(json_array_size(json_object_get(json_array_get(sequences, 0), "canvases")) == 2);

    // The set's collection follows within the refresher's period.
    integration::Response collection;
    for (int attempt = 0; attempt < 50; ++attempt) {
        collection = integration::get(nginx.url("/iiif/3/collection/fonds:cartes"));
        if (collection.status == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(collection.status == 200);
    CHECK(collection.body.find("\"http://127.0.0.1:8080/iiif/3/" + ark + "/manifest\"") !=
          std::string::npos);
    // What iiifd made and nginx served is valid Presentation 3.0.
    CHECK(presentation_schema::validate(
              {presentation_schema::write_document("chain-manifest.json", v3.body),
               presentation_schema::write_document("chain-collection.json", collection.body)}) ==
          0);
    integration::Response parent = integration::get(nginx.url("/iiif/3/collection/fonds"));
    CHECK(parent.status == 200);
    CHECK(parent.body.find("\"http://127.0.0.1:8080/iiif/3/collection/fonds:cartes\"") !=
          std::string::npos);

    // A metadata change reaches the manifest at once, with a new validator.
    daemon_harness::HttpResponse patched =
        iiifd.patch("/api/v1/objects/" + ark, R"({"title": "Atlas nouveau"})");
    REQUIRE(patched.status == 200);
    integration::Response changed = integration::get(nginx.url("/iiif/3/" + ark + "/manifest"));
    CHECK(changed.status == 200);
    CHECK(changed.header("ETag") != etag);
    CHECK(changed.body.find("Atlas nouveau") != std::string::npos);

    CHECK(integration::get(nginx.url("/iiif/3/ark:/99999/zzz-00000000-0/manifest")).status == 404);
}
