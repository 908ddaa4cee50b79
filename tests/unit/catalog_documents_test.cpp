// The catalog's ready-made documents: manifests and resolver records made in the transaction
// that changes an object, collections made after it, all made again when the publication
// settings change; and the service that sends them as they are stored.
#include <jansson.h>
#include <lmdb.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "catalog.hpp"
#include "catalog_fixtures.hpp"
#include "iiif_error.hpp"
#include "image_service.hpp"
#include "presentation.hpp"

using namespace iiif;

namespace {

constexpr const char* kArk = "ark:/99999/d3m-6w3gqpxd-v";
constexpr const char* kKey = "ark:/99999/d3m6w3gqpxdv";

// A fresh catalog path per test.
std::string catalog_path(const std::string& name) {
    return catalog_fixtures::catalog_path("documents-", name);
}

PublicationSettings settings_for(const std::string& base) {
    PublicationSettings settings;
    settings.base_url = base;
    settings.institution = "Bibliothèque d'essai";
    settings.naan = "99999";
    settings.shoulders = {{"d3m", "Essais", "", "", ""}};
    settings.ark_policy = "Kept for ever.";
    settings.collection_page_size = 2;
    return settings;
}

// A writer on `path` whose publication settings are those of `base`.
std::unique_ptr<CatalogWriter> open_writer(const std::string& path,
                                           const std::string& base = "https://img.example.org") {
    auto writer = catalog_fixtures::open_writer(path);
    writer->set_publication(settings_for(base));
    return writer;
}

ImageRecord page_of(const std::string& ark, int index) {
    ImageRecord image;
    image.id = ark + "/f" + std::to_string(index);
    image.object = ark;
    image.index = index;
    image.master_path = "/srv/masters/" + std::to_string(index) + ".tif";
    std::string digits = std::to_string(index);
    image.original_sha256 = std::string(64 - digits.size(), 'a') + digits;
    image.source.format = SourceFormat::tiff;
    image.source.width = 2000;
    image.source.height = 1000;
    image.source.levels = {{1, 2000, 1000, 0, 1}};
    image.state = RecordState::active;
    return image;
}

ObjectRecord object_of(const std::string& ark, std::int64_t created, int pages,
                       std::vector<std::string> sets = {}) {
    ObjectRecord object;
    object.ark = ark;
    object.metadata.dc["title"] = {{"Titre " + ark, "fr"}};
    object.metadata.sets = std::move(sets);
    for (int i = 1; i <= pages; ++i) object.images.push_back(ark + "/f" + std::to_string(i));
    object.created = object.updated = object.datestamp = created;
    object.state = RecordState::active;
    return object;
}

void put(CatalogWriter& writer, const ObjectRecord& object) {
    std::vector<ImageRecord> pages;
    for (size_t i = 0; i < object.images.size(); ++i)
        pages.push_back(page_of(object.ark, static_cast<int>(i) + 1));
    writer.put(object, pages);
}

struct JsonDecref {
    void operator()(json_t* value) const { json_decref(value); }
};
using Json = std::unique_ptr<json_t, JsonDecref>;

Json parse(const std::string& text) {
    Json json(json_loadb(text.data(), text.size(), 0, nullptr));
    REQUIRE(json);
    return json;
}

std::string text_of(const json_t* object, const char* key) {
    const json_t* value = json_object_get(object, key);
    return json_is_string(value) ? json_string_value(value) : "";
}

// The ids of a collection's items, in order.
std::vector<std::string> item_ids(const std::string& body) {
    Json json = parse(body);
    std::vector<std::string> ids;
    size_t i;
    json_t* item;
    json_array_foreach(json_object_get(json.get(), "items"), i, item) {
        ids.push_back(text_of(item, "id"));
    }
    return ids;
}

// A set of n objects, each in `sets`, with ARKs made from the NOID alphabet.
std::vector<std::string> fill(CatalogWriter& writer, int n, const std::vector<std::string>& sets) {
    static int serial = 0;
    std::vector<std::string> arks;
    for (int i = 0; i < n; ++i) {
        std::string ark = "ark:/99999/d3m-" + std::to_string(10000000 + serial++) + "-x";
        put(writer, object_of(ark, 1000 + serial, 1, sets));
        arks.push_back(ark);
    }
    return arks;
}

HttpRequest get(std::string_view path, std::string_view prefix = "/iiif/3") {
    HttpRequest request;
    request.method = "GET";
    request.path = path;
    request.prefix = prefix;
    request.scheme = "http";
    request.host = "127.0.0.1";
    return request;
}

ServiceConfig catalog_config(ApiVersion version) {
    ServiceConfig config;
    config.version = version;
    config.catalog_path = "catalog.mdb";
    return config;
}

}  // namespace

