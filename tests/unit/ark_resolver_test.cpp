// The ARK resolver (ark_resolver.hpp) over a real catalog: the ARK forms, the qualifiers, the
// inflections (?info, ??), the NAAN and its shoulders, unknown, pending and withdrawn objects,
// other NAANs, and the HTTP methods.
#include "ark_resolver.hpp"

#include <catch2/catch.hpp>

#include "catalog.hpp"
#include "catalog_fixtures.hpp"
#include "resolver_record.hpp"

using namespace iiif;
using catalog_fixtures::catalog_path;
using catalog_fixtures::open_writer;

namespace {

constexpr const char* kActive = "ark:/99999/d3m-bc4df5gh-0";     // two pages, described
constexpr const char* kWithdrawn = "ark:/99999/d3m-xz9kq2rt-m";  // withdrawn
constexpr const char* kPending = "ark:/99999/d3m-pn6w8vjs-9";    // ingest not finished
constexpr const char* kBare = "ark:/99999/d3m-hh2tt7mm-3";       // no metadata at all

constexpr const char* kLanding =
    "https://images.example.org/object.html?manifest="
    "https%3A%2F%2Fimages.example.org%2Fiiif%2F3%2Fark%3A%2F99999%2Fd3m-bc4df5gh-0%2Fmanifest";
constexpr const char* kManifest =
    "https://images.example.org/iiif/3/ark:/99999/d3m-bc4df5gh-0/manifest";
constexpr const char* kPage1 =
    "https://images.example.org/iiif/3/ark:%2F99999%2Fd3m-bc4df5gh-0%2Ff1";
constexpr const char* kPage2 =
    "https://images.example.org/iiif/3/ark:%2F99999%2Fd3m-bc4df5gh-0%2Ff2";

constexpr const char* kPersistence =
    "persistence: Bibliothèque exemple never reassigns this ARK; it resolves to the object or, "
    "once withdrawn, to its tombstone\n";
constexpr const char* kNamespacePersistence =
    "persistence: Bibliothèque exemple never reassigns these ARKs; each resolves to its object "
    "or, once withdrawn, to its tombstone\n";

PublicationSettings publication(const std::string& global_resolver = "") {
    PublicationSettings settings;
    settings.base_url = "https://images.example.org";
    settings.institution = "Bibliothèque exemple";
    settings.naan = "99999";
    settings.shoulders = {{"d3m", "Manuscrits", "Enluminure", "Les manuscrits numérisés",
                           "https://images.example.org/manuscrits/"},
                          {"x7p", "", "", "", ""}};
    settings.ark_policy =
        "Nos ARK ne sont jamais réattribués.\n\nUn objet retiré laisse une trace.";
    settings.global_resolver = global_resolver;
    return settings;
}

SourceInfo page_source() {
    SourceInfo source;
    source.format = SourceFormat::tiff;
    source.width = 2000;
    source.height = 1500;
    source.tiled = true;
    source.tile_width = source.tile_height = 256;
    source.levels = {{1, 2000, 1500, 0, 1}, {2, 1000, 750, 1, 1}};
    return source;
}

ObjectRecord object_of(const std::string& ark, int pages, RecordState state) {
    ObjectRecord object;
    object.ark = ark;
    for (int i = 1; i <= pages; ++i) object.images.push_back(ark + "/f" + std::to_string(i));
    object.created = object.updated = object.datestamp = 1600000000;
    object.state = state;
    return object;
}

std::vector<ImageRecord> pages_of(const ObjectRecord& object) {
    std::vector<ImageRecord> pages;
    for (size_t i = 0; i < object.images.size(); ++i) {
        ImageRecord image;
        image.id = object.images[i];
        image.object = object.ark;
        image.index = static_cast<int>(i) + 1;
        image.master_path = "/srv/masters/" + std::to_string(i + 1) + ".tif";
        image.original_sha256 = std::string(64, static_cast<char>('a' + i));
        image.source = page_source();
        image.state = object.state == RecordState::withdrawn ? RecordState::active : object.state;
        pages.push_back(image);
    }
    return pages;
}

// A catalog as iiifd leaves it: publication settings, an active object, a withdrawn one, a
// pending one and one without metadata.
std::unique_ptr<CatalogWriter> make_catalog(const std::string& name,
                                            const PublicationSettings& settings) {
    auto writer = open_writer(catalog_path("ark-resolver-", name));
    writer->set_publication(settings);

    ObjectRecord active = object_of(kActive, 2, RecordState::active);
    active.metadata.dc["title"] = {{"Livre d'heures", "fr"}, {"Book of hours", "en"}};
    active.metadata.dc["creator"] = {{"Atelier de Rohan", ""}, {"Jean Colombe", ""}};
    active.metadata.dc["date"] = {{"1430", ""}};
    writer->put(active, pages_of(active));

    ObjectRecord withdrawn = object_of(kWithdrawn, 1, RecordState::active);
    withdrawn.metadata.dc["title"] = {{"Carte retirée", "fr"}};
    withdrawn.metadata.dc["publisher"] = {{"Maison Exemple", ""}};
    writer->put(withdrawn, pages_of(withdrawn));
    writer->withdraw(kWithdrawn, "rights claim by the owner", 1700000000);

    ObjectRecord pending = object_of(kPending, 1, RecordState::pending);
    writer->put(pending, pages_of(pending));

    ObjectRecord bare = object_of(kBare, 1, RecordState::active);
    writer->put(bare, pages_of(bare));
    return writer;
}

const CatalogReader& catalog() {
    static std::unique_ptr<CatalogWriter> writer = make_catalog("main", publication());
    return writer->reader();
}

const CatalogReader& catalog_with_global_resolver() {
    static std::unique_ptr<CatalogWriter> writer =
        make_catalog("global", publication("https://n2t.net/"));
    return writer->reader();
}

// `target` is the request's path and query as a client sends them.
HttpResponse resolve(const std::string& target, const std::string& accept = "",
                     const std::string& method = "GET", const CatalogReader* reader = &catalog()) {
    ResolverRequest request;
    request.method = method;
    size_t question = target.find('?');
    request.path = std::string_view(target).substr(0, question);
    if (question != std::string::npos) {
        request.has_query = true;
        request.query = std::string_view(target).substr(question + 1);
    }
    request.accept = accept;
    return resolve_ark(reader, request);
}

std::string header(const HttpResponse& response, const std::string& name) {
    for (const auto& [key, value] : response.headers)
        if (key == name) return value;
    return "";
}

// The redirect's target, with the status and headers every redirect has checked.
std::string location(const std::string& target, const CatalogReader* reader = &catalog()) {
    HttpResponse response = resolve(target, "", "GET", reader);
    INFO(target << " -> " << response.status << " " << response.body);
    CHECK(response.status == 302);
    CHECK(header(response, "Access-Control-Allow-Origin") == "*");
    CHECK(header(response, "Cache-Control") == "public, max-age=300");
    CHECK(response.body.empty());
    return header(response, "Location");
}

std::string replaced_state(std::string record, const std::string& state) {
    return record.replace(record.find("state: active"), 13, "state: " + state);
}

void check_not_found(const std::string& target, const std::string& reason,
                     const CatalogReader* reader = &catalog()) {
    HttpResponse response = resolve(target, "", "GET", reader);
    INFO(target);
    CHECK(response.status == 404);
    CHECK(response.body == reason + "\n");
    CHECK(response.content_type == "text/plain; charset=utf-8");
    CHECK(header(response, "Access-Control-Allow-Origin") == "*");
    CHECK(header(response, "Location").empty());
}

const std::string kActiveRecord =
    "erc:\n"
    "who: Atelier de Rohan; Jean Colombe\n"
    "what: Livre d'heures\n"
    "when: 1430\n"
    "where: https://images.example.org/ark:/99999/d3m-bc4df5gh-0\n" +
    std::string(kPersistence);

const std::string kPolicy =
    "policy: Nos ARK ne sont jamais réattribués.\n  Un objet retiré laisse une trace.\n";

const std::string kTombstone =
    "erc:\n"
    "who: Maison Exemple\n"
    "what: Carte retirée\n"
    "when: (:unav)\n"
    "where: https://images.example.org/ark:/99999/d3m-xz9kq2rt-m\n" +
    std::string(kPersistence) +
    "withdrawn: 2023-11-14T22:13:20Z\n"
    "reason: rights claim by the owner\n";

}  // namespace

