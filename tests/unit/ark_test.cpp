// ARKs: the published check-character vectors, parsing and normalisation, minting.
#include "ark.hpp"

#include <catch2/catch.hpp>
#include <set>

using namespace iiif;

TEST_CASE("ark: NOID check characters match the published vectors", "[ark]") {
    CHECK(noid_check_char("13030/xf93gt2") == 'q');
    CHECK(noid_check_char("13030/tf5p30086") == 'k');
    CHECK(noid_check_char("99999/fk4ck01k7") == '7');
    CHECK(noid_check_char("99999/fk44479c3") == 'd');
}

TEST_CASE("ark: Inist check characters match Inist-CNRS's ARKs", "[ark]") {
    CHECK(inist_check_char("6737539D6W3GQPXD") == 'V');
    CHECK(inist_check_char("6737539DS2GXG1TW") == '8');
    CHECK(ark_name_is_valid("67375", "39D-6W3GQPXD-V", CheckProfile::inist));
    CHECK(ark_name_is_valid("67375", "39D-S2GXG1TW-8", CheckProfile::inist));
    CHECK_FALSE(ark_name_is_valid("67375", "39D-S2GXG1TW-9", CheckProfile::inist));
    CHECK_FALSE(ark_name_is_valid("67376", "39D-S2GXG1TW-8", CheckProfile::inist));
}

TEST_CASE("ark: a NOID name validates with its check character, hyphens ignored", "[ark]") {
    CHECK(ark_name_is_valid("13030", "xf93gt2q", CheckProfile::noid));
    CHECK(ark_name_is_valid("13030", "xf9-3gt2-q", CheckProfile::noid));
    CHECK_FALSE(ark_name_is_valid("13030", "xf93gt2k", CheckProfile::noid));
    // A transposition of two adjacent characters is caught.
    CHECK_FALSE(ark_name_is_valid("13030", "xf39gt2q", CheckProfile::noid));
}

TEST_CASE("ark: both forms of the label parse to the same ARK", "[ark]") {
    auto slash = parse_ark("ark:/12345/bcd-fgh12-x");
    auto bare = parse_ark("ark:12345/bcd-fgh12-x");
    auto upper = parse_ark("ARK:/12345/bcd-fgh12-x");
    REQUIRE(slash);
    REQUIRE(bare);
    REQUIRE(upper);
    CHECK(slash->naan == "12345");
    CHECK(slash->name == "bcd-fgh12-x");
    CHECK(slash->qualifier.empty());
    CHECK(bare->normalized_base() == slash->normalized_base());
    CHECK(upper->normalized_base() == "ark:/12345/bcdfgh12x");
}

TEST_CASE("ark: hyphens are identity-inert", "[ark]") {
    CHECK(parse_ark("ark:/12345/b-c-d")->normalized_base() ==
          parse_ark("ark:/12345/bcd")->normalized_base());
}

TEST_CASE("ark: qualifiers follow the name after '/' or '.'", "[ark]") {
    auto page = parse_ark("/ark:/12345/39D-6W3GQPXD-V/f3/full/max/0/default.jpg");
    REQUIRE(page);
    CHECK(page->name == "39D-6W3GQPXD-V");
    CHECK(page->qualifier == "f3/full/max/0/default.jpg");
    CHECK(page->to_string() == "ark:/12345/39D-6W3GQPXD-V/f3/full/max/0/default.jpg");
    auto variant = parse_ark("ark:/12345/abc.pdf");
    REQUIRE(variant);
    CHECK(variant->name == "abc");
    CHECK(variant->qualifier == "pdf");
}

TEST_CASE("ark: things that are not ARKs are refused", "[ark]") {
    CHECK_FALSE(parse_ark(""));
    CHECK_FALSE(parse_ark("ark:"));
    CHECK_FALSE(parse_ark("ark:/12345"));
    CHECK_FALSE(parse_ark("ark:/12345/"));
    CHECK_FALSE(parse_ark("ark:/12345/---"));
    CHECK_FALSE(parse_ark("ark://abc"));
    CHECK_FALSE(parse_ark("urn:nbn:12345"));
    CHECK_FALSE(parse_ark("ark:/12 45/abc"));
    CHECK_FALSE(parse_ark("ark:/12345/ab c"));
}

TEST_CASE("ark: an object's ARK is the ARK with nothing after its name", "[ark]") {
    for (const char* text : {"ark:/12345/bcd-fgh12-x", "ark:12345/bcd-fgh12-x",
                             "ARK:/12345/bcd-fgh12-x", "ark:/12345/bcdfgh12x"}) {
        INFO(text);
        auto ark = parse_object_ark(text);
        REQUIRE(ark);
        CHECK(ark->qualifier.empty());
        CHECK(ark->normalized_base() == "ark:/12345/bcdfgh12x");
    }
    for (const char* text :
         {"ark:/12345/bcd-fgh12-x/", "ark:/12345/bcd-fgh12-x.", "ark:/12345/bcd-fgh12-x/f1",
          "ark:/12345/bcd-fgh12-x.pdf", "ark:/12345/bcd-fgh12-x/../../staging", "ark:/12345/ab/ab",
          "/ark:/12345/bcd-fgh12-x", "ark:/12345/", "not an ark"}) {
        INFO(text);
        CHECK_FALSE(parse_object_ark(text));
    }
}

TEST_CASE("ark: minted names have the shoulder, 8 opaque characters and a valid check", "[ark]") {
    for (CheckProfile profile : {CheckProfile::noid, CheckProfile::inist}) {
        std::string shoulder = profile == CheckProfile::noid ? "b2x" : "39D";
        std::set<std::string> names;
        for (int i = 0; i < 200; ++i) {
            std::string name = mint_ark_name("67375", shoulder, profile);
            REQUIRE(name.size() == 3 + 1 + 8 + 1 + 1);
            CHECK(name.substr(0, 4) == shoulder + "-");
            CHECK(name[12] == '-');
            CHECK(ark_name_is_valid("67375", name, profile));
            names.insert(name);
        }
        // 29^8 or 30^8 possible names: 200 random ones never collide in practice.
        CHECK(names.size() == 200);
    }
}

TEST_CASE("ark: minted names use no vowels, so they spell no words", "[ark]") {
    for (int i = 0; i < 100; ++i) {
        std::string opaque = mint_ark_name("12345", "b2x", CheckProfile::noid).substr(4, 8);
        CHECK(opaque.find_first_of("aeiouyAEIOUY") == std::string::npos);
    }
}
