// Access policies, enforced by the real module on every image request, info.json and manifest:
// a matrix of policy x requester x resource, each cell an exact status, and no refused or
// degraded answer carries full-resolution pixels, even after an authorised requester has put
// the full-resolution answer in the tile cache.
//
// Requesters are told apart the way a site behind a proxy tells them: nginx's realip module
// takes the client address from X-Forwarded-For (trusted from 127.0.0.1 here), credentials come
// as "Authorization: Bearer" (an access token or an API key) or as the session cookie, signed
// with the key file nginx reads (iiif_access_key_file).
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "access.hpp"
#include "catalog_fixture.hpp"
#include "fixtures.hpp"
#include "http_client.hpp"
#include "signing.hpp"
#include "test_images.hpp"

using fixtures::Catalog;
using fixtures::json_number;
using fixtures::json_text;
using integration::get;
using integration::Nginx;
using integration::NginxOptions;
using integration::Response;

namespace {

constexpr const char* kKey = "5f1c0e7a9b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e";
constexpr const char* kApiKey = "the-archive-staff-api-key";
constexpr const char* kNorthEditorKey = "iiif_the-north-library-editor-key";
constexpr const char* kInside = "10.20.1.2";
constexpr const char* kOutside = "198.51.100.7";

// One object per policy, each with the quadrants as page 1.
const std::map<std::string, std::string> kArks = {
    {"public", "ark:/67375/39D-6W3GQPXD-V"},   {"campus", "ark:/67375/39D-S2GXG1TW-8"},
    {"reduced", "ark:/67375/39D-K7QZ2M4B-4"},  {"readers", "ark:/67375/39D-B4N8R2DX-T"},
    {"restricted", "ark:/67375/39D-W9F3H6JC-2"}};

iiif::AccessSettings settings() {
    iiif::AccessSettings settings;
    iiif::AccessPolicy campus;
    campus.name = "campus";
    campus.kind = iiif::PolicyKind::network;
    campus.networks = {*iiif::parse_network("10.20.0.0/16")};
    iiif::AccessPolicy reduced = campus;
    reduced.name = "reduced";
    reduced.degraded_size = 400;
    iiif::AccessPolicy readers;
    readers.name = "readers";
    readers.kind = iiif::PolicyKind::token;
    readers.groups = {"readers"};
    iiif::AccessPolicy restricted;
    restricted.name = "restricted";
    restricted.kind = iiif::PolicyKind::restricted;
    settings.policies = {campus, reduced, readers, restricted};
    settings.api_key_digests = {iiif::sha256_hex(kApiKey)};
    settings.editor_key_digests = {{iiif::sha256_hex(kNorthEditorKey), "north"}};
    settings.auth_base_url = "http://127.0.0.1/auth";
    return settings;
}

std::string signed_credential(iiif::AccessCredential::Kind kind, const std::string& group,
                              std::int64_t lifetime, const std::string& key = kKey) {
    iiif::AccessCredential credential;
    credential.kind = kind;
    credential.subject = "alice";
    credential.groups = {group};
    credential.expires = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count() +
                         lifetime;
    return iiif::sign_credential(credential, key);
}

struct Requester {
    std::string name;
    std::vector<std::string> headers;
};

std::vector<Requester> requesters() {
    using Kind = iiif::AccessCredential::Kind;
    const std::string from_outside = std::string("X-Forwarded-For: ") + kOutside;
    return {
        {"anonymous", {from_outside}},
        {"inside", {std::string("X-Forwarded-For: ") + kInside}},
        {"token", {from_outside, "Authorization: Bearer " + signed_credential(Kind::token, "readers", 600)}},
        {"cookie", {from_outside, "Cookie: theme=dark; iiif_access=" + signed_credential(Kind::session, "readers", 600)}},
        {"expired", {from_outside, "Authorization: Bearer " + signed_credential(Kind::token, "readers", -1)}},
        {"forged", {from_outside, "Authorization: Bearer " + signed_credential(Kind::token, "readers", 600, "a forger's key of sixty-four characters, more or less, so there")}},
        {"other group", {from_outside, "Authorization: Bearer " + signed_credential(Kind::token, "visitors", 600)}},
        {"api key", {from_outside, std::string("Authorization: Bearer ") + kApiKey}},
    };
}

// The resources of page 1 of an object: a full-resolution tile, the full image, its
// info.json and the object's manifest.
struct Resources {
    std::string tile, full, info, manifest;
};
Resources resources_of(const std::string& ark) {
    const std::string image = "/iiif/3/" + ark + "/f1";
    return {image + "/0,0,512,512/512,/0/default.png", image + "/full/max/0/default.png",
            image + "/info.json", "/iiif/3/" + ark + "/manifest"};
}

NginxOptions access_options() {
    NginxOptions options;
    options.location_extra =
        "iiif_catalog {dir}/catalog.mdb; iiif_access_key_file {dir}/access.key;";
    options.server_extra = "set_real_ip_from 127.0.0.1; real_ip_header X-Forwarded-For;";
    return options;
}

// Serves one object per policy, published with the access settings above.
struct Site {
    Nginx nginx{access_options()};
    Catalog catalog{nginx};
    Site() {
        nginx.write_file("access.key", kKey);
        iiif::AccessRules rules;
        rules.home_institution = "main";  // the owner of these objects, which name none
        catalog.writer().set_access(settings(), rules);
        for (const auto& [policy, ark] : kArks)
            catalog.publish_object(
                ark, fixtures::master_tiff(), policy == "public" ? std::string() : policy);
        nginx.start();
    }
};

// What each requester gets for the tile, the full image, the info.json and the manifest.
using Expected = std::map<std::string, std::vector<long>>;

void check_matrix(Site& site, const std::string& policy, const Expected& expected) {
    const Resources r = resources_of(kArks.at(policy));
    for (const Requester& requester : requesters()) {
        const std::vector<std::string> paths = {r.tile, r.full, r.info, r.manifest};
        for (size_t i = 0; i < paths.size(); ++i) {
            Response response = get(site.nginx.url(paths[i]), requester.headers);
            INFO(policy << " / " << requester.name << " / " << paths[i] << ": "
                        << response.body.substr(0, 200));
            CHECK(response.status == expected.at(requester.name)[i]);
            if (response.status != 200) {
                // A refusal carries a reason, never pixels.
                CHECK(response.header("Content-Type") == "text/plain; charset=utf-8");
                CHECK(response.body.size() < 200);
                if (response.status == 401)
                    CHECK(response.header("WWW-Authenticate") == "Bearer realm=\"iiif\"");
            } else if (i < 2) {
                const vips::VImage image = test_images::decode(response.body);
                CHECK(image.width() == (i == 0 ? 512 : fixtures::kMasterWidth));
            }
            if (response.status == 200 && policy != "public" && i < 3)
                CHECK(response.header("Cache-Control") == "private, no-cache");
        }
    }
}

}  // namespace

