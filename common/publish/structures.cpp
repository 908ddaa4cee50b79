#include "structures.hpp"

#include <algorithm>

#include "json.hpp"

namespace iiif {
namespace {

// The ranges that keep something once the pages not shown are left out, with their ids.
struct ShownRange {
    std::string id;
    const PageRange* range = nullptr;
    std::vector<std::string> canvases;  // the canvas ids of its pages that are shown
    std::vector<ShownRange> children;
};

std::vector<ShownRange> shown_ranges(const std::string& base, const std::vector<PageRange>& ranges,
                                     const std::vector<std::string>& shown_names, int& counter) {
    std::vector<ShownRange> kept;
    for (const PageRange& range : ranges) {
        ShownRange item;
        item.id = base + "/range/r" + std::to_string(++counter);
        item.range = &range;
        for (const std::string& page : range.pages)
            if (std::find(shown_names.begin(), shown_names.end(), page) != shown_names.end())
                item.canvases.push_back(base + "/canvas/" + page);
        item.children = shown_ranges(base, range.ranges, shown_names, counter);
        if (!item.canvases.empty() || !item.children.empty()) kept.push_back(std::move(item));
    }
    return kept;
}

std::vector<ShownRange> shown_ranges(const std::string& base, const std::vector<PageRange>& ranges,
                                     const std::vector<const ImageRecord*>& shown) {
    std::vector<std::string> names;
    for (const ImageRecord* page : shown) names.push_back("f" + std::to_string(page->index));
    int counter = 0;
    return shown_ranges(base, ranges, names, counter);
}

json_t* range_v3(const ShownRange& shown) {
    json_t* range = json_object();
    json_object_set_new(range, "id", json_string_of(shown.id));
    json_object_set_new(range, "type", json_string("Range"));
    json_t* label = json_object();
    json_object_set_new(label, "none", json_pack("[o]", json_string_of(shown.range->label)));
    json_object_set_new(range, "label", label);
    json_t* items = json_array();
    for (const std::string& canvas : shown.canvases)
        json_array_append_new(items, json_pack("{s:o,s:s}", "id", json_string_of(canvas), "type", "Canvas"));
    for (const ShownRange& child : shown.children) json_array_append_new(items, range_v3(child));
    json_object_set_new(range, "items", items);
    return range;
}

void ranges_v2(const ShownRange& shown, json_t* list) {
    json_t* range = json_object();
    json_object_set_new(range, "@id", json_string_of(shown.id));
    json_object_set_new(range, "@type", json_string("sc:Range"));
    json_object_set_new(range, "label", json_string_of(shown.range->label));
    if (!shown.canvases.empty()) {
        json_t* canvases = json_array();
        for (const std::string& canvas : shown.canvases)
            json_array_append_new(canvases, json_string_of(canvas));
        json_object_set_new(range, "canvases", canvases);
    }
    if (!shown.children.empty()) {
        json_t* children = json_array();
        for (const ShownRange& child : shown.children)
            json_array_append_new(children, json_string_of(child.id));
        json_object_set_new(range, "ranges", children);
    }
    json_array_append_new(list, range);
    for (const ShownRange& child : shown.children) ranges_v2(child, list);
}

}  // namespace

json_t* structures_v3(const std::string& base, const std::vector<PageRange>& ranges,
                      const std::vector<const ImageRecord*>& shown) {
    const std::vector<ShownRange> kept = shown_ranges(base, ranges, shown);
    if (kept.empty()) return nullptr;
    json_t* list = json_array();
    for (const ShownRange& range : kept) json_array_append_new(list, range_v3(range));
    return list;
}

json_t* structures_v2(const std::string& base, const std::vector<PageRange>& ranges,
                      const std::vector<const ImageRecord*>& shown) {
    const std::vector<ShownRange> kept = shown_ranges(base, ranges, shown);
    if (kept.empty()) return nullptr;
    json_t* list = json_array();
    for (const ShownRange& range : kept) ranges_v2(range, list);
    return list;
}

}  // namespace iiif
