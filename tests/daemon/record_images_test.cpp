// The images a harvested record points to: its references and their kinds (Dublin Core, EDM,
// iiifd's own EDM), the plan of what is fetched, the pages of IIIF Presentation 3.0 manifests
// (the IIIF Cookbook's, in the shared samples) and 2.1 ones, and the fetch of a manifest
// from tests/harvest/static_server.py, started for each test on a free loopback port and
// stopped by its pid.
#include "record_images.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.hpp"
#include "oai_fixture.hpp"

using daemon_harness::json_text;
using daemon_harness::read_file;
using daemon_harness::ScriptServer;
using iiifd::choose_pages;
using iiifd::fetch_manifest;
using iiifd::FetchLimits;
using iiifd::find_image_references;
using iiifd::HarvestedRecord;
using iiifd::ImageReference;
using iiifd::ImageServiceType;
using iiifd::manifest_images;
using iiifd::ManifestError;
using iiifd::ManifestImage;
using iiifd::ManifestLimits;
using iiifd::PagePlan;
using Kind = iiifd::ReferenceKind;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// The IIIF Cookbook's recipes in the workspace's shared samples, and a 2.1 book of ours.
const std::string kCookbook = IIIF_SHARED_DIR "/samples/iiif-cookbook/";
const std::string kManifests = IIIF_SOURCE_DIR "/tests/harvest/manifests/";

HarvestedRecord record_of(const std::string& metadata_xml) {
    HarvestedRecord record;
    record.identifier = "oai:partner.example.org:1";
    record.metadata_xml = metadata_xml;
    return record;
}

HarvestedRecord dc_record(const std::string& elements) {
    return record_of(R"(<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" )"
                     R"(xmlns:dc="http://purl.org/dc/elements/1.1/">)" +
                     elements + "</oai_dc:dc>");
}

// The references of a record naming only `url`, as a dc:identifier.
std::vector<ImageReference> references_of_url(const std::string& url) {
    HarvestedRecord record;
    record.dc["identifier"] = {{url, ""}};
    return find_image_references(record);
}

ImageReference ref(std::string url, Kind kind, std::string element, bool shown_at = false) {
    return {std::move(url), kind, std::move(element), shown_at};
}

ManifestImage page(std::string canvas, std::string label, std::string url, ImageServiceType service,
                   std::string image) {
    return {std::move(canvas), std::move(label), std::move(url), service, std::move(image)};
}

// The message of the ManifestError `f` throws, and its HTTP status.
template <typename F>
std::pair<std::string, long> refusal(F f) {
    try {
        f();
    } catch (const ManifestError& error) {
        return {error.what(), error.http_status()};
    }
    return {"(nothing thrown)", 0};
}

// tests/harvest/static_server.py serving the Cookbook's recipes.
class StaticServer : public ScriptServer {
  public:
    StaticServer() : ScriptServer("static_server.py", {"--root", kCookbook}) {}
    std::vector<std::string> requests() const { return log_lines(); }
};

const std::string kDc = "dc:identifier";

}  // namespace

// ---- references -----------------------------------------------------------------------------

TEST_CASE(
    "Dublin Core's identifier, relation and source give their http(s) URLs in document "
    "order, each kind read from the URL",
    "[record_images]") {
    const HarvestedRecord record = dc_record(R"(
        <dc:title>Atlas de la Loire</dc:title>
        <dc:identifier>ark:/12148/btv1b8451</dc:identifier>
        <dc:relation>https://partner.example.org/iiif/b8451/manifest.json</dc:relation>
        <dc:identifier>https://gallica.example.org/ark:/12148/btv1b8451</dc:identifier>
        <dc:source>https://partner.example.org/iiif/2/b8451-f1/full/full/0/default.jpg</dc:source>
        <dc:identifier>ISBN 978-2-07-036822-8</dc:identifier>
        <dc:identifier>  https://partner.example.org/scans/F2.TIF?download=1  </dc:identifier>
        <dc:identifier>urn:nbn:de:gbv:7-isbn-123</dc:identifier>
        <dc:relation>http://partner.example.org/iiif/3/b8451-f3/info.json</dc:relation>
        <dc:identifier>https://gallica.example.org/ark:/12148/btv1b8451</dc:identifier>
        <dc:source>Bibliothèque municipale, Ms 12</dc:source>
    )");
    CHECK(find_image_references(record) ==
          std::vector<ImageReference>{
              ref("https://partner.example.org/iiif/b8451/manifest.json", Kind::manifest,
                  "dc:relation"),
              ref("https://gallica.example.org/ark:/12148/btv1b8451", Kind::page, kDc),
              ref("https://partner.example.org/iiif/2/b8451-f1", Kind::image_service, "dc:source"),
              ref("https://partner.example.org/scans/F2.TIF?download=1", Kind::file, kDc),
              ref("http://partner.example.org/iiif/3/b8451-f3", Kind::image_service, "dc:relation"),
          });
}