TEST_CASE("Access matrix: a public object is served to everyone", "[access][integration]") {
    Site site;
    const std::vector<long> all{200, 200, 200, 200};
    check_matrix(site, "public",
                 {{"anonymous", all}, {"inside", all}, {"token", all}, {"cookie", all},
                  {"expired", all}, {"forged", all}, {"other group", all}, {"api key", all}});
    CHECK(get(site.nginx.url(resources_of(kArks.at("public")).tile)).header("Cache-Control") ==
          "public, max-age=86400");
}

TEST_CASE("Access matrix: a network policy serves its networks and API keys, 403 to others",
          "[access][integration]") {
    Site site;
    const std::vector<long> in{200, 200, 200, 200}, out{403, 403, 200, 200};
    check_matrix(site, "campus",
                 {{"anonymous", out}, {"inside", in}, {"token", out}, {"cookie", out},
                  {"expired", out}, {"forged", out}, {"other group", out}, {"api key", in}});
}

TEST_CASE("Access matrix: a token policy serves valid credentials of its groups and API keys",
          "[access][integration]") {
    Site site;
    const std::vector<long> in{200, 200, 200, 200}, unknown{401, 401, 200, 200},
        refused{403, 403, 200, 200};
    check_matrix(site, "readers",
                 {{"anonymous", unknown}, {"inside", unknown}, {"token", in}, {"cookie", in},
                  {"expired", unknown}, {"forged", unknown}, {"other group", refused},
                  {"api key", in}});
    // Cookies split over several headers (as HTTP/2 clients send them) are all read.
    const std::string session =
        signed_credential(iiif::AccessCredential::Kind::session, "readers", 600);
    CHECK(get(site.nginx.url(resources_of(kArks.at("readers")).tile),
              {"Cookie: theme=dark", "Cookie: iiif_access=" + session, "Cookie: lang=fr"})
              .status == 200);
}

