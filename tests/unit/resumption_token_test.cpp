// OAI-PMH resumption tokens that need no server state: what a token carries comes back as it
// went in, tokens are URL-safe, only the server's key makes them, any change to one is
// refused, and the same state always makes the same token (so a page can be asked for again).
#include "resumption_token.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>

using namespace iiif;

namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef-server-secret";
const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

ResumptionState sample_state() {
    ResumptionState state;
    state.verb = OaiVerb::list_records;
    state.metadata_prefix = "oai_dc";
    state.set = "maps:france";
    state.from = 1700000000;
    state.until = 1795323378;
    state.datestamp = 1750000000;
    state.key = "ark:/67375/39d6w3gqpxdv";
    state.cursor = 300;
    state.complete_list_size = 12345;
    state.expires = 1795410000;
    return state;
}

// Another character of the alphabet than `c`.
char other_than(char c) {
    return c == 'A' ? 'B' : 'A';
}

}  // namespace

TEST_CASE("resumption token: every field of the state comes back", "[resumption_token]") {
    const ResumptionState state = sample_state();
    const auto decoded = decode_resumption_token(encode_resumption_token(state, kKey), kKey);
    REQUIRE(decoded);
    CHECK(decoded->verb == OaiVerb::list_records);
    CHECK(decoded->metadata_prefix == "oai_dc");
    CHECK(decoded->set == "maps:france");
    CHECK(decoded->from == 1700000000);
    CHECK(decoded->until == 1795323378);
    CHECK(decoded->datestamp == 1750000000);
    CHECK(decoded->key == "ark:/67375/39d6w3gqpxdv");
    CHECK(decoded->cursor == 300);
    CHECK(decoded->complete_list_size == 12345);
    CHECK(decoded->expires == 1795410000);
    CHECK(*decoded == state);
}

TEST_CASE("resumption token: each of the three list verbs comes back", "[resumption_token]") {
    for (OaiVerb verb : {OaiVerb::list_sets, OaiVerb::list_identifiers, OaiVerb::list_records}) {
        INFO(oai_verb_name(verb));
        ResumptionState state = sample_state();
        state.verb = verb;
        const auto decoded = decode_resumption_token(encode_resumption_token(state, kKey), kKey);
        REQUIRE(decoded);
        CHECK(decoded->verb == verb);
        CHECK(*decoded == state);
    }
}

TEST_CASE("resumption token: the state of a list's first page comes back (zeros and empties)",
          "[resumption_token]") {
    ResumptionState state;
    state.verb = OaiVerb::list_sets;
    const auto decoded = decode_resumption_token(encode_resumption_token(state, kKey), kKey);
    REQUIRE(decoded);
    CHECK(*decoded == state);
    CHECK(decoded->key.empty());
    CHECK(decoded->set.empty());
    CHECK(decoded->metadata_prefix.empty());
}

TEST_CASE("resumption token: extreme numbers come back", "[resumption_token]") {
    ResumptionState state = sample_state();
    state.from = std::numeric_limits<std::int64_t>::min();
    state.until = std::numeric_limits<std::int64_t>::max();
    state.datestamp = -1;
    state.cursor = 0;
    state.complete_list_size = std::int64_t{1} << 40;
    state.expires = 253402300799;  // 9999-12-31T23:59:59Z
    const auto decoded = decode_resumption_token(encode_resumption_token(state, kKey), kKey);
    REQUIRE(decoded);
    CHECK(*decoded == state);
}

TEST_CASE("resumption token: long set specs and keys, and any bytes in them, come back",
          "[resumption_token]") {
    ResumptionState state = sample_state();
    state.set = "a";
    for (int i = 0; i < 500; ++i) state.set += ":s" + std::to_string(i);
    state.key.clear();
    for (int i = 0; i < 5000; ++i) state.key.push_back(static_cast<char>(i % 256));  // \0 to \xff
    state.metadata_prefix = "édm_\xE2\x9C\x93";
    const std::string token = encode_resumption_token(state, kKey);
    const auto decoded = decode_resumption_token(token, kKey);
    REQUIRE(decoded);
    CHECK(decoded->set == state.set);
    CHECK(decoded->key.size() == 5000);
    CHECK(decoded->key == state.key);
    CHECK(decoded->metadata_prefix == "édm_\xE2\x9C\x93");
    CHECK(*decoded == state);
}