TEST_CASE("Without metadata XML, the record's dc values are read: identifier, relation, source",
          "[record_images]") {
    HarvestedRecord record;
    record.dc["source"] = {{"https://partner.example.org/scans/p1.jp2", ""}};
    record.dc["relation"] = {{"https://partner.example.org/iiif/b1/manifest", "fr"}};
    record.dc["identifier"] = {{"https://partner.example.org/record/b1", ""},
                               {"hdl:1234/5678", ""}};
    record.dc["title"] = {{"https://partner.example.org/not-a-reference", ""}};
    CHECK(find_image_references(record) ==
          std::vector<ImageReference>{
              ref("https://partner.example.org/record/b1", Kind::page, kDc),
              ref("https://partner.example.org/iiif/b1/manifest", Kind::manifest, "dc:relation"),
              ref("https://partner.example.org/scans/p1.jp2", Kind::file, "dc:source"),
          });
}

TEST_CASE("A URL whose last path segment names a manifest is a manifest", "[record_images]") {
    for (const std::string url :
         {"https://x.example.org/iiif/b1/manifest", "https://x.example.org/iiif/b1/manifest.json",
          "https://x.example.org/iiif/b1-Manifest.json", "https://x.example.org/iiif/b1/manifest/",
          "https://x.example.org/iiif/b1/manifest.json?lang=fr"}) {
        INFO(url);
        CHECK(references_of_url(url) == std::vector<ImageReference>{ref(url, Kind::manifest, kDc)});
    }
}

TEST_CASE("An info.json or an Image API request is an image service, kept as its base",
          "[record_images]") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"https://x.example.org/iiif/b1/info.json", "https://x.example.org/iiif/b1"},
        {"https://x.example.org/iiif/3/b1/full/max/0/default.jpg",
         "https://x.example.org/iiif/3/b1"},
        {"https://x.example.org/iiif/b1/0,0,512,512/!256,256/90/gray.png",
         "https://x.example.org/iiif/b1"},
        {"https://x.example.org/iiif/b1/pct:10,10,50.5,50/pct:50/!0/bitonal.webp",
         "https://x.example.org/iiif/b1"},
        {"https://x.example.org/iiif/b1/square/^max/0/color.tif", "https://x.example.org/iiif/b1"},
        {"https://x.example.org/iiif/b1/full/,300/0/native.jpg", "https://x.example.org/iiif/b1"},
        {"https://x.example.org/iiif/ark:%2F12148%2Fb1%2Ff2/full/max/0/default.jpg?t=1",
         "https://x.example.org/iiif/ark:%2F12148%2Fb1%2Ff2"},
    };
    for (const auto& [url, base] : cases) {
        INFO(url);
        CHECK(references_of_url(url) ==
              std::vector<ImageReference>{ref(base, Kind::image_service, kDc)});
    }
}

TEST_CASE("An image file's extension makes a file, in any case, a query allowed",
          "[record_images]") {
    for (const std::string url :
         {"https://x.example.org/p/IMG_01.JPEG", "https://x.example.org/p/a.jpg",
          "https://x.example.org/p/a.tif", "https://x.example.org/p/a.Tiff",
          "https://x.example.org/p/a.jp2", "https://x.example.org/p/a.j2k",
          "https://x.example.org/p/a.png", "HTTPS://X.EXAMPLE.ORG/P/A.JPG",
          "https://x.example.org/a.jpg?s=2", "https://x.example.org/p/scan.jpg#page=2",
          // too few segments for an Image API request
          "https://x.example.org/full/max/0/default.jpg"}) {
        INFO(url);
        CHECK(references_of_url(url) == std::vector<ImageReference>{ref(url, Kind::file, kDc)});
    }
}

