#include "tiff_tiles.hpp"

#include <fcntl.h>
#include <tiffio.h>
#include <turbojpeg.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <list>
#include <mutex>
#include <unordered_map>

#include "iiif_error.hpp"

namespace iiif {
namespace {

struct TiffCloser {
    void operator()(TIFF* tiff) const { TIFFClose(tiff); }
};

// True when the stream has an APP14 (Adobe) segment before its first scan.
bool has_adobe_marker(const std::string& jpeg) {
    size_t at = 2;
    while (at + 4 <= jpeg.size() && static_cast<unsigned char>(jpeg[at]) == 0xFF) {
        const auto marker = static_cast<unsigned char>(jpeg[at + 1]);
        if (marker == 0xEE) return true;
        if (marker == 0xDA) return false;  // start of scan: headers are over
        at += 2 + ((static_cast<size_t>(static_cast<unsigned char>(jpeg[at + 2])) << 8) |
                   static_cast<unsigned char>(jpeg[at + 3]));
    }
    return false;
}

std::shared_ptr<TiffJpegLevel> read_layout(const std::string& path, const SourceInfo& source,
                                           const SourceLevel& level) {
    if (source.format != SourceFormat::tiff || !source.tiled) return nullptr;
    std::unique_ptr<TIFF, TiffCloser> tiff(TIFFOpen(path.c_str(), "rm"));
    if (!tiff || !TIFFSetDirectory(tiff.get(), static_cast<tdir_t>(level.page))) return nullptr;
    TIFF* t = tiff.get();
    uint16_t compression = 0, photometric = 0, planar = PLANARCONFIG_CONTIG, samples = 0, bits = 0;
    uint32_t tile_width = 0, tile_height = 0, width = 0, height = 0;
    TIFFGetField(t, TIFFTAG_COMPRESSION, &compression);
    TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photometric);
    TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &samples);
    TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetField(t, TIFFTAG_TILEWIDTH, &tile_width);
    TIFFGetField(t, TIFFTAG_TILELENGTH, &tile_height);
    TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(t, TIFFTAG_IMAGELENGTH, &height);
    // Three colour samples (YCbCr or RGB JPEG) or one grey sample. An alpha band or an embedded
    // ICC profile (pixels that need converting) go the slow way.
    const bool ycbcr = photometric == PHOTOMETRIC_YCBCR && samples == 3;
    const bool rgb = photometric == PHOTOMETRIC_RGB && samples == 3;
    const bool grey = photometric == PHOTOMETRIC_MINISBLACK && samples == 1;
    uint32_t icc_length = 0;
    void* icc = nullptr;
    if (compression != COMPRESSION_JPEG || !(ycbcr || rgb || grey) || bits != 8 ||
        planar != PLANARCONFIG_CONTIG || tile_width != static_cast<uint32_t>(source.tile_width) ||
        tile_height != static_cast<uint32_t>(source.tile_height) ||
        width != static_cast<uint32_t>(level.width) ||
        height != static_cast<uint32_t>(level.height) ||
        TIFFGetField(t, TIFFTAG_ICCPROFILE, &icc_length, &icc))
        return nullptr;

