// libFuzzer target: the metadata part of a deposit and the body of a metadata PATCH
// (parse_object_metadata, patch_object_metadata; common/publish/dublin_core.hpp), with the
// input as the JSON text.
//
// What must hold: nothing is raised but IiifError(400); what is accepted keeps the rules the
// parser promises (set specs, language tags, licences, the length limits); and it reads back
// the same from the JSON it is stored as (object_metadata_to_json), as object.json and the
// catalog keep it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "dublin_core.hpp"
#include "iiif_error.hpp"
#include "json.hpp"

namespace {

void check(const iiif::ObjectMetadata& metadata) {
    for (const auto& [element, values] : metadata.dc) {
        if (!iiif::is_dublin_core_element(element) || values.empty()) std::abort();
        for (const iiif::LangValue& value : values)
            if (value.value.empty() ||
                (!value.lang.empty() && !iiif::is_valid_language_tag(value.lang)))
                std::abort();
    }
    for (const std::string& spec : metadata.sets)
        if (!iiif::is_valid_set_spec(spec)) std::abort();
    if (!metadata.license.empty() && !iiif::is_known_license(metadata.license)) std::abort();
    iiif::check_metadata_limits(metadata);
    // Stored and read back, it is the same.
    iiif::Json stored(iiif::object_metadata_to_json(metadata));
    const std::string text = iiif::json_text(stored.get());
    if (!(iiif::parse_object_metadata(text) == metadata)) std::abort();
}

iiif::ObjectMetadata base() {
    iiif::ObjectMetadata metadata;
    metadata.dc["title"] = {{"Carte de Cassini", "fr"}};
    metadata.dc["date"] = {{"1750", ""}};
    metadata.sets = {"cartes:france"};
    metadata.license = "https://creativecommons.org/publicdomain/mark/1.0/";
    metadata.behavior = {"paged"};
    return metadata;
}

// What a parse gives, or nullopt when it refuses with IiifError(400).
template <typename Parse>
std::optional<iiif::ObjectMetadata> accepted(Parse parse) {
    try {
        return parse();
    } catch (const iiif::IiifError& error) {
        if (error.status != 400) std::abort();
    }
    return std::nullopt;
}

}  // namespace

// check() runs outside the try: what it raises is a finding, not a refusal.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const iiif::ObjectMetadata kBase = base();
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto parsed = accepted([&] { return iiif::parse_object_metadata(text); })) check(*parsed);
    if (auto patched = accepted([&] { return iiif::patch_object_metadata(kBase, text); }))
        check(*patched);
    return 0;
}
