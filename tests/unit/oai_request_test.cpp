// OAI-PMH 2.0 requests (protocol sections 3.1.1 and 4): the verb, each verb's required,
// optional and exclusive arguments, repeated, unknown and empty arguments, UTC datestamps in
// their two granularities, and the errors the protocol names for each breach.
#include "oai_request.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <variant>
#include <vector>

using namespace iiif;

namespace {

// The request these arguments make; fails the test when they make errors.
OaiRequest parsed(const OaiArguments& arguments) {
    auto result = parse_oai_request(arguments);
    if (auto* errors = std::get_if<std::vector<OaiError>>(&result)) {
        for (const OaiError& error : *errors)
            UNSCOPED_INFO(oai_error_code_name(error.code) << ": " << error.message);
    }
    REQUIRE(std::holds_alternative<OaiRequest>(result));
    return std::get<OaiRequest>(result);
}

// The errors these arguments make; fails the test when they make a request.
std::vector<OaiError> errors_of(const OaiArguments& arguments) {
    auto result = parse_oai_request(arguments);
    REQUIRE(std::holds_alternative<std::vector<OaiError>>(result));
    return std::get<std::vector<OaiError>>(result);
}

// The codes of the errors, in order, each with a message that says something.
std::vector<OaiErrorCode> codes_of(const OaiArguments& arguments) {
    std::vector<OaiErrorCode> codes;
    for (const OaiError& error : errors_of(arguments)) {
        INFO(error.message);
        CHECK_FALSE(error.message.empty());
        codes.push_back(error.code);
    }
    return codes;
}

constexpr OaiErrorCode kBadArgument = OaiErrorCode::bad_argument;
constexpr OaiErrorCode kBadVerb = OaiErrorCode::bad_verb;
using Codes = std::vector<OaiErrorCode>;

constexpr std::int64_t k20260101 = 1767225600;  // 2026-01-01T00:00:00Z
constexpr std::int64_t kDay = 86400;

}  // namespace

// ---- The verb ---------------------------------------------------------------------------------

TEST_CASE("OAI request: each of the six verbs is recognised by its name", "[oai_request]") {
    const std::vector<std::pair<OaiArguments, OaiVerb>> cases{
        {{{"verb", "Identify"}}, OaiVerb::identify},
        {{{"verb", "ListMetadataFormats"}}, OaiVerb::list_metadata_formats},
        {{{"verb", "ListSets"}}, OaiVerb::list_sets},
        {{{"verb", "GetRecord"}, {"identifier", "oai:x:1"}, {"metadataPrefix", "oai_dc"}},
         OaiVerb::get_record},
        {{{"verb", "ListIdentifiers"}, {"metadataPrefix", "oai_dc"}}, OaiVerb::list_identifiers},
        {{{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}}, OaiVerb::list_records},
    };
    for (const auto& [arguments, verb] : cases) {
        INFO(arguments.front().second);
        CHECK(parsed(arguments).verb == verb);
        CHECK(oai_verb_name(verb) == arguments.front().second);
    }
}

TEST_CASE("OAI request: a missing verb is badVerb", "[oai_request]") {
    CHECK(codes_of({}) == Codes{kBadVerb});
    CHECK(codes_of({{"metadataPrefix", "oai_dc"}}) == Codes{kBadVerb});
}

TEST_CASE("OAI request: a repeated verb is badVerb, even with the same value", "[oai_request]") {
    CHECK(codes_of({{"verb", "Identify"}, {"verb", "Identify"}}) == Codes{kBadVerb});
    CHECK(codes_of({{"verb", "Identify"}, {"verb", "ListSets"}}) == Codes{kBadVerb});
}

TEST_CASE("OAI request: a verb that is not one of the six is badVerb", "[oai_request]") {
    for (const char* verb : {"", "identify", "IDENTIFY", "ListRecord", "GetRecords", "Identify ",
                             " Identify", "ListAll"}) {
        INFO('"' << verb << '"');
        CHECK(codes_of({{"verb", verb}}) == Codes{kBadVerb});
    }
}

TEST_CASE("OAI request: with no legal verb, only badVerb is reported", "[oai_request]") {
    // The other arguments cannot be judged without a verb.
    CHECK(codes_of({{"verb", "Nothing"}, {"foo", "1"}, {"from", "never"}}) == Codes{kBadVerb});
}

