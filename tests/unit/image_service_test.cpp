// The HTTP behaviour of the service, without nginx: real files, a real LMDB cache.
#include "image_service.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "request_memo.hpp"
#include "test_images.hpp"
#include "tile_cache.hpp"

using namespace iiif;
using namespace test_images;

namespace {

struct Service {
    ServiceConfig config;
    std::unique_ptr<TileCache> cache;

    explicit Service(const std::string& name, bool with_cache = true) {
        auto root = scratch_dir() / ("service-" + name);
        std::filesystem::remove_all(root);
        std::filesystem::create_directories(root / "images" / "a" / "b");
        config.source_dir = (root / "images").string();
        quadrants().write_to_file((root / "images" / "pattern.tif").c_str());
        quadrants().write_to_file((root / "images" / "a" / "b" / "c.png").c_str());
        if (with_cache) {
            std::string error;
            cache = TileCache::open((root / "cache").string(), 64 << 20, &error);
            REQUIRE(cache);
        }
    }

    HttpResponse get(std::string_view path, std::string_view method = "GET",
                     std::string_view accept = "") {
        HttpRequest request;
        request.method = method;
        request.path = path;
        request.prefix = "/iiif/3";
        request.scheme = "http";
        request.host = "images.test";
        request.accept = accept;
        PreparedRequest prepared = prepare_request(config, cache.get(), request);
        if (!prepared.job) return prepared.response;
        run_job(*prepared.job);
        return finish_job(*prepared.job);
    }

    // GET `path` from `host`, through `memo` (rendered on this thread when the cache misses).
    HttpResponse get_through(RequestMemo* memo, std::string_view path,
                             std::string_view host = "images.test") {
        HttpRequest request;
        request.method = "GET";
        request.path = path;
        request.prefix = "/iiif/3";
        request.scheme = "http";
        request.host = host;
        PreparedRequest prepared = prepare_request(config, cache.get(), request, nullptr, memo);
        if (!prepared.job) return prepared.response;
        run_job(*prepared.job);
        return finish_job(*prepared.job);
    }

    bool needs_render(std::string_view path) {
        HttpRequest request;
        request.method = "GET";
        request.path = path;
        request.prefix = "/iiif/3";
        request.scheme = "http";
        request.host = "images.test";
        return prepare_request(config, cache.get(), request).job != nullptr;
    }
};

std::string header(const HttpResponse& response, const std::string& name) {
    for (const auto& [key, value] : response.headers)
        if (key == name) return value;
    return "";
}

}  // namespace

