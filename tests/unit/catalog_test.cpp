// The catalog (catalog.mdb): records by any ARK form, minting, the idempotency and OAI-PMH
// indexes, withdrawal, persistence, and readers that see the writer's commits.
#include "catalog.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "catalog_fixtures.hpp"
#include "iiif_error.hpp"
#include "image_service.hpp"
#include "image_source.hpp"
#include "test_images.hpp"

using namespace iiif;
using catalog_fixtures::open_writer;

namespace {

constexpr const char* kArk = "ark:/67375/39D-6W3GQPXD-V";
constexpr const char* kOtherArk = "ark:/67375/39D-S2GXG1TW-8";

// A fresh catalog path per test.
std::string catalog_path(const std::string& name) {
    return catalog_fixtures::catalog_path("catalog-", name);
}

SourceInfo pyramid_source() {
    SourceInfo source;
    source.format = SourceFormat::tiff;
    source.width = 2000;
    source.height = 1500;
    source.tiled = true;
    source.tile_width = source.tile_height = 256;
    source.levels = {{1, 2000, 1500, 0, 1}, {2, 1000, 750, 1, 1}, {4, 500, 375, 2, 1}};
    return source;
}

ImageRecord image_of(const std::string& ark, int index, const std::string& sha = "") {
    ImageRecord image;
    image.id = ark + "/f" + std::to_string(index);
    image.object = ark;
    image.index = index;
    image.master_path = "/srv/masters/" + std::to_string(index) + ".tif";
    image.original_path = "/srv/originals/" + std::to_string(index) + ".jpg";
    image.original_name = "page " + std::to_string(index) + ".jpg";
    image.original_sha256 = sha.empty() ? std::string(64, static_cast<char>('a' + index)) : sha;
    image.master_sha256 = std::string(64, '0');
    image.original_bytes = 1000 + index;
    image.source = pyramid_source();
    image.state = RecordState::active;
    return image;
}

ObjectRecord object_of(const std::string& ark, std::int64_t datestamp, int pages = 2,
                       std::vector<std::string> sets = {}) {
    ObjectRecord object;
    object.ark = ark;
    object.metadata.dc["title"] = {{"Titre de " + ark, "fr"}};
    object.metadata.sets = std::move(sets);
    for (int i = 1; i <= pages; ++i) object.images.push_back(ark + "/f" + std::to_string(i));
    object.created = datestamp;
    object.updated = datestamp;
    object.datestamp = datestamp;
    object.state = RecordState::active;
    return object;
}

std::vector<ImageRecord> images_of(const ObjectRecord& object) {
    std::vector<ImageRecord> images;
    for (size_t i = 0; i < object.images.size(); ++i)
        images.push_back(image_of(object.ark, static_cast<int>(i) + 1));
    return images;
}

void put(CatalogWriter& writer, const ObjectRecord& object) {
    writer.put(object, images_of(object));
}

// A NOID-valid ARK under NAAN 12345 for object number n.
std::string ark_number(int n) {
    std::string name = "b" + std::to_string(1000 + n);
    return "ark:/12345/" + name + noid_check_char("12345/" + name);
}

std::vector<std::string> arks_of(const std::vector<ObjectRecord>& records) {
    std::vector<std::string> arks;
    for (const ObjectRecord& record : records) arks.push_back(record.ark);
    return arks;
}

}  // namespace

TEST_CASE("catalog: an object and its images are found by any form of their ARK", "[catalog]") {
    auto writer = open_writer(catalog_path("forms"));
    put(*writer, object_of(kArk, 100));
    const CatalogReader& reader = writer->reader();

    for (const char* form :
         {"ark:/67375/39D-6W3GQPXD-V", "ark:67375/39D-6W3GQPXD-V", "ark:/67375/39D6W3GQPXDV",
          "ARK:/67375/39D-6W3GQPXD-V", "Ark:67375/39-D6W3-GQPXDV", "/ark:/67375/39D-6W3GQPXD-V"}) {
        INFO(form);
        auto object = reader.object(form);
        REQUIRE(object);
        CHECK(object->ark == kArk);  // as minted, hyphens included
        auto image = reader.image(std::string(form) + "/f2");
        REQUIRE(image);
        CHECK(image->id == std::string(kArk) + "/f2");
        CHECK(image->index == 2);
    }
    CHECK(reader.image("ark:/67375/39D-6W3GQPXD-V/f02"));     // the page number, not its digits
    CHECK_FALSE(reader.object("ark:/67375/39d-6w3gqpxd-v"));  // the name's case matters
    CHECK_FALSE(reader.object("not an ark"));
    CHECK_FALSE(reader.image(kArk));                       // no qualifier
    CHECK_FALSE(reader.image(std::string(kArk) + "/f3"));  // no such page
    CHECK_FALSE(reader.image(std::string(kArk) + "/f0"));
    CHECK_FALSE(reader.image(std::string(kArk) + "/p1"));
    CHECK_FALSE(reader.image(std::string(kArk) + ".f1"));  // a variant, not a page
    CHECK_FALSE(reader.object(kOtherArk));
}

