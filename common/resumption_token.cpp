#include "resumption_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

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

std::array<unsigned char, EVP_MAX_MD_SIZE> mac(std::string_view payload, std::string_view key) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), digest.data(),
         &size);
    return digest;
}

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Base64url without padding (RFC 4648, section 5).
std::string base64url(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t group = (static_cast<unsigned char>(bytes[i]) << 16) |
                                    (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                                    static_cast<unsigned char>(bytes[i + 2]);
        for (int shift = 18; shift >= 0; shift -= 6)
            out.push_back(kAlphabet[(group >> shift) & 63]);
    }
    const size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
        if (rest == 2) group |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        out.push_back(kAlphabet[(group >> 18) & 63]);
        out.push_back(kAlphabet[(group >> 12) & 63]);
        if (rest == 2) out.push_back(kAlphabet[(group >> 6) & 63]);
    }
    return out;
}

std::optional<std::string> from_base64url(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '-') return 62;
        if (c == '_') return 63;
        return -1;
    };
    std::string out;
    std::uint32_t group = 0;
    int bits = 0;
    for (char c : text) {
        const int v = value(c);
        if (v < 0) return std::nullopt;
        group = (group << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((group >> bits) & 0xFF));
        }
    }
    // Leftover bits must be zero, so that each token has one spelling only.
    if ((group & ((1u << bits) - 1)) != 0) return std::nullopt;
    return out;
}

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
    const auto digest = mac(payload, key);
    payload.append(reinterpret_cast<const char*>(digest.data()), kMacBytes);
    return base64url(payload);
}

std::optional<ResumptionState> decode_resumption_token(std::string_view token,
                                                       std::string_view key) {
    std::optional<std::string> bytes = from_base64url(token);
    if (!bytes || bytes->size() < kMacBytes + 2) return std::nullopt;
    const std::string_view payload = std::string_view(*bytes).substr(0, bytes->size() - kMacBytes);
    const auto digest = mac(payload, key);
    if (CRYPTO_memcmp(digest.data(), bytes->data() + payload.size(), kMacBytes) != 0)
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
