// Bytes as text: hex digits and URI percent-escapes, one spelling of each for the project.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iiif {

// `text` without the ASCII whitespace (space, tab, CR, LF) at either end.
std::string_view trim_space(std::string_view text);

// Two lowercase hex digits a byte.
std::string hex_encode(std::string_view bytes);
std::string hex_encode(const unsigned char* bytes, size_t size);
// The value of one hex digit (either case), -1 for any other character.
int hex_digit_value(char c);

// `text` with every %XX escape decoded; nullopt when an escape is cut short or is not two hex
// digits. What a decoded byte may be (NUL, a control character) is the caller's rule.
std::optional<std::string> percent_decoded(std::string_view text);
// The name=value pairs of a URL's query or of an application/x-www-form-urlencoded body, in
// order and with repeats kept, for a protocol that forbids them (OAI-PMH) to see them. '+' is a
// space and %XX a byte; a text with a '%' that begins no escape is kept as written. A pair
// without '=' has an empty value; empty pairs ("a=1&&b=2") are skipped.
std::vector<std::pair<std::string, std::string>> form_fields(std::string_view text);

// Every byte but the unreserved ones (A-Z a-z 0-9 - . _ ~) and those of `also_kept` as %XX,
// in upper-case hex (RFC 3986).
std::string percent_encode(std::string_view text, std::string_view also_kept = "");

}  // namespace iiif
