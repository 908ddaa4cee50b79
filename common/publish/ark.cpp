#include "ark.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace iiif {
namespace {

constexpr std::string_view kNoidAlphabet = "0123456789bcdfghjkmnpqrstvwxz";
constexpr std::string_view kInistAlphabet = "0123456789BCDFGHJKLMNPQRSTVWXZ";
constexpr int kOpaqueLength = 8;

std::string without_hyphens(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text)
        if (c != '-') out.push_back(c);
    return out;
}

char weighted_check(std::string_view text, std::string_view alphabet) {
    unsigned long sum = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        size_t ordinal = alphabet.find(text[i]);
        if (ordinal != std::string_view::npos) sum += (i + 1) * ordinal;
    }
    return alphabet[sum % alphabet.size()];
}

std::string_view alphabet_of(CheckProfile profile) {
    return profile == CheckProfile::noid ? kNoidAlphabet : kInistAlphabet;
}

// The text a profile computes its check character over, from a name without its check.
std::string check_input(std::string_view naan, std::string_view name, CheckProfile profile) {
    return profile == CheckProfile::noid ? std::string(naan) + "/" + without_hyphens(name)
                                         : std::string(naan) + without_hyphens(name);
}

char check_char(std::string_view text, CheckProfile profile) {
    return profile == CheckProfile::noid ? noid_check_char(text) : inist_check_char(text);
}

}  // namespace

std::string Ark::to_string() const {
    std::string text = "ark:/" + naan + "/" + name;
    if (!qualifier.empty()) text += "/" + qualifier;
    return text;
}

std::string Ark::normalized_base() const {
    return "ark:/" + naan + "/" + without_hyphens(name);
}

std::optional<Ark> parse_ark(std::string_view text) {
    if (text.starts_with("/")) text.remove_prefix(1);
    if (text.size() < 4) return std::nullopt;
    std::string label(text.substr(0, 4));
    std::transform(label.begin(), label.end(), label.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (label != "ark:") return std::nullopt;
    text.remove_prefix(4);
    if (text.starts_with("/")) text.remove_prefix(1);

    size_t slash = text.find('/');
    if (slash == std::string_view::npos || slash == 0) return std::nullopt;
    Ark ark;
    for (char c : text.substr(0, slash)) {
        if (!std::isalnum(static_cast<unsigned char>(c))) return std::nullopt;
        ark.naan.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    std::string_view rest = text.substr(slash + 1);
    size_t end = rest.find_first_of("/.");
    ark.name = std::string(rest.substr(0, end));
    if (without_hyphens(ark.name).empty()) return std::nullopt;
    for (char c : ark.name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return std::nullopt;
    if (end != std::string_view::npos) ark.qualifier = std::string(rest.substr(end + 1));
    return ark;
}

std::optional<Ark> parse_object_ark(std::string_view text) {
    if (text.starts_with("/")) return std::nullopt;
    std::optional<Ark> ark = parse_ark(text);
    // With no qualifier, only a separator with nothing after it can follow the name.
    if (!ark || !ark->qualifier.empty() || !text.ends_with(ark->name)) return std::nullopt;
    return ark;
}

char noid_check_char(std::string_view text) {
    return weighted_check(text, kNoidAlphabet);
}

char inist_check_char(std::string_view text) {
    return weighted_check(text, kInistAlphabet);
}

std::string mint_ark_name(std::string_view naan, std::string_view shoulder, CheckProfile profile) {
    std::string_view alphabet = alphabet_of(profile);
    // Rejection sampling keeps every character equally likely.
    const unsigned limit = 256 - 256 % static_cast<unsigned>(alphabet.size());
    unsigned char random[32];
    size_t used = sizeof random;
    std::string opaque;
    while (opaque.size() < kOpaqueLength) {
        if (used == sizeof random) {
            if (RAND_bytes(random, sizeof random) != 1)
                throw std::runtime_error("no random bytes for an ARK");
            used = 0;
        }
        unsigned value = random[used++];
        if (value < limit) opaque.push_back(alphabet[value % alphabet.size()]);
    }
    std::string name = std::string(shoulder) + "-" + opaque;
    return name + "-" + check_char(check_input(naan, name, profile), profile);
}

bool ark_name_is_valid(std::string_view naan, std::string_view name, CheckProfile profile) {
    std::string bare = without_hyphens(name);
    if (bare.size() < 2) return false;
    char given = bare.back();
    bare.pop_back();
    return check_char(check_input(naan, bare, profile), profile) == given;
}

}  // namespace iiif
