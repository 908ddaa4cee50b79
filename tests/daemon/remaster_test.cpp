// `iiifd remaster` (remaster.hpp): masters written before iiifd coded their tiles in YCbCr 4:2:0
// are made again from their originals, in place, with the storage root and the catalog agreeing
// and the image's version bumped; a second run, and a missing original, change nothing.
#include "remaster.hpp"

#include <tiffio.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ingest.hpp"
#include "object_store.hpp"
#include "storage.hpp"
#include "test_images.hpp"

using namespace iiifd;
namespace fs = std::filesystem;

namespace {

uint16_t photometric_of(const std::string& path) {
    TIFF* tiff = TIFFOpen(path.c_str(), "r");
    REQUIRE(tiff);
    uint16_t photometric = 0;
    TIFFGetField(tiff, TIFFTAG_PHOTOMETRIC, &photometric);
    TIFFClose(tiff);
    return photometric;
}

// One object of one page ingested, whose master is then replaced by what iiifd wrote before
// (libvips' tiffsave at Q 90: RGB-coded JPEG tiles), recorded as such in object.json and the
// catalog.
struct OldMaster {
    fs::path dir;
    DaemonConfig config;
    std::unique_ptr<iiif::CatalogWriter> catalog;
    std::string ark;

    explicit OldMaster(const std::string& name) : dir(test_images::scratch_dir() / name) {
        fs::remove_all(dir);
        fs::create_directories(dir / "staging");
        config.storage_root = (dir / "storage").string();
        config.catalog_path = (dir / "catalog.mdb").string();
        config.staging_dir = (dir / "staging").string();
        config.naan = "67375";
        config.default_shoulder = "39D";
        std::string error;
        catalog = iiif::CatalogWriter::open(config.catalog_path, &error);
        REQUIRE(catalog);
        ark = catalog->mint("67375", "39D", iiif::CheckProfile::inist);

        const std::string staged = (dir / "staging" / "map.jpg").string();
        test_images::quadrants(1000, 700).write_to_file((staged + "[Q=95]").c_str());
        IngestJob job;
        job.id = "job-1";
        job.ark = ark;
        job.files.push_back({staged, "map.jpg"});
        job.origin = "api";
        REQUIRE(ingest_job(config, *catalog, job, {}).object_written);

        iiif::ImageRecord record = image();
        vips::VImage::new_from_file(record.original_path.c_str())
            .tiffsave(record.master_path.c_str(),
                      vips::VImage::option()
                          ->set("compression", VIPS_FOREIGN_TIFF_COMPRESSION_JPEG)
                          ->set("Q", 90)
                          ->set("tile", true)
                          ->set("tile_width", 256)
                          ->set("tile_height", 256)
                          ->set("pyramid", true));
        record.master_sha256 = sha256_of_file(record.master_path);
        record.version = 3;
        const iiif::ObjectRecord object = *catalog->reader().object(ark);
        ObjectStore(config.storage_root).write(object, {record}, [&] {
            catalog->put(object, {record});
        });
    }

    iiif::ImageRecord image() const { return *catalog->reader().image(ark + "/f1"); }
    StoredObject stored() const {
        return ObjectStore::read(ObjectStore(config.storage_root).files(ark).object_file);
    }
};

}  // namespace

TEST_CASE(
    "remaster: an RGB-coded master is made again from its original in YCbCr, in place, "
    "its version bumped in object.json and the catalog",
    "[remaster]") {
    OldMaster fixture("remaster-old");
    const iiif::ImageRecord before = fixture.image();
    REQUIRE(has_rgb_jpeg_tiles(before.master_path));

    const RemasterReport report = remaster_masters(fixture.config, *fixture.catalog);
    CHECK(report.objects == 1);
    CHECK(report.images == 1);
    CHECK(report.problems.empty());

    const iiif::ImageRecord after = fixture.image();
    CHECK(after.master_path == before.master_path);
    CHECK_FALSE(has_rgb_jpeg_tiles(after.master_path));
    CHECK(photometric_of(after.master_path) == PHOTOMETRIC_YCBCR);
    CHECK(after.version == 4);
    CHECK(after.master_sha256 == sha256_of_file(after.master_path));
    CHECK(after.master_sha256 != before.master_sha256);
    CHECK(after.source.width == 1000);
    CHECK(after.source.height == 700);
    CHECK(after.original_sha256 == before.original_sha256);
    const StoredObject stored = fixture.stored();
    REQUIRE(stored.images.size() == 1);
    CHECK(stored.images[0].version == 4);
    CHECK(stored.images[0].master_sha256 == after.master_sha256);
    // No temporary file is left beside the master.
    int files = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(after.master_path).parent_path())) {
        (void)entry;
        ++files;
    }
    CHECK(files == 1);

    const RemasterReport again = remaster_masters(fixture.config, *fixture.catalog);
    CHECK(again.objects == 0);
    CHECK(again.images == 0);
    CHECK(fixture.image().version == 4);
}

TEST_CASE("remaster: a missing original is reported, and the master and records stay as they are",
          "[remaster]") {
    OldMaster fixture("remaster-no-original");
    const iiif::ImageRecord before = fixture.image();
    fs::remove(before.original_path);

    const RemasterReport report = remaster_masters(fixture.config, *fixture.catalog);
    CHECK(report.objects == 0);
    CHECK(report.images == 0);
    REQUIRE(report.problems.size() == 1);
    CHECK(report.problems[0] == before.id + ": the original is missing: " + before.original_path);
    CHECK(fixture.image().version == 3);
    CHECK(sha256_of_file(before.master_path) == before.master_sha256);
    CHECK(has_rgb_jpeg_tiles(before.master_path));
}

TEST_CASE("remaster: a jp2 configuration remasters nothing", "[remaster]") {
    OldMaster fixture("remaster-jp2");
    fixture.config.master_format = "jp2";
    const RemasterReport report = remaster_masters(fixture.config, *fixture.catalog);
    CHECK(report.images == 0);
    CHECK(has_rgb_jpeg_tiles(fixture.image().master_path));
}
