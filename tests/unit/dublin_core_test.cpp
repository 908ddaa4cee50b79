// Dublin Core records: what the deposit API accepts, what it refuses and with which message,
// how a PATCH applies, and which licences and set specs are known.
#include "dublin_core.hpp"

#include <catch2/catch.hpp>

#include "iiif_error.hpp"
#include "json.hpp"

using namespace iiif;

namespace {

// The reason of the IiifError(400) that parsing `json` throws; "" if it parses.
std::string refusal(const std::string& json) {
    try {
        parse_object_metadata(json);
    } catch (const IiifError& error) {
        CHECK(error.status == 400);
        return error.reason;
    }
    return "";
}

std::string patch_refusal(const std::string& json) {
    try {
        patch_object_metadata({}, json);
    } catch (const IiifError& error) {
        CHECK(error.status == 400);
        return error.reason;
    }
    return "";
}

std::string to_text(const ObjectMetadata& metadata) {
    json_t* json = object_metadata_to_json(metadata);
    char* text = json_dumps(json, JSON_COMPACT);
    std::string out(text);
    free(text);
    json_decref(json);
    return out;
}

}  // namespace

TEST_CASE("dublin core: the 15 elements, in the order of the DCMES", "[dublin_core]") {
    CHECK(kDublinCoreElements.size() == 15);
    CHECK(kDublinCoreElements.front() == "title");
    CHECK(kDublinCoreElements.back() == "rights");
    for (std::string_view name : kDublinCoreElements) CHECK(is_dublin_core_element(name));
    CHECK_FALSE(is_dublin_core_element("sets"));
    CHECK_FALSE(is_dublin_core_element("Title"));
    CHECK_FALSE(is_dublin_core_element("abstract"));
}

TEST_CASE("dublin core: a full record parses, values in the order given", "[dublin_core]") {
    ObjectMetadata metadata = parse_object_metadata(R"({
        "title": [{"value": "Carte de Cassini", "lang": "fr"}, {"value": "Cassini map", "lang": "en"}],
        "creator": ["Cassini, César-François", {"value": "Académie des sciences"}],
        "date": "1750",
        "subject": [{"value": "cartographie", "lang": "fr-FR"}],
        "sets": ["maps", "maps:france"],
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "provider": "Bibliothèque municipale"
    })");
    REQUIRE(metadata.dc.size() == 4);
    CHECK(metadata.dc["title"] ==
          std::vector<LangValue>{{"Carte de Cassini", "fr"}, {"Cassini map", "en"}});
    CHECK(metadata.dc["creator"] ==
          std::vector<LangValue>{{"Cassini, César-François", ""}, {"Académie des sciences", ""}});
    CHECK(metadata.dc["date"] == std::vector<LangValue>{{"1750", ""}});
    CHECK(metadata.dc["subject"] == std::vector<LangValue>{{"cartographie", "fr-FR"}});
    CHECK(metadata.sets == std::vector<std::string>{"maps", "maps:france"});
    CHECK(metadata.license == "https://creativecommons.org/licenses/by/4.0/");
    CHECK(metadata.provider == "Bibliothèque municipale");
}

TEST_CASE("dublin core: every element is accepted", "[dublin_core]") {
    for (std::string_view name : kDublinCoreElements) {
        ObjectMetadata metadata =
            parse_object_metadata("{\"" + std::string(name) + "\": [{\"value\": \"x\"}]}");
        CHECK(metadata.dc.at(std::string(name)) == std::vector<LangValue>{{"x", ""}});
    }
}

TEST_CASE("dublin core: an empty document is an empty record", "[dublin_core]") {
    CHECK(parse_object_metadata("{}") == ObjectMetadata{});
    // null and an empty list say "nothing" as well.
    CHECK(parse_object_metadata(R"({"title": null, "creator": [], "sets": []})") ==
          ObjectMetadata{});
}

