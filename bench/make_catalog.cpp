// bench_make_catalog: fills a catalog with generated objects for the benchmarks, through the
// same CatalogWriter iiifd uses, so every document (manifests, resolver records, collections)
// and every OAI-PMH index is made exactly as for a deposit. Nothing is rendered: the pages'
// masters are paths that do not exist, with a recorded size and pyramid, which is all a
// manifest needs (or, with --master, one real master for every page, for benchmarks that serve
// its tiles).
//
//   bench_make_catalog --catalog PATH --objects N [--pages P] [--arks-out FILE]
//                      [--base-url URL] [--naan 99999] [--shoulder d3m] [--institution NAME]
//                      [--config iiifd.toml] [--batch 1000] [--withdrawn-every K]
//                      [--start-date EPOCH] [--spread SECONDS]
//                      [--sets K] [--set-prefix bench] [--institution-sets a,b] [--theme-every M]
//                      [--access POLICY] [--master FILE]
//
// Each object gets a fresh ARK name and realistic Dublin Core: a French title, a creator, a
// date, a description, a licence and a provider. Its sets: one of K lots ("{prefix}:lot1" ...
// "{prefix}:lotK", so the collection tree has a parent and K children), with
// --institution-sets also "institution:a", "institution:b"... in turn, and with --theme-every M
// every M-th object is in "theme:maps" as well. Objects are published (state active), so OAI-PMH
// lists them; with --withdrawn-every K every K-th is then withdrawn (a deleted OAI record).
//
// The publication settings (the addresses and ARK descriptions every document is made with)
// come from --base-url, --naan, --shoulder and --institution, or from an iiifd.toml with
// --config, exactly as iiifd derives them: iiifd started later on the same catalog with the
// same configuration then finds the settings it expects and remakes nothing. --config also
// gives the catalog's path (unless --catalog is given), the NAAN, the default shoulder and the
// check character of the minted ARKs, and the access settings and rules (policies, watermarks,
// API keys, sets' policies), recorded with CatalogWriter::set_access before any object is put,
// as iiifd does at start-up; --access then gives every object that policy (its metadata
// "access", a name the configuration must define). Running it again on the same catalog adds
// objects (the settings must be the same, or every document already there is made again). The
// objects' ARKs, one a line, go to --arks-out, in deposit order.
//
// --master FILE makes every page's master that file (its absolute path), with the size and
// pyramid probed from it as iiifd records them after ingest, so the module serves real tiles.
//
// Datestamps (and created, updated) run from --start-date over --spread seconds in deposit
// order, evenly: with more objects than seconds many objects share a second, as in a bulk
// load. The default is one a second, the last a second before now. A withdrawn object's
// datestamp becomes that of the last object of its batch: withdrawn soon after its deposit,
// so deleted records are spread over the whole list like the others.
//
// Objects are written --batch at a time, each batch one transaction with one fsync
// (CatalogWriter::put_many); a withdrawal is a transaction of its own (CatalogWriter::withdraw,
// as iiifd makes it). Collections are made once at the end.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "access_config.hpp"
#include "ark.hpp"
#include "catalog.hpp"
#include "clock.hpp"
#include "daemon_config.hpp"
#include "dublin_core.hpp"
#include "iiif_error.hpp"
#include "image_source.hpp"
#include "presentation.hpp"
#include "renderer.hpp"

