// /oai for harvesters, no key needed: GET with the arguments in the query, POST with them in an
// application/x-www-form-urlencoded body; the answer is the provider's (oai_provider.hpp).
#include <httplib.h>

#include <string>

#include "clock.hpp"
#include "encoding.hpp"
#include "http_routes.hpp"
#include "iiif_error.hpp"
#include "oai_request.hpp"

namespace iiifd {
namespace {

// An OAI-PMH POST body is a handful of arguments; a resumption token is under 400 bytes.
constexpr size_t kMaxOaiBody = 64 << 10;

// Admission of OAI-PMH requests: at most `limit` at once, the others refused at once (503)
// rather than queued behind a long harvest page.
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

OaiRoutes::OaiRoutes(const DaemonConfig& config, const iiif::CatalogWriter& catalog)
    : config_(config.oai),
      provider_(catalog.reader(), catalog.publication(), config.oai,
                load_token_key(config.oai.token_key_file)) {}

// The body is read after admission, so a slow client holds its place like any other request
// under way.
void OaiRoutes::respond(const httplib::Request& req, httplib::Response& res,
                        const httplib::ContentReader* content_reader) {
    Admission admission(in_flight_, config_.max_concurrent);
    if (!admission.admitted()) {
        res.status = 503;
        res.set_header("Retry-After", std::to_string(config_.retry_after));
        res.set_content("too many OAI-PMH requests at once: retry after " +
                            std::to_string(config_.retry_after) + " seconds\n",
                        "text/plain; charset=utf-8");
        return;
    }
    // The arguments as sent, repeats kept: httplib's params drop a repeated name=value pair, and
    // OAI-PMH answers a repeated verb with badVerb, any other repeated argument badArgument.
    const size_t query = req.target.find('?');
    iiif::OaiArguments arguments =
        iiif::form_fields(query == std::string::npos ? "" : req.target.substr(query + 1));
    if (content_reader != nullptr) {
        const std::string type = req.get_header_value("Content-Type");
        if (!type.starts_with("application/x-www-form-urlencoded"))
            throw iiif::IiifError(415,
                                  "OAI-PMH requests by POST are application/x-www-form-urlencoded");
        std::string body;
        const bool read = (*content_reader)([&](const char* data, size_t length) {
            body.append(data, length);
            return body.size() <= kMaxOaiBody;
        });
        if (body.size() > kMaxOaiBody)
            throw iiif::IiifError(413, "an OAI-PMH request body is at most " +
                                           std::to_string(kMaxOaiBody) + " bytes");
        if (!read) throw iiif::IiifError(400, "the request body could not be read");
        for (auto& field : iiif::form_fields(body)) arguments.push_back(std::move(field));
    }
    res.set_header("Vary", "Accept-Encoding");
    res.set_content(provider_.respond(arguments, iiif::now_seconds()), "text/xml; charset=utf-8");
}

}  // namespace iiifd
