// The search by title and the list of recent objects (the list page): title words
// (title_words.hpp), the catalog's `words` index kept with every change of an object, and its
// filling when a catalog of an older schema is opened.
#include <lmdb.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "catalog.hpp"
#include "catalog_fixtures.hpp"
#include "title_words.hpp"

using namespace iiif;

namespace {

std::string catalog_path(const std::string& name) {
    return catalog_fixtures::catalog_path("titles-", name);
}

// "ark:/99999/t{n}-title-x": distinct, valid ARKs.
std::string ark_of(int n) {
    return "ark:/99999/t" + std::to_string(n) + "-aaaaaaaa-x";
}

ObjectRecord titled(int n, std::vector<LangValue> titles, std::int64_t datestamp,
                    std::vector<std::string> sets = {}) {
    ObjectRecord object;
    object.ark = ark_of(n);
    if (!titles.empty()) object.metadata.dc["title"] = std::move(titles);
    object.metadata.sets = std::move(sets);
    object.images = {object.ark + "/f1"};
    object.created = object.updated = object.datestamp = datestamp;
    object.state = RecordState::active;
    return object;
}

void put(CatalogWriter& writer, const ObjectRecord& object) {
    ImageRecord image;
    image.id = object.ark + "/f1";
    image.object = object.ark;
    image.index = 1;
    image.master_path = "/srv/masters/f1.tif";
    image.source.format = SourceFormat::tiff;
    image.source.width = 200;
    image.source.height = 100;
    image.source.levels = {{1, 200, 100, 0, 1}};
    writer.put(object, {image});
}

std::vector<std::string> arks(const std::vector<ObjectRecord>& records) {
    std::vector<std::string> out;
    for (const ObjectRecord& record : records) out.push_back(record.ark);
    return out;
}

}  // namespace

TEST_CASE("titles: words drop accents and case and split at punctuation", "[titles]") {
    CHECK(title_words("Carte de l'Île-de-France") ==
          std::vector<std::string>{"carte", "de", "l", "ile", "france"});
    CHECK(title_words("ÉTUDE  n°3, 1789") == std::vector<std::string>{"etude", "n", "3", "1789"});
    CHECK(title_words("Straße ﬁn") == std::vector<std::string>{"strasse", "fin"});
    CHECK(title_words("東京の地図") == std::vector<std::string>{"東京の地図"});
    CHECK(title_words("").empty());
    CHECK(title_words(" -- ").empty());
    CHECK(title_words(std::string("caf\xc3", 4)).empty());  // not UTF-8
    CHECK(title_words(std::string(100, 'a')) == std::vector<std::string>{std::string(64, 'a')});
}

TEST_CASE("titles: a query matches when each of its words begins a title word", "[titles]") {
    const std::vector<std::string> words = title_words("Carte de France");
    CHECK(title_matches(title_words("carte fran"), words));
    CHECK(title_matches(title_words("FRANCE"), words));
    CHECK_FALSE(title_matches(title_words("carte paris"), words));
    CHECK_FALSE(title_matches(title_words("arte"), words));  // a word's beginning only
}

TEST_CASE("titles: the search finds objects by any word's beginning, accents and case aside",
          "[titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("search"));
    put(*writer, titled(1, {{"Carte de l'Île-de-France", "fr"}}, 1000));
    put(*writer, titled(2, {{"Plan de Paris", "fr"}, {"Map of Paris", "en"}}, 2000));
    put(*writer, titled(3, {{"Carte de Flandre", "fr"}}, 3000));
    put(*writer, titled(4, {}, 4000));
    const CatalogReader& reader = writer->reader();
    CHECK(arks(reader.search_titles("ile", 10)) == std::vector<std::string>{ark_of(1)});
    CHECK(arks(reader.search_titles("ÎLE", 10)) == std::vector<std::string>{ark_of(1)});
    CHECK(arks(reader.search_titles("carte fran", 10)) == std::vector<std::string>{ark_of(1)});
    // The most recent first; every language of the title counts.
    CHECK(arks(reader.search_titles("carte", 10)) ==
          std::vector<std::string>{ark_of(3), ark_of(1)});
    CHECK(arks(reader.search_titles("map", 10)) == std::vector<std::string>{ark_of(2)});
    CHECK(arks(reader.search_titles("carte", 1)) == std::vector<std::string>{ark_of(3)});
    CHECK(reader.search_titles("paris carte", 10).empty());
    CHECK(reader.search_titles("lyon", 10).empty());
    CHECK(reader.search_titles("  ", 10).empty());
}

TEST_CASE("titles: a changed title leaves the index with its old words", "[titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("change"));
    put(*writer, titled(1, {{"Carte de Cassini", "fr"}}, 1000));
    put(*writer, titled(1, {{"Atlas de Trudaine", "fr"}}, 2000));
    CHECK(writer->reader().search_titles("cassini", 10).empty());
    CHECK(arks(writer->reader().search_titles("trudaine", 10)) ==
          std::vector<std::string>{ark_of(1)});
    // put_many keeps it the same way.
    writer->put_many({{titled(2, {{"Vue de Lille", "fr"}}, 3000), {}}});
    CHECK(arks(writer->reader().search_titles("lille", 10)) == std::vector<std::string>{ark_of(2)});
}

