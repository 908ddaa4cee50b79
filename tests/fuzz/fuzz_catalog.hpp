// A small catalog for the fuzzers that read one (oai, ark): made once per process in a
// directory of its own under /tmp, removed at exit. Twelve objects of one page each, titled
// with characters XML and HTML must escape, in nested sets ("cartes", "cartes:france",
// "photos"), made an hour apart in threes; object 5 withdrawn.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "catalog.hpp"
#include "presentation.hpp"

namespace fuzz_catalog {

constexpr std::int64_t kMarch = 1773100800;  // 2026-03-10T00:00:00Z, the first datestamp
constexpr int kObjects = 12;
constexpr int kWithdrawn = 5;

// "ark:/99999/fk4-1000000{n % 10}-{n / 10}".
inline std::string ark(int n) {
    return "ark:/99999/fk4-1000000" + std::to_string(n % 10) + "-" + std::to_string(n / 10);
}

inline iiif::PublicationSettings settings() {
    iiif::PublicationSettings settings;
    settings.base_url = "http://127.0.0.1:8080";
    settings.oai_repository_identifier = "images.example.org";
    settings.institution = "Bibliothèque d'essai";
    settings.naan = "99999";
    settings.shoulders = {{"fk4", "Tests", "", "", "https://example.org/fk4"}};
    settings.ark_policy = "Kept for ever.";
    settings.global_resolver = "https://n2t.net/";
    return settings;
}

struct Catalog {
    std::filesystem::path dir;
    std::unique_ptr<iiif::CatalogWriter> writer;
    ~Catalog() {
        writer.reset();
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
};

inline void fill(Catalog& catalog) {
    char dir[] = "/tmp/iiif_fuzz_catalog.XXXXXX";
    if (!mkdtemp(dir)) std::abort();
    catalog.dir = dir;
    std::string error;
    catalog.writer = iiif::CatalogWriter::open((catalog.dir / "catalog.mdb").string(), &error);
    if (!catalog.writer) std::abort();
    catalog.writer->set_publication(settings());
    catalog.writer->define_sets({{"cartes", "Cartes", "Cartes & plans"},
                                 {"cartes:france", "France", ""},
                                 {"photos", "Photographies", ""}});
    const std::vector<std::vector<std::string>> sets = {
        {}, {"cartes"}, {"cartes:france"}, {"photos"}, {"cartes:france", "photos"}};
    for (int n = 1; n <= kObjects; ++n) {
        iiif::ObjectRecord object;
        object.ark = ark(n);
        object.metadata.dc["title"] = {{"Objet <" + std::to_string(n) + "> & \"fils\"", "fr"}};
        object.metadata.dc["creator"] = {{"Atelier Nadar", ""}};
        object.metadata.dc["date"] = {{"1871", ""}};
        object.metadata.sets = sets[n % sets.size()];
        object.metadata.license = "https://creativecommons.org/licenses/by/4.0/";
        object.images = {object.ark + "/f1"};
        object.created = object.updated = object.datestamp = kMarch + 3600 * (n / 3) + n % 3;
        object.state = iiif::RecordState::active;
        iiif::ImageRecord page;
        page.id = object.images.front();
        page.object = object.ark;
        page.index = 1;
        page.master_path = "/srv/masters/1.tif";
        page.source.format = iiif::SourceFormat::tiff;
        page.source.width = 2000;
        page.source.height = 1000;
        page.source.levels = {{1, 2000, 1000, 0, 1}};
        catalog.writer->put(object, {page});
    }
    catalog.writer->withdraw(ark(kWithdrawn), "withdrawn by request", kMarch + 86400);
    catalog.writer->refresh_collections();
}

// The process's catalog, made on first use.
inline const iiif::CatalogWriter& writer() {
    static Catalog catalog;
    if (!catalog.writer) fill(catalog);
    return *catalog.writer;
}

}  // namespace fuzz_catalog
