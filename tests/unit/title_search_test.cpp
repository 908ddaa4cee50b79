// The search by title and the list of recent objects (the list page): title words
// (title_words.hpp), the catalog's `words` index kept with every change of an object, and its
// filling when a catalog of an older schema is opened.
#include <lmdb.h>

#include <catch2/catch.hpp>
#include <functional>
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

TEST_CASE("titles: words lose their accents and case", "[catalog][titles]") {
    CHECK(title_words("ÎLE Été") == std::vector<std::string>{"ile", "ete"});
    CHECK(title_words("Straße ﬁn") == std::vector<std::string>{"strasse", "fin"});  // NFKD, fold
}

TEST_CASE("titles: words split at every character that is no letter or digit",
          "[catalog][titles]") {
    CHECK(title_words("Carte de l'Île-de-France") ==
          std::vector<std::string>{"carte", "de", "l", "ile", "france"});
    CHECK(title_words("ÉTUDE  n°3, 1789") == std::vector<std::string>{"etude", "n", "3", "1789"});
    CHECK(title_words("東京の地図") == std::vector<std::string>{"東京の地図"});
    CHECK(title_words("de la Carte de la France") ==
          std::vector<std::string>{"de", "la", "carte", "france"});  // each once
    CHECK(title_words("").empty());
    CHECK(title_words(" -- ").empty());
}

TEST_CASE("titles: a word is cut at 64 bytes, on a character's boundary", "[catalog][titles]") {
    CHECK(title_words(std::string(100, 'a')) == std::vector<std::string>{std::string(64, 'a')});
    CHECK(title_words(std::string(63, 'a') + "жж") ==
          std::vector<std::string>{std::string(63, 'a')});
}

TEST_CASE("titles: text that is not UTF-8 has no words", "[catalog][titles]") {
    CHECK(title_words(std::string("caf\xc3", 4)).empty());
}

TEST_CASE("titles: a query matches when each of its words begins a title word",
          "[catalog][titles]") {
    const std::vector<std::string> words = title_words("Carte de France");
    CHECK(title_matches(title_words("carte fran"), words));
    CHECK(title_matches(title_words("FRANCE"), words));
    CHECK_FALSE(title_matches(title_words("carte paris"), words));
    CHECK_FALSE(title_matches(title_words("arte"), words));  // a word's beginning only
}

TEST_CASE("titles: the search ignores accents and case", "[catalog][titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("accents"));
    put(*writer, titled(1, {{"Carte de l'Île-de-France", "fr"}}, 1000));
    put(*writer, titled(2, {{"Plan de Paris", "fr"}}, 2000));
    const CatalogReader& reader = writer->reader();
    CHECK(arks(reader.search_titles("ile", 10)) == std::vector<std::string>{ark_of(1)});
    CHECK(arks(reader.search_titles("ÎLE", 10)) == std::vector<std::string>{ark_of(1)});
    CHECK(arks(reader.search_titles("FRANÇE", 10)) == std::vector<std::string>{ark_of(1)});
    CHECK(arks(reader.search_titles("paris", 10)) == std::vector<std::string>{ark_of(2)});
}

TEST_CASE("titles: every word of the query must begin a word of the title", "[catalog][titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("and"));
    put(*writer, titled(1, {{"Carte de l'Île-de-France", "fr"}}, 1000));
    put(*writer, titled(2, {{"Carte de Flandre", "fr"}}, 2000));
    const CatalogReader& reader = writer->reader();
    CHECK(arks(reader.search_titles("carte fran", 10)) == std::vector<std::string>{ark_of(1)});
    CHECK(arks(reader.search_titles("FLANDRE, carte", 10)) == std::vector<std::string>{ark_of(2)});
    CHECK(reader.search_titles("carte paris", 10).empty());
    CHECK(reader.search_titles("lyon", 10).empty());
}

