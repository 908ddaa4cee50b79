// Bytes as text: hex digits and URI percent-escapes, one spelling of each for the project.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace iiif {

// Two lowercase hex digits a byte.
std::string hex_encode(std::string_view bytes);
std::string hex_encode(const unsigned char* bytes, size_t size);
// The value of one hex digit (either case), -1 for any other character.
int hex_digit_value(char c);

// `text` with every %XX escape decoded; nullopt when an escape is cut short or is not two hex
// digits. What a decoded byte may be (NUL, a control character) is the caller's rule.
std::optional<std::string> percent_decoded(std::string_view text);
// Every byte but the unreserved ones (A-Z a-z 0-9 - . _ ~) and those of `also_kept` as %XX,
// in upper-case hex (RFC 3986).
std::string percent_encode(std::string_view text, std::string_view also_kept = "");

}  // namespace iiif
