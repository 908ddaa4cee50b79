// The list page's API (daemon/public_routes.cpp) over a real catalog, without HTTP: the card of an
// object with images and of a described one (no images).
#include <catch2/catch.hpp>
#include <string>

#include "catalog.hpp"
#include "catalog_fixtures.hpp"
#include "http_routes.hpp"
#include "json.hpp"

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

}  // namespace

TEST_CASE(
    "public objects: a described object's card has no thumbnail and no manifest, says it has "
    "no images, and leads to the partner's page",
    "[public_routes]") {
    auto writer = catalog_fixtures::open_writer(
        catalog_fixtures::catalog_path("public-routes-", "described"));
    iiif::PublicationSettings settings;
    settings.base_url = "http://127.0.0.1:8080";
    settings.institution = "Bibliothèque d'essai";
    settings.naan = "99999";
    writer->set_publication(settings);
    writer->put(object_of(kImaged, 1, 1780000000), {page_of(kImaged, 1)});
    iiif::ObjectRecord described = object_of(kDescribed, 0, 1780000060);
    iiif::ObjectOrigin origin;
    origin.partner = "bm-lyon";
    origin.base_url = "https://oai.bm-lyon.example.org/oai";
    origin.identifier = "oai:bm-lyon.example.org:ms-2";
    origin.datestamp = "2024-01-31";
    origin.metadata_namespace = "http://www.openarchives.org/OAI/2.0/oai_dc/";
    origin.harvested = 1780000050;
    origin.link = "https://collections.bm-lyon.example.org/ms-2";
    described.metadata.origin = origin;
    writer->put(described, {});

    iiifd::PublicRoutes routes(*writer);
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