TEST_CASE("ark resolver: a bare ARK redirects to its landing page", "[ark_resolver]") {
    CHECK(location("/ark:/99999/d3m-bc4df5gh-0") == kLanding);
}

TEST_CASE("ark resolver: ark:/ and ark: are one ARK, the label in any case", "[ark_resolver]") {
    for (const char* path : {"/ark:/99999/d3m-bc4df5gh-0", "/ark:99999/d3m-bc4df5gh-0",
                             "/ARK:/99999/d3m-bc4df5gh-0", "/Ark:99999/d3m-bc4df5gh-0"}) {
        INFO(path);
        CHECK(location(path) == kLanding);
    }
}

TEST_CASE("ark resolver: hyphens in the name are insignificant", "[ark_resolver]") {
    for (const char* path : {"/ark:/99999/d3mbc4df5gh0", "/ark:/99999/d3m-bc4-df5-gh-0",
                             "/ark:99999/-d3mbc4df5gh0-"}) {
        INFO(path);
        CHECK(location(path) == kLanding);
    }
    CHECK(location("/ark:/99999/d3mbc4df5gh0/f2") == std::string(kPage2) + "/info.json");
}

TEST_CASE("ark resolver: a percent-encoded path is decoded first", "[ark_resolver]") {
    CHECK(location("/ark%3A%2F99999%2Fd3m-bc4df5gh-0") == kLanding);
    CHECK(location("/ark%3a99999%2fd3m%2Dbc4df5gh%2D0") == kLanding);
    CHECK(location("/ark:/99999/d3m-bc4df5gh-0%2Ff1") == std::string(kPage1) + "/info.json");
    CHECK(location("/ark:/99999/d3m-bc4df5gh-0%2Fmanifest") == kManifest);
}

