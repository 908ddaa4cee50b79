// IIIF Presentation documents: the addresses in them, manifests (3.0 and 2.1) made from an
// object's records (a harvested object's with its original at the partner), the document page's
// description, collections and their pages, the publication settings iiifd records, and validity
// against the IIIF Presentation 3.0 JSON Schema.
#include "presentation.hpp"
#include "presentation_schema.hpp"

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "catalog.hpp"
#include "iiif_error.hpp"
#include "image_service.hpp"
#include "test_images.hpp"

using namespace iiif;

namespace {

constexpr const char* kArk = "ark:/67375/39D-6W3GQPXD-V";
constexpr const char* kBase = "https://images.example.org";
// Where the manifest's canvases, annotation pages and annotations live.
const std::string kObject3 = std::string(kBase) + "/iiif/3/" + kArk;
const std::string kService3 = std::string(kBase) + "/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff";

PublicationSettings settings() {
    PublicationSettings settings;
    settings.base_url = kBase;
    settings.institution = "Bibliothèque municipale";
    settings.institution_homepage = "https://bm.example.org/";
    settings.naan = "67375";
    return settings;
}

ImageRecord page(int index, int width = 1000, int height = 500,
                 RecordState state = RecordState::active) {
    ImageRecord image;
    image.id = std::string(kArk) + "/f" + std::to_string(index);
    image.object = kArk;
    image.index = index;
    image.source.width = width;
    image.source.height = height;
    image.state = state;
    return image;
}

ObjectRecord object(const std::string& metadata_json = "{}") {
    ObjectRecord record;
    record.ark = kArk;
    record.metadata = parse_object_metadata(metadata_json);
    record.state = RecordState::active;
    return record;
}

struct JsonDecref {
    void operator()(json_t* value) const { json_decref(value); }
};
using Json = std::unique_ptr<json_t, JsonDecref>;

Json parse(const std::string& text) {
    json_error_t error;
    Json document(json_loadb(text.data(), text.size(), 0, &error));
    INFO(error.text);
    REQUIRE(document);
    return document;
}

// The value at a path of keys and indexes ("items/0/id"): a string as itself, anything else
// as compact JSON, and "(absent)" when there is nothing there.
std::string at(const std::string& text, const std::string& path) {
    Json document = parse(text);
    const json_t* value = document.get();
    std::stringstream segments(path);
    std::string segment;
    while (value && std::getline(segments, segment, '/')) {
        if (json_is_array(value))
            value = json_array_get(value, std::stoul(segment));
        else
            value = json_object_get(value, segment.c_str());
    }
    if (!value) return "(absent)";
    if (json_is_string(value)) return json_string_value(value);
    char* dumped = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    std::string out(dumped);
    free(dumped);
    return out;
}

size_t size_at(const std::string& text, const std::string& path) {
    Json document = parse(at(text, path));
    return json_array_size(document.get());
}

}  // namespace

// ---- Addresses -------------------------------------------------------------------------------

TEST_CASE("presentation: a manifest is at {base}{prefix}/{ARK as minted}/manifest",
          "[presentation]") {
    CHECK(manifest_url(settings(), ApiVersion::v3, kArk) ==
          "https://images.example.org/iiif/3/ark:/67375/39D-6W3GQPXD-V/manifest");
    CHECK(manifest_url(settings(), ApiVersion::v2, kArk) ==
          "https://images.example.org/iiif/2/ark:/67375/39D-6W3GQPXD-V/manifest");
}

TEST_CASE("presentation: an image service URL is its info.json id", "[presentation]") {
    CHECK(image_service_url(settings(), ApiVersion::v3, std::string(kArk) + "/f1") ==
          "https://images.example.org/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1");
    CHECK(image_service_url(settings(), ApiVersion::v2, std::string(kArk) + "/f12") ==
          "https://images.example.org/iiif/2/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff12");
    // The same encoding as the image service's (image_service.cpp), byte for byte.
    for (const char* id :
         {"ark:/67375/39D-6W3GQPXD-V/f1", "a b/c?d#e%f", "é", "A-z_0.9~x:y", "!*'()+,;=&$@[]"}) {
        INFO(id);
        CHECK(image_service_url(settings(), ApiVersion::v3, id) ==
              std::string(kBase) + "/iiif/3/" + encode_identifier(id));
    }
}

TEST_CASE("presentation: the ARK's URL is {base}/{ARK}", "[presentation]") {
    CHECK(ark_url(settings(), kArk) == "https://images.example.org/ark:/67375/39D-6W3GQPXD-V");
}

TEST_CASE("presentation: the landing page fills in the encoded ARK and manifest",
          "[presentation]") {
    PublicationSettings relative = settings();
    CHECK(landing_page_url(relative, kArk) ==
          "https://images.example.org/object.html?manifest="
          "https%3A%2F%2Fimages.example.org%2Fiiif%2F3%2Fark%3A%2F67375%2F39D-6W3GQPXD-V%2F"
          "manifest");
    PublicationSettings absolute = settings();
    absolute.landing_page = "https://viewer.example.net/view?id={ark}&m={manifest}&ark={ark}";
    CHECK(landing_page_url(absolute, kArk) ==
          "https://viewer.example.net/view?id=ark%3A%2F67375%2F39D-6W3GQPXD-V"
          "&m=https%3A%2F%2Fimages.example.org%2Fiiif%2F3%2Fark%3A%2F67375%2F39D-6W3GQPXD-V%2F"
          "manifest&ark=ark%3A%2F67375%2F39D-6W3GQPXD-V");
}

TEST_CASE("presentation: the OAI identifier defaults to the host of base_url, without port",
          "[presentation]") {
    PublicationSettings defaults = settings();
    defaults.base_url = "https://Images.Example.org:8443";
    CHECK(oai_identifier(defaults, kArk) == "oai:images.example.org:ark:/67375/39D-6W3GQPXD-V");
    PublicationSettings configured = settings();
    configured.oai_repository_identifier = "bm.example.org";
    CHECK(oai_identifier(configured, kArk) == "oai:bm.example.org:ark:/67375/39D-6W3GQPXD-V");
}

