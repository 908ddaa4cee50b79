// The catalog iiifd would write, beside nginx's configuration: DIR/catalog.mdb, its masters in
// DIR/images/masters. One per test (an LMDB environment is opened once per process).
#pragma once

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "catalog.hpp"
#include "fixtures.hpp"
#include "image_source.hpp"
#include "nginx_harness.hpp"

namespace fixtures {

class Catalog {
  public:
    explicit Catalog(const integration::Nginx& nginx) : nginx_(nginx) {
        std::string error;
        writer_ = iiif::CatalogWriter::open(nginx.path("catalog.mdb"), &error);
        INFO(error);
        REQUIRE(writer_);
        // The workers run as nobody: they read the file and take reader slots in its lock file.
        chmod(nginx.path("catalog.mdb").c_str(), 0644);
        chmod(nginx.path("catalog.mdb-lock").c_str(), 0666);
    }

    iiif::CatalogWriter& writer() { return *writer_; }

    // Page `index` of `ark`, whose master is a copy of `source` at DIR/images/masters/{name};
    // replacing an existing master renames over it, as iiifd does.
    iiif::ImageRecord page(const std::string& ark, int index, const std::string& source,
                           const std::string& name, std::int64_t version = 1) {
        const std::string relative = "masters/" + name;
        nginx_.add_image(relative + ".new", source);
        std::filesystem::rename(nginx_.path("images/" + relative + ".new"),
                                nginx_.path("images/" + relative));
        iiif::ImageRecord image;
        image.id = ark + "/f" + std::to_string(index);
        image.object = ark;
        image.index = index;
        image.master_path = nginx_.path("images/" + relative);
        image.original_name = name;
        image.original_sha256 = std::string(64, static_cast<char>('0' + index));
        image.source = iiif::probe_source(image.master_path);
        image.version = version;
        return image;
    }

    // `ark` with two pages: f1 the quadrants (fixtures::master_tiff), f2 `second`.
    void publish_object(const std::string& ark, const std::string& second,
                        const std::string& access = "", const std::string& institution = "") {
        iiif::ObjectRecord record = object(ark);
        record.metadata.access = access;
        record.institution = institution;
        const std::string stem = std::filesystem::path(ark).filename().string();
        writer_->put(record, {page(ark, 1, master_tiff(), stem + "-f1.tif"),
                              page(ark, 2, second, stem + "-f2.tif")});
    }

    static iiif::ObjectRecord object(const std::string& ark) {
        iiif::ObjectRecord object;
        object.ark = ark;
        object.metadata.dc["title"] = {{"Deux pages", "fr"}};
        object.metadata.license = "https://creativecommons.org/licenses/by/4.0/";
        object.images = {ark + "/f1", ark + "/f2"};
        object.created = object.updated = object.datestamp = 1700000000;
        object.state = iiif::RecordState::active;
        return object;
    }

  private:
    const integration::Nginx& nginx_;
    std::unique_ptr<iiif::CatalogWriter> writer_;
};

}  // namespace fixtures
