#include "oai_provider.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>

#include "ark.hpp"
#include "oai_metadata.hpp"
#include "resumption_token.hpp"
#include "xml_writer.hpp"

namespace iiifd {
namespace {

using iiif::OaiError;
using iiif::OaiErrorCode;
using iiif::OaiRequest;
using iiif::OaiVerb;
using iiif::XmlWriter;

constexpr std::string_view kOaiNamespace = "http://www.openarchives.org/OAI/2.0/";
constexpr std::string_view kOaiSchema = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd";
constexpr std::string_view kOaiIdentifierNamespace =
    "http://www.openarchives.org/OAI/2.0/oai-identifier";
constexpr std::string_view kOaiIdentifierSchema =
    "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd";
constexpr std::string_view kXsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";
constexpr size_t kMinKeyBytes = 32;
// ListIdentifiers and ListSets give this many times page_size per page: their items are small.
constexpr size_t kShortItemsFactor = 5;

// The oai-identifier scheme's repositoryIdentifier: a domain name.
bool is_domain_name(std::string_view text) {
    size_t labels = 0;
    for (size_t start = 0; start <= text.size();) {
        size_t dot = text.find('.', start);
        if (dot == std::string_view::npos) dot = text.size();
        const std::string_view label = text.substr(start, dot - start);
        if (label.empty() || !std::isalpha(static_cast<unsigned char>(label.front())) ||
            !std::all_of(label.begin(), label.end(),
                         [](unsigned char c) { return std::isalnum(c) != 0 || c == '-'; }))
            return false;
        ++labels;
        start = dot + 1;
    }
    return labels >= 2;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

// One response: the envelope is opened by the constructor and closed by finish().
class Envelope {
  public:
    // `request` null: the <request> element carries the base URL alone (badVerb, badArgument).
    Envelope(std::int64_t now, const std::string& base_url, const OaiRequest* request) {
        out.start("OAI-PMH");
        out.attribute("xmlns", kOaiNamespace);
        out.attribute("xmlns:xsi", kXsiNamespace);
        out.attribute("xsi:schemaLocation",
                      std::string(kOaiNamespace) + " " + std::string(kOaiSchema));
        out.element("responseDate", iiif::format_oai_datetime(now));
        out.start("request");
        if (request)
            for (const auto& [name, value] : request->arguments) out.attribute(name.c_str(), value);
        out.text(base_url);
        out.end();
    }
    std::string errors(const std::vector<OaiError>& errors) {
        for (const OaiError& error : errors) {
            out.start("error");
            out.attribute("code", iiif::oai_error_code_name(error.code));
            out.text(error.message);
            out.end();
        }
        return out.finish();
    }
    std::string finish() { return out.finish(); }

    XmlWriter out;
};

// What a list request resolves to, from its arguments or from its token.
struct ListQuery {
    iiif::ResumptionState state;
    bool resumed = false;
};

}  // namespace

OaiProvider::OaiProvider(const iiif::CatalogReader& catalog, iiif::PublicationSettings publication,
                         OaiConfig config, std::string token_key)
    : catalog_(catalog),
      publication_(std::move(publication)),
      config_(std::move(config)),
      token_key_(std::move(token_key)) {
    const std::string repository = iiif::oai_repository_identifier(publication_);
    if (!is_domain_name(repository))
        spdlog::warn(
            "OAI-PMH: the repository identifier \"{}\" is not a domain name, so Identify cannot "
            "declare the oai-identifier scheme; set [public] oai_repository_identifier",
            repository);
}

std::string OaiProvider::base_url() const {
    return publication_.base_url + publication_.oai_path;
}

std::string OaiProvider::respond(const iiif::OaiArguments& arguments, std::int64_t now) const {
    auto parsed = iiif::parse_oai_request(arguments);
    if (auto* errors = std::get_if<std::vector<OaiError>>(&parsed))
        return Envelope(now, base_url(), nullptr).errors(*errors);
    const OaiRequest& request = std::get<OaiRequest>(parsed);
    Envelope envelope(now, base_url(), &request);
    XmlWriter& out = envelope.out;
    const std::string repository = iiif::oai_repository_identifier(publication_);

    // The object an oai identifier names: published, and named by its base ARK.
    auto item = [&](const std::string& identifier) -> std::optional<iiif::ObjectRecord> {
        const std::string prefix = "oai:" + repository + ":";
        if (identifier.size() <= prefix.size() ||
            !iequals(std::string_view(identifier).substr(0, prefix.size()), prefix))
            return std::nullopt;
        const std::string ark = identifier.substr(prefix.size());
        auto parsed_ark = iiif::parse_ark(ark);
        if (!parsed_ark || !parsed_ark->qualifier.empty()) return std::nullopt;
        auto record = catalog_.object(ark);
        if (!record || record->state == iiif::RecordState::pending) return std::nullopt;
        return record;
    };
    auto no_item = [&](const std::string& identifier) {
        return OaiError{OaiErrorCode::id_does_not_exist,
                        "no item has the identifier \"" + identifier + "\""};
    };
    auto unknown_format = [](const std::string& prefix) {
        return OaiError{OaiErrorCode::cannot_disseminate_format,
                        "\"" + prefix + "\" is not a metadata format of this repository " +
                            "(ListMetadataFormats lists them)"};
    };
    auto header = [&](const iiif::ObjectRecord& record) {
        out.start("header");
        if (record.state == iiif::RecordState::withdrawn) out.attribute("status", "deleted");
        out.element("identifier", iiif::oai_identifier(publication_, record.ark));
        out.element("datestamp", iiif::format_oai_datetime(record.datestamp));
        for (const std::string& spec : iiif::set_memberships(record.metadata.sets))
            out.element("setSpec", spec);
        out.end();
    };
    auto full_record = [&](const iiif::ObjectRecord& record, const iiif::OaiFormat& format) {
        out.start("record");
        header(record);
        if (record.state != iiif::RecordState::withdrawn) {
            out.start("metadata");
            iiif::write_oai_metadata(out, format, publication_, record);
            out.end();
        }
        out.end();
    };
    // The token of a list request, checked: its signature, its verb, its expiry.
    auto resume = [&](OaiVerb verb) -> std::variant<iiif::ResumptionState, OaiError> {
        auto state = iiif::decode_resumption_token(request.resumption_token, token_key_);
        if (!state)
            return OaiError{OaiErrorCode::bad_resumption_token,
                            "not a resumption token of this repository, or altered"};
        if (state->verb != verb)
            return OaiError{OaiErrorCode::bad_resumption_token,
                            "this resumption token continues a " +
                                std::string(iiif::oai_verb_name(state->verb)) + " list"};
        if (now > state->expires)
            return OaiError{
                OaiErrorCode::bad_resumption_token,
                "this resumption token expired at " + iiif::format_oai_datetime(state->expires)};
        return *state;
    };
    // <resumptionToken>: the next page's token when there is one; an empty element on the last
    // page of a list that had several; nothing when the list fitted in one page.
    auto resumption = [&](const iiif::ResumptionState& state, size_t given, bool more,
                          bool resumed) {
        if (!more && !resumed) return;
        out.start("resumptionToken");
        iiif::ResumptionState next = state;
        next.cursor = state.cursor + static_cast<std::int64_t>(given);
        next.expires = now + config_.token_lifetime;
        if (more) out.attribute("expirationDate", iiif::format_oai_datetime(next.expires));
        // completeListSize must be positive; records added after the count make it low, not
        // wrong in kind.
        out.attribute("completeListSize",
                      std::to_string(std::max(state.complete_list_size, next.cursor)));
        out.attribute("cursor", std::to_string(state.cursor));
        if (more) out.text(iiif::encode_resumption_token(next, token_key_));
        out.end();
    };

    switch (request.verb) {
        case OaiVerb::identify: {
            out.start("Identify");
            out.element("repositoryName", config_.repository_name);
            out.element("baseURL", base_url());
            out.element("protocolVersion", "2.0");
            for (const std::string& email : config_.admin_emails) out.element("adminEmail", email);
            out.element("earliestDatestamp",
                        iiif::format_oai_datetime(catalog_.earliest_datestamp().value_or(now)));
            out.element("deletedRecord", "persistent");
            out.element("granularity", "YYYY-MM-DDThh:mm:ssZ");
            out.element("compression", "gzip");
            if (is_domain_name(repository)) {
                out.start("description");
                out.start("oai-identifier");
                out.attribute("xmlns", kOaiIdentifierNamespace);
                out.attribute("xmlns:xsi", kXsiNamespace);
                out.attribute("xsi:schemaLocation", std::string(kOaiIdentifierNamespace) + " " +
                                                        std::string(kOaiIdentifierSchema));
                out.element("scheme", "oai");
                out.element("repositoryIdentifier", repository);
                out.element("delimiter", ":");
                out.element(
                    "sampleIdentifier",
                    "oai:" + repository + ":ark:/" + publication_.naan + "/" +
                        (publication_.shoulders.empty() ? std::string("abc")
                                                        : publication_.shoulders.front().shoulder) +
                        "-12345678-X");
                out.end();
                out.end();
            }
            out.end();
            return envelope.finish();
        }

        case OaiVerb::list_metadata_formats: {
            if (!request.identifier.empty()) {
                auto record = item(request.identifier);
                if (!record) return envelope.errors({no_item(request.identifier)});
                if (record->state == iiif::RecordState::withdrawn)
                    return envelope.errors(
                        {{OaiErrorCode::no_metadata_formats,
                          "the item has been withdrawn: it has a header, and no metadata"}});
            }
            out.start("ListMetadataFormats");
            for (const iiif::OaiFormat& format : iiif::oai_formats()) {
                out.start("metadataFormat");
                out.element("metadataPrefix", format.prefix);
                out.element("schema", format.schema);
                out.element("metadataNamespace", format.namespace_uri);
                out.end();
            }
            out.end();
            return envelope.finish();
        }

        case OaiVerb::get_record: {
            std::vector<OaiError> errors;
            auto record = item(request.identifier);
            if (!record) errors.push_back(no_item(request.identifier));
            const iiif::OaiFormat* format = iiif::find_oai_format(request.metadata_prefix);
            if (!format) errors.push_back(unknown_format(request.metadata_prefix));
            if (!errors.empty()) return envelope.errors(errors);
            out.start("GetRecord");
            full_record(*record, *format);
            out.end();
            return envelope.finish();
        }

        case OaiVerb::list_sets: {
            const size_t page = static_cast<size_t>(config_.page_size) * kShortItemsFactor;
            iiif::ResumptionState state;
            state.verb = OaiVerb::list_sets;
            const bool resumed = !request.resumption_token.empty();
            if (resumed) {
                auto resumed_state = resume(OaiVerb::list_sets);
                if (auto* error = std::get_if<OaiError>(&resumed_state))
                    return envelope.errors({*error});
                state = std::get<iiif::ResumptionState>(resumed_state);
            } else {
                state.complete_list_size = static_cast<std::int64_t>(
                    catalog_.sets("", std::numeric_limits<size_t>::max()).size());
                if (state.complete_list_size == 0)
                    return envelope.errors(
                        {{OaiErrorCode::no_set_hierarchy, "this repository has no sets yet"}});
            }
            std::vector<iiif::CatalogReader::SetInfo> sets = catalog_.sets(state.key, page + 1);
            const bool more = sets.size() > page;
            if (more) sets.resize(page);
            if (sets.empty())
                return envelope.errors({{OaiErrorCode::bad_resumption_token,
                                         "the list this token continues has ended"}});
            out.start("ListSets");
            for (const auto& set : sets) {
                out.start("set");
                out.element("setSpec", set.spec);
                out.element("setName", set.name.empty() ? set.spec : set.name);
                if (!set.description.empty()) {
                    out.start("setDescription");
                    iiif::write_oai_dc_description(out, set.name, set.description);
                    out.end();
                }
                out.end();
            }
            state.key = sets.back().spec;
            resumption(state, sets.size(), more, resumed);
            out.end();
            return envelope.finish();
        }

        case OaiVerb::list_identifiers:
        case OaiVerb::list_records: {
            const bool records = request.verb == OaiVerb::list_records;
            const size_t page =
                static_cast<size_t>(config_.page_size) * (records ? 1 : kShortItemsFactor);
            iiif::ResumptionState state;
            const bool resumed = !request.resumption_token.empty();
            if (resumed) {
                auto resumed_state = resume(request.verb);
                if (auto* error = std::get_if<OaiError>(&resumed_state))
                    return envelope.errors({*error});
                state = std::get<iiif::ResumptionState>(resumed_state);
            } else {
                state.verb = request.verb;
                state.metadata_prefix = request.metadata_prefix;
                state.set = request.set;
                if (!iiif::find_oai_format(request.metadata_prefix))
                    return envelope.errors({unknown_format(request.metadata_prefix)});
                if (!request.set.empty()) {
                    if (catalog_.sets("", 1).empty())
                        return envelope.errors(
                            {{OaiErrorCode::no_set_hierarchy, "this repository has no sets yet"}});
                }
                state.from = request.from ? std::max<std::int64_t>(request.from->seconds, 0) : 0;
                state.until = request.until ? request.until->seconds : now;
                state.datestamp = state.from;
                if (state.until >= std::max<std::int64_t>(state.from, 1))
                    state.complete_list_size =
                        catalog_.count_published(state.from, state.until, state.set);
                if (state.complete_list_size == 0)
                    return envelope.errors(
                        {{OaiErrorCode::no_records_match, "no record matches these arguments"}});
            }
            const iiif::OaiFormat* format = iiif::find_oai_format(state.metadata_prefix);
            if (!format)
                return envelope.errors(
                    {{OaiErrorCode::bad_resumption_token, "the token names no known format"}});
            std::vector<iiif::ObjectRecord> found = catalog_.published_by_date(
                {state.datestamp, state.key}, state.until, page + 1, state.set);
            const bool more = found.size() > page;
            if (more) found.resize(page);
            if (found.empty())
                return envelope.errors({{OaiErrorCode::no_records_match,
                                         "no record is left in the list this token continues"}});
            out.start(records ? "ListRecords" : "ListIdentifiers");
            for (const iiif::ObjectRecord& record : found) {
                if (records) {
                    full_record(record, *format);
                } else {
                    header(record);
                }
            }
            const iiif::CatalogReader::Position last =
                iiif::CatalogReader::position_of(found.back());
            state.datestamp = last.datestamp;
            state.key = last.ark;
            resumption(state, found.size(), more, resumed);
            out.end();
            return envelope.finish();
        }
    }
    return envelope.errors({{OaiErrorCode::bad_verb, "unknown verb"}});
}

std::string load_token_key(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        unsigned char random[kMinKeyBytes];
        if (RAND_bytes(random, sizeof random) != 1)
            throw std::runtime_error(path + ": no randomness for a new key");
        static constexpr char kHex[] = "0123456789abcdef";
        std::string text;
        for (unsigned char c : random) {
            text += kHex[c >> 4];
            text += kHex[c & 15];
        }
        text += '\n';
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            const bool written =
                ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                ::fsync(fd) == 0;
            ::close(fd);
            if (!written) {
                ::unlink(path.c_str());
                throw std::runtime_error(path + ": cannot write the new key");
            }
        } else if (errno != EEXIST) {
            throw std::runtime_error(path + ": cannot create: " + std::strerror(errno));
        }
        in.open(path, std::ios::binary);  // ours, or the one another daemon wrote first
        if (!in) throw std::runtime_error(path + ": cannot read");
    }
    std::string key{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
    if (key.size() < kMinKeyBytes)
        throw std::runtime_error(path + ": a key of at least " + std::to_string(kMinKeyBytes) +
                                 " bytes is needed");
    return key;
}

}  // namespace iiifd
