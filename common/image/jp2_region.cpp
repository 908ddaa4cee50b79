#include "jp2_region.hpp"

#include <openjpeg.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include "iiif_error.hpp"

namespace iiif {
namespace {

// A block is a square of this many pixels of the level, aligned on the level's own grid, as a
// viewer's tiles are: a viewer's tile is one block, decoded as one area (OpenJPEG decodes only
// the code-blocks an area needs, in tiled and untiled files alike).
constexpr std::int64_t kBlock = 128;
// OpenJPEG's file stream reads ahead by this much; tile data larger than it is read straight
// into place. Its default, 1 MiB, is read at the first header byte and at each tile header a
// random access walks past (files without TLM markers): opening a 1024-tiled 10000 x 8000 file
// and decoding one tile at reduce 6 took 3.5 ms with it, 1.1 ms with 64 KiB, 0.6 with 16 KiB.
constexpr OPJ_SIZE_T kStreamChunk = 16 * 1024;

// OpenJPEG's worker threads per decode (code-blocks in parallel). Measured on 2 cores with 500 x
// 500 areas at reduce 1 of the bench image: the CPU time per decode is the same with 0 and 2
// (86 ms), so a server whose render threads already use every core loses nothing, and a decode
// alone on the machine took 52 ms instead of 91.
constexpr int kDecodeThreads = 2;

// Thrown from inside a decode, caught by read_jp2_region: the file is libvips' to read.
struct Declined {};

[[noreturn]] void damaged(const std::string& why) {
    throw IiifError(422, "source image is damaged: " + why);
}

// ---- What the JP2 boxes declare ---------------------------------------------------------------

// The colours a JP2 file's header boxes declare (ISO/IEC 15444-1, annex I). OpenJPEG applies
// them only while decoding, after opj_read_header, so a file is judged from its boxes first.
struct DeclaredColour {
    bool boxes = true;     // false for a raw codestream: nothing declared, colours unspecified
    bool palette = false;  // a pclr box: indices to expand
    int method = 0;        // the first colr box's METH: 1 enumerated, 2 or 3 ICC, 0 no colr box
    std::uint32_t enumerated = 0;  // its EnumCS when METH is 1
};

std::uint32_t big_endian32(const unsigned char* bytes) {
    return std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 |
           std::uint32_t{bytes[2]} << 8 | std::uint32_t{bytes[3]};
}

constexpr std::uint32_t box_type(const char (&name)[5]) {
    return std::uint32_t(static_cast<unsigned char>(name[0])) << 24 |
           std::uint32_t(static_cast<unsigned char>(name[1])) << 16 |
           std::uint32_t(static_cast<unsigned char>(name[2])) << 8 |
           std::uint32_t(static_cast<unsigned char>(name[3]));
}

// The box whose header is at `at` of `size` bytes; false when its header does not fit.
struct Box {
    std::uint32_t type = 0;
    std::uint64_t content = 0, end = 0;  // offsets of its content and of the byte after it
};
bool read_box(const unsigned char* header, std::size_t available, std::uint64_t at,
              std::uint64_t size, Box& box) {
    if (available < 8) return false;
    std::uint64_t length = big_endian32(header);
    box.type = big_endian32(header + 4);
    box.content = at + 8;
    if (length == 1) {
        if (available < 16) return false;
        length = std::uint64_t{big_endian32(header + 8)} << 32 | big_endian32(header + 12);
        box.content = at + 16;
    } else if (length == 0) {
        length = size - at;
    }
    box.end = at + length;
    return box.end >= box.content;
}

// The boxes of `path` up to its codestream; nullopt when they are not laid out as the
// standard says (libvips then has the file).
std::optional<DeclaredColour> read_declared_colour(const std::string& path) {
    std::ifstream file(path, std::ios::binary | std::ios::ate);
    if (!file) return std::nullopt;
    const std::uint64_t size = static_cast<std::uint64_t>(file.tellg());
    DeclaredColour colour;
    std::uint64_t at = 0;
    for (int boxes = 0; boxes < 64 && at < size; ++boxes) {
        unsigned char header[16];
        const std::size_t available =
            static_cast<std::size_t>(std::min<std::uint64_t>(sizeof header, size - at));
        file.seekg(static_cast<std::streamoff>(at));
        if (!file.read(reinterpret_cast<char*>(header), static_cast<std::streamsize>(available)))
            return std::nullopt;
        Box box;
        if (!read_box(header, available, at, size, box)) return std::nullopt;
        // A truncated codestream is OpenJPEG's to report.
        if (box.type == box_type("jp2c")) return colour;  // no jp2h before it: nothing declared
        if (box.end > size) return std::nullopt;
        if (box.type == box_type("jp2h")) {
            constexpr std::uint64_t kMaxHeader = 16 << 20;
            if (box.end - box.content > kMaxHeader) return std::nullopt;
            std::vector<unsigned char> content(box.end - box.content);
            file.seekg(static_cast<std::streamoff>(box.content));
            if (!file.read(reinterpret_cast<char*>(content.data()),
                           static_cast<std::streamsize>(content.size())))
                return std::nullopt;
            for (std::uint64_t child_at = 0; child_at < content.size();) {
                Box child;
                if (!read_box(content.data() + child_at, content.size() - child_at, child_at,
                              content.size(), child) ||
                    child.end > content.size())
                    return std::nullopt;
                const unsigned char* body = content.data() + child.content;
                const std::uint64_t body_size = child.end - child.content;
                if (child.type == box_type("pclr")) colour.palette = true;
                // Readers use the first colr box and ignore the others.
                if (child.type == box_type("colr") && colour.method == 0) {
                    if (body_size < 3 || body[0] == 0) return std::nullopt;
                    colour.method = body[0];
                    if (colour.method == 1) {
                        if (body_size < 7) return std::nullopt;
                        colour.enumerated = big_endian32(body + 3);
                    }
                }
                child_at = child.end;
            }
            return colour;
        }
        at = box.end;
    }
    return std::nullopt;
}

bool is_raw_codestream(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    unsigned char magic[2] = {};
    file.read(reinterpret_cast<char*>(magic), 2);
    return magic[0] == 0xFF && magic[1] == 0x4F;
}

// ---- OpenJPEG ---------------------------------------------------------------------------------

struct StreamCloser {
    void operator()(opj_stream_t* stream) const { opj_stream_destroy(stream); }
};
struct CodecCloser {
    void operator()(opj_codec_t* codec) const { opj_destroy_codec(codec); }
};
struct ImageCloser {
    void operator()(opj_image_t* image) const { opj_image_destroy(image); }
};
struct CodestreamCloser {
    void operator()(opj_codestream_info_v2_t* info) const { opj_destroy_cstr_info(&info); }
};

// A rectangle of OpenJPEG's reference grid (full-resolution pixels), ends excluded.
struct GridRect {
    std::int64_t x0, y0, x1, y1;
};

// One opened file: its stream, codec and main header, at one reduce factor, for one area.
class Decoder {
  public:
    Decoder(const std::string& path, bool raw_codestream, int reduce) {
        stream_.reset(opj_stream_create_file_stream(path.c_str(), kStreamChunk, OPJ_TRUE));
        codec_.reset(opj_create_decompress(raw_codestream ? OPJ_CODEC_J2K : OPJ_CODEC_JP2));
        if (!stream_ || !codec_) damaged("cannot open JPEG 2000 stream");
        opj_set_error_handler(codec_.get(), keep_first_error, &error_);
        opj_set_warning_handler(codec_.get(), ignore_message, nullptr);
        opj_set_info_handler(codec_.get(), ignore_message, nullptr);
        opj_dparameters_t parameters;
        opj_set_default_decoder_parameters(&parameters);
        parameters.cp_reduce = static_cast<OPJ_UINT32>(reduce);
        opj_image_t* image = nullptr;
        bool read = opj_setup_decoder(codec_.get(), &parameters);
        // False, and harmless, where OpenJPEG was built without threads.
        if (read) opj_codec_set_threads(codec_.get(), kDecodeThreads);
        read = read && opj_read_header(stream_.get(), codec_.get(), &image);
        image_.reset(image);
        if (read && image_) codestream_.reset(opj_get_cstr_info(codec_.get()));
        if (!read || !image_ || !codestream_) fail("unreadable JPEG 2000 header");
        components_ = image_->numcomps;
    }