TEST_CASE("titles: pending and withdrawn objects are neither found nor listed", "[titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("states"));
    ObjectRecord pending = titled(1, {{"Carte en attente", "fr"}}, 1000);
    pending.state = RecordState::pending;
    put(*writer, pending);
    put(*writer, titled(2, {{"Carte retirée", "fr"}}, 2000));
    put(*writer, titled(3, {{"Carte publiée", "fr"}}, 3000));
    writer->withdraw(ark_of(2), "at the owner's request", 4000);
    CHECK(arks(writer->reader().search_titles("carte", 10)) == std::vector<std::string>{ark_of(3)});
    CHECK(arks(writer->reader().recent_objects({}, 10)) == std::vector<std::string>{ark_of(3)});
    writer->reinstate(ark_of(2), 5000);
    CHECK(arks(writer->reader().search_titles("carte", 10)) ==
          std::vector<std::string>{ark_of(2), ark_of(3)});
}

TEST_CASE("titles: recent objects come newest first, a page at a time, by set too", "[titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("recent"));
    for (int n = 1; n <= 5; ++n)
        put(*writer, titled(n, {{"Objet " + std::to_string(n), "fr"}}, 1000 * n,
                            n % 2 == 0 ? std::vector<std::string>{"maps:north"}
                                       : std::vector<std::string>{}));
    const CatalogReader& reader = writer->reader();
    std::vector<ObjectRecord> first = reader.recent_objects({}, 2);
    CHECK(arks(first) == std::vector<std::string>{ark_of(5), ark_of(4)});
    std::vector<ObjectRecord> second =
        reader.recent_objects(CatalogReader::position_of(first.back()), 2);
    CHECK(arks(second) == std::vector<std::string>{ark_of(3), ark_of(2)});
    std::vector<ObjectRecord> last =
        reader.recent_objects(CatalogReader::position_of(second.back()), 2);
    CHECK(arks(last) == std::vector<std::string>{ark_of(1)});
    // A set holds its subsets' objects.
    CHECK(arks(reader.recent_objects({}, 10, "maps")) ==
          std::vector<std::string>{ark_of(4), ark_of(2)});
    CHECK(arks(reader.recent_objects({}, 10, "maps:north")) ==
          std::vector<std::string>{ark_of(4), ark_of(2)});
    CHECK(reader.recent_objects({}, 10, "plans").empty());
}

TEST_CASE("titles: a catalog of schema 3 gets its title index when iiifd opens it", "[titles]") {
    const std::string path = catalog_path("schema3");
    {
        auto writer = catalog_fixtures::open_writer(path);
        put(*writer, titled(1, {{"Carte de Cassini", "fr"}}, 1000));
        put(*writer, titled(2, {{"Atlas de Trudaine", "fr"}}, 2000));
    }
    {
        // What an iiifd of schema 3 left: no words at all.
        MDB_env* env = nullptr;
        REQUIRE(mdb_env_create(&env) == 0);
        mdb_env_set_maxdbs(env, 16);
        REQUIRE(mdb_env_open(env, path.c_str(), MDB_NOSUBDIR, 0664) == 0);
        MDB_txn* txn = nullptr;
        REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
        MDB_dbi words, meta;
        REQUIRE(mdb_dbi_open(txn, "words", 0, &words) == 0);
        REQUIRE(mdb_drop(txn, words, 1) == 0);
        REQUIRE(mdb_dbi_open(txn, "meta", 0, &meta) == 0);
        std::string key = "schema", value = "3";
        MDB_val k{key.size(), key.data()}, v{value.size(), value.data()};
        REQUIRE(mdb_put(txn, meta, &k, &v, 0) == 0);
        REQUIRE(mdb_txn_commit(txn) == 0);
        mdb_env_close(env);
    }
    {
        // nginx's workers may read it before iiifd upgrades it: no search, no failure.
        std::string error;
        auto reader = CatalogReader::open(path, &error);
        INFO(error);
        REQUIRE(reader);
        CHECK(reader->search_titles("cassini", 10).empty());
        CHECK(arks(reader->recent_objects({}, 10)) ==
              std::vector<std::string>{ark_of(2), ark_of(1)});
    }
    auto writer = catalog_fixtures::open_writer(path);
    CHECK(*writer->reader().meta("schema") == "4");
    CHECK(arks(writer->reader().search_titles("cassini", 10)) ==
          std::vector<std::string>{ark_of(1)});
    CHECK(arks(writer->reader().search_titles("atlas", 10)) == std::vector<std::string>{ark_of(2)});
}
