// bench_replication_catchup: how fast a replica catches up, and what replication stores per
// object. A writer catalog gets N objects, one transaction each as deposits make them (one page,
// its manifests, resolver record and indexes), with its change log on, after an empty snapshot;
// then a replica loads that snapshot and applies every change, in batches as the follower does:
// read from the writer's log directly (LMDB alone), or, with --redis-port, first appended to a
// Redis stream as the publisher appends them and read back with XREAD as the follower reads them.
//
//   bench_replication_catchup --dir DIR --objects N [--batch 256] [--redis-port P]
//
// Prints: the changes and their bytes, the writer's file and a compacted snapshot's size per
// object, the time to append to Redis, the replica's catch-up in changes per second, and a new
// node's load of the final snapshot; exits 1 if the replica does not end equal to the writer
// (catalog_difference).
#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "catalog.hpp"
#include "catalog_replication.hpp"
#include "image_source.hpp"
#include "job_queue.hpp"
#include "replication_stream.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string ark_number(int n) {
    const std::string name = "b" + std::to_string(1000000 + n);
    return "ark:/99999/" + name + iiif::noid_check_char("99999/" + name);
}

void deposit(iiif::CatalogWriter& writer, int n) {
    iiif::ObjectRecord object;
    object.ark = ark_number(n);
    object.metadata.dc["title"] = {{"Carte de la région, feuille " + std::to_string(n), "fr"}};
    object.metadata.dc["creator"] = {{"Cassini de Thury, César-François", ""}};
    object.metadata.dc["date"] = {{"1756", ""}};
    object.metadata.dc["description"] = {
        {"Gravure sur cuivre, coloriée à la main ; une feuille de la carte générale.", "fr"}};
    object.metadata.sets = {"cartes:cassini"};
    object.created = object.updated = object.datestamp = 1700000000 + n;
    object.images = {object.ark + "/f1"};
    iiif::ImageRecord image;
    image.id = object.ark + "/f1";
    image.object = object.ark;
    image.index = 1;
    image.master_path = "/srv/iiif/99999/" + std::to_string(n) + "/masters/f1.tif";
    image.original_path = "/srv/iiif/99999/" + std::to_string(n) + "/originals/f1.jpg";
    image.original_name = "feuille-" + std::to_string(n) + ".jpg";
    image.original_sha256 = std::string(64, 'a');
    image.master_sha256 = std::string(64, 'b');
    image.source.format = iiif::SourceFormat::tiff;
    image.source.width = 8000;
    image.source.height = 6000;
    image.source.tiled = true;
    image.source.tile_width = image.source.tile_height = 256;
    image.source.levels = {{1, 8000, 6000, 0, 1}, {2, 4000, 3000, 1, 1}, {4, 2000, 1500, 2, 1},
                           {8, 1000, 750, 3, 1},  {16, 500, 375, 4, 1},  {32, 250, 188, 5, 1}};
    writer.put(object, {image});
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"a replica catching up with N deposits' changes"};
    std::string dir;
    int objects = 10000;
    size_t batch = 256;
    int redis_port = 0;
    app.add_option("--dir", dir, "an empty working directory")->required();
    app.add_option("--objects", objects, "deposits");
    app.add_option("--batch", batch, "changes per replica transaction");
    app.add_option("--redis-port", redis_port, "through a Redis stream on 127.0.0.1:P");
    CLI11_PARSE(app, argc, argv);

    fs::create_directories(dir);
    const std::string writer_path = dir + "/writer.mdb", replica_path = dir + "/replica.mdb";
    std::string error;
    auto writer = iiif::CatalogWriter::open(writer_path, &error);
    if (!writer) {
        std::cerr << error << "\n";
        return 1;
    }
    iiif::PublicationSettings settings;
    settings.base_url = "https://images.example.org";
    settings.naan = "99999";
    settings.institution = "Bibliothèque d'exemple";
    writer->set_publication(settings);
    writer->start_change_log();
    const iiif::ReplicationPosition base = writer->write_snapshot(dir + "/base.mdb");

    auto began = Clock::now();
    for (int n = 1; n <= objects; ++n) deposit(*writer, n);
    writer->refresh_collections();
    const double writing = seconds_since(began);
    const iiif::ReplicationPosition end = writer->replication_position();
    const std::vector<iiif::CatalogChange> all =
        writer->changes_after(base.seq, static_cast<size_t>(end.seq), SIZE_MAX);
    size_t bytes = 0;
    for (const auto& change : all) bytes += change.operations.size();
    writer->write_snapshot(dir + "/snapshot.mdb");
    std::cout << "objects: " << objects << "\nchanges: " << all.size()
              << "\nchange bytes: " << bytes << " (" << bytes / all.size() << " per change, "
              << bytes / static_cast<size_t>(objects) << " per object)\n"
              << "writer commits: " << static_cast<double>(all.size()) / writing << " changes/s\n"
              << "writer file: " << fs::file_size(writer_path) << " bytes ("
              << fs::file_size(writer_path) / static_cast<size_t>(objects) << " per object)\n"
              << "compacted snapshot: " << fs::file_size(dir + "/snapshot.mdb") << " bytes ("
              << fs::file_size(dir + "/snapshot.mdb") / static_cast<size_t>(objects)
              << " per object)\n";

    std::optional<iiifd::Redis> redis;
    const std::string stream = "bench:catalog";
    if (redis_port > 0) {
        redis.emplace("127.0.0.1", redis_port);
        redis->command({"DEL", stream});
        began = Clock::now();
        std::int64_t tail = 0;
        for (size_t at = 0; at < all.size(); at += 256) {
            const std::vector<iiif::CatalogChange> part(
                all.begin() + static_cast<long>(at),
                all.begin() + static_cast<long>(std::min(all.size(), at + 256)));
            if (iiifd::append_changes(*redis, stream, end.epoch, tail, part)) {
                std::cerr << "the stream did not end where expected\n";
                return 1;
            }
            tail = part.back().seq;
        }
        std::cout << "appended to Redis: " << static_cast<double>(all.size()) / seconds_since(began)
                  << " changes/s\nRedis memory: "
                  << redis->command({"MEMORY", "USAGE", stream, "SAMPLES", "0"}).integer
                  << " bytes for the stream\n";
    }

    auto replica = iiif::CatalogReplica::open(replica_path, &error);
    if (!replica) {
        std::cerr << error << "\n";
        return 1;
    }
    replica->load_snapshot(dir + "/base.mdb");
    began = Clock::now();
    for (;;) {
        const std::int64_t at = replica->position().seq;
        if (at == end.seq) break;
        std::vector<iiif::CatalogChange> changes;
        if (redis) {
            for (iiifd::StreamChange& read :
                 iiifd::read_changes(*redis, stream, at, static_cast<int>(batch), 1000))
                changes.push_back({read.seq, read.committed_ms, std::move(read.change)});
        } else {
            changes = writer->changes_after(at, batch, SIZE_MAX);
        }
        replica->apply(changes);
    }
    const double catching_up = seconds_since(began);
    std::cout << "replica catch-up" << (redis ? " (from Redis)" : " (from the log)") << ": "
              << static_cast<double>(all.size()) / catching_up << " changes/s, " << objects / catching_up
              << " objects/s\n";
    // A new node: the whole catalog from a snapshot, in one transaction.
    auto fresh = iiif::CatalogReplica::open(dir + "/fresh.mdb", &error);
    if (!fresh) {
        std::cerr << error << "\n";
        return 1;
    }
    began = Clock::now();
    fresh->load_snapshot(dir + "/snapshot.mdb");
    const double loading = seconds_since(began);
    std::cout << "snapshot loaded by a new node: " << objects / loading << " objects/s, "
              << static_cast<double>(fs::file_size(dir + "/snapshot.mdb")) / loading / 1e6
              << " MB/s\n";
    writer.reset();
    replica.reset();
    fresh.reset();
    const std::optional<std::string> difference =
        iiif::catalog_difference(writer_path, replica_path);
    std::cout << "replica equals writer: " << (difference ? *difference : "yes") << "\n";
    return difference ? 1 : 0;
}