TEST_CASE("dublin core: language tags have the shape of BCP 47", "[dublin_core]") {
    for (const char* tag : {"fr", "en-GB", "zh-Hant-TW", "de-CH-1996", "sgn-BE-FR", "lat"}) {
        INFO(tag);
        CHECK(is_valid_language_tag(tag));
    }
    // A one-letter primary subtag ("x-private", "i-klingon") is beyond the simple check.
    for (const char* tag : {"", "f", "fr_FR", "fr-", "-fr", "fr--FR", "toolongtag", "fr-toolongsub",
                            "1a", "fr FR", "é", "x-private"}) {
        INFO(tag);
        CHECK_FALSE(is_valid_language_tag(tag));
    }
    CHECK(parse_object_metadata(R"({"title": [{"value": "x", "lang": ""}]})").dc["title"][0].lang ==
          "");
}

TEST_CASE("dublin core: each refusal names its field", "[dublin_core]") {
    CHECK(refusal("not json").starts_with("metadata: document: not JSON"));
    CHECK(refusal("[]") == "metadata: document: expected a JSON object");
    CHECK(refusal(R"({"titel": "x"})") == "metadata: titel: unknown field");
    CHECK(refusal(R"({"title": 3})") == "metadata: title: expected a string or a list of values");
    CHECK(refusal(R"({"title": {"value": "x"}})") ==
          "metadata: title: expected a string or a list of values");
    CHECK(refusal(R"({"title": ""})") == "metadata: title: empty value");
    CHECK(refusal(R"({"title": "   "})") == "metadata: title: empty value");
    CHECK(refusal(R"({"title": ["ok", ""]})") == "metadata: title[1]: empty value");
    CHECK(refusal(R"({"title": [3]})") ==
          "metadata: title[0]: expected a string or {\"value\", \"lang\"}");
    CHECK(refusal(R"({"title": [{"value": ""}]})") == "metadata: title[0].value: empty value");
    CHECK(refusal(R"({"title": [{"value": 1}]})") == "metadata: title[0].value: expected a string");
    CHECK(refusal(R"({"title": [{"lang": "fr"}]})") == "metadata: title[0]: no \"value\"");
    CHECK(refusal(R"({"title": [{"value": "x", "language": "fr"}]})") ==
          "metadata: title[0]: unknown key \"language\"");
    CHECK(refusal(R"({"creator": [{"value": "x", "lang": "fr_FR"}]})") ==
          "metadata: creator[0].lang: not a language tag: \"fr_FR\"");
    CHECK(refusal(R"({"creator": [{"value": "x", "lang": 7}]})") ==
          "metadata: creator[0].lang: expected a string");
    CHECK(refusal(R"({"sets": 3})") == "metadata: sets: expected a list of set specs");
    CHECK(refusal(R"({"sets": ["a", 3]})") == "metadata: sets[1]: expected a string");
    CHECK(refusal(R"({"sets": ["a::b"]})") == "metadata: sets[0]: not a set spec: \"a::b\"");
    CHECK(refusal(R"({"license": 4})") == "metadata: license: expected a string");
    CHECK(refusal(R"({"license": "https://example.org/licence"})") ==
          "metadata: license: not a Creative Commons or RightsStatements.org URI: "
          "\"https://example.org/licence\"");
    CHECK(refusal(R"({"provider": ""})") == "metadata: provider: empty value");
    CHECK(refusal(R"({"provider": ["a"]})") == "metadata: provider: expected a string");
}

TEST_CASE("dublin core: set specs and values have length limits, named with their field",
          "[dublin_core]") {
    const std::string spec(200, 's'), value(16384, 'v');
    auto with = [](const std::string& key, const std::string& text) {
        return "{\"" + key + "\": [\"" + text + "\"]}";
    };
    CHECK(parse_object_metadata(with("sets", spec)).sets == std::vector<std::string>{spec});
    CHECK(parse_object_metadata(with("description", value)).dc["description"][0].value == value);
    CHECK(refusal(with("sets", spec + "s")) == "metadata: sets[0]: longer than 200 characters");
    CHECK(refusal(R"({"sets": ["a", ")" + spec + "s\"]}") ==
          "metadata: sets[1]: longer than 200 characters");
    CHECK(refusal(with("description", value + "v")) ==
          "metadata: description[0]: longer than 16384 bytes");
    CHECK(refusal(R"({"provider": ")" + value + "v\"}") ==
          "metadata: provider: longer than 16384 bytes");
    // A patch is checked whole; a record already stored reads back as it is.
    ObjectMetadata stored;
    stored.sets = {spec + "s"};
    CHECK_THROWS_WITH(patch_object_metadata(stored, R"({"title": "x"})"),
                      "metadata: sets[0]: longer than 200 characters");
    CHECK(patch_object_metadata(stored, R"({"sets": ["a"]})").sets ==
          std::vector<std::string>{"a"});
    Json json(object_metadata_to_json(stored));
    CHECK(object_metadata_from_json(json.get()) == stored);
}