TEST_CASE("Any other http(s) URL is a page", "[record_images]") {
    for (const std::string url :
         {"https://x.example.org/", "http://x.example.org", "https://x.example.org/record?id=1.jpg",
          "https://x.example.org/p/a.gif", "https://n2t.net/ark:/12148/btv1b8451"}) {
        INFO(url);
        CHECK(references_of_url(url) == std::vector<ImageReference>{ref(url, Kind::page, kDc)});
    }
}

TEST_CASE("Values that are not http(s) URLs, and URLs over 2000 characters, are left out",
          "[record_images]") {
    for (const std::string value :
         {"", "ark:/12148/btv1b8451", "urn:nbn:de:gbv:7-1", "ISBN 978-2-07-036822-8",
          "doi:10.1000/182", "ftp://x.example.org/a.jpg", "file:///etc/passwd", "http://",
          "https:///a.jpg", "https://x.example.org/a b.jpg", "a page at https://x.example.org/",
          "//x.example.org/a.jpg"}) {
        INFO(value);
        CHECK(references_of_url(value).empty());
    }
    const std::string prefix = "https://x.example.org/";
    const std::string longest = prefix + std::string(2000 - prefix.size() - 4, 'a') + ".jpg";
    REQUIRE(longest.size() == 2000);
    CHECK(references_of_url(longest) == std::vector<ImageReference>{ref(longest, Kind::file, kDc)});
    CHECK(references_of_url(prefix + "a" + longest.substr(prefix.size())).empty());
}

TEST_CASE("iiifd's own EDM: the manifest, each page's image service, the landing page",
          "[record_images]") {
    const std::string response =
        read_file(IIIF_SOURCE_DIR "/tests/tools/samples/getrecord-edm.xml");
    const std::size_t begin = response.find("<rdf:RDF");
    const std::string end_tag = "</rdf:RDF>";
    const std::size_t end = response.find(end_tag) + end_tag.size();
    const std::vector<ImageReference> references =
        find_image_references(record_of(response.substr(begin, end - begin)));
    const std::string base = "https://img.example.org/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V%2F";
    const std::string landing =
        "https://img.example.org/object.html?manifest=https%3A%2F%2Fimg.example.org%2Fiiif%2F3%2F"
        "ark%3A%2F67375%2F39D-6W3GQPXD-V%2Fmanifest";
    CHECK(references == std::vector<ImageReference>{
                            ref("https://img.example.org/iiif/3/ark:/67375/39D-6W3GQPXD-V/manifest",
                                Kind::manifest, "dcterms:isReferencedBy"),
                            ref(base + "f1", Kind::image_service, "svcs:Service"),
                            ref(base + "f2", Kind::image_service, "svcs:Service"),
                            ref(landing, Kind::page, "edm:isShownAt", true),
                        });
    CHECK(choose_pages(references) ==
          PagePlan{Kind::manifest,
                   {"https://img.example.org/iiif/3/ark:/67375/39D-6W3GQPXD-V/manifest"},
                   landing});
}

