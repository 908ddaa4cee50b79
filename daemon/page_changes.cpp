#include "page_changes.hpp"

#include <jansson.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "clock.hpp"
#include "iiif_error.hpp"
#include "json.hpp"

namespace iiifd {
namespace {

std::string label_of(const json_t* value, const std::string& field, bool required) {
    if (value == nullptr || json_is_null(value)) {
        if (required) iiif::refuse_field(field, "required");
        return {};
    }
    if (!json_is_string(value)) iiif::refuse_field(field, "not a string");
    std::string label(json_string_value(value), json_string_length(value));
    const bool blank = std::all_of(label.begin(), label.end(),
                                   [](unsigned char c) { return c == ' ' || c == '\t'; });
    if (required && blank) iiif::refuse_field(field, "required");
    if (label.size() > kMaxPageLabelBytes)
        iiif::refuse_field(field, "longer than " + std::to_string(kMaxPageLabelBytes) + " bytes");
    return blank ? std::string() : label;
}

void only_keys(const json_t* object, std::initializer_list<std::string_view> allowed,
               const std::string& field) {
    const char* key;
    json_t* value;
    json_object_foreach(const_cast<json_t*>(object), key, value) {
        if (std::find(allowed.begin(), allowed.end(), std::string_view(key)) == allowed.end())
            iiif::refuse_field(field.empty() ? std::string(key) : field + "." + key, "unknown key");
    }
}

std::vector<iiif::PageRange> ranges_of(const json_t* list, const std::string& field, int depth) {
    if (!json_is_array(list)) iiif::refuse_field(field, "not an array");
    if (depth > iiif::kMaxRangeDepth)
        iiif::refuse_field(field, "nested deeper than " + std::to_string(iiif::kMaxRangeDepth) + " levels");
    std::vector<iiif::PageRange> ranges;
    size_t i;
    json_t* item;
    json_array_foreach(list, i, item) {
        const std::string at = field + "[" + std::to_string(i) + "]";
        if (!json_is_object(item)) iiif::refuse_field(at, "not an object");
        only_keys(item, {"label", "pages", "ranges"}, at);
        iiif::PageRange range;
        range.label = label_of(json_object_get(item, "label"), at + ".label", true);
        if (const json_t* pages = json_object_get(item, "pages")) {
            if (!json_is_array(pages)) iiif::refuse_field(at + ".pages", "not an array");
            size_t j;
            json_t* page;
            json_array_foreach(pages, j, page) {
                if (!json_is_string(page))
                    iiif::refuse_field(at + ".pages[" + std::to_string(j) + "]", "not a page name");
                range.pages.emplace_back(json_string_value(page));
            }
        }
        if (const json_t* nested = json_object_get(item, "ranges"))
            range.ranges = ranges_of(nested, at + ".ranges", depth + 1);
        ranges.push_back(std::move(range));
    }
    return ranges;
}

// Every page a range names is among `kept`.
void check_ranges(const std::vector<iiif::PageRange>& ranges, const std::vector<std::string>& kept,
                  const std::string& field) {
    for (size_t i = 0; i < ranges.size(); ++i) {
        const std::string at = field + "[" + std::to_string(i) + "]";
        for (size_t j = 0; j < ranges[i].pages.size(); ++j)
            if (std::find(kept.begin(), kept.end(), ranges[i].pages[j]) == kept.end())
                iiif::refuse_field(at + ".pages[" + std::to_string(j) + "]",
                    "\"" + ranges[i].pages[j] + "\" is not one of the object's pages");
        check_ranges(ranges[i].ranges, kept, at + ".ranges");
    }
}

}  // namespace

PagesChange parse_pages_change(std::string_view json) {
    json_error_t error;
    iiif::Json document(json_loadb(json.data(), json.size(), 0, &error));
    if (!json_is_object(document.get())) iiif::refuse_field("document", "expected a JSON object");
    only_keys(document.get(), {"pages", "structures", "version"}, "");
    PagesChange change;
    const json_t* pages = json_object_get(document.get(), "pages");
    if (!json_is_array(pages)) iiif::refuse_field("pages", "required, an array");
    size_t i;
    json_t* item;
    json_array_foreach(pages, i, item) {
        const std::string at = "pages[" + std::to_string(i) + "]";
        if (!json_is_object(item)) iiif::refuse_field(at, "not an object");
        only_keys(item, {"page", "label"}, at);
        const json_t* page = json_object_get(item, "page");
        if (!json_is_string(page)) iiif::refuse_field(at + ".page", "required, a page name such as \"f1\"");
        change.pages.emplace_back(json_string_value(page),
                                  label_of(json_object_get(item, "label"), at + ".label", false));
    }
    if (const json_t* structures = json_object_get(document.get(), "structures"))
        change.structures = ranges_of(structures, "structures", 1);
    if (const json_t* version = json_object_get(document.get(), "version")) {
        if (!json_is_integer(version) || json_integer_value(version) < 1)
            iiif::refuse_field("version", "not a version number");
        change.version = json_integer_value(version);
    }
    return change;
}

iiif::ObjectRecord PageChanges::apply(const std::string& ark, const PagesChange& change) {
    auto redis = changes_.redis.lease();
    // The change goes to the events stream: refuse it while that stream cannot be reached.
    redis->command({"PING"});

    std::lock_guard lock(changes_.mutex);
    iiif::ObjectRecord object = changes_.object(ark);
    if (object.state == iiif::RecordState::withdrawn)
        throw iiif::IiifError(409, "the object has been withdrawn");
    if (change.version && *change.version != object.version)
        throw iiif::IiifError(409, "the object has changed since version " +
                                       std::to_string(*change.version) + ": it is at version " +
                                       std::to_string(object.version));

    // The object's pages as they are, by name.
    std::vector<iiif::ImageRecord> current;
    for (const std::string& id : object.images) {
        std::optional<iiif::ImageRecord> page = changes_.catalog.reader().image(id);
        if (!page) throw iiif::IiifError(500, "catalog: no record of " + id);
        current.push_back(std::move(*page));
    }
    auto named = [&](const std::string& name) {
        return std::find_if(current.begin(), current.end(), [&](const iiif::ImageRecord& page) {
            return iiif::page_name(page.id) == name;
        });
    };

    if (change.pages.empty()) iiif::refuse_field("pages", "an object keeps at least one page");
    std::vector<std::string> kept_names;
    std::vector<iiif::ImageRecord> kept;
    for (size_t i = 0; i < change.pages.size(); ++i) {
        const auto& [name, label] = change.pages[i];
        const std::string at = "pages[" + std::to_string(i) + "].page";
        auto page = named(name);
        if (page == current.end()) iiif::refuse_field(at, "\"" + name + "\" is not one of the object's pages");
        if (std::find(kept_names.begin(), kept_names.end(), name) != kept_names.end())
            iiif::refuse_field(at, "\"" + name + "\" is named twice");
        kept_names.push_back(name);
        iiif::ImageRecord record = *page;
        record.label = label;
        kept.push_back(std::move(record));
    }
    check_ranges(change.structures, kept_names, "structures");

    std::vector<std::string> order;
    for (const iiif::ImageRecord& page : kept) order.push_back(page.id);
    const bool same_labels = std::equal(
        kept.begin(), kept.end(), current.begin(), current.end(),
        [](const iiif::ImageRecord& a, const iiif::ImageRecord& b) { return a.label == b.label; });
    if (order == object.images && same_labels && change.structures == object.structures)
        return object;

    // Pages taken out stay, withdrawn: their ids answer 410.
    std::vector<iiif::ImageRecord> written = kept;
    for (iiif::ImageRecord& page : current) {
        if (std::find(order.begin(), order.end(), page.id) != order.end()) continue;
        page.state = iiif::RecordState::withdrawn;
        object.removed.push_back(page.id);
        written.push_back(std::move(page));
    }
    for (const std::string& id : object.removed) {
        if (std::any_of(written.begin(), written.end(),
                        [&](const iiif::ImageRecord& page) { return page.id == id; }))
            continue;
        if (std::optional<iiif::ImageRecord> gone = changes_.catalog.reader().image(id))
            written.push_back(std::move(*gone));
    }

    changes_.store.keep_version(object);
    object.images = order;
    object.structures = change.structures;
    object.version += 1;
    object.updated = object.datestamp = std::max(iiif::now_seconds(), object.datestamp);
    changes_.store.write(object, written, [&] { changes_.catalog.put(object, written); });
    announce_change(*redis, changes_.config,
                    CatalogEvent{"object.updated", object.ark, object.datestamp});
    spdlog::info("pages of {} changed: version {}, {} pages", object.ark, object.version,
                 object.images.size());
    return object;
}

}  // namespace iiifd