TEST_CASE("titles: a query word matches the beginning of a title word only", "[catalog][titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("prefix"));
    put(*writer, titled(1, {{"Cartographie", "fr"}}, 1000));
    const CatalogReader& reader = writer->reader();
    CHECK(arks(reader.search_titles("c", 10)) == std::vector<std::string>{ark_of(1)});
    CHECK(arks(reader.search_titles("cart", 10)) == std::vector<std::string>{ark_of(1)});
    CHECK(arks(reader.search_titles("cartographie", 10)) == std::vector<std::string>{ark_of(1)});
    CHECK(reader.search_titles("graphie", 10).empty());
    CHECK(reader.search_titles("cartographies", 10).empty());
}

TEST_CASE("titles: a query without words finds nothing", "[catalog][titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("empty"));
    put(*writer, titled(1, {{"Carte", "fr"}}, 1000));
    const CatalogReader& reader = writer->reader();
    CHECK(reader.search_titles("", 10).empty());
    CHECK(reader.search_titles("  -- ' ", 10).empty());
    CHECK(reader.search_titles("carte", 0).empty());
}

TEST_CASE("titles: the titles of every language are searched", "[catalog][titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("languages"));
    put(*writer, titled(1, {{"Plan de Paris", "fr"}, {"Map of Paris", "en"}}, 1000));
    put(*writer, titled(2, {}, 2000));
    const CatalogReader& reader = writer->reader();
    CHECK(arks(reader.search_titles("map", 10)) == std::vector<std::string>{ark_of(1)});
    CHECK(arks(reader.search_titles("plan", 10)) == std::vector<std::string>{ark_of(1)});
    CHECK(arks(reader.search_titles("plan map", 10)) == std::vector<std::string>{ark_of(1)});
}

TEST_CASE("titles: found objects come newest first, at most the limit", "[catalog][titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("newest"));
    put(*writer, titled(1, {{"Carte de Cassini", "fr"}}, 3000));
    put(*writer, titled(2, {{"Cartes marines", "fr"}}, 1000));
    put(*writer, titled(3, {{"Carte de Flandre", "fr"}}, 2000));
    const CatalogReader& reader = writer->reader();
    CHECK(arks(reader.search_titles("carte", 10)) ==
          std::vector<std::string>{ark_of(1), ark_of(3), ark_of(2)});
    CHECK(arks(reader.search_titles("carte", 2)) == std::vector<std::string>{ark_of(1), ark_of(3)});
}

TEST_CASE("titles: a common word's many matches still come newest first", "[catalog][titles]") {
    // More candidates than kFewSearchCandidates: found by walking the objects from the newest.
    auto writer = catalog_fixtures::open_writer(catalog_path("many"));
    const int count = static_cast<int>(CatalogReader::kFewSearchCandidates) + 44;
    std::vector<CatalogWriter::Entry> entries;
    for (int n = 1; n <= count; ++n)
        entries.push_back({titled(n, {{"Carte " + std::to_string(n), "fr"}}, 1000 + n), {}});
    writer->put_many(entries);
    writer->withdraw(ark_of(count), "at the owner's request", 5000);
    const CatalogReader& reader = writer->reader();
    CHECK(arks(reader.search_titles("carte", 3)) ==
          std::vector<std::string>{ark_of(count - 1), ark_of(count - 2), ark_of(count - 3)});
    // "1", "10" to "19", "100" to "199": 111 matches among the candidates of "carte".
    std::vector<ObjectRecord> ones = reader.search_titles("carte 1", 200);
    CHECK(ones.size() == 111);
    CHECK(ones.front().ark == ark_of(199));
    CHECK(ones.back().ark == ark_of(1));
}

TEST_CASE("titles: a changed title leaves no old word in the index", "[catalog][titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("change"));
    put(*writer, titled(1, {{"Carte de Cassini", "fr"}}, 1000));
    put(*writer, titled(1, {{"Atlas de Trudaine", "fr"}}, 2000));
    CHECK(writer->reader().search_titles("cassini", 10).empty());
    CHECK(writer->reader().search_titles("carte", 10).empty());
    CHECK(arks(writer->reader().search_titles("trudaine", 10)) ==
          std::vector<std::string>{ark_of(1)});
}

