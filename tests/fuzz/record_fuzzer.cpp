// libFuzzer target: what the catalog and the tile cache read back from bytes. The first byte
// chooses the decoder, the rest is the stored value:
//   0 an ObjectRecord (object_record_from_json)    1 an ImageRecord (image_record_from_json),
//   2 a probed source (parse_source_info)            then its info.json, as the module makes it
//   3 a stored document (decode_document_view)       4 a resolver record (read_resolver_record)
//   5 access settings, 6 access rules, 7 publication settings (the catalog's meta values)
//
// What must hold: nothing crashes; only the documented error is raised (IiifError(500), or
// std::runtime_error for the access values); what is read, written again, reads back to the
// same text; a source read back is one info.json can be made of; a document's parts lie
// within the stored bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
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

// Read, written, read and written again: the two texts are the same.
template <typename Read, typename Write>
void round_trip(std::string_view stored, Read read, Write write) {
    const std::string once = write(read(stored));
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
    try {
        const iiif::CatalogReader::DocumentView view =
            iiif::catalog_detail::decode_document_view(stored, "m3 key");
        const char* begin = stored.data();
        const char* end = stored.data() + stored.size();
        for (std::string_view part : {view.body, view.etag})
            if (part.data() < begin || part.data() + part.size() > end) std::abort();
    } catch (const iiif::IiifError& error) {
        if (error.status != 500) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const std::string_view stored(reinterpret_cast<const char*>(data + 1), size - 1);
    try {
        switch (data[0] % 8) {
            case 0:
                round_trip(stored, iiif::object_record_from_json, iiif::object_record_to_json);
                break;
            case 1:
                round_trip(stored, iiif::image_record_from_json, iiif::image_record_to_json);
                check_source(iiif::image_record_from_json(stored).source);
                break;
            case 2:
                if (const auto source = iiif::parse_source_info(stored)) check_source(*source);
                break;
            case 3:
                check_document(stored);
                break;
            case 4:
                (void)iiif::read_resolver_record(stored);
                break;
            case 5:
                round_trip(stored, iiif::access_settings_from_json, iiif::access_settings_to_json);
                break;
            case 6:
                round_trip(stored, iiif::access_rules_from_json, iiif::access_rules_to_json);
                break;
            case 7:
                round_trip(stored, iiif::publication_settings_from_json,
                           iiif::publication_settings_to_json);
                break;
        }
    } catch (const iiif::IiifError& error) {
        if (error.status != 500) std::abort();
    } catch (const std::runtime_error& error) {
        if (data[0] % 8 != 5 && data[0] % 8 != 6) std::abort();
    }
    return 0;
}