TEST_CASE("documents: an active object has both manifests and a resolver record", "[documents]") {
    auto writer = open_writer(catalog_path("active"));
    put(*writer, object_of(kArk, 1700000000, 3));
    const CatalogReader& reader = writer->reader();

    auto v3 = reader.document(manifest_document_key(ApiVersion::v3, kKey));
    REQUIRE(v3);
    CHECK(text_of(parse(v3->body).get(), "id") ==
          "https://img.example.org/iiif/3/" + std::string(kArk) + "/manifest");
    CHECK(json_array_size(json_object_get(parse(v3->body).get(), "items")) == 3);
    CHECK(v3->modified == 1700000000);
    CHECK(v3->etag.size() == 34);
    CHECK(v3->etag.front() == '"');
    auto v2 = reader.document(manifest_document_key(ApiVersion::v2, kKey));
    REQUIRE(v2);
    CHECK(text_of(parse(v2->body).get(), "@id") ==
          "https://img.example.org/iiif/2/" + std::string(kArk) + "/manifest");
    CHECK(reader.document(resolver_document_key(kKey)));
    CHECK(manifest_document_key(ApiVersion::v3, kKey) == "m3 ark:/99999/d3m6w3gqpxdv");
    CHECK(collection_document_key("a:b", 2) == "c a:b/2");
    CHECK(collection_document_key("") == "c ");
}

TEST_CASE("documents: a changed object gets a new manifest and a new etag", "[documents]") {
    auto writer = open_writer(catalog_path("changed"));
    ObjectRecord object = object_of(kArk, 1700000000, 2);
    put(*writer, object);
    auto before = writer->reader().document(manifest_document_key(ApiVersion::v3, kKey));
    object.metadata.dc["title"] = {{"Un autre titre", "fr"}};
    object.updated = 1700000500;
    writer->put(object, {});
    auto after = writer->reader().document(manifest_document_key(ApiVersion::v3, kKey));
    REQUIRE(before);
    REQUIRE(after);
    CHECK(after->etag != before->etag);
    CHECK(after->modified == 1700000500);
    CHECK(after->body.find("Un autre titre") != std::string::npos);
    CHECK(json_array_size(json_object_get(parse(after->body).get(), "items")) == 2);
}

TEST_CASE("documents: a withdrawn object loses its manifests, keeps its resolver record",
          "[documents]") {
    auto writer = open_writer(catalog_path("withdrawn"));
    put(*writer, object_of(kArk, 1700000000, 2, {"fonds"}));
    writer->refresh_collections();
    writer->withdraw(kArk, "at the holder's request", 1700009999);
    const CatalogReader& reader = writer->reader();
    CHECK_FALSE(reader.document(manifest_document_key(ApiVersion::v3, kKey)));
    CHECK_FALSE(reader.document(manifest_document_key(ApiVersion::v2, kKey)));
    auto record = reader.document(resolver_document_key(kKey));
    REQUIRE(record);
    CHECK(record->modified == 1700009999);
    CHECK(record->body.find("at the holder's request") != std::string::npos);
    // Its set empties, so the set's collection goes at the next refresh.
    CHECK(reader.document(collection_document_key("fonds")));
    CHECK(writer->refresh_collections() == 2);  // "fonds" and the top collection
    CHECK_FALSE(reader.document(collection_document_key("fonds")));
    CHECK(item_ids(reader.document(collection_document_key(""))->body).empty());
}

