// The catalog's change log and its replicas (catalog_replication.hpp): the writer numbers and
// keeps each committed change once its log is on; a replica loads a snapshot, then applies the
// changes in order, and then holds record for record what the writer holds; a change that does
// not follow is refused whole.
#include <catch2/catch.hpp>
#include <filesystem>

#include "catalog.hpp"
#include "catalog_fixtures.hpp"
#include "catalog_replication.hpp"
#include "iiif_error.hpp"
#include "image_source.hpp"

using namespace iiif;
using catalog_fixtures::open_writer;

namespace {

std::string catalog_path(const std::string& name) {
    return catalog_fixtures::catalog_path("replication-", name);
}

std::string replica_path(const std::string& writer_path) {
    return (std::filesystem::path(writer_path).parent_path() / "replica.mdb").string();
}

std::string ark_number(int n) {
    const std::string name = "r" + std::to_string(100000 + n);
    return "ark:/12345/" + name + noid_check_char("12345/" + name);
}

ObjectRecord object_number(int n, const std::string& title) {
    ObjectRecord object;
    object.ark = ark_number(n);
    object.metadata.dc["title"] = {{title, "fr"}};
    object.metadata.sets = {"maps"};
    object.created = object.updated = object.datestamp = 1700000000 + n;
    object.images = {object.ark + "/f1"};
    return object;
}

ImageRecord page_of(const ObjectRecord& object) {
    ImageRecord image;
    image.id = object.ark + "/f1";
    image.object = object.ark;
    image.index = 1;
    image.master_path = "masters/" + std::to_string(object.created) + ".tif";
    image.source.format = SourceFormat::tiff;
    image.source.width = 2000;
    image.source.height = 1500;
    image.source.tiled = true;
    image.source.tile_width = image.source.tile_height = 256;
    image.source.levels = {{1, 2000, 1500, 0, 1}, {2, 1000, 750, 1, 1}};
    return image;
}

void put_object(CatalogWriter& writer, int n, const std::string& title) {
    const ObjectRecord object = object_number(n, title);
    writer.put(object, {page_of(object)});
}

std::unique_ptr<CatalogReplica> open_replica(const std::string& path) {
    std::string error;
    std::unique_ptr<CatalogReplica> replica = CatalogReplica::open(path, &error);
    INFO(error);
    REQUIRE(replica);
    return replica;
}

}  // namespace

TEST_CASE("A catalog whose change log is off keeps no change") {
    const std::string path = catalog_path("off");
    auto writer = open_writer(path);
    put_object(*writer, 1, "Carte");
    CHECK(writer->replication_position() == ReplicationPosition{"", 0});
    CHECK(writer->changes_after(0, 100, 1 << 20).empty());
    CHECK(writer->oldest_logged_change() == 0);
}

TEST_CASE("Each commit that changes something is one numbered change of the log") {
    const std::string path = catalog_path("numbered");
    auto writer = open_writer(path);
    std::vector<std::int64_t> announced;
    writer->on_change_committed([&](std::int64_t seq) { announced.push_back(seq); });
    const ReplicationPosition started = writer->start_change_log();
    CHECK(started.epoch.size() == 16);
    CHECK(started.seq == 0);
    CHECK(writer->start_change_log() == started);  // on already: the same epoch

    put_object(*writer, 1, "Carte");
    writer->withdraw(ark_number(1), "request", 1700000100);
    writer->set_shoulders({});  // the same as before or not: a commit only if it changes meta
    const ReplicationPosition now = writer->replication_position();
    CHECK(now.epoch == started.epoch);
    CHECK(now.seq == static_cast<std::int64_t>(announced.size()));
    REQUIRE(announced.size() >= 2);
    CHECK(announced.front() == 1);
    CHECK(announced[1] == 2);

    const std::vector<CatalogChange> changes = writer->changes_after(0, 100, 1 << 20);
    REQUIRE(changes.size() == announced.size());
    CHECK(changes.front().seq == 1);
    CHECK(changes.back().seq == now.seq);
    CHECK(changes.front().committed_ms > 1700000000000);
    CHECK(writer->changes_after(1, 100, 1 << 20).front().seq == 2);
    // At most `most`, and past the first, no more than `most_bytes`.
    CHECK(writer->changes_after(0, 1, 1 << 20).size() == 1);
    CHECK(writer->changes_after(0, 100, 1).size() == 1);

    writer->forget_changes_through(1);
    CHECK(writer->oldest_logged_change() == 2);
    CHECK(writer->changes_after(0, 100, 1 << 20).front().seq == 2);
}

TEST_CASE("A replica loaded from a snapshot and fed the changes holds what the writer holds") {
    const std::string path = catalog_path("follow");
    auto writer = open_writer(path);
    writer->start_change_log();
    put_object(*writer, 1, "Carte de Cassini");
    put_object(*writer, 2, "Plan de Paris");
    const std::string snapshot = path + ".snapshot";
    const ReplicationPosition taken = writer->write_snapshot(snapshot);
    CHECK(taken == writer->replication_position());
    CHECK(snapshot_position(snapshot) == taken);

    // After the snapshot: a new object, a withdrawal, the registry, the sets, a change of title.
    put_object(*writer, 3, "Atlas");
    writer->withdraw(ark_number(2), "at the owner's request", 1700000500);
    writer->edit_registry([](RegistryEdit& edit) { edit.put("institution bm", "{}"); });
    writer->define_sets({{"maps", "Cartes", ""}});
    put_object(*writer, 1, "Carte de Cassini, feuille 1");
    writer->refresh_collections();

    const std::string local = replica_path(path);
    auto replica = open_replica(local);
    CHECK(replica->position() == ReplicationPosition{"", 0});
    CHECK(replica->load_snapshot(snapshot) == taken);
    CHECK(catalog_difference(snapshot, local) == std::nullopt);
    CHECK(catalog_difference(path, local).has_value());

    replica->apply(writer->changes_after(taken.seq, 1000, 64 << 20));
    CHECK(replica->position() == writer->replication_position());
    CHECK(catalog_difference(path, local) == std::nullopt);

    // nginx reads it as it reads the writer's.
    std::string error;
    auto reader = CatalogReader::open(local, &error);
    REQUIRE(reader);
    CHECK(reader->object(ark_number(2))->state == RecordState::withdrawn);
    CHECK(reader->object(ark_number(1))->metadata.dc.at("title").front().value ==
          "Carte de Cassini, feuille 1");
}

