// The pages of harvested records (harvest_pages.hpp, HarvestObjects): an image service's whole
// image asked for as its version allows, pages staged in order and refused when they are no
// image or over a limit, and harvests end to end against tests/harvest/fixture_provider.py and
// tests/harvest/static_server.py (files, a manifest, image services): each record's pages
// fetched once, kept while its metadata changes, fetched again when its images change, tried
// again while they fail.
#include "harvest_pages.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "api_harness.hpp"
#include "harvest_side.hpp"
#include "oai_fixture.hpp"
#include "test_images.hpp"

using daemon_harness::Fixture;
using daemon_harness::json_integer;
using daemon_harness::json_text;
using daemon_harness::read_file;
using daemon_harness::ScriptServer;
using daemon_harness::write_file;
using harvest_harness::ObjectsSide;
using namespace iiifd;
namespace fs = std::filesystem;

namespace {

// tests/harvest/static_server.py over a directory of its own: files, manifests and images the
// test writes, and an Image API service over each.
class Site : public ScriptServer {
  public:
    explicit Site(const std::string& name)
        : ScriptServer("static_server.py", {"--root", fresh_root(name)}), name_(name) {}

    // The path of file `file` of the site.
    std::string path(const std::string& file) const { return root(name_) + "/" + file; }

    // A real image of `width` x `height` as `file` (JPEG or PNG by its extension); its bytes.
    std::string image(const std::string& file, int width, int height,
                      test_images::Rgb colour = test_images::kRed) const {
        return read_file(test_images::save(test_images::solid(width, height, colour),
                                           folder(name_) + "/" + file));
    }

    void write(const std::string& file, const std::string& text) const {
        write_file(path(file), text);
    }

    // The paths requested, in order, and their statuses.
    std::vector<std::string> paths() const {
        std::vector<std::string> all;
        for (const std::string& line : log_lines()) all.push_back(json_text(line, "path"));
        return all;
    }
    std::vector<long long> statuses() const {
        std::vector<long long> all;
        for (const std::string& line : log_lines()) all.push_back(json_integer(line, "status"));
        return all;
    }

  private:
    static std::string folder(const std::string& name) { return "harvest-pages-" + name; }
    static std::string root(const std::string& name) {
        return (test_images::scratch_dir() / folder(name)).string();
    }
    static std::string fresh_root(const std::string& name) {
        fs::remove_all(root(name));
        fs::create_directories(root(name));
        return root(name);
    }

    std::string name_;
};

// The paths of `all` after the first `seen`.
std::vector<std::string> after(const std::vector<std::string>& all, std::size_t seen) {
    return {all.begin() + static_cast<std::ptrdiff_t>(std::min(seen, all.size())), all.end()};
}

// What `f` throws as an `Error`: its message and HTTP status.
template <typename Error, typename F>
std::pair<std::string, long> refusal(F f) {
    try {
        f();
    } catch (const Error& error) {
        return {error.what(), error.http_status()};
    }
    return {"(nothing thrown)", 0};
}

// A fresh staging directory.
std::string stage(const std::string& name) {
    const fs::path made = test_images::scratch_dir() / ("harvest-pages-stage-" + name);
    fs::remove_all(made);
    fs::create_directories(made);
    return made.string();
}

// A Presentation 3.0 manifest at `id` whose canvases each paint the whole image of one Image
// API 3.0 service of `services`, in order.
std::string manifest_v3(const std::string& id, const std::vector<std::string>& services) {
    std::string canvases;
    for (std::size_t i = 0; i < services.size(); ++i) {
        const std::string canvas = id + "/canvas/" + std::to_string(i + 1);
        canvases += std::string(i ? "," : "") + R"({"id": ")" + canvas +
                    R"(", "type": "Canvas", "width": 1000, "height": 800, "items": [{"id": ")" +
                    canvas + R"(/page", "type": "AnnotationPage", "items": [{"id": ")" + canvas +
                    R"(/painting", "type": "Annotation", "motivation": "painting", "target": ")" +
                    canvas + R"(", "body": {"id": ")" + services[i] +
                    R"(/full/max/0/default.jpg", "type": "Image", "format": "image/jpeg", )"
                    R"("width": 1000, "height": 800, "service": [{"id": ")" +
                    services[i] + R"(", "type": "ImageService3", "profile": "level1"}]}}]}]})";
    }
    return R"({"@context": "http://iiif.io/api/presentation/3/context.json", "id": ")" + id +
           R"(", "type": "Manifest", "label": {"en": ["A book"]}, "items": [)" + canvases + "]}";
}

