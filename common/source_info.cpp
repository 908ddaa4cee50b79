#include "source_info.hpp"

namespace iiif {

std::string_view source_format_name(SourceFormat format) {
    switch (format) {
        case SourceFormat::tiff: return "tiff";
        case SourceFormat::jp2: return "jp2";
        case SourceFormat::jpeg: return "jpeg";
        case SourceFormat::png: return "png";
        case SourceFormat::webp: return "webp";
        case SourceFormat::gif: return "gif";
        case SourceFormat::other: return "other";
    }
    return "other";
}

}  // namespace iiif