// ---- Arguments of each verb -------------------------------------------------------------------

TEST_CASE("OAI request: Identify takes no argument", "[oai_request]") {
    const OaiRequest request = parsed({{"verb", "Identify"}});
    CHECK(request.identifier.empty());
    CHECK(request.metadata_prefix.empty());
    for (const char* name :
         {"identifier", "metadataPrefix", "set", "from", "until", "resumptionToken"}) {
        INFO(name);
        CHECK(codes_of({{"verb", "Identify"}, {name, "2026-01-01"}}) == Codes{kBadArgument});
    }
}

TEST_CASE("OAI request: ListMetadataFormats takes an optional identifier", "[oai_request]") {
    CHECK(parsed({{"verb", "ListMetadataFormats"}}).identifier.empty());
    CHECK(parsed({{"verb", "ListMetadataFormats"}, {"identifier", "oai:img.example.org:ark:/1/x"}})
              .identifier == "oai:img.example.org:ark:/1/x");
    for (const char* name : {"metadataPrefix", "set", "from", "until", "resumptionToken"}) {
        INFO(name);
        CHECK(codes_of({{"verb", "ListMetadataFormats"}, {name, "2026-01-01"}}) ==
              Codes{kBadArgument});
    }
}

TEST_CASE("OAI request: ListSets takes only a resumptionToken", "[oai_request]") {
    CHECK(parsed({{"verb", "ListSets"}}).resumption_token.empty());
    CHECK(parsed({{"verb", "ListSets"}, {"resumptionToken", "abc"}}).resumption_token == "abc");
    for (const char* name : {"identifier", "metadataPrefix", "set", "from", "until"}) {
        INFO(name);
        CHECK(codes_of({{"verb", "ListSets"}, {name, "2026-01-01"}}) == Codes{kBadArgument});
    }
}

TEST_CASE("OAI request: GetRecord requires identifier and metadataPrefix", "[oai_request]") {
    const OaiRequest request = parsed(
        {{"verb", "GetRecord"}, {"identifier", "oai:x:ark:/1/b"}, {"metadataPrefix", "edm"}});
    CHECK(request.identifier == "oai:x:ark:/1/b");
    CHECK(request.metadata_prefix == "edm");
    CHECK(codes_of({{"verb", "GetRecord"}}) == Codes{kBadArgument, kBadArgument});
    CHECK(codes_of({{"verb", "GetRecord"}, {"identifier", "oai:x:1"}}) == Codes{kBadArgument});
    CHECK(codes_of({{"verb", "GetRecord"}, {"metadataPrefix", "oai_dc"}}) == Codes{kBadArgument});
}

TEST_CASE("OAI request: GetRecord takes nothing but identifier and metadataPrefix",
          "[oai_request]") {
    for (const char* name : {"set", "from", "until", "resumptionToken", "verbose"}) {
        INFO(name);
        CHECK(codes_of({{"verb", "GetRecord"},
                        {"identifier", "oai:x:1"},
                        {"metadataPrefix", "oai_dc"},
                        {name, "2026-01-01"}}) == Codes{kBadArgument});
    }
}

TEST_CASE("OAI request: ListIdentifiers and ListRecords require metadataPrefix", "[oai_request]") {
    for (const char* verb : {"ListIdentifiers", "ListRecords"}) {
        INFO(verb);
        CHECK(codes_of({{"verb", verb}}) == Codes{kBadArgument});
        CHECK(codes_of({{"verb", verb}, {"set", "maps"}, {"from", "2026-01-01"}}) ==
              Codes{kBadArgument});
        CHECK(parsed({{"verb", verb}, {"metadataPrefix", "oai_dc"}}).metadata_prefix == "oai_dc");
    }
}

TEST_CASE("OAI request: ListIdentifiers and ListRecords take from, until and set",
          "[oai_request]") {
    for (const char* verb : {"ListIdentifiers", "ListRecords"}) {
        INFO(verb);
        const OaiRequest request = parsed({{"verb", verb},
                                           {"until", "2026-01-02T00:00:00Z"},
                                           {"set", "maps:france"},
                                           {"metadataPrefix", "edm"},
                                           {"from", "2026-01-01T00:00:00Z"}});
        CHECK(request.metadata_prefix == "edm");
        CHECK(request.set == "maps:france");
        REQUIRE(request.from);
        REQUIRE(request.until);
        CHECK(*request.from == OaiDate{k20260101, false});
        CHECK(*request.until == OaiDate{k20260101 + kDay, false});
        CHECK(request.identifier.empty());
        CHECK(request.resumption_token.empty());
        CHECK(codes_of({{"verb", verb}, {"metadataPrefix", "edm"}, {"identifier", "oai:x:1"}}) ==
              Codes{kBadArgument});
    }
}