TEST_CASE("documents: a reinstated object has its manifests, pages and collection again",
          "[documents]") {
    auto writer = open_writer(catalog_path("reinstated"));
    put(*writer, object_of(kArk, 1700000000, 2, {"fonds"}));
    writer->withdraw(kArk, "at the holder's request", 1700009999);
    CHECK_THROWS_MATCHES(
        writer->withdraw("ark:/99999/zzz-00000000-0", "x", 1700010000), IiifError,
        Catch::Predicate<IiifError>([](const IiifError& error) { return error.status == 404; }));
    writer->reinstate(kArk, 1700020000);
    const CatalogReader& reader = writer->reader();
    auto object = reader.object(kArk);
    REQUIRE(object);
    CHECK(object->state == RecordState::active);
    CHECK(object->withdrawn_reason.empty());
    CHECK(object->datestamp == 1700020000);
    CHECK(reader.image(std::string(kArk) + "/f2")->state == RecordState::active);
    CHECK(reader.document(manifest_document_key(ApiVersion::v3, kKey))->modified == 1700020000);
    CHECK(reader.document(manifest_document_key(ApiVersion::v2, kKey)));
    CHECK(reader.document(resolver_document_key(kKey))->body.find("at the holder's request") ==
          std::string::npos);
    writer->refresh_collections();
    CHECK(item_ids(reader.document(collection_document_key("fonds"))->body).size() == 1);
    // Counted once for OAI-PMH, at its new datestamp.
    CHECK(reader.count_published(0, 0) == 1);
    CHECK(reader.count_published(1700020000, 1700020000) == 1);
    // Only a withdrawn object can be reinstated.
    CHECK_THROWS_MATCHES(
        writer->reinstate(kArk, 1700030000), IiifError,
        Catch::Predicate<IiifError>([](const IiifError& error) { return error.status == 409; }));
}

TEST_CASE("documents: a pending object has no manifest", "[documents]") {
    auto writer = open_writer(catalog_path("pending"));
    ObjectRecord object = object_of(kArk, 1700000000, 1);
    object.state = RecordState::pending;
    put(*writer, object);
    CHECK_FALSE(writer->reader().document(manifest_document_key(ApiVersion::v3, kKey)));
}

TEST_CASE("documents: a set's collection lists its subsets, then its objects in deposit order",
          "[documents]") {
    auto writer = open_writer(catalog_path("sets"));
    PublicationSettings settings = settings_for("https://img.example.org");
    settings.collection_page_size = 100;
    writer->set_publication(settings);
    std::vector<std::string> direct = fill(*writer, 2, {"fonds"});
    fill(*writer, 1, {"fonds:cartes"});
    fill(*writer, 1, {"fonds:plans:anciens"});
    fill(*writer, 1, {"autre"});
    CHECK(writer->refresh_collections() == 6);  // autre, fonds, its 3 subsets, top
    CHECK(writer->refresh_collections() == 0);
    const CatalogReader& reader = writer->reader();

    const std::string collection = "https://img.example.org/iiif/3/collection/";
    CHECK(item_ids(reader.document(collection_document_key("fonds"))->body) ==
          std::vector<std::string>{collection + "fonds:cartes", collection + "fonds:plans",
                                   manifest_url(settings, ApiVersion::v3, direct[0]),
                                   manifest_url(settings, ApiVersion::v3, direct[1])});
    // A set with subsets only still has its collection.
    CHECK(item_ids(reader.document(collection_document_key("fonds:plans"))->body) ==
          std::vector<std::string>{collection + "fonds:plans:anciens"});
    CHECK(item_ids(reader.document(collection_document_key(""))->body) ==
          std::vector<std::string>{collection + "autre", collection + "fonds"});
    CHECK_FALSE(reader.document(collection_document_key("nothing")));
}