TEST_CASE("titles: put_many indexes and re-indexes like put", "[catalog][titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("put_many"));
    writer->put_many({{titled(1, {{"Vue de Lille", "fr"}}, 1000), {}},
                      {titled(2, {{"Vue de Douai", "fr"}}, 2000), {}}});
    CHECK(arks(writer->reader().search_titles("vue", 10)) ==
          std::vector<std::string>{ark_of(2), ark_of(1)});
    writer->put_many({{titled(1, {{"Plan de Lille", "fr"}}, 3000), {}}});
    CHECK(arks(writer->reader().search_titles("vue", 10)) == std::vector<std::string>{ark_of(2)});
    CHECK(arks(writer->reader().search_titles("plan lille", 10)) ==
          std::vector<std::string>{ark_of(1)});
}

TEST_CASE("titles: pending and withdrawn objects are neither found nor listed",
          "[catalog][titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("states"));
    ObjectRecord pending = titled(1, {{"Carte en attente", "fr"}}, 1000);
    pending.state = RecordState::pending;
    put(*writer, pending);
    put(*writer, titled(2, {{"Carte retirée", "fr"}}, 2000));
    put(*writer, titled(3, {{"Carte publiée", "fr"}}, 3000));
    writer->withdraw(ark_of(2), "at the owner's request", 4000);
    CHECK(arks(writer->reader().search_titles("carte", 10)) == std::vector<std::string>{ark_of(3)});
    CHECK(arks(writer->reader().recent_objects({}, 10)) == std::vector<std::string>{ark_of(3)});
}

TEST_CASE("titles: a reinstated object is found again, as of its reinstatement",
          "[catalog][titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("reinstated"));
    put(*writer, titled(1, {{"Carte retirée", "fr"}}, 1000));
    put(*writer, titled(2, {{"Carte publiée", "fr"}}, 2000));
    writer->withdraw(ark_of(1), "at the owner's request", 3000);
    writer->reinstate(ark_of(1), 4000);
    CHECK(arks(writer->reader().search_titles("carte", 10)) ==
          std::vector<std::string>{ark_of(1), ark_of(2)});
    CHECK(arks(writer->reader().recent_objects({}, 10)) ==
          std::vector<std::string>{ark_of(1), ark_of(2)});
}

TEST_CASE("titles: clearing the catalog empties the index", "[catalog][titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("clear"));
    put(*writer, titled(1, {{"Carte de Cassini", "fr"}}, 1000));
    writer->clear();
    CHECK(writer->reader().search_titles("cassini", 10).empty());
    put(*writer, titled(2, {{"Carte de Flandre", "fr"}}, 2000));
    CHECK(arks(writer->reader().search_titles("carte", 10)) == std::vector<std::string>{ark_of(2)});
}

TEST_CASE("titles: recent objects come newest first, a page at a time", "[catalog][titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("recent"));
    for (int n = 1; n <= 5; ++n) put(*writer, titled(n, {{"Objet", "fr"}}, 1000 * n));
    const CatalogReader& reader = writer->reader();
    std::vector<ObjectRecord> first = reader.recent_objects({}, 2);
    CHECK(arks(first) == std::vector<std::string>{ark_of(5), ark_of(4)});
    std::vector<ObjectRecord> second =
        reader.recent_objects(CatalogReader::position_of(first.back()), 2);
    CHECK(arks(second) == std::vector<std::string>{ark_of(3), ark_of(2)});
    std::vector<ObjectRecord> last =
        reader.recent_objects(CatalogReader::position_of(second.back()), 2);
    CHECK(arks(last) == std::vector<std::string>{ark_of(1)});
    CHECK(reader.recent_objects(CatalogReader::position_of(last.back()), 2).empty());
}