TEST_CASE("OAI request: an argument named twice is badArgument, even with the same value",
          "[oai_request]") {
    CHECK(codes_of({{"verb", "ListRecords"},
                    {"metadataPrefix", "oai_dc"},
                    {"metadataPrefix", "oai_dc"}}) == Codes{kBadArgument});
    CHECK(
        codes_of(
            {{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"set", "a"}, {"set", "b"}}) ==
        Codes{kBadArgument});
    CHECK(codes_of({{"verb", "ListMetadataFormats"}, {"identifier", "a"}, {"identifier", "b"}}) ==
          Codes{kBadArgument});
}

TEST_CASE("OAI request: an argument no verb defines is badArgument", "[oai_request]") {
    // Names are case-sensitive.
    for (const char* name : {"foo", "Identifier", "metadataprefix", "SET", "resumptiontoken", ""}) {
        INFO('"' << name << '"');
        CHECK(codes_of({{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {name, "x"}}) ==
              Codes{kBadArgument});
    }
}

TEST_CASE("OAI request: an argument with an empty value is badArgument", "[oai_request]") {
    for (const char* name : {"metadataPrefix", "set", "from", "until"}) {
        INFO(name);
        OaiArguments arguments{{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}};
        if (std::string(name) == "metadataPrefix") arguments.pop_back();
        arguments.emplace_back(name, "");
        CHECK(codes_of(arguments) == Codes{kBadArgument});
    }
    CHECK(codes_of({{"verb", "ListMetadataFormats"}, {"identifier", ""}}) == Codes{kBadArgument});
    CHECK(codes_of({{"verb", "GetRecord"}, {"identifier", ""}, {"metadataPrefix", "oai_dc"}}) ==
          Codes{kBadArgument});
}

TEST_CASE("OAI request: each problem of a request is one badArgument", "[oai_request]") {
    // An unknown argument, a bad date, a repeated set, a missing metadataPrefix.
    const std::vector<OaiError> errors = errors_of(
        {{"verb", "ListRecords"}, {"foo", "1"}, {"from", "yesterday"}, {"set", "a"}, {"set", "a"}});
    CHECK(errors.size() == 4);
    for (const OaiError& error : errors) CHECK(error.code == kBadArgument);
}

// ---- resumptionToken ----------------------------------------------------------------------------

TEST_CASE("OAI request: a resumptionToken stands for the other arguments", "[oai_request]") {
    for (const char* verb : {"ListSets", "ListIdentifiers", "ListRecords"}) {
        INFO(verb);
        const OaiRequest request = parsed({{"verb", verb}, {"resumptionToken", "AbC-_09"}});
        CHECK(request.resumption_token == "AbC-_09");
        CHECK(request.metadata_prefix.empty());  // metadataPrefix is no longer required
        CHECK_FALSE(request.from);
        CHECK_FALSE(request.until);
    }
}

TEST_CASE("OAI request: resumptionToken is exclusive", "[oai_request]") {
    for (const auto& [name, value] :
         std::vector<std::pair<std::string, std::string>>{{"metadataPrefix", "oai_dc"},
                                                          {"set", "maps"},
                                                          {"from", "2026-01-01"},
                                                          {"until", "2026-01-01"}}) {
        INFO(name);
        CHECK(codes_of({{"verb", "ListRecords"}, {"resumptionToken", "abc"}, {name, value}}) ==
              Codes{kBadArgument});
        CHECK(codes_of({{"verb", "ListIdentifiers"}, {name, value}, {"resumptionToken", "abc"}}) ==
              Codes{kBadArgument});
    }
}

TEST_CASE("OAI request: only ListSets, ListIdentifiers and ListRecords take a resumptionToken",
          "[oai_request]") {
    CHECK(codes_of({{"verb", "Identify"}, {"resumptionToken", "abc"}}) == Codes{kBadArgument});
    CHECK(codes_of({{"verb", "ListMetadataFormats"}, {"resumptionToken", "abc"}}) ==
          Codes{kBadArgument});
    // GetRecord: the token is no argument of it, and the two it requires are missing.
    CHECK(codes_of({{"verb", "GetRecord"}, {"resumptionToken", "abc"}}) ==
          Codes{kBadArgument, kBadArgument, kBadArgument});
}

TEST_CASE("OAI request: an empty resumptionToken is badArgument", "[oai_request]") {
    const std::vector<OaiError> errors = errors_of({{"verb", "ListSets"}, {"resumptionToken", ""}});
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].code == kBadArgument);
}

