// The ARK resolver in the real nginx (`location /ark: { iiif_ark_resolver; iiif_catalog ...; }`):
// redirects of a bare ARK and its qualifiers, in every ARK form and percent-encoded, followed
// to the image service of the same nginx; ?info and ?? records; withdrawn, unknown and
// malformed ARKs; methods and CORS; the directive's configuration checks.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "catalog.hpp"
#include "fixtures.hpp"
#include "http_client.hpp"
#include "image_source.hpp"

using fixtures::json_number;
using integration::get;
using integration::Nginx;
using integration::NginxOptions;
using integration::Response;

namespace {

constexpr const char* kArk = "ark:/67375/39D-6W3GQPXD-V";
constexpr const char* kWithdrawn = "ark:/67375/39D-S2GXG1TW-8";

constexpr const char* kResolverLocation = R"(location /ark: {
            iiif_ark_resolver;
            iiif_catalog {dir}/catalog.mdb;
        })";

// The image locations in catalog mode beside the resolver, so its redirects can be followed.
NginxOptions resolver_options() {
    NginxOptions options;
    options.location_extra = "iiif_catalog {dir}/catalog.mdb;";
    options.server_extra = kResolverLocation;
    return options;
}

iiif::PublicationSettings publication(const Nginx& nginx) {
    iiif::PublicationSettings settings;
    settings.base_url = nginx.base();
    settings.institution = "Bibliothèque exemple";
    settings.naan = "67375";
    settings.shoulders = {{"39D", "Estampes", "", "", ""}};
    settings.ark_policy = "Nos ARK ne sont jamais réattribués.";
    return settings;
}

iiif::ImageRecord page_of(const Nginx& nginx, const std::string& ark) {
    nginx.add_image("masters/" + ark.substr(11) + ".tif", fixtures::master_tiff());
    iiif::ImageRecord image;
    image.id = ark + "/f1";
    image.object = ark;
    image.index = 1;
    image.master_path = nginx.path("images/masters/" + ark.substr(11) + ".tif");
    image.original_sha256 = std::string(64, '1');
    image.source = iiif::probe_source(image.master_path);
    return image;
}

iiif::ObjectRecord object_of(const std::string& ark, const std::string& title) {
    iiif::ObjectRecord object;
    object.ark = ark;
    object.metadata.dc["title"] = {{title, "fr"}};
    object.metadata.dc["creator"] = {{"Jean Colombe", ""}};
    object.images = {ark + "/f1"};
    object.created = object.updated = object.datestamp = 1700000000;
    object.state = iiif::RecordState::active;
    return object;
}

// The catalog iiifd would write, beside nginx's configuration: an active object of one page
// and a withdrawn one.
std::unique_ptr<iiif::CatalogWriter> write_catalog(const Nginx& nginx) {
    std::string error;
    auto writer = iiif::CatalogWriter::open(nginx.path("catalog.mdb"), &error);
    INFO(error);
    REQUIRE(writer);
    // The workers run as nobody: they read the file and take reader slots in its lock file.
    chmod(nginx.path("catalog.mdb").c_str(), 0644);
    chmod(nginx.path("catalog.mdb-lock").c_str(), 0666);
    writer->set_publication(publication(nginx));
    writer->put(object_of(kArk, "Deux pages"), {page_of(nginx, kArk)});
    writer->put(object_of(kWithdrawn, "Une page retirée"), {page_of(nginx, kWithdrawn)});
    writer->withdraw(kWithdrawn, "at the owner's request", 1800000000);
    return writer;
}

std::string landing(const Nginx& nginx) {
    return nginx.base() + "/object.html?manifest=http%3A%2F%2F127.0.0.1%3A" +
           std::to_string(nginx.port()) +
           "%2Fiiif%2F3%2Fark%3A%2F67375%2F39D-6W3GQPXD-V%2Fmanifest";
}

// The target of a 302, with the headers every redirect carries checked.
std::string location(const Nginx& nginx, const std::string& path) {
    Response response = get(nginx.url(path));
    INFO(path << " -> " << response.status << " " << response.body);
    CHECK(response.status == 302);
    CHECK(response.header("Access-Control-Allow-Origin") == "*");
    CHECK(response.header("Cache-Control") == "public, max-age=300");
    return response.header("Location");
}

}  // namespace

TEST_CASE("resolver: a bare ARK redirects to its landing page, in every form", "[resolver]") {
    Nginx nginx(resolver_options());
    auto catalog = write_catalog(nginx);
    nginx.start();

    for (const char* path :
         {"/ark:/67375/39D-6W3GQPXD-V", "/ark:67375/39D-6W3GQPXD-V", "/ark:/67375/39D6W3GQPXDV",
          "/ark%3A%2F67375%2F39D-6W3GQPXD-V", "/ark:/67375%2F39D%2D6W3GQPXD%2DV"}) {
        INFO(path);
        CHECK(location(nginx, path) == landing(nginx));
    }
    // The resolver has no tile cache: $iiif_cache_status stays empty.
    CHECK(nginx.cache_statuses("/ark:/67375/39D-6W3GQPXD-V", 1) == std::vector<std::string>{"-"});
    CHECK_FALSE(nginx.worker_crashed());
}

