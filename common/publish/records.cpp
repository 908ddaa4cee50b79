#include "records.hpp"

#include <algorithm>

#include "iiif_error.hpp"
#include "json.hpp"

namespace iiif {
namespace {

RecordState state_from_name(std::string_view name) {
    if (name == "active") return RecordState::active;
    if (name == "withdrawn") return RecordState::withdrawn;
    if (name == "pending") return RecordState::pending;
    throw IiifError(500, "catalog: unknown record state \"" + std::string(name) + "\"");
}

Json load_record(std::string_view text, const char* kind) {
    return Json(parse_record(text, kind));
}

void set_text(json_t* object, const char* key, const std::string& value) {
    json_object_set_new(object, key, json_string_of(value));
}

}  // namespace

void RecordFields::corrupt(const char* key) const {
    throw IiifError(500, std::string("catalog: corrupt ") + kind + " record: " + key);
}

std::string RecordFields::text(const char* key) const {
    const json_t* value = json_object_get(object, key);
    if (!value) return {};
    if (!json_is_string(value)) corrupt(key);
    return {json_string_value(value), json_string_length(value)};
}

std::int64_t RecordFields::integer(const char* key, std::int64_t fallback) const {
    const json_t* value = json_object_get(object, key);
    if (!value) return fallback;
    if (!json_is_integer(value)) corrupt(key);
    return json_integer_value(value);
}

json_t* parse_record(std::string_view text, const char* kind) {
    Json json(json_loadb(text.data(), text.size(), 0, nullptr));
    if (!json || !json_is_object(json.get()))
        throw IiifError(500, std::string("catalog: corrupt ") + kind + " record");
    return json.release();
}

std::vector<std::string> set_memberships(const std::vector<std::string>& sets) {
    std::vector<std::string> all;
    for (const std::string& spec : sets) {
        for (size_t colon = spec.find(':'); colon != std::string::npos;
             colon = spec.find(':', colon + 1))
            all.push_back(spec.substr(0, colon));
        all.push_back(spec);
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
}

std::string_view record_state_name(RecordState state) {
    switch (state) {
        case RecordState::pending:
            return "pending";
        case RecordState::active:
            return "active";
        case RecordState::withdrawn:
            return "withdrawn";
    }
    return "pending";
}

// ---- Object and image records
// ----------------------------------------------------------------------------------

std::string page_name(std::string_view image_id) {
    const size_t slash = image_id.rfind('/');
    if (slash == std::string_view::npos || slash + 1 >= image_id.size() ||
        image_id[slash + 1] != 'f')
        return {};
    return std::string(image_id.substr(slash + 1));
}

json_t* page_ranges_to_json(const std::vector<PageRange>& ranges) {
    json_t* list = json_array();
    for (const PageRange& range : ranges) {
        json_t* item = json_object();
        json_object_set_new(item, "label", json_stringn(range.label.data(), range.label.size()));
        json_t* pages = json_array();
        for (const std::string& page : range.pages)
            json_array_append_new(pages, json_stringn(page.data(), page.size()));
        json_object_set_new(item, "pages", pages);
        json_object_set_new(item, "ranges", page_ranges_to_json(range.ranges));
        json_array_append_new(list, item);
    }
    return list;
}

std::optional<std::vector<PageRange>> page_ranges_from_json(const json_t* list, int depth) {
    if (!json_is_array(list) || depth > kMaxRangeDepth) return std::nullopt;
    std::vector<PageRange> ranges;
    size_t i;
    json_t* item;
    json_array_foreach(list, i, item) {
        const json_t* label = json_object_get(item, "label");
        const json_t* pages = json_object_get(item, "pages");
        if (!json_is_object(item) || !json_is_string(label)) return std::nullopt;
        PageRange range;
        range.label.assign(json_string_value(label), json_string_length(label));
        if (pages != nullptr && !json_is_array(pages)) return std::nullopt;
        size_t j;
        json_t* page;
        json_array_foreach(pages, j, page) {
            if (!json_is_string(page)) return std::nullopt;
            range.pages.emplace_back(json_string_value(page), json_string_length(page));
        }
        if (const json_t* nested = json_object_get(item, "ranges")) {
            std::optional<std::vector<PageRange>> children = page_ranges_from_json(nested, depth + 1);
            if (!children) return std::nullopt;
            range.ranges = std::move(*children);
        }
        ranges.push_back(std::move(range));
    }
    return ranges;
}

std::string object_record_to_json(const ObjectRecord& record) {
    Json json(json_object());
    set_text(json.get(), "ark", record.ark);
    json_object_set_new(json.get(), "metadata", object_metadata_to_json(record.metadata));
    json_t* images = json_array();
    for (const std::string& id : record.images)
        json_array_append_new(images, json_stringn(id.data(), id.size()));
    json_object_set_new(json.get(), "images", images);
    json_object_set_new(json.get(), "created", json_integer(record.created));
    json_object_set_new(json.get(), "updated", json_integer(record.updated));
    json_object_set_new(json.get(), "datestamp", json_integer(record.datestamp));
    set_text(json.get(), "state", std::string(record_state_name(record.state)));
    if (!record.withdrawn_reason.empty())
        set_text(json.get(), "withdrawn_reason", record.withdrawn_reason);
    set_text(json.get(), "policy", record.policy);
    if (!record.institution.empty()) set_text(json.get(), "institution", record.institution);
    if (record.version != 1) json_object_set_new(json.get(), "version", json_integer(record.version));
    if (!record.removed.empty()) {
        json_t* removed = json_array();
        for (const std::string& id : record.removed)
            json_array_append_new(removed, json_stringn(id.data(), id.size()));
        json_object_set_new(json.get(), "removed", removed);
    }
    if (!record.structures.empty())
        json_object_set_new(json.get(), "structures", page_ranges_to_json(record.structures));
    return json_text(json.get());
}

ObjectRecord object_record_from_json(std::string_view text) {
    Json json = load_record(text, "object");
    RecordFields read{json.get(), "object"};
    ObjectRecord record;
    record.ark = read.text("ark");
    if (const json_t* metadata = json_object_get(json.get(), "metadata")) {
        try {
            record.metadata = object_metadata_from_json(metadata);
        } catch (const IiifError& error) {
            throw IiifError(500, "catalog: corrupt object record: " + error.reason);
        }
    }
    const json_t* images = json_object_get(json.get(), "images");
    if (images && !json_is_array(images)) read.corrupt("images");
    size_t i;
    json_t* id;
    json_array_foreach(images, i, id) {
        if (!json_is_string(id)) read.corrupt("images");
        record.images.emplace_back(json_string_value(id), json_string_length(id));
    }
    record.created = read.integer("created");
    record.updated = read.integer("updated");
    record.datestamp = read.integer("datestamp");
    record.state = state_from_name(read.text("state"));
    record.withdrawn_reason = read.text("withdrawn_reason");
    record.policy = read.text("policy");
    if (record.policy.empty()) record.policy = "public";
    record.institution = read.text("institution");
    record.version = read.integer("version", 1);
    const json_t* removed = json_object_get(json.get(), "removed");
    if (removed && !json_is_array(removed)) read.corrupt("removed");
    json_array_foreach(removed, i, id) {
        if (!json_is_string(id)) read.corrupt("removed");
        record.removed.emplace_back(json_string_value(id), json_string_length(id));
    }
    if (const json_t* structures = json_object_get(json.get(), "structures")) {
        std::optional<std::vector<PageRange>> ranges = page_ranges_from_json(structures);
        if (!ranges) read.corrupt("structures");
        record.structures = std::move(*ranges);
    }
    return record;
}

std::string image_record_to_json(const ImageRecord& record) {
    Json json(json_object());
    set_text(json.get(), "id", record.id);
    set_text(json.get(), "object", record.object);
    json_object_set_new(json.get(), "index", json_integer(record.index));
    set_text(json.get(), "master_path", record.master_path);
    set_text(json.get(), "original_path", record.original_path);
    set_text(json.get(), "original_name", record.original_name);
    set_text(json.get(), "original_sha256", record.original_sha256);
    set_text(json.get(), "master_sha256", record.master_sha256);
    json_object_set_new(json.get(), "original_bytes", json_integer(record.original_bytes));
    set_text(json.get(), "source", serialize_source_info(record.source));
    json_object_set_new(json.get(), "version", json_integer(record.version));
    set_text(json.get(), "state", std::string(record_state_name(record.state)));
    set_text(json.get(), "policy", record.policy);
    if (!record.watermark.empty()) set_text(json.get(), "watermark", record.watermark);
    if (!record.rights.empty()) set_text(json.get(), "rights", record.rights);
    if (!record.label.empty()) set_text(json.get(), "label", record.label);
    if (!record.institution.empty()) set_text(json.get(), "institution", record.institution);
    return json_text(json.get());
}

ImageRecord image_record_from_json(std::string_view text) {
    Json json = load_record(text, "image");
    RecordFields read{json.get(), "image"};
    ImageRecord record;
    record.id = read.text("id");
    record.object = read.text("object");
    record.index = static_cast<int>(read.integer("index"));
    record.master_path = read.text("master_path");
    record.original_path = read.text("original_path");
    record.original_name = read.text("original_name");
    record.original_sha256 = read.text("original_sha256");
    record.master_sha256 = read.text("master_sha256");
    record.original_bytes = read.integer("original_bytes");
    auto source = parse_source_info(read.text("source"));
    if (!source) read.corrupt("source");
    record.source = std::move(*source);
    record.version = read.integer("version", 1);
    record.state = state_from_name(read.text("state"));
    record.policy = read.text("policy");
    if (record.policy.empty()) record.policy = "public";
    record.watermark = read.text("watermark");
    record.rights = read.text("rights");
    record.label = read.text("label");
    record.institution = read.text("institution");
    return record;
}

}  // namespace iiif
