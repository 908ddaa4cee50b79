#include "tile_passthrough.hpp"

#include <tiffio.h>

#include <memory>
#include <vector>

namespace iiif {
namespace {

struct TiffCloser {
    void operator()(TIFF* tiff) const { TIFFClose(tiff); }
};

// Everything that would change the pixels between the stored tile and the answer rules the
// shortcut out.
bool plan_is_a_native_tile(const SourceInfo& source, const SourceLevel& level,
                           const ImagePlan& plan) {
    if (source.format != SourceFormat::tiff || !source.tiled) return false;
    if (plan.format != Format::jpg || plan.mirror || plan.degrees != 0) return false;
    if (plan.quality != Quality::default_quality && plan.quality != Quality::color) return false;
    const int s = level.scale_factor;
    const long long span_w = static_cast<long long>(source.tile_width) * s;
    const long long span_h = static_cast<long long>(source.tile_height) * s;
    if (plan.width != source.tile_width || plan.height != source.tile_height) return false;
    if (plan.region.w != span_w || plan.region.h != span_h) return false;
    if (plan.region.x % span_w != 0 || plan.region.y % span_h != 0) return false;
    // Interior tiles only: an edge tile is padded in the file and must be cropped.
    const long long level_x = plan.region.x / s, level_y = plan.region.y / s;
    return level_x + source.tile_width <= level.width &&
           level_y + source.tile_height <= level.height;
}

// True when the stream has an APP14 (Adobe) segment before its first scan.
bool has_adobe_marker(const std::vector<unsigned char>& jpeg) {
    size_t at = 2;
    while (at + 4 <= jpeg.size() && jpeg[at] == 0xFF) {
        unsigned char marker = jpeg[at + 1];
        if (marker == 0xEE) return true;
        if (marker == 0xDA) return false;  // start of scan: headers are over
        at += 2 + ((static_cast<size_t>(jpeg[at + 2]) << 8) | jpeg[at + 3]);
    }
    return false;
}

}  // namespace

std::optional<std::string> native_tile_jpeg(const std::string& path, const SourceInfo& source,
                                            const SourceLevel& level, const ImagePlan& plan) {
    if (!plan_is_a_native_tile(source, level, plan)) return std::nullopt;

    std::unique_ptr<TIFF, TiffCloser> tiff(TIFFOpen(path.c_str(), "rm"));
    if (!tiff || !TIFFSetDirectory(tiff.get(), static_cast<tdir_t>(level.page)))
        return std::nullopt;
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
    const bool colour = ycbcr || rgb;
    uint32_t icc_length = 0;
    void* icc = nullptr;
    if (compression != COMPRESSION_JPEG || !(colour || grey) || bits != 8 ||
        planar != PLANARCONFIG_CONTIG || tile_width != static_cast<uint32_t>(source.tile_width) ||
        tile_height != static_cast<uint32_t>(source.tile_height) ||
        width != static_cast<uint32_t>(level.width) ||
        height != static_cast<uint32_t>(level.height) ||
        TIFFGetField(t, TIFFTAG_ICCPROFILE, &icc_length, &icc))
        return std::nullopt;

    const uint32_t level_x = static_cast<uint32_t>(plan.region.x / level.scale_factor);
    const uint32_t level_y = static_cast<uint32_t>(plan.region.y / level.scale_factor);
    const ttile_t tile = TIFFComputeTile(t, level_x, level_y, 0, 0);
    uint64_t* byte_counts = nullptr;
    if (!TIFFGetField(t, TIFFTAG_TILEBYTECOUNTS, &byte_counts) || !byte_counts ||
        tile >= TIFFNumberOfTiles(t))
        return std::nullopt;
    const uint64_t raw_size = byte_counts[tile];
    if (raw_size < 4 || raw_size > (64u << 20)) return std::nullopt;

    std::vector<unsigned char> raw(raw_size);
    tmsize_t read = TIFFReadRawTile(t, tile, raw.data(), static_cast<tmsize_t>(raw_size));
    if (read != static_cast<tmsize_t>(raw_size) || raw[0] != 0xFF || raw[1] != 0xD8)
        return std::nullopt;

    // The tile is an abbreviated JPEG stream (SOI, frame, scan, EOI); the tables it refers to
    // are in JPEGTables, itself a stream of SOI, tables, EOI. The answer is SOI + tables +
    // the rest of the tile.
    uint32_t tables_length = 0;
    unsigned char* tables = nullptr;
    std::string jpeg;
    jpeg.reserve(raw_size + 1024);
    jpeg.append("\xFF\xD8", 2);
    if (rgb && !has_adobe_marker(raw)) {
        // TIFF says RGB; a lone JPEG without an Adobe marker would be read as YCbCr by some
        // decoders. The marker with transform 0 says "RGB, untransformed" to all of them.
        static const char kAdobeRgb[] =
            "\xFF\xEE\x00\x0E"
            "Adobe"
            "\x00\x64\x00\x00\x00\x00\x00";
        jpeg.append(kAdobeRgb, sizeof kAdobeRgb - 1);
    }
    if (TIFFGetField(t, TIFFTAG_JPEGTABLES, &tables_length, &tables) && tables &&
        tables_length >= 4) {
        if (tables[0] != 0xFF || tables[1] != 0xD8 || tables[tables_length - 2] != 0xFF ||
            tables[tables_length - 1] != 0xD9)
            return std::nullopt;
        jpeg.append(reinterpret_cast<const char*>(tables) + 2, tables_length - 4);
    }
    jpeg.append(reinterpret_cast<const char*>(raw.data()) + 2, raw_size - 2);
    return jpeg;
}

}  // namespace iiif
