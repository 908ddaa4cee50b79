#include "oai_provider.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <stdexcept>

#include "ark.hpp"
#include "oai_metadata.hpp"
#include "resumption_token.hpp"
#include "signing.hpp"
#include "storage.hpp"
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
        out.element("responseDate", iiif::format_utc_datetime(now));
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

// One request's answer: what the verbs share (finding an item, writing headers and records,
// checking a token, writing the next one), and one method per verb, each returning the whole
// response.
class OaiAnswer {
  public:
    OaiAnswer(const OaiProvider& provider, const OaiRequest& request, std::int64_t now)
        : provider_(provider),
          catalog_(provider.catalog_),
          publication_(provider.publication_),
          config_(provider.config_),
          request_(request),
          now_(now),
          repository_(iiif::oai_repository_identifier(publication_)),
          envelope_(now, provider.base_url(), &request),
          out_(envelope_.out) {}

    std::string identify();
    std::string list_metadata_formats();
    std::string get_record();
    std::string list_sets();
    std::string list_items();  // ListIdentifiers and ListRecords

  private:
    std::optional<iiif::ObjectRecord> item(const std::string& identifier) const;
    void header(const iiif::ObjectRecord& record);
    void full_record(const iiif::ObjectRecord& record, const iiif::OaiFormat& format);
    std::variant<iiif::ResumptionState, OaiError> resume(OaiVerb verb) const;
    void resumption(const iiif::ResumptionState& state, size_t given, bool more, bool resumed);
    std::string error(OaiErrorCode code, std::string message) {
        return envelope_.errors({{code, std::move(message)}});
    }
    static OaiError no_item(const std::string& identifier) {
        return {OaiErrorCode::id_does_not_exist,
                "no item has the identifier \"" + identifier + "\""};
    }
    static OaiError unknown_format(const std::string& prefix) {
        return {OaiErrorCode::cannot_disseminate_format,
                "\"" + prefix + "\" is not a metadata format of this repository " +
                    "(ListMetadataFormats lists them)"};
    }

    const OaiProvider& provider_;
    const iiif::CatalogReader& catalog_;
    const iiif::PublicationSettings& publication_;
    const OaiConfig& config_;
    const OaiRequest& request_;
    const std::int64_t now_;
    const std::string repository_;
    Envelope envelope_;
    XmlWriter& out_;
};

// The object an oai identifier names: published, and named by its own ARK, nothing after it.
std::optional<iiif::ObjectRecord> OaiAnswer::item(const std::string& identifier) const {
    const std::string prefix = "oai:" + repository_ + ":";
    if (identifier.size() <= prefix.size() ||
        !iequals(std::string_view(identifier).substr(0, prefix.size()), prefix))
        return std::nullopt;
    const std::string ark = identifier.substr(prefix.size());
    if (!iiif::parse_object_ark(ark)) return std::nullopt;
    auto record = catalog_.object(ark);
    if (!record || record->state == iiif::RecordState::pending) return std::nullopt;
    return record;
}

void OaiAnswer::header(const iiif::ObjectRecord& record) {
    out_.start("header");
    if (record.state == iiif::RecordState::withdrawn) out_.attribute("status", "deleted");
    out_.element("identifier", iiif::oai_identifier(publication_, record.ark));
    out_.element("datestamp", iiif::format_utc_datetime(record.datestamp));
    for (const std::string& spec : iiif::set_memberships(record.metadata.sets))
        out_.element("setSpec", spec);
    out_.end();
}

void OaiAnswer::full_record(const iiif::ObjectRecord& record, const iiif::OaiFormat& format) {
    out_.start("record");
    header(record);
    if (record.state != iiif::RecordState::withdrawn) {
        out_.start("metadata");
        iiif::write_oai_metadata(out_, format, publication_, record);
        out_.end();
        if (record.metadata.origin) {
            out_.start("about");
            iiif::write_oai_provenance(out_, *record.metadata.origin);
            out_.end();
        }
    }
    out_.end();
}

// The request's token, checked: its signature, its verb, its expiry.
std::variant<iiif::ResumptionState, OaiError> OaiAnswer::resume(OaiVerb verb) const {
    auto state = iiif::decode_resumption_token(request_.resumption_token, provider_.token_key_);
    if (!state)
        return OaiError{OaiErrorCode::bad_resumption_token,
                        "not a resumption token of this repository, or altered"};
    if (state->verb != verb)
        return OaiError{OaiErrorCode::bad_resumption_token,
                        "this resumption token continues a " +
                            std::string(iiif::oai_verb_name(state->verb)) + " list"};
    if (now_ > state->expires)
        return OaiError{
            OaiErrorCode::bad_resumption_token,
            "this resumption token expired at " + iiif::format_utc_datetime(state->expires)};
    return *state;
}

