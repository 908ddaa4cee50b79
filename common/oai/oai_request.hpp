// An OAI-PMH 2.0 request, parsed from its arguments (a GET query or a POST form) into a value
// before anything reads the catalog: the verb, its arguments, and the protocol's argument rules
// (required, optional, exclusive, repeated, unknown), with the errors the protocol names.
// Pure functions: no I/O, no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "clock.hpp"

namespace iiif {

enum class OaiVerb {
    identify,
    list_metadata_formats,
    list_sets,
    get_record,
    list_identifiers,
    list_records
};
std::string_view oai_verb_name(OaiVerb verb);

enum class OaiErrorCode {
    bad_argument,
    bad_resumption_token,
    bad_verb,
    cannot_disseminate_format,
    id_does_not_exist,
    no_records_match,
    no_metadata_formats,
    no_set_hierarchy
};
std::string_view oai_error_code_name(OaiErrorCode code);  // "badArgument", ...

struct OaiError {
    OaiErrorCode code;
    std::string message;
    bool operator==(const OaiError&) const = default;
};

// A datestamp argument: UTC seconds, and whether it was given as a day (YYYY-MM-DD) or to the
// second (YYYY-MM-DDThh:mm:ssZ).
struct OaiDate {
    std::int64_t seconds = 0;
    bool day = false;
    bool operator==(const OaiDate&) const = default;
};

using OaiArguments = std::vector<std::pair<std::string, std::string>>;

struct OaiRequest {
    OaiVerb verb = OaiVerb::identify;
    OaiArguments arguments;  // as received, verb included: echoed in the response's <request>
    std::string identifier;
    std::string metadata_prefix;
    std::string set;
    std::string resumption_token;
    // `from` is the first second of its day when given as a day; `until` the last second.
    std::optional<OaiDate> from;
    std::optional<OaiDate> until;
};

// The request, or the errors that make it illegal (badVerb, or one badArgument per problem):
// beyond the argument rules, an identifier that is no URI, a metadataPrefix or a set of illegal
// syntax are badArgument too (the response then echoes no argument, as the schema requires).
// Which formats, sets, identifiers and tokens exist is for the provider to say.
std::variant<OaiRequest, std::vector<OaiError>> parse_oai_request(const OaiArguments& arguments);

// "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ssZ", a real calendar date and time (years 0001 to 9999);
// nullopt otherwise.
std::optional<OaiDate> parse_oai_date(std::string_view text);
// Datestamps are written with format_utc_datetime (clock.hpp).

}  // namespace iiif
