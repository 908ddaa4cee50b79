// libFuzzer target: a deposit's multipart body as iiifd receives it. httplib's parser
// (httplib_multipart.hpp) is fed the body as POST /api/v1/objects drives it (Server::
// read_content_core: the boundary from Content-Type, then parse() per chunk the socket gives,
// then is_valid()), once whole and once in chunks cut where the input says; then the parts go
// where DepositRoutes::deposit sends them: a file part's name through staged_file_name
// (daemon/staging.hpp), the metadata part through parse_object_metadata.
//
// Input: one byte choosing the chunk sizes, the Content-Type header up to the first '\n', then
// the body.
//
// What must hold: nothing crashes; parse_object_metadata raises only IiifError(400); a staged
// name is one path component ("{page}-{name}", no '/', no control character, at most 255
// bytes); and a body the parser accepts both ways yields the same parts both ways (the chunks
// a client's segments arrive in change nothing).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dublin_core.hpp"
#include "http_routes.hpp"
#include "httplib_multipart.hpp"
#include "iiif_error.hpp"
#include "staging.hpp"

namespace {

// One part as the parser gives it to the route.
struct Part {
    std::string name, filename, content_type, content;
    bool operator==(const Part&) const = default;
};

struct Transcript {
    std::vector<Part> parts;
    bool accepted = false;  // every parse() returned true and the body ended well
    // How many parts came before the closing boundary. httplib (0.11.4 and upstream as of
    // 2026) stays in its boundary state after the closing one: the epilogue is dropped with
    // the read that ends it, but a later read that starts with CRLF begins another part. So
    // what follows the close is compared no further.
    std::optional<size_t> closed;
};

// Chunk lengths of a socket: one byte at a time, a few, or up to httplib's receive buffer.
class Chunks {
  public:
    explicit Chunks(std::uint8_t seed) : state_(seed | 1u), limit_(kLimits[seed % 4]) {}
    size_t next() {
        state_ = state_ * 1103515245u + 12345u;
        return 1 + (state_ >> 8) % limit_;
    }

  private:
    static constexpr std::uint32_t kLimits[] = {1, 7, 64, 4096};
    std::uint32_t state_;
    std::uint32_t limit_;
};

// httplib 0.11.4 drops what comes before the second boundary when the first one arrives cut
// in two (state 0 erases the piece it has; fixed upstream in 0.23.0, commit de5a255): so the
// first chunk here holds the first boundary whole, and the differences that show are others.
size_t first_chunk(const std::string& boundary, std::string_view body) {
    const std::string line = "--" + boundary + "\r\n";
    const size_t at = body.find(line);
    return at == std::string_view::npos ? body.size() : at + line.size();
}

Transcript parse(const std::string& boundary, std::string_view body, Chunks* chunks) {
    httplib_0_11_4::MultipartFormDataParser parser;
    parser.set_boundary(std::string(boundary));
    Transcript transcript;
    auto header = [&](const httplib::MultipartFormData& file) {
        transcript.parts.push_back({file.name, file.filename, file.content_type, {}});
        return true;
    };
    auto content = [&](const char* data, size_t length) {
        if (transcript.parts.empty()) std::abort();  // content before any part's headers
        transcript.parts.back().content.append(data, length);
        return true;
    };
    bool ok = true;
    for (bool first = true; ok && !body.empty(); first = false) {
        const size_t length = !chunks ? body.size()
                              : first ? first_chunk(boundary, body)
                                      : std::min(chunks->next(), body.size());
        ok = parser.parse(body.data(), length, content, header);
        body.remove_prefix(length);
        if (!transcript.closed && parser.is_valid()) transcript.closed = transcript.parts.size();
    }
    transcript.accepted = ok && parser.is_valid();
    return transcript;
}

void check_staged_name(size_t page, const std::string& filename) {
    // As DepositReceiver::part names a file part.
    std::string original = std::filesystem::path(filename).filename().string();
    if (original.empty()) original = "file" + std::to_string(page);
    const std::string staged = iiifd::staged_file_name(page, original);
    const std::string prefix = std::to_string(page) + "-";
    if (!staged.starts_with(prefix) || staged.size() == prefix.size() || staged.size() > 255)
        std::abort();
    for (char c : staged)
        if (c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
}

// What DepositRoutes::deposit does with an accepted body's parts.
void deposit(const Transcript& transcript) {
    size_t files = 0;
    bool metadata_seen = false;
    std::string metadata;
    for (const Part& part : transcript.parts) {
        if (part.name == "file") {
            check_staged_name(++files, part.filename);
        } else if (part.name == "metadata") {
            if (metadata_seen) return;  // 400: more than one metadata part
            metadata_seen = true;
            metadata = part.content;
            if (metadata.size() > iiifd::kMaxMetadataBytes) return;  // 413
        } else {
            return;  // 400: unknown part
        }
    }
    if (files == 0 || !metadata_seen || metadata.empty()) return;
    try {
        (void)iiif::parse_object_metadata(metadata);
    } catch (const iiif::IiifError& error) {
        if (error.status != 400) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const std::uint8_t seed = data[0];
    std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    const size_t newline = rest.find('\n');
    if (newline == std::string_view::npos) return 0;
    const std::string content_type(rest.substr(0, newline));
    const std::string_view body = rest.substr(newline + 1);

    // Request::is_multipart_form_data, then read_content_core's boundary.
    if (!content_type.starts_with("multipart/form-data")) return 0;
    std::string boundary;
    if (!httplib_0_11_4::parse_multipart_boundary(content_type, boundary)) return 0;

    const Transcript whole = parse(boundary, body, nullptr);
    Chunks chunks(seed);
    const Transcript split = parse(boundary, body, &chunks);
    if (whole.accepted && split.accepted &&
        (whole.closed != whole.parts.size() ||
         !std::equal(whole.parts.begin(), whole.parts.end(), split.parts.begin(),
                     split.parts.begin() + static_cast<std::ptrdiff_t>(*split.closed))))
        std::abort();
    if (whole.accepted) deposit(whole);
    if (split.accepted) deposit(split);
    return 0;
}