TEST_CASE("titles: objects of one datestamp are listed once each across pages",
          "[catalog][titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("same_second"));
    for (int n = 1; n <= 3; ++n) put(*writer, titled(n, {{"Objet", "fr"}}, 1000));
    const CatalogReader& reader = writer->reader();
    std::vector<std::string> listed;
    CatalogReader::Position before;
    for (int page = 0; page < 4; ++page) {
        std::vector<ObjectRecord> records = reader.recent_objects(before, 1);
        if (records.empty()) break;
        listed.push_back(records.front().ark);
        before = CatalogReader::position_of(records.front());
    }
    // Within a datestamp, the normalized ARK descending: "t3..." > "t2..." > "t1...".
    CHECK(listed == std::vector<std::string>{ark_of(3), ark_of(2), ark_of(1)});
}

TEST_CASE("titles: recent objects of a set include its subsets'", "[catalog][titles]") {
    auto writer = catalog_fixtures::open_writer(catalog_path("recent_set"));
    for (int n = 1; n <= 5; ++n)
        put(*writer, titled(n, {{"Objet", "fr"}}, 1000 * n,
                            n % 2 == 0 ? std::vector<std::string>{"maps:north"}
                                       : std::vector<std::string>{}));
    const CatalogReader& reader = writer->reader();
    CHECK(arks(reader.recent_objects({}, 10, "maps")) ==
          std::vector<std::string>{ark_of(4), ark_of(2)});
    CHECK(arks(reader.recent_objects({}, 10, "maps:north")) ==
          std::vector<std::string>{ark_of(4), ark_of(2)});
    CHECK(arks(reader.recent_objects({}, 1, "maps")) == std::vector<std::string>{ark_of(4)});
    CHECK(arks(reader.recent_objects({4000, *catalog_object_key(ark_of(4))}, 10, "maps")) ==
          std::vector<std::string>{ark_of(2)});
    CHECK(reader.recent_objects({}, 10, "plans").empty());
    CHECK(reader.recent_objects({}, 10, "map").empty());  // a spec, not a prefix of one
}

namespace {

// Changes the closed catalog at `path` with LMDB itself, in one write transaction: what an
// older iiifd, or a crash, left.
void change_raw(const std::string& path, const std::function<void(MDB_txn*)>& change) {
    MDB_env* env = nullptr;
    REQUIRE(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 16);
    REQUIRE(mdb_env_open(env, path.c_str(), MDB_NOSUBDIR, 0664) == 0);
    MDB_txn* txn = nullptr;
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    change(txn);
    REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
}

// Puts `value` under `key` in the catalog's meta database.
void put_meta(MDB_txn* txn, std::string key, std::string value) {
    MDB_dbi meta;
    REQUIRE(mdb_dbi_open(txn, "meta", 0, &meta) == 0);
    MDB_val k{key.size(), key.data()}, v{value.size(), value.data()};
    REQUIRE(mdb_put(txn, meta, &k, &v, 0) == 0);
}

// Makes the catalog at `path` what an iiifd of schema 3 left: no words database at all.
void make_schema_3(const std::string& path) {
    change_raw(path, [](MDB_txn* txn) {
        MDB_dbi words;
        REQUIRE(mdb_dbi_open(txn, "words", 0, &words) == 0);
        REQUIRE(mdb_drop(txn, words, 1) == 0);
        put_meta(txn, "schema", "3");
    });
}

// Two titled objects, written and closed.
void write_two_objects(const std::string& path) {
    auto writer = catalog_fixtures::open_writer(path);
    put(*writer, titled(1, {{"Carte de Cassini", "fr"}}, 1000));
    put(*writer, titled(2, {{"Atlas de Trudaine", "fr"}}, 2000));
}

}  // namespace