TEST_CASE("service: OPTIONS answers the CORS preflight", "[service]") {
    Service service("options");
    HttpRequest request;
    request.method = "OPTIONS";
    request.path = "pattern/info.json";
    request.access_control_request_headers = "X-Requested-With";
    HttpResponse response = prepare_request(service.config, nullptr, request).response;
    CHECK(response.status == 204);
    CHECK(header(response, "Access-Control-Allow-Origin") == "*");
    CHECK(header(response, "Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS");
    CHECK(header(response, "Access-Control-Allow-Headers") == "X-Requested-With");
}

TEST_CASE("service: methods other than GET, HEAD and OPTIONS are 405", "[service]") {
    Service service("methods");
    HttpResponse response = service.get("pattern/info.json", "DELETE");
    CHECK(response.status == 405);
    CHECK(header(response, "Allow") == "GET, HEAD, OPTIONS");
    CHECK(header(response, "Access-Control-Allow-Origin") == "*");
}

TEST_CASE("service: the base URI redirects to info.json", "[service]") {
    Service service("base");
    HttpResponse response = service.get("pattern");
    CHECK(response.status == 303);
    CHECK(header(response, "Location") == "http://images.test/iiif/3/pattern/info.json");
}

TEST_CASE("service: what is no image request is a base URI: 303 for an image, else 404",
          "[service]") {
    Service service("base-or-not");
    for (const char* path : {"pattern", "a/b/c", "a%2Fb%2Fc"}) {
        INFO(path);
        HttpResponse response = service.get(path);
        CHECK(response.status == 303);
        CHECK(header(response, "Location") == "http://images.test/iiif/3/" +
                                                  encode_identifier(percent_decode(path)) +
                                                  "/info.json");
    }
    // Parsed from the right, each of these is the base URI of an identifier with slashes that
    // names no file.
    for (const char* path :
         {"nothing", "pattern/full/max/0/default", "pattern/info.json/extra", "pattern/inf0.json",
          "a/b/c/full/max/0/default", "a/b/c/full/max/0/default.jpg/x"}) {
        INFO(path);
        HttpResponse response = service.get(path);
        CHECK(response.status == 404);
        CHECK(header(response, "Location").empty());
    }
}

TEST_CASE("service: ids follow the reverse proxy's headers, or the configured base", "[service]") {
    Service service("proxy");
    HttpRequest request;
    request.method = "GET";
    request.path = "a%2Fb%2Fc";
    request.prefix = "/iiif/3/";
    request.scheme = "http";
    request.host = "127.0.0.1:8080";
    request.forwarded_proto = "https";
    request.forwarded_host = "images.example.org, proxy.internal";
    request.forwarded_prefix = "/pub/";
    HttpResponse response = prepare_request(service.config, nullptr, request).response;
    CHECK(header(response, "Location") ==
          "https://images.example.org/pub/iiif/3/a%2Fb%2Fc/info.json");
    service.config.base_url = "https://iiif.example.org/iiif/3/";
    response = prepare_request(service.config, nullptr, request).response;
    CHECK(header(response, "Location") == "https://iiif.example.org/iiif/3/a%2Fb%2Fc/info.json");
}

TEST_CASE("service: identifiers are percent-encoded as one path segment", "[service]") {
    CHECK(encode_identifier("a/b c") == "a%2Fb%20c");
    CHECK(encode_identifier("ark:/12345/bc12/f1") == "ark:%2F12345%2Fbc12%2Ff1");
    CHECK(encode_identifier("plain-id_1.2~x") == "plain-id_1.2~x");
    CHECK(encode_identifier("é") == "%C3%A9");
}

TEST_CASE("service: an unknown identifier is 404", "[service]") {
    Service service("unknown");
    HttpResponse response = service.get("nothing/info.json");
    CHECK(response.status == 404);
    CHECK(response.content_type == "text/plain; charset=utf-8");
    CHECK(response.body == "image not found\n");
}

TEST_CASE("service: identifiers that would leave the source directory are 400", "[service]") {
    Service service("traversal");
    CHECK(service.get("..%2F..%2Fetc%2Fpasswd/info.json").status == 400);
    CHECK(service.get("a%2F..%2F..%2Fx/info.json").status == 400);
    CHECK(service.get("%2Fetc%2Fpasswd/info.json").status == 400);
    CHECK(service.get("a%5C..%5Cb/info.json").status == 400);
    CHECK(service.get("a%2F%2Fb/info.json").status == 400);
}

TEST_CASE("service: info.json media type follows Accept", "[service]") {
    Service service("accept", false);
    HttpResponse plain = service.get("pattern/info.json");
    CHECK(plain.status == 200);
    CHECK(plain.content_type == "application/json");
    HttpResponse ld = service.get("pattern/info.json", "GET", "application/ld+json");
    CHECK(ld.content_type ==
          "application/ld+json;profile=\"http://iiif.io/api/image/3/context.json\"");
    CHECK(header(ld, "Link") == "<http://iiif.io/api/image/3/level2.json>;rel=\"profile\"");
    CHECK(ld.body.find("\"id\":\"http://images.test/iiif/3/pattern\"") != std::string::npos);
    CHECK(plain.cache_status == CacheStatus::bypass);
}

TEST_CASE("service: a rendered image is a miss, then a hit with the same bytes", "[service]") {
    Service service("hit");
    HttpResponse first = service.get("pattern/full/200,/0/default.png");
    REQUIRE(first.status == 200);
    CHECK(first.cache_status == CacheStatus::miss);
    CHECK(first.content_type == "image/png");
    CHECK(header(first, "Link") ==
          "<http://iiif.io/api/image/3/level2.json>;rel=\"profile\", "
          "<http://images.test/iiif/3/pattern/full/200,150/0/default.png>;rel=\"canonical\"");
    CHECK(header(first, "Cache-Control") == "public, max-age=86400");
    CHECK(first.etag.size() == 34);
    CHECK(first.etag.front() == '"');
    CHECK(first.last_modified > 0);

    CHECK_FALSE(service.needs_render("pattern/full/200,/0/default.png"));
    HttpResponse second = service.get("pattern/full/200,/0/default.png");
    CHECK(second.cache_status == CacheStatus::hit);
    CHECK(second.body_bytes() == first.body_bytes());
    CHECK(second.etag == first.etag);
}

TEST_CASE("service: two spellings of one canonical request share a cache entry", "[service]") {
    Service service("canonical");
    HttpResponse first = service.get("pattern/full/200,/0/default.png");
    REQUIRE(first.status == 200);
    // 200,150 is what 200, means on a 400x300 image; pct:50 means it too.
    HttpResponse exact = service.get("pattern/0,0,400,300/200,150/0/default.png");
    HttpResponse percent = service.get("pattern/full/pct:50/0/default.png");
    CHECK(exact.cache_status == CacheStatus::hit);
    CHECK(percent.cache_status == CacheStatus::hit);
    CHECK(percent.body_bytes() == first.body_bytes());
}

TEST_CASE("service: with the source known, request errors are answered without a render",
          "[service]") {
    Service service("known");
    REQUIRE(service.get("pattern/info.json").status == 200);
    CHECK_FALSE(service.needs_render("pattern/500,500,10,10/max/0/default.jpg"));
    CHECK(service.get("pattern/500,500,10,10/max/0/default.jpg").status == 400);
    CHECK(service.get("pattern/full/401,/0/default.jpg").status == 400);
    CHECK(service.get("pattern/full/^401,/0/default.jpg").status == 200);
}

TEST_CASE("service: with the source known, a size beyond the limits is refused without a render",
          "[service][limits]") {
    Service service("beyond");
    REQUIRE(service.get("pattern/info.json").status == 200);
    for (const char* path :
         {"pattern/full/^65536,1/0/default.jpg", "pattern/full/^1,65536/0/default.jpg",
          "pattern/full/^10001,/0/default.png", "pattern/0,0,1,1/^7072,7072/0/default.png",
          "pattern/full/^pct:5000/0/default.jpg"}) {
        INFO(path);
        CHECK_FALSE(service.needs_render(path));
        CHECK(service.get(path).status == 400);
    }
}

TEST_CASE("service: a source whose max would decode over the guard is refused whole: 422",
          "[service][limits]") {
    // 400 x 300 in strips: every render decodes its 120000 pixels.
    Service service("undecodable");
    service.config.render.max_decode_pixels = 119999;
    for (const char* path : {"pattern/info.json", "pattern/full/max/0/default.jpg",
                             "pattern/0,0,10,10/max/0/default.jpg"}) {
        INFO(path);
        HttpResponse response = service.get(path);
        CHECK(response.status == 422);
        CHECK(response.body.find("too large to serve") != std::string::npos);
    }
    service.config.render.max_decode_pixels = 120000;
    CHECK(service.get("pattern/info.json").status == 200);
}

TEST_CASE("service: a replaced source is rendered again, never served stale", "[service]") {
    Service service("replaced");
    std::string path = service.config.source_dir + "/swap.png";
    solid(64, 64, kRed).write_to_file(path.c_str());
    HttpResponse red = service.get("swap/full/max/0/default.png");
    REQUIRE(red.status == 200);
    CHECK(near(pixel_at(red.body, 10, 10), kRed, 0));
    // A new file (new inode, size or mtime) under the same name.
    std::filesystem::remove(path);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    solid(64, 64, kBlue).write_to_file(path.c_str());
    HttpResponse blue = service.get("swap/full/max/0/default.png");
    CHECK(blue.cache_status == CacheStatus::miss);
    CHECK(near(pixel_at(blue.body, 10, 10), kBlue, 0));
    CHECK(blue.etag != red.etag);
}

TEST_CASE("service: a damaged source is a 422 with a reason, not a 500", "[service]") {
    Service service("damaged");
    std::ofstream(service.config.source_dir + "/broken.tif") << "II*\0garbage";
    HttpResponse response = service.get("broken/full/max/0/default.jpg");
    CHECK(response.status == 422);
    CHECK(response.body.find("damaged") != std::string::npos);
    CHECK(header(response, "Access-Control-Allow-Origin") == "*");
}

TEST_CASE("service: the queue-full answer is 503 with Retry-After", "[service]") {
    HttpResponse response = overloaded_response();
    CHECK(response.status == 503);
    CHECK(header(response, "Retry-After") == "2");
    CHECK(header(response, "Access-Control-Allow-Origin") == "*");
}

namespace {

// What a client sees of a response: status, type, headers, validators, cache status, body.
void check_same_answer(const HttpResponse& a, const HttpResponse& b) {
    CHECK(a.meta().status == b.meta().status);
    CHECK(a.meta().content_type == b.meta().content_type);
    CHECK(a.meta().headers == b.meta().headers);
    CHECK(a.meta().etag == b.meta().etag);
    CHECK(a.meta().last_modified == b.meta().last_modified);
    CHECK(a.meta().cache_status == b.meta().cache_status);
    CHECK(a.body_bytes() == b.body_bytes());
}

}  // namespace

TEST_CASE("service: through the memo, every request is answered as without it", "[service][memo]") {
    Service service("memo-same");
    RequestMemo memo;
    const std::vector<std::string> paths = {
        "pattern/info.json",
        "pattern/full/200,/0/default.png",
        "pattern/0,0,200,150/100,/0/default.jpg",
        "pattern/full/pct:50/90/gray.jpg",
        "pattern",
        "pattern/500,500,10,10/max/0/default.jpg",  // outside the image: 400
        "pattern/full/200,/0/default.xyz",          // 400
        "missing/full/200,/0/default.jpg",          // 404
        "a%2Fb%2Fc/full/100,/0/default.png",
    };
    for (const std::string& path : paths) service.get_through(nullptr, path);  // rendered
    for (int round = 0; round < 3; ++round) {
        for (const std::string& path : paths) {
            INFO("round " << round << ": " << path);
            HttpResponse through = service.get_through(&memo, path);
            HttpResponse plain = service.get_through(nullptr, path);
            check_same_answer(through, plain);
            if (through.meta().status == 200)
                CHECK(through.meta().cache_status == CacheStatus::hit);
        }
    }
}

TEST_CASE("service: through the memo, the id URL and Link follow the request's host",
          "[service][memo]") {
    Service service("memo-host");
    RequestMemo memo;
    const std::string path = "pattern/full/200,/0/default.png";
    for (const char* host : {"a.test", "a.test", "b.test", "a.test"}) {
        INFO(host);
        HttpResponse response = service.get_through(&memo, path, host);
        REQUIRE(response.meta().status == 200);
        CHECK(header(response.meta(), "Link") ==
              "<http://iiif.io/api/image/3/level2.json>;rel=\"profile\", <http://" +
                  std::string(host) +
                  "/iiif/3/pattern/full/200,150/0/default.png>;rel=\"canonical\"");
    }
}

TEST_CASE("service: through the memo, a replaced source is rendered again, never served stale",
          "[service][memo]") {
    Service service("memo-replaced");
    RequestMemo memo;
    std::string path = service.config.source_dir + "/swap.png";
    solid(64, 64, kRed).write_to_file(path.c_str());
    HttpResponse red = service.get_through(&memo, "swap/full/max/0/default.png");
    REQUIRE(red.meta().status == 200);
    HttpResponse red_again = service.get_through(&memo, "swap/full/max/0/default.png");
    CHECK(red_again.meta().cache_status == CacheStatus::hit);
    CHECK(near(pixel_at(std::string(red_again.body_bytes()), 10, 10), kRed, 0));
    std::filesystem::remove(path);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    solid(64, 64, kBlue).write_to_file(path.c_str());
    HttpResponse blue = service.get_through(&memo, "swap/full/max/0/default.png");
    CHECK(blue.meta().cache_status == CacheStatus::miss);
    CHECK(near(pixel_at(std::string(blue.body_bytes()), 10, 10), kBlue, 0));
    CHECK(blue.meta().etag != red.meta().etag);
    CHECK(blue.meta().last_modified >= red.meta().last_modified);
}

TEST_CASE("service: the memo keeps no more than its capacity, and no long path",
          "[service][memo]") {
    RequestMemo memo;
    for (size_t i = 0; i < RequestMemo::kCapacity + 10; ++i)
        CHECK(memo.entry("p" + std::to_string(i), [] { return IiifPath{}; }));
    CHECK(memo.size() <= RequestMemo::kCapacity);
    CHECK_FALSE(memo.entry(std::string(RequestMemo::kMaxPath + 1, 'p'), [] { return IiifPath{}; }));
}

TEST_CASE("service: through the memo, a purged entry is rendered again", "[service][memo]") {
    Service service("memo-purged");
    RequestMemo memo;
    const std::string path = "pattern/full/200,/0/default.png";
    REQUIRE(service.get_through(&memo, path).meta().cache_status == CacheStatus::miss);
    REQUIRE(service.get_through(&memo, path).meta().cache_status == CacheStatus::hit);
    CHECK(service.cache->purge_group("file|" + service.config.source_dir + "/pattern.tif") >= 2);
    HttpResponse after = service.get_through(&memo, path);
    CHECK(after.meta().status == 200);
    CHECK(after.meta().cache_status == CacheStatus::miss);
    CHECK(service.get_through(&memo, path).meta().cache_status == CacheStatus::hit);
}