TEST_CASE("ark resolver: /manifest redirects to the Presentation 3.0 manifest", "[ark_resolver]") {
    CHECK(location("/ark:/99999/d3m-bc4df5gh-0/manifest") == kManifest);
    CHECK(location("/ark:99999/d3mbc4df5gh0/manifest") == kManifest);
}

TEST_CASE("ark resolver: /f{n} and /f{n}/info.json redirect to the page's info.json",
          "[ark_resolver]") {
    CHECK(location("/ark:/99999/d3m-bc4df5gh-0/f1") == std::string(kPage1) + "/info.json");
    CHECK(location("/ark:/99999/d3m-bc4df5gh-0/f2") == std::string(kPage2) + "/info.json");
    CHECK(location("/ark:/99999/d3m-bc4df5gh-0/f2/info.json") ==
          std::string(kPage2) + "/info.json");
}

TEST_CASE(
    "ark resolver: /f{n}/{region}/{size}/{rotation}/{quality}.{format} redirects to "
    "that image",
    "[ark_resolver]") {
    CHECK(location("/ark:/99999/d3m-bc4df5gh-0/f1/full/max/0/default.jpg") ==
          std::string(kPage1) + "/full/max/0/default.jpg");
    CHECK(location("/ark:/99999/d3m-bc4df5gh-0/f2/pct:0,0,50,50/!200,200/90/gray.png") ==
          std::string(kPage2) + "/pct:0,0,50,50/!200,200/90/gray.png");
    // As written, but what may not stand in a URL is encoded again.
    CHECK(location("/ark:/99999/d3m-bc4df5gh-0/f1/full/%5Emax/0/default.jpg") ==
          std::string(kPage1) + "/full/%5Emax/0/default.jpg");
}