TEST_CASE("catalog: records keep every field", "[catalog]") {
    auto writer = open_writer(catalog_path("fields"));
    ObjectRecord object = object_of(kArk, 1700000000, 1, {"maps:france"});
    object.metadata.license = "https://creativecommons.org/licenses/by/4.0/";
    object.metadata.provider = "Bibliothèque";
    object.created = 1600000000;
    object.updated = 1700000000;
    object.metadata.access = "restricted";
    ImageRecord image = image_of(kArk, 1);
    image.version = 3;
    writer->put(object, {image});

    auto stored = writer->reader().object(kArk);
    REQUIRE(stored);
    CHECK(stored->metadata == object.metadata);
    CHECK(stored->images == object.images);
    CHECK(stored->created == 1600000000);
    CHECK(stored->updated == 1700000000);
    CHECK(stored->datestamp == 1700000000);
    CHECK(stored->state == RecordState::active);
    CHECK(stored->policy == "restricted");

    auto page = writer->reader().image(std::string(kArk) + "/f1");
    REQUIRE(page);
    CHECK(page->object == kArk);
    CHECK(page->master_path == image.master_path);
    CHECK(page->original_path == image.original_path);
    CHECK(page->original_name == "page 1.jpg");
    CHECK(page->original_sha256 == image.original_sha256);
    CHECK(page->master_sha256 == image.master_sha256);
    CHECK(page->original_bytes == 1001);
    CHECK(page->version == 3);
    CHECK(page->state == RecordState::active);
    CHECK(page->policy == "restricted");
    CHECK(page->rights == "http://creativecommons.org/licenses/by/4.0/");
    CHECK(serialize_source_info(page->source) == serialize_source_info(image.source));
    CHECK(page->source.width == 2000);
    CHECK(page->source.levels.size() == 3);
}

TEST_CASE("catalog: record JSON reads back what it wrote, and refuses what is corrupt",
          "[catalog]") {
    ObjectRecord object = object_of(kArk, 5, 2, {"a"});
    object.state = RecordState::withdrawn;
    object.withdrawn_reason = "takedown";
    ObjectRecord read = object_record_from_json(object_record_to_json(object));
    CHECK(read.ark == object.ark);
    CHECK(read.metadata == object.metadata);
    CHECK(read.state == RecordState::withdrawn);
    CHECK(read.withdrawn_reason == "takedown");

    ImageRecord image = image_of(kArk, 1);
    image.state = RecordState::pending;
    CHECK(image_record_from_json(image_record_to_json(image)).state == RecordState::pending);

    CHECK(record_state_name(RecordState::pending) == "pending");
    CHECK(record_state_name(RecordState::active) == "active");
    CHECK(record_state_name(RecordState::withdrawn) == "withdrawn");

    auto status_of = [](auto parse) {
        try {
            parse();
        } catch (const IiifError& error) {
            return error.status;
        }
        return 0;
    };
    CHECK(status_of([] { object_record_from_json("{"); }) == 500);
    CHECK(status_of([] { object_record_from_json(R"({"state": "lost"})"); }) == 500);
    CHECK(status_of([] { object_record_from_json(R"({"state": "active", "images": 3})"); }) == 500);
    CHECK(status_of([] { image_record_from_json(R"({"state": "active", "source": "x"})"); }) ==
          500);
}

