// An object's origin (common/publish/origin.hpp): stored with its metadata and read back, checked
// when read, held to the length limits, and never taken from a depositor.
#include "origin.hpp"

#include <catch2/catch.hpp>

#include "dublin_core.hpp"
#include "iiif_error.hpp"
#include "json.hpp"
#include "records.hpp"

using namespace iiif;

namespace {

ObjectOrigin lyon() {
    ObjectOrigin origin;
    origin.partner = "bm-lyon";
    origin.base_url = "https://oai.bm-lyon.example.org/oai";
    origin.identifier = "oai:bm-lyon.example.org:ms-1234";
    origin.datestamp = "2024-01-31";
    origin.metadata_namespace = "http://www.openarchives.org/OAI/2.0/oai_dc/";
    origin.harvested = 1780272000;  // 2026-06-01T00:00:00Z
    origin.link = "https://collections.bm-lyon.example.org/ms-1234";
    return origin;
}

ObjectMetadata harvested() {
    ObjectMetadata metadata;
    metadata.dc["title"] = {{"Livre d'heures", "fr"}};
    metadata.sets = {"partners:bm-lyon"};
    metadata.origin = lyon();
    return metadata;
}

// The reason of the IiifError(400) reading `origin_json` as a stored record's origin throws.
std::string stored_refusal(const std::string& origin_json) {
    Json json(json_loads(("{\"origin\": " + origin_json + "}").c_str(), 0, nullptr));
    REQUIRE(json);
    try {
        object_metadata_from_json(json.get());
    } catch (const IiifError& error) {
        CHECK(error.status == 400);
        return error.reason;
    }
    return "";
}

const std::string kOriginJson =
    R"({"partner":"bm-lyon","base_url":"https://oai.bm-lyon.example.org/oai",)"
    R"("identifier":"oai:bm-lyon.example.org:ms-1234","datestamp":"2024-01-31",)"
    R"("metadata_namespace":"http://www.openarchives.org/OAI/2.0/oai_dc/",)"
    R"("link":"https://collections.bm-lyon.example.org/ms-1234","harvested":1780272000})";

}  // namespace

TEST_CASE("origin: stored as the metadata's \"origin\" member, every member named", "[origin]") {
    Json json(object_metadata_to_json(harvested()));
    CHECK(json_text(json_object_get(json.get(), "origin")) == kOriginJson);
    CHECK(object_metadata_from_json(json.get()) == harvested());
    // Without a link, the member is left out and reads back empty.
    ObjectMetadata no_link = harvested();
    no_link.origin->link.clear();
    Json without(object_metadata_to_json(no_link));
    CHECK(json_object_get(json_object_get(without.get(), "origin"), "link") == nullptr);
    CHECK(object_metadata_from_json(without.get()) == no_link);
    // An object without origin has no member.
    ObjectMetadata deposited = harvested();
    deposited.origin.reset();
    Json plain(object_metadata_to_json(deposited));
    CHECK(json_object_get(plain.get(), "origin") == nullptr);
}

TEST_CASE("origin: an object record keeps it through its JSON", "[origin]") {
    ObjectRecord record;
    record.ark = "ark:/99999/fk4-10000001-x";
    record.metadata = harvested();
    record.state = RecordState::active;
    record.created = record.updated = record.datestamp = 1780272000;
    const ObjectRecord read = object_record_from_json(object_record_to_json(record));
    REQUIRE(read.metadata.origin);
    CHECK(*read.metadata.origin == lyon());
    CHECK(read.metadata == record.metadata);
    CHECK(read.images.empty());
}

TEST_CASE("origin: a depositor cannot set it, neither by deposit nor by PATCH", "[origin]") {
    const std::string deposit = R"({"title": "x", "origin": )" + kOriginJson + "}";
    CHECK_THROWS_WITH(parse_object_metadata(deposit), "metadata: origin: unknown field");
    CHECK_THROWS_WITH(patch_object_metadata({}, R"({"origin": )" + kOriginJson + "}"),
                      "metadata: origin: unknown field");
    CHECK_THROWS_WITH(patch_object_metadata(harvested(), R"({"origin": null})"),
                      "metadata: origin: unknown field");
    // A PATCH of a harvested object's other fields keeps its origin.
    const ObjectMetadata patched = patch_object_metadata(harvested(), R"({"title": "Heures"})");
    CHECK(patched.dc.at("title") == std::vector<LangValue>{{"Heures", ""}});
    REQUIRE(patched.origin);
    CHECK(*patched.origin == lyon());
}

TEST_CASE("origin: a stored origin is checked member by member", "[origin]") {
    CHECK(stored_refusal(kOriginJson).empty());
    CHECK(stored_refusal("\"x\"") == "metadata: origin: expected a JSON object");
    CHECK(stored_refusal(R"({"partner":"p"})") == "metadata: origin.base_url: missing");
    CHECK(stored_refusal(R"({"partner":"p","extra":1})") ==
          "metadata: origin.extra: unknown member");
    const std::string rest =
        R"("identifier":"oai:a:1","metadata_namespace":"http://www.openarchives.org/OAI/2.0/oai_dc/",)"
        R"("harvested":1780272000)";
    CHECK(stored_refusal(R"({"partner":"p","base_url":"ftp://x","datestamp":"2024-01-31",)" + rest +
                         "}") == "metadata: origin.base_url: not an http or https URL");
    CHECK(stored_refusal(R"({"partner":"p","base_url":"http://x","datestamp":"31/01/2024",)" +
                         rest + "}") ==
          "metadata: origin.datestamp: not YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ");
    CHECK(stored_refusal(R"({"partner":"p","base_url":"http://x",)"
                         R"("datestamp":"2024-01-31T10:11:12Z",)" +
                         rest + "}")
              .empty());
    CHECK(stored_refusal(R"({"partner":"","base_url":"http://x","datestamp":"2024-01-31",)" + rest +
                         "}") == "metadata: origin.partner: empty value");
    CHECK(stored_refusal(R"({"partner":"p","base_url":"http://x","datestamp":"2024-01-31",)" +
                         rest + R"(,"link":"javascript:void"})") ==
          "metadata: origin.link: not an http or https URL");
    CHECK(
        stored_refusal(R"({"partner":"p","base_url":"http://x","datestamp":"2024-01-31",)"
                       R"("identifier":"oai:a:1","metadata_namespace":"n","harvested":"today"})") ==
        "metadata: origin.harvested: expected unix seconds");
}

TEST_CASE("origin: each of its texts is held to the length of a value", "[origin]") {
    ObjectMetadata metadata = harvested();
    metadata.origin->link = "https://x.example.org/" + std::string(kMaxMetadataValueBytes, 'a');
    CHECK_THROWS_WITH(check_metadata_limits(metadata),
                      "metadata: origin.link: longer than 16384 bytes");
    metadata.origin->link = lyon().link;
    metadata.origin->identifier = std::string(kMaxMetadataValueBytes, 'i');
    CHECK_NOTHROW(check_metadata_limits(metadata));
    metadata.origin->identifier += "i";
    CHECK_THROWS_WITH(check_metadata_limits(metadata),
                      "metadata: origin.identifier: longer than 16384 bytes");
}
