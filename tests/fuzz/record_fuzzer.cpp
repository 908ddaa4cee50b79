// libFuzzer target: what the catalog and the tile cache read back from bytes. The first byte
// chooses the decoder, the rest is the stored value:
//   0 an object record (object_record_from_json), 1 an image record (image_record_from_json),
//   2 a probed source as the tile cache keeps it (parse_source_info), 3 a stored document
//   (decode_document_view), 4 a resolver record (read_resolver_record), 5 access settings,
//   6 access rules, 7 publication settings (the catalog's meta values). A source, of an image
//   record or alone, is then made an info.json, as the module does.
//
// What must hold: nothing crashes; the stored bytes are refused only with the documented error
// (IiifError(500), or std::runtime_error for the access values); what is read, written again,
// reads back without error to the same text; a source read back is one info.json can be made
// of; a document's parts lie within the stored bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "access.hpp"
#include "catalog_documents.hpp"
#include "iiif_error.hpp"
#include "info_json.hpp"
#include "presentation.hpp"
#include "records.hpp"
#include "resolver_record.hpp"
#include "source_info.hpp"

namespace {

// `read` of the stored bytes: its value, or nullopt when it refuses them as documented
// (IiifError(500); std::runtime_error for the access values, when `runtime_error` says so).
template <typename Read>
auto first_read(Read read, bool runtime_error = false) -> std::optional<decltype(read())> {
    try {
        return read();
    } catch (const iiif::IiifError& error) {
        if (error.status != 500) std::abort();
    } catch (const std::runtime_error&) {
        if (!runtime_error) std::abort();
    }
    return std::nullopt;
}

// What was read, written, read and written again: the two texts are the same. Past the first
// read nothing may refuse: an exception here is a finding.
template <typename Value, typename Read, typename Write>
void round_trip(const Value& value, Read read, Write write) {
    const std::string once = write(value);
    if (write(read(once)) != once) std::abort();
}

// A source read back: written again, it reads back the same, and info.json is made of it.
void check_source(const iiif::SourceInfo& source) {
    const std::string again = iiif::serialize_source_info(source);
    const std::optional<iiif::SourceInfo> reread = iiif::parse_source_info(again);
    if (!reread || iiif::serialize_source_info(*reread) != again) std::abort();
    for (iiif::ApiVersion version : {iiif::ApiVersion::v2, iiif::ApiVersion::v3}) {
        iiif::InfoOptions options;
        options.version = version;
        options.id = "https://images.example.org/iiif/3/ark:/99999/fk4-10000001-x/f1";
        (void)iiif::info_json(source, options);
    }
}

void check_document(std::string_view stored) {
    const auto view =
        first_read([&] { return iiif::catalog_detail::decode_document_view(stored, "m3 key"); });
    if (!view) return;
    const char* begin = stored.data();
    const char* end = stored.data() + stored.size();
    for (std::string_view part : {view->body, view->etag})
        if (part.data() < begin || part.data() + part.size() > end) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const std::string_view stored(reinterpret_cast<const char*>(data + 1), size - 1);
    switch (data[0] % 8) {
        case 0:
            if (auto object = first_read([&] { return iiif::object_record_from_json(stored); }))
                round_trip(*object, iiif::object_record_from_json, iiif::object_record_to_json);
            break;
        case 1:
            if (auto image = first_read([&] { return iiif::image_record_from_json(stored); })) {
                round_trip(*image, iiif::image_record_from_json, iiif::image_record_to_json);
                check_source(image->source);
            }
            break;
        case 2:
            if (auto source = iiif::parse_source_info(stored)) check_source(*source);
            break;
        case 3:
            check_document(stored);
            break;
        case 4:
            (void)first_read([&] { return iiif::read_resolver_record(stored); });
            break;
        case 5:
            if (auto settings =
                    first_read([&] { return iiif::access_settings_from_json(stored); }, true))
                round_trip(*settings, iiif::access_settings_from_json,
                           iiif::access_settings_to_json);
            break;
        case 6:
            if (auto rules = first_read([&] { return iiif::access_rules_from_json(stored); }, true))
                round_trip(*rules, iiif::access_rules_from_json, iiif::access_rules_to_json);
            break;
        case 7:
            if (auto settings =
                    first_read([&] { return iiif::publication_settings_from_json(stored); }))
                round_trip(*settings, iiif::publication_settings_from_json,
                           iiif::publication_settings_to_json);
            break;
    }
    return 0;
}