TEST_CASE("catalog: minted ARKs are valid, distinct and recorded", "[catalog]") {
    auto writer = open_writer(catalog_path("mint"));
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        std::string ark = writer->mint("67375", "39D", CheckProfile::inist);
        auto parsed = parse_ark(ark);
        REQUIRE(parsed);
        CHECK(ark.starts_with("ark:/67375/39D-"));
        CHECK(parsed->qualifier.empty());
        CHECK(ark_name_is_valid("67375", parsed->name, CheckProfile::inist));
        CHECK(writer->reader().ark_minted(ark));
        seen.insert(parsed->normalized_base());
    }
    CHECK(seen.size() == 200);

    std::string noid = writer->mint("12345", "b3k", CheckProfile::noid);
    auto parsed = parse_ark(noid);
    REQUIRE(parsed);
    CHECK(ark_name_is_valid("12345", parsed->name, CheckProfile::noid));
    CHECK_FALSE(writer->reader().ark_minted("ark:/12345/b3k-never-minted"));
}

TEST_CASE("catalog: ARKs minted together are valid, distinct and recorded", "[catalog]") {
    auto writer = open_writer(catalog_path("mint-many"));
    CHECK(writer->mint_many("67375", "39D", CheckProfile::inist, 0).empty());
    const std::vector<std::string> arks = writer->mint_many("67375", "39D", CheckProfile::inist, 300);
    REQUIRE(arks.size() == 300);
    std::set<std::string> seen;
    for (const std::string& ark : arks) {
        auto parsed = parse_ark(ark);
        REQUIRE(parsed);
        CHECK(ark.starts_with("ark:/67375/39D-"));
        CHECK(ark_name_is_valid("67375", parsed->name, CheckProfile::inist));
        CHECK(writer->reader().ark_minted(ark));
        seen.insert(parsed->normalized_base());
    }
    CHECK(seen.size() == 300);
}

TEST_CASE("catalog: an object put in the catalog counts as minted", "[catalog]") {
    auto writer = open_writer(catalog_path("put-mints"));
    put(*writer, object_of(kArk, 1));
    CHECK(writer->reader().ark_minted("ark:67375/39D6W3GQPXDV"));
}

TEST_CASE("catalog: the files index gives the page of an original already ingested", "[catalog]") {
    auto writer = open_writer(catalog_path("files"));
    const std::string sha1(64, '1'), sha2(64, '2'), sha3(64, '3');
    ObjectRecord object = object_of(kArk, 10, 2);
    writer->put(object, {image_of(kArk, 1, sha1), image_of(kArk, 2, sha2)});
    CHECK(writer->reader().page_for_original(kArk, sha1) == 1);
    CHECK(writer->reader().page_for_original("ark:67375/39D6W3GQPXDV", sha2) == 2);
    CHECK_FALSE(writer->reader().page_for_original(kArk, sha3));
    CHECK_FALSE(writer->reader().page_for_original(kOtherArk, sha1));

    SECTION("a page ingested again from another original forgets the old one") {
        ImageRecord again = image_of(kArk, 2, sha3);
        again.version = 2;
        writer->put(object, {again});
        CHECK(writer->reader().page_for_original(kArk, sha3) == 2);
        CHECK_FALSE(writer->reader().page_for_original(kArk, sha2));
        CHECK(writer->reader().page_for_original(kArk, sha1) == 1);  // untouched
        CHECK(writer->reader().image(std::string(kArk) + "/f2")->version == 2);
    }
    SECTION("a page the object no longer lists goes, with its entry") {
        object.images.pop_back();
        writer->put(object, {});
        CHECK_FALSE(writer->reader().image(std::string(kArk) + "/f2"));
        CHECK_FALSE(writer->reader().page_for_original(kArk, sha2));
        CHECK(writer->reader().image(std::string(kArk) + "/f1"));
        CHECK(writer->reader().page_for_original(kArk, sha1) == 1);
    }
}

TEST_CASE("catalog: an image of another object is refused, and nothing is written", "[catalog]") {
    auto writer = open_writer(catalog_path("refused"));
    ObjectRecord object = object_of(kArk, 1, 1);
    CHECK_THROWS_AS(writer->put(object, {image_of(kOtherArk, 1)}), IiifError);
    object.images.push_back("ark:/67375/39D-6W3GQPXD-V/cover");
    CHECK_THROWS_AS(writer->put(object, {}), IiifError);
    CHECK_FALSE(writer->reader().object(kArk));
    CHECK(writer->reader().object_count() == 0);
}

