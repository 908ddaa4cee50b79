#include "remaster.hpp"

#include <tiffio.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <vips/vips8>

#include "iiif_error.hpp"
#include "image_source.hpp"
#include "ingest.hpp"
#include "object_store.hpp"
#include "storage.hpp"

namespace iiifd {
namespace {

namespace fs = std::filesystem;

// Objects read from the catalog per batch.
constexpr size_t kBatch = 256;

struct TiffCloser {
    void operator()(TIFF* tiff) const { TIFFClose(tiff); }
};

// The new master of `image`, made from its original beside the old one and renamed over it;
// the record as it must now be. Nullopt (and a problem) when the original cannot serve.
std::optional<iiif::ImageRecord> remaster(const DaemonConfig& config,
                                          const iiif::ImageRecord& image,
                                          std::vector<std::string>& problems) {
    if (image.original_path.empty() || !fs::exists(image.original_path)) {
        problems.push_back(image.id + ": the original is missing: " + image.original_path);
        return std::nullopt;
    }
    const std::string directory = fs::path(image.master_path).parent_path().string();
    const std::string temporary = create_temporary_file(directory, ".tif");
    try {
        vips_error_clear();
        convert_to_master(image.original_path, temporary, config);
        commit_file(temporary, image.master_path);
    } catch (const std::exception& error) {
        vips_error_clear();
        std::error_code ignored;
        fs::remove(temporary, ignored);
        problems.push_back(image.id + ": " + error.what());
        return std::nullopt;
    }
    iiif::ImageRecord record = image;
    record.master_sha256 = sha256_of_file(image.master_path);
    record.source = iiif::probe_source(image.master_path);
    record.version = image.version + 1;
    return record;
}

}  // namespace

bool has_rgb_jpeg_tiles(const std::string& path) {
    std::unique_ptr<TIFF, TiffCloser> tiff(TIFFOpen(path.c_str(), "rm"));
    if (!tiff) return false;
    uint16_t compression = 0, photometric = 0;
    TIFFGetField(tiff.get(), TIFFTAG_COMPRESSION, &compression);
    TIFFGetField(tiff.get(), TIFFTAG_PHOTOMETRIC, &photometric);
    return compression == COMPRESSION_JPEG && photometric == PHOTOMETRIC_RGB;
}

RemasterReport remaster_masters(const DaemonConfig& config, iiif::CatalogWriter& catalog) {
    RemasterReport report;
    if (config.master_format != "tiff") return report;
    const ObjectStore store(config.storage_root);
    iiif::CatalogReader::Position after;
    for (;;) {
        const std::vector<iiif::ObjectRecord> batch =
            catalog.reader().objects_by_date(after, 0, kBatch);
        if (batch.empty()) break;
        after = iiif::CatalogReader::position_of(batch.back());
        for (const iiif::ObjectRecord& object : batch) {
            if (object.state != iiif::RecordState::active) continue;
            std::vector<iiif::ImageRecord> images;
            bool changed = false;
            for (const std::string& id : object.images) {
                std::optional<iiif::ImageRecord> image = catalog.reader().image(id);
                if (!image) continue;
                if (has_rgb_jpeg_tiles(image->master_path)) {
                    if (std::optional<iiif::ImageRecord> made =
                            remaster(config, *image, report.problems)) {
                        image = std::move(made);
                        changed = true;
                        ++report.images;
                    }
                }
                images.push_back(std::move(*image));
            }
            if (!changed) continue;
            // The storage root first, as everywhere: the catalog can be rebuilt from it.
            store.write(object, images, [&] { catalog.put(object, images); });
            ++report.objects;
        }
    }
    return report;
}

}  // namespace iiifd
