#include "oai_request.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "dublin_core.hpp"

namespace iiif {
namespace {

struct VerbRule {
    OaiVerb verb;
    std::string_view name;
    std::vector<std::string_view> required;
    std::vector<std::string_view> optional;
    bool resumable;  // takes an exclusive resumptionToken
};

const std::array<VerbRule, 6>& verb_rules() {
    static const std::array<VerbRule, 6> rules{{
        {OaiVerb::identify, "Identify", {}, {}, false},
        {OaiVerb::list_metadata_formats, "ListMetadataFormats", {}, {"identifier"}, false},
        {OaiVerb::list_sets, "ListSets", {}, {}, true},
        {OaiVerb::get_record, "GetRecord", {"identifier", "metadataPrefix"}, {}, false},
        {OaiVerb::list_identifiers,
         "ListIdentifiers",
         {"metadataPrefix"},
         {"from", "until", "set"},
         true},
        {OaiVerb::list_records, "ListRecords", {"metadataPrefix"}, {"from", "until", "set"}, true},
    }};
    return rules;
}

bool contains(const std::vector<std::string_view>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

OaiError bad_argument(std::string message) {
    return {OaiErrorCode::bad_argument, std::move(message)};
}

// The schema's metadataPrefixType: [A-Za-z0-9-_.!~*'()]+.
bool is_metadata_prefix(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isalnum(c) ||
               std::string_view("-_.!~*'()").find(static_cast<char>(c)) != std::string_view::npos;
    });
}

// A URI reference as RFC 3986 spells it (the schema's anyURI): its characters, percent
// escapes of two hex digits, one fragment at most.
bool is_uri(std::string_view text) {
    if (text.empty() || std::count(text.begin(), text.end(), '#') > 1) return false;
    for (size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '%') {
            if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
                !std::isxdigit(static_cast<unsigned char>(text[i + 2])))
                return false;
            i += 2;
            continue;
        }
        if (!std::isalnum(c) &&
            std::string_view("-._~:/?#[]@!$&'()*+,;=").find(static_cast<char>(c)) ==
                std::string_view::npos)
            return false;
    }
    return true;
}

}  // namespace

std::string_view oai_verb_name(OaiVerb verb) {
    for (const VerbRule& rule : verb_rules())
        if (rule.verb == verb) return rule.name;
    return "Identify";
}

std::string_view oai_error_code_name(OaiErrorCode code) {
    switch (code) {
        case OaiErrorCode::bad_argument:
            return "badArgument";
        case OaiErrorCode::bad_resumption_token:
            return "badResumptionToken";
        case OaiErrorCode::bad_verb:
            return "badVerb";
        case OaiErrorCode::cannot_disseminate_format:
            return "cannotDisseminateFormat";
        case OaiErrorCode::id_does_not_exist:
            return "idDoesNotExist";
        case OaiErrorCode::no_records_match:
            return "noRecordsMatch";
        case OaiErrorCode::no_metadata_formats:
            return "noMetadataFormats";
        case OaiErrorCode::no_set_hierarchy:
            return "noSetHierarchy";
    }
    return "badArgument";
}

std::optional<OaiDate> parse_oai_date(std::string_view text) {
    // Digits exactly where the two forms put them, then a round trip through the calendar,
    // which refuses 2026-02-30 or 25:00:00 (timegm would roll them over).
    auto digits = [&](size_t at, size_t count, int& out) {
        out = 0;
        for (size_t i = at; i < at + count; ++i) {
            if (text[i] < '0' || text[i] > '9') return false;
            out = out * 10 + (text[i] - '0');
        }
        return true;
    };
    const bool day = text.size() == 10;
    if (!day && text.size() != 20) return std::nullopt;
    int year = 0, month = 0, mday = 0, hour = 0, minute = 0, second = 0;
    if (!digits(0, 4, year) || text[4] != '-' || !digits(5, 2, month) || text[7] != '-' ||
        !digits(8, 2, mday))
        return std::nullopt;
    if (!day &&
        (text[10] != 'T' || !digits(11, 2, hour) || text[13] != ':' || !digits(14, 2, minute) ||
         text[16] != ':' || !digits(17, 2, second) || text[19] != 'Z'))
        return std::nullopt;
    if (year < 1) return std::nullopt;
    std::tm fields{};
    fields.tm_year = year - 1900;
    fields.tm_mon = month - 1;
    fields.tm_mday = mday;
    fields.tm_hour = hour;
    fields.tm_min = minute;
    fields.tm_sec = second;
    const std::time_t seconds = timegm(&fields);
    std::tm back{};
    if (gmtime_r(&seconds, &back) == nullptr || back.tm_year != year - 1900 ||
        back.tm_mon != month - 1 || back.tm_mday != mday || back.tm_hour != hour ||
        back.tm_min != minute || back.tm_sec != second)
        return std::nullopt;
    return OaiDate{static_cast<std::int64_t>(seconds), day};
}

