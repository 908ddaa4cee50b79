#include "object_store.hpp"

#include <jansson.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>

#include "iiif_error.hpp"
#include "json.hpp"
#include "storage.hpp"

namespace iiifd {
namespace {

namespace fs = std::filesystem;
using iiif::Json;

constexpr std::string_view kObjectFile = "object.json";
constexpr int kSchema = 1;

// Text parsed as JSON; a null Json, with `error` filled, when it is not.
Json loaded(std::string_view text, json_error_t& error) {
    return Json(json_loadb(text.data(), text.size(), 0, &error));
}

// A record's JSON (the catalog's form), as a value to put in the document.
json_t* record_value(const std::string& text, const std::string& what) {
    json_error_t error;
    Json value = loaded(text, error);
    if (!value) throw std::runtime_error(what + ": invalid JSON: " + error.text);
    return value.release();
}

std::string relative_to(const std::string& path, const std::string& directory) {
    return fs::path(path).lexically_relative(directory).string();
}

std::string rebased(const std::string& path, const std::string& directory) {
    if (path.empty() || fs::path(path).is_absolute()) return path;
    return directory + "/" + path;
}

std::string indented_text(const json_t* document) {
    return iiif::json_text(document, JSON_INDENT(2)) + "\n";
}

// The whole of a file; nullopt when there is none. IiifError 500 when there is one that cannot
// be read: a change could not put it back.
std::optional<std::string> contents_of(const std::string& path) {
    std::error_code error;
    const fs::file_status status = fs::status(path, error);
    if (status.type() == fs::file_type::not_found) return std::nullopt;
    if (status.type() != fs::file_type::regular)
        throw iiif::IiifError(500, path + ": not a regular file");
    std::ifstream in(path, std::ios::binary);
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!in.good() && !in.eof()) throw iiif::IiifError(500, path + ": cannot read");
    return text;
}

}  // namespace

ObjectStore::ObjectStore(const std::string& storage_root)
    : root_(fs::absolute(storage_root).lexically_normal().string()) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

ObjectFiles ObjectStore::files(const iiif::Ark& ark) const {
    ObjectFiles files;
    files.directory = object_directory(root_, ark);
    files.object_file = files.directory + "/" + std::string(kObjectFile);
    files.originals = files.directory + "/originals";
    files.masters = files.directory + "/masters";
    files.quarantine = root_ + "/quarantine/" +
                       fs::path(files.directory).lexically_relative(root_).string() + "/masters";
    return files;
}

ObjectFiles ObjectStore::files(const std::string& ark) const {
    std::optional<iiif::Ark> parsed = iiif::parse_ark(ark);
    if (!parsed) throw iiif::IiifError(500, "catalog: \"" + ark + "\" is no ARK");
    return files(*parsed);
}

void ObjectStore::replace(const std::string& path, const std::optional<std::string>& previous,
                          const std::string& text, const std::function<void()>& then) {
    write_file_atomically(path, text);
    try {
        then();
    } catch (...) {
        try {
            if (previous) {
                write_file_atomically(path, *previous);
            } else {
                fs::remove(path);
                fsync_directory(fs::path(path).parent_path().string());
            }
        } catch (const std::exception& failure) {
            spdlog::error("{}: the change the catalog refused could not be undone: {}", path,
                          failure.what());
        }
        throw;
    }
}

std::string ObjectStore::document_text(const iiif::ObjectRecord& object,
                                       const std::vector<iiif::ImageRecord>& images) const {
    const ObjectFiles where = files(object.ark);
    Json document(json_object());
    json_object_set_new(document.get(), "schema", json_integer(kSchema));
    json_object_set_new(document.get(), "object",
                        record_value(iiif::object_record_to_json(object), "object record"));
    json_t* list = json_array();
    json_object_set_new(document.get(), "images", list);
    for (iiif::ImageRecord image : images) {
        image.master_path = relative_to(image.master_path, where.directory);
        image.original_path = relative_to(image.original_path, where.directory);
        json_array_append_new(list,
                              record_value(iiif::image_record_to_json(image), "image record"));
    }
    return indented_text(document.get());
}

std::string ObjectStore::rewritten_text(const std::string& path, const std::string& text,
                                        const iiif::ObjectRecord& object) {
    json_error_t error;
    Json document = loaded(text, error);
    if (!json_is_object(document.get()))
        throw iiif::IiifError(500, path + ": invalid JSON: " + error.text);
    std::string object_text = iiif::object_record_to_json(object);
    json_t* value = loaded(object_text, error).release();
    if (value == nullptr) throw iiif::IiifError(500, "object record: " + std::string(error.text));
    json_object_set_new(document.get(), "object", value);
    return indented_text(document.get());
}