TEST_CASE("resumption token: texts of 65535 bytes, the most a token holds, come back",
          "[resumption_token]") {
    ResumptionState state = sample_state();
    state.key = std::string(65535, 'k');
    state.set = std::string(65535, 's');
    const auto decoded = decode_resumption_token(encode_resumption_token(state, kKey), kKey);
    REQUIRE(decoded);
    CHECK(*decoded == state);
}

TEST_CASE("resumption token: a token is made of A-Z, a-z, 0-9, '-' and '_' only",
          "[resumption_token]") {
    ResumptionState state = sample_state();
    state.key = std::string("\xff\xfe\xfd\0\x01 /+=?&#%", 14);
    for (int cursor : {0, 1, 2, 3, 100, 1000}) {  // several lengths, so every padding case
        state.cursor = cursor;
        state.set = std::string(static_cast<size_t>(cursor % 3), 'x');
        const std::string token = encode_resumption_token(state, kKey);
        INFO(token);
        CHECK_FALSE(token.empty());
        CHECK(token.find_first_not_of(kAlphabet) == std::string::npos);
    }
}

TEST_CASE("resumption token: a token made with another key is refused", "[resumption_token]") {
    const std::string token = encode_resumption_token(sample_state(), kKey);
    CHECK(decode_resumption_token(token, kKey));
    CHECK_FALSE(decode_resumption_token(token, "another secret key of thirty-two bytes"));
    CHECK_FALSE(decode_resumption_token(token, kKey.substr(0, kKey.size() - 1)));
    CHECK_FALSE(decode_resumption_token(token, kKey + "x"));
    CHECK_FALSE(decode_resumption_token(token, ""));
}

TEST_CASE("resumption token: a token changed in any one character is refused",
          "[resumption_token]") {
    // Every length modulo 3 of the payload, so the last character holds 6, 4 or 2 data bits.
    for (size_t length : {0, 1, 2}) {
        ResumptionState state = sample_state();
        state.key = std::string(length, 'k');
        const std::string token = encode_resumption_token(state, kKey);
        INFO(token);
        REQUIRE(decode_resumption_token(token, kKey) == state);
        for (size_t at = 0; at < token.size(); ++at) {
            for (char replacement : {other_than(token[at]), token[at] == '_' ? '-' : '_',
                                     token[at] == 'z' ? 'y' : 'z'}) {
                std::string changed = token;
                changed[at] = replacement;
                INFO("position " << at << ": " << replacement);
                CHECK_FALSE(decode_resumption_token(changed, kKey));
            }
        }
    }
}

TEST_CASE("resumption token: every other spelling of the last character is refused",
          "[resumption_token]") {
    // The last character's unused low bits must be zero: one token, one spelling.
    for (size_t length : {0, 1, 2}) {
        ResumptionState state = sample_state();
        state.key = std::string(length, 'k');
        const std::string token = encode_resumption_token(state, kKey);
        for (char replacement : kAlphabet) {
            if (replacement == token.back()) continue;
            std::string changed = token;
            changed.back() = replacement;
            INFO(changed);
            CHECK_FALSE(decode_resumption_token(changed, kKey));
        }
    }
}

TEST_CASE("resumption token: a truncated token is refused", "[resumption_token]") {
    const std::string token = encode_resumption_token(sample_state(), kKey);
    for (size_t size = 0; size < token.size(); ++size) {
        INFO("first " << size << " characters");
        CHECK_FALSE(decode_resumption_token(token.substr(0, size), kKey));
        CHECK_FALSE(decode_resumption_token(token.substr(token.size() - size), kKey));
    }
}