TEST_CASE("Access matrix: a restricted policy serves API keys only, info.json and manifest "
          "included",
          "[access][integration]") {
    Site site;
    const std::vector<long> in{200, 200, 200, 200}, unknown{401, 401, 401, 401},
        refused{403, 403, 403, 403};
    check_matrix(site, "restricted",
                 {{"anonymous", unknown}, {"inside", unknown}, {"token", refused},
                  {"cookie", refused}, {"expired", unknown}, {"forged", unknown},
                  {"other group", refused}, {"api key", in}});
}

TEST_CASE("Access matrix: an institution's editors see its images under every policy, another "
          "institution's editors do not",
          "[access][integration]") {
    Site site;
    using Kind = iiif::AccessCredential::Kind;
    const std::string from_outside = std::string("X-Forwarded-For: ") + kOutside;
    const std::vector<std::string> here = {
        from_outside,
        "Cookie: iiif_access=" + signed_credential(Kind::session, iiif::editor_group("main"), 600)};
    const std::vector<std::string> elsewhere = {
        from_outside, "Authorization: Bearer " +
                          signed_credential(Kind::token, iiif::editor_group("north"), 600)};
    for (const char* policy : {"campus", "reduced", "readers", "restricted"}) {
        const Resources r = resources_of(kArks.at(policy));
        for (const std::string& path : {r.tile, r.full, r.info, r.manifest}) {
            INFO(policy << " " << path);
            CHECK(get(site.nginx.url(path), here).status == 200);
        }
        INFO(policy);
        CHECK(test_images::decode(get(site.nginx.url(r.full), here).body).width() ==
              fixtures::kMasterWidth);
        // Another institution's editors are anyone else: refused, or degraded.
        CHECK(get(site.nginx.url(r.tile), elsewhere).status == 403);
    }
    // An object of the north institution is for the north's editors, not the main one's.
    const std::string north = "ark:/67375/39D-N7RTH5XD-Q";
    site.catalog.publish_object(north, fixtures::master_tiff(), "restricted", "north");
    const Resources r = resources_of(north);
    CHECK(get(site.nginx.url(r.tile), here).status == 403);
    CHECK(get(site.nginx.url(r.tile), {from_outside, "Cookie: iiif_access=" +
                                                         signed_credential(
                                                             Kind::session,
                                                             iiif::editor_group("north"), 600)})
              .status == 200);
    CHECK(get(site.nginx.url(r.manifest), here).status == 403);
    // An editor's API key opens their institution's images as their session does, no other's.
    const std::vector<std::string> north_key = {
        from_outside, std::string("Authorization: Bearer ") + kNorthEditorKey};
    CHECK(get(site.nginx.url(r.tile), north_key).status == 200);
    CHECK(get(site.nginx.url(r.manifest), north_key).status == 200);
    // Elsewhere the key is no credential at all, as an unknown key is: 401.
    CHECK(get(site.nginx.url(resources_of(kArks.at("restricted")).tile), north_key).status ==
          401);
}

