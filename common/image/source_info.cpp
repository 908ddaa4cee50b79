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
    if (!in) return std::nullopt;
    return source;
}

}  // namespace iiif