TEST_CASE("catalog: objects come in datestamp order, page after page from a position",
          "[catalog]") {
    auto writer = open_writer(catalog_path("by-date"));
    // Put out of order; two objects share datestamp 200.
    put(*writer, object_of(ark_number(3), 300));
    put(*writer, object_of(ark_number(1), 100));
    put(*writer, object_of(ark_number(2), 200));
    put(*writer, object_of(ark_number(4), 200));
    put(*writer, object_of(ark_number(5), 500));
    const CatalogReader& reader = writer->reader();
    CHECK(reader.object_count() == 5);

    auto all = reader.objects_by_date({}, 0, 0);
    REQUIRE(all.size() == 5);
    std::vector<std::int64_t> dates;
    for (const ObjectRecord& record : all) dates.push_back(record.datestamp);
    CHECK(dates == std::vector<std::int64_t>{100, 200, 200, 300, 500});
    // Within a datestamp, the normalized ARKs' order.
    CHECK(CatalogReader::position_of(all[1]).ark < CatalogReader::position_of(all[2]).ark);

    // Pages of two, each starting strictly after the last record of the previous one.
    std::vector<std::string> paged;
    CatalogReader::Position position;
    for (int page = 0; page < 10; ++page) {
        auto records = reader.objects_by_date(position, 0, 2);
        if (records.empty()) break;
        CHECK(records.size() <= 2);
        for (const ObjectRecord& record : records) paged.push_back(record.ark);
        position = CatalogReader::position_of(records.back());
    }
    CHECK(paged == arks_of(all));

    // A position with no ARK starts at the first record of its datestamp.
    CHECK(arks_of(reader.objects_by_date({200, ""}, 0, 0)) ==
          std::vector<std::string>(paged.begin() + 1, paged.end()));
    CHECK(arks_of(reader.objects_by_date({201, ""}, 0, 0)) ==
          std::vector<std::string>(paged.begin() + 3, paged.end()));
}

TEST_CASE("catalog: until bounds the datestamps, inclusively", "[catalog]") {
    auto writer = open_writer(catalog_path("until"));
    for (int i = 1; i <= 5; ++i) put(*writer, object_of(ark_number(i), i * 100));
    const CatalogReader& reader = writer->reader();
    CHECK(reader.objects_by_date({}, 300, 0).size() == 3);
    CHECK(reader.objects_by_date({}, 299, 0).size() == 2);
    CHECK(reader.objects_by_date({200, ""}, 400, 0).size() == 3);
    CHECK(reader.objects_by_date({}, 50, 0).empty());
    CHECK(reader.objects_by_date({}, 0, 0).size() == 5);
}

TEST_CASE("catalog: a set lists its objects and those of its subsets", "[catalog]") {
    auto writer = open_writer(catalog_path("by-set"));
    put(*writer, object_of(ark_number(1), 100, 1, {"maps"}));
    put(*writer, object_of(ark_number(2), 200, 1, {"maps:france", "photos"}));
    put(*writer, object_of(ark_number(3), 300, 1, {"photos"}));
    put(*writer, object_of(ark_number(4), 400, 1));
    put(*writer, object_of(ark_number(5), 500, 1, {"mapsandmore"}));
    const CatalogReader& reader = writer->reader();

    CHECK(arks_of(reader.objects_by_date({}, 0, 0, "maps")) ==
          std::vector<std::string>{ark_number(1), ark_number(2)});
    CHECK(arks_of(reader.objects_by_date({}, 0, 0, "maps:france")) ==
          std::vector<std::string>{ark_number(2)});
    CHECK(arks_of(reader.objects_by_date({}, 0, 0, "photos")) ==
          std::vector<std::string>{ark_number(2), ark_number(3)});
    CHECK(arks_of(reader.objects_by_date({}, 0, 0, "mapsandmore")) ==
          std::vector<std::string>{ark_number(5)});
    CHECK(reader.objects_by_date({}, 0, 0, "nothing").empty());
    CHECK(reader.objects_by_date({}, 0, 0, "map").empty());

    // Paging and until within a set.
    auto first = reader.objects_by_date({}, 0, 1, "photos");
    REQUIRE(first.size() == 1);
    CHECK(arks_of(reader.objects_by_date(CatalogReader::position_of(first[0]), 0, 1, "photos")) ==
          std::vector<std::string>{ark_number(3)});
    CHECK(arks_of(reader.objects_by_date({}, 250, 0, "photos")) ==
          std::vector<std::string>{ark_number(2)});
}

