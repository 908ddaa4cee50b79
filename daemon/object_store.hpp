// The objects of the storage root, the durable truth the catalog can be rebuilt from, and the
// one owner of object.json: ingest writes it, the API's changes rewrite it, `iiifd rebuild`
// reads it; no other file knows its layout.
//
//   {root}/{NAAN}/{name}/object.json   {"schema": 1, "object": ObjectRecord,
//                                       "images": [ImageRecord...]}
//   {root}/{NAAN}/{name}/source.{prefix}.xml   a harvested object's record as its partner sent
//                                       it, in each metadata format harvested (oai_dc...)
//   {root}/{NAAN}/{name}/versions/v{n}.json   object.json as it was at version n, kept when a
//                                       change of pages made version n + 1
//   {root}/{NAAN}/{name}/originals/    the deposited files, byte for byte
//   {root}/{NAAN}/{name}/masters/      the pyramidal masters
//   {root}/quarantine/{NAAN}/{name}/masters   a withdrawn object's masters
//
// The records are in the catalog's JSON forms, with master_path and original_path relative to
// the object's directory (a read makes them absolute again, so a storage root can move). Every
// write is atomic (storage.hpp): a reader or a crash sees the old file or the new one.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ark.hpp"
#include "catalog.hpp"

namespace iiifd {

// Where one object's files are.
struct ObjectFiles {
    std::string directory;    // {root}/{NAAN}/{name}
    std::string object_file;  // its object.json
    std::string originals;
    std::string masters;
    // Where the masters wait while the object is withdrawn, out of its directory: nothing
    // serves from there, and a rebuild finds no object.json in it.
    std::string quarantine;
};

// An object.json as read back: the records, their paths absolute.
struct StoredObject {
    iiif::ObjectRecord object;
    std::vector<iiif::ImageRecord> images;
};

class ObjectStore {
  public:
    // `storage_root` is made absolute and normal, so that the paths ingest records and those a
    // rebuild finds again are the same strings.
    explicit ObjectStore(const std::string& storage_root);

    const std::string& root() const { return root_; }
    ObjectFiles files(const iiif::Ark& ark) const;
    // An ARK the catalog holds; IiifError 500 when it is none.
    ObjectFiles files(const std::string& ark) const;

    // Every change of object.json comes with the catalog's write of the same change, `then`,
    // run once the file is written: when it throws, object.json is put back as it was (removed
    // when there was none) and the exception goes on, so that the storage root and the catalog
    // never disagree (a rebuild would otherwise make the failed change, or drop the object).

    // Writes the object's object.json whole (ingest, remaster), then runs `then`.
    void write(const iiif::ObjectRecord& object, const std::vector<iiif::ImageRecord>& images,
               const std::function<void()>& then) const;
    // Replaces the object record of an object.json and keeps its images as they are (a change
    // of metadata or state), then runs `then`; IiifError 500 when the file cannot be read.
    void rewrite(const iiif::ObjectRecord& object, const std::function<void()>& then) const;
    // Many objects' object.json written together (a harvest's page), made durable with two
    // syncs for the lot (write_files_atomically), then `then` runs once (the catalog's put_many
    // of the same changes); when it throws, every file is put back as it was. A change with
    // `images` writes the file whole, as write() does; without, it keeps the images the file
    // lists, as rewrite() does. `source_records` (metadata prefix, text) are written with it.
    struct Change {
        iiif::ObjectRecord object;
        std::optional<std::vector<iiif::ImageRecord>> images;
        std::vector<std::pair<std::string, std::string>> source_records;
    };
    void write_many(const std::vector<Change>& changes, const std::function<void()>& then) const;
    // Where a harvested object's record in the metadata format `prefix` is kept.
    std::string source_record(const std::string& ark, const std::string& prefix) const;
    // Source records (path from source_record(), text) written alone, together (a harvest's
    // records in another format than oai_dc, the object as it was).
    void write_source_records(
        const std::vector<std::pair<std::string, std::string>>& records) const;
    // Keeps object.json as it is now as versions/v{version}.json, before a change of pages makes
    // a new version (a version kept already stays as it was).
    void keep_version(const iiif::ObjectRecord& current) const;
    // Throws std::runtime_error naming what is wrong (unreadable, not JSON, unknown schema...).
    static StoredObject read(const std::string& object_file);

    // What a walk of the storage root looks for, and the directories of an object it need not
    // enter.
    static bool is_object_file(std::string_view file_name);
    static bool is_object_content(std::string_view directory_name);

  private:
    std::string document_text(const iiif::ObjectRecord& object,
                              const std::vector<iiif::ImageRecord>& images) const;
    // object.json's `text` with its object record replaced by `object`'s.
    static std::string rewritten_text(const std::string& path, const std::string& text,
                                      const iiif::ObjectRecord& object);
    // Replaces `path` (`previous`, nullopt when it was absent) with `text`, then runs `then`,
    // putting `previous` back when it throws.
    static void replace(const std::string& path, const std::optional<std::string>& previous,
                        const std::string& text, const std::function<void()>& then);

    std::string root_;
};

}  // namespace iiifd