// The JSON list of URLs, for a fixture's configuration.
std::string json_list(const std::vector<std::string>& urls) {
    std::string list;
    for (const std::string& url : urls)
        list += std::string(list.empty() ? "" : ", ") + '"' + url + '"';
    return "[" + list + "]";
}

std::string record_id(int n) {
    return "oai:fixture.example.org:rec-000" + std::to_string(n);
}

// The objects of a harvest by their record's number.
std::map<int, iiif::ObjectRecord> by_record(const ObjectsSide& side) {
    std::map<int, iiif::ObjectRecord> objects;
    for (const iiif::ObjectRecord& object : side.objects()) {
        const std::string& identifier = object.metadata.origin->identifier;
        objects[std::stoi(identifier.substr(identifier.rfind('-') + 1))] = object;
    }
    return objects;
}

// Each page of an object: "{width}x{height}".
std::vector<std::string> page_sizes(const ObjectsSide& side, const iiif::ObjectRecord& object) {
    std::vector<std::string> sizes;
    for (const std::string& id : object.images) {
        const std::optional<iiif::ImageRecord> image = side.catalog->reader().image(id);
        sizes.push_back(image ? std::to_string(image->source.width) + "x" +
                                    std::to_string(image->source.height)
                              : "(none)");
    }
    return sizes;
}

