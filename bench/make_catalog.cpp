// bench_make_catalog: fills a catalog with generated objects for the benchmarks, through the
// same CatalogWriter iiifd uses, so every document (manifests, resolver records, collections)
// is made exactly as for a deposit. Nothing is rendered: the pages' masters are paths that do
// not exist, with a recorded size and pyramid, which is all a manifest needs.
//
//   bench_make_catalog --catalog PATH --objects N --pages P [--arks-out FILE] [--sets K]
//                      [--base-url URL] [--naan 99999] [--shoulder d3m] [--institution NAME]
//
// Each object gets a fresh ARK name (mint_ark_name, NOID check character) and realistic Dublin
// Core: a French title, a creator, a date, a description, a licence, a provider and one of K
// sets ("bench:lot1" ... "bench:lotK", so the collection tree has a parent and K children).
// Running it again on the same catalog adds objects (the publication settings must be the
// same, or every document already there is made again). The objects' ARKs, one a line, go to
// --arks-out, in deposit order.
//
// One write transaction per object, as iiifd's put() makes it, each with its fsync: about 150
// objects a second on the benchmark machine, fine for the thousands issue 5's benchmarks need;
// a million records (issue 6) will want a writer that puts many objects per transaction.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>
#include <unordered_set>
#include <vector>

#include "ark.hpp"
#include "catalog.hpp"
#include "iiif_error.hpp"
#include "presentation.hpp"