TEST_CASE("titles: a reader of a catalog without the index opens it and finds nothing",
          "[catalog][titles]") {
    const std::string path = catalog_path("no_words");
    write_two_objects(path);
    make_schema_3(path);
    // nginx's workers may read it before iiifd upgrades it: no search, no failure.
    std::string error;
    auto reader = CatalogReader::open(path, &error);
    INFO(error);
    REQUIRE(reader);
    CHECK(reader->search_titles("cassini", 10).empty());
    CHECK(arks(reader->recent_objects({}, 10)) == std::vector<std::string>{ark_of(2), ark_of(1)});
}

TEST_CASE("titles: a catalog of schema 3 gets its title index when iiifd opens it",
          "[catalog][titles]") {
    const std::string path = catalog_path("schema3");
    write_two_objects(path);
    make_schema_3(path);
    auto writer = catalog_fixtures::open_writer(path);
    CHECK(*writer->reader().meta("schema") == "4");
    CHECK(arks(writer->reader().search_titles("cassini", 10)) ==
          std::vector<std::string>{ark_of(1)});
    CHECK(arks(writer->reader().search_titles("atlas", 10)) == std::vector<std::string>{ark_of(2)});
}

TEST_CASE("titles: an empty index beside objects is filled when iiifd opens the catalog",
          "[catalog][titles]") {
    const std::string path = catalog_path("emptied");
    write_two_objects(path);
    change_raw(path, [](MDB_txn* txn) {
        MDB_dbi words;
        REQUIRE(mdb_dbi_open(txn, "words", 0, &words) == 0);
        REQUIRE(mdb_drop(txn, words, 0) == 0);  // emptied, schema still 4
    });
    auto writer = catalog_fixtures::open_writer(path);
    CHECK(*writer->reader().meta("schema") == "4");
    CHECK(arks(writer->reader().search_titles("trudaine", 10)) ==
          std::vector<std::string>{ark_of(2)});
}

TEST_CASE("titles: an upgrade cut short before its indexes were full is done again at the next "
          "opening",
          "[catalog][titles]") {
    // What a crash leaves between the schema's commit and the end of the refilling: schema 4,
    // the upgrade's mark, a title index with one object of two.
    const std::string path = catalog_path("cut_short");
    write_two_objects(path);
    change_raw(path, [](MDB_txn* txn) {
        MDB_dbi words;
        REQUIRE(mdb_dbi_open(txn, "words", 0, &words) == 0);
        MDB_cursor* cursor = nullptr;
        REQUIRE(mdb_cursor_open(txn, words, &cursor) == 0);
        MDB_val key, value;
        // Only the words of the second object stay: "atlas", "trudaine" (the first's are
        // "carte", "cassini", "de"; "de" is shared).
        for (int rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
            const std::string word(static_cast<const char*>(key.mv_data), key.mv_size);
            if (word.rfind("carte", 0) == 0 || word.rfind("cassini", 0) == 0)
                REQUIRE(mdb_cursor_del(cursor, 0) == 0);
        }
        mdb_cursor_close(cursor);
        put_meta(txn, "upgrade", "indexes");
    });
    {
        std::string error;
        auto reader = CatalogReader::open(path, &error);
        REQUIRE(reader);
        CHECK(reader->search_titles("cassini", 10).empty());  // what the crash left
    }
    auto writer = catalog_fixtures::open_writer(path);
    CHECK(arks(writer->reader().search_titles("cassini", 10)) ==
          std::vector<std::string>{ark_of(1)});
    CHECK(arks(writer->reader().search_titles("atlas", 10)) == std::vector<std::string>{ark_of(2)});
    CHECK(writer->reader().count_published(0, 0) == 2);
    CHECK_FALSE(writer->reader().meta("upgrade"));  // done: the mark is gone
}

TEST_CASE("titles: a finished upgrade leaves no mark and the next opening refills nothing",
          "[catalog][titles]") {
    const std::string path = catalog_path("schema3_marked");
    write_two_objects(path);
    make_schema_3(path);
    { auto writer = catalog_fixtures::open_writer(path); }
    auto writer = catalog_fixtures::open_writer(path);
    CHECK(*writer->reader().meta("schema") == "4");
    CHECK_FALSE(writer->reader().meta("upgrade"));
}
