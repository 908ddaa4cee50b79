// Takedown end to end: a withdrawal through iiifd's API reaches, at once, everything the real
// nginx serves from the catalog (page images, info.json, manifests, the ARK) and the OAI-PMH
// record, and within a second the page's entries are gone from nginx's tile cache (iiifd
// follows the events stream); it is logged with who, when and why; reinstatement undoes it.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "api_harness.hpp"
#include "catalog.hpp"
#include "chain_support.hpp"
#include "http_client.hpp"
#include "image_request.hpp"
#include "job_queue.hpp"
#include "nginx_harness.hpp"
#include "test_images.hpp"
#include "tile_cache.hpp"

using namespace test_images;

namespace {

struct Served {
    long image, info, manifest_v3, manifest_v2, ark;
    bool oai_deleted;
    bool operator==(const Served&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Served& s) {
    return out << "{image " << s.image << ", info " << s.info << ", manifest 3 " << s.manifest_v3
               << ", manifest 2 " << s.manifest_v2 << ", ARK " << s.ark << ", OAI deleted "
               << s.oai_deleted << "}";
}

}  // namespace

TEST_CASE(
    "chain: a withdrawal reaches image, manifest, ARK and OAI at once, is logged, and "
    "reinstatement undoes it",
    "[chain][takedown]") {
    // nginx's tile cache, which iiifd purges ([cache] tile_cache); workers run as nobody.
    const std::filesystem::path tiles = scratch_dir() / "takedown-tiles";
    std::filesystem::create_directories(tiles);
    std::filesystem::permissions(tiles, std::filesystem::perms::all);
    std::filesystem::permissions(scratch_dir(),
                                 std::filesystem::perms::others_exec |
                                     std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    daemon_harness::RedisServer redis;
    daemon_harness::DaemonOptions options;
    options.hot_folder = false;
    options.extra_config = "[cache]\ntile_cache = \"" + tiles.string() + "\"\n";
    daemon_harness::Daemon iiifd(redis, options);
    iiifd.start();

    const std::string page = save(quadrants(800, 600), "takedown.jpg", "[Q=95]");
    daemon_harness::HttpResponse deposit = iiifd.post_object(
        {page},
        R"({"title": "Lettre", "license": "https://creativecommons.org/licenses/by/4.0/"})");
    REQUIRE(deposit.status == 202);
    const std::string ark = daemon_harness::json_text(deposit.body, "ark");
    REQUIRE(daemon_harness::json_text(
                iiifd.wait_for_job(daemon_harness::json_text(deposit.body, "job")), "state") ==
            "done");

    chain::open_to_workers(iiifd.dir(), iiifd.catalog_path());
    integration::NginxOptions nginx_options;
    nginx_options.cache = false;
    nginx_options.location_extra =
        "iiif_catalog " + iiifd.catalog_path() + "; iiif_cache_path " + tiles.string() + ";";
    nginx_options.server_extra =
        "location ~* ^/ark: { iiif_ark_resolver; iiif_catalog " + iiifd.catalog_path() + "; }";
    integration::Nginx nginx(nginx_options);
    nginx.start();

    const std::string image = "/iiif/3/" + iiif::encode_identifier(ark + "/f1");
    const std::string oai_record =
        "/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:127.0.0.1:" + ark;
    auto served = [&] {
        return Served{integration::get(nginx.url(image + "/full/max/0/default.jpg")).status,
                      integration::get(nginx.url(image + "/info.json")).status,
                      integration::get(nginx.url("/iiif/3/" + ark + "/manifest")).status,
                      integration::get(nginx.url("/iiif/2/" + ark + "/manifest")).status,
                      integration::get(nginx.url("/" + ark)).status,
                      daemon_harness::http("GET", iiifd.url(oai_record), {})
                              .body.find("status=\"deleted\"") != std::string::npos};
    };
    const Served published{200, 200, 200, 200, 302, false};
    const Served withdrawn{410, 410, 410, 410, 410, true};
    REQUIRE(served() == published);  // the image is now in the tile cache too
    const std::string group = iiif::image_cache_group(*iiif::catalog_image_key(ark + "/f1"));
    std::string cache_error;
    auto cache = iiif::TileCache::open_existing(tiles.string(), &cache_error);
    INFO(cache_error);
    REQUIRE(cache);
    // The image and its info.json (the catalog gives the master's size: nothing probed).
    CHECK(cache->count_group(group) == 2);

    // Both fields are required; an unknown object is 404.
    CHECK(daemon_harness::http("POST", iiifd.url("/api/v1/objects/" + ark + "/withdraw"),
                               iiifd.auth(), R"({"reason": "rights owner's request"})")
              .status == 400);
    CHECK(daemon_harness::http("POST",
                               iiifd.url("/api/v1/objects/ark:/99999/fk4-00000000-0/withdraw"),
                               iiifd.auth(), R"({"reason": "x", "requested_by": "y"})")
              .status == 404);
    CHECK(daemon_harness::http("POST", iiifd.url("/api/v1/objects/" + ark + "/withdraw"), {},
                               R"({"reason": "x", "requested_by": "y"})")
              .status == 401);
    CHECK(served() == published);

    const auto asked = std::chrono::steady_clock::now();
    daemon_harness::HttpResponse withdrawal = daemon_harness::http(
        "POST", iiifd.url("/api/v1/objects/" + ark + "/withdraw"), iiifd.auth(),
        R"({"reason": "rights owner's request", "requested_by": "Maison d'édition X"})");
    REQUIRE(withdrawal.status == 200);
    CHECK(daemon_harness::json_text(withdrawal.body, "state") == "withdrawn");
    // Everything answers as withdrawn once the API has answered, and the cache is emptied of the
    // page: well within a second.
    CHECK(served() == withdrawn);
    while (cache->count_group(group) > 0 &&
           std::chrono::steady_clock::now() - asked < std::chrono::seconds(2))
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    CHECK(cache->count_group(group) == 0);
    CHECK(std::chrono::steady_clock::now() - asked < std::chrono::seconds(1));
    // The tombstone says why.
    CHECK(integration::get(nginx.url("/" + ark + "?info")).body.find("rights owner's request") !=
          std::string::npos);
    CHECK(daemon_harness::http("POST", iiifd.url("/api/v1/objects/" + ark + "/withdraw"),
                               iiifd.auth(), R"({"reason": "again", "requested_by": "y"})")
              .status == 409);

    // Durable: object.json says so (iiifd rebuild keeps it), and the log says who and why.
    std::string object_file;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(iiifd.storage_root()))
        if (entry.path().filename() == "object.json") object_file = entry.path().string();
    REQUIRE(!object_file.empty());
    // The masters wait in quarantine, out of the object's directory.
    const std::string object_dir = std::filesystem::path(object_file).parent_path().string();
    const std::string masters = object_dir + "/masters";
    const std::string quarantine =
        iiifd.storage_root() + "/quarantine/" +
        std::filesystem::path(object_dir).lexically_relative(iiifd.storage_root()).string() +
        "/masters";
    CHECK_FALSE(std::filesystem::exists(masters));
    CHECK(std::filesystem::is_directory(quarantine));
    CHECK(daemon_harness::read_file(object_file).find("\"withdrawn\"") != std::string::npos);
    const std::string log = daemon_harness::read_file(iiifd.storage_root() + "/withdrawals.log");
    CHECK(log.find("\"action\":\"withdrawn\"") != std::string::npos);
    CHECK(log.find("\"requested_by\":\"Maison d'édition X\"") != std::string::npos);
    CHECK(log.find("\"reason\":\"rights owner's request\"") != std::string::npos);
    CHECK(log.find(daemon_harness::Daemon::key()) == std::string::npos);  // never the key
    auto last_event = [&] {
        iiifd::Redis client("127.0.0.1", redis.port());
        iiifd::RedisReply reply =
            client.command({"XREVRANGE", "iiif:events", "+", "-", "COUNT", "1"});
        std::map<std::string, std::string> fields;
        REQUIRE(reply.elements.size() == 1);
        REQUIRE(reply.elements[0].elements.size() == 2);
        const auto& values = reply.elements[0].elements[1].elements;
        for (size_t i = 0; i + 1 < values.size(); i += 2)
            fields[values[i].text] = values[i + 1].text;
        return fields;
    };
    CHECK(last_event()["type"] == "object.withdrawn");
    CHECK(last_event()["ark"] == ark);

    // Reinstatement restores every answer; the log has both lines.
    daemon_harness::HttpResponse reinstated = daemon_harness::http(
        "POST", iiifd.url("/api/v1/objects/" + ark + "/reinstate"), iiifd.auth(),
        R"({"reason": "licence agreed", "requested_by": "Maison d'édition X"})");
    REQUIRE(reinstated.status == 200);
    CHECK(daemon_harness::json_text(reinstated.body, "state") == "active");
    CHECK(served() == published);
    // Rendered again from the master brought back, since its cache entry was deleted.
    // Before: stored, then a hit; withdrawn: refused before the cache; back: rendered anew.
    CHECK(nginx.cache_statuses(image + "/full/max/0/default.jpg", 4) ==
          std::vector<std::string>{"MISS", "HIT", "BYPASS", "MISS"});
    CHECK(daemon_harness::http("POST", iiifd.url("/api/v1/objects/" + ark + "/reinstate"),
                               iiifd.auth(), R"({"reason": "again", "requested_by": "y"})")
              .status == 409);
    const std::string both = daemon_harness::read_file(iiifd.storage_root() + "/withdrawals.log");
    CHECK(std::count(both.begin(), both.end(), '\n') == 2);
    CHECK(both.find("\"action\":\"reinstated\"") != std::string::npos);
    CHECK(last_event()["type"] == "object.reinstated");
    // The master is back in place: a size never asked before (no cache entry) is rendered.
    CHECK(integration::get(nginx.url(image + "/full/123,/0/default.jpg")).status == 200);
    CHECK(std::filesystem::is_directory(masters));
    CHECK_FALSE(std::filesystem::exists(quarantine));

    // A purge is for withdrawn objects only; it deletes the masters and originals for good.
    const std::string purge_body = R"({"reason": "court order", "requested_by": "Legal"})";
    CHECK(daemon_harness::http("POST", iiifd.url("/api/v1/objects/" + ark + "/purge"), iiifd.auth(),
                               purge_body)
              .status == 409);
    REQUIRE(daemon_harness::http("POST", iiifd.url("/api/v1/objects/" + ark + "/withdraw"),
                                 iiifd.auth(), purge_body)
                .status == 200);
    REQUIRE(daemon_harness::http("POST", iiifd.url("/api/v1/objects/" + ark + "/purge"),
                                 iiifd.auth(), purge_body)
                .status == 200);
    CHECK_FALSE(std::filesystem::exists(quarantine));
    CHECK_FALSE(std::filesystem::exists(masters));
    CHECK_FALSE(std::filesystem::exists(object_dir + "/originals"));
    CHECK(std::filesystem::exists(object_file));  // the tombstone stays
    CHECK(served() == withdrawn);
    CHECK(last_event()["type"] == "object.purged");
    daemon_harness::HttpResponse after_purge = daemon_harness::http(
        "POST", iiifd.url("/api/v1/objects/" + ark + "/reinstate"), iiifd.auth(), purge_body);
    CHECK(after_purge.status == 409);
    CHECK(after_purge.body.find("purged") != std::string::npos);
    const std::string all = daemon_harness::read_file(iiifd.storage_root() + "/withdrawals.log");
    CHECK(std::count(all.begin(), all.end(), '\n') == 4);
    CHECK(all.find("\"action\":\"purged\"") != std::string::npos);
}