    const opj_image_t& image() const { return *image_; }
    const opj_codestream_info_v2_t& codestream() const { return *codestream_; }

    // `area` at the reduce factor: image().comps hold it afterwards. Once per Decoder.
    void decode_area(const GridRect& area) {
        check(opj_set_decode_area(codec_.get(), image_.get(), static_cast<OPJ_INT32>(area.x0),
                                  static_cast<OPJ_INT32>(area.y0), static_cast<OPJ_INT32>(area.x1),
                                  static_cast<OPJ_INT32>(area.y1)) &&
              opj_decode(codec_.get(), stream_.get(), image_.get()));
    }

  private:
    static void keep_first_error(const char* message, void* error) {
        auto& kept = *static_cast<std::string*>(error);
        if (kept.empty() && message) {
            kept = message;
            while (!kept.empty() && (kept.back() == '\n' || kept.back() == ' ')) kept.pop_back();
        }
    }
    static void ignore_message(const char*, void*) {}

    [[noreturn]] void fail(const char* what) {
        damaged(error_.empty() ? std::string(what) : error_.substr(0, 200));
    }
    // An error reported on the way fails the decode too, as libvips' fail_on=error does.
    void check(bool decoded) {
        if (!decoded || !error_.empty()) fail("JPEG 2000 decoding failed");
        // A palette or channel definitions applied by the decode would change the components.
        const opj_image_t& image = *image_;
        if (image.numcomps != components_ || image.icc_profile_len != 0 ||
            (image.color_space != OPJ_CLRSPC_SRGB && image.color_space != OPJ_CLRSPC_GRAY &&
             image.color_space != OPJ_CLRSPC_UNSPECIFIED))
            throw Declined{};
        for (OPJ_UINT32 c = 0; c < image.numcomps; ++c)
            if (!image.comps[c].data) fail("JPEG 2000 decoding gave no pixels");
    }