std::variant<OaiRequest, std::vector<OaiError>> parse_oai_request(const OaiArguments& arguments) {
    // The verb first: without a single legal one, nothing else can be judged.
    const VerbRule* rule = nullptr;
    int verbs = 0;
    std::string verb_text;
    for (const auto& [name, value] : arguments) {
        if (name != "verb") continue;
        ++verbs;
        verb_text = value;
    }
    if (verbs == 0) return std::vector{OaiError{OaiErrorCode::bad_verb, "the verb is missing"}};
    if (verbs > 1) return std::vector{OaiError{OaiErrorCode::bad_verb, "the verb is repeated"}};
    for (const VerbRule& candidate : verb_rules())
        if (candidate.name == verb_text) rule = &candidate;
    if (rule == nullptr)
        return std::vector{
            OaiError{OaiErrorCode::bad_verb, "\"" + verb_text + "\" is not an OAI-PMH verb"}};

    OaiRequest request;
    request.verb = rule->verb;
    request.arguments = arguments;
    std::vector<OaiError> errors;
    std::vector<std::string_view> seen;
    bool has_token = false;
    for (const auto& [name, value] : arguments) {
        if (name == "verb") continue;
        const bool allowed = contains(rule->required, name) || contains(rule->optional, name) ||
                             (rule->resumable && name == "resumptionToken");
        if (!allowed) {
            errors.push_back(
                bad_argument("\"" + name + "\" is not an argument of " + std::string(rule->name)));
            continue;
        }
        if (contains(seen, name)) {
            errors.push_back(bad_argument("\"" + name + "\" is repeated"));
            continue;
        }
        seen.push_back(name);
        if (value.empty()) {
            errors.push_back(bad_argument("\"" + name + "\" is empty"));
            continue;
        }
        if (name == "identifier") {
            if (!is_uri(value)) {
                errors.push_back(bad_argument("\"identifier\" is not a URI"));
                continue;
            }
            request.identifier = value;
        } else if (name == "metadataPrefix") {
            if (!is_metadata_prefix(value)) {
                errors.push_back(
                    bad_argument("\"metadataPrefix\" is not a metadata prefix "
                                 "(letters, digits and -_.!~*'())"));
                continue;
            }
            request.metadata_prefix = value;
        } else if (name == "set") {
            if (!is_valid_set_spec(value)) {
                errors.push_back(
                    bad_argument("\"set\" is not a set spec (segments of letters, "
                                 "digits and -_.!~*'() separated by ':')"));
                continue;
            }
            request.set = value;
        } else if (name == "resumptionToken") {
            request.resumption_token = value;
            has_token = true;
        } else {
            std::optional<OaiDate> date = parse_oai_date(value);
            if (!date) {
                errors.push_back(bad_argument("\"" + name + "\" is not a UTC date " +
                                              "(YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)"));
                continue;
            }
            if (name == "from") {
                request.from = date;
            } else {
                if (date->day) date->seconds += 86399;  // the whole day is included
                request.until = date;
            }
        }
    }
    if (has_token && seen.size() > 1)
        errors.push_back(
            bad_argument("resumptionToken is exclusive: no other argument may "
                         "come with it but the verb"));
    if (!has_token) {
        for (std::string_view name : rule->required)
            if (!contains(seen, name))
                errors.push_back(bad_argument("\"" + std::string(name) + "\" is required"));
    }
    if (request.from && request.until) {
        if (request.from->day != request.until->day)
            errors.push_back(bad_argument("from and until have different granularities"));
        else if (request.from->seconds > request.until->seconds)
            errors.push_back(bad_argument("from is later than until"));
    }
    if (!errors.empty()) return errors;
    return request;
}

}  // namespace iiif
