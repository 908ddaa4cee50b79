// Catalog mode (iiif_catalog): image ids that are ARKs of pages ("ark:/NAAN/name/f{n}") are
// served from the masters the catalog names, raw or percent-encoded, in any ARK form; a
// withdrawn page is 410, an unknown one 404, and a page ingested again (a new version) is never
// answered from the old version's cache entries. Other identifiers stay in file mode.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "catalog.hpp"
#include "catalog_fixture.hpp"
#include "fixtures.hpp"
#include "http_client.hpp"
#include "image_source.hpp"
#include "test_images.hpp"

using fixtures::Catalog;
using fixtures::json_number;
using fixtures::json_text;
using integration::get;
using integration::Nginx;
using integration::NginxOptions;
using integration::Response;
using test_images::near;
using test_images::pixel_at;

namespace {

constexpr const char* kArk = "ark:/67375/39D-6W3GQPXD-V";
constexpr const char* kEncoded = "ark:%2F67375%2F39D-6W3GQPXD-V";
constexpr int kSolidWidth = 1200;
constexpr int kSolidHeight = 900;
constexpr test_images::Rgb kOrange{255, 128, 0};
constexpr test_images::Rgb kPurple{128, 0, 255};

NginxOptions catalog_options() {
    NginxOptions options;
    options.location_extra = "iiif_catalog {dir}/catalog.mdb;";
    return options;
}

// A pyramidal TIFF of one colour, made once per colour.
const std::string& solid_master(test_images::Rgb colour) {
    static std::map<int, std::string> made;
    int code = (colour.r << 16) | (colour.g << 8) | colour.b;
    auto found = made.find(code);
    if (found != made.end()) return found->second;
    std::string path =
        (test_images::scratch_dir() / ("solid-" + std::to_string(code) + ".tif")).string();
    fixtures::write_pyramid(test_images::solid(kSolidWidth, kSolidHeight, colour), path);
    return made.emplace(code, path).first->second;
}

// The info.json of `path`, with its status checked.
fixtures::Json info_of(const Nginx& nginx, const std::string& path) {
    Response response = get(nginx.url(path));
    INFO(path << ": " << response.status << " " << response.body);
    REQUIRE(response.status == 200);
    fixtures::Json info = fixtures::parse_json(response.body);
    REQUIRE(info);
    return info;
}

}  // namespace

TEST_CASE("catalog mode: a page's ARK is an image id, raw or encoded, in any ARK form",
          "[catalog]") {
    Nginx nginx(catalog_options());
    Catalog catalog(nginx);
    catalog.publish_object(kArk, solid_master(kOrange));
    nginx.start();

    fixtures::Json raw = info_of(nginx, "/iiif/3/" + std::string(kArk) + "/f1/info.json");
    CHECK(json_number(raw.get(), "width") == fixtures::kMasterWidth);
    CHECK(json_number(raw.get(), "height") == fixtures::kMasterHeight);
    CHECK(json_text(raw.get(), "id") == nginx.url("/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1"));

    fixtures::Json encoded = info_of(nginx, "/iiif/3/" + std::string(kEncoded) + "%2Ff1/info.json");
    CHECK(json_number(encoded.get(), "width") == fixtures::kMasterWidth);
    CHECK(json_text(encoded.get(), "id") == json_text(raw.get(), "id"));

    // The id is the identifier as requested: another form of the same ARK keeps its form.
    fixtures::Json other_form = info_of(nginx, "/iiif/3/ark:67375%2F39D6W3GQPXDV%2Ff2/info.json");
    CHECK(json_number(other_form.get(), "width") == kSolidWidth);
    CHECK(json_number(other_form.get(), "height") == kSolidHeight);
    CHECK(json_text(other_form.get(), "id") == nginx.url("/iiif/3/ark:67375%2F39D6W3GQPXDV%2Ff2"));

    fixtures::Json v2 = info_of(nginx, "/iiif/2/" + std::string(kArk) + "/f2/info.json");
    CHECK(json_text(v2.get(), "@id") == nginx.url("/iiif/2/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff2"));

    Response base = get(nginx.url("/iiif/3/" + std::string(kArk) + "/f1"));
    CHECK(base.status == 303);
    CHECK(base.header("Location") ==
          nginx.url("/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1/info.json"));
    CHECK_FALSE(nginx.worker_crashed());
}