// <resumptionToken>: the next page's token when there is one; an empty element on the last
// page of a list that had several; nothing when the list fitted in one page.
void OaiAnswer::resumption(const iiif::ResumptionState& state, size_t given, bool more,
                           bool resumed) {
    if (!more && !resumed) return;
    out_.start("resumptionToken");
    iiif::ResumptionState next = state;
    next.cursor = state.cursor + static_cast<std::int64_t>(given);
    next.expires = now_ + config_.token_lifetime;
    if (more) out_.attribute("expirationDate", iiif::format_utc_datetime(next.expires));
    // completeListSize must be positive; records added after the count make it low, not
    // wrong in kind.
    out_.attribute("completeListSize",
                   std::to_string(std::max(state.complete_list_size, next.cursor)));
    out_.attribute("cursor", std::to_string(state.cursor));
    if (more) out_.text(iiif::encode_resumption_token(next, provider_.token_key_));
    out_.end();
}

std::string OaiAnswer::identify() {
    out_.start("Identify");
    out_.element("repositoryName", config_.repository_name);
    out_.element("baseURL", provider_.base_url());
    out_.element("protocolVersion", "2.0");
    for (const std::string& email : config_.admin_emails) out_.element("adminEmail", email);
    out_.element("earliestDatestamp",
                 iiif::format_utc_datetime(catalog_.earliest_datestamp().value_or(now_)));
    out_.element("deletedRecord", "persistent");
    out_.element("granularity", "YYYY-MM-DDThh:mm:ssZ");
    out_.element("compression", "gzip");
    if (is_domain_name(repository_)) {
        out_.start("description");
        out_.start("oai-identifier");
        out_.attribute("xmlns", kOaiIdentifierNamespace);
        out_.attribute("xmlns:xsi", kXsiNamespace);
        out_.attribute("xsi:schemaLocation", std::string(kOaiIdentifierNamespace) + " " +
                                                 std::string(kOaiIdentifierSchema));
        out_.element("scheme", "oai");
        out_.element("repositoryIdentifier", repository_);
        out_.element("delimiter", ":");
        const std::string shoulder = publication_.shoulders.empty()
                                         ? std::string("abc")
                                         : publication_.shoulders.front().shoulder;
        out_.element("sampleIdentifier", "oai:" + repository_ + ":ark:/" + publication_.naan + "/" +
                                             shoulder + "-12345678-X");
        out_.end();
        out_.end();
    }
    out_.end();
    return envelope_.finish();
}

std::string OaiAnswer::list_metadata_formats() {
    if (!request_.identifier.empty()) {
        auto record = item(request_.identifier);
        if (!record) return envelope_.errors({no_item(request_.identifier)});
        if (record->state == iiif::RecordState::withdrawn)
            return error(OaiErrorCode::no_metadata_formats,
                         "the item has been withdrawn: it has a header, and no metadata");
    }
    out_.start("ListMetadataFormats");
    for (const iiif::OaiFormat& format : iiif::oai_formats()) {
        out_.start("metadataFormat");
        out_.element("metadataPrefix", format.prefix);
        out_.element("schema", format.schema);
        out_.element("metadataNamespace", format.namespace_uri);
        out_.end();
    }
    out_.end();
    return envelope_.finish();
}

std::string OaiAnswer::get_record() {
    std::vector<OaiError> errors;
    auto record = item(request_.identifier);
    if (!record) errors.push_back(no_item(request_.identifier));
    const iiif::OaiFormat* format = iiif::find_oai_format(request_.metadata_prefix);
    if (!format) errors.push_back(unknown_format(request_.metadata_prefix));
    if (!errors.empty()) return envelope_.errors(errors);
    out_.start("GetRecord");
    full_record(*record, *format);
    out_.end();
    return envelope_.finish();
}

