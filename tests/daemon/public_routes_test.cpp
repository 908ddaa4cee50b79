// The list and document pages' API (daemon/public_routes.cpp) over a real catalog, without HTTP:
// the card of an object with images and of a described one (no images), an object's description
// and the institution it belongs to, and the sets, a partner's named after it.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "audit_log.hpp"
#include "catalog.hpp"
#include "catalog_fixtures.hpp"
#include "daemon_config.hpp"
#include "directory.hpp"
#include "http_routes.hpp"
#include "json.hpp"
#include "partners.hpp"

namespace {

const std::string kImaged = "ark:/99999/fk4-10000001-x";
const std::string kDescribed = "ark:/99999/fk4-10000002-x";

iiif::ObjectRecord object_of(const std::string& ark, int pages, std::int64_t created) {
    iiif::ObjectRecord record;
    record.ark = ark;
    record.metadata.dc["title"] = {{"Objet " + ark, "fr"}};
    for (int i = 1; i <= pages; ++i) record.images.push_back(ark + "/f" + std::to_string(i));
    record.created = record.updated = record.datestamp = created;
    record.state = iiif::RecordState::active;
    return record;
}

iiif::ImageRecord page_of(const std::string& ark, int index) {
    iiif::ImageRecord image;
    image.id = ark + "/f" + std::to_string(index);
    image.object = ark;
    image.index = index;
    image.master_path = "/srv/masters/" + std::to_string(index) + ".tif";
    image.source.format = iiif::SourceFormat::tiff;
    image.source.width = 2000;
    image.source.height = 1000;
    image.source.levels = {{1, 2000, 1000, 0, 1}};
    image.state = iiif::RecordState::active;
    return image;
}

// The card of `ark` in the answer's "objects".
const json_t* card(const json_t* answer, const std::string& ark) {
    size_t i;
    json_t* item;
    json_array_foreach(json_object_get(answer, "objects"), i, item) {
        if (ark == json_string_value(json_object_get(item, "ark"))) return item;
    }
    FAIL("no card for " << ark);
    return nullptr;
}

std::string member(const json_t* card, const char* key) {
    return iiif::json_text(json_object_get(card, key), JSON_COMPACT | JSON_ENCODE_ANY);
}

iiif::ObjectOrigin origin_of(const std::string& partner, const std::string& link) {
    iiif::ObjectOrigin origin;
    origin.partner = partner;
    origin.base_url = "https://oai.bm-lyon.example.org/oai";
    origin.identifier = "oai:bm-lyon.example.org:ms-2";
    origin.datestamp = "2024-01-31";
    origin.metadata_namespace = "http://www.openarchives.org/OAI/2.0/oai_dc/";
    origin.harvested = 1780000050;
    origin.link = link;
    return origin;
}

// A catalog with its publication settings, the partners of `config` (no partners.json), and its
// directory (the home institution "main").
struct PublicSide {
    std::unique_ptr<iiif::CatalogWriter> writer;
    iiifd::DaemonConfig config;
    std::unique_ptr<iiifd::PartnerRegistry> partners;
    std::unique_ptr<iiifd::AuditLog> audit;
    std::unique_ptr<iiifd::Directory> directory;

    explicit PublicSide(const std::string& name, std::vector<iiifd::Partner> defined = {}) {
        const std::string path = catalog_fixtures::catalog_path("public-routes-", name);
        writer = catalog_fixtures::open_writer(path);
        iiif::PublicationSettings settings;
        settings.base_url = "http://127.0.0.1:8080";
        settings.institution = "Bibliothèque d'essai";
        settings.naan = "99999";
        writer->set_publication(settings);
        config.storage_root = std::filesystem::path(path).parent_path().string();
        config.partners = std::move(defined);
        partners = std::make_unique<iiifd::PartnerRegistry>(config);
        audit = std::make_unique<iiifd::AuditLog>(iiifd::audit_log_path(config.storage_root));
        directory = std::make_unique<iiifd::Directory>(config, *writer, *audit);
    }
    iiifd::PublicRoutes routes() const { return {*writer, *partners, *directory}; }
};

}  // namespace

