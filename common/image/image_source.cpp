#include "image_source.hpp"

#include <openjpeg.h>
#include <sys/stat.h>
#include <tiffio.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vips/vips8>

#include "iiif_error.hpp"

namespace iiif {
namespace {

[[noreturn]] void damaged(const std::string& why) {
    throw IiifError(422, "source image is damaged: " + why);
}

// A level at scale factor s of a W x H image is ceil(W/s) x ceil(H/s); encoders that halve by
// flooring are accepted too.
bool is_level_of(int width, int height, int full_width, int full_height, int factor) {
    auto close = [&](int value, int full) {
        return value == ceil_div(full, factor) || value == full / factor;
    };
    return close(width, full_width) && close(height, full_height);
}

SourceFormat sniff_format(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    unsigned char magic[12] = {};
    file.read(reinterpret_cast<char*>(magic), sizeof magic);
    auto starts = [&](std::initializer_list<unsigned char> bytes) {
        return std::equal(bytes.begin(), bytes.end(), magic);
    };
    // Classic TIFF (version 42) and BigTIFF (43, 8-byte offsets: what a file that may pass
    // 4 GiB is written as, iiifd's large masters among them), in either byte order.
    if (starts({'I', 'I', 42, 0}) || starts({'M', 'M', 0, 42}) || starts({'I', 'I', 43, 0}) ||
        starts({'M', 'M', 0, 43}))
        return SourceFormat::tiff;
    if (starts({0, 0, 0, 0x0C, 'j', 'P', ' ', ' '}) || starts({0xFF, 0x4F, 0xFF, 0x51}))
        return SourceFormat::jp2;
    if (starts({0xFF, 0xD8, 0xFF})) return SourceFormat::jpeg;
    if (starts({0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'})) return SourceFormat::png;
    if (starts({'R', 'I', 'F', 'F'}) && std::memcmp(magic + 8, "WEBP", 4) == 0)
        return SourceFormat::webp;
    if (starts({'G', 'I', 'F', '8'})) return SourceFormat::gif;
    return SourceFormat::other;
}

void check_dimensions(int width, int height, const SourceLimits& limits) {
    if (width <= 0 || height <= 0) damaged("it declares no pixels");
    if (width > limits.max_dimension || height > limits.max_dimension)
        damaged("it declares " + std::to_string(width) + "x" + std::to_string(height) +
                " pixels, over the limit of " + std::to_string(limits.max_dimension));
}

// libtiff reports through global handlers; problems surface as return values instead.
struct TiffCloser {
    void operator()(TIFF* tiff) const { TIFFClose(tiff); }
};

SourceInfo probe_tiff(const std::string& path, const SourceLimits& limits) {
    std::unique_ptr<TIFF, TiffCloser> tiff(TIFFOpen(path.c_str(), "r"));
    if (!tiff) damaged("unreadable TIFF header");
    SourceInfo info;
    info.format = SourceFormat::tiff;
    uint32_t width = 0, height = 0;
    TIFFGetField(tiff.get(), TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(tiff.get(), TIFFTAG_IMAGELENGTH, &height);
    if (width > INT32_MAX || height > INT32_MAX) damaged("absurd dimensions");
    info.width = static_cast<int>(width);
    info.height = static_cast<int>(height);
    check_dimensions(info.width, info.height, limits);
    if (TIFFIsTiled(tiff.get())) {
        uint32_t tile_width = 0, tile_height = 0;
        TIFFGetField(tiff.get(), TIFFTAG_TILEWIDTH, &tile_width);
        TIFFGetField(tiff.get(), TIFFTAG_TILELENGTH, &tile_height);
        if (tile_width == 0 || tile_height == 0 || tile_width > 8192 || tile_height > 8192)
            damaged("absurd tile size");
        info.tiled = true;
        info.tile_width = static_cast<int>(tile_width);
        info.tile_height = static_cast<int>(tile_height);
    }
    info.levels.push_back({1, info.width, info.height, 0, 1});

    // A pyramid written as pages (libvips, most digitisation tools): each following page that
    // is the previous level halved is a level. Other pages (a multi-page document) end the scan.
    constexpr int kMaxPages = 32;
    for (int page = 1; page < kMaxPages && TIFFReadDirectory(tiff.get()); ++page) {
        uint32_t level_width = 0, level_height = 0;
        TIFFGetField(tiff.get(), TIFFTAG_IMAGEWIDTH, &level_width);
        TIFFGetField(tiff.get(), TIFFTAG_IMAGELENGTH, &level_height);
        int factor = info.levels.back().scale_factor * 2;
        if (!is_level_of(static_cast<int>(level_width), static_cast<int>(level_height), info.width,
                         info.height, factor))
            break;
        info.levels.push_back(
            {factor, static_cast<int>(level_width), static_cast<int>(level_height), page, 1});
    }
    return info;
}

void ignore_openjpeg_message(const char*, void*) {}

struct StreamCloser {
    void operator()(opj_stream_t* stream) const { opj_stream_destroy(stream); }
};
struct CodecCloser {
    void operator()(opj_codec_t* codec) const { opj_destroy_codec(codec); }
};

SourceInfo probe_jp2(const std::string& path, const SourceLimits& limits) {
    bool raw_codestream = false;
    {
        std::ifstream file(path, std::ios::binary);
        unsigned char magic[2] = {};
        file.read(reinterpret_cast<char*>(magic), 2);
        raw_codestream = magic[0] == 0xFF && magic[1] == 0x4F;
    }
    std::unique_ptr<opj_stream_t, StreamCloser> stream(
        opj_stream_create_default_file_stream(path.c_str(), OPJ_TRUE));
    std::unique_ptr<opj_codec_t, CodecCloser> codec(
        opj_create_decompress(raw_codestream ? OPJ_CODEC_J2K : OPJ_CODEC_JP2));
    if (!stream || !codec) damaged("cannot open JPEG 2000 stream");
    opj_set_error_handler(codec.get(), ignore_openjpeg_message, nullptr);
    opj_set_warning_handler(codec.get(), ignore_openjpeg_message, nullptr);
    opj_set_info_handler(codec.get(), ignore_openjpeg_message, nullptr);
    opj_dparameters_t parameters;
    opj_set_default_decoder_parameters(&parameters);
    if (!opj_setup_decoder(codec.get(), &parameters)) damaged("cannot set up JPEG 2000 decoder");

    opj_image_t* header = nullptr;
    if (!opj_read_header(stream.get(), codec.get(), &header) || !header)
        damaged("unreadable JPEG 2000 header");
    std::unique_ptr<opj_image_t, decltype(&opj_image_destroy)> image(header, opj_image_destroy);
    std::unique_ptr<opj_codestream_info_v2_t, void (*)(opj_codestream_info_v2_t*)> codestream(
        opj_get_cstr_info(codec.get()),
        [](opj_codestream_info_v2_t* info) { opj_destroy_cstr_info(&info); });
    if (!codestream || image->x1 <= image->x0 || image->y1 <= image->y0)
        damaged("JPEG 2000 header declares no pixels");

    SourceInfo info;
    info.format = SourceFormat::jp2;
    long long width = static_cast<long long>(image->x1) - image->x0;
    long long height = static_cast<long long>(image->y1) - image->y0;
    if (width > INT32_MAX || height > INT32_MAX) damaged("absurd dimensions");
    info.width = static_cast<int>(width);
    info.height = static_cast<int>(height);
    check_dimensions(info.width, info.height, limits);

    // Partial decoding makes any JPEG 2000 random-access by region; declare its own tiles when it
    // has several, else our default tile size.
    int tile_width = static_cast<int>(std::min<OPJ_UINT32>(codestream->tdx, 1u << 30));
    int tile_height = static_cast<int>(std::min<OPJ_UINT32>(codestream->tdy, 1u << 30));
    info.tiled = tile_width < info.width || tile_height < info.height;
    if (info.tiled) {
        info.tile_width = tile_width;
        info.tile_height = tile_height;
    }
    int resolutions = 1;
    if (codestream->m_default_tile_info.tccp_info)
        resolutions = static_cast<int>(codestream->m_default_tile_info.tccp_info[0].numresolutions);
    resolutions = std::clamp(resolutions, 1, 32);
    for (int level = 0; level < resolutions; ++level) {
        int factor = 1 << level;
        info.levels.push_back(
            {factor, ceil_div(info.width, factor), ceil_div(info.height, factor), level, 1});
    }
    return info;
}

SourceInfo probe_with_vips(const std::string& path, SourceFormat format,
                           const SourceLimits& limits) {
    vips::VImage header;
    try {
        header = vips::VImage::new_from_file(path.c_str());
    } catch (const vips::VError& error) {
        damaged("unreadable header");
    }
    SourceInfo info;
    info.format = format;
    info.width = header.width();
    info.height = header.height();
    check_dimensions(info.width, info.height, limits);
    info.levels.push_back({1, info.width, info.height, 0, 1});
    if (format == SourceFormat::jpeg) {
        // libjpeg decodes at 1/2, 1/4 and 1/8 scale for a fraction of the cost.
        for (int shrink : {2, 4, 8})
            info.levels.push_back(
                {shrink, ceil_div(info.width, shrink), ceil_div(info.height, shrink), 0, shrink});
    }
    return info;
}

}  // namespace

SourceInfo probe_source(const std::string& path, const SourceLimits& limits) {
    struct stat status;
    if (stat(path.c_str(), &status) != 0 || !S_ISREG(status.st_mode))
        throw IiifError(404, "image not found");
    if (status.st_size == 0) damaged("empty file");
    SourceFormat format = sniff_format(path);
    switch (format) {
        case SourceFormat::tiff:
            return probe_tiff(path, limits);
        case SourceFormat::jp2:
            return probe_jp2(path, limits);
        case SourceFormat::jpeg:
        case SourceFormat::png:
        case SourceFormat::webp:
        case SourceFormat::gif:
            return probe_with_vips(path, format, limits);
        case SourceFormat::other:
            break;
    }
    throw IiifError(415, "source is not an image format this server reads");
}

SourceInfo probe_source(const std::string& path, const SourceLimits& limits,
                        const std::string& identity) {
    if (identity.empty()) return probe_source(path, limits);
    static std::mutex mutex;
    static std::unordered_map<std::string, SourceInfo> probed;
    constexpr size_t kCapacity = 4096;
    const std::string key = std::to_string(limits.max_dimension) + "|" + identity;
    {
        std::lock_guard lock(mutex);
        if (auto found = probed.find(key); found != probed.end()) return found->second;
    }
    SourceInfo source = probe_source(path, limits);
    std::lock_guard lock(mutex);
    if (probed.size() >= kCapacity) probed.clear();
    probed.emplace(key, source);
    return source;
}

}  // namespace iiif