TEST_CASE("catalog mode: tiles are rendered from the catalog's masters", "[catalog]") {
    Nginx nginx(catalog_options());
    Catalog catalog(nginx);
    catalog.publish_object(kArk, solid_master(kOrange));
    nginx.start();

    // The top-left tile of f1 is red, the bottom-right one white; all of f2 is orange.
    const std::string tile =
        "/iiif/3/" + std::string(kEncoded) + "%2Ff1/0,0,256,256/256,/0/default.png";
    Response red = get(nginx.url(tile));
    REQUIRE(red.status == 200);
    CHECK(red.header("Content-Type") == "image/png");
    CHECK(near(pixel_at(red.body, 128, 128), test_images::kRed, 2));

    Response white =
        get(nginx.url("/iiif/3/" + std::string(kArk) + "/f1/1744,1244,256,256/256,/0/default.png"));
    REQUIRE(white.status == 200);
    CHECK(near(pixel_at(white.body, 128, 128), test_images::kWhite, 2));

    Response orange =
        get(nginx.url("/iiif/2/" + std::string(kArk) + "/f2/full/300,/0/default.png"));
    REQUIRE(orange.status == 200);
    CHECK(near(pixel_at(orange.body, 150, 100), kOrange, 2));

    // Rendered once, then from the tile cache.
    CHECK(get(nginx.url(tile)).body == red.body);
    CHECK(nginx.cache_statuses(tile, 2) == std::vector<std::string>{"MISS", "HIT"});
}

TEST_CASE("catalog mode: a page or an ARK the catalog does not hold is 404", "[catalog]") {
    Nginx nginx(catalog_options());
    Catalog catalog(nginx);
    catalog.publish_object(kArk, solid_master(kOrange));
    nginx.start();

    for (const std::string& id : {std::string(kArk) + "/f3", std::string(kEncoded) + "%2Ff3",
                                  std::string("ark:/67375/39D-S2GXG1TW-8/f1"),
                                  std::string("ark:%2F99999%2Ffk4ck01k7%2Ff1")}) {
        INFO(id);
        Response info = get(nginx.url("/iiif/3/" + id + "/info.json"));
        CHECK(info.status == 404);
        CHECK(info.body == "image not found\n");
        CHECK(get(nginx.url("/iiif/3/" + id + "/full/max/0/default.jpg")).status == 404);
        // Its base URI too, never a redirect to an info.json that is not there.
        Response base = get(nginx.url("/iiif/3/" + id));
        CHECK(base.status == 404);
        CHECK(base.header("Location").empty());
    }
    // Paths under a page that are no image request name no image either.
    for (const std::string& path :
         {std::string(kArk) + "/f1/full/max/0/default", std::string(kArk) + "/f1/info.json/extra",
          std::string(kEncoded) + "%2Ff1/inf0.json"}) {
        INFO(path);
        CHECK(get(nginx.url("/iiif/3/" + path)).status == 404);
    }
    CHECK(get(nginx.url("/iiif/3/" + std::string(kArk) + "/f1")).status == 303);
    CHECK_FALSE(nginx.worker_crashed());
}

TEST_CASE("catalog mode: other identifiers are still files of iiif_source_dir", "[catalog]") {
    Nginx nginx(catalog_options());
    Catalog catalog(nginx);
    catalog.publish_object(kArk, solid_master(kOrange));
    nginx.add_image("master.tif", fixtures::master_tiff());
    nginx.start();

    fixtures::Json info = info_of(nginx, "/iiif/3/master/info.json");
    CHECK(json_number(info.get(), "width") == fixtures::kMasterWidth);
    CHECK(get(nginx.url("/iiif/3/nothing/info.json")).status == 404);
    // An object's ARK (no page) is no image id of the catalog.
    CHECK(get(nginx.url("/iiif/3/" + std::string(kEncoded) + "/info.json")).status == 404);
}

TEST_CASE("catalog mode: with iiif_withdrawn_status 404 a withdrawn page and manifest are 404",
          "[catalog]") {
    NginxOptions options = catalog_options();
    options.location_extra += " iiif_withdrawn_status 404;";
    Nginx nginx(options);
    Catalog catalog(nginx);
    catalog.publish_object(kArk, solid_master(kOrange));
    nginx.start();

    const std::string info = "/iiif/3/" + std::string(kArk) + "/f1/info.json";
    const std::string manifest = "/iiif/3/" + std::string(kArk) + "/manifest";
    REQUIRE(get(nginx.url(info)).status == 200);
    REQUIRE(get(nginx.url(manifest)).status == 200);
    catalog.writer().withdraw(kArk, "at the owner's request", 1800000000);
    Response image = get(nginx.url(info));
    CHECK(image.status == 404);
    CHECK(image.body == "image not found\n");
    Response document = get(nginx.url(manifest));
    CHECK(document.status == 404);
    CHECK(document.body == "no such manifest\n");
    CHECK(get(nginx.url("/iiif/2/" + std::string(kArk) + "/manifest")).status == 404);
}

TEST_CASE("catalog mode: a withdrawn page is 410, even where it was cached", "[catalog]") {
    Nginx nginx(catalog_options());
    Catalog catalog(nginx);
    catalog.publish_object(kArk, solid_master(kOrange));
    nginx.start();

    const std::string info = "/iiif/3/" + std::string(kArk) + "/f1/info.json";
    const std::string tile = "/iiif/3/" + std::string(kArk) + "/f1/0,0,256,256/256,/0/default.jpg";
    REQUIRE(get(nginx.url(info)).status == 200);
    REQUIRE(get(nginx.url(tile)).status == 200);
    REQUIRE(get(nginx.url(tile)).status == 200);
    REQUIRE(nginx.cache_statuses(tile, 2) == std::vector<std::string>{"MISS", "HIT"});

    catalog.writer().withdraw(kArk, "at the owner's request", 1800000000);
    for (const std::string& path :
         {info, tile, "/iiif/3/" + std::string(kEncoded) + "%2Ff2/info.json"}) {
        INFO(path);
        Response response = get(nginx.url(path));
        CHECK(response.status == 410);
        CHECK(response.body == "image withdrawn\n");
        CHECK(response.header("Access-Control-Allow-Origin") == "*");
    }
}