TEST_CASE("ark resolver: f0, f01, a page beyond the last and unknown qualifiers are 404",
          "[ark_resolver]") {
    for (const char* qualifier :
         {"/f0", "/f01", "/f3", "/f-1", "/f", "/F1", "/f1/", "/f1/full", "/f1/full/max/0",
          "/f1/full/max/0/default", "/f1/full//0/default.jpg", "/f1/full/max/0/default.jpg/x",
          "/manifest/", "/manifests", "/info", "/", ".pdf", "/f1.jpg"}) {
        check_not_found("/ark:/99999/d3m-bc4df5gh-0" + std::string(qualifier), "unknown qualifier");
    }
}

TEST_CASE("ark resolver: ?info gives the ERC record as ANVL text", "[ark_resolver]") {
    for (const char* target : {"/ark:/99999/d3m-bc4df5gh-0?info", "/ark:/99999/d3m-bc4df5gh-0?",
                               "/ark:99999/d3mbc4df5gh0?info", "/ark:/99999/d3m-bc4df5gh-0/f2?info",
                               "/ark:/99999/d3m-bc4df5gh-0/manifest?info"}) {
        INFO(target);
        HttpResponse response = resolve(target);
        CHECK(response.status == 200);
        CHECK(response.content_type == "text/plain; charset=utf-8");
        CHECK(response.body == kActiveRecord);
        CHECK(header(response, "Access-Control-Allow-Origin") == "*");
        CHECK(header(response, "Vary") == "Accept");
        CHECK(header(response, "Cache-Control") == "public, max-age=300");
    }
    // An unknown qualifier stays unknown.
    CHECK(resolve("/ark:/99999/d3m-bc4df5gh-0/f9?info").status == 404);
}

TEST_CASE("ark resolver: ?info gives JSON when Accept asks for application/json",
          "[ark_resolver]") {
    HttpResponse response = resolve("/ark:/99999/d3m-bc4df5gh-0?info", "application/json");
    CHECK(response.status == 200);
    CHECK(response.content_type == "application/json");
    CHECK(response.body ==
          "{\"who\":\"Atelier de Rohan; Jean Colombe\",\"what\":\"Livre d'heures\","
          "\"when\":\"1430\",\"where\":\"https://images.example.org/ark:/99999/"
          "d3m-bc4df5gh-0\",\"persistence\":\"Bibliothèque exemple never reassigns this ARK; "
          "it resolves to the object or, once withdrawn, to its tombstone\"}");
    CHECK(header(response, "Vary") == "Accept");
    // A browser's Accept asks for HTML first: ANVL.
    CHECK(resolve("/ark:/99999/d3m-bc4df5gh-0?info", "text/html,application/xhtml+xml,*/*;q=0.8")
              .content_type == "text/plain; charset=utf-8");
}

TEST_CASE("ark resolver: ?? gives the record and the ARK policy", "[ark_resolver]") {
    HttpResponse response = resolve("/ark:/99999/d3m-bc4df5gh-0??");
    CHECK(response.status == 200);
    CHECK(response.body == kActiveRecord + kPolicy);

    HttpResponse json = resolve("/ark:/99999/d3m-bc4df5gh-0/f1??", "application/json");
    CHECK(json.status == 200);
    CHECK(
        json.body.ends_with(",\"policy\":\"Nos ARK ne sont jamais réattribués.\\n\\nUn objet "
                            "retiré laisse une trace.\"}"));
}

TEST_CASE(
    "ark resolver: an object without metadata is described as unavailable, by its "
    "institution",
    "[ark_resolver]") {
    CHECK(resolve("/ark:/99999/d3m-hh2tt7mm-3?info").body ==
          "erc:\n"
          "who: Bibliothèque exemple\n"
          "what: (:unav)\n"
          "when: (:unav)\n"
          "where: https://images.example.org/ark:/99999/d3m-hh2tt7mm-3\n" +
              std::string(kPersistence));
}