TEST_CASE(
    "EDM: edm:isShownBy is the first page, before the edm:hasView met earlier, "
    "edm:isShownAt marks the landing page",
    "[record_images]") {
    const HarvestedRecord record = record_of(R"(<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dc="http://purl.org/dc/elements/1.1/"
         xmlns:edm="http://www.europeana.eu/schemas/edm/"
         xmlns:ore="http://www.openarchives.org/ore/terms/">
  <edm:ProvidedCHO rdf:about="https://museum.example.net/id/42">
    <dc:identifier>https://museum.example.net/collection/object/42</dc:identifier>
    <dc:identifier>INV 1923.42</dc:identifier>
    <dc:relation rdf:resource="https://museum.example.net/about/42"/>
  </edm:ProvidedCHO>
  <ore:Aggregation rdf:about="https://museum.example.net/id/42#aggregation">
    <edm:hasView rdf:resource="https://museum.example.net/media/42-back.jpg"/>
    <edm:hasView rdf:resource="https://museum.example.net/media/42-detail.jpg"/>
    <edm:isShownAt rdf:resource="https://museum.example.net/about/42"/>
    <edm:isShownBy rdf:resource="https://museum.example.net/media/42-front.jpg"/>
    <edm:object rdf:resource="https://museum.example.net/media/42-thumb.jpg"/>
  </ore:Aggregation>
</rdf:RDF>)");
    const std::vector<ImageReference> references = find_image_references(record);
    CHECK(references ==
          std::vector<ImageReference>{
              ref("https://museum.example.net/collection/object/42", Kind::page, kDc),
              ref("https://museum.example.net/about/42", Kind::page, "dc:relation", true),
              ref("https://museum.example.net/media/42-front.jpg", Kind::file, "edm:isShownBy"),
              ref("https://museum.example.net/media/42-back.jpg", Kind::file, "edm:hasView"),
              ref("https://museum.example.net/media/42-detail.jpg", Kind::file, "edm:hasView"),
          });
    CHECK(choose_pages(references) == PagePlan{Kind::file,
                                               {"https://museum.example.net/media/42-front.jpg",
                                                "https://museum.example.net/media/42-back.jpg",
                                                "https://museum.example.net/media/42-detail.jpg"},
                                               "https://museum.example.net/about/42"});
}

TEST_CASE(
    "EDM: dcterms:isReferencedBy is a manifest and an svcs:Service what it conforms to, "
    "whatever their URLs say",
    "[record_images]") {
    const HarvestedRecord record = record_of(R"(<rdf:RDF
         xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dc="http://purl.org/dc/elements/1.1/"
         xmlns:dcterms="http://purl.org/dc/terms/"
         xmlns:edm="http://www.europeana.eu/schemas/edm/"
         xmlns:svcs="http://rdfs.org/sioc/services#"
         xmlns:doap="http://usefulinc.com/ns/doap#">
  <edm:ProvidedCHO rdf:about="https://partner.example.org/b77">
    <dc:relation>https://partner.example.org/iiif/presentation/b77</dc:relation>
  </edm:ProvidedCHO>
  <edm:WebResource rdf:about="https://partner.example.org/view/b77/1">
    <dcterms:isReferencedBy rdf:resource="https://partner.example.org/iiif/presentation/b77"/>
  </edm:WebResource>
  <svcs:Service rdf:about="https://partner.example.org/images/b77-1/info.json">
    <dcterms:conformsTo rdf:resource="http://iiif.io/api/image"/>
  </svcs:Service>
  <svcs:Service rdf:about="https://partner.example.org/images/b77-2">
    <doap:implements rdf:resource="http://iiif.io/api/image/2/level1.json"/>
  </svcs:Service>
  <svcs:Service rdf:about="https://partner.example.org/presentation/b77-bis">
    <dcterms:conformsTo rdf:resource="http://iiif.io/api/presentation"/>
  </svcs:Service>
  <svcs:Service rdf:about="https://partner.example.org/other/service"/>
</rdf:RDF>)");
    CHECK(
        find_image_references(record) ==
        std::vector<ImageReference>{
            ref("https://partner.example.org/iiif/presentation/b77", Kind::manifest, "dc:relation"),
            ref("https://partner.example.org/images/b77-1", Kind::image_service, "svcs:Service"),
            ref("https://partner.example.org/images/b77-2", Kind::image_service, "svcs:Service"),
            ref("https://partner.example.org/presentation/b77-bis", Kind::manifest, "svcs:Service"),
            ref("https://partner.example.org/other/service", Kind::page, "svcs:Service"),
        });
}

// ---- plans ----------------------------------------------------------------------------------

TEST_CASE("The plan fetches the first manifest when there is one", "[record_images]") {
    const std::vector<ImageReference> references = {
        ref("https://x.example.org/a.jpg", Kind::file, kDc),
        ref("https://x.example.org/iiif/a", Kind::image_service, kDc),
        ref("https://x.example.org/m1/manifest", Kind::manifest, kDc),
        ref("https://x.example.org/record/1", Kind::page, kDc),
        ref("https://x.example.org/m2/manifest", Kind::manifest, kDc),
    };
    const PagePlan plan = choose_pages(references);
    CHECK(plan == PagePlan{Kind::manifest,
                           {"https://x.example.org/m1/manifest"},
                           "https://x.example.org/record/1"});
    CHECK_FALSE(plan.described_only());
}