    std::string error_;  // OpenJPEG's first error message
    std::unique_ptr<opj_stream_t, StreamCloser> stream_;
    std::unique_ptr<opj_codec_t, CodecCloser> codec_;
    std::unique_ptr<opj_image_t, ImageCloser> image_;
    std::unique_ptr<opj_codestream_info_v2_t, CodestreamCloser> codestream_;
    OPJ_UINT32 components_ = 0;
};

// Whether this decoder takes the file: 8-bit unsigned, unsubsampled, 1 to 4 components of a
// plain colour space, its geometry what `source` and `level` say.
bool accepts(const Decoder& decoder, const DeclaredColour& colour, const SourceInfo& source,
             const SourceLevel& level) {
    const opj_image_t& image = decoder.image();
    const opj_codestream_info_v2_t& codestream = decoder.codestream();
    const OPJ_UINT32 components = image.numcomps;
    if (components < 1 || components > 4 || colour.palette) return false;
    if (colour.boxes) {
        // Enumerated sRGB or grey; not an ICC profile (METH 2, 3), a vendor's method, or no
        // colr box at all (which OpenJPEG decodes as an unknown colour space).
        const bool srgb = colour.enumerated == 16 && components >= 3;
        const bool grey = colour.enumerated == 17 && components <= 2;
        if (colour.method != 1 || (!srgb && !grey)) return false;
    }
    for (OPJ_UINT32 c = 0; c < components; ++c) {
        const opj_image_comp_t& component = image.comps[c];
        if (component.prec != 8 || component.sgnd != 0 || component.dx != 1 || component.dy != 1)
            return false;
    }
    if (image.x0 != 0 || image.y0 != 0 || codestream.tx0 != 0 || codestream.ty0 != 0) return false;
    if (static_cast<std::int64_t>(image.x1) != source.width ||
        static_cast<std::int64_t>(image.y1) != source.height)
        return false;
    const bool tiled = codestream.tw > 1 || codestream.th > 1;
    if (tiled != source.tiled) return false;
    if (tiled && (static_cast<std::int64_t>(codestream.tdx) != source.tile_width ||
                  static_cast<std::int64_t>(codestream.tdy) != source.tile_height))
        return false;
    const opj_tccp_info_t* coding = codestream.m_default_tile_info.tccp_info;
    if (!coding) return false;
    for (OPJ_UINT32 c = 0; c < components; ++c)
        if (static_cast<int>(coding[c].numresolutions) <= level.page) return false;
    return true;
}

// The decoder for `path` at `level`, or Declined.
std::unique_ptr<Decoder> open_accepted(const std::string& path, const SourceInfo& source,
                                       const SourceLevel& level) {
    const bool raw_codestream = is_raw_codestream(path);
    DeclaredColour colour{.boxes = false};
    if (!raw_codestream) {
        std::optional<DeclaredColour> declared = read_declared_colour(path);
        if (!declared) throw Declined{};
        colour = *declared;
    }
    auto decoder = std::make_unique<Decoder>(path, raw_codestream, level.page);
    if (!accepts(*decoder, colour, source, level)) throw Declined{};
    return decoder;
}

// ---- Pixels -----------------------------------------------------------------------------------

// Interleaves one row of `Bands` components: every pixel written once, all its samples together
// (one pass over the output rather than a strided pass per component).
template <int Bands>
void interleave_row(const OPJ_INT32* const* from, std::uint8_t* to, int w) {
    for (int x = 0; x < w; ++x, to += Bands)
        for (int b = 0; b < Bands; ++b) to[b] = static_cast<std::uint8_t>(from[b][x]);
}

// Copies w x h pixels from (from_x, from_y) of the decoded components to (to_x, to_y) of `out`,
// interleaved. Every component is 8-bit and OpenJPEG clamps them to 0..255.
void copy_components(const opj_image_t& image, int from_x, int from_y, Pixels& out, int to_x,
                     int to_y, int w, int h) {
    const int bands = out.bands;
    for (int y = 0; y < h; ++y) {
        const OPJ_INT32* from[4] = {};
        for (int b = 0; b < bands; ++b) {
            const opj_image_comp_t& component = image.comps[b];
            from[b] = component.data + static_cast<std::size_t>(from_y + y) * component.w + from_x;
        }
        std::uint8_t* row = out.row(to_y + y) + static_cast<std::size_t>(to_x) * bands;
        switch (bands) {
            case 1:
                interleave_row<1>(from, row, w);
                break;
            case 2:
                interleave_row<2>(from, row, w);
                break;
            case 3:
                interleave_row<3>(from, row, w);
                break;
            default:
                interleave_row<4>(from, row, w);
                break;
        }
    }
}

// The decoded components must be exactly w x h: what the level's geometry predicts.
void check_decoded_size(const opj_image_t& image, int w, int h) {
    for (OPJ_UINT32 c = 0; c < image.numcomps; ++c)
        if (static_cast<int>(image.comps[c].w) != w || static_cast<int>(image.comps[c].h) != h)
            damaged("JPEG 2000 tile of an unexpected size");
}

// ---- Blocks of a level ------------------------------------------------------------------------

std::int64_t ceil_shift(std::int64_t value, int shift) {
    return (value + (std::int64_t{1} << shift) - 1) >> shift;
}

// The level of an image `full_width` x `full_height` at `reduce`, cut into blocks of `step` x
// `step` pixels of the reference grid (kBlock pixels of the level). Block i of a row starts at
// level pixel ceil(i * step / 2^reduce).
struct BlockGrid {
    std::int64_t full_width, full_height;
    int reduce;
    std::int64_t step;