// ---- Dates ------------------------------------------------------------------------------------

TEST_CASE("OAI date: a day is YYYY-MM-DD, from its first second, UTC", "[oai_request]") {
    CHECK(parse_oai_date("2026-01-01") == OaiDate{k20260101, true});
    CHECK(parse_oai_date("1970-01-01") == OaiDate{0, true});
    CHECK(parse_oai_date("2024-02-29") == OaiDate{1709164800, true});  // a leap year
    CHECK(parse_oai_date("0001-01-01") == OaiDate{-62135596800, true});
    CHECK(parse_oai_date("9999-12-31") == OaiDate{253402300799 - 86399, true});
}

TEST_CASE("OAI date: a second is YYYY-MM-DDThh:mm:ssZ, UTC", "[oai_request]") {
    CHECK(parse_oai_date("2026-01-01T00:00:00Z") == OaiDate{k20260101, false});
    CHECK(parse_oai_date("2026-11-22T04:56:18Z") == OaiDate{1795323378, false});
    CHECK(parse_oai_date("2000-02-29T23:59:59Z") == OaiDate{951868799, false});
    CHECK(parse_oai_date("1969-12-31T23:59:59Z") == OaiDate{-1, false});
    CHECK(parse_oai_date("9999-12-31T23:59:59Z") == OaiDate{253402300799, false});
}

TEST_CASE("OAI date: a date or time that is not on the calendar is refused", "[oai_request]") {
    for (const char* text :
         {"2026-02-30", "2026-02-29", "2100-02-29", "2026-04-31", "2026-13-01", "2026-00-10",
          "2026-01-00", "2026-01-32", "0000-01-01", "0000-12-31T00:00:00Z", "2026-01-01T24:00:00Z",
          "2026-01-01T23:60:00Z", "2026-01-01T23:59:60Z", "2026-02-30T12:00:00Z",
          "2026-13-01T00:00:00Z"}) {
        INFO(text);
        CHECK_FALSE(parse_oai_date(text));
    }
}

TEST_CASE("OAI date: only the two forms of the protocol are read", "[oai_request]") {
    for (const char* text : {"",
                             "2026",
                             "2026-01",
                             "20260101",
                             "2026-1-01",
                             "2026-01-1",
                             "2026/01/01",
                             "26-01-01",
                             " 2026-01-01",
                             "2026-01-01 ",
                             "2026-01-01T00:00:00",
                             "2026-01-01T00:00:00z",
                             "2026-01-01t00:00:00Z",
                             "2026-01-01 00:00:00Z",
                             "2026-01-01T00:00Z",
                             "2026-01-01T00:00:00.0Z",
                             "2026-01-01T00:00:00+00:00",
                             "2026-01-01T0:00:00Z",
                             "+2026-01-01",
                             "-002-01-01",
                             "2026-01-01T00:00:0aZ",
                             "２０２６-01-01"}) {
        INFO('"' << text << '"');
        CHECK_FALSE(parse_oai_date(text));
    }
}

TEST_CASE("OAI request: from and until are kept with their granularity", "[oai_request]") {
    const OaiRequest request = parsed({{"verb", "ListIdentifiers"},
                                       {"metadataPrefix", "oai_dc"},
                                       {"from", "2026-01-01"},
                                       {"until", "2026-01-03"}});
    REQUIRE(request.from);
    REQUIRE(request.until);
    CHECK(*request.from == OaiDate{k20260101, true});
    // The whole of the until day is in the range: its last second.
    CHECK(*request.until == OaiDate{k20260101 + 2 * kDay + 86399, true});
}