TEST_CASE("resolver: a case-insensitive regex location takes the label in any case", "[resolver]") {
    NginxOptions options;
    options.iiif_locations = false;
    options.server_extra = R"(location ~* ^/ark: {
            iiif_ark_resolver;
            iiif_catalog {dir}/catalog.mdb;
        })";
    Nginx nginx(options);
    auto catalog = write_catalog(nginx);
    nginx.start();
    for (const char* path : {"/ARK:/67375/39D-6W3GQPXD-V", "/Ark:67375/39D6W3GQPXDV",
                             "/ARK%3A%2F67375%2F39D-6W3GQPXD-V"}) {
        INFO(path);
        CHECK(location(nginx, path) == landing(nginx));
    }
}

TEST_CASE("resolver: qualifiers lead to the manifest and to the page's image service",
          "[resolver]") {
    Nginx nginx(resolver_options());
    auto catalog = write_catalog(nginx);
    nginx.start();
    const std::string page = nginx.base() + "/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1";

    CHECK(location(nginx, "/ark:/67375/39D-6W3GQPXD-V/manifest") ==
          nginx.base() + "/iiif/3/ark:/67375/39D-6W3GQPXD-V/manifest");
    CHECK(location(nginx, "/ark:67375/39D6W3GQPXDV%2Ff1/info.json") == page + "/info.json");

    // Followed through the same nginx, in catalog mode.
    const std::string info_url = location(nginx, "/ark:/67375/39D-6W3GQPXD-V/f1");
    CHECK(info_url == page + "/info.json");
    Response info = get(info_url);
    REQUIRE(info.status == 200);
    fixtures::Json parsed = fixtures::parse_json(info.body);
    REQUIRE(parsed);
    CHECK(json_number(parsed.get(), "width") == fixtures::kMasterWidth);
    CHECK(fixtures::json_text(parsed.get(), "id") == page);

    const std::string image_url =
        location(nginx, "/ark:/67375/39D-6W3GQPXD-V/f1/full/200,/0/default.jpg");
    CHECK(image_url == page + "/full/200,/0/default.jpg");
    Response image = get(image_url);
    CHECK(image.status == 200);
    CHECK(image.header("Content-Type") == "image/jpeg");

    for (const char* path : {"/ark:/67375/39D-6W3GQPXD-V/f2", "/ark:/67375/39D-6W3GQPXD-V/f01",
                             "/ark:/67375/39D-6W3GQPXD-V/thumbnail"}) {
        INFO(path);
        Response response = get(nginx.url(path));
        CHECK(response.status == 404);
        CHECK(response.body == "unknown qualifier\n");
    }
    CHECK_FALSE(nginx.worker_crashed());
}

TEST_CASE("resolver: ?info is the ERC record, ?? adds the policy, JSON when asked", "[resolver]") {
    Nginx nginx(resolver_options());
    auto catalog = write_catalog(nginx);
    nginx.start();
    const std::string record =
        "erc:\n"
        "who: Jean Colombe\n"
        "what: Deux pages\n"
        "when: (:unav)\n"
        "where: " +
        nginx.base() +
        "/ark:/67375/39D-6W3GQPXD-V\n"
        "persistence: Bibliothèque exemple never reassigns this ARK; it resolves to the object "
        "or, once withdrawn, to its tombstone\n";

    for (const char* path : {"/ark:/67375/39D-6W3GQPXD-V?info", "/ark:67375/39D6W3GQPXDV?",
                             "/ark:/67375/39D-6W3GQPXD-V/f1?info"}) {
        INFO(path);
        Response response = get(nginx.url(path));
        CHECK(response.status == 200);
        CHECK(response.header("Content-Type") == "text/plain; charset=utf-8");
        CHECK(response.header("Access-Control-Allow-Origin") == "*");
        CHECK(response.body == record);
    }
    CHECK(get(nginx.url("/ark:/67375/39D-6W3GQPXD-V??")).body ==
          record + "policy: Nos ARK ne sont jamais réattribués.\n");

    Response json = get(nginx.url("/ark:/67375/39D-6W3GQPXD-V?info"), {"Accept: application/json"});
    CHECK(json.status == 200);
    CHECK(json.header("Content-Type") == "application/json");
    fixtures::Json parsed = fixtures::parse_json(json.body);
    REQUIRE(parsed);
    CHECK(fixtures::json_text(parsed.get(), "what") == "Deux pages");

    Response naan = get(nginx.url("/ark:/67375/?info"));
    CHECK(naan.status == 200);
    CHECK_THAT(naan.body, Catch::Matchers::StartsWith("erc:\nwho: Bibliothèque exemple\n"
                                                      "what: ARK Name Assigning Authority Number "
                                                      "67375\n"));
    CHECK(location(nginx, "/ark:/67375") == nginx.base() + "/");
}

