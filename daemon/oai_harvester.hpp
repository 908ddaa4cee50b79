// The OAI-PMH 2.0 harvesting client: Identify, then ListRecords followed page by page through
// its resumption tokens, each record handed to the caller as soon as it is read.
//
// Written for the providers that exist rather than for the specification alone:
//   - HTTP: one libcurl easy handle per harvester, so the connection is kept between pages;
//     TCP keep-alive; gzip and deflate; a politeness delay between requests; 503 with
//     Retry-After waited out; other 5xx, connection errors and timeouts retried with a capped
//     exponential backoff; other 4xx fail at once; a response larger than the policy's
//     max_page_bytes is refused (counted decompressed, so a small gzip bomb cannot pass).
//   - Memory: one page in memory at a time, read with libxml2's xmlTextReader, one record's
//     tree built at a time and freed before the next.
//   - An expired or refused resumption token (badResumptionToken) restarts the list from the
//     request's `from`, once per list: records given before the restart are given again, so
//     the caller must take a record twice without harm (it keys records by identifier).
//   - A stop (HarvestPolicy::stop) ends a harvest between two requests; one under way is given
//     a few seconds to end (stop_grace), so that the page it brings is taken whole.
//   - A record that is not well-formed XML 1.0 (a control character, bytes that are not
//     UTF-8) is skipped and reported, its neighbours kept; a page broken otherwise (cut short,
//     not XML, an HTML page served with 200) is asked again like a failed request, then is an
//     error.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <vector>

namespace iiifd {

enum class Granularity { day, seconds };
enum class DeletedRecordPolicy { no, transient, persistent };

struct RepositoryInfo {
    std::string name;
    std::string base_url;
    std::string protocol_version;
    std::string earliest_datestamp;
    Granularity granularity = Granularity::day;
    DeletedRecordPolicy deleted_record = DeletedRecordPolicy::no;
};

struct HarvestRequest {
    std::string base_url;
    std::string metadata_prefix = "oai_dc";
    std::string set;    // empty: every record
    std::string from;   // YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ; empty: none
    std::string until;  // the same; empty: none
};

struct DcValue {
    std::string value;
    std::string lang;  // xml:lang, empty when the element has none
    bool operator==(const DcValue&) const = default;
};

struct HarvestedRecord {
    std::string identifier;
    std::string datestamp;
    std::vector<std::string> sets;
    bool deleted = false;
    // The record's <metadata> child as a document of its own, with the namespace declarations
    // it needs (those made higher in the response are copied onto its root); empty for a
    // deleted record.
    std::string metadata_xml;
    // With metadataPrefix oai_dc: each Dublin Core element by its local name ("title"), its
    // values in document order.
    std::map<std::string, std::vector<DcValue>> dc;
};

struct HarvestPolicy {
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds request_timeout{120'000};  // a whole request, body included
    int max_attempts = 5;                                // per request, the first included
    std::chrono::milliseconds backoff_initial{1'000};    // doubled at each retry ...
    std::chrono::milliseconds backoff_max{60'000};       // ... up to this
    std::chrono::milliseconds politeness_delay{1'000};  // between the end of a request and the next
    std::chrono::seconds max_retry_after{300};  // a longer Retry-After is an error, not a wait
    std::string user_agent = "iiifd-harvester/1.0 (OAI-PMH 2.0)";
    std::size_t max_page_bytes = 64u << 20;  // decompressed
    // Once stop is requested (iiifd stopping), no request is sent: the one under way is read to
    // its end (abandoned when still under way stop_grace later), a wait (politeness, backoff,
    // Retry-After) is cut short, and the harvest throws HarvestError("stopped"). The default
    // token is never stopped.
    std::stop_token stop;
    std::chrono::milliseconds stop_grace{10'000};
};

struct SkippedRecord {
    std::string identifier;  // empty when it could not be read
    std::string reason;
    bool operator==(const SkippedRecord&) const = default;
};

struct HarvestSummary {
    RepositoryInfo repository;
    long pages = 0;    // pages read, those before a restart included
    long records = 0;  // records handed on, deleted ones included
    long deleted = 0;
    std::vector<SkippedRecord> skipped;
    long http_retries = 0;  // requests sent again, whatever the cause
    bool restarted = false;
};

// Why a harvest stopped: an OAI-PMH error of the provider (`oai_code` "badArgument", ...), an
// HTTP status that is not retried or still failed after the last attempt (`http_status`), or
// a transport failure or a broken answer (both empty).
class HarvestError : public std::runtime_error {
  public:
    HarvestError(const std::string& message, std::string oai_code = "", long http_status = 0)
        : std::runtime_error(message), oai_code_(std::move(oai_code)), http_status_(http_status) {}
    const std::string& oai_code() const { return oai_code_; }
    long http_status() const { return http_status_; }

  private:
    std::string oai_code_;
    long http_status_;
};

using RecordHandler = std::function<void(const HarvestedRecord&)>;
// After each page's records: the token that asks for the next page (empty after the last
// page), the page's cursor and completeListSize (-1 when the provider gives none).
using PageHandler =
    std::function<void(const std::string& resumption_token, long cursor, long complete_list_size)>;

// One harvest at a time: a harvester owns one libcurl handle, and its connection.
class OaiHarvester {
  public:
    explicit OaiHarvester(HarvestPolicy policy = {});
    ~OaiHarvester();
    OaiHarvester(const OaiHarvester&) = delete;
    OaiHarvester& operator=(const OaiHarvester&) = delete;

    // Identify: the repository's name, granularity and deleted-record policy. Throws
    // HarvestError (protocol versions other than 2.0 included).
    RepositoryInfo identify(const std::string& base_url);

    // Identify, then the whole list: every record handed to `on_record` in the provider's
    // order, `on_page` after each page. `from` and `until` are sent in the repository's
    // granularity (a time cut off to its day for a repository of days). noRecordsMatch is an
    // empty list. Throws std::invalid_argument for a malformed from/until, HarvestError for the
    // rest; what either handler throws passes through.
    HarvestSummary list_records(const HarvestRequest& request, const RecordHandler& on_record,
                                const PageHandler& on_page = {});

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace iiifd