TEST_CASE("dublin core: a plain string is one value without a language", "[dublin_core]") {
    ObjectMetadata metadata = parse_object_metadata(R"({"title": "Plan", "sets": "maps"})");
    CHECK(metadata.dc["title"] == std::vector<LangValue>{{"Plan", ""}});
    CHECK(metadata.sets == std::vector<std::string>{"maps"});
}

TEST_CASE("dublin core: a set named twice is one membership", "[dublin_core]") {
    CHECK(parse_object_metadata(R"({"sets": ["a", "b", "a"]})").sets ==
          std::vector<std::string>{"a", "b"});
}

TEST_CASE("dublin core: a patch replaces the keys it names and null removes", "[dublin_core]") {
    ObjectMetadata base = parse_object_metadata(R"({
        "title": "Old title", "creator": "Someone", "sets": ["a"],
        "license": "https://creativecommons.org/publicdomain/zero/1.0/", "provider": "Library"})");
    ObjectMetadata patched = patch_object_metadata(base, R"({
        "title": [{"value": "New title", "lang": "en"}], "creator": null, "sets": ["b", "c"],
        "license": null})");
    CHECK(patched.dc.count("creator") == 0);
    CHECK(patched.dc["title"] == std::vector<LangValue>{{"New title", "en"}});
    CHECK(patched.sets == std::vector<std::string>{"b", "c"});
    CHECK(patched.license.empty());
    CHECK(patched.provider == "Library");  // untouched

    CHECK(patch_object_metadata(base, "{}") == base);
    CHECK(patch_object_metadata(base, R"({"provider": null})").provider.empty());
    CHECK(patch_object_metadata(base, R"({"sets": null})").sets.empty());
}

TEST_CASE("dublin core: a refused patch names its field", "[dublin_core]") {
    CHECK(patch_refusal(R"({"title": ""})") == "metadata: title: empty value");
    CHECK(patch_refusal(R"({"nope": null})") == "metadata: nope: unknown field");
    CHECK(patch_refusal("17") == "metadata: document: expected a JSON object");
}

TEST_CASE("dublin core: Creative Commons licences are known", "[dublin_core]") {
    for (const char* uri : {
             "https://creativecommons.org/licenses/by/4.0/",
             "http://creativecommons.org/licenses/by/4.0/",
             "https://creativecommons.org/licenses/by-sa/4.0/",
             "https://creativecommons.org/licenses/by-nd/4.0/",
             "https://creativecommons.org/licenses/by-nc/4.0/",
             "https://creativecommons.org/licenses/by-nc-sa/4.0/",
             "https://creativecommons.org/licenses/by-nc-nd/4.0/",
             "http://creativecommons.org/licenses/by-nc-sa/3.0/fr/",
             "https://creativecommons.org/licenses/by/2.5",
             "https://creativecommons.org/publicdomain/zero/1.0/",
             "http://creativecommons.org/publicdomain/mark/1.0/",
         }) {
        INFO(uri);
        CHECK(is_known_license(uri));
    }
}