TEST_CASE("Without a manifest the plan fetches every image service, else every file, in order",
          "[record_images]") {
    CHECK(choose_pages({
              ref("https://x.example.org/a.jpg", Kind::file, kDc),
              ref("https://x.example.org/iiif/a", Kind::image_service, kDc),
              ref("https://x.example.org/record/1", Kind::page, kDc),
              ref("https://x.example.org/iiif/b", Kind::image_service, kDc),
          }) == PagePlan{Kind::image_service,
                         {"https://x.example.org/iiif/a", "https://x.example.org/iiif/b"},
                         "https://x.example.org/record/1"});
    CHECK(choose_pages({
              ref("https://x.example.org/record/1", Kind::page, kDc),
              ref("https://x.example.org/b.tif", Kind::file, kDc),
              ref("https://x.example.org/record/2", Kind::page, kDc),
              ref("https://x.example.org/a.jpg", Kind::file, kDc),
          }) == PagePlan{Kind::file,
                         {"https://x.example.org/b.tif", "https://x.example.org/a.jpg"},
                         "https://x.example.org/record/1"});
}

TEST_CASE("A record with no manifest, image service or file is described only", "[record_images]") {
    const PagePlan pages_only = choose_pages({
        ref("https://x.example.org/record/1", Kind::page, kDc),
        ref("https://x.example.org/shown", Kind::page, "edm:isShownAt", true),
    });
    CHECK(pages_only == PagePlan{Kind::page, {}, "https://x.example.org/shown"});
    CHECK(pages_only.described_only());
    const PagePlan nothing = choose_pages({});
    CHECK(nothing == PagePlan{Kind::page, {}, ""});
    CHECK(nothing.described_only());
}

// ---- manifests ------------------------------------------------------------------------------

TEST_CASE("A 3.0 manifest's image without a service is the image itself (cookbook 0001)",
          "[record_images]") {
    CHECK(manifest_images(read_file(kCookbook + "0001-mvm-image.json")) ==
          std::vector<ManifestImage>{
              page("https://iiif.io/api/cookbook/recipe/0001-mvm-image/canvas/p1", "",
                   "https://iiif.io/api/presentation/2.1/example/fixtures/resources/page1-full.png",
                   ImageServiceType::none,
                   "https://iiif.io/api/presentation/2.1/example/fixtures/resources/"
                   "page1-full.png"),
          });
}

TEST_CASE("A 3.0 manifest's image service is kept with its type (cookbook 0005)",
          "[record_images]") {
    const std::string service =
        "https://iiif.io/api/image/3.0/example/reference/"
        "918ecd18c2592080851777620de9bcb5-gottingen";
    CHECK(manifest_images(read_file(kCookbook + "0005-image-service.json")) ==
          std::vector<ManifestImage>{
              page("https://iiif.io/api/cookbook/recipe/0005-image-service/canvas/p1",
                   "Canvas with a single IIIF image", service, ImageServiceType::image_service3,
                   service + "/full/max/0/default.jpg"),
          });
}

TEST_CASE("A 3.0 book's pages come in canvas order with their labels (cookbook 0009)",
          "[record_images]") {
    const std::string canvas = "https://iiif.io/api/cookbook/recipe/0009-book-1/canvas/p";
    const std::string service =
        "https://iiif.io/api/image/3.0/example/reference/"
        "59d09e6773341f28ea166e9f3c1e674f-gallica_ark_12148_bpt6k1526005v_f";
    const auto book_page = [&](int n, const std::string& label) {
        const std::string base = service + std::to_string(17 + n);
        return page(canvas + std::to_string(n), label, base, ImageServiceType::image_service3,
                    base + "/full/max/0/default.jpg");
    };
    CHECK(manifest_images(read_file(kCookbook + "0009-book-1.json")) ==
          std::vector<ManifestImage>{book_page(1, "Blank page"), book_page(2, "Frontispiece"),
                                     book_page(3, "Title page"), book_page(4, "Blank page"),
                                     book_page(5, "Bookplate")});
}