TEST_CASE(
    "public objects: a described object's card has no thumbnail and no manifest, says it has "
    "no images, and leads to the partner's page",
    "[public_routes]") {
    PublicSide side("described");
    side.writer->put(object_of(kImaged, 1, 1780000000), {page_of(kImaged, 1)});
    iiif::ObjectRecord described = object_of(kDescribed, 0, 1780000060);
    described.metadata.origin =
        origin_of("bm-lyon", "https://collections.bm-lyon.example.org/ms-2");
    side.writer->put(described, {});

    iiifd::PublicRoutes routes = side.routes();
    iiifd::HttpRequest request;
    iiifd::HttpResponse response;
    routes.objects(request, response);
    REQUIRE(response.status == 200);
    iiif::Json answer(json_loads(response.body.c_str(), 0, nullptr));
    REQUIRE(answer);
    CHECK(json_array_size(json_object_get(answer.get(), "objects")) == 2);

    const json_t* without = card(answer.get(), kDescribed);
    CHECK(member(without, "has_images") == "false");
    CHECK(member(without, "pages") == "0");
    CHECK(member(without, "thumbnail") == "null");
    CHECK(member(without, "manifest") == "null");
    CHECK(member(without, "landing") == "\"https://collections.bm-lyon.example.org/ms-2\"");

    const json_t* with = card(answer.get(), kImaged);
    CHECK(member(with, "has_images") == "true");
    CHECK(member(with, "pages") == "1");
    CHECK(member(with, "thumbnail") ==
          "\"http://127.0.0.1:8080/iiif/3/ark:%2F99999%2Ffk4-10000001-x%2Ff1/full/!240,240/0/"
          "default.jpg\"");
    CHECK(member(with, "manifest") ==
          "\"http://127.0.0.1:8080/iiif/3/ark:/99999/fk4-10000001-x/manifest\"");
    CHECK(member(with, "landing") ==
          "\"http://127.0.0.1:8080/object.html?manifest=http%3A%2F%2F127.0.0.1%3A8080%2Fiiif%2F3%2F"
          "ark%3A%2F99999%2Ffk4-10000001-x%2Fmanifest\"");
}

TEST_CASE(
    "public objects: an object's description is what its manifest says, without a manifest for a "
    "described one, with the institution it belongs to, a pending or unknown object is 404, a "
    "withdrawn one 410",
    "[public_routes]") {
    PublicSide side("description");
    iiif::ObjectRecord imaged = object_of(kImaged, 1, 1780000000);
    imaged.institution = "north";
    side.writer->put(imaged, {page_of(kImaged, 1)});
    iiif::ObjectRecord described = object_of(kDescribed, 0, 1780000060);
    described.metadata.provider = "Bibliothèque municipale de Lyon";
    described.metadata.origin =
        origin_of("bm-lyon", "https://collections.bm-lyon.example.org/ms-2");
    side.writer->put(described, {});
    iiifd::PublicRoutes routes = side.routes();

    auto answer = [&](const std::string& ark) {
        iiifd::HttpRequest request;
        request.matches = {"/api/v1/public/objects/" + ark, ark};
        iiifd::HttpResponse response;
        try {
            routes.object(request, response);
        } catch (const iiif::IiifError& error) {
            response.status = error.status;
        }
        return response;
    };
    const iiifd::HttpResponse found = answer(kDescribed);
    REQUIRE(found.status == 200);
    iiif::Json description(json_loads(found.body.c_str(), 0, nullptr));
    REQUIRE(description);
    // A record without an institution belongs to the home institution.
    CHECK(member(description.get(), "institution") == "\"main\"");
    iiif::Json without(json_deep_copy(description.get()));
    json_object_del(without.get(), "institution");
    CHECK(iiif::json_text(without.get()) ==
          iiif::object_description_v3(side.writer->publication(),
                                      *side.writer->reader().object(kDescribed)));
    CHECK(member(description.get(), "manifest") == "null");
    CHECK(member(description.get(), "requiredStatement") ==
          R"({"label":{"en":["Source"],"fr":["Source"]},)"
          R"("value":{"none":["Bibliothèque municipale de Lyon"]}})");
    CHECK(iiif::json_text(json_array_get(json_object_get(description.get(), "homepage"), 1)) ==
          R"({"id":"https://collections.bm-lyon.example.org/ms-2","type":"Text",)"
          R"("label":{"en":["Original at Bibliothèque municipale de Lyon"],)"
          R"("fr":["Original chez Bibliothèque municipale de Lyon"]},"format":"text/html"})");

    iiif::Json owned(json_loads(answer(kImaged).body.c_str(), 0, nullptr));
    CHECK(member(owned.get(), "manifest") ==
          "\"http://127.0.0.1:8080/iiif/3/ark:/99999/fk4-10000001-x/manifest\"");
    CHECK(member(owned.get(), "institution") == "\"north\"");

    CHECK(answer("ark:/99999/fk4-10000009-x").status == 404);
    CHECK(answer(kDescribed + "/f1").status == 404);
    iiif::ObjectRecord pending = object_of("ark:/99999/fk4-10000003-x", 0, 1780000070);
    pending.state = iiif::RecordState::pending;
    side.writer->put(pending, {});
    CHECK(answer(pending.ark).status == 404);
    iiif::ObjectRecord withdrawn = object_of("ark:/99999/fk4-10000004-x", 0, 1780000080);
    withdrawn.state = iiif::RecordState::withdrawn;
    side.writer->put(withdrawn, {});
    CHECK(answer(withdrawn.ark).status == 410);
}