std::string OaiAnswer::list_sets() {
    const size_t page = static_cast<size_t>(config_.page_size) * kShortItemsFactor;
    iiif::ResumptionState state;
    state.verb = OaiVerb::list_sets;
    const bool resumed = !request_.resumption_token.empty();
    if (resumed) {
        auto resumed_state = resume(OaiVerb::list_sets);
        if (auto* failure = std::get_if<OaiError>(&resumed_state))
            return envelope_.errors({*failure});
        state = std::get<iiif::ResumptionState>(resumed_state);
    } else {
        state.complete_list_size =
            static_cast<std::int64_t>(catalog_.sets("", std::numeric_limits<size_t>::max()).size());
        if (state.complete_list_size == 0)
            return error(OaiErrorCode::no_set_hierarchy, "this repository has no sets yet");
    }
    std::vector<iiif::CatalogReader::SetInfo> sets = catalog_.sets(state.key, page + 1);
    const bool more = sets.size() > page;
    if (more) sets.resize(page);
    if (sets.empty())
        return error(OaiErrorCode::bad_resumption_token, "the list this token continues has ended");
    out_.start("ListSets");
    for (const auto& set : sets) {
        out_.start("set");
        out_.element("setSpec", set.spec);
        out_.element("setName", set.name.empty() ? set.spec : set.name);
        if (!set.description.empty()) {
            out_.start("setDescription");
            iiif::write_oai_dc_description(out_, set.name, set.description);
            out_.end();
        }
        out_.end();
    }
    state.key = sets.back().spec;
    resumption(state, sets.size(), more, resumed);
    out_.end();
    return envelope_.finish();
}

std::string OaiAnswer::list_items() {
    const bool records = request_.verb == OaiVerb::list_records;
    const size_t page = static_cast<size_t>(config_.page_size) * (records ? 1 : kShortItemsFactor);
    iiif::ResumptionState state;
    const bool resumed = !request_.resumption_token.empty();
    if (resumed) {
        auto resumed_state = resume(request_.verb);
        if (auto* failure = std::get_if<OaiError>(&resumed_state))
            return envelope_.errors({*failure});
        state = std::get<iiif::ResumptionState>(resumed_state);
    } else {
        state.verb = request_.verb;
        state.metadata_prefix = request_.metadata_prefix;
        state.set = request_.set;
        if (!iiif::find_oai_format(request_.metadata_prefix))
            return envelope_.errors({unknown_format(request_.metadata_prefix)});
        if (!request_.set.empty() && catalog_.sets("", 1).empty())
            return error(OaiErrorCode::no_set_hierarchy, "this repository has no sets yet");
        state.from = request_.from ? std::max<std::int64_t>(request_.from->seconds, 0) : 0;
        state.until = request_.until ? request_.until->seconds : now_;
        state.datestamp = state.from;
        if (state.until >= std::max<std::int64_t>(state.from, 1))
            state.complete_list_size = catalog_.count_published(state.from, state.until, state.set);
        if (state.complete_list_size == 0)
            return error(OaiErrorCode::no_records_match, "no record matches these arguments");
    }
    const iiif::OaiFormat* format = iiif::find_oai_format(state.metadata_prefix);
    if (!format)
        return error(OaiErrorCode::bad_resumption_token, "the token names no known format");
    std::vector<iiif::ObjectRecord> found =
        catalog_.published_by_date({state.datestamp, state.key}, state.until, page + 1, state.set);
    const bool more = found.size() > page;
    if (more) found.resize(page);
    if (found.empty())
        return error(OaiErrorCode::no_records_match,
                     "no record is left in the list this token continues");
    out_.start(records ? "ListRecords" : "ListIdentifiers");
    for (const iiif::ObjectRecord& record : found) {
        if (records) {
            full_record(record, *format);
        } else {
            header(record);
        }
    }
    const iiif::CatalogReader::Position last = iiif::CatalogReader::position_of(found.back());
    state.datestamp = last.datestamp;
    state.key = last.ark;
    resumption(state, found.size(), more, resumed);
    out_.end();
    return envelope_.finish();
}

std::string OaiProvider::respond(const iiif::OaiArguments& arguments, std::int64_t now) const {
    auto parsed = iiif::parse_oai_request(arguments);
    if (auto* errors = std::get_if<std::vector<OaiError>>(&parsed))
        return Envelope(now, base_url(), nullptr).errors(*errors);
    const OaiRequest& request = std::get<OaiRequest>(parsed);
    OaiAnswer answer(*this, request, now);
    switch (request.verb) {
        case OaiVerb::identify:
            return answer.identify();
        case OaiVerb::list_metadata_formats:
            return answer.list_metadata_formats();
        case OaiVerb::get_record:
            return answer.get_record();
        case OaiVerb::list_sets:
            return answer.list_sets();
        case OaiVerb::list_identifiers:
        case OaiVerb::list_records:
            return answer.list_items();
    }
    return Envelope(now, base_url(), nullptr)
        .errors({{OaiErrorCode::bad_verb,
                  "\"" + std::string(iiif::oai_verb_name(request.verb)) + "\" is not answered"}});
}

std::string load_token_key(const std::string& path) {
    return iiif::load_secret_key(path, true);
}

}  // namespace iiifd