long line_count(const std::string& path) {
    const std::string text = fs::exists(path) ? read_file(path) : "";
    return static_cast<long>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

// ---- the whole image of a service -----------------------------------------------------------

TEST_CASE(
    "An image service's whole image is asked at the largest size its version serves (3 max, "
    "2.0 full, 2.1 with limits max, 1.1 full and native)",
    "[harvest_pages]") {
    Site site("versions");
    const std::string bytes = site.image("a.jpg", 64, 48);
    const auto whole = [&](const std::string& version) {
        return whole_image_url(site.url("/" + version + "/a.jpg"), {});
    };
    CHECK(whole("iiif3") == site.url("/iiif3/a.jpg/full/max/0/default.jpg"));
    CHECK(whole("iiif2") == site.url("/iiif2/a.jpg/full/full/0/default.jpg"));
    CHECK(whole("iiif21") == site.url("/iiif21/a.jpg/full/max/0/default.jpg"));
    CHECK(whole("iiif1") == site.url("/iiif1/a.jpg/full/full/0/native.jpg"));
    // A base written with a trailing slash is the same service.
    CHECK(whole_image_url(site.url("/iiif3/a.jpg/"), {}) ==
          site.url("/iiif3/a.jpg/full/max/0/default.jpg"));
    // The service serves each of them (it answers 400 to a size its version should not get).
    for (const std::string version : {"iiif3", "iiif2", "iiif21", "iiif1"})
        CHECK(fetch_text(whole(version), "image/*") == bytes);
    const std::vector<long long> statuses = site.statuses();
    CHECK(std::all_of(statuses.begin(), statuses.end(), [](long long s) { return s == 200; }));
}

TEST_CASE("An info.json that is no Image API's, or that cannot be had, is refused",
          "[harvest_pages]") {
    Site site("not-info");
    site.write("info.json", R"({"@context": "http://iiif.io/api/presentation/3/context.json", )"
                            R"("id": "https://partner.example.org/m", "type": "Manifest"})");
    site.write("text", "<html></html>");
    const std::string not_info = site.url("/files/info.json");
    CHECK(refusal<ManifestError>([&] { whole_image_url(site.url("/files"), {}); }) ==
          std::pair<std::string, long>{
              not_info + ": not the info.json of an Image API 1, 2 or 3 service", 0});
    site.write("info.json", "[1, 2]");
    CHECK(refusal<ManifestError>([&] { whole_image_url(site.url("/files"), {}); }).first ==
          not_info + ": not the info.json of an Image API 1, 2 or 3 service");
    site.write("info.json", "<html></html>");
    CHECK(refusal<ManifestError>([&] { whole_image_url(site.url("/files/"), {}); }).first ==
          not_info + ": not JSON: '[' or '{' expected near '<'");
    const std::string missing = site.url("/iiif3/missing.jpg/info.json");
    CHECK(refusal<FetchError>([&] { whole_image_url(site.url("/iiif3/missing.jpg"), {}); }) ==
          std::pair<std::string, long>{missing + ": HTTP 404", 404});
}

// ---- staging --------------------------------------------------------------------------------

TEST_CASE("Pages are staged in page order as {page}-{name}, with the bytes served",
          "[harvest_pages]") {
    Site site("staged");
    const std::string a = site.image("a.jpg", 64, 48);
    const std::string b = site.image("b.png", 32, 24, test_images::kGreen);
    const std::string directory = stage("staged");
    PagePlan plan;
    plan.fetch = ReferenceKind::file;
    plan.urls = {site.url("/files/a.jpg"), site.url("/files/b.png")};
    const std::vector<DepositFile> files = fetch_pages(plan, directory, {});
    REQUIRE(files.size() == 2);
    CHECK(files[0].staged_path == directory + "/1-a.jpg");
    CHECK(files[0].original_name == "a.jpg");
    CHECK(files[1].staged_path == directory + "/2-b.png");
    CHECK(files[1].original_name == "b.png");
    CHECK(read_file(files[0].staged_path) == a);
    CHECK(read_file(files[1].staged_path) == b);
    CHECK(site.paths() == std::vector<std::string>{"/files/a.jpg", "/files/b.png"});

    // An image service's page, under the name of what it serves.
    plan.fetch = ReferenceKind::image_service;
    plan.urls = {site.url("/iiif3/b.png")};
    const std::vector<DepositFile> served = fetch_pages(plan, stage("service"), {});
    REQUIRE(served.size() == 1);
    CHECK(fs::path(served[0].staged_path).filename() == "1-image.jpg");
    CHECK(read_file(served[0].staged_path) == b);
}

TEST_CASE("A page answered with a type that is no image is refused, naming the type",
          "[harvest_pages]") {
    Site site("html");
    site.write("page.jpg", "<html><body>Not found, but 200</body></html>");
    site.write("types.json", R"({"page.jpg": "text/html"})");
    PagePlan plan;
    plan.fetch = ReferenceKind::file;
    plan.urls = {site.url("/files/page.jpg")};
    CHECK(refusal<FetchError>([&] { fetch_pages(plan, stage("html"), {}); }) ==
          std::pair<std::string, long>{plan.urls[0] + ": text/html is not an image", 0});
}

TEST_CASE("A page over the images' byte limit is refused", "[harvest_pages]") {
    Site site("large");
    const std::string bytes = site.image("a.jpg", 64, 48);
    PagePlan plan;
    plan.fetch = ReferenceKind::file;
    plan.urls = {site.url("/files/a.jpg")};
    PageFetchLimits limits;
    limits.images.max_bytes = bytes.size() - 1;
    CHECK(refusal<FetchError>([&] { fetch_pages(plan, stage("large"), limits); }).first ==
          plan.urls[0] + ": the answer is larger than " + std::to_string(bytes.size() - 1) +
              " bytes");
    limits.images.max_bytes = bytes.size();
    CHECK(fetch_pages(plan, stage("large"), limits).size() == 1);
}

TEST_CASE("More pages than an object may have are refused before any is fetched",
          "[harvest_pages]") {
    Site site("many");
    site.image("a.jpg", 16, 16);
    PageFetchLimits limits;
    limits.max_pages = 2;
    PagePlan plan;
    plan.fetch = ReferenceKind::file;
    plan.urls = {site.url("/files/a.jpg"), site.url("/files/a.jpg?2"), site.url("/files/a.jpg?3")};
    CHECK(refusal<ManifestError>([&] { fetch_pages(plan, stage("many"), limits); }).first ==
          "more than 2 pages (the most an object may have)");
    plan.fetch = ReferenceKind::image_service;
    CHECK(refusal<ManifestError>([&] { fetch_pages(plan, stage("many"), limits); }).first ==
          "more than 2 pages (the most an object may have)");
    // A manifest's canvases are counted as it is read.
    site.write("book-manifest.json",
               manifest_v3(
                   site.url("/files/book-manifest.json"),
                   {site.url("/iiif3/a.jpg"), site.url("/iiif3/a.jpg"), site.url("/iiif3/a.jpg")}));
    plan.fetch = ReferenceKind::manifest;
    plan.urls = {site.url("/files/book-manifest.json")};
    CHECK(refusal<ManifestError>([&] { fetch_pages(plan, stage("many"), limits); }).first ==
          "the manifest has 3 canvases, more than 2");
    CHECK(site.paths() == std::vector<std::string>{"/files/book-manifest.json"});
}

// ---- harvests -------------------------------------------------------------------------------

TEST_CASE(
    "A harvest fetches each record's pages once (files, a manifest's, a service's), a page "
    "that is no image fails its record until it is one, new images are fetched again",
    "[harvest_pages]") {
    Site site("harvest");
    ObjectsSide side("pages");
    site.image("a1.jpg", 320, 240);
    site.image("a2.png", 200, 160, test_images::kGreen);
    site.image("b1.jpg", 288, 192, test_images::kBlue);
    site.image("b2.jpg", 176, 256, test_images::kWhite);
    site.image("c.jpg", 256, 256);
    site.write("d.jpg", "<html><body>The image viewer</body></html>");
    site.write("types.json", R"({"d.jpg": "text/html"})");
    const std::string manifest = site.url("/files/b-manifest.json");
    site.write("b-manifest.json",
               manifest_v3(manifest, {site.url("/iiif3/b1.jpg"), site.url("/iiif3/b2.jpg")}));
    const std::string d = site.url("/files/d.jpg");
    // Record 1: two files; 2: a manifest of two canvases; 3: an image service's info.json (2.1,
    // its limits in its profile); 4: a page at an image's URL; 5: nothing.
    const auto feed = [&](const std::vector<std::string>& files, const std::string& more) {
        return R"({"records": 5, "page_size": 2, "images": {"1": )" + json_list(files) +
               R"(, "2": )" + json_list({manifest}) + R"(, "3": )" +
               json_list({site.url("/iiif21/c.jpg/info.json")}) + R"(, "4": )" + json_list({d}) +
               "}" + more + "}";
    };
    const std::vector<std::string> two = {site.url("/files/a1.jpg"), site.url("/files/a2.png")};
    const std::string pages_tsv = side.config.storage_root + "/harvests/fixture/pages.tsv";

    Fixture fixture(feed(two, ""));
    const HarvestRun first = side.harvest(fixture);
    REQUIRE(first.status == "done");
    CHECK(first.counts.created == 5);
    CHECK(first.counts.failed == 0);
    CHECK(first.counts.pages_fetched == 5);
    CHECK(first.counts.pages_failed == 1);
    REQUIRE(first.failures.size() == 1);
    CHECK(first.failures[0].identifier == record_id(4));
    CHECK(first.failures[0].reason == "pages: " + d + ": text/html is not an image");
    std::map<int, iiif::ObjectRecord> objects = by_record(side);
    REQUIRE(objects.size() == 5);
    CHECK(page_sizes(side, objects[1]) == std::vector<std::string>{"320x240", "200x160"});
    CHECK(page_sizes(side, objects[2]) == std::vector<std::string>{"288x192", "176x256"});
    CHECK(page_sizes(side, objects[3]) == std::vector<std::string>{"256x256"});
    CHECK(objects[4].images.empty());
    CHECK(objects[5].images.empty());
    for (auto& [n, object] : objects) CHECK(object.state == iiif::RecordState::active);
    CHECK(line_count(pages_tsv) == 3);
    // Page by page, record by record; a manifest's services read before their images; every
    // request answered 200 (the services answer 400 to a size their version should not get).
    CHECK(site.paths() == std::vector<std::string>{
                              "/files/a1.jpg", "/files/a2.png", "/files/b-manifest.json",
                              "/iiif3/b1.jpg/info.json", "/iiif3/b2.jpg/info.json",
                              "/iiif3/b1.jpg/full/max/0/default.jpg",
                              "/iiif3/b2.jpg/full/max/0/default.jpg", "/iiif21/c.jpg/info.json",
                              "/iiif21/c.jpg/full/max/0/default.jpg", "/files/d.jpg"});
    const std::vector<long long> statuses = site.statuses();
    CHECK(std::all_of(statuses.begin(), statuses.end(), [](long long s) { return s == 200; }));
    // Nothing of the fetch is left in staging.
    CHECK(fs::is_empty(side.config.staging_dir));

    // The same feed again: the pages in are not fetched again; record 4's, which failed, is
    // tried again (and fails again).
    std::size_t seen = site.paths().size();
    const HarvestRun second = side.harvest(fixture);
    CHECK(second.counts.unchanged == 5);
    CHECK(second.counts.pages_fetched == 0);
    CHECK(second.counts.pages_failed == 1);
    CHECK(after(site.paths(), seen) == std::vector<std::string>{"/files/d.jpg"});
    CHECK(by_record(side)[1].images == objects[1].images);

    // Only the metadata changes (and the base URL, another fixture's): objects updated, their
    // pages kept, not fetched.
    const std::int64_t version = side.catalog->reader().image(objects[2].images[1])->version;
    Fixture described(feed(two, R"(, "filler": 40)"));
    seen = site.paths().size();
    const HarvestRun third = side.harvest(described);
    CHECK(third.counts.updated == 5);
    CHECK(third.counts.pages_fetched == 0);
    CHECK(third.counts.pages_failed == 1);
    CHECK(after(site.paths(), seen) == std::vector<std::string>{"/files/d.jpg"});
    std::map<int, iiif::ObjectRecord> updated = by_record(side);
    for (int n = 1; n <= 5; ++n) {
        CHECK(updated[n].metadata.dc.at("description").front().value == std::string(40, 'x'));
        CHECK(updated[n].images == objects[n].images);
    }
    CHECK(page_sizes(side, updated[2]) == std::vector<std::string>{"288x192", "176x256"});
    CHECK(side.catalog->reader().image(updated[2].images[1])->version == version);

    // Record 4's URL serves its image now: only its page is fetched.
    site.image("d.jpg", 400, 304);
    site.write("types.json", "{}");
    seen = site.paths().size();
    const HarvestRun fourth = side.harvest(described);
    CHECK(fourth.counts.unchanged == 5);
    CHECK(fourth.counts.pages_fetched == 1);
    CHECK(fourth.counts.pages_failed == 0);
    CHECK(fourth.failures.empty());
    CHECK(after(site.paths(), seen) == std::vector<std::string>{"/files/d.jpg"});
    CHECK(page_sizes(side, by_record(side)[4]) == std::vector<std::string>{"400x304"});
    CHECK(line_count(pages_tsv) == 4);

    // Record 1 names a third file: its pages are fetched again, three of them.
    site.image("a3.jpg", 144, 96, test_images::kBlue);
    std::vector<std::string> three = two;
    three.push_back(site.url("/files/a3.jpg"));
    Fixture more(feed(three, R"(, "filler": 40)"));
    seen = site.paths().size();
    const HarvestRun fifth = side.harvest(more);
    CHECK(fifth.counts.pages_fetched == 3);
    CHECK(fifth.counts.pages_failed == 0);
    CHECK(after(site.paths(), seen) ==
          std::vector<std::string>{"/files/a1.jpg", "/files/a2.png", "/files/a3.jpg"});
    const iiif::ObjectRecord one = by_record(side)[1];
    CHECK(page_sizes(side, one) == std::vector<std::string>{"320x240", "200x160", "144x96"});
    CHECK(std::vector<std::string>(one.images.begin(), one.images.begin() + 2) ==
          objects[1].images);
    CHECK(line_count(pages_tsv) == 5);
    seen = site.paths().size();
    CHECK(side.harvest(more).counts.pages_fetched == 0);
    CHECK(site.paths().size() == seen);
}

TEST_CASE("A partner whose images are not fetched has described objects only", "[harvest_pages]") {
    Site site("metadata");
    ObjectsSide side("metadata-only");
    site.image("a.jpg", 64, 48);
    Fixture fixture(R"({"records": 1, "images": {"1": [")" + site.url("/files/a.jpg") + R"("]}})");
    Partner partner = side.partner(fixture);
    partner.images = PartnerImages::metadata;
    const HarvestRun run = side.harvest(partner);
    CHECK(run.counts.created == 1);
    CHECK(run.counts.pages_fetched == 0);
    CHECK(run.counts.pages_failed == 0);
    REQUIRE(side.objects().size() == 1);
    CHECK(side.objects()[0].images.empty());
    CHECK(site.paths().empty());
    CHECK_FALSE(fs::exists(side.config.storage_root + "/harvests/fixture/pages.tsv"));
}

TEST_CASE(
    "A record one of whose pages the ingest refuses keeps the others and is tried again at "
    "the next harvest",
    "[harvest_pages]") {
    Site site("refused");
    ObjectsSide side("refused");
    site.image("good.png", 96, 64);
    site.write("broken.jpg", "no JPEG at all");  // served as image/jpeg
    const std::string broken = site.url("/files/broken.jpg");
    Fixture fixture(R"({"records": 1, "images": {"1": [")" + site.url("/files/good.png") +
                    R"(", ")" + broken + R"("]}})");
    const std::string pages_tsv = side.config.storage_root + "/harvests/fixture/pages.tsv";

    const HarvestRun first = side.harvest(fixture);
    CHECK(first.counts.pages_fetched == 1);
    CHECK(first.counts.pages_failed == 1);
    REQUIRE(first.failures.size() == 1);
    CHECK(first.failures[0].identifier == record_id(1));
    CHECK(first.failures[0].reason.starts_with("pages: page 2 (broken.jpg): "));
    REQUIRE(side.objects().size() == 1);
    CHECK(page_sizes(side, side.objects()[0]) == std::vector<std::string>{"96x64"});
    CHECK(line_count(pages_tsv) == 0);

    // Mended at the source: both pages fetched again, the first found already in.
    site.image("broken.jpg", 48, 32);
    const std::size_t seen = site.paths().size();
    const HarvestRun second = side.harvest(fixture);
    CHECK(second.counts.pages_fetched == 2);
    CHECK(second.counts.pages_failed == 0);
    CHECK(after(site.paths(), seen) ==
          std::vector<std::string>{"/files/good.png", "/files/broken.jpg"});
    CHECK(page_sizes(side, side.objects()[0]) == std::vector<std::string>{"96x64", "48x32"});
    CHECK(line_count(pages_tsv) == 1);
}