TEST_CASE("Degraded access: outsiders get the image fitted to the policy's size and no finer tile",
          "[access][integration]") {
    Site site;
    const Resources r = resources_of(kArks.at("reduced"));
    const std::vector<std::string> outside = {std::string("X-Forwarded-For: ") + kOutside};
    const std::vector<std::string> inside = {std::string("X-Forwarded-For: ") + kInside};

    // Inside first, so that the full-resolution answers are in the cache.
    REQUIRE(get(site.nginx.url(r.full), inside).status == 200);
    REQUIRE(get(site.nginx.url(r.tile), inside).status == 200);

    Response full = get(site.nginx.url(r.full), outside);
    REQUIRE(full.status == 200);
    const vips::VImage reduced = test_images::decode(full.body);
    CHECK(reduced.width() == 400);
    CHECK(reduced.height() == 300);
    CHECK(get(site.nginx.url(r.tile), outside).status == 403);
    // A tile at a scale no finer than 400 px across the image is served.
    Response coarse =
        get(site.nginx.url("/iiif/3/" + kArks.at("reduced") + "/f1/0,0,1024,1024/128,/0/default.png"),
            outside);
    CHECK(coarse.status == 200);
    // Upscaling a small region does not bring the detail back.
    CHECK(get(site.nginx.url("/iiif/3/" + kArks.at("reduced") + "/f1/0,0,100,100/^400,/0/default.png"),
              outside)
              .status == 403);

    Response info = get(site.nginx.url(r.info), outside);
    REQUIRE(info.status == 200);
    fixtures::Json json = fixtures::parse_json(info.body);
    REQUIRE(json);
    CHECK(json_number(json.get(), "width") == fixtures::kMasterWidth);
    CHECK(json_number(json.get(), "maxWidth") == 400);
    CHECK(json_number(json.get(), "maxHeight") == 300);
    const json_t* factors =
        json_object_get(json_array_get(json_object_get(json.get(), "tiles"), 0), "scaleFactors");
    REQUIRE(json_array_size(factors) == 1);
    CHECK(json_integer_value(json_array_get(factors, 0)) == 8);
    const json_t* probe = json_array_get(json_object_get(json.get(), "service"), 0);
    CHECK(json_text(probe, "type") == "AuthProbeService2");
    const json_t* context = json_object_get(json.get(), "@context");
    CHECK(json_string_value(json_array_get(context, 0)) ==
          std::string("http://iiif.io/api/auth/2/context.json"));
    CHECK(json_string_value(json_array_get(context, 1)) ==
          std::string("http://iiif.io/api/image/3/context.json"));

    Response full_info = get(site.nginx.url(r.info), inside);
    // The object's licence, as manifests give it.
    CHECK(json_text(json.get(), "rights") == "http://creativecommons.org/licenses/by/4.0/");
    fixtures::Json inside_json = fixtures::parse_json(full_info.body);
    REQUIRE(inside_json);
    CHECK(json_number(inside_json.get(), "maxWidth") == 10000);  // the service's own
    CHECK(full_info.header("ETag") != info.header("ETag"));
}

TEST_CASE("The probe service answers each requester's status, with the substitute when degraded",
          "[access][integration]") {
    Site site;
    auto probe = [&](const std::string& policy, const std::vector<std::string>& headers) {
        Response response =
            get(site.nginx.url("/iiif/3/" + kArks.at(policy) + "/f1/probe"), headers);
        INFO(response.body);
        REQUIRE(response.status == 200);
        CHECK(response.header("Access-Control-Allow-Origin") == "*");
        CHECK(response.header("Cache-Control") == "no-store");
        fixtures::Json json = fixtures::parse_json(response.body);
        REQUIRE(json);
        CHECK(json_text(json.get(), "type") == "AuthProbeResult2");
        return json;
    };
    const std::vector<Requester> people = requesters();
    auto headers_of = [&](const std::string& name) {
        for (const Requester& requester : people)
            if (requester.name == name) return requester.headers;
        FAIL("no requester " << name);
        return std::vector<std::string>{};
    };
    CHECK(json_number(probe("public", headers_of("anonymous")).get(), "status") == 200);
    CHECK(json_number(probe("readers", headers_of("anonymous")).get(), "status") == 401);
    CHECK(json_number(probe("readers", headers_of("token")).get(), "status") == 200);
    CHECK(json_number(probe("readers", headers_of("other group")).get(), "status") == 403);
    // The probe reads the access token, not the cookie (Auth 2.0).
    CHECK(json_number(probe("readers", headers_of("cookie")).get(), "status") == 401);
    CHECK(json_number(probe("campus", headers_of("inside")).get(), "status") == 200);
    fixtures::Json degraded = probe("reduced", headers_of("anonymous"));
    CHECK(json_number(degraded.get(), "status") == 403);
    const json_t* substitute = json_array_get(json_object_get(degraded.get(), "substitute"), 0);
    // The degraded version at a URL of its own (its size), the ARK's slashes encoded as in the
    // image's info.json id.
    CHECK(json_text(substitute, "id") ==
          site.nginx.base() + "/iiif/3/ark:%2F67375%2F39D-K7QZ2M4B-4%2Ff1/full/400,300/0/default.jpg");
}