TEST_CASE("documents: a large set is paged, and shrinks back", "[documents]") {
    auto writer = open_writer(catalog_path("paged"));  // two items per page
    std::vector<std::string> arks = fill(*writer, 5, {"fonds"});
    writer->refresh_collections();
    const CatalogReader& reader = writer->reader();
    const std::string collection = "https://img.example.org/iiif/3/collection/fonds";
    CHECK(item_ids(reader.document(collection_document_key("fonds"))->body) ==
          std::vector<std::string>{collection + "/1", collection + "/2", collection + "/3"});
    REQUIRE(reader.document(collection_document_key("fonds", 3)));
    CHECK(item_ids(reader.document(collection_document_key("fonds", 3))->body).size() == 1);
    CHECK_FALSE(reader.document(collection_document_key("fonds", 4)));

    for (size_t i = 0; i < 3; ++i) writer->withdraw(arks[i], "test", 2000);
    writer->refresh_collections();
    CHECK(item_ids(reader.document(collection_document_key("fonds"))->body).size() == 2);
    CHECK_FALSE(reader.document(collection_document_key("fonds", 1)));
}

TEST_CASE("documents: new publication settings remake every document", "[documents]") {
    const std::string path = catalog_path("republish");
    {
        auto writer = open_writer(path, "https://old.example.org");
        put(*writer, object_of(kArk, 1700000000, 1, {"fonds"}));
        writer->refresh_collections();
    }
    auto writer = open_writer(path, "https://new.example.org");
    const CatalogReader& reader = writer->reader();
    CHECK(text_of(parse(reader.document(manifest_document_key(ApiVersion::v3, kKey))->body).get(),
                  "id") == "https://new.example.org/iiif/3/" + std::string(kArk) + "/manifest");
    CHECK(item_ids(reader.document(collection_document_key("fonds"))->body) ==
          std::vector<std::string>{"https://new.example.org/iiif/3/" + std::string(kArk) +
                                   "/manifest"});
    CHECK(publication_settings_from_json(*reader.meta("publication")).base_url ==
          "https://new.example.org");
}

TEST_CASE("documents: a catalog of schema 1 is upgraded and published", "[documents]") {
    const std::string path = catalog_path("schema1");
    {
        // What a schema-1 writer left: objects and images, no documents.
        MDB_env* env = nullptr;
        REQUIRE(mdb_env_create(&env) == 0);
        mdb_env_set_maxdbs(env, 8);
        mdb_env_set_mapsize(env, size_t{1} << 26);
        REQUIRE(mdb_env_open(env, path.c_str(), MDB_NOSUBDIR, 0664) == 0);
        MDB_txn* txn = nullptr;
        REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
        auto put_raw = [&](const char* db, const std::string& key, const std::string& value) {
            MDB_dbi dbi;
            REQUIRE(mdb_dbi_open(txn, db, MDB_CREATE, &dbi) == 0);
            MDB_val k{key.size(), const_cast<char*>(key.data())};
            MDB_val v{value.size(), const_cast<char*>(value.data())};
            REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
        };
        put_raw("meta", "schema", "1");
        put_raw("objects", kKey, object_record_to_json(object_of(kArk, 1700000000, 1)));
        put_raw("images", std::string(kKey) + "/f1", image_record_to_json(page_of(kArk, 1)));
        for (const char* db : {"arks", "files", "by_date", "by_set"}) {
            MDB_dbi dbi;
            REQUIRE(mdb_dbi_open(txn, db, MDB_CREATE, &dbi) == 0);
        }
        REQUIRE(mdb_txn_commit(txn) == 0);
        mdb_env_close(env);
    }
    auto writer = open_writer(path);
    CHECK(writer->reader().document(manifest_document_key(ApiVersion::v3, kKey)));
    CHECK(*writer->reader().meta("schema") == "4");
    // The upgrade counted the object for OAI-PMH's list sizes.
    CHECK(writer->reader().count_published(0, 0) == 1);
}

