// The records of what the platform holds: an object (its metadata, pages and state) and each
// of its images (master, original, pyramid, policy), with the JSON they are stored in. The
// catalog stores them, the documents are made from them, the daemon writes them: none of
// those needs the others to read one.
#pragma once

#include <jansson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dublin_core.hpp"
#include "source_info.hpp"

namespace iiif {

enum class RecordState { pending, active, withdrawn };
std::string_view record_state_name(RecordState state);

struct ImageRecord {
    std::string id;      // "ark:/67375/39D-6W3GQPXD-V/f1", as minted
    std::string object;  // the object's ARK, as minted
    int index = 0;       // page number, from 1
    std::string master_path;
    std::string original_path;
    std::string original_name;  // file name as deposited
    std::string original_sha256;
    std::string master_sha256;
    std::int64_t original_bytes = 0;
    SourceInfo source;         // the master's size and pyramid, so no worker probes it
    std::int64_t version = 1;  // bumped when the image is ingested again
    RecordState state = RecordState::active;
    // Who may see it (access.hpp): the object's policy, and the watermark put on what is
    // delivered (a WatermarkSpec name, empty for none), as CatalogWriter resolved them.
    std::string policy = "public";
    std::string watermark;
    std::string rights;  // the object's licence URI (info.json's "rights"), empty when none
    // How the page is called ("f. 12r", "p. 3", "plate II"); empty: its number.
    std::string label;
    // The institution its object belongs to (resolved: never empty once the catalog has a home
    // institution): its editors see it whatever the policy (decide_access's `owner`).
    std::string institution;
};

// A range of an object's table of contents (a IIIF Presentation Range): its label, the pages
// it holds itself (their names, "f3", in reading order), then the ranges nested in it.
struct PageRange {
    std::string label;
    std::vector<std::string> pages;
    std::vector<PageRange> ranges;
    bool operator==(const PageRange&) const = default;
};

struct ObjectRecord {
    std::string ark;  // as minted
    ObjectMetadata metadata;
    std::vector<std::string> images;  // image ids in page order
    std::int64_t created = 0;         // unix seconds
    std::int64_t updated = 0;
    std::int64_t datestamp = 0;  // OAI datestamp: last change, withdrawal included
    RecordState state = RecordState::pending;
    std::string withdrawn_reason;
    std::string policy = "public";  // resolved from metadata.access, its sets and the default
    // The institution the object belongs to: the id of one in iiifd's directory, whose editors
    // may change it. Empty in a record from before institutions: the home institution's.
    std::string institution;
    // Its version: 1 as deposited, one more at each change of its pages (added, replaced,
    // removed, reordered, labelled) or of its table of contents.
    std::int64_t version = 1;
    // Pages taken out of it, by image id: kept as withdrawn records, so that their ids answer
    // 410, never reused.
    std::vector<std::string> removed;
    // Its table of contents.
    std::vector<PageRange> structures;
};

// An image id's page name: "f3" of "ark:/.../f3"; empty when it has none.
std::string page_name(std::string_view image_id);

// A table of contents as JSON, [{"label", "pages": ["f3"...], "ranges": [...]}...] (a new
// reference), and back: nullopt when it is not that shape or nests deeper than kMaxRangeDepth.
inline constexpr int kMaxRangeDepth = 8;
json_t* page_ranges_to_json(const std::vector<PageRange>& ranges);
std::optional<std::vector<PageRange>> page_ranges_from_json(const json_t* list, int depth = 1);

// An object without images: described, not digitised (a partner's record harvested without its
// images). It is stored, listed and harvested like any other, but has no IIIF manifest (a
// Presentation 3.0 Manifest needs at least one Canvas): no manifest documents, no place in its
// sets' collections, no manifest qualifier on its ARK.
inline bool is_described(const ObjectRecord& object) {
    return object.images.empty();
}

std::string object_record_to_json(const ObjectRecord& record);
ObjectRecord object_record_from_json(std::string_view text);  // throws IiifError(500)
std::string image_record_to_json(const ImageRecord& record);
ImageRecord image_record_from_json(std::string_view text);

// The sets an object is in: those it names and their ancestors (a record in "a:b:c" is also in
// "a:b" and "a", so harvesting a set harvests its subsets), sorted, each once.
std::vector<std::string> set_memberships(const std::vector<std::string>& sets);

// Members of a stored JSON record (`kind`: "object", "image", "set"...): a missing member is
// its default, a member of the wrong type makes the record corrupt (IiifError(500)).
struct RecordFields {
    const json_t* object;
    const char* kind;

    [[noreturn]] void corrupt(const char* key) const;
    std::string text(const char* key) const;
    std::int64_t integer(const char* key, std::int64_t fallback = 0) const;
};
// The JSON object of a stored record; IiifError(500) when it is not one. The caller owns it.
json_t* parse_record(std::string_view text, const char* kind);

}  // namespace iiif
