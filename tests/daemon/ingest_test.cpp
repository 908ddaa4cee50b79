// The ingest pipeline against a real catalog file and images made with libvips: what is kept,
// what is refused, what a retried job does, and the catalog rebuilt from the storage root.
#include "ingest.hpp"

#include <tiffio.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

#include "image_source.hpp"
#include "rebuild.hpp"
#include "records.hpp"
#include "storage.hpp"
#include "test_images.hpp"

using namespace iiifd;
using namespace test_images;
namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string write_file(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

size_t files_in(const std::string& dir) {
    if (!fs::exists(dir)) return 0;
    return static_cast<size_t>(
        std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

uint32_t crc32(const std::string& bytes) {
    uint32_t crc = 0xFFFFFFFFu;
    for (unsigned char byte : bytes) {
        crc ^= byte;
        for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

// A PNG declaring width x height in its IHDR over one empty IDAT: a valid header, no pixels.
std::string png_declaring(const std::string& path, uint32_t width, uint32_t height) {
    auto be32 = [](uint32_t v) {
        return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    };
    auto chunk = [&](const std::string& type_and_data) {
        return be32(static_cast<uint32_t>(type_and_data.size() - 4)) + type_and_data +
               be32(crc32(type_and_data));
    };
    const std::string empty_zlib_stream{0x78, 0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01};
    return write_file(path,
                      "\x89PNG\r\n\x1a\n" +
                          chunk("IHDR" + be32(width) + be32(height) + std::string{8, 2, 0, 0, 0}) +
                          chunk("IDAT" + empty_zlib_stream) + chunk("IEND"));
}

// A storage root, a catalog file and a minted ARK of their own, for one test.
struct Fixture {
    fs::path dir;
    DaemonConfig config;
    std::unique_ptr<iiif::CatalogWriter> catalog;
    std::string ark;

    explicit Fixture(const std::string& name) : dir(scratch_dir() / ("ingest-" + name)) {
        fs::remove_all(dir);
        fs::create_directories(dir / "staging");
        config.storage_root = (dir / "storage").string();
        config.catalog_path = (dir / "catalog.mdb").string();
        config.staging_dir = (dir / "staging").string();
        config.naan = "67375";
        config.default_shoulder = "39D";
        config.institution = "Bibliothèque de test";
        std::string error;
        catalog = iiif::CatalogWriter::open(config.catalog_path, &error);
        REQUIRE(catalog);
        ark = mint();
    }

    std::string mint() { return catalog->mint("67375", "39D", iiif::CheckProfile::inist); }

    // Writes `image` into staging as `name` with libvips' saver `options`.
    std::string stage(const vips::VImage& image, const std::string& name,
                      const std::string& options = "") {
        std::string path = (dir / "staging" / name).string();
        image.write_to_file((path + options).c_str());
        return path;
    }
    std::string stage_bytes(const std::string& name, const std::string& bytes) {
        return write_file((dir / "staging" / name).string(), bytes);
    }

    IngestJob job(const std::vector<std::string>& staged, const std::string& for_ark = "") {
        IngestJob job;
        job.id = "job-1";
        job.ark = for_ark.empty() ? ark : for_ark;
        for (const std::string& path : staged)
            job.files.push_back({path, fs::path(path).filename().string()});
        job.metadata.dc["title"] = {{"Carte de test", "fr"}};
        job.origin = "api";
        job.submitted = 1700000000;
        return job;
    }

    IngestResult run(const IngestJob& job) { return ingest_job(config, *catalog, job, {}); }

    std::string object_dir(const std::string& for_ark = "") const {
        return object_directory(config.storage_root,
                                *iiif::parse_ark(for_ark.empty() ? ark : for_ark));
    }
    std::optional<iiif::ImageRecord> image(int page) const {
        return catalog->reader().image(ark + "/f" + std::to_string(page));
    }
};

uint16_t tiff_compression(const std::string& path) {
    TIFF* tiff = TIFFOpen(path.c_str(), "r");
    REQUIRE(tiff);
    uint16_t compression = 0;
    TIFFGetField(tiff, TIFFTAG_COMPRESSION, &compression);
    TIFFClose(tiff);
    return compression;
}

vips::VImage with_alpha(const vips::VImage& image, int alpha) {
    return image.bandjoin_const({double(alpha)})
        .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
}

vips::VImage noisy(int width, int height) {
    return (quadrants(width, height) + vips::VImage::gaussnoise(width, height))
        .cast(VIPS_FORMAT_UCHAR)
        .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
}

}  // namespace

TEST_CASE("ingest_job round-trips through JSON", "[ingest]") {
    IngestJob job;
    job.id = "0123";
    job.ark = "ark:/67375/39D-6W3GQPXD-V";
    job.files = {{"/staging/a", "page one.jpg"}, {"/staging/b", "été.png"}};
    job.metadata.dc["title"] = {{"Titre", "fr"}, {"Title", "en"}};
    job.metadata.sets = {"maps:france"};
    job.metadata.license = "https://creativecommons.org/licenses/by/4.0/";
    job.metadata.provider = "Inist-CNRS";
    job.origin = "hotfolder";
    job.submitted = 1700000123;
    IngestJob back = ingest_job_from_json(ingest_job_to_json(job));
    CHECK(back.id == job.id);
    CHECK(back.ark == job.ark);
    REQUIRE(back.files.size() == 2);
    CHECK(back.files[1].staged_path == "/staging/b");
    CHECK(back.files[1].original_name == "été.png");
    CHECK(back.metadata == job.metadata);
    CHECK(back.origin == "hotfolder");
    CHECK(back.submitted == 1700000123);
}

TEST_CASE("a malformed ingest job is an error naming the field", "[ingest]") {
    CHECK_THROWS_WITH(ingest_job_from_json("{"), Catch::Contains("invalid JSON"));
    CHECK_THROWS_WITH(ingest_job_from_json(R"({"id": 1})"), Catch::Contains("id"));
    CHECK_THROWS_WITH(ingest_job_from_json(R"({"id": "1", "ark": "ark:/1/x", "files": {}})"),
                      Catch::Contains("files"));
}

TEST_CASE("a job keeps its images as pages and refuses a text file with a reason", "[ingest]") {
    Fixture f("mixed");
    std::string big = f.stage(quadrants(1200, 900), "big scan.jpg", "[Q=90]");
    std::string text = f.stage_bytes("notes.jpg", "these are notes, not an image\n");
    std::string translucent = f.stage(with_alpha(quadrants(), 128), "translucent.png");

    std::vector<std::pair<size_t, FileState>> seen;
    std::vector<std::vector<int>> progress(3);
    IngestResult result =
        ingest_job(f.config, *f.catalog, f.job({big, text, translucent}),
                   [&](size_t index, const FileOutcome& outcome) {
                       // A conversion reports its progress in between: once
                       // per state here.
                       if (seen.empty() || seen.back() != std::pair{index, outcome.state})
                           seen.emplace_back(index, outcome.state);
                       progress[index].push_back(outcome.progress);
                   });

    REQUIRE(result.files.size() == 3);
    CHECK(result.object_written);
    CHECK(result.files[0].state == FileState::done);
    CHECK(result.files[0].page == 1);
    CHECK(result.files[1].state == FileState::refused);
    CHECK(result.files[1].page == 0);
    CHECK_THAT(result.files[1].error, Catch::Contains("not an image"));
    CHECK(result.files[2].state == FileState::done);
    CHECK(result.files[2].page == 2);
    CHECK(result.files[0].name == "big scan.jpg");

    // queued, then each file converting and its outcome, in order.
    std::vector<std::pair<size_t, FileState>> expected = {
        {0, FileState::queued},     {1, FileState::queued},     {2, FileState::queued},
        {0, FileState::converting}, {0, FileState::done},       {1, FileState::converting},
        {1, FileState::refused},    {2, FileState::converting}, {2, FileState::done}};
    CHECK(seen == expected);
    // The progress only grows: 100 for a page, 0 for the refused file.
    for (const std::vector<int>& values : progress)
        CHECK(std::is_sorted(values.begin(), values.end()));
    CHECK(progress[0].back() == 100);
    CHECK(progress[1].back() == 0);
    CHECK(progress[2].back() == 100);
    CHECK(result.files[1].reason == "not_an_image");
    CHECK(result.files[0].reason.empty());

    std::string dir = f.object_dir();
    CHECK(fs::is_regular_file(dir + "/object.json"));
    CHECK(files_in(dir + "/originals") == 2);
    CHECK(files_in(dir + "/masters") == 2);

    std::optional<iiif::ObjectRecord> object = f.catalog->reader().object(f.ark);
    REQUIRE(object);
    CHECK(object->state == iiif::RecordState::active);
    CHECK(object->images == std::vector<std::string>{f.ark + "/f1", f.ark + "/f2"});
    CHECK(object->metadata.dc.at("title")[0].value == "Carte de test");
    CHECK(object->metadata.provider == "Bibliothèque de test");
    CHECK(object->created > 0);
    CHECK(object->datestamp == object->updated);
}

TEST_CASE("masters are tiled pyramidal JPEG TIFFs in sRGB and checksummed", "[ingest]") {
    Fixture f("masters");
    std::string big = f.stage(quadrants(1200, 900), "big.jpg", "[Q=90]");
    REQUIRE(f.run(f.job({big})).files[0].state == FileState::done);

    std::optional<iiif::ImageRecord> record = f.image(1);
    REQUIRE(record);
    CHECK(record->id == f.ark + "/f1");
    CHECK(record->object == f.ark);
    CHECK(record->index == 1);
    CHECK(record->version == 1);
    CHECK(record->master_path == f.object_dir() + "/masters/f1.tif");
    CHECK(record->original_path == f.object_dir() + "/originals/0001-big.jpg");
    CHECK(record->original_name == "big.jpg");
    CHECK(record->original_sha256 == sha256_of_file(big));
    CHECK(record->original_sha256 == sha256_of_file(record->original_path));
    CHECK(record->master_sha256 == sha256_of_file(record->master_path));
    CHECK(record->original_bytes == static_cast<std::int64_t>(fs::file_size(big)));

    iiif::SourceInfo master = iiif::probe_source(record->master_path);
    CHECK(master.format == iiif::SourceFormat::tiff);
    CHECK(master.width == 1200);
    CHECK(master.height == 900);
    CHECK(master.tiled);
    CHECK(master.tile_width == 256);
    CHECK(master.tile_height == 256);
    CHECK(master.levels.size() > 1);
    CHECK(record->source.levels.size() == master.levels.size());
    CHECK(record->source.tile_width == 256);

    CHECK(tiff_compression(record->master_path) == COMPRESSION_JPEG);
    CHECK(vips::VImage::new_from_file(record->master_path.c_str()).bands() == 3);
    CHECK(near(pixel_at(read_file(record->master_path), 100, 100), kRed, 8));
    CHECK(near(pixel_at(read_file(record->master_path), 1100, 800), kWhite, 8));
}

TEST_CASE("the original is kept byte for byte", "[ingest]") {
    Fixture f("original");
    std::string source = f.stage(noisy(500, 400), "scan #3 (verso).png");
    REQUIRE(f.run(f.job({source})).files[0].state == FileState::done);
    std::string kept = f.object_dir() + "/originals/0001-scan__3__verso_.png";
    REQUIRE(fs::is_regular_file(kept));
    CHECK(read_file(kept) == read_file(source));
    CHECK(f.image(1)->original_name == "scan #3 (verso).png");
}

TEST_CASE("alpha is flattened on white and grey stays grey", "[ingest]") {
    Fixture f("colour");
    std::string translucent = f.stage(with_alpha(quadrants(), 128), "translucent.png");
    std::string grey = f.stage(quadrants().colourspace(VIPS_INTERPRETATION_B_W), "grey.jpg");
    IngestResult result = f.run(f.job({translucent, grey}));
    REQUIRE(result.files[0].state == FileState::done);
    REQUIRE(result.files[1].state == FileState::done);

    std::string flattened = read_file(f.image(1)->master_path);
    CHECK(decode(flattened).bands() == 3);
    CHECK(near(pixel_at(flattened, 50, 50), Rgb{255, 127, 127}, 10));
    CHECK(decode(read_file(f.image(2)->master_path)).bands() == 1);
}

TEST_CASE("a CMYK image with its profile becomes sRGB", "[ingest]") {
    Fixture f("cmyk");
    vips::VImage cmyk =
        quadrants().icc_transform("cmyk", vips::VImage::option()->set("input_profile", "srgb"));
    REQUIRE(cmyk.bands() == 4);
    std::string source = f.stage(cmyk, "cmyk.jpg", "[Q=95]");
    REQUIRE(f.run(f.job({source})).files[0].state == FileState::done);
    std::string master = read_file(f.image(1)->master_path);
    CHECK(decode(master).bands() == 3);
    // Out of the CMYK gamut and back: red stays clearly red, white stays white.
    Pixel red = pixel_at(master, 50, 50);
    CHECK(red.r > 200);
    CHECK(red.g < 90);
    CHECK(red.b < 90);
    CHECK(near(pixel_at(master, 350, 250), kWhite, 12));
}

TEST_CASE("an image with an EXIF orientation is mastered upright", "[ingest]") {
    Fixture f("orientation");
    vips::VImage turned = quadrants(400, 300).copy();
    turned.set(VIPS_META_ORIENTATION, 6);  // shown rotated 90 degrees clockwise
    std::string source = f.stage(turned, "turned.jpg");
    REQUIRE(f.run(f.job({source})).files[0].state == FileState::done);
    CHECK(f.image(1)->source.width == 300);
    CHECK(f.image(1)->source.height == 400);
    // Red was top-left; turned clockwise it is top-right.
    CHECK(near(pixel_at(read_file(f.image(1)->master_path), 250, 50), kRed, 10));
}

TEST_CASE("re-running the same job gives the same pages and no second copy", "[ingest]") {
    Fixture f("rerun");
    std::string a = f.stage(quadrants(600, 400), "a.jpg");
    std::string text = f.stage_bytes("b.txt", "not an image");
    std::string c = f.stage(quadrants(300, 500), "c.tif");
    IngestJob job = f.job({a, text, c});

    IngestResult first = f.run(job);
    auto master_written = fs::last_write_time(f.image(1)->master_path);
    std::string object_before = iiif::object_record_to_json(*f.catalog->reader().object(f.ark));
    std::string image_before = iiif::image_record_to_json(*f.image(2));
    std::string document_before = read_file(f.object_dir() + "/object.json");

    IngestResult second = f.run(job);
    REQUIRE(second.files.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
        CHECK(second.files[i].state == first.files[i].state);
        CHECK(second.files[i].page == first.files[i].page);
    }
    CHECK(second.files[2].page == 2);
    CHECK(files_in(f.object_dir() + "/originals") == 2);
    CHECK(files_in(f.object_dir() + "/masters") == 2);
    CHECK(f.image(1)->version == 1);
    CHECK(fs::last_write_time(f.image(1)->master_path) == master_written);  // not converted again
    CHECK(iiif::image_record_to_json(*f.image(2)) == image_before);
    CHECK(iiif::object_record_to_json(*f.catalog->reader().object(f.ark)) == object_before);
    CHECK(read_file(f.object_dir() + "/object.json") == document_before);
    CHECK(f.catalog->reader().object_count() == 1);
}

TEST_CASE("a job that died before the catalog is finished by its retry", "[ingest]") {
    Fixture f("crash");
    std::string a = f.stage(quadrants(600, 400), "a.jpg");
    IngestJob job = f.job({a});
    // What a crash leaves: a converted master's temporary file and no catalog entry.
    std::string masters = f.object_dir() + "/masters";
    make_directories(masters);
    std::string leftover = create_temporary_file(masters, ".tif");
    write_file(leftover, "half a master");
    fs::last_write_time(leftover, fs::file_time_type::clock::now() - std::chrono::hours(1));

    IngestResult result = f.run(job);
    CHECK(result.files[0].state == FileState::done);
    CHECK_FALSE(fs::exists(leftover));
    CHECK(files_in(masters) == 1);
    CHECK(f.image(1)->master_sha256 == sha256_of_file(masters + "/f1.tif"));
}

TEST_CASE("a page ingested again from a different original gets a new version", "[ingest]") {
    Fixture f("version");
    std::string a = f.stage(quadrants(600, 400), "a.jpg");
    std::string b = f.stage(solid(600, 400, kBlue), "b.jpg");
    REQUIRE(f.run(f.job({a})).files[0].state == FileState::done);
    std::int64_t created = f.catalog->reader().object(f.ark)->created;

    REQUIRE(f.run(f.job({b})).files[0].state == FileState::done);
    CHECK(f.image(1)->version == 2);
    CHECK(f.image(1)->original_sha256 == sha256_of_file(b));
    CHECK(f.catalog->reader().object(f.ark)->created == created);
    CHECK(f.catalog->reader().page_for_original(f.ark, sha256_of_file(b)) == 1);
}

TEST_CASE("a PNG declaring 100000 x 100000 pixels is refused before decoding", "[ingest]") {
    Fixture f("bomb");
    std::string bomb = png_declaring((f.dir / "staging" / "bomb.png").string(), 100000, 100000);
    IngestResult result = f.run(f.job({bomb}));
    REQUIRE(result.files.size() == 1);
    CHECK(result.files[0].state == FileState::refused);
    CHECK_THAT(result.files[0].error,
               Catch::Contains("100000x100000") && Catch::Contains("pixels, over the limit"));
    CHECK(result.files[0].reason == "too_many_pixels");
    CHECK_FALSE(result.object_written);
    CHECK_FALSE(f.catalog->reader().object(f.ark));
    CHECK_FALSE(fs::exists(f.object_dir()));
}

TEST_CASE("a file over the byte limit is refused", "[ingest]") {
    Fixture f("bytes");
    f.config.max_file_bytes = 1000;
    std::string big = f.stage(noisy(300, 300), "big.png");
    std::string small = f.stage(solid(8, 8, kGreen), "small.png");
    IngestResult result = f.run(f.job({big, small}));
    CHECK(result.files[0].state == FileState::refused);
    CHECK_THAT(result.files[0].error, Catch::Contains("over the limit of 1000"));
    CHECK(result.files[0].reason == "too_large");
    CHECK(result.files[1].reason.empty());
    CHECK(result.files[1].state == FileState::done);
    CHECK(result.files[1].page == 1);
}

TEST_CASE("a truncated JPEG is refused and leaves nothing", "[ingest]") {
    Fixture f("truncated");
    std::string whole = f.stage(noisy(800, 600), "whole.jpg", "[Q=90]");
    std::string bytes = read_file(whole);
    std::string cut = f.stage_bytes("cut.jpg", bytes.substr(0, bytes.size() / 2));
    IngestResult result = f.run(f.job({cut}));
    CHECK(result.files[0].state == FileState::refused);
    CHECK_THAT(result.files[0].error, Catch::Contains("truncated or corrupt"));
    CHECK(result.files[0].reason == "damaged");
    CHECK_FALSE(result.object_written);
    CHECK_FALSE(fs::exists(f.object_dir()));
}

TEST_CASE("truncated PNG and tiled TIFF sources are refused", "[ingest]") {
    Fixture f("truncated-others");
    std::string png = read_file(f.stage(noisy(800, 600), "whole.png"));
    std::string tif =
        read_file(f.stage(noisy(800, 600), "whole.tif", "[tile,compression=deflate]"));
    std::string cut_png = f.stage_bytes("cut.png", png.substr(0, png.size() / 2));
    std::string cut_tif = f.stage_bytes("cut.tif", tif.substr(0, tif.size() * 2 / 3));
    std::string good = f.stage(quadrants(), "good.png");
    IngestResult result = f.run(f.job({cut_png, cut_tif, good}));
    CHECK(result.files[0].state == FileState::refused);
    CHECK(result.files[0].reason == "damaged");
    CHECK(result.files[1].state == FileState::refused);
    CHECK(result.files[1].reason == "damaged");
    CHECK(result.files[2].state == FileState::done);
    CHECK(result.files[2].page == 1);
    CHECK(files_in(f.object_dir() + "/masters") == 1);
    CHECK(files_in(f.object_dir() + "/originals") == 1);
}

TEST_CASE("a BigTIFF original is ingested as a page and kept byte for byte", "[ingest]") {
    Fixture f("bigtiff");
    std::string big = f.stage(quadrants(600, 400), "big.tif", "[bigtiff,compression=deflate]");
    REQUIRE(read_file(big).substr(0, 4) == std::string("II\x2B\0", 4));
    IngestResult result = f.run(f.job({big}));
    REQUIRE(result.files.size() == 1);
    CHECK(result.files[0].error == "");
    CHECK(result.files[0].state == FileState::done);
    CHECK(result.files[0].page == 1);
    CHECK(result.object_written);
    CHECK(read_file(f.image(1)->original_path) == read_file(big));
    CHECK(f.image(1)->source.width == 600);
}

// Every file under `dir`, relative to it, sorted.
std::vector<std::string> files_under(const std::string& dir) {
    std::vector<std::string> files;
    if (!fs::exists(dir)) return files;
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(dir))
        if (!entry.is_directory()) files.push_back(fs::relative(entry.path(), dir).string());
    std::sort(files.begin(), files.end());
    return files;
}

TEST_CASE("an object that cannot be recorded leaves no master and no original", "[ingest]") {
    Fixture f("unrecorded");
    std::string a = f.stage(quadrants(600, 400), "a.jpg");
    std::string b = f.stage(solid(300, 200, kBlue), "b.png");
    // object.json cannot be written: a directory stands in its place (as a full disk would
    // refuse the file).
    make_directories(f.object_dir() + "/object.json");
    CHECK_THROWS_WITH(f.run(f.job({a, b})), Catch::Contains("object.json"));
    CHECK(files_under(f.object_dir()) == std::vector<std::string>{});
    CHECK_FALSE(fs::exists(f.object_dir() + "/masters"));
    CHECK_FALSE(fs::exists(f.object_dir() + "/originals"));
    CHECK_FALSE(f.catalog->reader().object(f.ark));
    CHECK(f.catalog->reader().page_for_original(f.ark, sha256_of_file(a)) == std::nullopt);
}

TEST_CASE("a job that cannot record an object already there keeps the files it had", "[ingest]") {
    Fixture f("unrecorded-again");
    std::string a = f.stage(quadrants(600, 400), "a.jpg");
    std::string b = f.stage(solid(300, 200, kBlue), "b.png");
    REQUIRE(f.run(f.job({a})).object_written);
    const std::vector<std::string> before = files_under(f.object_dir());
    REQUIRE(before ==
            std::vector<std::string>{"masters/f1.tif", "object.json", "originals/0001-a.jpg"});
    const std::string master = read_file(f.object_dir() + "/masters/f1.tif");
    const std::string record = iiif::object_record_to_json(*f.catalog->reader().object(f.ark));

    // Its second page comes, and object.json cannot be written this time.
    fs::remove(f.object_dir() + "/object.json");
    make_directories(f.object_dir() + "/object.json");
    CHECK_THROWS_WITH(f.run(f.job({a, b})), Catch::Contains("object.json"));
    CHECK(files_under(f.object_dir()) ==
          std::vector<std::string>{"masters/f1.tif", "originals/0001-a.jpg"});
    CHECK(read_file(f.object_dir() + "/masters/f1.tif") == master);
    CHECK(iiif::object_record_to_json(*f.catalog->reader().object(f.ark)) == record);
}

TEST_CASE("a job whose metadata is over the limits fails before it writes anything", "[ingest]") {
    Fixture f("over-limits");
    std::string a = f.stage(quadrants(600, 400), "a.jpg");
    // Queued by an iiifd that did not check the limits yet.
    IngestJob job = f.job({a});
    job.metadata.sets = {std::string(5000, 's')};
    CHECK_THROWS_WITH(f.run(job), "metadata: sets[0]: longer than 200 characters");
    CHECK_FALSE(fs::exists(f.object_dir()));
    CHECK_FALSE(f.catalog->reader().object(f.ark));
}

TEST_CASE("files past the page limit are refused as too_many_pages", "[ingest]") {
    Fixture f("page-limit");
    f.config.max_files_per_object = 1;
    std::string first = f.stage(quadrants(), "first.png");
    std::string second = f.stage(solid(8, 8, kGreen), "second.png");
    IngestResult result = f.run(f.job({first, second}));
    CHECK(result.files[0].state == FileState::done);
    CHECK(result.files[1].state == FileState::refused);
    CHECK(result.files[1].reason == "too_many_pages");
    CHECK(result.files[1].error == "the object already has the maximum of 1 pages");
}

TEST_CASE("a job for a withdrawn object refuses its files as withdrawn", "[ingest]") {
    Fixture f("withdrawn");
    std::string page = f.stage(quadrants(), "page.png");
    REQUIRE(f.run(f.job({page})).object_written);
    f.catalog->withdraw(f.ark, "owner's request", 1700000500);
    IngestResult result = f.run(f.job({page}));
    CHECK(result.files[0].state == FileState::refused);
    CHECK(result.files[0].reason == "withdrawn");
    CHECK_FALSE(result.object_written);
}

// A conversion long enough for libvips to report on it several times (a noisy image
// compresses slowly): the first report comes at once, the next ones 250 ms apart.
TEST_CASE("a conversion reports libvips' progress, never going back, up to 100", "[ingest]") {
    for (const std::string format : {"tiff", "jp2"}) {
        INFO(format);
        Fixture f("progress-" + format);
        f.config.master_format = format;
        std::string scan = f.stage(noisy(3000, 2500), "scan.jpg", "[Q=95]");
        std::vector<int> converting;
        std::vector<std::chrono::steady_clock::time_point> when;
        std::vector<int> all;
        IngestResult result = ingest_job(f.config, *f.catalog, f.job({scan}),
                                         [&](size_t, const FileOutcome& outcome) {
                                             all.push_back(outcome.progress);
                                             if (outcome.state != FileState::converting) return;
                                             converting.push_back(outcome.progress);
                                             when.push_back(std::chrono::steady_clock::now());
                                         });
        REQUIRE(result.files[0].state == FileState::done);
        CHECK(std::is_sorted(all.begin(), all.end()));
        CHECK(all.front() == 0);  // queued
        CHECK(all.back() == 100);
        // Reported while converting: values of libvips' own, between 0 and 100.
        CHECK(std::any_of(converting.begin(), converting.end(),
                          [](int percent) { return percent > 0 && percent < 100; }));
        // Each report after the state's own (0) says something new.
        REQUIRE_FALSE(converting.empty());
        CHECK(std::adjacent_find(converting.begin() + 1, converting.end(),
                                 std::greater_equal<>()) == converting.end());
        // libvips' reports (all but the state's own) at most every 250 ms.
        for (size_t i = 2; i < when.size(); ++i)
            CHECK(when[i] - when[i - 1] >= std::chrono::milliseconds(250));
    }
}

TEST_CASE("in jp2 mode the master is a tiled JPEG 2000", "[ingest]") {
    Fixture f("jp2");
    f.config.master_format = "jp2";
    std::string big = f.stage(quadrants(1500, 1100), "big.png");
    REQUIRE(f.run(f.job({big})).files[0].state == FileState::done);
    std::optional<iiif::ImageRecord> record = f.image(1);
    REQUIRE(record);
    CHECK(record->master_path == f.object_dir() + "/masters/f1.jp2");
    CHECK(record->master_sha256 == sha256_of_file(record->master_path));
    CHECK(record->source.format == iiif::SourceFormat::jp2);
    CHECK(record->source.width == 1500);
    CHECK(record->source.tiled);
    CHECK(record->source.tile_width == 1024);
    CHECK(record->source.levels.size() > 1);
    CHECK(near(pixel_at(read_file(record->master_path), 100, 100), kRed, 12));
}

TEST_CASE("rebuild on an emptied catalog gives back the same records", "[ingest]") {
    Fixture f("rebuild");
    std::string second_ark = f.mint();
    std::string a = f.stage(quadrants(600, 400), "a.jpg");
    std::string b = f.stage(solid(200, 100, kGreen), "b.png");
    std::string c = f.stage(quadrants(300, 300), "c.tif");
    IngestJob first = f.job({a, b});
    first.metadata.sets = {"maps"};
    REQUIRE(f.run(first).object_written);
    REQUIRE(f.run(f.job({c}, second_ark)).object_written);
    // A deposit waiting in staging, and a damaged object.json: neither stops the rebuild.
    write_file(f.config.staging_dir + "/object.json", "{}");
    make_directories(f.config.storage_root + "/67375/broken");
    write_file(f.config.storage_root + "/67375/broken/object.json", "{\"schema\": 1,");

    std::vector<std::string> images = {f.ark + "/f1", f.ark + "/f2", second_ark + "/f1"};
    auto snapshot = [&] {
        std::vector<std::string> records;
        for (const std::string& ark : {f.ark, second_ark})
            records.push_back(iiif::object_record_to_json(*f.catalog->reader().object(ark)));
        for (const std::string& id : images)
            records.push_back(iiif::image_record_to_json(*f.catalog->reader().image(id)));
        return records;
    };
    std::vector<std::string> before = snapshot();

    f.catalog->clear();
    REQUIRE_FALSE(f.catalog->reader().object(f.ark));
    RebuildReport report = rebuild_catalog(f.config, *f.catalog);
    CHECK(report.objects == 2);
    CHECK(report.images == 3);
    REQUIRE(report.problems.size() == 1);
    CHECK_THAT(report.problems[0], Catch::Contains("broken/object.json"));
    CHECK(snapshot() == before);
    CHECK(f.catalog->reader().page_for_original(f.ark, sha256_of_file(b)) == 2);
    CHECK(f.catalog->reader().objects_by_date({}, INT64_MAX, 10, "maps").size() == 1);
}

// A delivery node converts (convert_job, reading its own catalog) and hands the job over as
// JSON; the writer records it (record_converted_job).
TEST_CASE("a job converted on one node and recorded by the writer from its JSON is one object",
          "[ingest][handover]") {
    Fixture f("handover");
    const std::string recto = f.stage(quadrants(300, 200), "recto.jpg", "[Q=90]");
    const std::string notes = f.stage_bytes("notes.jpg", "not an image\n");
    const std::string verso = f.stage(quadrants(200, 300), "verso.png");
    const IngestJob job = f.job({recto, notes, verso});
    const ConvertedJob converted = convert_job(f.config, f.catalog->reader(), job, {});
    // Converted, not recorded: masters and originals written, no object yet.
    CHECK_FALSE(f.catalog->reader().object(f.ark));
    CHECK_FALSE(fs::exists(f.object_dir() + "/object.json"));
    CHECK(converted.written.size() == 4);
    for (const std::string& path : converted.written) CHECK(fs::is_regular_file(path));
    CHECK_FALSE(converted.all_reused);

    const HandedOverJob back =
        handed_over_job_from_json(handed_over_job_to_json({job, converted, 1.25}));
    CHECK(ingest_job_to_json(back.job) == ingest_job_to_json(job));
    CHECK(back.seconds == 1.25);
    CHECK(back.converted.all_reused == converted.all_reused);
    CHECK(back.converted.written == converted.written);
    REQUIRE(back.converted.images.size() == 2);
    for (size_t i = 0; i < 2; ++i)
        CHECK(iiif::image_record_to_json(back.converted.images[i]) ==
              iiif::image_record_to_json(converted.images[i]));
    REQUIRE(back.converted.files.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
        CHECK(back.converted.files[i].name == converted.files[i].name);
        CHECK(back.converted.files[i].state == converted.files[i].state);
        CHECK(back.converted.files[i].page == converted.files[i].page);
        CHECK(back.converted.files[i].reason == converted.files[i].reason);
        CHECK(back.converted.files[i].error == converted.files[i].error);
        CHECK(back.converted.files[i].conversion_seconds == converted.files[i].conversion_seconds);
    }
    CHECK(back.converted.files[1].reason == "not_an_image");
    CHECK(back.converted.files[2].page == 2);

    record_converted_job(f.config, *f.catalog, back.job, back.converted);
    std::optional<iiif::ObjectRecord> object = f.catalog->reader().object(f.ark);
    REQUIRE(object);
    CHECK(object->images == std::vector<std::string>{f.ark + "/f1", f.ark + "/f2"});
    CHECK(fs::is_regular_file(f.object_dir() + "/object.json"));
    CHECK(f.image(2)->original_name == "verso.png");
    CHECK(f.catalog->reader().page_for_original(f.ark, sha256_of_file(verso)) == 2);

    CHECK_THROWS_WITH(handed_over_job_from_json(R"({"job": {}})"), Catch::Contains("id"));
    CHECK_THROWS_WITH(
        handed_over_job_from_json(R"({"job": )" + ingest_job_to_json(job) + R"(, "converted": 3})"),
        "converted job: not a JSON object");
}

TEST_CASE(
    "new pages handed over twice (the writer stopped before Redis had the outcome) are "
    "added once",
    "[ingest][handover]") {
    Fixture f("handover-twice");
    REQUIRE(f.run(f.job({f.stage(quadrants(), "first.png")})).object_written);
    IngestJob add = f.job({f.stage(quadrants(120, 90), "added.png")});
    add.mode = "add";
    const ConvertedJob converted = convert_job(f.config, f.catalog->reader(), add, {});
    REQUIRE(converted.images.size() == 1);
    CHECK(converted.images[0].id == f.ark + "/f2");
    record_converted_job(f.config, *f.catalog, add, converted);
    record_converted_job(f.config, *f.catalog, add, converted);
    CHECK(f.catalog->reader().object(f.ark)->images ==
          std::vector<std::string>{f.ark + "/f1", f.ark + "/f2"});
}

TEST_CASE(
    "pages converted for an object withdrawn before they are recorded are not recorded, "
    "and their files go",
    "[ingest][handover]") {
    Fixture f("handover-withdrawn");
    REQUIRE(f.run(f.job({f.stage(quadrants(), "first.png")})).object_written);
    // The same deposit again with another image: a new master and original for f1.
    const IngestJob again = f.job({f.stage(quadrants(160, 120), "second.png")});
    const ConvertedJob converted = convert_job(f.config, f.catalog->reader(), again, {});
    REQUIRE(converted.written.size() == 2);
    f.catalog->withdraw(f.ark, "owner's request", 1700000500);
    CHECK_THROWS_WITH(record_converted_job(f.config, *f.catalog, again, converted),
                      f.ark + ": withdrawn meanwhile; the job's pages are not added");
    for (const std::string& path : converted.written) CHECK_FALSE(fs::exists(path));
    CHECK(f.catalog->reader().object(f.ark)->state == iiif::RecordState::withdrawn);
    CHECK(fs::is_regular_file(f.image(1)->master_path));
}