TEST_CASE(
    "public sets: a partner's set is named after the partner, with its institution, their "
    "common parent is left out unless the configuration names it",
    "[public_routes]") {
    iiifd::Partner lyon;
    lyon.id = "bm-lyon";
    lyon.name = "BM Lyon";
    lyon.institution = "Bibliothèque municipale de Lyon";
    PublicSide side("sets", {lyon});
    side.writer->define_sets({{"maps", "Maps", ""}});
    auto put = [&](const std::string& ark, const std::string& set, std::int64_t created) {
        iiif::ObjectRecord record = object_of(ark, 0, created);
        record.metadata.sets = {set};
        side.writer->put(record, {});
    };
    put("ark:/99999/fk4-10000001-x", "partner:bm-lyon", 1780000000);
    put("ark:/99999/fk4-10000002-x", "partner:bm-lyon", 1780000010);
    put("ark:/99999/fk4-10000003-x", "partner:gone", 1780000020);
    put("ark:/99999/fk4-10000004-x", "maps", 1780000030);
    iiifd::PublicRoutes routes = side.routes();

    auto listed = [&] {
        iiifd::HttpRequest request;
        iiifd::HttpResponse response;
        routes.sets(request, response);
        REQUIRE(response.status == 200);
        iiif::Json answer(json_loads(response.body.c_str(), 0, nullptr));
        std::vector<std::string> sets;
        size_t i;
        json_t* set;
        json_array_foreach(json_object_get(answer.get(), "sets"), i, set) {
            sets.push_back(member(set, "spec") + " " + member(set, "name") + " " +
                           member(set, "description") + " " + member(set, "count"));
        }
        return sets;
    };
    // A partner no longer defined keeps its objects, in a set known by its spec only.
    CHECK(listed() == std::vector<std::string>{
                          R"("maps" "Maps" "" 1)",
                          R"("partner:bm-lyon" "BM Lyon" "Bibliothèque municipale de Lyon" 2)",
                          R"("partner:gone" "" "" 1)"});

    // Named by the configuration, the parent is listed, and a partner's set as the configuration
    // names it.
    side.writer->define_sets({{"maps", "Maps", ""},
                              {"partner", "Partners", "Harvested collections"},
                              {"partner:bm-lyon", "Lyon", ""}});
    CHECK(listed() == std::vector<std::string>{R"("maps" "Maps" "" 1)",
                                               R"("partner" "Partners" "Harvested collections" 3)",
                                               R"("partner:bm-lyon" "Lyon" "" 2)",
                                               R"("partner:gone" "" "" 1)"});
}