namespace {

constexpr const char* kMarkedArk = "ark:/67375/39D-M2P8Q4RX-5";
constexpr const char* kCampusMarkedArk = "ark:/67375/39D-C3V7N9KD-6";

// A site whose "marked" set puts an opaque black 200 x 100 mark at the bottom right of what it
// delivers (a quarter of the output's width, 10 px from the edges, outputs of 200 px and more),
// and whose "campus-marked" policy marks only what outsiders get (degraded to 400 px).
struct MarkedSite {
    Nginx nginx{access_options()};
    Catalog catalog{nginx};
    MarkedSite() {
        nginx.write_file("access.key", kKey);
        const std::string mark_png = test_images::save(
            test_images::solid(200, 100, {0, 0, 0}), "watermark-black.png");
        nginx.add_image("marks/black.png", mark_png);
        iiif::AccessSettings access = settings();
        iiif::WatermarkSpec mark;
        mark.name = "library";
        mark.image = nginx.path("images/marks/black.png");
        mark.opacity = 1;
        mark.scale = 0.25;
        mark.margin = 10;
        mark.min_size = 200;
        access.watermarks = {mark};
        iiif::AccessPolicy outsiders_marked = access.policies[1];  // "reduced": 400 px outside
        outsiders_marked.name = "campus-marked";
        outsiders_marked.watermark_unauthorised_only = true;
        access.policies.push_back(outsiders_marked);
        iiif::AccessRules rules;
        rules.set_watermarks = {{"marked", "library"}};
        rules.policy_watermarks = {{"campus-marked", "library"}};
        catalog.writer().set_access(access, rules);

        iiif::ObjectRecord marked = Catalog::object(kMarkedArk);
        marked.metadata.sets = {"marked"};
        catalog.writer().put(marked, {catalog.page(kMarkedArk, 1, fixtures::master_tiff(), "m1.tif"),
                                      catalog.page(kMarkedArk, 2, fixtures::master_tiff(), "m2.tif")});
        catalog.publish_object(kCampusMarkedArk, fixtures::master_tiff(), "campus-marked");
        nginx.start();
    }
};

test_images::Pixel pixel_of(const Response& response, int x, int y) {
    INFO(response.status << " " << response.body.substr(0, 100));
    REQUIRE(response.status == 200);
    return test_images::pixel_at(response.body, x, y);
}

constexpr test_images::Rgb kBlack{0, 0, 0};

}  // namespace

TEST_CASE("Watermark: the mark is exactly where configured on delivered images, never on small "
          "ones",
          "[access][integration]") {
    MarkedSite site;
    const std::string image = "/iiif/3/" + std::string(kMarkedArk) + "/f1";
    // 1000 x 750 of the quadrants (white at the bottom right): the mark is 250 x 125 at
    // x 740..989, y 615..739.
    Response full = get(site.nginx.url(image + "/full/1000,/0/default.png"));
    CHECK(test_images::near(pixel_of(full, 740, 615), kBlack, 0));
    CHECK(test_images::near(pixel_of(full, 989, 739), kBlack, 0));
    CHECK(test_images::near(pixel_of(full, 865, 677), kBlack, 0));
    CHECK(test_images::near(pixel_of(full, 739, 677), test_images::kWhite, 0));
    CHECK(test_images::near(pixel_of(full, 865, 614), test_images::kWhite, 0));
    CHECK(test_images::near(pixel_of(full, 990, 740), test_images::kWhite, 0));
    CHECK(test_images::near(pixel_of(full, 100, 100), test_images::kRed, 0));
    // A 256 px tile of the red quadrant is marked at its own bottom right: 64 x 32 at
    // x 182..245, y 214..245.
    Response tile = get(site.nginx.url(image + "/0,0,512,512/256,/0/default.png"));
    CHECK(test_images::near(pixel_of(tile, 200, 230), kBlack, 0));
    CHECK(test_images::near(pixel_of(tile, 181, 230), test_images::kRed, 0));
    CHECK(test_images::near(pixel_of(tile, 250, 250), test_images::kRed, 0));
    // Below min_size: untouched, however small (the margins would fit it).
    Response small = get(site.nginx.url(image + "/0,0,512,512/150,/0/default.png"));
    CHECK(test_images::near(pixel_of(small, 140, 140), test_images::kRed, 0));
    Response tiny = get(site.nginx.url(image + "/0,0,80,80/16,/0/default.png"));
    CHECK(test_images::near(pixel_of(tiny, 8, 10), test_images::kRed, 0));
}