TEST_CASE("resolver: withdrawn is 410 with its tombstone, unknown and malformed are 404",
          "[resolver]") {
    Nginx nginx(resolver_options());
    auto catalog = write_catalog(nginx);
    nginx.start();

    for (const char* path : {"/ark:/67375/39D-S2GXG1TW-8", "/ark:/67375/39D-S2GXG1TW-8/f1",
                             "/ark:/67375/39D-S2GXG1TW-8?info"}) {
        INFO(path);
        Response response = get(nginx.url(path));
        CHECK(response.status == 410);
        CHECK(response.header("Access-Control-Allow-Origin") == "*");
        CHECK_THAT(response.body, Catch::Matchers::StartsWith("erc:\nwho: Jean Colombe\n"
                                                              "what: Une page retirée\n"));
        CHECK_THAT(response.body, Catch::Matchers::EndsWith("withdrawn: 2027-01-15T08:00:00Z\n"
                                                            "reason: at the owner's request\n"));
    }
    // The image service agrees.
    CHECK(get(nginx.url("/iiif/3/ark:/67375/39D-S2GXG1TW-8/f1/info.json")).status == 410);

    for (const char* path : {"/ark:/67375/39D-ZZZZZZZZ-9", "/ark:/12345/x7-y", "/ark:/67375/a_b",
                             "/ark:/67375/x%0D%0ALocation:%20http://evil/"}) {
        INFO(path);
        Response response = get(nginx.url(path));
        CHECK(response.status == 404);
        CHECK(response.header("Access-Control-Allow-Origin") == "*");
        CHECK_FALSE(response.has("Location"));
    }
    CHECK_FALSE(nginx.worker_crashed());
}

TEST_CASE("resolver: GET, HEAD and OPTIONS, other methods are 405", "[resolver]") {
    Nginx nginx(resolver_options());
    auto catalog = write_catalog(nginx);
    nginx.start();
    const std::string url = nginx.url("/ark:/67375/39D-6W3GQPXD-V");

    Response head = get(url, {}, "HEAD");
    CHECK(head.status == 302);
    CHECK(head.header("Location") == landing(nginx));

    Response preflight =
        get(url, {"Origin: https://viewer.example.net", "Access-Control-Request-Method: GET"},
            "OPTIONS");
    CHECK(preflight.status == 204);
    CHECK(preflight.header("Access-Control-Allow-Origin") == "*");
    CHECK(preflight.header("Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS");

    Response post = get(url, {}, "POST");
    CHECK(post.status == 405);
    CHECK(post.header("Allow") == "GET, HEAD, OPTIONS");
}

TEST_CASE("resolver: alone in a server, with a catalog made after nginx started", "[resolver]") {
    NginxOptions options;
    options.iiif_locations = false;
    options.server_extra = kResolverLocation;
    Nginx nginx(options);
    nginx.start();
    const std::string url = nginx.url("/ark:/67375/39D-6W3GQPXD-V");
    CHECK(get(url).status == 404);

    auto catalog = write_catalog(nginx);
    // A worker tries again at most every 3 seconds.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    long status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        status = get(url).status;
        if (status == 302) break;
        CHECK(status == 404);
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    CHECK(status == 302);
    CHECK(get(url).header("Location") == landing(nginx));
    CHECK_THAT(nginx.error_log(),
               Catch::Matchers::Contains("catalog.mdb: No such file or directory; will try again"));
    CHECK_FALSE(nginx.worker_crashed());
}

TEST_CASE("resolver: iiif_ark_resolver needs iiif_catalog and a location of its own",
          "[resolver]") {
    NginxOptions without_catalog;
    without_catalog.iiif_locations = false;
    without_catalog.server_extra = "location /ark: { iiif_ark_resolver; }";
    integration::CommandResult result = Nginx(without_catalog).test_config();
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.output,
               Catch::Matchers::Contains("\"iiif_ark_resolver\" needs \"iiif_catalog\""));

    NginxOptions with_iiif;
    with_iiif.iiif_locations = false;
    with_iiif.server_extra =
        "location /ark: { iiif_ark_resolver; iiif 3; iiif_catalog {dir}/catalog.mdb; }";
    result = Nginx(with_iiif).test_config();
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.output, Catch::Matchers::Contains(
                                  "\"iiif_ark_resolver\" and \"iiif\" cannot share a location"));

    // Inherited from the server, the catalog is enough; an inherited "iiif" does not apply.
    NginxOptions inherited;
    inherited.iiif_locations = false;
    inherited.server_extra = R"(iiif 3;
        iiif_catalog {dir}/catalog.mdb;
        location /ark: { iiif_ark_resolver; })";
    result = Nginx(inherited).test_config();
    INFO(result.output);
    CHECK(result.exit_code == 0);

    NginxOptions arguments;
    arguments.iiif_locations = false;
    arguments.server_extra = "location /ark: { iiif_ark_resolver on; iiif_catalog /x; }";
    CHECK(Nginx(arguments).test_config().exit_code != 0);
}