TEST_CASE("catalog: a changed object leaves its old datestamp and sets", "[catalog]") {
    auto writer = open_writer(catalog_path("reindex"));
    ObjectRecord object = object_of(kArk, 100, 1, {"a", "b"});
    put(*writer, object);
    object.datestamp = 900;
    object.metadata.sets = {"b", "c"};
    writer->put(object, {});
    const CatalogReader& reader = writer->reader();

    auto all = reader.objects_by_date({}, 0, 0);
    REQUIRE(all.size() == 1);
    CHECK(all[0].datestamp == 900);
    CHECK(reader.objects_by_date({}, 500, 0).empty());
    CHECK(reader.objects_by_date({}, 0, 0, "a").empty());
    CHECK(reader.objects_by_date({}, 0, 0, "b").size() == 1);
    CHECK(reader.objects_by_date({}, 0, 0, "c").size() == 1);
}

TEST_CASE("catalog: a withdrawn object stays, withdrawn, at its new datestamp", "[catalog]") {
    auto writer = open_writer(catalog_path("withdraw"));
    put(*writer, object_of(kArk, 100, 2, {"maps"}));
    put(*writer, object_of(kOtherArk, 200, 1));
    writer->withdraw("ark:67375/39D6W3GQPXDV", "at the owner's request", 300);
    const CatalogReader& reader = writer->reader();

    auto object = reader.object(kArk);
    REQUIRE(object);
    CHECK(object->state == RecordState::withdrawn);
    CHECK(object->withdrawn_reason == "at the owner's request");
    CHECK(object->datestamp == 300);
    CHECK(object->updated == 300);
    CHECK(object->created == 100);
    for (const char* page : {"/f1", "/f2"}) {
        auto image = reader.image(std::string(kArk) + page);
        REQUIRE(image);
        CHECK(image->state == RecordState::withdrawn);
    }
    CHECK(reader.image(std::string(kOtherArk) + "/f1")->state == RecordState::active);

    // The deleted record moves to the end of the harvest, once.
    CHECK(arks_of(reader.objects_by_date({}, 0, 0)) == std::vector<std::string>{kOtherArk, kArk});
    CHECK(arks_of(reader.objects_by_date({}, 250, 0)) == std::vector<std::string>{kOtherArk});
    auto in_set = reader.objects_by_date({}, 0, 0, "maps");
    REQUIRE(in_set.size() == 1);
    CHECK(in_set[0].datestamp == 300);
    CHECK(reader.ark_minted(kArk));

    CHECK_THROWS_AS(writer->withdraw("ark:/67375/nothing", "", 400), IiifError);
}

TEST_CASE("catalog: what is committed is there after reopening", "[catalog]") {
    const std::string path = catalog_path("reopen");
    std::string minted;
    {
        auto writer = open_writer(path);
        put(*writer, object_of(kArk, 100));
        minted = writer->mint("67375", "39D", CheckProfile::inist);
    }
    auto writer = open_writer(path);
    CHECK(writer->reader().object(kArk));
    CHECK(writer->reader().image(std::string(kArk) + "/f2"));
    CHECK(writer->reader().ark_minted(minted));
    CHECK(writer->reader().page_for_original(kArk, std::string(64, 'b')) == 1);
    writer.reset();

    std::string error;
    auto reader = CatalogReader::open(path, &error);
    REQUIRE(reader);
    CHECK(reader->object_count() == 1);
    CHECK(reader->objects_by_date({}, 0, 0).size() == 1);
}