TEST_CASE("documents: the service sends a stored manifest with its validators", "[documents]") {
    auto writer = open_writer(catalog_path("serve"));
    put(*writer, object_of(kArk, 1700000000, 2, {"fonds"}));
    writer->refresh_collections();
    const CatalogReader* reader = &writer->reader();
    const ServiceConfig v3 = catalog_config(ApiVersion::v3);
    auto stored = reader->document(manifest_document_key(ApiVersion::v3, kKey));

    for (std::string path :
         {std::string(kArk) + "/manifest", std::string("ark%3A%2F99999%2Fd3m-6w3gqpxd-v/manifest"),
          std::string("ARK:99999/d3m6w3gqpxdv/manifest")}) {
        INFO(path);
        PreparedRequest prepared = prepare_request(v3, nullptr, get(path), reader);
        REQUIRE_FALSE(prepared.job);
        CHECK(prepared.response.status == 200);
        CHECK(prepared.response.content_type ==
              "application/ld+json;profile=\"http://iiif.io/api/presentation/3/context.json\"");
        CHECK(prepared.response.body_bytes() == stored->body);
        CHECK(prepared.response.etag == stored->etag);
        CHECK(prepared.response.last_modified == 1700000000);
    }

    const ServiceConfig v2 = catalog_config(ApiVersion::v2);
    const std::string manifest_path = std::string(kArk) + "/manifest";
    PreparedRequest plain = prepare_request(v2, nullptr, get(manifest_path, "/iiif/2"), reader);
    CHECK(plain.response.status == 200);
    CHECK(plain.response.content_type == "application/json");
    HttpRequest ld = get(manifest_path, "/iiif/2");
    ld.accept = "application/ld+json";
    CHECK(prepare_request(v2, nullptr, ld, reader).response.content_type ==
          "application/ld+json;profile=\"http://iiif.io/api/presentation/2/context.json\"");

    PreparedRequest collection = prepare_request(v3, nullptr, get("collection/fonds"), reader);
    CHECK(collection.response.status == 200);
    CHECK(collection.response.body_bytes() ==
          reader->document(collection_document_key("fonds"))->body);
    CHECK(prepare_request(v3, nullptr, get("collection"), reader).response.status == 200);
}

TEST_CASE("documents: a pinned document keeps its bytes while the writer changes it",
          "[documents]") {
    const std::string path = catalog_path("pinned");
    auto writer = open_writer(path);
    put(*writer, object_of(kArk, 1700000000, 500));
    const std::string key = manifest_document_key(ApiVersion::v3, kKey);
    auto pinned = writer->reader().pinned_document(key);
    REQUIRE(pinned);
    const std::string stored = writer->reader().document(key)->body;
    CHECK(pinned->view.body == stored);

    // A change committed meanwhile does not touch what the pin sees.
    ObjectRecord changed = object_of(kArk, 1700000000, 500);
    changed.metadata.dc["title"] = {{"Autre", "fr"}};
    changed.updated = 1700000001;
    writer->put(changed, {});
    CHECK(pinned->view.body == stored);
    CHECK(writer->reader().document(key)->body != stored);
    CHECK_FALSE(writer->reader().pinned_document("m3 ark:/99999/none"));
}

TEST_CASE("documents: unknown, withdrawn and malformed document paths", "[documents]") {
    auto writer = open_writer(catalog_path("errors"));
    put(*writer, object_of(kArk, 1700000000, 1, {"fonds"}));
    writer->refresh_collections();
    const CatalogReader* reader = &writer->reader();
    const ServiceConfig v3 = catalog_config(ApiVersion::v3);
    auto status = [&](const ServiceConfig& config, std::string_view path) {
        PreparedRequest prepared = prepare_request(config, nullptr, get(path), reader);
        CHECK_FALSE(prepared.job);
        return prepared.response.status;
    };
    CHECK(status(v3, "ark:/99999/d3m-00000000-x/manifest") == 404);
    CHECK(status(v3, "collection/nothing") == 404);
    CHECK(status(v3, "collection/fonds/1") == 404);  // one page only: not paged
    CHECK(status(v3, "collection/fonds/0") == 404);
    CHECK(status(v3, "collection/fonds/x") == 404);
    CHECK(status(v3, "collection//1") == 404);
    CHECK(status(catalog_config(ApiVersion::v2), "collection/fonds") == 404);
    // No catalog yet: unknown.
    CHECK(prepare_request(v3, nullptr, get("ark:/99999/d3m-6w3gqpxd-v/manifest"), nullptr)
              .response.status == 404);
    writer->withdraw(kArk, "removed", 1700000100);
    const std::string manifest_path = std::string(kArk) + "/manifest";
    CHECK(status(v3, manifest_path) == 410);
    // Outside catalog mode a path ending in /manifest is an image's base URI: with no such
    // file, a 404 that says so (not the withdrawn manifest's 410).
    ServiceConfig files;
    files.source_dir = "/nonexistent";
    HttpResponse base = prepare_request(files, nullptr, get(manifest_path), reader).response;
    CHECK(base.status == 404);
    CHECK(base.body == "image not found\n");
}

