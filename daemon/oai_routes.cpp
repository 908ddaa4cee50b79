// /oai for harvesters, no key needed: GET with the arguments in the query, POST with them in an
// application/x-www-form-urlencoded body; the answer is the provider's (oai_provider.hpp). Each
// answer, refusals and errors included, is counted by verb and status (metrics.hpp).

#include <memory>
#include <string>
#include <string_view>

#include "clock.hpp"
#include "encoding.hpp"
#include "http_routes.hpp"
#include "iiif_error.hpp"
#include "oai_request.hpp"

namespace iiifd {
namespace {

// An OAI-PMH POST body is a handful of arguments; a resumption token is under 400 bytes.
constexpr size_t kMaxOaiBody = 64 << 10;

// The verb a request is counted under (metrics.hpp): one of the protocol's six, given once;
// "other" for none, a repeated one or an unknown one (all badVerb), so that what a client sends
// cannot make new series.
std::string_view verb_label(const iiif::OaiArguments& arguments) {
    std::string_view verb;
    int given = 0;
    for (const auto& [name, value] : arguments) {
        if (name != "verb") continue;
        verb = value;
        ++given;
    }
    using iiif::OaiVerb;
    for (OaiVerb known : {OaiVerb::identify, OaiVerb::list_metadata_formats, OaiVerb::list_sets,
                          OaiVerb::get_record, OaiVerb::list_identifiers, OaiVerb::list_records})
        if (given == 1 && iiif::oai_verb_name(known) == verb) return iiif::oai_verb_name(known);
    return "other";
}

// Admission of OAI-PMH requests: at most `limit` at once, from their headers to the end of
// their answers, the others refused at once (503) rather than queued behind a long harvest page.
class Admission {
  public:
    Admission(std::atomic<int>& in_flight, int limit) : in_flight_(in_flight) {
        admitted_ = in_flight_.fetch_add(1) < limit;
        if (!admitted_) in_flight_.fetch_sub(1);
    }
    ~Admission() {
        if (admitted_) in_flight_.fetch_sub(1);
    }
    Admission(const Admission&) = delete;
    Admission& operator=(const Admission&) = delete;
    bool admitted() const { return admitted_; }

  private:
    std::atomic<int>& in_flight_;
    bool admitted_ = false;
};

}  // namespace

OaiRoutes::OaiRoutes(const DaemonConfig& config, const iiif::CatalogWriter& catalog,
                     Metrics& metrics)
    : config_(config.oai),
      provider_(catalog.reader(), catalog.publication(), config.oai,
                load_token_key(config.oai.token_key_file)),
      metrics_(metrics) {}

// A POST's verb is in its body, not read yet: "other" here.
bool OaiRoutes::refuse_beyond_limit(const HttpRequest& req, HttpResponse& res,
                                    std::shared_ptr<void>& held) {
    auto admission = std::make_shared<Admission>(in_flight_, config_.max_concurrent);
    if (admission->admitted()) {
        held = std::move(admission);
        return false;
    }
    res.status = 503;
    res.set_header("Retry-After", std::to_string(config_.retry_after));
    res.set_content("too many OAI-PMH requests at once: retry after " +
                        std::to_string(config_.retry_after) + " seconds\n",
                    "text/plain; charset=utf-8");
    metrics_.oai_answered(verb_label(req.params), res.status);
    return true;
}

void OaiRoutes::respond(const HttpRequest& req, HttpResponse& res) {
    // The arguments as sent, repeats kept: OAI-PMH answers a repeated verb with badVerb, any
    // other repeated argument with badArgument.
    iiif::OaiArguments arguments = req.params;
    try {
        if (req.method == "POST") {
            const std::string type = req.get_header_value("Content-Type");
            if (!type.starts_with("application/x-www-form-urlencoded"))
                throw iiif::IiifError(
                    415, "OAI-PMH requests by POST are application/x-www-form-urlencoded");
            if (req.body.size() > kMaxOaiBody)
                throw iiif::IiifError(413, "an OAI-PMH request body is at most " +
                                               std::to_string(kMaxOaiBody) + " bytes");
            for (auto& field : iiif::form_fields(req.body)) arguments.push_back(std::move(field));
        }
        res.set_header("Vary", "Accept-Encoding");
        res.set_content(provider_.respond(arguments, iiif::now_seconds()),
                        "text/xml; charset=utf-8");
    } catch (const iiif::IiifError& error) {
        metrics_.oai_answered(verb_label(arguments), error.status);
        throw;  // answered by http_api.cpp, as every error
    } catch (...) {
        metrics_.oai_answered(verb_label(arguments), 500);
        throw;
    }
    metrics_.oai_answered(verb_label(arguments), res.status);
}

}  // namespace iiifd