TEST_CASE("presentation: the OAI record is a GetRecord in oai_dc", "[presentation]") {
    CHECK(oai_record_url(settings(), kArk) ==
          "https://images.example.org/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier="
          "oai%3Aimages.example.org%3Aark%3A%2F67375%2F39D-6W3GQPXD-V");
}

TEST_CASE("presentation: collection URLs for the top, a set and a page", "[presentation]") {
    CHECK(collection_url(settings(), "") == "https://images.example.org/iiif/3/collection");
    CHECK(collection_url(settings(), "maps:france") ==
          "https://images.example.org/iiif/3/collection/maps:france");
    CHECK(collection_url(settings(), "maps", 3) ==
          "https://images.example.org/iiif/3/collection/maps/3");
}

// ---- Publication settings --------------------------------------------------------------------

TEST_CASE("presentation: publication settings round-trip through JSON", "[presentation]") {
    PublicationSettings full = settings();
    full.image_prefix_v3 = "/img/3";
    full.image_prefix_v2 = "/img/2";
    full.oai_path = "/api/oai";
    full.oai_repository_identifier = "bm.example.org";
    full.landing_page = "https://viewer.example.net/?m={manifest}";
    full.collection_page_size = 250;
    full.shoulders = {{"39D", "Maps", "cartography", "Scanned maps", "https://s.example.org/"},
                      {"48F", "Photos", "", "", ""}};
    full.ark_policy = "Persistent for ever.";
    full.global_resolver = "https://n2t.net/";
    const std::string text = publication_settings_to_json(full);
    CHECK(publication_settings_from_json(text) == full);
    CHECK(publication_settings_to_json(publication_settings_from_json(text)) == text);
    CHECK(publication_settings_from_json(publication_settings_to_json({})) ==
          PublicationSettings{});
}

TEST_CASE("presentation: settings missing from the JSON keep their defaults", "[presentation]") {
    PublicationSettings expected;
    expected.base_url = kBase;
    CHECK(publication_settings_from_json(R"({"base_url": "https://images.example.org"})") ==
          expected);
}

TEST_CASE("presentation: malformed publication settings are a 500 naming the field",
          "[presentation]") {
    auto reason = [](const std::string& text) -> std::string {
        try {
            publication_settings_from_json(text);
        } catch (const IiifError& error) {
            CHECK(error.status == 500);
            return error.reason;
        }
        return "";
    };
    CHECK(reason("[]") == "publication settings: document: expected a JSON object");
    CHECK(reason("{").starts_with("publication settings: document: not JSON"));
    CHECK(reason(R"({"base_url": 1})") == "publication settings: base_url: expected a string");
    CHECK(reason(R"({"collection_page_size": 0})") ==
          "publication settings: collection_page_size: expected a positive integer");
    CHECK(reason(R"({"shoulders": [{"name": 3}]})") ==
          "publication settings: shoulders[0].name: expected a string");
}

// ---- Presentation 3.0 manifests --------------------------------------------------------------

TEST_CASE("presentation: a one-page 3.0 manifest, in full", "[presentation]") {
    const std::string manifest = manifest_v3(
        settings(),
        object(R"({"title": [{"value": "Plan de Lyon", "lang": "fr"}], "creator": "Anonyme",
                   "license": "https://creativecommons.org/publicdomain/mark/1.0/"})"),
        {page(1, 1000, 500)});
    CHECK(
        manifest ==
        R"({"@context":"http://iiif.io/api/presentation/3/context.json",)"
        R"("id":"https://images.example.org/iiif/3/ark:/67375/39D-6W3GQPXD-V/manifest",)"
        R"("type":"Manifest","label":{"fr":["Plan de Lyon"]},)"
        R"("metadata":[{"label":{"en":["Title"],"fr":["Titre"]},"value":{"fr":["Plan de Lyon"]}},)"
        R"({"label":{"en":["Creator"],"fr":["Créateur"]},"value":{"none":["Anonyme"]}}],)"
        R"("requiredStatement":{"label":{"en":["Source"],"fr":["Source"]},)"
        R"("value":{"none":["Bibliothèque municipale"]}},)"
        R"("rights":"http://creativecommons.org/publicdomain/mark/1.0/",)"
        R"("provider":[{"id":"https://bm.example.org/","type":"Agent",)"
        R"("label":{"none":["Bibliothèque municipale"]},)"
        R"("homepage":[{"id":"https://bm.example.org/","type":"Text",)"
        R"("label":{"none":["Bibliothèque municipale"]},"format":"text/html"}]}],)"
        R"("homepage":[{"id":"https://images.example.org/ark:/67375/39D-6W3GQPXD-V",)"
        R"("type":"Text","label":{"fr":["Plan de Lyon"]},"format":"text/html"}],)"
        R"("seeAlso":[{"id":"https://images.example.org/oai?verb=GetRecord&metadataPrefix=oai_dc)"
        R"(&identifier=oai%3Aimages.example.org%3Aark%3A%2F67375%2F39D-6W3GQPXD-V",)"
        R"("type":"Dataset","format":"text/xml",)"
        R"("profile":"http://www.openarchives.org/OAI/2.0/oai_dc/"}],)"
        R"("thumbnail":[{"id":"https://images.example.org/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1)"
        R"(/full/200,100/0/default.jpg","type":"Image","format":"image/jpeg",)"
        R"("width":200,"height":100,"service":[{"id":)"
        R"("https://images.example.org/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1",)"
        R"("type":"ImageService3","profile":"level2"}]}],)"
        R"("items":[{"id":"https://images.example.org/iiif/3/ark:/67375/39D-6W3GQPXD-V/canvas/f1",)"
        R"("type":"Canvas","label":{"none":["1"]},"width":1000,"height":500,)"
        R"("thumbnail":[{"id":"https://images.example.org/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1)"
        R"(/full/200,100/0/default.jpg","type":"Image","format":"image/jpeg",)"
        R"("width":200,"height":100,"service":[{"id":)"
        R"("https://images.example.org/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1",)"
        R"("type":"ImageService3","profile":"level2"}]}],)"
        R"("items":[{"id":"https://images.example.org/iiif/3/ark:/67375/39D-6W3GQPXD-V/page/f1",)"
        R"("type":"AnnotationPage","items":[{"id":)"
        R"("https://images.example.org/iiif/3/ark:/67375/39D-6W3GQPXD-V/annotation/f1",)"
        R"("type":"Annotation","motivation":"painting","body":{"id":)"
        R"("https://images.example.org/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1)"
        R"(/full/max/0/default.jpg","type":"Image","format":"image/jpeg",)"
        R"("width":1000,"height":500,"service":[{"id":)"
        R"("https://images.example.org/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1",)"
        R"("type":"ImageService3","profile":"level2"}]},)"
        R"("target":"https://images.example.org/iiif/3/ark:/67375/39D-6W3GQPXD-V/canvas/f1"}]}]}]})");
}