    auto layout = std::make_shared<TiffJpegLevel>();
    layout->width = static_cast<int>(width);
    layout->height = static_cast<int>(height);
    layout->tile_width = static_cast<int>(tile_width);
    layout->tile_height = static_cast<int>(tile_height);
    layout->tiles_across = ceil_div(layout->width, layout->tile_width);
    layout->tiles_down = ceil_div(layout->height, layout->tile_height);
    layout->bands = grey ? 1 : 3;
    layout->rgb = rgb;
    uint16_t chroma_across = 2, chroma_down = 2;
    if (ycbcr) TIFFGetFieldDefaulted(t, TIFFTAG_YCBCRSUBSAMPLING, &chroma_across, &chroma_down);
    // JPEG-in-TIFF tiles are multiples of 16 on both sides; half a tile is then whole samples.
    layout->yuv420 = ycbcr && chroma_across == 2 && chroma_down == 2 && tile_width % 16 == 0 &&
                     tile_height % 16 == 0;
    const auto tiles =
        static_cast<size_t>(layout->tiles_across) * static_cast<size_t>(layout->tiles_down);
    uint64_t* offsets = nullptr;
    uint64_t* byte_counts = nullptr;
    if (TIFFNumberOfTiles(t) != tiles || !TIFFGetField(t, TIFFTAG_TILEOFFSETS, &offsets) ||
        !TIFFGetField(t, TIFFTAG_TILEBYTECOUNTS, &byte_counts) || !offsets || !byte_counts)
        return nullptr;
    layout->offsets.assign(offsets, offsets + tiles);
    layout->byte_counts.assign(byte_counts, byte_counts + tiles);

    // A tile is an abbreviated JPEG stream (SOI, frame, scan, EOI); the tables it refers to are
    // in JPEGTables, itself a stream of SOI, tables, EOI. A standalone JPEG is SOI + tables +
    // the rest of the tile.
    layout->prefix.assign("\xFF\xD8", 2);
    uint32_t tables_length = 0;
    unsigned char* tables = nullptr;
    if (TIFFGetField(t, TIFFTAG_JPEGTABLES, &tables_length, &tables) && tables &&
        tables_length >= 4) {
        if (tables[0] != 0xFF || tables[1] != 0xD8 || tables[tables_length - 2] != 0xFF ||
            tables[tables_length - 1] != 0xD9)
            return nullptr;
        layout->prefix.append(reinterpret_cast<const char*>(tables) + 2, tables_length - 4);
    }
    layout->fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (layout->fd < 0) return nullptr;
    return layout;
}

// Kept layouts, most recent first, each under its source's identity and page.
class LayoutCache {
  public:
    SharedTiffJpegLevel get(const std::string& key,
                            const std::function<SharedTiffJpegLevel()>& read) {
        {
            std::lock_guard lock(mutex_);
            if (auto found = index_.find(key); found != index_.end()) {
                entries_.splice(entries_.begin(), entries_, found->second);
                return found->second->second;
            }
        }
        // Read outside the lock; two threads may read the same layout, the second one's stays.
        SharedTiffJpegLevel layout = read();
        if (!layout) return layout;
        std::lock_guard lock(mutex_);
        if (auto found = index_.find(key); found != index_.end()) {
            entries_.erase(found->second);
            index_.erase(found);
        }
        entries_.emplace_front(key, layout);
        index_[key] = entries_.begin();
        trim_locked();
        return layout;
    }
    void set_capacity(size_t capacity) {
        std::lock_guard lock(mutex_);
        capacity_ = capacity;
        trim_locked();
    }

  private:
    void trim_locked() {
        while (entries_.size() > capacity_) {
            index_.erase(entries_.back().first);
            entries_.pop_back();
        }
    }
    std::mutex mutex_;
    size_t capacity_ = 64;
    std::list<std::pair<std::string, SharedTiffJpegLevel>> entries_;
    std::unordered_map<std::string,
                       std::list<std::pair<std::string, SharedTiffJpegLevel>>::iterator>
        index_;
};

LayoutCache& layouts() {
    static LayoutCache cache;
    return cache;
}

struct TurboCloser {
    void operator()(void* handle) const { tjDestroy(handle); }
};

// One decompressor per thread: a TurboJPEG handle is not to be shared between threads.
std::unique_ptr<void, TurboCloser>& thread_decompressor() {
    thread_local std::unique_ptr<void, TurboCloser> handle;
    return handle;
}

tjhandle decompressor() {
    std::unique_ptr<void, TurboCloser>& handle = thread_decompressor();
    if (!handle) handle.reset(tjInitDecompress());
    if (!handle) throw IiifError(500, "TurboJPEG failed to initialise");
    return handle.get();
}