void ObjectStore::write(const iiif::ObjectRecord& object,
                        const std::vector<iiif::ImageRecord>& images,
                        const std::function<void()>& then) const {
    const std::string path = files(object.ark).object_file;
    replace(path, contents_of(path), document_text(object, images), then);
}

void ObjectStore::rewrite(const iiif::ObjectRecord& object,
                          const std::function<void()>& then) const {
    const std::string path = files(object.ark).object_file;
    const std::optional<std::string> text = contents_of(path);
    if (!text) throw iiif::IiifError(500, path + ": cannot read");
    replace(path, text, rewritten_text(path, *text, object), then);
}

void ObjectStore::write_many(const std::vector<Change>& changes,
                             const std::function<void()>& then) const {
    std::vector<std::pair<std::string, std::string>> written;
    std::vector<std::optional<std::string>> previous;
    for (const Change& change : changes) {
        const std::string path = files(change.object.ark).object_file;
        previous.push_back(contents_of(path));
        if (change.images) {
            written.emplace_back(path, document_text(change.object, *change.images));
        } else {
            if (!previous.back()) throw iiif::IiifError(500, path + ": cannot read");
            written.emplace_back(path, rewritten_text(path, *previous.back(), change.object));
        }
        for (const auto& [prefix, text] : change.source_records) {
            written.emplace_back(source_record(change.object.ark, prefix), text);
            previous.push_back(contents_of(written.back().first));
        }
    }
    write_files_atomically(written);
    try {
        then();
    } catch (...) {
        try {
            std::vector<std::pair<std::string, std::string>> restored;
            for (size_t i = 0; i < written.size(); ++i) {
                if (previous[i]) {
                    restored.emplace_back(written[i].first, std::move(*previous[i]));
                } else {
                    fs::remove(written[i].first);
                    fsync_directory(fs::path(written[i].first).parent_path().string());
                }
            }
            write_files_atomically(restored);
        } catch (const std::exception& failure) {
            spdlog::error("{} objects: the changes the catalog refused could not be undone: {}",
                          changes.size(), failure.what());
        }
        throw;
    }
}

std::string ObjectStore::source_record(const std::string& ark, const std::string& prefix) const {
    if (prefix.empty() || prefix.find_first_of("/\0") != std::string::npos || prefix[0] == '.')
        throw iiif::IiifError(500, "\"" + prefix + "\" cannot name a source record");
    return files(ark).directory + "/source." + prefix + ".xml";
}

void ObjectStore::write_source_records(
    const std::vector<std::pair<std::string, std::string>>& records) const {
    write_files_atomically(records);
}

StoredObject ObjectStore::read(const std::string& object_file) {
    std::ifstream in(object_file, std::ios::binary);
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!in.good() && !in.eof()) throw std::runtime_error("cannot read");
    json_error_t error;
    Json document = loaded(text, error);
    if (!document)
        throw std::runtime_error("object.json: invalid JSON: " + std::string(error.text));
    const json_t* schema = json_object_get(document.get(), "schema");
    if (!json_is_integer(schema) || json_integer_value(schema) != kSchema)
        throw std::runtime_error("unknown schema");
    const json_t* object_json = json_object_get(document.get(), "object");
    const json_t* images_json = json_object_get(document.get(), "images");
    if (!json_is_object(object_json) || !json_is_array(images_json))
        throw std::runtime_error("no object or no images");

    const std::string directory = fs::path(object_file).parent_path().string();
    StoredObject stored;
    stored.object = iiif::object_record_from_json(iiif::json_text(object_json, JSON_COMPACT));
    size_t index;
    const json_t* image_json;
    json_array_foreach(images_json, index, image_json) {
        iiif::ImageRecord image =
            iiif::image_record_from_json(iiif::json_text(image_json, JSON_COMPACT));
        image.master_path = rebased(image.master_path, directory);
        image.original_path = rebased(image.original_path, directory);
        stored.images.push_back(std::move(image));
    }
    return stored;
}

bool ObjectStore::is_object_file(std::string_view file_name) {
    return file_name == kObjectFile;
}

bool ObjectStore::is_object_content(std::string_view directory_name) {
    return directory_name == "originals" || directory_name == "masters" ||
           directory_name == "versions";
}

void ObjectStore::keep_version(const iiif::ObjectRecord& current) const {
    const ObjectFiles where = files(current.ark);
    const std::string kept =
        where.directory + "/versions/v" + std::to_string(current.version) + ".json";
    if (fs::exists(kept)) return;
    const std::optional<std::string> text = contents_of(where.object_file);
    if (!text) throw iiif::IiifError(500, where.object_file + ": cannot read");
    make_directories(where.directory + "/versions");
    write_file_atomically(kept, *text);
}

}  // namespace iiifd