TEST_CASE("presentation: one canvas per page, named by the page number", "[presentation]") {
    const std::string manifest =
        manifest_v3(settings(), object(), {page(1), page(2, 300, 400), page(3)});
    REQUIRE(size_at(manifest, "items") == 3);
    CHECK(at(manifest, "items/1/id") == kObject3 + "/canvas/f2");
    CHECK(at(manifest, "items/1/label") == R"({"none":["2"]})");
    CHECK(at(manifest, "items/1/width") == "300");
    CHECK(at(manifest, "items/1/height") == "400");
    CHECK(at(manifest, "items/1/items/0/id") == kObject3 + "/page/f2");
    CHECK(at(manifest, "items/1/items/0/items/0/id") == kObject3 + "/annotation/f2");
    CHECK(at(manifest, "items/1/items/0/items/0/target") == kObject3 + "/canvas/f2");
    CHECK(at(manifest, "items/1/items/0/items/0/body/id") ==
          kService3 + "2/full/max/0/default.jpg");
    CHECK(at(manifest, "items/1/items/0/items/0/body/service/0/id") ==
          image_service_url(settings(), ApiVersion::v3, std::string(kArk) + "/f2"));
    CHECK(at(manifest, "items/2/id") == kObject3 + "/canvas/f3");
}

TEST_CASE("presentation: the thumbnail fits 200x200 and is never upscaled", "[presentation]") {
    auto thumbnail = [](int width, int height) {
        const std::string manifest =
            manifest_v3(settings(), object(), {page(1, width, height), page(2, 9000, 9000)});
        return at(manifest, "thumbnail/0/id") + " " + at(manifest, "thumbnail/0/width") + "x" +
               at(manifest, "thumbnail/0/height");
    };
    CHECK(thumbnail(1000, 500) == kService3 + "1/full/200,100/0/default.jpg 200x100");
    CHECK(thumbnail(500, 1000) == kService3 + "1/full/100,200/0/default.jpg 100x200");
    CHECK(thumbnail(3000, 2001) == kService3 + "1/full/200,133/0/default.jpg 200x133");
    CHECK(thumbnail(150, 100) == kService3 + "1/full/150,100/0/default.jpg 150x100");
    CHECK(thumbnail(5000, 10) == kService3 + "1/full/200,1/0/default.jpg 200x1");
}

TEST_CASE("presentation: the label is the titles as a language map", "[presentation]") {
    CHECK(at(manifest_v3(settings(), object(R"({"title": [{"value": "Carte", "lang": "fr"},
                                              {"value": "Map", "lang": "en"},
                                              {"value": "Plan", "lang": "fr"}, "Mappa"]})"),
                         {page(1)}),
             "label") == R"({"fr":["Carte","Plan"],"en":["Map"],"none":["Mappa"]})");
}

TEST_CASE("presentation: without a title the label is the ARK", "[presentation]") {
    CHECK(at(manifest_v3(settings(), object(), {page(1)}), "label") ==
          R"({"none":["ark:/67375/39D-6W3GQPXD-V"]})");
}

TEST_CASE("presentation: metadata lists the elements in DCMES order, named in en and fr",
          "[presentation]") {
    const std::string manifest =
        manifest_v3(settings(), object(R"({"rights": "Domaine public", "date": "1750",
                   "subject": [{"value": "cartographie", "lang": "fr"}, {"value": "maps", "lang": "en"}],
                   "publisher": "Académie", "identifier": "MS 12"})"),
                    {page(1)});
    CHECK(
        at(manifest, "metadata") ==
        R"([{"label":{"en":["Subject"],"fr":["Sujet"]},"value":{"fr":["cartographie"],"en":["maps"]}},)"
        R"({"label":{"en":["Publisher"],"fr":["Éditeur"]},"value":{"none":["Académie"]}},)"
        R"({"label":{"en":["Date"],"fr":["Date"]},"value":{"none":["1750"]}},)"
        R"({"label":{"en":["Identifier"],"fr":["Identifiant"]},"value":{"none":["MS 12"]}},)"
        R"({"label":{"en":["Rights"],"fr":["Droits"]},"value":{"none":["Domaine public"]}}])");
    CHECK(at(manifest_v3(settings(), object(), {page(1)}), "metadata") == "(absent)");
}

TEST_CASE("presentation: the summary is the description", "[presentation]") {
    CHECK(at(manifest_v3(settings(),
                         object(R"({"description": [{"value": "Un plan", "lang": "fr"}]})"),
                         {page(1)}),
             "summary") == R"({"fr":["Un plan"]})");
    CHECK(at(manifest_v3(settings(), object(), {page(1)}), "summary") == "(absent)");
}

TEST_CASE("presentation: the required statement names the holding institution", "[presentation]") {
    CHECK(at(manifest_v3(settings(), object(R"({"provider": "Archives de Lyon"})"), {page(1)}),
             "requiredStatement") ==
          R"({"label":{"en":["Source"],"fr":["Source"]},"value":{"none":["Archives de Lyon"]}})");
    // Without a provider in the metadata, the platform's institution holds it.
    CHECK(at(manifest_v3(settings(), object(), {page(1)}), "requiredStatement/value") ==
          R"({"none":["Bibliothèque municipale"]})");
    PublicationSettings anonymous = settings();
    anonymous.institution.clear();
    CHECK(at(manifest_v3(anonymous, object(), {page(1)}), "requiredStatement") == "(absent)");
    CHECK(at(manifest_v3(anonymous, object(), {page(1)}), "provider") == "(absent)");
}