[[noreturn]] void damaged_tile(const std::string& why) {
    throw IiifError(422, "source image is damaged: " + why);
}

// What went wrong with the thread's decompressor, which is dropped: libjpeg-turbo 2.1 leaves a
// handle that failed in the middle of a stream, and every stream after on it fails too ("two
// SOI markers"), so one damaged tile would make every later tile of this thread a 422.
std::string decompressor_error() {
    const std::string why = tjGetErrorStr2(decompressor());
    thread_decompressor().reset();
    return why;
}

// A tile's JPEG stream and what its header says, checked against the TIFF's tile size.
struct TileStream {
    std::string jpeg;
    int width = 0, height = 0, subsampling = 0, colourspace = 0;

    const unsigned char* bytes() const {
        return reinterpret_cast<const unsigned char*>(jpeg.data());
    }
    unsigned long size() const { return static_cast<unsigned long>(jpeg.size()); }
};

TileStream read_tile_stream(const TiffJpegLevel& layout, size_t index, tjhandle handle) {
    std::optional<std::string> jpeg = tiff_tile_jpeg(layout, index);
    if (!jpeg) damaged_tile("tile " + std::to_string(index) + " is not a JPEG stream");
    TileStream stream;
    stream.jpeg = std::move(*jpeg);
    if (tjDecompressHeader3(handle, stream.bytes(), stream.size(), &stream.width, &stream.height,
                            &stream.subsampling, &stream.colourspace) != 0)
        damaged_tile(decompressor_error());
    if (stream.width != layout.tile_width || stream.height != layout.tile_height)
        damaged_tile("tile " + std::to_string(index) + " is " + std::to_string(stream.width) + "x" +
                     std::to_string(stream.height) + ", not the TIFF's tile size");
    return stream;
}

// After a decode that failed: a warning (a stream cut short: the rest of the tile grey) still
// gives the tile; a fatal error is a damaged tile.
void check_decoded(tjhandle handle) {
    const bool fatal = tjGetErrorCode(handle) == TJERR_FATAL;
    const std::string why = decompressor_error();
    if (fatal) damaged_tile(why);
}

SharedPixels decode_tile(const TiffJpegLevel& layout, size_t index) {
    tjhandle handle = decompressor();
    const TileStream stream = read_tile_stream(layout, index, handle);
    auto pixels = std::make_shared<Pixels>(stream.width, stream.height, layout.bands);
    const int format = layout.bands == 1 ? TJPF_GRAY : TJPF_RGB;
    if (tjDecompress2(handle, stream.bytes(), stream.size(), pixels->data.get(), stream.width,
                      static_cast<int>(pixels->row_bytes()), stream.height, format, 0) != 0)
        check_decoded(handle);
    return pixels;
}

// Thrown by decode_tile_yuv for a tile whose stream is not YCbCr 4:2:0 after all.
struct NotYuv420 {};

// A 4:2:0 tile as its three planes in one block of bytes, kept in the decoded-tile cache as a
// one-band Pixels tile_width wide and one and a half tiles tall: luma, then Cb and Cr, each
// half the tile's width and height, rows packed.
SharedPixels decode_tile_yuv(const TiffJpegLevel& layout, size_t index) {
    tjhandle handle = decompressor();
    const TileStream stream = read_tile_stream(layout, index, handle);
    // A stream coded otherwise than its TIFF says (some writers do): decodable, but not as planes.
    if (stream.subsampling != TJSAMP_420 || stream.colourspace != TJCS_YCbCr) throw NotYuv420{};
    const int width = stream.width, height = stream.height;
    auto pixels = std::make_shared<Pixels>(width, height + height / 2, 1);
    const size_t luma = static_cast<size_t>(width) * static_cast<size_t>(height);
    unsigned char* planes[3] = {pixels->data.get(), pixels->data.get() + luma,
                                pixels->data.get() + luma + luma / 4};
    int strides[3] = {width, width / 2, width / 2};
    if (tjDecompressToYUVPlanes(handle, stream.bytes(), stream.size(), planes, width, strides,
                                height, 0) != 0)
        check_decoded(handle);
    return pixels;
}

