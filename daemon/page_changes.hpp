// A book's pages after its deposit: put in another order, labelled ("f. 12r", "p. 3"), taken
// out, and its table of contents (nested ranges), in one change. Each change that changes
// something makes a new version of the object: object.json as it was is kept
// (versions/v{n}.json, object_store.hpp), the ARK and the ids of the pages kept stay, a page
// taken out stays as a withdrawn record (its id answers 410, never reused), and the manifests
// and OAI-PMH record follow in the same catalog transaction.
//
// PUT /api/v1/objects/{ark}/pages takes it as JSON:
//   {"pages": [{"page": "f3", "label": "f. 1r"}, {"page": "f1"}, ...],
//    "structures": [{"label": "Book I", "pages": ["f3"], "ranges": [...]}],
//    "version": 4}
// `pages` is the whole new list (a page left out is taken out; a label absent or "" gives the
// page its number); `structures` replaces the table of contents (absent: []); `version`, when
// given, is the version the change was made from: 409 when the object has moved on since.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "object_changes.hpp"
#include "records.hpp"

namespace iiifd {

struct PagesChange {
    std::vector<std::pair<std::string, std::string>> pages;  // page name ("f3"), label
    std::vector<iiif::PageRange> structures;
    std::optional<std::int64_t> version;
};

// The longest label of a page or a range, in bytes.
inline constexpr size_t kMaxPageLabelBytes = 200;

// IiifError 400 naming the field ("pages[2].page: ...") for a body of another shape.
PagesChange parse_pages_change(std::string_view json);

class PageChanges {
  public:
    explicit PageChanges(ObjectChanges& changes) : changes_(changes) {}

    // The object as it is after the change (as it was when the change changes nothing).
    // IiifError 404 (no such object), 409 (withdrawn; another version), 400 (a page that is
    // not one of the object's, named twice, none left; a range naming a page not kept, a
    // label that is empty or too long).
    iiif::ObjectRecord apply(const std::string& ark, const PagesChange& change);

  private:
    ObjectChanges& changes_;
};

}  // namespace iiifd