TEST_CASE(
    "ark resolver: the NAAN alone leads to the base URL, and ?info describes the "
    "institution",
    "[ark_resolver]") {
    for (const char* path : {"/ark:/99999", "/ark:/99999/", "/ark:99999", "/ARK:99999/"}) {
        INFO(path);
        CHECK(location(path) == "https://images.example.org/");
    }
    const std::string institution =
        "erc:\n"
        "who: Bibliothèque exemple\n"
        "what: ARK Name Assigning Authority Number 99999\n"
        "when: (:unav)\n"
        "where: https://images.example.org/\n" +
        std::string(kNamespacePersistence);
    for (const char* target : {"/ark:/99999?info", "/ark:/99999/?info", "/ark:99999?"}) {
        INFO(target);
        HttpResponse response = resolve(target);
        CHECK(response.status == 200);
        CHECK(response.body == institution);
    }
    CHECK(resolve("/ark:/99999/??").body == institution + kPolicy);
}

TEST_CASE("ark resolver: a shoulder alone leads to its service, and ?info describes it",
          "[ark_resolver]") {
    CHECK(location("/ark:/99999/d3m") == "https://images.example.org/manuscrits/");
    CHECK(location("/ark:99999/D3M") == "https://images.example.org/manuscrits/");
    const std::string shoulder =
        "erc:\n"
        "who: Bibliothèque exemple\n"
        "what: Manuscrits\n"
        "when: (:unav)\n"
        "where: https://images.example.org/manuscrits/\n" +
        std::string(kNamespacePersistence) +
        "subject: Enluminure\n"
        "description: Les manuscrits numérisés\n";
    CHECK(resolve("/ark:/99999/d3m?info").body == shoulder);
    CHECK(resolve("/ark:/99999/d3m??").body == shoulder + kPolicy);

    // A shoulder without a service has nowhere to lead, but describes itself.
    check_not_found("/ark:/99999/x7p", "unknown ARK");
    CHECK(resolve("/ark:/99999/x7p?info").body ==
          "erc:\n"
          "who: Bibliothèque exemple\n"
          "what: ARK shoulder ark:/99999/x7p\n"
          "when: (:unav)\n"
          "where: https://images.example.org/ark:/99999/x7p\n" +
              std::string(kNamespacePersistence));
}

TEST_CASE("ark resolver: an unknown name is 404", "[ark_resolver]") {
    check_not_found("/ark:/99999/d3m-bc4df5gh-1", "unknown ARK");
    check_not_found("/ark:/99999/d3m-bc4df5gh-1/f1", "unknown ARK");
    check_not_found("/ark:/99999/d3m-bc4df5gh-1?info", "unknown ARK");
    check_not_found("/ark:/99999/D3M-BC4DF5GH-0", "unknown ARK");  // names are case-sensitive
}

TEST_CASE("ark resolver: an object whose ingest is not finished is 404", "[ark_resolver]") {
    check_not_found("/ark:/99999/d3m-pn6w8vjs-9", "unknown ARK");
    check_not_found("/ark:/99999/d3m-pn6w8vjs-9/f1", "unknown ARK");
    check_not_found("/ark:/99999/d3m-pn6w8vjs-9?info", "unknown ARK");
}

TEST_CASE("ark resolver: a withdrawn object is 410 with its tombstone", "[ark_resolver]") {
    for (const char* target :
         {"/ark:/99999/d3m-xz9kq2rt-m", "/ark:99999/d3mxz9kq2rtm", "/ark:/99999/d3m-xz9kq2rt-m/f1",
          "/ark:/99999/d3m-xz9kq2rt-m/manifest", "/ark:/99999/d3m-xz9kq2rt-m/anything",
          "/ark:/99999/d3m-xz9kq2rt-m?info", "/ark:/99999/d3m-xz9kq2rt-m?"}) {
        INFO(target);
        HttpResponse response = resolve(target);
        CHECK(response.status == 410);
        CHECK(response.content_type == "text/plain; charset=utf-8");
        CHECK(response.body == kTombstone);
        CHECK(header(response, "Access-Control-Allow-Origin") == "*");
        CHECK(header(response, "Location").empty());
        CHECK(header(response, "Cache-Control").empty());
    }
    CHECK(resolve("/ark:/99999/d3m-xz9kq2rt-m??").body == kTombstone + kPolicy);

    HttpResponse json = resolve("/ark:/99999/d3m-xz9kq2rt-m", "application/json");
    CHECK(json.status == 410);
    CHECK(json.content_type == "application/json");
    CHECK(json.body.ends_with(
        ",\"withdrawn\":\"2023-11-14T22:13:20Z\",\"reason\":\"rights claim by the owner\"}"));
}