    int block_of_x(int x) const { return static_cast<int>((std::int64_t{x} << reduce) / step); }
    int block_of_y(int y) const { return static_cast<int>((std::int64_t{y} << reduce) / step); }
    // The pixels of the level that a reference-grid span covers.
    PixelRect level_rect(const GridRect& grid) const {
        const std::int64_t x0 = ceil_shift(grid.x0, reduce), y0 = ceil_shift(grid.y0, reduce);
        return {static_cast<int>(x0), static_cast<int>(y0),
                static_cast<int>(ceil_shift(grid.x1, reduce) - x0),
                static_cast<int>(ceil_shift(grid.y1, reduce) - y0)};
    }
    // Blocks bx0..bx1 by by0..by1 (inclusive) on the reference grid.
    GridRect blocks_area(int bx0, int by0, int bx1, int by1) const {
        return {bx0 * step, by0 * step, std::min((bx1 + 1) * step, full_width),
                std::min((by1 + 1) * step, full_height)};
    }
};

BlockGrid block_grid(const SourceInfo& source, int reduce) {
    return {source.width, source.height, reduce, kBlock << reduce};
}

// Exactly `region` of the level, nothing kept.
Pixels decode_region(const std::string& path, const SourceInfo& source, const SourceLevel& level,
                     const PixelRect& region) {
    std::unique_ptr<Decoder> decoder = open_accepted(path, source, level);
    const int reduce = level.page;
    const GridRect area{
        std::int64_t{region.x} << reduce, std::int64_t{region.y} << reduce,
        std::min(std::int64_t{region.x + region.w} << reduce, std::int64_t{source.width}),
        std::min(std::int64_t{region.y + region.h} << reduce, std::int64_t{source.height})};
    decoder->decode_area(area);
    check_decoded_size(decoder->image(), region.w, region.h);
    Pixels out(region.w, region.h, static_cast<int>(decoder->image().numcomps));
    copy_components(decoder->image(), 0, 0, out, 0, 0, region.w, region.h);
    return out;
}

// `region` assembled from the level's blocks: those kept in decoded_tiles(), and the others
// decoded as one area (the smallest run of whole blocks that holds them), then kept.
Pixels assemble_region(const std::string& path, const SourceInfo& source, const SourceLevel& level,
                       const PixelRect& region, const std::string& identity) {
    const BlockGrid grid = block_grid(source, level.page);
    const std::string prefix = identity + "|jp2|" + std::to_string(level.page) + "|";
    const int bx0 = grid.block_of_x(region.x), bx1 = grid.block_of_x(region.x + region.w - 1);
    const int by0 = grid.block_of_y(region.y), by1 = grid.block_of_y(region.y + region.h - 1);
    const int across = bx1 - bx0 + 1;
    auto key = [&](int bx, int by) {
        return prefix + std::to_string(bx) + "," + std::to_string(by);
    };
    std::vector<SharedPixels> blocks(static_cast<std::size_t>(across * (by1 - by0 + 1)));
    auto block_at = [&](int bx, int by) -> SharedPixels& {
        return blocks[static_cast<std::size_t>((by - by0) * across + (bx - bx0))];
    };
    int mx0 = bx1 + 1, my0 = by1 + 1, mx1 = bx0 - 1, my1 = by0 - 1;  // the missing ones' box
    for (int by = by0; by <= by1; ++by)
        for (int bx = bx0; bx <= bx1; ++bx)
            if (!(block_at(bx, by) = decoded_tiles().find(key(bx, by)))) {
                mx0 = std::min(mx0, bx), mx1 = std::max(mx1, bx);
                my0 = std::min(my0, by), my1 = std::max(my1, by);
            }
    if (mx0 <= mx1) {
        std::unique_ptr<Decoder> decoder = open_accepted(path, source, level);
        const GridRect area = grid.blocks_area(mx0, my0, mx1, my1);
        const PixelRect decoded = grid.level_rect(area);
        decoder->decode_area(area);
        check_decoded_size(decoder->image(), decoded.w, decoded.h);
        const int bands = static_cast<int>(decoder->image().numcomps);
        for (int by = my0; by <= my1; ++by) {
            for (int bx = mx0; bx <= mx1; ++bx) {
                const PixelRect rect = grid.level_rect(grid.blocks_area(bx, by, bx, by));
                auto block = std::make_shared<Pixels>(rect.w, rect.h, bands);
                copy_components(decoder->image(), rect.x - decoded.x, rect.y - decoded.y, *block, 0,
                                0, rect.w, rect.h);
                decoded_tiles().put(key(bx, by), block);
                if (bx >= bx0 && bx <= bx1 && by >= by0 && by <= by1) block_at(bx, by) = block;
            }
        }
    }
    Pixels out(region.w, region.h, blocks.front()->bands);
    for (int by = by0; by <= by1; ++by) {
        for (int bx = bx0; bx <= bx1; ++bx) {
            const Pixels& block = *block_at(bx, by);
            const PixelRect rect = grid.level_rect(grid.blocks_area(bx, by, bx, by));
            const int x0 = std::max(rect.x, region.x),
                      x1 = std::min(rect.x + rect.w, region.x + region.w);
            const int y0 = std::max(rect.y, region.y),
                      y1 = std::min(rect.y + rect.h, region.y + region.h);
            const std::size_t bytes = static_cast<std::size_t>(x1 - x0) * out.bands;
            for (int y = y0; y < y1; ++y)
                std::memcpy(
                    out.row(y - region.y) + static_cast<std::size_t>(x0 - region.x) * out.bands,
                    block.row(y - rect.y) + static_cast<std::size_t>(x0 - rect.x) * out.bands,
                    bytes);
        }
    }
    return out;
}

}  // namespace

std::optional<Pixels> read_jp2_region(const std::string& path, const SourceInfo& source,
                                      const SourceLevel& level, const PixelRect& region,
                                      const std::string& identity) {
    if (source.format != SourceFormat::jp2 || level.page < 0 || level.page > 30)
        return std::nullopt;
    if (level.width != ceil_div(source.width, 1 << level.page) ||
        level.height != ceil_div(source.height, 1 << level.page))
        return std::nullopt;
    if (region.w <= 0 || region.h <= 0 || region.x < 0 || region.y < 0 ||
        region.x > level.width - region.w || region.y > level.height - region.h)
        throw IiifError(500, "JPEG 2000 region outside its level");
    try {
        if (identity.empty() || decoded_tiles().capacity() == 0)
            return decode_region(path, source, level, region);
        return assemble_region(path, source, level, region, identity);
    } catch (const Declined&) {
        return std::nullopt;
    }
}

}  // namespace iiif