TEST_CASE("A 2.1 manifest's pages: the service's @id and profile, else the image",
          "[record_images]") {
    const std::string canvas = "https://partner.example.org/iiif/book/canvas/c";
    const std::string image = "https://partner.example.org/iiif/2/book-00";
    CHECK(manifest_images(read_file(kManifests + "book-2.1.json")) ==
          std::vector<ManifestImage>{
              page(canvas + "1", "f. 1r", image + "1", ImageServiceType::image_service2,
                   image + "1/full/full/0/default.jpg"),
              page(canvas + "2", "f. 1v", image + "2", ImageServiceType::image_service2,
                   image + "2/full/full/0/default.jpg"),
              page(canvas + "3", "", "https://partner.example.org/scans/book-003.tif",
                   ImageServiceType::none, "https://partner.example.org/scans/book-003.tif"),
          });
}

TEST_CASE(
    "A 3.0 canvas: the first painting image (a Choice's first item), the newest Image "
    "API of its services, canvases without an image are passed over",
    "[record_images]") {
    const std::string manifest = R"({
      "@context": "http://iiif.io/api/presentation/3/context.json",
      "id": "https://x.example.org/m/manifest", "type": "Manifest",
      "items": [
        {"id": "https://x.example.org/m/c1", "type": "Canvas", "label": {"none": ["[1]"]},
         "items": [{"type": "AnnotationPage", "items": [
           {"type": "Annotation", "motivation": "commenting",
            "body": {"type": "TextualBody", "value": "a note"}},
           {"type": "Annotation", "motivation": "painting",
            "body": {"type": "Choice", "items": [
              {"id": "https://x.example.org/img/c1-natural/full/max/0/default.jpg", "type": "Image",
               "service": [
                 {"@id": "https://x.example.org/img2/c1-natural", "@type": "ImageService2",
                  "profile": "level2"},
                 {"id": "https://x.example.org/img/c1-natural/", "type": "ImageService3",
                  "profile": "level1"},
                 {"id": "https://x.example.org/auth/login", "type": "AuthAccessService2"}]},
              {"id": "https://x.example.org/img/c1-xray.jpg", "type": "Image"}]}}]}]},
        {"id": "https://x.example.org/m/c2", "type": "Canvas", "duration": 12.5,
         "items": [{"type": "AnnotationPage", "items": [
           {"type": "Annotation", "motivation": "painting",
            "body": {"id": "https://x.example.org/a.mp3", "type": "Sound"}}]}]},
        {"id": "https://x.example.org/m/c3", "type": "Canvas",
         "label": {"fr": ["Verso"], "en": ["Back"]},
         "items": [{"type": "AnnotationPage", "items": [
           {"type": "Annotation", "motivation": "painting",
            "body": [{"id": "https://x.example.org/img/c3.png", "type": "Image"}]}]}]}
      ]})";
    CHECK(manifest_images(manifest) ==
          std::vector<ManifestImage>{
              page("https://x.example.org/m/c1", "[1]", "https://x.example.org/img/c1-natural",
                   ImageServiceType::image_service3,
                   "https://x.example.org/img/c1-natural/full/max/0/default.jpg"),
              page("https://x.example.org/m/c3", "Verso", "https://x.example.org/img/c3.png",
                   ImageServiceType::none, "https://x.example.org/img/c3.png"),
          });
}