TEST_CASE("ark resolver: another NAAN is 404 without a global resolver", "[ark_resolver]") {
    check_not_found("/ark:/12345/x7-y", "unknown ARK");
    check_not_found("/ark:12345/x7y/f1?info", "unknown ARK");
    check_not_found("/ark:/12345", "unknown ARK");
}

TEST_CASE("ark resolver: another NAAN goes to the global resolver, qualifier and query kept",
          "[ark_resolver]") {
    const CatalogReader* reader = &catalog_with_global_resolver();
    CHECK(location("/ark:/12345/x7-y", reader) == "https://n2t.net/ark:/12345/x7-y");
    CHECK(location("/ark:12345/x7-y/f1?info", reader) == "https://n2t.net/ark:/12345/x7-y/f1?info");
    CHECK(location("/ARK%3A%2F12345%2Fa%20b??", reader) == "https://n2t.net/ark:/12345/a%20b??");
    CHECK(location("/ark:/12345", reader) == "https://n2t.net/ark:/12345");
    // Ours still resolve here.
    CHECK(location("/ark:/99999/d3m-bc4df5gh-0", reader) == kLanding);
}

TEST_CASE("ark resolver: a path that is no ARK is 404", "[ark_resolver]") {
    for (const char* path :
         {"/ark:", "/ark:/", "/ark", "/arc:/99999/d3m-bc4df5gh-0", "/ark:/999-99/d3m",
          "/ark:/99999/d3m_bc4df5gh", "/ark:/99999/d3m-bc4df5gh-0%zz", "/ark:/99999/d3m%2",
          "/ark:/99999/d3m%0D%0ASet-Cookie:%20a=b", "/ark:/99999/%00"}) {
        check_not_found(path, "not an ARK");
    }
}

TEST_CASE("ark resolver: OPTIONS is a CORS preflight", "[ark_resolver]") {
    HttpResponse response = resolve("/ark:/99999/d3m-bc4df5gh-0", "", "OPTIONS");
    CHECK(response.status == 204);
    CHECK(response.body.empty());
    CHECK(header(response, "Access-Control-Allow-Origin") == "*");
    CHECK(header(response, "Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS");
}

TEST_CASE("ark resolver: HEAD is GET, other methods are 405 with Allow", "[ark_resolver]") {
    CHECK(header(resolve("/ark:/99999/d3m-bc4df5gh-0", "", "HEAD"), "Location") == kLanding);
    for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
        INFO(method);
        HttpResponse response = resolve("/ark:/99999/d3m-bc4df5gh-0", "", method);
        CHECK(response.status == 405);
        CHECK(header(response, "Allow") == "GET, HEAD, OPTIONS");
        CHECK(header(response, "Access-Control-Allow-Origin") == "*");
    }
}

TEST_CASE(
    "ark resolver: without a catalog, or before iiifd recorded its settings, every ARK is "
    "unknown",
    "[ark_resolver]") {
    check_not_found("/ark:/99999/d3m-bc4df5gh-0", "unknown ARK", nullptr);
    check_not_found("/ark:/99999?info", "unknown ARK", nullptr);

    auto writer = open_writer(catalog_path("ark-resolver-", "unpublished"));
    check_not_found("/ark:/99999/d3m-bc4df5gh-0", "unknown ARK", &writer->reader());
}

