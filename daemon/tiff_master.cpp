#include "tiff_master.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <tiffio.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <vector>

#include "source_info.hpp"
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
        levels.push_back(
            {iiif::ceil_div(levels.back().width, 2), iiif::ceil_div(levels.back().height, 2)});
    return levels;
}

int tile_count(const std::vector<Level>& levels, int tile_size) {
    int count = 0;
    for (const Level& level : levels)
        count += iiif::ceil_div(level.width, tile_size) * iiif::ceil_div(level.height, tile_size);
    return count;
}

// A level's rows, `width * bands` bytes each, for the tiles and for the next level.
class LevelRows {
  public:
    virtual ~LevelRows() = default;
    // Rows y to y + count - 1, contiguous from the pointer with stride(); valid until the next
    // call.
    virtual const unsigned char* rows(int y, int count) = 0;
    virtual size_t stride() const = 0;
};

// The full image, read through a libvips region: an image in memory or mapped from a file
// (the caller's decoded .v) is then read in place, with no copy and no thread pool.
class ImageRows : public LevelRows {
  public:
    explicit ImageRows(const VImage& image)
        : image_(image), region_(vips::VRegion::new_from_image(image)) {}
    const unsigned char* rows(int y, int count) override {
        region_.prepare(0, y, image_.width(), count);
        return region_.addr(0, y);
    }
    size_t stride() const override { return region_.stride(); }

  private:
    VImage image_;
    vips::VRegion region_;
};

// Levels up to this size are kept in memory; larger ones in a temporary file beside the master,
// mapped (a level is a quarter of the one before, which the caller's free space check covers).
constexpr size_t kLevelInMemoryBytes = size_t{64} << 20;

// A reduced level, made whole once (each level is read from the one before, not from the full
// image through a chain of reductions).
class BufferRows : public LevelRows {
  public:
    BufferRows(int width, int height, int bands, const std::string& directory)
        : stride_(static_cast<size_t>(width) * bands), size_(stride_ * height) {
        if (size_ <= kLevelInMemoryBytes) {
            memory_.resize(size_);
            data_ = memory_.data();
            return;
        }
        path_ = create_temporary_file(directory, ".level");
        const int fd = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(size_)) != 0) {
            if (fd >= 0) ::close(fd);
            throw std::runtime_error(path_ + ": cannot hold a level of the pyramid");
        }
        void* mapped = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        ::close(fd);
        if (mapped == MAP_FAILED) throw std::runtime_error(path_ + ": cannot map a level");
        data_ = static_cast<unsigned char*>(mapped);
        mapped_ = true;
    }
    ~BufferRows() override {
        if (mapped_) ::munmap(data_, size_);
        if (!path_.empty()) {
            std::error_code ignored;
            std::filesystem::remove(path_, ignored);
        }
    }
    BufferRows(const BufferRows&) = delete;
    BufferRows& operator=(const BufferRows&) = delete;

    const unsigned char* rows(int y, int) override { return data_ + stride_ * y; }
    size_t stride() const override { return stride_; }
    unsigned char* row(int y) { return data_ + stride_ * y; }

  private:
    size_t stride_, size_;
    std::vector<unsigned char> memory_;
    std::string path_;
    unsigned char* data_ = nullptr;
    bool mapped_ = false;
};

// The next level: each pixel the rounded average of a 2x2 block of `above`, whose odd last
// column and row count twice (so the size rounds up).
std::unique_ptr<BufferRows> halve(LevelRows& above, const Level& from, const Level& to, int bands,
                                  const std::string& directory) {
    auto half = std::make_unique<BufferRows>(to.width, to.height, bands, directory);
    for (int y = 0; y < to.height; ++y) {
        const int first = 2 * y, second = std::min(2 * y + 1, from.height - 1);
        const unsigned char* top = above.rows(first, second - first + 1);
        const unsigned char* bottom = top + (second - first) * above.stride();
        unsigned char* out = half->row(y);
        for (int x = 0; x < to.width; ++x) {
            const int left = 2 * x * bands;
            const int right = std::min(2 * x + 1, from.width - 1) * bands;
            for (int band = 0; band < bands; ++band)
                *out++ =
                    static_cast<unsigned char>((top[left + band] + top[right + band] +
                                                bottom[left + band] + bottom[right + band] + 2) /
                                               4);
        }
    }
    return half;
}

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
    std::unique_ptr<LevelRows> pixels = std::make_unique<ImageRows>(image);
    int written = 0, reported = -1;
    std::vector<unsigned char> tile_pixels(static_cast<size_t>(tile) * tile * bands);
    for (size_t index = 0; index < levels.size(); ++index) {
        const Level& level = levels[index];
        if (index > 0) pixels = halve(*pixels, levels[index - 1], level, bands, directory);
        describe_level(tiff.get(), level, bands, index > 0, options);
        for (int y = 0; y < level.height; y += tile) {
            const int rows = std::min(tile, level.height - y);
            const unsigned char* band = pixels->rows(y, rows);
            const size_t stride = pixels->stride();
            for (int x = 0; x < level.width; x += tile) {
                // Edge tiles are padded with their last column and row, which compress best.
                const int columns = std::min(tile, level.width - x);
                for (int row = 0; row < tile; ++row) {
                    const unsigned char* from =
                        band + std::min(row, rows - 1) * stride + static_cast<size_t>(x) * bands;
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
