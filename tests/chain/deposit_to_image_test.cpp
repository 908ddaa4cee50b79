// A librarian's deposit, end to end: POST to iiifd's API, the job done, and the page served
// by nginx's module under its ARK from the catalog iiifd wrote — real redis-server, iiifd and
// nginx on loopback.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "api_harness.hpp"
#include "chain_support.hpp"
#include "http_client.hpp"
#include "image_service.hpp"
#include "nginx_harness.hpp"
#include "test_images.hpp"

using namespace test_images;

TEST_CASE("chain: a deposited image is served by nginx under its page ARK", "[chain]") {
    daemon_harness::RedisServer redis;
    daemon_harness::Daemon iiifd(redis);
    iiifd.start();

    std::string image = save(quadrants(1200, 900), "chain.jpg", "[Q=95]");
    daemon_harness::HttpResponse deposit =
        iiifd.post_object({image}, R"({"title": [{"value": "Chain", "lang": "en"}]})");
    REQUIRE(deposit.status == 202);
    const std::string ark = daemon_harness::json_text(deposit.body, "ark");
    const std::string job = iiifd.wait_for_job(daemon_harness::json_text(deposit.body, "job"));
    REQUIRE(daemon_harness::json_text(job, "state") == "done");

    chain::open_to_workers(iiifd.dir(), iiifd.catalog_path());
    integration::NginxOptions options;
    options.location_extra = "iiif_catalog " + iiifd.catalog_path() + ";";
    integration::Nginx nginx(options);
    nginx.start();

    const std::string page = iiif::encode_identifier(ark + "/f1");
    integration::Response info = integration::get(nginx.url("/iiif/3/" + page + "/info.json"));
    REQUIRE(info.status == 200);
    CHECK(info.body.find("\"width\":1200") != std::string::npos);
    CHECK(info.body.find("\"height\":900") != std::string::npos);
    CHECK(info.body.find("\"id\":\"" + nginx.base() + "/iiif/3/" + page + "\"") !=
          std::string::npos);

    // Raw slashes work as well as encoded ones; the master's pixels are the deposit's.
    integration::Response thumb =
        integration::get(nginx.url("/iiif/3/" + ark + "/f1/full/300,/0/default.png"));
    REQUIRE(thumb.status == 200);
    CHECK(decode(thumb.body).width() == 300);
    CHECK(near(pixel_at(thumb.body, 20, 20), kRed, 12));
    CHECK(near(pixel_at(thumb.body, 280, 200), kWhite, 12));

    // A page the object does not have, and an ARK never minted.
    CHECK(integration::get(nginx.url("/iiif/3/" + page.substr(0, page.size() - 1) + "2/info.json"))
              .status == 404);
    CHECK(integration::get(nginx.url("/iiif/3/ark:/99999/zzz-00000000-0/f1/info.json")).status ==
          404);
}