// The tiles of a region, each fetched once, when first needed.
class TileGrid {
  public:
    TileGrid(const TiffJpegLevel& layout, const SourceLevel& level, const std::string& identity,
             int first_column, int last_column, int first_row, int last_row)
        : layout_(layout),
          key_prefix_(identity.empty() ? ""
                                       : identity + "|" + std::to_string(level.page) + "|yuv|"),
          first_column_(first_column),
          first_row_(first_row),
          columns_(last_column - first_column + 1),
          tiles_(static_cast<size_t>(columns_) * static_cast<size_t>(last_row - first_row + 1)) {}

    // Plane 0 (luma), 1 (Cb) or 2 (Cr) of the tile at `column`, `row` of the level.
    Plane plane(int column, int row, int which) {
        SharedPixels& tile = tiles_[static_cast<size_t>(row - first_row_) * columns_ +
                                    static_cast<size_t>(column - first_column_)];
        if (!tile) {
            const size_t index =
                static_cast<size_t>(row) * static_cast<size_t>(layout_.tiles_across) +
                static_cast<size_t>(column);
            tile = key_prefix_.empty()
                       ? decode_tile_yuv(layout_, index)
                       : decoded_tiles().get(key_prefix_ + std::to_string(index),
                                             [&] { return decode_tile_yuv(layout_, index); });
        }
        const int w = layout_.tile_width, h = layout_.tile_height;
        std::uint8_t* data = const_cast<std::uint8_t*>(tile->data.get());
        if (which == 0) return {data, w, h, static_cast<size_t>(w)};
        const size_t luma = static_cast<size_t>(w) * static_cast<size_t>(h);
        return {data + luma + (which == 2 ? luma / 4 : 0), w / 2, h / 2,
                static_cast<size_t>(w / 2)};
    }

  private:
    const TiffJpegLevel& layout_;
    std::string key_prefix_;
    int first_column_, first_row_;
    size_t columns_;
    std::vector<SharedPixels> tiles_;
};

// The rectangle x, y, w, h of plane `which` of the level (tiles of tile_w x tile_h samples in
// that plane), which must lie inside the tiles fetched, into `out`'s top-left w x h.
void gather(TileGrid& grid, int which, int tile_w, int tile_h, int x, int y, int w, int h,
            const Plane& out) {
    for (int row = y / tile_h; row <= (y + h - 1) / tile_h; ++row) {
        for (int column = x / tile_w; column <= (x + w - 1) / tile_w; ++column) {
            const Plane tile = grid.plane(column, row, which);
            const int tile_x = column * tile_w, tile_y = row * tile_h;
            const int x0 = std::max(x, tile_x), x1 = std::min(x + w, tile_x + tile_w);
            const int y0 = std::max(y, tile_y), y1 = std::min(y + h, tile_y + tile_h);
            for (int r = y0; r < y1; ++r)
                std::memcpy(out.row(r - y) + (x0 - x), tile.row(r - tile_y) + (x0 - tile_x),
                            static_cast<size_t>(x1 - x0));
        }
    }
}

}  // namespace

TiffJpegLevel::~TiffJpegLevel() {
    if (fd >= 0) close(fd);
}

SharedTiffJpegLevel tiff_jpeg_level(const std::string& path, const SourceInfo& source,
                                    const SourceLevel& level, const std::string& identity) {
    if (identity.empty()) return read_layout(path, source, level);
    return layouts().get(identity + "|" + std::to_string(level.page),
                         [&] { return read_layout(path, source, level); });
}

