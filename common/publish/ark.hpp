// Archival Resource Keys: parsing, normalisation, check characters and minting.
//
// An object's ARK here is `ark:/{NAAN}/{shoulder}-{8 opaque chars}-{check}` (the Inist/ISTEX
// form), page n of an object is `ark:/{NAAN}/{name}/f{n}` (the Gallica form). Per the ARK
// specification the `ark:/` and `ark:` forms are equal, the label is case-insensitive, and
// hyphens are identity-inert: they are dropped when comparing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace iiif {

struct Ark {
    std::string naan;       // lower-cased
    std::string name;       // the base name, hyphens kept as written
    std::string qualifier;  // what follows the name, without its leading '/' or '.'; may be empty

    // "ark:/NAAN/name[/qualifier]", hyphens as written.
    std::string to_string() const;
    // The comparison key of the base object: "ark:/naan/name" with hyphens removed.
    std::string normalized_base() const;
};

// The longest ARK an API takes as an object's identifier: room for the catalog's keys, which
// hold an ARK beside a set spec (dublin_core.hpp) and a datestamp; minted ones are some 30.
inline constexpr size_t kMaxArkLength = 256;

// Parses "ark:/NAAN/name...", "ark:NAAN/name..." (label in any case, optional leading '/',
// e.g. a URL path "/ark:/..."), or nullopt when it is no ARK. The name ends at the first '/'
// or '.' (qualifier separators).
std::optional<Ark> parse_ark(std::string_view text);
// An object's own ARK and nothing more: "ark:/NAAN/name" or "ark:NAAN/name" (label in any
// case), with no qualifier, no trailing '/' or '.', no leading '/'. What names an object where
// a page, a variant or a path below it must not reach the object itself (the deposit API's
// object routes, OAI-PMH identifiers); nullopt otherwise.
std::optional<Ark> parse_object_ark(std::string_view text);

// The check-character profiles.
enum class CheckProfile {
    noid,   // NOID Check Digit Algorithm over "NAAN/name" (hyphens removed), lowercase alphabet
    inist,  // Inist-CNRS: uppercase 30-character alphabet over NAAN + shoulder + opaque
};

// NOID Check Digit Algorithm: alphabet 0123456789bcdfghjkmnpqrstvwxz; each character's
// ordinal (0 for characters outside the alphabet) times its 1-based position, summed, mod 29.
char noid_check_char(std::string_view text);
// Inist's variant: alphabet 0123456789BCDFGHJKLMNPQRSTVWXZ, same weighting, mod 30.
char inist_check_char(std::string_view text);

// Mints a name "{shoulder}-{8 opaque chars}-{check}" from a cryptographic random source; the
// opaque part uses the profile's alphabet (no vowels, so no words). Uniqueness across mints is
// the catalog's to enforce (it retries on a collision).
std::string mint_ark_name(std::string_view naan, std::string_view shoulder, CheckProfile profile);

// True when `name` (with its hyphens) carries the right check character for `naan`.
bool ark_name_is_valid(std::string_view naan, std::string_view name, CheckProfile profile);

}  // namespace iiif
