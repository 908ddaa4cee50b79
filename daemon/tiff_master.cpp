#include "tiff_master.hpp"

#include <tiffio.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <vector>

#include "storage.hpp"

namespace iiifd {
namespace {

using vips::VImage;

struct TiffCloser {
    void operator()(TIFF* tiff) const { TIFFClose(tiff); }
};

struct Level {
    int width = 0, height = 0;
};

// Each level half the one before, rounded up, until one tile holds it: the sizes a reader of the
// pyramid expects, ceil(full / 2^n).
std::vector<Level> level_sizes(int width, int height, int tile_size) {
    std::vector<Level> levels{{width, height}};
    while (levels.back().width > tile_size || levels.back().height > tile_size)
        levels.push_back({(levels.back().width + 1) / 2, (levels.back().height + 1) / 2});
    return levels;
}

int tile_count(const std::vector<Level>& levels, int tile_size) {
    int count = 0;
    for (const Level& level : levels)
        count += ((level.width + tile_size - 1) / tile_size) *
                 ((level.height + tile_size - 1) / tile_size);
    return count;
}

// Levels up to this size are kept in memory; larger ones go to a temporary file beside the
// master (a level is a quarter of the one before, which the caller's free space check covers).
constexpr std::int64_t kLevelInMemoryBytes = std::int64_t{64} << 20;

// The next level: a 2x2 average of `above`, whose odd sizes are padded by one copied edge pixel,
// computed once and kept (in memory, or in a temporary file listed in `temporaries`), so that
// each level is read from the one before, not from the full image through a chain of shrinks.
VImage halve(const VImage& above, const std::string& directory,
             std::vector<std::string>& temporaries) {
    const VImage even =
        above.embed(0, 0, above.width() + above.width() % 2, above.height() + above.height() % 2,
                    VImage::option()->set("extend", VIPS_EXTEND_COPY));
    const VImage half = even.shrink(2, 2).cast(VIPS_FORMAT_UCHAR);
    const std::int64_t bytes = std::int64_t{half.width()} * half.height() * half.bands();
    if (bytes <= kLevelInMemoryBytes) return half.copy_memory();
    temporaries.push_back(create_temporary_file(directory, ".v"));
    half.write_to_file(temporaries.back().c_str());
    return VImage::new_from_file(temporaries.back().c_str());
}

// Removes the temporary level files when the master is done, or failed.
struct Temporaries {
    std::vector<std::string> paths;
    ~Temporaries() {
        for (const std::string& path : paths) {
            std::error_code ignored;
            std::filesystem::remove(path, ignored);
        }
    }
};

void describe_level(TIFF* tiff, const Level& level, int bands, bool reduced,
                    const TiffMasterOptions& options) {
    TIFFSetField(tiff, TIFFTAG_SUBFILETYPE, reduced ? FILETYPE_REDUCEDIMAGE : 0);
    TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, static_cast<uint32_t>(level.width));
    TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, static_cast<uint32_t>(level.height));
    TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, bands);
    TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tiff, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
    TIFFSetField(tiff, TIFFTAG_TILEWIDTH, static_cast<uint32_t>(options.tile_size));
    TIFFSetField(tiff, TIFFTAG_TILELENGTH, static_cast<uint32_t>(options.tile_size));
    TIFFSetField(tiff, TIFFTAG_COMPRESSION, COMPRESSION_JPEG);
    TIFFSetField(tiff, TIFFTAG_JPEGQUALITY, options.quality);
    if (bands == 3) {
        // libtiff's JPEG codec takes RGB rows, converts them to YCbCr and subsamples the chroma
        // 2x2 as the tags say.
        TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR);
        TIFFSetField(tiff, TIFFTAG_YCBCRSUBSAMPLING, 2, 2);
        TIFFSetField(tiff, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    } else {
        TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    }
}

}  // namespace

void write_tiff_master(const VImage& image, const std::string& path,
                       const TiffMasterOptions& options,
                       const std::function<void(int percent)>& progress) {
    const int bands = image.bands();
    if (image.format() != VIPS_FORMAT_UCHAR || (bands != 1 && bands != 3))
        throw std::runtime_error(path + ": a master is 8-bit grey or sRGB");
    if (options.tile_size < 16 || options.tile_size % 16 != 0)
        throw std::runtime_error(path + ": the tile size must be a multiple of 16");
    std::unique_ptr<TIFF, TiffCloser> tiff(TIFFOpen(path.c_str(), options.bigtiff ? "w8" : "w"));
    if (!tiff) throw std::runtime_error(path + ": cannot be written as TIFF");

    const int tile = options.tile_size;
    const std::vector<Level> levels = level_sizes(image.width(), image.height(), tile);
    const int total = tile_count(levels, tile);
    const std::string directory = std::filesystem::path(path).parent_path().string();
    Temporaries temporaries;
    VImage pixels = image;
    int written = 0, reported = -1;
    std::vector<unsigned char> tile_pixels(static_cast<size_t>(tile) * tile * bands);
    for (size_t index = 0; index < levels.size(); ++index) {
        const Level& level = levels[index];
        if (index > 0) pixels = halve(pixels, directory, temporaries.paths);
        if (pixels.width() != level.width || pixels.height() != level.height)
            throw std::runtime_error(path + ": a level of an unexpected size");
        describe_level(tiff.get(), level, bands, index > 0, options);
        const size_t row_bytes = static_cast<size_t>(level.width) * bands;
        for (int y = 0; y < level.height; y += tile) {
            // A band of tiles at a time: one libvips pipeline per band, not per tile.
            const int rows = std::min(tile, level.height - y);
            size_t size = 0;
            std::unique_ptr<void, decltype(&g_free)> band(
                pixels.crop(0, y, level.width, rows).write_to_memory(&size), g_free);
            if (size != row_bytes * rows) throw std::runtime_error(path + ": short band");
            const auto* band_pixels = static_cast<const unsigned char*>(band.get());
            for (int x = 0; x < level.width; x += tile) {
                // Edge tiles are padded with their last column and row, which compress best.
                const int columns = std::min(tile, level.width - x);
                for (int row = 0; row < tile; ++row) {
                    const unsigned char* from = band_pixels + std::min(row, rows - 1) * row_bytes +
                                                static_cast<size_t>(x) * bands;
                    unsigned char* to =
                        tile_pixels.data() + static_cast<size_t>(row) * tile * bands;
                    std::memcpy(to, from, static_cast<size_t>(columns) * bands);
                    for (int column = columns; column < tile; ++column)
                        std::memcpy(to + static_cast<size_t>(column) * bands,
                                    from + static_cast<size_t>(columns - 1) * bands, bands);
                }
                if (TIFFWriteTile(tiff.get(), tile_pixels.data(), static_cast<uint32_t>(x),
                                  static_cast<uint32_t>(y), 0, 0) < 0)
                    throw std::runtime_error(path + ": cannot write a tile");
                ++written;
            }
            const int percent = written * 100 / total;
            if (progress && percent != reported) progress(reported = percent);
        }
        if (!TIFFWriteDirectory(tiff.get()))
            throw std::runtime_error(path + ": cannot write a level");
    }
}

}  // namespace iiifd