std::string tiff_tile_checked_jpeg(const TiffJpegLevel& layout, std::size_t index) {
    return read_tile_stream(layout, index, decompressor()).jpeg;
}

std::optional<std::string> tiff_tile_jpeg(const TiffJpegLevel& layout, std::size_t index) {
    if (index >= layout.offsets.size()) return std::nullopt;
    const std::uint64_t size = layout.byte_counts[index];
    if (size < 4 || size > (64u << 20)) return std::nullopt;
    std::string raw(size, '\0');
    size_t done = 0;
    while (done < size) {
        const ssize_t got = pread(layout.fd, raw.data() + done, size - done,
                                  static_cast<off_t>(layout.offsets[index] + done));
        if (got <= 0) return std::nullopt;
        done += static_cast<size_t>(got);
    }
    if (static_cast<unsigned char>(raw[0]) != 0xFF || static_cast<unsigned char>(raw[1]) != 0xD8)
        return std::nullopt;
    std::string jpeg;
    jpeg.reserve(layout.prefix.size() + 16 + size);
    jpeg.append(layout.prefix, 0, 2);
    if (layout.rgb && !has_adobe_marker(raw)) {
        // TIFF says RGB; a lone JPEG without an Adobe marker would be read as YCbCr by some
        // decoders. The marker with transform 0 says "RGB, untransformed" to all of them.
        static const char kAdobeRgb[] =
            "\xFF\xEE\x00\x0E"
            "Adobe"
            "\x00\x64\x00\x00\x00\x00\x00";
        jpeg.append(kAdobeRgb, sizeof kAdobeRgb - 1);
    }
    jpeg.append(layout.prefix, 2);
    jpeg.append(raw, 2);
    return jpeg;
}

std::optional<Pixels> read_tiff_region(const std::string& path, const SourceInfo& source,
                                       const SourceLevel& level, const PixelRect& region,
                                       const std::string& identity) {
    SharedTiffJpegLevel layout = tiff_jpeg_level(path, source, level, identity);
    if (!layout) return std::nullopt;
    const TiffJpegLevel& l = *layout;
    if (region.w <= 0 || region.h <= 0 || region.x < 0 || region.y < 0 ||
        region.x + region.w > l.width || region.y + region.h > l.height)
        throw IiifError(500, "region outside the level");

    Pixels out(region.w, region.h, l.bands);
    const int first_column = region.x / l.tile_width;
    const int last_column = (region.x + region.w - 1) / l.tile_width;
    const int first_row = region.y / l.tile_height;
    const int last_row = (region.y + region.h - 1) / l.tile_height;
    const std::string key_prefix =
        identity.empty() ? "" : identity + "|" + std::to_string(level.page) + "|";
    for (int row = first_row; row <= last_row; ++row) {
        for (int column = first_column; column <= last_column; ++column) {
            const size_t index = static_cast<size_t>(row) * static_cast<size_t>(l.tiles_across) +
                                 static_cast<size_t>(column);
            SharedPixels tile = identity.empty()
                                    ? decode_tile(l, index)
                                    : decoded_tiles().get(key_prefix + std::to_string(index),
                                                          [&] { return decode_tile(l, index); });
            // The part of this tile inside the region, in level pixels.
            const int tile_x = column * l.tile_width, tile_y = row * l.tile_height;
            const int x0 = std::max(region.x, tile_x);
            const int x1 = std::min(region.x + region.w, tile_x + l.tile_width);
            const int y0 = std::max(region.y, tile_y);
            const int y1 = std::min(region.y + region.h, tile_y + l.tile_height);
            const size_t span = static_cast<size_t>(x1 - x0) * static_cast<size_t>(l.bands);
            for (int y = y0; y < y1; ++y)
                std::memcpy(out.row(y - region.y) +
                                static_cast<size_t>(x0 - region.x) * static_cast<size_t>(l.bands),
                            tile->row(y - tile_y) +
                                static_cast<size_t>(x0 - tile_x) * static_cast<size_t>(l.bands),
                            span);
        }
    }
    return out;
}