TEST_CASE("OAI request: until given as a day covers the whole day", "[oai_request]") {
    const OaiRequest request =
        parsed({{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"until", "2026-01-01"}});
    REQUIRE(request.until);
    CHECK(request.until->seconds == k20260101 + 86399);
    CHECK(request.until->day);
    CHECK_FALSE(request.from);
    const OaiRequest to_the_second = parsed(
        {{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"until", "2026-01-01T00:00:00Z"}});
    CHECK(*to_the_second.until == OaiDate{k20260101, false});
}

TEST_CASE("OAI request: from given as a day starts at its first second", "[oai_request]") {
    const OaiRequest request =
        parsed({{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"from", "2026-01-01"}});
    CHECK(*request.from == OaiDate{k20260101, true});
    CHECK_FALSE(request.until);
}

TEST_CASE("OAI request: a from or until that is no date is badArgument", "[oai_request]") {
    for (const char* name : {"from", "until"}) {
        for (const char* value : {"2026-02-30", "2026-01-01T00:00:00", "yesterday", "0000-01-01"}) {
            INFO(name << "=" << value);
            CHECK(
                codes_of({{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {name, value}}) ==
                Codes{kBadArgument});
        }
    }
}

TEST_CASE("OAI request: from and until of different granularities are badArgument",
          "[oai_request]") {
    CHECK(codes_of({{"verb", "ListRecords"},
                    {"metadataPrefix", "oai_dc"},
                    {"from", "2026-01-01"},
                    {"until", "2026-02-01T00:00:00Z"}}) == Codes{kBadArgument});
    CHECK(codes_of({{"verb", "ListIdentifiers"},
                    {"metadataPrefix", "oai_dc"},
                    {"from", "2026-01-01T00:00:00Z"},
                    {"until", "2026-02-01"}}) == Codes{kBadArgument});
}

TEST_CASE("OAI request: from later than until is badArgument", "[oai_request]") {
    CHECK(codes_of({{"verb", "ListRecords"},
                    {"metadataPrefix", "oai_dc"},
                    {"from", "2026-01-02"},
                    {"until", "2026-01-01"}}) == Codes{kBadArgument});
    CHECK(codes_of({{"verb", "ListRecords"},
                    {"metadataPrefix", "oai_dc"},
                    {"from", "2026-01-01T00:00:01Z"},
                    {"until", "2026-01-01T00:00:00Z"}}) == Codes{kBadArgument});
}

TEST_CASE("OAI request: from and until on the same day or second is a legal range",
          "[oai_request]") {
    const OaiRequest day = parsed({{"verb", "ListRecords"},
                                   {"metadataPrefix", "oai_dc"},
                                   {"from", "2026-01-01"},
                                   {"until", "2026-01-01"}});
    CHECK(*day.from == OaiDate{k20260101, true});
    CHECK(*day.until == OaiDate{k20260101 + 86399, true});
    const OaiRequest second = parsed({{"verb", "ListRecords"},
                                      {"metadataPrefix", "oai_dc"},
                                      {"from", "2026-01-01T12:00:00Z"},
                                      {"until", "2026-01-01T12:00:00Z"}});
    CHECK(*second.from == OaiDate{k20260101 + 43200, false});
    CHECK(*second.until == OaiDate{k20260101 + 43200, false});
}

TEST_CASE("OAI date: format_utc_datetime writes YYYY-MM-DDThh:mm:ssZ in UTC", "[oai_request]") {
    CHECK(format_utc_datetime(0) == "1970-01-01T00:00:00Z");
    CHECK(format_utc_datetime(1700000000) == "2023-11-14T22:13:20Z");
    CHECK(format_utc_datetime(1795323378) == "2026-11-22T04:56:18Z");
    CHECK(format_utc_datetime(951868799) == "2000-02-29T23:59:59Z");
    CHECK(format_utc_datetime(-1) == "1969-12-31T23:59:59Z");
    CHECK(format_utc_datetime(253402300799) == "9999-12-31T23:59:59Z");
}

TEST_CASE(
    "OAI date: format_utc_datetime writes four-digit years, so parse_oai_date reads it "
    "back for every year it accepts",
    "[oai_request]") {
    for (const char* text : {"0001-01-01T00:00:00Z", "0099-06-15T08:09:10Z", "0999-12-31T23:59:59Z",
                             "1000-01-01T00:00:00Z", "1900-02-28T12:00:00Z", "2026-11-22T04:56:18Z",
                             "9999-12-31T23:59:59Z"}) {
        INFO(text);
        const auto date = parse_oai_date(text);
        REQUIRE(date);
        CHECK(format_utc_datetime(date->seconds) == text);
    }
}

// ---- What the response echoes -----------------------------------------------------------------

TEST_CASE("OAI request: the arguments are kept as received, verb included, in order",
          "[oai_request]") {
    const OaiArguments arguments{{"set", "maps:france"},
                                 {"verb", "ListRecords"},
                                 {"until", "2026-01-01"},
                                 {"metadataPrefix", "oai_dc"}};
    CHECK(parsed(arguments).arguments == arguments);
    const OaiArguments token{{"verb", "ListSets"}, {"resumptionToken", "x-y_z"}};
    CHECK(parsed(token).arguments == token);
}

TEST_CASE("OAI request: error codes have the protocol's names", "[oai_request]") {
    CHECK(oai_error_code_name(OaiErrorCode::bad_argument) == "badArgument");
    CHECK(oai_error_code_name(OaiErrorCode::bad_resumption_token) == "badResumptionToken");
    CHECK(oai_error_code_name(OaiErrorCode::bad_verb) == "badVerb");
    CHECK(oai_error_code_name(OaiErrorCode::cannot_disseminate_format) ==
          "cannotDisseminateFormat");
    CHECK(oai_error_code_name(OaiErrorCode::id_does_not_exist) == "idDoesNotExist");
    CHECK(oai_error_code_name(OaiErrorCode::no_records_match) == "noRecordsMatch");
    CHECK(oai_error_code_name(OaiErrorCode::no_metadata_formats) == "noMetadataFormats");
    CHECK(oai_error_code_name(OaiErrorCode::no_set_hierarchy) == "noSetHierarchy");
}

// ---- Values the schema types --------------------------------------------------------------------
// The response echoes legal arguments in <request>, where the schema types them: values that
// cannot stand there are badArgument, whose <request> echoes nothing.

TEST_CASE("OAI request: an identifier that is no URI is badArgument", "[oai_request]") {
    for (const char* identifier : {"%%%", "oai:x:a#b#c", "oai:x:a b", "oai:x:%4", "oai:x:é"}) {
        INFO(identifier);
        CHECK(codes_of({{"verb", "GetRecord"},
                        {"identifier", identifier},
                        {"metadataPrefix", "oai_dc"}}) == Codes{kBadArgument});
        CHECK(codes_of({{"verb", "ListMetadataFormats"}, {"identifier", identifier}}) ==
              Codes{kBadArgument});
    }
    CHECK(parsed({{"verb", "GetRecord"},
                  {"identifier", "oai:images.example.org:ark:/99999/fk4-7qkf8pnd-p"},
                  {"metadataPrefix", "oai_dc"}})
              .identifier == "oai:images.example.org:ark:/99999/fk4-7qkf8pnd-p");
    CHECK(parsed({{"verb", "ListMetadataFormats"}, {"identifier", "oai:x:ark%3A%2F1%2Fa#f"}})
              .identifier == "oai:x:ark%3A%2F1%2Fa#f");
}

TEST_CASE("OAI request: a metadataPrefix of illegal syntax is badArgument", "[oai_request]") {
    for (const char* prefix : {"oai dc", "oai:dc", "oai/dc", "édm"}) {
        INFO(prefix);
        CHECK(codes_of({{"verb", "ListRecords"}, {"metadataPrefix", prefix}}) ==
              Codes{kBadArgument});
    }
    CHECK(parsed({{"verb", "ListRecords"}, {"metadataPrefix", "x-My_format.1!~*'()"}})
              .metadata_prefix == "x-My_format.1!~*'()");
}

TEST_CASE("OAI request: a set that is no set spec is badArgument", "[oai_request]") {
    for (const char* set : {"fonds letters", "a::b", ":a", "a:", "a/b"}) {
        INFO(set);
        CHECK(codes_of({{"verb", "ListIdentifiers"}, {"metadataPrefix", "oai_dc"}, {"set", set}}) ==
              Codes{kBadArgument});
    }
    CHECK(parsed({{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"set", "a:b-c.d"}}).set ==
          "a:b-c.d");
}
