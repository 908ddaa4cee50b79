// The object store's one rule beyond the file format: a change of object.json stands only with
// the catalog's write of the same change.
#include "object_store.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "iiif_error.hpp"
#include "test_images.hpp"

using namespace iiifd;
namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

iiif::ObjectRecord record(const std::string& title) {
    iiif::ObjectRecord object;
    object.ark = "ark:/67375/39D-6W3GQPXD-V";
    object.metadata.dc["title"] = {{title, "fr"}};
    object.state = iiif::RecordState::active;
    object.created = object.updated = object.datestamp = 1700000000;
    return object;
}

void refused() {
    throw iiif::IiifError(500, "catalog: mdb_put: MDB_BAD_VALSIZE");
}

}  // namespace

TEST_CASE("object.json changes stand only when the catalog's write succeeds", "[object_store]") {
    const fs::path root = test_images::scratch_dir() / "object-store";
    fs::remove_all(root);
    const ObjectStore store(root.string());
    const std::string file = store.files(record("").ark).object_file;
    fs::create_directories(fs::path(file).parent_path());

    // A new object the catalog refuses leaves no object.json.
    CHECK_THROWS_WITH(store.write(record("Carte"), {}, refused),
                      "catalog: mdb_put: MDB_BAD_VALSIZE");
    CHECK_FALSE(fs::exists(file));

    bool put = false;
    store.write(record("Carte"), {}, [&] { put = true; });
    CHECK(put);
    const std::string written = read_file(file);
    CHECK(ObjectStore::read(file).object.metadata.dc.at("title")[0].value == "Carte");

    // A rewrite or a whole write the catalog refuses: object.json byte for byte as it was.
    CHECK_THROWS_AS(store.rewrite(record("Plan"), refused), iiif::IiifError);
    CHECK(read_file(file) == written);
    CHECK_THROWS_AS(store.write(record("Plan"), {}, refused), iiif::IiifError);
    CHECK(read_file(file) == written);
    // Nor a temporary file left beside it.
    CHECK(std::distance(fs::directory_iterator(fs::path(file).parent_path()),
                        fs::directory_iterator()) == 1);

    store.rewrite(record("Plan"), [] {});
    CHECK(ObjectStore::read(file).object.metadata.dc.at("title")[0].value == "Plan");
}

TEST_CASE("object.json files written together stand only when the catalog's write succeeds",
          "[object_store]") {
    const fs::path root = test_images::scratch_dir() / "object-store-many";
    fs::remove_all(root);
    const ObjectStore store(root.string());
    iiif::ObjectRecord existing = record("Carte");
    iiif::ObjectRecord fresh = record("Atlas");
    fresh.ark = "ark:/67375/39D-B2C3D4F6-Q";
    const std::string existing_file = store.files(existing.ark).object_file;
    const std::string fresh_file = store.files(fresh.ark).object_file;
    fs::create_directories(fs::path(existing_file).parent_path());
    fs::create_directories(fs::path(fresh_file).parent_path());
    store.write(existing, {}, [] {});
    const std::string before = read_file(existing_file);

    // The catalog refuses the batch: the existing file byte for byte as it was, the new one gone.
    existing.metadata.dc["title"] = {{"Plan", "fr"}};
    const std::vector<ObjectStore::Change> changes = {
        {existing, std::nullopt, {}},
        {fresh, std::vector<iiif::ImageRecord>{}, {{"oai_dc", "<oai_dc:dc/>"}}}};
    CHECK_THROWS_WITH(store.write_many(changes, refused), "catalog: mdb_put: MDB_BAD_VALSIZE");
    CHECK(read_file(existing_file) == before);
    CHECK_FALSE(fs::exists(fresh_file));
    CHECK(std::distance(fs::directory_iterator(fs::path(fresh_file).parent_path()),
                        fs::directory_iterator()) == 0);

    int puts = 0;
    store.write_many(changes, [&] { ++puts; });
    CHECK(puts == 1);
    CHECK(ObjectStore::read(existing_file).object.metadata.dc.at("title")[0].value == "Plan");
    CHECK(ObjectStore::read(fresh_file).object.metadata.dc.at("title")[0].value == "Atlas");
    CHECK(ObjectStore::read(fresh_file).images.empty());
    CHECK(store.source_record(fresh.ark, "oai_dc") ==
          fs::path(fresh_file).parent_path().string() + "/source.oai_dc.xml");
    CHECK(read_file(store.source_record(fresh.ark, "oai_dc")) == "<oai_dc:dc/>");
    CHECK_THROWS_AS(store.source_record(fresh.ark, "../x"), iiif::IiifError);
}

TEST_CASE("object.json keeps a harvested object's origin, and an object without images",
          "[object_store]") {
    const fs::path root = test_images::scratch_dir() / "object-store-origin";
    fs::remove_all(root);
    const ObjectStore store(root.string());
    iiif::ObjectRecord object = record("Livre d'heures");
    iiif::ObjectOrigin origin;
    origin.partner = "bm-lyon";
    origin.base_url = "https://oai.bm-lyon.example.org/oai";
    origin.identifier = "oai:bm-lyon.example.org:ms-1234";
    origin.datestamp = "2024-01-31T08:00:00Z";
    origin.metadata_namespace = "http://www.openarchives.org/OAI/2.0/oai_dc/";
    origin.harvested = 1780272000;
    origin.link = "https://collections.bm-lyon.example.org/ms-1234";
    object.metadata.origin = origin;
    const std::string file = store.files(object.ark).object_file;
    fs::create_directories(fs::path(file).parent_path());

    store.write(object, {}, [] {});
    CHECK_THAT(read_file(file),
               Catch::Contains(R"("identifier": "oai:bm-lyon.example.org:ms-1234")"));
    const auto stored = ObjectStore::read(file);
    CHECK(stored.object.metadata == object.metadata);
    REQUIRE(stored.object.metadata.origin);
    CHECK(stored.object.metadata.origin->harvested == 1780272000);
    CHECK(stored.object.images.empty());
    CHECK(stored.images.empty());
}