TEST_CASE("catalog: clear empties every database", "[catalog]") {
    const std::string path = catalog_path("clear");
    auto writer = open_writer(path);
    put(*writer, object_of(kArk, 100, 2, {"maps"}));
    std::string minted = writer->mint("67375", "39D", CheckProfile::inist);
    writer->clear();
    const CatalogReader& reader = writer->reader();
    CHECK(reader.object_count() == 0);
    CHECK_FALSE(reader.object(kArk));
    CHECK_FALSE(reader.image(std::string(kArk) + "/f1"));
    CHECK_FALSE(reader.ark_minted(minted));
    CHECK_FALSE(writer->reader().page_for_original(kArk, std::string(64, 'b')));
    CHECK(reader.objects_by_date({}, 0, 0).empty());
    CHECK(reader.objects_by_date({}, 0, 0, "maps").empty());

    // Still a usable catalog, with its schema, after a reopen.
    put(*writer, object_of(kArk, 200));
    writer.reset();
    writer = open_writer(path);
    CHECK(writer->reader().object_count() == 1);
}

TEST_CASE("catalog: a reader sees what the writer commits after it opened", "[catalog]") {
    const std::string path = catalog_path("live");
    auto writer = open_writer(path);
    std::string error;
    // A reader of its own, as an nginx worker has (here in the same process).
    auto reader = CatalogReader::open(path, &error);
    REQUIRE(reader);
    CHECK_FALSE(reader->object(kArk));

    put(*writer, object_of(kArk, 100));
    CHECK(reader->object(kArk));
    CHECK(writer->reader().object(kArk));
    CHECK(reader->image(std::string(kArk) + "/f1")->version == 1);

    ImageRecord again = image_of(kArk, 1);
    again.version = 2;
    writer->put(*writer->reader().object(kArk), {again});
    CHECK(reader->image(std::string(kArk) + "/f1")->version == 2);

    writer->withdraw(kArk, "gone", 200);
    CHECK(reader->image(std::string(kArk) + "/f1")->state == RecordState::withdrawn);
    reader.reset();  // before the writer: closing the second handle of a file drops its locks
}

TEST_CASE("catalog: a missing file gives no reader, and says why", "[catalog]") {
    std::string error;
    const std::string path = catalog_path("missing");
    auto reader = CatalogReader::open(path, &error);
    CHECK_FALSE(reader);
    CHECK(error == "catalog " + path + ": No such file or directory");
    CHECK_FALSE(std::filesystem::exists(path));  // a reader never creates it

    std::string writer_error;
    CHECK_FALSE(CatalogWriter::open("/nonexistent-dir/catalog.mdb", &writer_error));
    CHECK(writer_error.starts_with("catalog /nonexistent-dir/catalog.mdb: mdb_env_open: "));
}

namespace {

// The service in catalog mode over `catalog`, without a tile cache; "" for no catalog reader.
HttpResponse serve(const CatalogReader* catalog, std::string_view path, bool catalog_mode = true) {
    ServiceConfig config;
    config.catalog_path = catalog_mode ? "catalog.mdb" : "";
    HttpRequest request;
    request.method = "GET";
    request.path = path;
    request.prefix = "/iiif/3";
    request.scheme = "http";
    request.host = "images.test";
    PreparedRequest prepared = prepare_request(config, nullptr, request, catalog);
    if (!prepared.job) return prepared.response;
    run_job(*prepared.job);
    return finish_job(*prepared.job);
}

}  // namespace

TEST_CASE("catalog mode: the service serves a page from the master its record names", "[catalog]") {
    auto writer = open_writer(catalog_path("service"));
    ImageRecord image = image_of(kArk, 1);
    image.master_path = test_images::save(test_images::quadrants(), "catalog-service.tif",
                                          "[tile,pyramid,tile-width=128,tile-height=128]");
    image.source = probe_source(image.master_path);
    writer->put(object_of(kArk, 1, 1), {image});
    const CatalogReader* reader = &writer->reader();

    HttpResponse info = serve(reader, "ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1/info.json");
    CHECK(info.status == 200);
    json_t* document = json_loads(info.body.c_str(), 0, nullptr);
    REQUIRE(document);
    CHECK(std::string(json_string_value(json_object_get(document, "id"))) ==
          "http://images.test/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1");
    CHECK(json_integer_value(json_object_get(document, "width")) == test_images::kWidth);
    json_decref(document);
    CHECK(info.last_modified == -1);  // a catalog record has no file time

    HttpResponse tile = serve(reader, "ark:67375/39D6W3GQPXDV/f1/0,0,100,100/max/0/default.png");
    REQUIRE(tile.status == 200);
    CHECK(test_images::near(test_images::pixel_at(tile.body, 50, 50), test_images::kRed, 2));

    CHECK(serve(reader, "ark:%2F67375%2F39D-6W3GQPXD-V%2Ff2/info.json").status == 404);
    CHECK(serve(nullptr, "ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1/info.json").status == 404);
    // Without catalog mode, an ARK is a file name like any other (and no such file here).
    CHECK(serve(reader, "ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1/info.json", false).status == 404);

    writer->withdraw(kArk, "gone", 2);
    HttpResponse withdrawn = serve(reader, "ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1/info.json");
    CHECK(withdrawn.status == 410);
    CHECK(withdrawn.body == "image withdrawn\n");
}