namespace {

struct Options {
    std::string catalog;
    long objects = 0;
    int pages = 1;
    std::string arks_out;
    std::string base_url = "http://127.0.0.1:8080";
    std::string naan = "99999";
    std::string shoulder = "d3m";
    std::string institution = "Bibliothèque d'essai";
    std::string config;
    long batch = 1000;
    long withdrawn_every = 0;
    std::optional<std::int64_t> start_date;
    std::optional<std::int64_t> spread;
    int sets = 4;
    std::string set_prefix = "bench";
    std::vector<std::string> institution_sets;
    long theme_every = 0;
    std::string access;
    std::string master;
};

// What the objects are minted and published with: from the options, or from iiifd.toml.
struct Publication {
    iiif::PublicationSettings settings;
    iiif::CheckProfile profile = iiif::CheckProfile::noid;
    std::string shoulder;
    std::string provider;
    std::string catalog;  // iiifd.toml's, when it is the source
    // iiifd.toml's access settings and rules, when it is the source.
    std::optional<std::pair<iiif::AccessSettings, iiif::AccessRules>> access;
};

Publication publication_of(const Options& options) {
    Publication publication;
    if (!options.config.empty()) {
        const iiifd::DaemonConfig config = iiifd::load_daemon_config(options.config);
        publication.catalog = config.catalog_path;
        publication.settings = iiifd::publication_settings(config);
        publication.profile = config.check_profile;
        publication.shoulder = config.default_shoulder;
        publication.provider = config.institution;
        publication.access.emplace(iiifd::access_settings(config), iiifd::access_rules(config));
        if (!options.access.empty()) {
            iiif::ObjectMetadata metadata;
            metadata.access = options.access;
            iiifd::check_access_name(publication.access->first, metadata);
        }
        return publication;
    }
    iiif::PublicationSettings& settings = publication.settings;
    settings.base_url = options.base_url;
    settings.institution = options.institution;
    settings.naan = options.naan;
    settings.shoulders = {
        {options.shoulder, "Fonds de test", "Objets générés pour les mesures", "", ""}};
    settings.ark_policy = "Les ARK attribués ne sont jamais réattribués.";
    publication.shoulder = options.shoulder;
    publication.provider = options.institution;
    return publication;
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

std::vector<std::string> sets_for(long serial, const Options& options) {
    std::vector<std::string> sets;
    if (options.sets > 0)
        sets.push_back(options.set_prefix + ":lot" + std::to_string(serial % options.sets + 1));
    if (!options.institution_sets.empty())
        sets.push_back("institution:" + options.institution_sets[static_cast<size_t>(serial) %
                                                                 options.institution_sets.size()]);
    if (options.theme_every > 0 && serial % options.theme_every == 0)
        sets.emplace_back("theme:maps");
    return sets;
}

iiif::ObjectMetadata metadata_for(long serial, const Options& options,
                                  const std::string& provider) {
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
    metadata.provider = provider;
    metadata.sets = sets_for(serial, options);
    metadata.access = options.access;
    return metadata;
}

// A fresh name that neither the catalog nor this run has used.
std::string new_ark(const iiif::CatalogWriter& writer, const Publication& publication,
                    std::unordered_set<std::string>& taken) {
    const std::string& naan = publication.settings.naan;
    for (;;) {
        std::string name = iiif::mint_ark_name(naan, publication.shoulder, publication.profile);
        if (!iiif::ark_name_is_valid(naan, name, publication.profile))
            throw iiif::IiifError(500, "minted an invalid name: " + name);
        std::string ark = "ark:/" + naan + "/" + name;
        if (taken.insert(ark).second && !writer.reader().ark_minted(ark)) return ark;
    }
}

iiif::CatalogWriter::Entry make_entry(std::string ark, long serial, std::int64_t datestamp,
                                      const Options& options, const Publication& publication,
                                      const iiif::SourceInfo& source) {
    iiif::CatalogWriter::Entry entry;
    iiif::ObjectRecord& object = entry.object;
    object.ark = std::move(ark);
    object.metadata = metadata_for(serial, options, publication.provider);
    object.created = object.updated = object.datestamp = datestamp;
    object.state = iiif::RecordState::active;
    for (int page = 1; page <= options.pages; ++page) {
        iiif::ImageRecord image;
        image.id = object.ark + "/f" + std::to_string(page);
        image.object = object.ark;
        image.index = page;
        const std::string stem =
            "/srv/iiif/bench/" + std::to_string(serial) + "/" + std::to_string(page);
        image.master_path = options.master.empty() ? stem + ".tif" : options.master;
        image.original_path = stem + ".jpg";
        image.original_name = "page-" + std::to_string(page) + ".jpg";
        image.original_sha256 = fake_sha256(0xa, serial, page);
        image.master_sha256 = fake_sha256(0xb, serial, page);
        image.original_bytes = 6'000'000;
        image.source = source;
        object.images.push_back(image.id);
        entry.images.push_back(std::move(image));
    }
    return entry;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// This process's CPU time (user and system), which other work on the machine changes much
// less than the wall time.
double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int run(const Options& options) {
    const Publication publication = publication_of(options);
    const std::string catalog = options.catalog.empty() ? publication.catalog : options.catalog;
    if (catalog.empty()) throw iiif::IiifError(500, "no catalog: give --catalog or --config");
    std::vector<std::string> specs = {options.set_prefix + ":lot1"};
    for (const std::string& name : options.institution_sets) specs.push_back("institution:" + name);
    for (const std::string& spec : specs)
        if (!iiif::is_valid_set_spec(spec)) throw iiif::IiifError(500, "not a set spec: " + spec);

    std::string error;
    auto writer = iiif::CatalogWriter::open(catalog, &error);
    if (!writer) throw iiif::IiifError(500, error);
    writer->set_publication(publication.settings);
    if (publication.access)
        writer->set_access(publication.access->first, publication.access->second);

    std::ofstream arks_out;
    if (!options.arks_out.empty()) {
        arks_out.open(options.arks_out, std::ios::trunc);
        if (!arks_out) throw iiif::IiifError(500, "cannot write " + options.arks_out);
    }

    const auto started = std::chrono::steady_clock::now();
    const std::int64_t first = writer->reader().object_count();
    const std::int64_t spread = options.spread.value_or(options.objects);
    const std::int64_t start = options.start_date.value_or(iiif::now_seconds() - spread);
    const iiif::SourceInfo source =
        options.master.empty() ? master_info() : iiif::probe_source(options.master);
    std::unordered_set<std::string> taken;
    taken.reserve(static_cast<size_t>(options.objects));
    std::vector<iiif::CatalogWriter::Entry> batch;
    std::vector<std::string> to_withdraw;
    double put_seconds = 0, withdraw_seconds = 0;
    long withdrawn = 0;
    long next_report = 100'000;
    for (long done = 0; done < options.objects;) {
        const long size = std::min(options.batch, options.objects - done);
        batch.clear();
        to_withdraw.clear();
        for (long i = done; i < done + size; ++i) {
            const long serial = first + i + 1;
            const std::int64_t datestamp = start + i * spread / options.objects;
            batch.push_back(make_entry(new_ark(*writer, publication, taken), serial, datestamp,
                                       options, publication, source));
            if (options.withdrawn_every > 0 && (i + 1) % options.withdrawn_every == 0)
                to_withdraw.push_back(batch.back().object.ark);
        }
        auto step = std::chrono::steady_clock::now();
        writer->put_many(batch);
        put_seconds += seconds_since(step);
        step = std::chrono::steady_clock::now();
        const std::int64_t when = batch.back().object.datestamp;
        for (const std::string& ark : to_withdraw)
            writer->withdraw(ark, "Retiré à la demande du déposant (essai)", when);
        withdraw_seconds += seconds_since(step);
        withdrawn += static_cast<long>(to_withdraw.size());
        if (arks_out.is_open())
            for (const auto& entry : batch) arks_out << entry.object.ark << '\n';
        done += size;
        if (done >= next_report) {
            std::cerr << "bench_make_catalog: " << done << " objects, "
                      << static_cast<long>(static_cast<double>(done) / seconds_since(started))
                      << " objects/s\n";
            next_report += 100'000;
        }
    }
    auto step = std::chrono::steady_clock::now();
    int refreshed = 0;
    while (int sets = writer->refresh_collections()) refreshed += sets;
    const double collection_seconds = seconds_since(step);
    if (arks_out.is_open()) {
        arks_out.close();
        if (!arks_out) throw iiif::IiifError(500, "writing " + options.arks_out);
    }
    const double seconds = seconds_since(started);
    std::fprintf(stderr,
                 "bench_make_catalog: %ld objects x %d pages (%ld withdrawn) in %.1f s: "
                 "%.0f objects/s (puts %.1f s, withdrawals %.1f s, %d collections %.1f s; "
                 "CPU %.1f s); %lld objects in %s\n",
                 options.objects, options.pages, withdrawn, seconds,
                 seconds > 0 ? static_cast<double>(options.objects) / seconds : 0.0, put_seconds,
                 withdraw_seconds, refreshed, collection_seconds, cpu_seconds(),
                 static_cast<long long>(writer->reader().object_count()), catalog.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App app{"Fills a catalog with generated objects for the benchmarks"};
    app.add_option("--catalog", options.catalog,
                   "catalog file (created if absent); default with --config: its catalog");
    app.add_option("--objects", options.objects, "objects to add")
        ->required()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--pages", options.pages, "pages of each object")->check(CLI::Range(1, 100000));
    app.add_option("--arks-out", options.arks_out, "write the objects' ARKs here, one a line");
    auto* config = app.add_option("--config", options.config,
                                  "take the publication settings, NAAN and shoulder from this "
                                  "iiifd.toml, as iiifd will")
                       ->check(CLI::ExistingFile);
    app.add_option("--base-url", options.base_url, "public origin of the documents' URLs")
        ->excludes(config);
    app.add_option("--naan", options.naan, "NAAN of the ARKs")->excludes(config);
    app.add_option("--shoulder", options.shoulder, "shoulder of the ARKs")->excludes(config);
    app.add_option("--institution", options.institution, "holding institution (provider)")
        ->excludes(config);
    app.add_option("--batch", options.batch, "objects per write transaction")
        ->check(CLI::Range(1L, 1'000'000L));
    app.add_option("--withdrawn-every", options.withdrawn_every,
                   "withdraw every K-th object (0: none)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--start-date", options.start_date,
                   "datestamp of the first object, unix seconds (default: now - spread)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--spread", options.spread,
                   "seconds the datestamps are spread over (default: one per object)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--sets", options.sets, "objects spread over this many lots (0: none)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--set-prefix", options.set_prefix, "parent set of the lots");
    app.add_option("--institution-sets", options.institution_sets,
                   "objects also in institution:NAME, each name in turn")
        ->delimiter(',');
    app.add_option("--theme-every", options.theme_every,
                   "every M-th object also in theme:maps (0: none)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--access", options.access,
                   "every object's access policy (its metadata \"access\"), one --config defines")
        ->needs(config);
    app.add_option("--master", options.master,
                   "every page's master: this image file, probed (default: paths that do not "
                   "exist, 4000x3000)")
        ->check(CLI::ExistingFile)
        ->transform([](std::string path) { return std::filesystem::absolute(path).string(); });
    CLI11_PARSE(app, argc, argv);

    try {
        if (!options.master.empty()) iiif::init_renderer(argv[0], 1);
        return run(options);
    } catch (const iiif::IiifError& error) {
        std::cerr << "bench_make_catalog: " << error.status << " " << error.reason << "\n";
    } catch (const std::exception& error) {
        std::cerr << "bench_make_catalog: " << error.what() << "\n";
    }
    return 1;
}