TEST_CASE("presentation: the provider's homepage is the platform institution's only",
          "[presentation]") {
    CHECK(at(manifest_v3(settings(), object(), {page(1)}), "provider/0/id") ==
          "https://bm.example.org/");
    const std::string other =
        manifest_v3(settings(), object(R"({"provider": "Archives de Lyon"})"), {page(1)});
    CHECK(at(other, "provider") ==
          R"([{"id":"https://images.example.org/#provider-Archives%20de%20Lyon",)"
          R"("type":"Agent","label":{"none":["Archives de Lyon"]}}])");
}

TEST_CASE("presentation: rights is the licence, in the http form the schema requires",
          "[presentation]") {
    auto rights = [](const std::string& license) {
        return at(
            manifest_v3(settings(), object(R"({"license": ")" + license + R"("})"), {page(1)}),
            "rights");
    };
    CHECK(rights("https://creativecommons.org/licenses/by/4.0/") ==
          "http://creativecommons.org/licenses/by/4.0/");
    CHECK(rights("http://creativecommons.org/licenses/by-nc-sa/3.0/fr/") ==
          "http://creativecommons.org/licenses/by-nc-sa/3.0/fr/");
    CHECK(rights("https://rightsstatements.org/vocab/InC/1.0/") ==
          "http://rightsstatements.org/vocab/InC/1.0/");
    CHECK(at(manifest_v3(settings(), object(), {page(1)}), "rights") == "(absent)");
}

TEST_CASE("presentation: the homepage is the ARK and seeAlso the OAI record", "[presentation]") {
    const std::string manifest = manifest_v3(settings(), object(R"({"title": "Plan"})"), {page(1)});
    CHECK(at(manifest, "homepage") ==
          R"([{"id":"https://images.example.org/ark:/67375/39D-6W3GQPXD-V","type":"Text",)"
          R"("label":{"none":["Plan"]},"format":"text/html"}])");
    CHECK(at(manifest, "seeAlso/0/id") == oai_record_url(settings(), kArk));
    CHECK(at(manifest, "seeAlso/0/type") == "Dataset");
    CHECK(at(manifest, "seeAlso/0/profile") == "http://www.openarchives.org/OAI/2.0/oai_dc/");
}

TEST_CASE("presentation: behavior and viewingDirection only when the metadata has them",
          "[presentation]") {
    const std::string plain = manifest_v3(settings(), object(), {page(1)});
    CHECK(at(plain, "behavior") == "(absent)");
    CHECK(at(plain, "viewingDirection") == "(absent)");
    const std::string book = manifest_v3(
        settings(),
        object(R"({"behavior": ["paged", "no-repeat"], "viewingDirection": "right-to-left"})"),
        {page(1)});
    CHECK(at(book, "behavior") == R"(["paged","no-repeat"])");
    CHECK(at(book, "viewingDirection") == "right-to-left");
}

TEST_CASE("presentation: pending and withdrawn pages are left out", "[presentation]") {
    const std::string manifest =
        manifest_v3(settings(), object(),
                    {page(1, 1000, 500, RecordState::withdrawn), page(2, 400, 400),
                     page(3, 1000, 500, RecordState::pending), page(4)});
    REQUIRE(size_at(manifest, "items") == 2);
    CHECK(at(manifest, "items/0/id") == kObject3 + "/canvas/f2");
    CHECK(at(manifest, "items/1/id") == kObject3 + "/canvas/f4");
    CHECK(at(manifest, "thumbnail/0/id") == kService3 + "2/full/200,200/0/default.jpg");
    const std::string v2 =
        manifest_v2(settings(), object(), {page(1, 1000, 500, RecordState::withdrawn), page(2)});
    CHECK(size_at(v2, "sequences/0/canvases") == 1);
}

// ---- A harvested object: its holding institution and the original at the partner -------------

namespace {

constexpr const char* kOriginal = "https://collections.bm-lyon.example.org/ms-2";

// An object harvested from the partner bm-lyon, as HarvestObjects makes it: the partner's
// institution as provider, its set, and where the record came from; `link` its page there.
ObjectRecord harvested(const std::string& link = kOriginal) {
    ObjectRecord record = object(R"({"title": [{"value": "Livre d'heures", "lang": "fr"}],
        "description": "Enluminures", "provider": "Bibliothèque municipale de Lyon",
        "sets": ["partner:bm-lyon"],
        "license": "https://creativecommons.org/licenses/by-nc-nd/4.0/"})");
    ObjectOrigin origin;
    origin.partner = "bm-lyon";
    origin.base_url = "https://oai.bm-lyon.example.org/oai";
    origin.identifier = "oai:bm-lyon.example.org:ms-2";
    origin.datestamp = "2024-01-31";
    origin.metadata_namespace = "http://www.openarchives.org/OAI/2.0/oai_dc/";
    origin.harvested = 1780000050;
    origin.link = link;
    record.metadata.origin = origin;
    return record;
}

}  // namespace

TEST_CASE("presentation: a harvested object's original is its second homepage, at its institution",
          "[presentation]") {
    const std::string manifest = manifest_v3(settings(), harvested(), {page(1)});
    CHECK(at(manifest, "homepage") ==
          R"([{"id":"https://images.example.org/ark:/67375/39D-6W3GQPXD-V","type":"Text",)"
          R"("label":{"fr":["Livre d'heures"]},"format":"text/html"},)"
          R"({"id":"https://collections.bm-lyon.example.org/ms-2","type":"Text",)"
          R"("label":{"en":["Original at Bibliothèque municipale de Lyon"],)"
          R"("fr":["Original chez Bibliothèque municipale de Lyon"]},"format":"text/html"}])");
    // The source mention and the provider are the partner's holding institution.
    CHECK(at(manifest, "requiredStatement") ==
          R"({"label":{"en":["Source"],"fr":["Source"]},)"
          R"("value":{"none":["Bibliothèque municipale de Lyon"]}})");
    CHECK(at(manifest, "provider/0/label") == R"({"none":["Bibliothèque municipale de Lyon"]})");
    CHECK(at(manifest, "rights") == "http://creativecommons.org/licenses/by-nc-nd/4.0/");
}