TEST_CASE("catalog mode: a pending page is not served yet", "[catalog]") {
    auto writer = open_writer(catalog_path("service-pending"));
    ImageRecord image = image_of(kArk, 1);
    image.state = RecordState::pending;
    writer->put(object_of(kArk, 1, 1), {image});
    CHECK(serve(&writer->reader(), "ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1/info.json").status == 404);
}

TEST_CASE("catalog: objects and their pages get the policy and watermark the access rules give",
          "[catalog]") {
    auto writer = open_writer(catalog_path("access-rules"));
    AccessSettings settings;
    WatermarkSpec mark;
    mark.name = "bnf";
    mark.institution = "BnF";
    mark.text = "BnF";
    settings.watermarks = {mark};
    AccessRules rules;
    rules.default_policy = "campus";
    rules.set_policies = {{"maps", "public"}};
    rules.policy_watermarks = {{"campus", "institution"}};
    writer->set_access(settings, rules);
    CHECK(writer->reader().meta("access") == access_settings_to_json(settings));
    CHECK(writer->reader().meta("access_rules") == access_rules_to_json(rules));

    ObjectRecord plain = object_of(kArk, 1700000000, 2, {});
    plain.metadata.provider = "BnF";
    writer->put(plain, {image_of(kArk, 1), image_of(kArk, 2)});
    ObjectRecord map = object_of(kOtherArk, 1700000001, 1, {"maps"});
    writer->put(map, {image_of(kOtherArk, 1)});

    const CatalogReader& reader = writer->reader();
    CHECK(reader.object(kArk)->policy == "campus");
    CHECK(reader.image(std::string(kArk) + "/f2")->policy == "campus");
    CHECK(reader.image(std::string(kArk) + "/f2")->watermark == "bnf");
    CHECK(reader.object(kOtherArk)->policy == "public");
    CHECK(reader.image(std::string(kOtherArk) + "/f1")->watermark.empty());

    // A metadata change (no images passed) reaches the pages kept.
    plain.metadata.access = "readers";
    writer->put(plain, {});
    CHECK(reader.image(std::string(kArk) + "/f1")->policy == "readers");
    CHECK(reader.image(std::string(kArk) + "/f1")->watermark.empty());

    // New rules reach every object already there.
    rules.set_policies = {{"maps", "campus"}};
    writer->set_access(settings, rules);
    CHECK(reader.object(kOtherArk)->policy == "campus");
    CHECK(reader.image(std::string(kOtherArk) + "/f1")->policy == "campus");
    CHECK(reader.image(std::string(kOtherArk) + "/f1")->watermark.empty());  // no provider
    CHECK(reader.object(kArk)->policy == "readers");
    auto module_view = reader.access_settings();
    REQUIRE(module_view);
    REQUIRE(module_view->watermarks.size() == 1);
    CHECK(module_view->watermarks[0] == mark);
}

TEST_CASE("catalog: the lock file is group-writable whatever the umask, the file as it allows",
          "[catalog]") {
    // Under the package's unit (UMask=0027) nginx's workers, in the group, read the file and
    // take reader slots in the lock file.
    const std::string path = catalog_path("umask");
    const mode_t previous = umask(027);
    { auto writer = open_writer(path); }
    umask(previous);
    struct stat file {}, lock {};
    REQUIRE(stat(path.c_str(), &file) == 0);
    REQUIRE(stat((path + "-lock").c_str(), &lock) == 0);
    CHECK((file.st_mode & 0777) == 0640);
    CHECK((lock.st_mode & 0777) == 0660);
}
