// Ingest jobs as JSON (what the ingest stream and job.json carry) and converted jobs as JSON
// (what a delivery node's worker hands to the writer: record_handoff.hpp).
#include <jansson.h>

#include <stdexcept>

#include "iiif_error.hpp"
#include "ingest.hpp"
#include "json.hpp"
#include "records.hpp"

namespace iiifd {
namespace {

using iiif::Json;

using iiif::json_text;

Json parse(std::string_view text, const std::string& what) {
    json_error_t error;
    Json json(json_loadb(text.data(), text.size(), 0, &error));
    if (!json) throw std::runtime_error(what + ": invalid JSON: " + error.text);
    return json;
}

void set_string(json_t* object, const char* key, const std::string& value,
                const std::string& what) {
    json_t* string = json_stringn(value.data(), value.size());
    if (!string) throw std::runtime_error(what + ": " + key + " is not valid UTF-8");
    json_object_set_new(object, key, string);
}

std::string get_string(const json_t* object, const char* key, const std::string& what) {
    const json_t* value = json_object_get(object, key);
    if (!json_is_string(value)) throw std::runtime_error(what + ": " + key + " must be a string");
    return {json_string_value(value), json_string_length(value)};
}

FileState file_state_named(const std::string& name, const std::string& what) {
    for (FileState state : {FileState::queued, FileState::converting, FileState::done,
                            FileState::refused, FileState::failed})
        if (file_state_name(state) == name) return state;
    throw std::runtime_error(what + ": no file state '" + name + "'");
}

json_t* file_outcome_to_json(const FileOutcome& file, const std::string& what) {
    json_t* entry = json_object();
    set_string(entry, "name", file.name, what);
    set_string(entry, "state", std::string(file_state_name(file.state)), what);
    json_object_set_new(entry, "page", json_integer(file.page));
    set_string(entry, "error", file.error, what);
    set_string(entry, "reason", file.reason, what);
    json_object_set_new(entry, "progress", json_integer(file.progress));
    if (file.conversion_seconds)
        json_object_set_new(entry, "conversion_seconds", json_real(*file.conversion_seconds));
    return entry;
}

FileOutcome file_outcome_from_json(const json_t* entry, const std::string& what) {
    if (!json_is_object(entry)) throw std::runtime_error(what + ": a file must be an object");
    FileOutcome file;
    file.name = get_string(entry, "name", what);
    file.state = file_state_named(get_string(entry, "state", what), what);
    file.page = static_cast<int>(json_integer_value(json_object_get(entry, "page")));
    file.error = get_string(entry, "error", what);
    file.reason = get_string(entry, "reason", what);
    file.progress = static_cast<int>(json_integer_value(json_object_get(entry, "progress")));
    if (const json_t* seconds = json_object_get(entry, "conversion_seconds"))
        file.conversion_seconds = json_number_value(seconds);
    return file;
}

const json_t* array_of(const json_t* object, const char* key, const std::string& what) {
    const json_t* list = json_object_get(object, key);
    if (!json_is_array(list)) throw std::runtime_error(what + ": " + key + " must be an array");
    return list;
}

}  // namespace

std::string ingest_job_to_json(const IngestJob& job) {
    const std::string what = "ingest job";
    Json json(json_object());
    set_string(json.get(), "id", job.id, what);
    set_string(json.get(), "ark", job.ark, what);
    json_t* files = json_array();
    json_object_set_new(json.get(), "files", files);
    for (const DepositFile& file : job.files) {
        json_t* entry = json_object();
        json_array_append_new(files, entry);
        set_string(entry, "staged_path", file.staged_path, what);
        set_string(entry, "original_name", file.original_name, what);
        if (!file.label.empty()) set_string(entry, "label", file.label, what);
    }
    json_object_set_new(json.get(), "metadata", iiif::object_metadata_to_json(job.metadata));
    set_string(json.get(), "origin", job.origin, what);
    json_object_set_new(json.get(), "submitted", json_integer(job.submitted));
    if (!job.institution.empty()) set_string(json.get(), "institution", job.institution, what);
    if (!job.mode.empty()) {
        set_string(json.get(), "mode", job.mode, what);
        set_string(json.get(), "target", job.target, what);
    }
    return json_text(json.get(), JSON_COMPACT);
}

IngestJob ingest_job_from_json(const std::string& text) {
    const std::string what = "ingest job";
    Json json = parse(text, what);
    if (!json_is_object(json.get())) throw std::runtime_error(what + ": not a JSON object");
    IngestJob job;
    job.id = get_string(json.get(), "id", what);
    job.ark = get_string(json.get(), "ark", what);
    const json_t* files = json_object_get(json.get(), "files");
    if (!json_is_array(files)) throw std::runtime_error(what + ": files must be an array");
    size_t index;
    const json_t* entry;
    json_array_foreach(files, index, entry) {
        if (!json_is_object(entry))
            throw std::runtime_error(what + ": files[" + std::to_string(index) +
                                     "] must be an object");
        job.files.push_back(
            {get_string(entry, "staged_path", what), get_string(entry, "original_name", what),
             json_object_get(entry, "label") ? get_string(entry, "label", what) : std::string()});
    }
    const json_t* metadata = json_object_get(json.get(), "metadata");
    if (metadata) {
        try {
            job.metadata = iiif::object_metadata_from_json(metadata);
        } catch (const iiif::IiifError& error) {
            throw std::runtime_error(what + ": metadata: " + error.reason);
        }
    }
    job.origin = get_string(json.get(), "origin", what);
    const json_t* submitted = json_object_get(json.get(), "submitted");
    if (!json_is_integer(submitted))
        throw std::runtime_error(what + ": submitted must be an integer");
    job.submitted = json_integer_value(submitted);
    if (json_object_get(json.get(), "institution") != nullptr)
        job.institution = get_string(json.get(), "institution", what);
    if (json_object_get(json.get(), "mode") != nullptr) {
        job.mode = get_string(json.get(), "mode", what);
        job.target = get_string(json.get(), "target", what);
        if (job.mode != "add" && job.mode != "replace")
            throw std::runtime_error(what + ": mode must be add or replace");
    }
    return job;
}

namespace {

Json converted_job_to_json(const ConvertedJob& converted) {
    const std::string what = "converted job";
    Json json(json_object());
    json_t* files = json_array();
    json_object_set_new(json.get(), "files", files);
    for (const FileOutcome& file : converted.files)
        json_array_append_new(files, file_outcome_to_json(file, what));
    json_t* images = json_array();
    json_object_set_new(json.get(), "images", images);
    for (const iiif::ImageRecord& image : converted.images)
        json_array_append_new(images, parse(iiif::image_record_to_json(image), what).release());
    json_object_set_new(json.get(), "all_reused", json_boolean(converted.all_reused));
    json_t* written = json_array();
    json_object_set_new(json.get(), "written", written);
    for (const std::string& path : converted.written) {
        json_t* text = json_stringn(path.data(), path.size());
        if (text == nullptr) throw std::runtime_error(what + ": a path is not valid UTF-8");
        json_array_append_new(written, text);
    }
    return json;
}

ConvertedJob converted_job_from_json(const json_t* json) {
    const std::string what = "converted job";
    if (!json_is_object(json)) throw std::runtime_error(what + ": not a JSON object");
    ConvertedJob converted;
    size_t index;
    const json_t* entry;
    json_array_foreach(array_of(json, "files", what), index, entry)
        converted.files.push_back(file_outcome_from_json(entry, what));
    json_array_foreach(array_of(json, "images", what), index, entry) {
        try {
            converted.images.push_back(
                iiif::image_record_from_json(json_text(entry, JSON_COMPACT)));
        } catch (const iiif::IiifError& error) {
            throw std::runtime_error(what + ": images[" + std::to_string(index) +
                                     "]: " + error.reason);
        }
    }
    const json_t* all_reused = json_object_get(json, "all_reused");
    if (!json_is_boolean(all_reused))
        throw std::runtime_error(what + ": all_reused must be a boolean");
    converted.all_reused = json_is_true(all_reused);
    json_array_foreach(array_of(json, "written", what), index, entry) {
        if (!json_is_string(entry)) throw std::runtime_error(what + ": written holds a non-string");
        converted.written.emplace_back(json_string_value(entry), json_string_length(entry));
    }
    return converted;
}

}  // namespace

std::string handed_over_job_to_json(const HandedOverJob& handed) {
    Json json(json_object());
    json_object_set_new(json.get(), "job",
                        parse(ingest_job_to_json(handed.job), "ingest job").release());
    json_object_set_new(json.get(), "converted", converted_job_to_json(handed.converted).release());
    json_object_set_new(json.get(), "seconds", json_real(handed.seconds));
    return json_text(json.get(), JSON_COMPACT);
}

HandedOverJob handed_over_job_from_json(const std::string& text) {
    const std::string what = "handed-over job";
    Json json = parse(text, what);
    if (!json_is_object(json.get())) throw std::runtime_error(what + ": not a JSON object");
    const json_t* job = json_object_get(json.get(), "job");
    if (!json_is_object(job)) throw std::runtime_error(what + ": job must be an object");
    HandedOverJob handed;
    handed.job = ingest_job_from_json(json_text(job, JSON_COMPACT));
    handed.converted = converted_job_from_json(json_object_get(json.get(), "converted"));
    handed.seconds = json_number_value(json_object_get(json.get(), "seconds"));
    return handed;
}

}  // namespace iiifd
