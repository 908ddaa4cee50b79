// libFuzzer target: ARKs, parsed and normalised (common/publish/ark.hpp), turned into catalog
// keys (catalog_object_key, catalog_image_key), checked for their check character, and
// resolved as the module resolves /ark:/... requests (resolve_ark) from the small catalog of
// fuzz_catalog.hpp.
//
// Input: one byte choosing the method and the Accept header, then the request target (the
// path, and after a '?' the inflection), which is also the text parsed as an ARK.
//
// What must hold: nothing crashes or throws; a parsed ARK reads back the same from its text;
// its normalised form has no hyphen in the name; a name with its check character appended is
// valid under both profiles; and the resolver answers with a status of its rules and header
// values free of line breaks.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ark.hpp"
#include "ark_resolver.hpp"
#include "catalog.hpp"
#include "fuzz_catalog.hpp"

namespace {

std::string without_hyphens(std::string_view text) {
    std::string out;
    for (char c : text)
        if (c != '-') out.push_back(c);
    return out;
}

void check_ark(std::string_view text) {
    const std::optional<iiif::Ark> ark = iiif::parse_ark(text);
    const std::optional<std::string> object_key = iiif::catalog_object_key(text);
    if (ark.has_value() != object_key.has_value()) std::abort();
    if (!ark) {
        if (iiif::catalog_image_key(text)) std::abort();
        return;
    }
    if (ark->naan.empty() || ark->name.empty()) std::abort();
    for (char c : ark->naan)
        if (!std::isalnum(static_cast<unsigned char>(c)) ||
            std::isupper(static_cast<unsigned char>(c)))
            std::abort();
    const std::optional<iiif::Ark> again = iiif::parse_ark(ark->to_string());
    if (!again || again->naan != ark->naan || again->name != ark->name ||
        again->qualifier != ark->qualifier)
        std::abort();
    const std::string base = ark->normalized_base();
    if (*object_key != base) std::abort();
    const std::optional<iiif::Ark> normal = iiif::parse_ark(base);
    if (!normal || normal->name.find('-') != std::string::npos || normal->naan != ark->naan ||
        !normal->qualifier.empty())
        std::abort();
    if (const std::optional<std::string> image_key = iiif::catalog_image_key(text))
        if (!image_key->starts_with(base + "/f") ||
            iiif::catalog_image_key(*image_key) != image_key)
            std::abort();

    const std::string bare = without_hyphens(ark->name);
    const std::string noid = ark->name + "-" + iiif::noid_check_char(ark->naan + "/" + bare);
    const std::string inist = ark->name + "-" + iiif::inist_check_char(ark->naan + bare);
    if (!iiif::ark_name_is_valid(ark->naan, noid, iiif::CheckProfile::noid) ||
        !iiif::ark_name_is_valid(ark->naan, inist, iiif::CheckProfile::inist))
        std::abort();
}

void check_response(const iiif::HttpResponse& response) {
    switch (response.status) {
        case 200:
        case 204:
        case 302:
        case 404:
        case 405:
        case 410:
            break;
        default:
            std::abort();
    }
    bool location = false;
    for (const auto& [name, value] : response.headers) {
        if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) std::abort();
        location = location || name == "Location";
    }
    if (response.status == 302 && !location) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    static constexpr std::string_view kMethods[] = {"GET", "HEAD", "OPTIONS", "POST"};
    const std::string_view target(reinterpret_cast<const char*>(data + 1), size - 1);
    check_ark(target);

    iiif::ResolverRequest request;
    request.method = kMethods[data[0] % 4];
    request.accept = data[0] & 4 ? "application/json" : "*/*";
    const size_t question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string_view::npos) {
        request.has_query = true;
        request.query = target.substr(question + 1);
    }
    static iiif::PublicationMemo memo;
    check_response(iiif::resolve_ark(&fuzz_catalog::writer().reader(), request, memo));
    return 0;
}
