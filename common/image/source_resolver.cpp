#include "source_resolver.hpp"

#include <sys/stat.h>

#include "iiif_error.hpp"

namespace iiif {
namespace {

constexpr const char* kExtensions[] = {".tif", ".tiff", ".jp2", ".jpg", ".jpeg", ".png"};
constexpr size_t kMaxIdentifierLength = 1024;

void check_identifier(const std::string& identifier) {
    auto refuse = [](const char* why) { throw IiifError(400, std::string("identifier ") + why); };
    if (identifier.empty()) refuse("is empty");
    if (identifier.size() > kMaxIdentifierLength) refuse("is too long");
    if (identifier.front() == '/') refuse("starts with a slash");
    for (unsigned char c : identifier)
        if (c < 0x20 || c == 0x7F || c == '\\') refuse("contains a control character or backslash");
    size_t start = 0;
    while (start <= identifier.size()) {
        size_t end = identifier.find('/', start);
        if (end == std::string::npos) end = identifier.size();
        std::string_view segment(identifier.data() + start, end - start);
        if (segment.empty() || segment == "." || segment == "..")
            refuse("has an empty, '.' or '..' segment");
        start = end + 1;
    }
}

}  // namespace

std::string ResolvedSource::identity() const {
    return path + "|" + std::to_string(size) + "|" + std::to_string(mtime_ns) + "|" +
           std::to_string(inode);
}

std::optional<ResolvedSource> resolve_source_file(const std::string& directory,
                                                  const std::string& identifier) {
    check_identifier(identifier);
    std::string stem = directory;
    if (stem.empty() || stem.back() != '/') stem.push_back('/');
    stem += identifier;
    for (const char* extension : kExtensions) {
        std::string path = stem + extension;
        struct stat status;
        if (stat(path.c_str(), &status) != 0 || !S_ISREG(status.st_mode)) continue;
        ResolvedSource source;
        source.path = std::move(path);
        source.size = static_cast<std::int64_t>(status.st_size);
        source.mtime_ns = static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 +
                          status.st_mtim.tv_nsec;
        source.inode = status.st_ino;
        return source;
    }
    return std::nullopt;
}

}  // namespace iiif