TEST_CASE("dublin core: RightsStatements.org statements are known", "[dublin_core]") {
    for (const char* code : {"InC", "InC-OW-EU", "InC-EDU", "InC-NC", "InC-RUU", "NoC-CR", "NoC-NC",
                             "NoC-OKLR", "NoC-US", "CNE", "UND", "NKC"}) {
        INFO(code);
        CHECK(is_known_license("http://rightsstatements.org/vocab/" + std::string(code) + "/1.0/"));
        CHECK(
            is_known_license("https://rightsstatements.org/vocab/" + std::string(code) + "/1.0/"));
    }
}

TEST_CASE("dublin core: other licence URIs are unknown", "[dublin_core]") {
    for (const char* uri : {
             "",
             "by",
             "CC-BY-4.0",
             "https://example.org/licenses/by/4.0/",
             "ftp://creativecommons.org/licenses/by/4.0/",
             "https://creativecommons.org/licenses/",
             "https://creativecommons.org/licenses/by/",
             "https://creativecommons.org/licenses/foo/4.0/",
             "https://creativecommons.org/licenses/by/four/",
             "https://creativecommons.org/licenses/by/4.0/legalcode/extra/more",
             "https://creativecommons.org/licenses/by//4.0/",
             "https://creativecommons.org/publicdomain/zero/2.0/",
             "https://creativecommons.org.evil.example/licenses/by/4.0/",
             "https://rightsstatements.org/vocab/InC/2.0/",
             "https://rightsstatements.org/vocab/InC-XX/1.0/",
             "https://rightsstatements.org/vocab/inc/1.0/",
             "https://rightsstatements.org/page/InC/1.0/",
         }) {
        INFO(uri);
        CHECK_FALSE(is_known_license(uri));
    }
}

TEST_CASE("dublin core: set specs are ':'-separated segments of the OAI characters",
          "[dublin_core]") {
    for (const char* spec : {"a", "maps", "maps:france", "a:b:c", "A_z.0!~*'()-", "1"}) {
        INFO(spec);
        CHECK(is_valid_set_spec(spec));
    }
    for (const char* spec : {"", ":", "a:", ":a", "a::b", "a b", "a/b", "é", "a:b;c", "a%20"}) {
        INFO(spec);
        CHECK_FALSE(is_valid_set_spec(spec));
    }
}

TEST_CASE("dublin core: to JSON and back is the same record, in the DCMES order", "[dublin_core]") {
    ObjectMetadata metadata = parse_object_metadata(R"({
        "rights": "Domaine public", "title": [{"value": "T", "lang": "fr"}], "creator": "C",
        "provider": "P", "sets": ["s:t"], "license": "https://rightsstatements.org/vocab/NoC-US/1.0/"})");
    CHECK(to_text(metadata) ==
          R"({"title":[{"value":"T","lang":"fr"}],"creator":[{"value":"C"}],)"
          R"("rights":[{"value":"Domaine public"}],"sets":["s:t"],)"
          R"("license":"https://rightsstatements.org/vocab/NoC-US/1.0/","provider":"P"})");
    json_t* json = object_metadata_to_json(metadata);
    CHECK(object_metadata_from_json(json) == metadata);
    json_decref(json);
    CHECK(parse_object_metadata(to_text(metadata)) == metadata);
}

TEST_CASE("dublin core: behavior takes the values valid on a Manifest, in the order given",
          "[dublin_core]") {
    CHECK(
        parse_object_metadata(R"({"behavior": ["paged", "auto-advance", "no-repeat"]})").behavior ==
        std::vector<std::string>{"paged", "auto-advance", "no-repeat"});
    CHECK(parse_object_metadata(R"({"behavior": "individuals"})").behavior ==
          std::vector<std::string>{"individuals"});
    for (const char* name : {"auto-advance", "no-auto-advance", "repeat", "no-repeat", "unordered",
                             "individuals", "continuous", "paged"}) {
        INFO(name);
        CHECK(parse_object_metadata("{\"behavior\": \"" + std::string(name) + "\"}").behavior ==
              std::vector<std::string>{name});
    }
    CHECK(parse_object_metadata(R"({"behavior": []})") == ObjectMetadata{});
    CHECK(parse_object_metadata(R"({"behavior": null})") == ObjectMetadata{});
}