TEST_CASE("resumption token: a token with characters appended is refused", "[resumption_token]") {
    for (size_t length : {0, 1, 2}) {
        ResumptionState state = sample_state();
        state.key = std::string(length, 'k');
        const std::string token = encode_resumption_token(state, kKey);
        for (char c : kAlphabet) {
            INFO(token << " + " << c);
            CHECK_FALSE(decode_resumption_token(token + c, kKey));
            CHECK_FALSE(decode_resumption_token(token + c + c, kKey));
            CHECK_FALSE(decode_resumption_token(c + token, kKey));
        }
        CHECK_FALSE(decode_resumption_token(token + "AAAA", kKey));
        CHECK_FALSE(decode_resumption_token(token + "=", kKey));
        CHECK_FALSE(decode_resumption_token(token + "==", kKey));
        CHECK_FALSE(decode_resumption_token(token + " ", kKey));
        CHECK_FALSE(decode_resumption_token(token + token, kKey));
    }
}

TEST_CASE("resumption token: a token for a verb that does not page is refused",
          "[resumption_token]") {
    for (OaiVerb verb : {OaiVerb::identify, OaiVerb::get_record, OaiVerb::list_metadata_formats}) {
        INFO(oai_verb_name(verb));
        ResumptionState state = sample_state();
        state.verb = verb;
        const std::string token = encode_resumption_token(state, kKey);  // signed, yet refused
        CHECK_FALSE(decode_resumption_token(token, kKey));
    }
}

TEST_CASE("resumption token: text that is no token is refused", "[resumption_token]") {
    for (const char* text :
         {"", "!!!", "a", "ab", "abc", "abcd", "AAAA", "AAAAAAAAAAAAAAAAAAAAAAAA", "====", "a+b/",
          "%41%41", "eyJ2ZXJiIjoiTGlzdFJlY29yZHMifQ"}) {
        INFO('"' << text << '"');
        CHECK_FALSE(decode_resumption_token(text, kKey));
    }
    // Standard base64 spellings of a real token ('+' '/' '=') are not ours.
    std::string token = encode_resumption_token(sample_state(), kKey);
    for (char& c : token) {
        if (c == '-') c = '+';
        if (c == '_') c = '/';
    }
    if (token != encode_resumption_token(sample_state(), kKey))
        CHECK_FALSE(decode_resumption_token(token, kKey));
}

TEST_CASE("resumption token: equal states make equal tokens, so a page can be asked again",
          "[resumption_token]") {
    const ResumptionState state = sample_state();
    const ResumptionState copy = state;
    const std::string token = encode_resumption_token(state, kKey);
    CHECK(encode_resumption_token(copy, kKey) == token);
    CHECK(encode_resumption_token(*decode_resumption_token(token, kKey), kKey) == token);
}

TEST_CASE("resumption token: states that differ in any field make different tokens",
          "[resumption_token]") {
    const ResumptionState base = sample_state();
    const std::string token = encode_resumption_token(base, kKey);
    std::vector<ResumptionState> changed(10, base);
    changed[0].verb = OaiVerb::list_identifiers;
    changed[1].metadata_prefix = "edm";
    changed[2].set = "maps";
    changed[3].from += 1;
    changed[4].until -= 1;
    changed[5].datestamp += 1;
    changed[6].key += "x";
    changed[7].cursor += 1;
    changed[8].complete_list_size -= 1;
    changed[9].expires += 1;
    for (size_t i = 0; i < changed.size(); ++i) {
        INFO("field " << i);
        const std::string other = encode_resumption_token(changed[i], kKey);
        CHECK(other != token);
        CHECK(decode_resumption_token(other, kKey) == changed[i]);
    }
    // Moving bytes between the texts changes the token too.
    ResumptionState shifted = base;
    shifted.set = "";
    shifted.key = base.set + base.key;
    CHECK(encode_resumption_token(shifted, kKey) != token);
}