TEST_CASE("catalog mode: a page ingested again is served in its new version at once", "[catalog]") {
    Nginx nginx(catalog_options());
    Catalog catalog(nginx);
    catalog.publish_object(kArk, solid_master(kOrange));
    nginx.start();

    const std::string image = "/iiif/3/" + std::string(kArk) + "/f2/full/300,/0/default.png";
    Response before = get(nginx.url(image));
    REQUIRE(before.status == 200);
    CHECK(near(pixel_at(before.body, 150, 100), kOrange, 2));
    REQUIRE(get(nginx.url(image)).status == 200);  // now in the tile cache
    const std::string etag = before.header("ETag");

    // iiifd converts the new original to the same master path (a rename over the old one) and
    // records version 2 of the page.
    catalog.writer().put(Catalog::object(kArk),
                         {catalog.page(kArk, 2, solid_master(kPurple), "39D-6W3GQPXD-V-f2.tif", 2)});

    Response after = get(nginx.url(image));
    REQUIRE(after.status == 200);
    CHECK(near(pixel_at(after.body, 150, 100), kPurple, 2));
    CHECK(after.header("ETag") != etag);
    CHECK(nginx.cache_statuses(image, 3) == std::vector<std::string>{"MISS", "HIT", "MISS"});
}

TEST_CASE("catalog mode: a catalog made after nginx started is opened by later requests",
          "[catalog]") {
    Nginx nginx(catalog_options());
    nginx.start();
    const std::string info = "/iiif/3/" + std::string(kArk) + "/f1/info.json";
    CHECK(get(nginx.url(info)).status == 404);

    Catalog catalog(nginx);
    catalog.publish_object(kArk, solid_master(kOrange));
    // A worker tries again at most every 3 seconds.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    long status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        status = get(nginx.url(info)).status;
        if (status == 200) break;
        CHECK(status == 404);
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    CHECK(status == 200);
    CHECK_THAT(nginx.error_log(),
               Catch::Matchers::Contains("catalog.mdb: No such file or directory; will try again"));
    CHECK_FALSE(nginx.worker_crashed());
}

TEST_CASE("catalog mode: a catalog the workers may not open is an error naming the file and "
          "the uid, and opened once its permissions are right",
          "[catalog]") {
    Nginx nginx(catalog_options());
    Catalog catalog(nginx);
    catalog.publish_object(kArk, solid_master(kOrange));
    // As a umask of 022 leaves it when iiifd makes it as root: the workers may not lock it.
    REQUIRE(chmod(nginx.path("catalog.mdb-lock").c_str(), 0644) == 0);
    nginx.start();
    const std::string info = "/iiif/3/" + std::string(kArk) + "/f1/info.json";
    CHECK(get(nginx.url(info)).status == 404);
    const std::string log = nginx.error_log();
    CHECK_THAT(log, Catch::Matchers::Contains("[error]"));
    CHECK_THAT(log, Catch::Matchers::Contains(
                        "(the file is there: this worker, uid 65534, must be able to read " +
                        nginx.path("catalog.mdb") + " and to read and write " +
                        nginx.path("catalog.mdb") + "-lock); will try again"));
    // Put right, it is opened by a later request (a worker tries again every 3 s at most).
    REQUIRE(chmod(nginx.path("catalog.mdb-lock").c_str(), 0666) == 0);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    long status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        status = get(nginx.url(info)).status;
        if (status == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    CHECK(status == 200);
}

TEST_CASE("catalog mode: iiif_catalog alone is enough, and one of the two is required",
          "[catalog]") {
    NginxOptions options;
    options.iiif_locations = false;
    options.server_extra = R"(location /iiif/3/ {
            iiif 3;
            iiif_catalog {dir}/catalog.mdb;
            iiif_thread_pool iiif;
        })";
    Nginx nginx(options);
    Catalog catalog(nginx);
    catalog.publish_object(kArk, solid_master(kOrange));
    nginx.add_image("master.tif", fixtures::master_tiff());
    nginx.start();
    info_of(nginx, "/iiif/3/" + std::string(kArk) + "/f1/info.json");
    // No file mode here: the file is not served.
    CHECK(get(nginx.url("/iiif/3/master/info.json")).status == 404);

    NginxOptions neither;
    neither.iiif_locations = false;
    neither.server_extra = "location /iiif/3/ { iiif 3; }";
    integration::CommandResult result = Nginx(neither).test_config();
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.output,
               Catch::Matchers::Contains("\"iiif\" needs \"iiif_source_dir\" or \"iiif_catalog\""));
}
