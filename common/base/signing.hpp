// Signed texts that need no state on the server (resumption tokens, access credentials): an
// HMAC-SHA-256 under a secret key, compared in constant time, and carried as base64url.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace iiif {

using Digest = std::array<unsigned char, 32>;

// HMAC-SHA-256 of `payload` under `key`.
Digest hmac_sha256(std::string_view payload, std::string_view key);
// SHA-256 of `bytes`.
Digest sha256(std::string_view bytes);
// SHA-256 of `bytes`, as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);
// Whether the first `size` bytes of a and b are equal, in time independent of where they differ.
bool equal_secret(const void* a, const void* b, size_t size);

// Base64url without padding (RFC 4648, section 5). Decoding refuses any other alphabet, a
// length no encoding has, and non-zero leftover bits, so that each text has one spelling only.
std::string base64url(std::string_view bytes);
std::optional<std::string> from_base64url(std::string_view text);

// The secret key stored in `path` as text (hex digits, surrounding white space ignored). When
// the file does not exist and `create` is set, 32 random bytes are written there first (mode
// 0600, O_EXCL, so that of several processes starting together one writes and all read it).
// Throws std::runtime_error("{path}: what is wrong") when it cannot be read or made, or when it
// holds fewer than 32 characters.
std::string load_secret_key(const std::string& path, bool create);

}  // namespace iiif