TEST_CASE("presentation: without a page at the partner, the homepage is the ARK alone",
          "[presentation]") {
    const std::string manifest = manifest_v3(settings(), harvested(""), {page(1)});
    CHECK(size_at(manifest, "homepage") == 1);
    CHECK(at(manifest, "homepage/0/id") == "https://images.example.org/ark:/67375/39D-6W3GQPXD-V");
    CHECK(at(manifest_v2(settings(), harvested(""), {page(1)}), "related") ==
          R"({"@id":"https://images.example.org/ark:/67375/39D-6W3GQPXD-V","format":"text/html"})");
}

TEST_CASE("presentation: the original of an object harvested without a holding institution",
          "[presentation]") {
    PublicationSettings anonymous = settings();
    anonymous.institution.clear();
    ObjectRecord record = harvested();
    record.metadata.provider.clear();
    CHECK(at(manifest_v3(anonymous, record, {page(1)}), "homepage/1/label") ==
          R"({"en":["Original"],"fr":["Original"]})");
}

// ---- Presentation 2.1 manifests --------------------------------------------------------------

TEST_CASE("presentation: a 2.1 manifest has the sc:Manifest structure", "[presentation]") {
    const std::string manifest = manifest_v2(
        settings(),
        object(R"({"title": [{"value": "Carte", "lang": "fr"}, {"value": "Map", "lang": "en"}],
                   "creator": "Cassini", "description": [{"value": "Une carte", "lang": "fr"}],
                   "license": "https://creativecommons.org/licenses/by/4.0/",
                   "behavior": ["individuals"], "viewingDirection": "left-to-right"})"),
        {page(1, 1000, 500), page(2)});
    const std::string object2 = std::string(kBase) + "/iiif/2/" + kArk;
    const std::string service2 = std::string(kBase) + "/iiif/2/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff";
    CHECK(at(manifest, "@context") == "http://iiif.io/api/presentation/2/context.json");
    CHECK(at(manifest, "@id") == object2 + "/manifest");
    CHECK(at(manifest, "@type") == "sc:Manifest");
    CHECK(at(manifest, "label") == "Carte");
    CHECK(
        at(manifest, "metadata/1") ==
        R"({"label":[{"@value":"Creator","@language":"en"},{"@value":"Créateur","@language":"fr"}],)"
        R"("value":"Cassini"})");
    CHECK(at(manifest, "metadata/0/value") ==
          R"([{"@value":"Carte","@language":"fr"},{"@value":"Map","@language":"en"}])");
    CHECK(at(manifest, "description") == R"([{"@value":"Une carte","@language":"fr"}])");
    CHECK(at(manifest, "attribution") == "Bibliothèque municipale");
    CHECK(at(manifest, "license") == "http://creativecommons.org/licenses/by/4.0/");
    CHECK(at(manifest, "related") ==
          R"({"@id":"https://images.example.org/ark:/67375/39D-6W3GQPXD-V","format":"text/html"})");
    CHECK(at(manifest, "seeAlso/@id") == oai_record_url(settings(), kArk));
    CHECK(at(manifest, "seeAlso/format") == "text/xml");
    CHECK(at(manifest, "seeAlso/profile") == "http://www.openarchives.org/OAI/2.0/oai_dc/");
    CHECK(at(manifest, "thumbnail/@id") == service2 + "1/full/200,100/0/default.jpg");
    CHECK(at(manifest, "thumbnail/service") ==
          R"({"@context":"http://iiif.io/api/image/2/context.json","@id":)"
          R"("https://images.example.org/iiif/2/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1",)"
          R"("profile":"http://iiif.io/api/image/2/level2.json"})");
    CHECK(at(manifest, "viewingDirection") == "left-to-right");
    CHECK(at(manifest, "viewingHint") == "individuals");

    CHECK(at(manifest, "sequences/0/@type") == "sc:Sequence");
    REQUIRE(size_at(manifest, "sequences/0/canvases") == 2);
    const std::string canvas = at(manifest, "sequences/0/canvases/1");
    CHECK(at(canvas, "@id") == object2 + "/canvas/f2");
    CHECK(at(canvas, "@type") == "sc:Canvas");
    CHECK(at(canvas, "label") == "2");
    CHECK(at(canvas, "width") == "1000");
    CHECK(at(canvas, "height") == "500");
    CHECK(at(canvas, "images/0/@type") == "oa:Annotation");
    CHECK(at(canvas, "images/0/motivation") == "sc:painting");
    CHECK(at(canvas, "images/0/on") == object2 + "/canvas/f2");
    CHECK(
        at(canvas, "images/0/resource") ==
        R"({"@id":"https://images.example.org/iiif/2/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff2)"
        R"(/full/full/0/default.jpg","@type":"dctypes:Image","format":"image/jpeg",)"
        R"("width":1000,"height":500,"service":{"@context":"http://iiif.io/api/image/2/context.json",)"
        R"("@id":"https://images.example.org/iiif/2/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff2",)"
        R"("profile":"http://iiif.io/api/image/2/level2.json"}})");
}

TEST_CASE("presentation: a 2.1 manifest relates the original after the ARK", "[presentation]") {
    const std::string manifest = manifest_v2(settings(), harvested(), {page(1)});
    CHECK(at(manifest, "related") ==
          R"([{"@id":"https://images.example.org/ark:/67375/39D-6W3GQPXD-V","format":"text/html"},)"
          R"({"@id":"https://collections.bm-lyon.example.org/ms-2",)"
          R"("label":[{"@value":"Original at Bibliothèque municipale de Lyon","@language":"en"},)"
          R"({"@value":"Original chez Bibliothèque municipale de Lyon","@language":"fr"}],)"
          R"("format":"text/html"}])");
    CHECK(at(manifest, "attribution") == "Bibliothèque municipale de Lyon");
    CHECK(at(manifest, "license") == "http://creativecommons.org/licenses/by-nc-nd/4.0/");
}

TEST_CASE("presentation: a 2.1 manifest without a title is labelled with the ARK",
          "[presentation]") {
    const std::string manifest = manifest_v2(settings(), object(), {page(1)});
    CHECK(at(manifest, "label") == kArk);
    CHECK(at(manifest, "viewingHint") == "(absent)");
    CHECK(at(manifest, "license") == "(absent)");
}

// ---- The document page's description -----------------------------------------------------------

TEST_CASE("presentation: a described object's description is its would-be manifest's, without one",
          "[presentation]") {
    ObjectRecord described = harvested();  // no images: described
    REQUIRE(is_described(described));
    const std::string description = object_description_v3(settings(), described);
    CHECK(at(description, "manifest") == "null");
    CHECK(at(description, "@context") == "(absent)");
    CHECK(at(description, "type") == "(absent)");
    CHECK(at(description, "items") == "(absent)");
    CHECK(at(description, "homepage/1/id") == kOriginal);
    // Every other member is what a manifest of the same object says, in the same order.
    Json document = parse(description);
    Json manifest = parse(manifest_v3(settings(), described, {page(1)}));
    std::vector<std::string> keys;
    const char* key;
    json_t* value;
    json_object_foreach(document.get(), key, value) {
        keys.emplace_back(key);
        if (keys.size() == 1) continue;
        INFO(key);
        CHECK(json_equal(value, json_object_get(manifest.get(), key)));
    }
    CHECK(keys == std::vector<std::string>{"manifest", "label", "metadata", "summary",
                                           "requiredStatement", "rights", "provider", "homepage",
                                           "seeAlso"});
}

TEST_CASE("presentation: an object with pages names its manifest in its description",
          "[presentation]") {
    ObjectRecord record = harvested();
    record.images = {std::string(kArk) + "/f1"};
    CHECK(at(object_description_v3(settings(), record), "manifest") ==
          "https://images.example.org/iiif/3/ark:/67375/39D-6W3GQPXD-V/manifest");
}

// ---- Collections -----------------------------------------------------------------------------

TEST_CASE("presentation: a collection item refers to the 3.0 manifest", "[presentation]") {
    const ImageRecord first = page(1, 1000, 500);
    CHECK(collection_item_v3(settings(), object(R"({"title": "Plan"})"), &first) ==
          R"({"id":"https://images.example.org/iiif/3/ark:/67375/39D-6W3GQPXD-V/manifest",)"
          R"("type":"Manifest","label":{"none":["Plan"]},)"
          R"("thumbnail":[{"id":"https://images.example.org/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V)"
          R"(%2Ff1/full/200,100/0/default.jpg","type":"Image","format":"image/jpeg",)"
          R"("width":200,"height":100,"service":[{"id":)"
          R"("https://images.example.org/iiif/3/ark:%2F67375%2F39D-6W3GQPXD-V%2Ff1",)"
          R"("type":"ImageService3","profile":"level2"}]}]})");
    CHECK(collection_item_v3(settings(), object(), nullptr) ==
          R"({"id":"https://images.example.org/iiif/3/ark:/67375/39D-6W3GQPXD-V/manifest",)"
          R"("type":"Manifest","label":{"none":["ark:/67375/39D-6W3GQPXD-V"]}})");
}

TEST_CASE("presentation: an empty set is one collection with no items", "[presentation]") {
    std::vector<CollectionDocument> documents = collection_documents_v3(settings(), "maps", {}, {});
    REQUIRE(documents.size() == 1);
    CHECK(documents[0].page == 0);
    CHECK(documents[0].body ==
          R"({"@context":"http://iiif.io/api/presentation/3/context.json",)"
          R"("id":"https://images.example.org/iiif/3/collection/maps","type":"Collection",)"
          R"("label":{"none":["maps"]},"items":[]})");
}

TEST_CASE("presentation: a set within the page size is one document, subsets first",
          "[presentation]") {
    const std::vector<std::string> items = {R"({"id":"https://a.example/m1","type":"Manifest"})",
                                            R"({"id":"https://a.example/m2","type":"Manifest"})"};
    std::vector<CollectionDocument> documents =
        collection_documents_v3(settings(), "maps", {"maps:france"}, items);
    REQUIRE(documents.size() == 1);
    CHECK(
        at(documents[0].body, "items") ==
        R"([{"id":"https://images.example.org/iiif/3/collection/maps:france","type":"Collection",)"
        R"("label":{"none":["maps:france"]}},)"
        R"({"id":"https://a.example/m1","type":"Manifest"},)"
        R"({"id":"https://a.example/m2","type":"Manifest"}])");
}

TEST_CASE("presentation: a set over the page size lists its pages, each a collection",
          "[presentation]") {
    PublicationSettings paged = settings();
    paged.collection_page_size = 2;
    std::vector<std::string> items;
    for (int i = 1; i <= 5; ++i)
        items.push_back(R"({"id":"https://a.example/m)" + std::to_string(i) +
                        R"(","type":"Manifest"})");
    std::vector<CollectionDocument> documents =
        collection_documents_v3(paged, "maps", {"maps:france"}, items);
    REQUIRE(documents.size() == 4);

    const std::string set = documents[0].body;
    CHECK(documents[0].page == 0);
    CHECK(at(set, "id") == "https://images.example.org/iiif/3/collection/maps");
    REQUIRE(size_at(set, "items") == 4);
    CHECK(at(set, "items/0/id") == "https://images.example.org/iiif/3/collection/maps:france");
    CHECK(at(set, "items/1") ==
          R"({"id":"https://images.example.org/iiif/3/collection/maps/1","type":"Collection",)"
          R"j("label":{"none":["maps (1/3)"]}})j");
    CHECK(at(set, "items/3/label") == R"j({"none":["maps (3/3)"]})j");

    CHECK(documents[1].page == 1);
    CHECK(at(documents[1].body, "items") == R"([{"id":"https://a.example/m1","type":"Manifest"},)"
                                            R"({"id":"https://a.example/m2","type":"Manifest"}])");
    CHECK(documents[3].page == 3);
    CHECK(documents[3].body ==
          R"({"@context":"http://iiif.io/api/presentation/3/context.json",)"
          R"("id":"https://images.example.org/iiif/3/collection/maps/3","type":"Collection",)"
          R"j("label":{"none":["maps (3/3)"]},)j"
          R"("items":[{"id":"https://a.example/m5","type":"Manifest"}],)"
          R"("partOf":[{"id":"https://images.example.org/iiif/3/collection/maps",)"
          R"("type":"Collection","label":{"none":["maps"]}}]})");
}

TEST_CASE("presentation: the top collection is labelled in English and French", "[presentation]") {
    std::vector<CollectionDocument> documents =
        collection_documents_v3(settings(), "", {"maps", "photos"}, {});
    REQUIRE(documents.size() == 1);
    CHECK(documents[0].body ==
          R"({"@context":"http://iiif.io/api/presentation/3/context.json",)"
          R"("id":"https://images.example.org/iiif/3/collection","type":"Collection",)"
          R"("label":{"en":["All collections"],"fr":["Toutes les collections"]},)"
          R"("items":[{"id":"https://images.example.org/iiif/3/collection/maps",)"
          R"("type":"Collection","label":{"none":["maps"]}},)"
          R"({"id":"https://images.example.org/iiif/3/collection/photos",)"
          R"("type":"Collection","label":{"none":["photos"]}}]})");

    PublicationSettings paged = settings();
    paged.collection_page_size = 1;
    std::vector<CollectionDocument> pages =
        collection_documents_v3(paged, "", {},
                                {R"({"id":"https://a.example/m1","type":"Manifest"})",
                                 R"({"id":"https://a.example/m2","type":"Manifest"})"});
    REQUIRE(pages.size() == 3);
    CHECK(at(pages[2].body, "label") ==
          R"j({"en":["All collections (2/2)"],"fr":["Toutes les collections (2/2)"]})j");
    CHECK(at(pages[2].body, "id") == "https://images.example.org/iiif/3/collection/2");
}

// ---- Validity against the IIIF Presentation 3.0 schema ---------------------------------------

namespace {

using presentation_schema::kSchema;
using presentation_schema::validate;
using presentation_schema::write_document;

ObjectRecord described_object() {
    return object(R"({
        "title": [{"value": "Atlas de Trudaine", "lang": "fr"}, {"value": "Trudaine atlas", "lang": "en"}],
        "creator": "Trudaine, Daniel-Charles", "date": "1745-1780",
        "description": [{"value": "Routes royales", "lang": "fr"}], "type": "Image",
        "rights": "Domaine public", "provider": "Archives nationales",
        "license": "https://rightsstatements.org/vocab/NoC-US/1.0/",
        "behavior": ["paged", "auto-advance"], "viewingDirection": "left-to-right"})");
}

}  // namespace

TEST_CASE("presentation: manifests and collections are valid against the 3.0 schema",
          "[presentation][schema]") {
    REQUIRE(std::filesystem::exists(kSchema));
    std::vector<ImageRecord> book;
    for (int i = 1; i <= 500; ++i) book.push_back(page(i, 2000 + i, 3000 - i));
    PublicationSettings paged = settings();
    paged.collection_page_size = 2;
    std::vector<std::string> items;
    for (int i = 1; i <= 5; ++i)
        items.push_back(collection_item_v3(settings(), described_object(), &book[i]));
    items.push_back(collection_item_v3(settings(), object(), nullptr));

    std::vector<std::string> paths = {
        write_document("one-page.json", manifest_v3(settings(), described_object(), {page(1)})),
        write_document("untitled.json", manifest_v3(settings(), object(), {page(1, 120, 80)})),
        write_document("book.json", manifest_v3(settings(), described_object(), book))};
    for (const CollectionDocument& document :
         collection_documents_v3(paged, "maps", {"maps:france"}, items))
        paths.push_back(
            write_document("maps-" + std::to_string(document.page) + ".json", document.body));
    for (const CollectionDocument& document :
         collection_documents_v3(settings(), "", {"maps", "photos"}, {}))
        paths.push_back(write_document("top.json", document.body));
    paths.push_back(write_document(
        "empty.json", collection_documents_v3(settings(), "photos", {}, {}).front().body));
    CHECK(paths.size() == 9);
    CHECK(validate(paths) == 0);
}

TEST_CASE("presentation: a harvested object's manifest is valid against the 3.0 schema",
          "[presentation][schema]") {
    REQUIRE(std::filesystem::exists(kSchema));
    CHECK(validate(
              {write_document("harvested.json", manifest_v3(settings(), harvested(), {page(1)})),
               write_document("harvested-unlinked.json",
                              manifest_v3(settings(), harvested(""), {page(1), page(2)}))}) == 0);
}

TEST_CASE("presentation: the schema check fails a broken manifest", "[presentation][schema]") {
    Json manifest = parse(manifest_v3(settings(), described_object(), {page(1)}));
    json_object_del(manifest.get(), "items");
    char* without_items = json_dumps(manifest.get(), JSON_COMPACT);
    const std::string path = write_document("no-items.json", without_items);
    free(without_items);
    CHECK(validate({path}) == 1);

    // The schema wants the http:// form of a Creative Commons URI, hence the manifest's rewrite.
    Json https_rights = parse(manifest_v3(settings(), described_object(), {page(1)}));
    json_object_set_new(https_rights.get(), "rights",
                        json_string("https://creativecommons.org/licenses/by/4.0/"));
    char* text = json_dumps(https_rights.get(), JSON_COMPACT);
    const std::string rights_path = write_document("https-rights.json", text);
    free(text);
    CHECK(validate({rights_path}) == 1);
}

TEST_CASE("presentation: a page under a controlled policy declares its Auth 2.0 services",
          "[presentation]") {
    AccessSettings access;
    AccessPolicy readers;
    readers.name = "readers";
    readers.kind = PolicyKind::token;
    access.policies = {readers};
    access.auth_base_url = std::string(kBase) + "/auth";
    ImageRecord controlled = page(1);
    controlled.policy = "readers";
    ImageRecord open = page(2);
    const std::string manifest = manifest_v3(settings(), object(), {controlled, open}, &access);

    const std::string body = "items/0/items/0/items/0/body/";
    CHECK(size_at(manifest, body + "service") == 2);
    CHECK(at(manifest, body + "service/0/type") == "ImageService3");
    CHECK(at(manifest, body + "service/1/type") == "AuthProbeService2");
    CHECK(at(manifest, body + "service/1/id") == kService3 + "1/probe");
    CHECK(at(manifest, body + "service/1/service/0/type") == "AuthAccessService2");
    CHECK(at(manifest, body + "service/1/service/0/profile") == "active");
    CHECK(at(manifest, body + "service/1/service/0/id") == std::string(kBase) + "/auth/login");
    CHECK(at(manifest, "thumbnail/0/service/1/type") == "AuthProbeService2");
    CHECK(size_at(manifest, "items/1/items/0/items/0/body/service") == 1);
    CHECK(presentation_schema::validate(
              {presentation_schema::write_document("controlled-manifest.json", manifest)}) == 0);

    const std::string v2 = manifest_v2(settings(), object(), {controlled, open}, &access);
    const std::string resource = "sequences/0/canvases/0/images/0/resource/";
    CHECK(at(v2, resource + "service/0/profile") == "http://iiif.io/api/image/2/level2.json");
    CHECK(at(v2, resource + "service/1/type") == "AuthProbeService2");
    CHECK(at(v2, "sequences/0/canvases/1/images/0/resource/service/profile") ==
          "http://iiif.io/api/image/2/level2.json");

    // Without access settings (or for public pages) nothing changes.
    CHECK(manifest_v3(settings(), object(), {controlled, open}) ==
          manifest_v3(settings(), object(), {page(1), open}));
}

// ---- Books: page labels, a table of contents, the pages' thumbnails ----------------------------

namespace {

// A book of four pages shown in the order f3, f1, f4 (f2 taken out), labelled, with a
// two-level table of contents.
struct Book {
    ObjectRecord record = object(R"({"title": "Livre d'heures", "shelfmark": "Ms. 1234",
                                     "behavior": ["paged"], "viewingDirection": "left-to-right"})");
    std::vector<ImageRecord> pages;
    Book() {
        for (int n : {3, 1, 4}) {
            ImageRecord shown = page(n, 1000, 1400);
            shown.label = n == 3 ? "f. 1r" : n == 1 ? "f. 1v" : "";
            pages.push_back(shown);
        }
        record.structures = {
            PageRange{"Calendar", {"f3"}, {PageRange{"January", {"f1"}, {}}}},
            PageRange{"Hours of the Virgin", {"f4", "f2"}, {}},
            PageRange{"Lost leaves", {"f2"}, {}}};
    }
};

}  // namespace

TEST_CASE("presentation: a book's canvases carry their labels and thumbnails, its table of "
          "contents its ranges",
          "[presentation]") {
    const Book book;
    const std::string v3 = manifest_v3(settings(), book.record, book.pages);
    const std::string canvas = std::string(kBase) + "/iiif/3/" + std::string(kArk) + "/canvas/";
    CHECK(at(v3, "items/0/id") == canvas + "f3");
    CHECK(at(v3, "items/0/label/none/0") == "f. 1r");
    CHECK(at(v3, "items/1/label/none/0") == "f. 1v");
    CHECK(at(v3, "items/2/label/none/0") == "4");
    CHECK(at(v3, "items/0/thumbnail/0/type") == "Image");
    CHECK(at(v3, "items/0/thumbnail/0/width") == "143");
    CHECK(at(v3, "metadata/1/label/en/0") == "Shelfmark");
    CHECK(at(v3, "metadata/1/value/none/0") == "Ms. 1234");
    // Two ranges at the top (the one left with no page shown is left out), one nested.
    CHECK(size_at(v3, "structures") == 2);
    const std::string range = std::string(kBase) + "/iiif/3/" + std::string(kArk) + "/range/";
    CHECK(at(v3, "structures/0/id") == range + "r1");
    CHECK(at(v3, "structures/0/type") == "Range");
    CHECK(at(v3, "structures/0/label/none/0") == "Calendar");
    CHECK(at(v3, "structures/0/items/0/id") == canvas + "f3");
    CHECK(at(v3, "structures/0/items/0/type") == "Canvas");
    CHECK(at(v3, "structures/0/items/1/type") == "Range");
    CHECK(at(v3, "structures/0/items/1/id") == range + "r2");
    CHECK(at(v3, "structures/0/items/1/label/none/0") == "January");
    CHECK(at(v3, "structures/0/items/1/items/0/id") == canvas + "f1");
    CHECK(at(v3, "structures/1/label/none/0") == "Hours of the Virgin");
    CHECK(size_at(v3, "structures/1/items") == 1);
    CHECK(presentation_schema::validate(
              {presentation_schema::write_document("book-ranges.json", v3)}) == 0);

    const std::string v2 = manifest_v2(settings(), book.record, book.pages);
    const std::string canvas2 = std::string(kBase) + "/iiif/2/" + std::string(kArk) + "/canvas/";
    CHECK(at(v2, "sequences/0/canvases/0/label") == "f. 1r");
    CHECK(at(v2, "sequences/0/canvases/0/thumbnail/@type") == "dctypes:Image");
    CHECK(size_at(v2, "structures") == 3);
    CHECK(at(v2, "structures/0/label") == "Calendar");
    CHECK(at(v2, "structures/0/canvases/0") == canvas2 + "f3");
    CHECK(at(v2, "structures/0/ranges/0") ==
          std::string(kBase) + "/iiif/2/" + std::string(kArk) + "/range/r2");
    CHECK(at(v2, "structures/1/label") == "January");
    CHECK(at(v2, "structures/2/label") == "Hours of the Virgin");

    // Without a table of contents, no structures.
    ObjectRecord plain = book.record;
    plain.structures.clear();
    CHECK(at(manifest_v3(settings(), plain, book.pages), "structures") == "(absent)");
}