TEST_CASE("A change that does not follow the replica's position is refused whole") {
    const std::string path = catalog_path("gap");
    auto writer = open_writer(path);
    writer->start_change_log();
    const std::string snapshot = path + ".snapshot";
    const ReplicationPosition taken = writer->write_snapshot(snapshot);
    put_object(*writer, 1, "Un");
    put_object(*writer, 2, "Deux");
    put_object(*writer, 3, "Trois");
    const std::vector<CatalogChange> changes = writer->changes_after(0, 100, 64 << 20);
    REQUIRE(changes.size() == 3);

    auto replica = open_replica(replica_path(path));
    replica->load_snapshot(snapshot);
    // 1 then 3: nothing of the lot is applied.
    CHECK_THROWS_AS(replica->apply({changes[0], changes[2]}), ReplicationGap);
    CHECK(replica->position() == taken);
    replica->apply({changes[0]});
    // Applied already: never twice.
    CHECK_THROWS_AS(replica->apply({changes[0]}), ReplicationGap);
    replica->apply({changes[1], changes[2]});
    CHECK(replica->position().seq == 3);
    CHECK(catalog_difference(path, replica_path(path)) == std::nullopt);
}

TEST_CASE("Emptying the catalog for a rebuild is a logged change and keeps the log's place") {
    const std::string path = catalog_path("clear");
    auto writer = open_writer(path);
    writer->start_change_log();
    put_object(*writer, 1, "Un");
    const std::string snapshot = path + ".snapshot";
    const ReplicationPosition taken = writer->write_snapshot(snapshot);
    writer->clear();
    put_object(*writer, 2, "Deux");
    CHECK(writer->replication_position().epoch == taken.epoch);
    CHECK(writer->replication_position().seq == taken.seq + 2);

    auto replica = open_replica(replica_path(path));
    replica->load_snapshot(snapshot);
    replica->apply(writer->changes_after(taken.seq, 100, 64 << 20));
    CHECK(catalog_difference(path, replica_path(path)) == std::nullopt);
}

TEST_CASE("A new epoch numbers changes from 1 again and empties the log") {
    const std::string path = catalog_path("epoch");
    auto writer = open_writer(path);
    const ReplicationPosition first = writer->start_change_log();
    put_object(*writer, 1, "Un");
    const ReplicationPosition second = writer->start_change_log(true);
    CHECK(second.epoch != first.epoch);
    CHECK(second.seq == 0);
    CHECK(writer->oldest_logged_change() == 0);
    put_object(*writer, 2, "Deux");
    CHECK(writer->replication_position() == ReplicationPosition{second.epoch, 1});
}

TEST_CASE("Comparing catalogs names the first record that differs") {
    const std::string path = catalog_path("compare");
    auto writer = open_writer(path);
    writer->start_change_log();
    const std::string snapshot = path + ".snapshot";
    writer->write_snapshot(snapshot);
    writer->edit_registry([](RegistryEdit& edit) { edit.put("institution bm", "{}"); });
    CHECK(catalog_difference(path, snapshot) ==
          std::optional<std::string>("meta: key replication_seq: values differ"));
    CHECK_THROWS_AS(catalog_difference(path, path + ".missing"), IiifError);
}

TEST_CASE("A change log stopped keeps nothing more and forgets its place") {
    const std::string path = catalog_path("stopped");
    auto writer = open_writer(path);
    CHECK_FALSE(writer->stop_change_log());
    writer->start_change_log();
    put_object(*writer, 1, "Un");
    CHECK(writer->stop_change_log());
    CHECK(writer->replication_position() == ReplicationPosition{"", 0});
    CHECK(writer->oldest_logged_change() == 0);
    put_object(*writer, 2, "Deux");
    CHECK(writer->changes_after(0, 100, 1 << 20).empty());
}

TEST_CASE("A rewrite of the whole catalog is not logged change by change: a new epoch follows") {
    const std::string path = catalog_path("rewrite");
    auto writer = open_writer(path);
    const ReplicationPosition first = writer->start_change_log();
    put_object(*writer, 1, "Un");
    put_object(*writer, 2, "Deux");
    PublicationSettings settings;
    settings.base_url = "https://images.example.org";
    settings.naan = "12345";
    writer->set_publication(settings);  // every document made again
    const ReplicationPosition after = writer->replication_position();
    CHECK(after.epoch != first.epoch);
    CHECK(after.seq == 0);
    CHECK(writer->oldest_logged_change() == 0);
    // Then changes are logged again, in the new epoch.
    put_object(*writer, 3, "Trois");
    CHECK(writer->replication_position() == ReplicationPosition{after.epoch, 1});
    // A log that is off stays off.
    CHECK(writer->stop_change_log());
    settings.base_url = "https://iiif.example.org";
    writer->set_publication(settings);
    CHECK(writer->replication_position() == ReplicationPosition{"", 0});
}
