#include "resumption_token.hpp"

#include "signing.hpp"

namespace iiif {
namespace {

// Layout: [version][verb][from][until][datestamp][cursor][size][expires] (one byte each for the
// first two, 8 big-endian bytes each for the rest), then metadata prefix, set and key, each as
// [u16be length][bytes], then the first 16 bytes of HMAC-SHA-256 over all that.
constexpr unsigned char kVersion = 1;
constexpr size_t kMacBytes = 16;
constexpr size_t kMaxText = 0xFFFF;

void put_u64(std::string& out, std::int64_t value) {
    const auto bits = static_cast<std::uint64_t>(value);
    for (int shift = 56; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>((bits >> shift) & 0xFF));
}

void put_text(std::string& out, std::string_view text) {
    const size_t size = std::min(text.size(), kMaxText);
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size & 0xFF));
    out.append(text.substr(0, size));
}

struct Reader {
    std::string_view in;
    bool ok = true;

    unsigned char byte() {
        if (in.empty()) {
            ok = false;
            return 0;
        }
        const auto value = static_cast<unsigned char>(in.front());
        in.remove_prefix(1);
        return value;
    }
    std::int64_t u64() {
        std::uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | byte();
        return static_cast<std::int64_t>(bits);
    }
    std::string text() {
        const size_t size = (static_cast<size_t>(byte()) << 8) | byte();
        if (!ok || in.size() < size) {
            ok = false;
            return {};
        }
        std::string value(in.substr(0, size));
        in.remove_prefix(size);
        return value;
    }
};

}  // namespace

std::string encode_resumption_token(const ResumptionState& state, std::string_view key) {
    std::string payload;
    payload.push_back(static_cast<char>(kVersion));
    payload.push_back(static_cast<char>(state.verb));
    for (std::int64_t value : {state.from, state.until, state.datestamp, state.cursor,
                               state.complete_list_size, state.expires})
        put_u64(payload, value);
    put_text(payload, state.metadata_prefix);
    put_text(payload, state.set);
    put_text(payload, state.key);
    const Digest digest = hmac_sha256(payload, key);
    payload.append(reinterpret_cast<const char*>(digest.data()), kMacBytes);
    return base64url(payload);
}

std::optional<ResumptionState> decode_resumption_token(std::string_view token,
                                                       std::string_view key) {
    std::optional<std::string> bytes = from_base64url(token);
    if (!bytes || bytes->size() < kMacBytes + 2) return std::nullopt;
    const std::string_view payload = std::string_view(*bytes).substr(0, bytes->size() - kMacBytes);
    const Digest digest = hmac_sha256(payload, key);
    if (!equal_secret(digest.data(), bytes->data() + payload.size(), kMacBytes))
        return std::nullopt;

    Reader in{payload};
    if (in.byte() != kVersion) return std::nullopt;
    const unsigned char verb = in.byte();
    if (verb != static_cast<unsigned char>(OaiVerb::list_sets) &&
        verb != static_cast<unsigned char>(OaiVerb::list_identifiers) &&
        verb != static_cast<unsigned char>(OaiVerb::list_records))
        return std::nullopt;
    ResumptionState state;
    state.verb = static_cast<OaiVerb>(verb);
    state.from = in.u64();
    state.until = in.u64();
    state.datestamp = in.u64();
    state.cursor = in.u64();
    state.complete_list_size = in.u64();
    state.expires = in.u64();
    state.metadata_prefix = in.text();
    state.set = in.text();
    state.key = in.text();
    if (!in.ok || !in.in.empty()) return std::nullopt;
    return state;
}

}  // namespace iiif