TEST_CASE(
    "documents: a described object (no images) is stored with no manifest, in no collection, and "
    "its manifest URLs answer 404 as unknown ones do",
    "[documents]") {
    auto writer = open_writer(catalog_path("described"));
    put(*writer, object_of(kArk, 1700000000, 1, {"fonds"}));
    const std::string described = "ark:/99999/d3m-20000001-x";
    const std::string described_key = "ark:/99999/d3m20000001x";
    ObjectRecord record = object_of(described, 1700000100, 0, {"fonds"});
    ObjectOrigin origin;
    origin.partner = "bm-lyon";
    origin.base_url = "https://oai.bm-lyon.example.org/oai";
    origin.identifier = "oai:bm-lyon.example.org:ms-1";
    origin.datestamp = "2024-01-31";
    origin.metadata_namespace = "http://www.openarchives.org/OAI/2.0/oai_dc/";
    origin.harvested = 1700000050;
    origin.link = "https://collections.bm-lyon.example.org/ms-1";
    record.metadata.origin = origin;
    writer->put(record, {});
    writer->refresh_collections();
    const CatalogReader& reader = writer->reader();

    auto stored = reader.object(described);
    REQUIRE(stored);
    CHECK(stored->state == RecordState::active);
    CHECK(stored->images.empty());
    CHECK(stored->metadata.origin == origin);
    CHECK_FALSE(reader.document(manifest_document_key(ApiVersion::v3, described_key)));
    CHECK_FALSE(reader.document(manifest_document_key(ApiVersion::v2, described_key)));
    CHECK(item_ids(reader.document(collection_document_key("fonds"))->body) ==
          std::vector<std::string>{
              "https://img.example.org/iiif/3/ark:/99999/d3m-6w3gqpxd-v/manifest"});
    CHECK(reader.document(resolver_document_key(described_key))->body ==
          "ark: ark:/99999/d3m-20000001-x\nstate: active\npages: 0\n"
          "landing: https://collections.bm-lyon.example.org/ms-1\nmanifest: \n"
          "who: Bibliothèque d'essai\nwhat: Titre ark:/99999/d3m-20000001-x\nwhen: (:unav)\n"
          "where: https://img.example.org/ark:/99999/d3m-20000001-x\n");

    const CatalogReader* service_reader = &reader;
    for (ApiVersion version : {ApiVersion::v3, ApiVersion::v2}) {
        const ServiceConfig config = catalog_config(version);
        const std::string_view prefix = version == ApiVersion::v3 ? "/iiif/3" : "/iiif/2";
        HttpResponse answer =
            prepare_request(config, nullptr, get(described + "/manifest", prefix), service_reader)
                .response;
        HttpResponse unknown =
            prepare_request(config, nullptr, get("ark:/99999/d3m-00000000-x/manifest", prefix),
                            service_reader)
                .response;
        CHECK(answer.status == 404);
        CHECK(answer.body == unknown.body);
    }

    // An object that had images and is stored without them loses its manifests and its place.
    ObjectRecord emptied = object_of(kArk, 1700000000, 0, {"fonds"});
    emptied.updated = 1700000200;
    writer->put(emptied, {});
    writer->refresh_collections();
    CHECK_FALSE(reader.document(manifest_document_key(ApiVersion::v3, kKey)));
    CHECK_FALSE(reader.document(collection_document_key("fonds")));
}
