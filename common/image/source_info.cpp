#include "source_info.hpp"

#include <sstream>

namespace iiif {

std::string_view source_format_name(SourceFormat format) {
    switch (format) {
        case SourceFormat::tiff:
            return "tiff";
        case SourceFormat::jp2:
            return "jp2";
        case SourceFormat::jpeg:
            return "jpeg";
        case SourceFormat::png:
            return "png";
        case SourceFormat::webp:
            return "webp";
        case SourceFormat::gif:
            return "gif";
        case SourceFormat::other:
            return "other";
    }
    return "other";
}

std::string serialize_source_info(const SourceInfo& source) {
    std::ostringstream out;
    out << "v1 " << static_cast<int>(source.format) << ' ' << source.width << ' ' << source.height
        << ' ' << source.tiled << ' ' << source.tile_width << ' ' << source.tile_height << ' '
        << source.levels.size();
    for (const SourceLevel& level : source.levels)
        out << ' ' << level.scale_factor << ' ' << level.width << ' ' << level.height << ' '
            << level.page << ' ' << level.shrink;
    return out.str();
}

std::optional<SourceInfo> parse_source_info(std::string_view text) {
    std::istringstream in{std::string(text)};
    std::string version;
    int format = 0;
    size_t count = 0;
    SourceInfo source;
    in >> version >> format >> source.width >> source.height >> source.tiled >> source.tile_width >>
        source.tile_height >> count;
    if (!in || version != "v1" || format < 0 || format > static_cast<int>(SourceFormat::other) ||
        count == 0 || count > 64 || source.width <= 0 || source.height <= 0)
        return std::nullopt;
    source.format = static_cast<SourceFormat>(format);
    source.levels.resize(count);
    for (SourceLevel& level : source.levels)
        in >> level.scale_factor >> level.width >> level.height >> level.page >> level.shrink;
    if (!in || source.tile_width < 0 || source.tile_height < 0) return std::nullopt;
    // Levels as a probe makes them, so that what is built on them neither divides by zero nor
    // overflows (info.json divides sizes by the scale factors and doubles the last): a scale
    // factor that is a power of two up to 2^20 (an image of 100000 pixels has none above
    // 2^17), a size, a page and a shrink.
    for (const SourceLevel& level : source.levels)
        if (level.scale_factor < 1 || level.scale_factor > (1 << 20) ||
            (level.scale_factor & (level.scale_factor - 1)) != 0 || level.width < 1 ||
            level.height < 1 || level.page < 0 || level.shrink < 1)
            return std::nullopt;
    return source;
}

}  // namespace iiif