namespace {

struct Options {
    std::string catalog;
    long objects = 0;
    int pages = 1;
    int sets = 4;
    std::string arks_out;
    std::string base_url = "http://127.0.0.1:8080";
    std::string naan = "99999";
    std::string shoulder = "d3m";
    std::string institution = "Bibliothèque d'essai";
};

iiif::PublicationSettings settings_of(const Options& options) {
    iiif::PublicationSettings settings;
    settings.base_url = options.base_url;
    settings.institution = options.institution;
    settings.naan = options.naan;
    settings.shoulders = {
        {options.shoulder, "Fonds de test", "Objets générés pour les mesures", "", ""}};
    settings.ark_policy = "Les ARK attribués ne sont jamais réattribués.";
    return settings;
}

// A master of 4000x3000 written as a libvips pyramid (tiles of 256, levels halved down to
// fit one tile), as iiifd records it after ingest.
iiif::SourceInfo master_info() {
    iiif::SourceInfo source;
    source.format = iiif::SourceFormat::tiff;
    source.width = 4000;
    source.height = 3000;
    source.tiled = true;
    source.tile_width = source.tile_height = 256;
    for (int factor = 1, w = 4000, h = 3000;; factor *= 2, w = (w + 1) / 2, h = (h + 1) / 2) {
        source.levels.push_back({factor, w, h, static_cast<int>(source.levels.size()), 1});
        if (w <= 256 && h <= 256) break;
    }
    return source;
}

// 64 hex digits, distinct for each (kind, object, page): the idempotency index keys on them.
std::string fake_sha256(unsigned kind, long object, int page) {
    char text[65];
    std::snprintf(text, sizeof text, "%x%031lx%032x", kind & 15u,
                  static_cast<unsigned long>(object), static_cast<unsigned>(page));
    return text;
}

iiif::ObjectMetadata metadata_for(long serial, const Options& options) {
    static const char* const kKinds[] = {"Registre paroissial", "Carte de Cassini",
                                         "Livre d'heures", "Cartulaire", "Herbier"};
    static const char* const kPlaces[] = {"Saint-Étienne", "Lyon",    "Grenoble",
                                          "Annecy",        "Valence", "Chambéry"};
    static const char* const kCreators[] = {"Dupont, Jeanne (1702-1771)", "Martin, Pierre",
                                            "Atelier de Cassini", "Anonyme"};
    const int year = 1600 + static_cast<int>(serial % 300);
    const std::string place = kPlaces[serial % 6];
    const std::string title = std::string(kKinds[serial % 5]) + " de " + place + ", " +
                              std::to_string(year) + " (n° " + std::to_string(serial) + ")";
    iiif::ObjectMetadata metadata;
    metadata.dc["title"] = {{title, "fr"}};
    metadata.dc["creator"] = {{kCreators[serial % 4], ""}};
    metadata.dc["date"] = {{std::to_string(year), ""}};
    const std::string description = "Document numérisé en couleur d'après l'original conservé à " +
                                    place + "; reliure d'époque, taches d'humidité en marge.";
    metadata.dc["description"] = {{description, "fr"}};
    metadata.dc["subject"] = {{"Histoire locale", "fr"}, {place, "fr"}};
    metadata.dc["type"] = {{"Image", ""}};
    metadata.dc["language"] = {{"fre", ""}};
    metadata.license = "https://creativecommons.org/licenses/by/4.0/";
    metadata.provider = options.institution;
    if (options.sets > 0) metadata.sets = {"bench:lot" + std::to_string(serial % options.sets + 1)};
    return metadata;
}

// A fresh name that neither the catalog nor this run has used.
std::string new_ark(const iiif::CatalogWriter& writer, const Options& options,
                    std::unordered_set<std::string>& taken) {
    for (;;) {
        std::string name =
            iiif::mint_ark_name(options.naan, options.shoulder, iiif::CheckProfile::noid);
        if (!iiif::ark_name_is_valid(options.naan, name, iiif::CheckProfile::noid))
            throw iiif::IiifError(500, "minted an invalid name: " + name);
        std::string ark = "ark:/" + options.naan + "/" + name;
        if (taken.insert(ark).second && !writer.reader().ark_minted(ark)) return ark;
    }
}

int run(const Options& options) {
    std::string error;
    auto writer = iiif::CatalogWriter::open(options.catalog, &error);
    if (!writer) throw iiif::IiifError(500, error);
    writer->set_publication(settings_of(options));

    std::ofstream arks_out;
    if (!options.arks_out.empty()) {
        arks_out.open(options.arks_out, std::ios::trunc);
        if (!arks_out) throw iiif::IiifError(500, "cannot write " + options.arks_out);
    }

    const auto started = std::chrono::steady_clock::now();
    const std::int64_t first = writer->reader().object_count();
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    const iiif::SourceInfo source = master_info();
    std::unordered_set<std::string> taken;
    for (long i = 0; i < options.objects; ++i) {
        const long serial = first + i + 1;
        iiif::ObjectRecord object;
        object.ark = new_ark(*writer, options, taken);
        object.metadata = metadata_for(serial, options);
        object.created = object.updated = object.datestamp = now - options.objects + i;
        object.state = iiif::RecordState::active;
        std::vector<iiif::ImageRecord> images;
        for (int page = 1; page <= options.pages; ++page) {
            iiif::ImageRecord image;
            image.id = object.ark + "/f" + std::to_string(page);
            image.object = object.ark;
            image.index = page;
            const std::string stem =
                "/srv/iiif/bench/" + std::to_string(serial) + "/" + std::to_string(page);
            image.master_path = stem + ".tif";
            image.original_path = stem + ".jpg";
            image.original_name = "page-" + std::to_string(page) + ".jpg";
            image.original_sha256 = fake_sha256(0xa, serial, page);
            image.master_sha256 = fake_sha256(0xb, serial, page);
            image.original_bytes = 6'000'000;
            image.source = source;
            object.images.push_back(image.id);
            images.push_back(std::move(image));
        }
        writer->put(object, images);
        if (arks_out.is_open()) arks_out << object.ark << '\n';
    }
    int refreshed = 0;
    while (int sets = writer->refresh_collections()) refreshed += sets;
    if (arks_out.is_open()) {
        arks_out.close();
        if (!arks_out) throw iiif::IiifError(500, "writing " + options.arks_out);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cerr << "bench_make_catalog: " << options.objects << " objects x " << options.pages
              << " pages in " << seconds << " s (" << refreshed << " collections made); "
              << writer->reader().object_count() << " objects in " << options.catalog << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App app{"Fills a catalog with generated objects for the benchmarks"};
    app.add_option("--catalog", options.catalog, "catalog file (created if absent)")->required();
    app.add_option("--objects", options.objects, "objects to add")
        ->required()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--pages", options.pages, "pages of each object")->check(CLI::Range(1, 100000));
    app.add_option("--sets", options.sets, "objects spread over this many sets (0: none)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--arks-out", options.arks_out, "write the objects' ARKs here, one a line");
    app.add_option("--base-url", options.base_url, "public origin of the documents' URLs");
    app.add_option("--naan", options.naan, "NAAN of the ARKs");
    app.add_option("--shoulder", options.shoulder, "shoulder of the ARKs");
    app.add_option("--institution", options.institution, "holding institution (provider)");
    CLI11_PARSE(app, argc, argv);

    try {
        return run(options);
    } catch (const iiif::IiifError& error) {
        std::cerr << "bench_make_catalog: " << error.status << " " << error.reason << "\n";
    } catch (const std::exception& error) {
        std::cerr << "bench_make_catalog: " << error.what() << "\n";
    }
    return 1;
}