TEST_CASE("Watermark: a degraded answer is marked at every size, below min_size too",
          "[access][integration]") {
    MarkedSite site;
    const std::string image = "/iiif/3/" + std::string(kCampusMarkedArk) + "/f1";
    const std::vector<std::string> outside = {std::string("X-Forwarded-For: ") + kOutside};
    const std::vector<std::string> inside = {std::string("X-Forwarded-For: ") + kInside};
    // Degraded to 400 px across 2000, a scale of 0.2: tiles of 199 px (under min_size, 200)
    // at that scale would stitch into the whole degraded image. Each is marked at its bottom
    // right: a quarter of its width, 10 px from the edges.
    // 199 x 199 of red over blue: the mark is 50 x 25 at x 139..188, y 164..188.
    Response tile = get(site.nginx.url(image + "/0,0,995,995/199,/0/default.png"), outside);
    CHECK(test_images::near(pixel_of(tile, 139, 164), kBlack, 0));
    CHECK(test_images::near(pixel_of(tile, 188, 188), kBlack, 0));
    CHECK(test_images::near(pixel_of(tile, 138, 176), test_images::kBlue, 0));
    CHECK(test_images::near(pixel_of(tile, 100, 100), test_images::kRed, 0));
    // 149 x 149 of red: 37 x 19 at x 102..138, y 120..138.
    Response red = get(site.nginx.url(image + "/0,0,745,745/149,/0/default.png"), outside);
    CHECK(test_images::near(pixel_of(red, 120, 129), kBlack, 0));
    CHECK(test_images::near(pixel_of(red, 101, 129), test_images::kRed, 0));
    // 16 x 16: the margins narrow to 4, the mark is 4 x 2 at x 8..11, y 10..11.
    Response small = get(site.nginx.url(image + "/0,0,80,80/16,/0/default.png"), outside);
    CHECK(test_images::near(pixel_of(small, 8, 10), kBlack, 0));
    CHECK(test_images::near(pixel_of(small, 11, 11), kBlack, 0));
    CHECK(test_images::near(pixel_of(small, 7, 10), test_images::kRed, 0));
    CHECK(test_images::near(pixel_of(small, 8, 12), test_images::kRed, 0));
    // Readers in full get the same tiles clean.
    Response clean = get(site.nginx.url(image + "/0,0,745,745/149,/0/default.png"), inside);
    CHECK(test_images::near(pixel_of(clean, 120, 129), test_images::kRed, 0));
}

TEST_CASE("Watermark: a policy that marks outsiders only gives readers clean images, each from "
          "its own cache entry",
          "[access][integration]") {
    MarkedSite site;
    const std::string full = "/iiif/3/" + std::string(kCampusMarkedArk) + "/f1/full/max/0/default.png";
    const std::vector<std::string> outside = {std::string("X-Forwarded-For: ") + kOutside};
    const std::vector<std::string> inside = {std::string("X-Forwarded-For: ") + kInside};
    for (int round = 0; round < 2; ++round) {
        INFO("round " << round);
        // Inside: 2000 x 1500, clean at the bottom right.
        Response clean = get(site.nginx.url(full), inside);
        CHECK(test_images::decode(clean.body).width() == 2000);
        CHECK(test_images::near(pixel_of(clean, 1900, 1450), test_images::kWhite, 0));
        // Outside: 400 x 300, the mark (100 x 50) at x 290..389, y 240..289.
        Response marked = get(site.nginx.url(full), outside);
        CHECK(test_images::decode(marked.body).width() == 400);
        CHECK(test_images::near(pixel_of(marked, 340, 265), kBlack, 0));
        CHECK(test_images::near(pixel_of(marked, 395, 295), test_images::kWhite, 0));
    }
    CHECK(site.nginx.cache_statuses(full, 4) ==
          std::vector<std::string>{"MISS", "MISS", "HIT", "HIT"});
}
