#include "signing.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "encoding.hpp"

namespace iiif {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

Digest hmac_sha256(std::string_view payload, std::string_view key) {
    Digest digest{};
    unsigned int size = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), digest.data(),
         &size);
    return digest;
}

Digest sha256(std::string_view bytes) {
    Digest digest{};
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest.data());
    return digest;
}

std::string sha256_hex(std::string_view bytes) {
    const Digest digest = sha256(bytes);
    return hex_encode(digest.data(), digest.size());
}

bool equal_secret(const void* a, const void* b, size_t size) {
    return CRYPTO_memcmp(a, b, size) == 0;
}

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
    out.reserve(text.size() * 3 / 4);
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
    if ((group & ((1u << bits) - 1)) != 0) return std::nullopt;
    return out;
}

std::string load_secret_key(const std::string& path, bool create) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (!create) throw std::runtime_error(path + ": cannot read: " + std::strerror(errno));
        unsigned char random[kKeyBytes];
        if (RAND_bytes(random, sizeof random) != 1)
            throw std::runtime_error(path + ": no randomness for a new key");
        const std::string text = hex_encode(random, sizeof random) + "\n";
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            const bool written =
                ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                ::fsync(fd) == 0;
            ::close(fd);
            if (!written) {
                ::unlink(path.c_str());
                throw std::runtime_error(path + ": cannot write the new key");
            }
        } else if (errno != EEXIST) {
            throw std::runtime_error(path + ": cannot create: " + std::strerror(errno));
        }
        in.open(path, std::ios::binary);  // ours, or the one another process wrote first
        if (!in) throw std::runtime_error(path + ": cannot read");
    }
    std::string key{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.front()))) key.erase(0, 1);
    if (key.size() < kKeyBytes)
        throw std::runtime_error(path + ": a key of at least " + std::to_string(kKeyBytes) +
                                 " characters is needed");
    return key;
}

}  // namespace iiif