TEST_CASE("ark resolver: changed publication settings are read again", "[ark_resolver]") {
    auto writer = make_catalog("republished", publication());
    PublicationMemo memo(std::chrono::milliseconds(0));  // the module's reads at most every 1 s
    ResolverRequest request;
    request.method = "GET";
    request.path = "/ark:/99999/d3m-bc4df5gh-0/manifest";
    CHECK(header(resolve_ark(&writer->reader(), request, memo), "Location") == kManifest);
    CHECK(header(resolve_ark(&writer->reader(), request, memo), "Location") == kManifest);

    PublicationSettings moved = publication();
    moved.base_url = "https://iiif.example.net";
    writer->set_publication(moved);
    CHECK(header(resolve_ark(&writer->reader(), request, memo), "Location") ==
          "https://iiif.example.net/iiif/3/ark:/99999/d3m-bc4df5gh-0/manifest");
}

TEST_CASE("ark resolver: the resolver record holds all the resolver reads of an object",
          "[ark_resolver]") {
    ObjectRecord object = object_of(kActive, 3, RecordState::active);
    object.metadata.dc["title"] = {{"Livre\nd'heures", "fr"}};
    object.metadata.dc["creator"] = {{"Jean Colombe", ""}};
    const std::string active =
        "ark: ark:/99999/d3m-bc4df5gh-0\n"
        "state: active\n"
        "pages: 3\n"
        "landing: " +
        std::string(kLanding) +
        "\n"
        "manifest: " +
        std::string(kManifest) +
        "\n"
        "who: Jean Colombe\n"
        "what: Livre d'heures\n"
        "when: (:unav)\n"
        "where: https://images.example.org/ark:/99999/d3m-bc4df5gh-0\n";
    CHECK(resolver_record(publication(), object) == active);

    object.state = RecordState::withdrawn;
    object.updated = 1700000000;
    object.withdrawn_reason = "duplicate";
    CHECK(resolver_record(publication(), object) == replaced_state(active, "withdrawn") +
                                                        "withdrawn: 2023-11-14T22:13:20Z\n"
                                                        "reason: duplicate\n");
}

TEST_CASE(
    "ark resolver: a described object (no images) leads to the partner's page when harvested with "
    "a link, else to its landing page, and has no manifest or page qualifier",
    "[ark_resolver]") {
    auto writer = open_writer(catalog_path("ark-resolver-", "described"));
    writer->set_publication(publication());
    ObjectRecord linked = object_of("ark:/99999/d3m-20000001-x", 0, RecordState::active);
    linked.metadata.dc["title"] = {{"Lettre", "fr"}};
    ObjectOrigin origin;
    origin.partner = "bm-lyon";
    origin.base_url = "https://oai.bm-lyon.example.org/oai";
    origin.identifier = "oai:bm-lyon.example.org:ms-1";
    origin.datestamp = "2024-01-31";
    origin.metadata_namespace = "http://www.openarchives.org/OAI/2.0/oai_dc/";
    origin.harvested = 1700000050;
    origin.link = "https://collections.bm-lyon.example.org/ms-1";
    linked.metadata.origin = origin;
    writer->put(linked, {});
    ObjectRecord unlinked = object_of("ark:/99999/d3m-20000002-x", 0, RecordState::active);
    unlinked.metadata.origin = origin;
    unlinked.metadata.origin->link.clear();
    writer->put(unlinked, {});
    const CatalogReader* reader = &writer->reader();

    CHECK(location("/ark:/99999/d3m-20000001-x", reader) ==
          "https://collections.bm-lyon.example.org/ms-1");
    CHECK(
        location("/ark:/99999/d3m-20000002-x", reader) ==
        "https://images.example.org/object.html?manifest="
        "https%3A%2F%2Fimages.example.org%2Fiiif%2F3%2Fark%3A%2F99999%2Fd3m-20000002-x%2Fmanifest");
    for (const char* qualifier : {"/manifest", "/f1", "/f1/info.json"})
        check_not_found("/ark:/99999/d3m-20000001-x" + std::string(qualifier), "unknown qualifier",
                        reader);
    HttpResponse info = resolve("/ark:/99999/d3m-20000001-x?info", "", "GET", reader);
    CHECK(info.status == 200);
    CHECK(info.body ==
          "erc:\nwho: Bibliothèque exemple\nwhat: Lettre\nwhen: (:unav)\n"
          "where: https://images.example.org/ark:/99999/d3m-20000001-x\n" +
              std::string(kPersistence));
}