TEST_CASE(
    "What is not a manifest, a manifest of no canvas or of no image, are refused with "
    "the reason",
    "[record_images]") {
    const auto reason = [](const std::string& json) {
        return refusal([&] { manifest_images(json); }).first;
    };
    CHECK(reason("<html></html>") == "not JSON: '[' or '{' expected near '<' (line 1)");
    CHECK(reason(R"({"type": "Manifest", "items": [)") ==
          "not JSON: ']' expected near end of file (line 1)");
    CHECK(reason("[1, 2]") == "not a IIIF manifest: not a JSON object");
    CHECK(reason(R"({"id": "https://x.example.org/"})") == "not a IIIF manifest: it has no type");
    CHECK(reason(R"({"type": "Collection", "items": []})") ==
          R"(not a IIIF manifest: its type is "Collection")");
    CHECK(reason(R"({"@type": "sc:Collection"})") ==
          R"(not a IIIF manifest: its type is "sc:Collection")");
    CHECK(reason(R"({"type": "Manifest", "items": []})") == "the manifest has no canvas");
    CHECK(reason(R"({"type": "Manifest"})") == "the manifest has no canvas");
    CHECK(reason(R"({"@type": "sc:Manifest", "sequences": []})") == "the manifest has no canvas");
    CHECK(reason(R"({"type": "Manifest", "items": [{"id": "c1", "type": "Canvas"}]})") ==
          "no canvas of the manifest has an image");
}

TEST_CASE("A manifest of more canvases than the limit (2000 unless set) is refused",
          "[record_images]") {
    std::string many = R"({"type": "Manifest", "items": [)";
    for (int i = 0; i < 2001; ++i) many += i ? ",{}" : "{}";
    many += "]}";
    CHECK(refusal([&] { manifest_images(many); }).first ==
          "the manifest has 2001 canvases, more than 2000");
    ManifestLimits four;
    four.max_canvases = 4;
    CHECK(refusal([&] {
              manifest_images(read_file(kCookbook + "0009-book-1.json"), four);
          }).first == "the manifest has 5 canvases, more than 4");
    four.max_canvases = 5;
    CHECK(manifest_images(read_file(kCookbook + "0009-book-1.json"), four).size() == 5);
}

// ---- fetching -------------------------------------------------------------------------------

TEST_CASE("A manifest is fetched whole, gzip asked for and decoded", "[record_images]") {
    StaticServer server;
    const std::string body = fetch_manifest(server.url("/files/0009-book-1.json"));
    CHECK(body == read_file(kCookbook + "0009-book-1.json"));
    CHECK(manifest_images(body).size() == 5);
    const std::vector<std::string> requests = server.requests();
    REQUIRE(requests.size() == 1);
    CHECK(json_text(requests[0], "coding") == "gzip");
    CHECK(json_text(requests[0], "user_agent") == "iiifd-harvester/1.0 (IIIF)");
}

TEST_CASE("A manifest fetch answered with an error status is refused with the status",
          "[record_images]") {
    StaticServer server;
    const std::string url = server.url("/files/missing.json");
    CHECK(refusal([&] { fetch_manifest(url); }) ==
          std::pair<std::string, long>{url + ": HTTP 404", 404});
}

TEST_CASE("A manifest larger than the limit, counted decoded, is refused", "[record_images]") {
    StaticServer server;
    const std::string url = server.url("/files/0009-book-1.json");  // 6901 bytes, 736 gzipped
    FetchLimits limits;
    limits.max_bytes = 1000;
    CHECK(refusal([&] { fetch_manifest(url, limits); }).first ==
          url + ": the answer is larger than 1000 bytes");
    limits.max_bytes = 6901;
    CHECK(fetch_manifest(url, limits).size() == 6901);
}

TEST_CASE("A manifest fetch follows up to 5 redirects, to http(s) only", "[record_images]") {
    StaticServer server;
    CHECK(fetch_manifest(server.url("/redirect/5/0005-image-service.json")) ==
          read_file(kCookbook + "0005-image-service.json"));
    CHECK(server.requests().size() == 6);
    const std::string six = server.url("/redirect/6/0005-image-service.json");
    CHECK(refusal([&] { fetch_manifest(six); }).first == six + ": more than 5 redirects");
    const std::string elsewhere = server.url("/elsewhere");
    CHECK(refusal([&] { fetch_manifest(elsewhere); }).first ==
          elsewhere + ": redirected to a scheme other than http or https");
    CHECK(refusal([] { fetch_manifest("file:///etc/passwd"); }).first ==
          "file:///etc/passwd: not an http or https URL");
}

TEST_CASE("A manifest fetch gives up after its timeout", "[record_images]") {
    StaticServer server;
    const std::string url = server.url("/slow/3/0001-mvm-image.json");
    FetchLimits limits;
    limits.timeout = 500ms;
    const auto start = Clock::now();
    CHECK(refusal([&] { fetch_manifest(url, limits); }).first ==
          url + ": no whole answer within 500 ms");
    CHECK(Clock::now() - start < 2s);
}