namespace {

void read_planes(const TiffJpegLevel& l, const SourceLevel& level, const PixelRect& region,
                 const std::string& identity, Yuv420& out) {
    if (!l.yuv420 || region.w <= 0 || region.h <= 0 || region.x < 0 || region.y < 0 ||
        region.x + region.w > l.width || region.y + region.h > l.height || out.width != region.w ||
        out.height != region.h)
        throw IiifError(500, "region outside the level");
    // The level's chroma samples the region's are made of: from its first pixel's (half its
    // offset, rounded down) to one past its last on an odd offset, the last of the level
    // repeated beyond it.
    const int chroma_w = Yuv420::chroma_size(l.width), chroma_h = Yuv420::chroma_size(l.height);
    const bool odd_x = region.x % 2 != 0, odd_y = region.y % 2 != 0;
    const int cx = region.x / 2, cy = region.y / 2;
    const int cw = std::min(out.cb.width + (odd_x ? 1 : 0), chroma_w - cx);
    const int ch = std::min(out.cb.height + (odd_y ? 1 : 0), chroma_h - cy);
    const int ctw = l.tile_width / 2, cth = l.tile_height / 2;
    TileGrid grid(l, level, identity, std::min(region.x / l.tile_width, cx / ctw),
                  std::max((region.x + region.w - 1) / l.tile_width, (cx + cw - 1) / ctw),
                  std::min(region.y / l.tile_height, cy / cth),
                  std::max((region.y + region.h - 1) / l.tile_height, (cy + ch - 1) / cth));
    gather(grid, 0, l.tile_width, l.tile_height, region.x, region.y, region.w, region.h, out.y);
    if (!odd_x && !odd_y) {
        gather(grid, 1, ctw, cth, cx, cy, cw, ch, out.cb);
        gather(grid, 2, ctw, cth, cx, cy, cw, ch, out.cr);
        return;
    }
    // Half a chroma sample off: gathered, then each output sample the mean of the two (or four)
    // it lies between.
    thread_local ScratchBuffer scratch(1 << 20);
    const Plane samples{scratch.get(static_cast<size_t>(cw) * static_cast<size_t>(ch)), cw, ch,
                        static_cast<size_t>(cw)};
    for (int which = 1; which <= 2; ++which) {
        const Plane& dst = which == 1 ? out.cb : out.cr;
        gather(grid, which, ctw, cth, cx, cy, cw, ch, samples);
        for (int y = 0; y < dst.height; ++y) {
            const std::uint8_t* a = samples.row(std::min(y, ch - 1));
            const std::uint8_t* b = samples.row(std::min(y + (odd_y ? 1 : 0), ch - 1));
            std::uint8_t* d = dst.row(y);
            // The last sample's right neighbour may be past the level: the edge repeats.
            const int dx = odd_x ? 1 : 0, last = dst.width - 1;
            for (int x = 0; x < last; ++x)
                d[x] = static_cast<std::uint8_t>((a[x] + a[x + dx] + b[x] + b[x + dx] + 2) >> 2);
            const int x1 = std::min(last + dx, cw - 1);
            d[last] = static_cast<std::uint8_t>((a[last] + a[x1] + b[last] + b[x1] + 2) >> 2);
        }
    }
    scratch.trim();
}

}  // namespace

bool read_tiff_region_yuv(const TiffJpegLevel& layout, const SourceLevel& level,
                          const PixelRect& region, const std::string& identity, Yuv420& out) {
    try {
        read_planes(layout, level, region, identity, out);
        return true;
    } catch (const NotYuv420&) {
        return false;
    }
}

void set_tiff_layout_capacity(std::size_t capacity) {
    layouts().set_capacity(capacity);
}

}  // namespace iiif