TEST_CASE("dublin core: a behavior not for a Manifest, repeated or disjoint is refused",
          "[dublin_core]") {
    // Valid in Presentation 3.0, but on Canvases, Collections or Ranges only.
    for (const char* name : {"facing-pages", "non-paged", "multi-part", "together", "sequence",
                             "thumbnail-nav", "no-nav", "hidden"}) {
        INFO(name);
        CHECK(refusal("{\"behavior\": [\"" + std::string(name) + "\"]}") ==
              "metadata: behavior[0]: not a behavior of a Manifest: \"" + std::string(name) + "\"");
    }
    CHECK(refusal(R"({"behavior": "Paged"})") ==
          "metadata: behavior: not a behavior of a Manifest: \"Paged\"");
    CHECK(refusal(R"({"behavior": ["paged", "paged"]})") ==
          "metadata: behavior[1]: named twice: \"paged\"");
    CHECK(refusal(R"({"behavior": ["paged", "repeat", "continuous"]})") ==
          "metadata: behavior[2]: \"continuous\" cannot be combined with \"paged\"");
    CHECK(refusal(R"({"behavior": ["unordered", "individuals"]})") ==
          "metadata: behavior[1]: \"individuals\" cannot be combined with \"unordered\"");
    CHECK(refusal(R"({"behavior": ["auto-advance", "no-auto-advance"]})") ==
          "metadata: behavior[1]: \"no-auto-advance\" cannot be combined with \"auto-advance\"");
    CHECK(refusal(R"({"behavior": ["no-repeat", "repeat"]})") ==
          "metadata: behavior[1]: \"repeat\" cannot be combined with \"no-repeat\"");
    CHECK(refusal(R"({"behavior": ["paged", 3]})") == "metadata: behavior[1]: expected a string");
    CHECK(refusal(R"({"behavior": 3})") ==
          "metadata: behavior: expected a string or a list of strings");
}

TEST_CASE("dublin core: viewingDirection is one of the four directions", "[dublin_core]") {
    for (const char* direction :
         {"left-to-right", "right-to-left", "top-to-bottom", "bottom-to-top"}) {
        INFO(direction);
        CHECK(parse_object_metadata("{\"viewingDirection\": \"" + std::string(direction) + "\"}")
                  .viewing_direction == direction);
    }
    CHECK(refusal(R"({"viewingDirection": "rtl"})") ==
          "metadata: viewingDirection: not a viewing direction: \"rtl\"");
    CHECK(refusal(R"({"viewingDirection": ["left-to-right"]})") ==
          "metadata: viewingDirection: expected a string");
    CHECK(refusal(R"({"viewing_direction": "left-to-right"})") ==
          "metadata: viewing_direction: unknown field");
}

TEST_CASE("dublin core: behavior and viewingDirection round-trip and patch", "[dublin_core]") {
    ObjectMetadata metadata = parse_object_metadata(
        R"({"title": "T", "viewingDirection": "top-to-bottom", "behavior": "continuous"})");
    CHECK(to_text(metadata) == R"({"title":[{"value":"T"}],"behavior":["continuous"],)"
                               R"("viewingDirection":"top-to-bottom"})");
    CHECK(parse_object_metadata(to_text(metadata)) == metadata);

    ObjectMetadata patched =
        patch_object_metadata(metadata, R"({"behavior": ["paged", "no-auto-advance"]})");
    CHECK(patched.behavior == std::vector<std::string>{"paged", "no-auto-advance"});
    CHECK(patched.viewing_direction == "top-to-bottom");
    ObjectMetadata removed =
        patch_object_metadata(metadata, R"({"behavior": null, "viewingDirection": null})");
    CHECK(removed.behavior.empty());
    CHECK(removed.viewing_direction.empty());
    CHECK(removed == parse_object_metadata(R"({"title": "T"})"));
    CHECK(patch_refusal(R"({"viewingDirection": "up"})") ==
          "metadata: viewingDirection: not a viewing direction: \"up\"");
}
