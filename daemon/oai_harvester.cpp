#include "oai_harvester.hpp"

#include <curl/curl.h>
#include <glib.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include "encoding.hpp"
#include "oai_request.hpp"

namespace iiifd {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view kOaiNamespace = "http://www.openarchives.org/OAI/2.0/";
constexpr std::string_view kOaiDcNamespace = "http://www.openarchives.org/OAI/2.0/oai_dc/";
constexpr std::string_view kDcNamespace = "http://purl.org/dc/elements/1.1/";

std::string_view view(const xmlChar* text) {
    return text ? std::string_view(reinterpret_cast<const char*>(text)) : std::string_view();
}

const xmlChar* xml(const char* text) {
    return reinterpret_cast<const xmlChar*>(text);
}

// ---- libxml2 --------------------------------------------------------------------------------

struct ReaderDeleter {
    void operator()(xmlTextReader* reader) const { xmlFreeTextReader(reader); }
};
using Reader = std::unique_ptr<xmlTextReader, ReaderDeleter>;

struct DocDeleter {
    void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};

struct XmlCharDeleter {
    void operator()(xmlChar* text) const { xmlFree(text); }
};
using XmlText = std::unique_ptr<xmlChar, XmlCharDeleter>;

// libxml2's messages go to the reader's owner, not to stderr: the last one is kept, which is
// the fatal error's when a read fails (namespace errors before it do not stop the reader).
void keep_message(void* last, const char* message, xmlParserSeverities, xmlTextReaderLocatorPtr) {
    auto* kept = static_cast<std::string*>(last);
    *kept = message
                ? std::string(iiif::trim_space(std::string_view(message).substr(0, std::string_view(message).find('\n'))))
                : "";
}

struct OpenReader {
    Reader reader;
    std::unique_ptr<std::string> last_message = std::make_unique<std::string>();
};

OpenReader open_reader(std::string_view bytes) {
    OpenReader open;
    // No network: no external DTD or entity is fetched, and entities are not substituted.
    open.reader.reset(xmlReaderForMemory(bytes.data(), static_cast<int>(bytes.size()), nullptr,
                                         "UTF-8", XML_PARSE_NONET));
    if (!open.reader) throw HarvestError("libxml2 could not make a reader");
    xmlTextReaderSetErrorHandler(open.reader.get(), keep_message, open.last_message.get());
    return open;
}

// Empty when `bytes` is a well-formed document whose root is OAI-PMH's; otherwise the reason
// (libxml2's, or the root met instead: a maintenance page served with 200 is no answer).
std::string page_error(std::string_view bytes) {
    OpenReader open = open_reader(bytes);
    xmlTextReader* reader = open.reader.get();
    std::string root;
    int status = 0;
    while ((status = xmlTextReaderRead(reader)) == 1) {
        if (root.empty() && xmlTextReaderNodeType(reader) == XML_READER_TYPE_ELEMENT) {
            root = view(xmlTextReaderConstName(reader));
            if (view(xmlTextReaderConstNamespaceUri(reader)) == kOaiNamespace &&
                view(xmlTextReaderConstLocalName(reader)) == "OAI-PMH")
                root = "OAI-PMH";
        }
    }
    if (status != 0)
        return "not well-formed XML" +
               (open.last_message->empty() ? std::string() : ": " + *open.last_message);
    return root == "OAI-PMH" ? "" : "not an OAI-PMH response: its root is <" + root + ">";
}

std::string text_of(const xmlNode* node) {
    XmlText text(xmlNodeGetContent(node));
    return std::string(iiif::trim_space(view(text.get())));
}

bool is_element(const xmlNode* node, std::string_view ns, std::string_view local) {
    return node->type == XML_ELEMENT_NODE && node->ns && view(node->ns->href) == ns &&
           view(node->name) == local;
}

// ---- records that are not XML ---------------------------------------------------------------

// What in `bytes` XML 1.0 cannot hold: bytes that are not UTF-8, or a character outside its
// Char production. Empty when there is nothing.
std::string xml10_problem(std::string_view bytes) {
    const gchar* end = nullptr;
    if (!g_utf8_validate_len(bytes.data(), static_cast<gssize>(bytes.size()), &end) &&
        (end == bytes.data() + bytes.size() || *end != '\0')) {
        char byte[8];
        std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(*end));
        return "bytes that are not UTF-8 (" + std::string(byte) + " at byte " +
               std::to_string(end - bytes.data()) + " of the record)";
    }
    const gchar* stop = end ? end : bytes.data() + bytes.size();
    for (const gchar* c = bytes.data(); c < stop; c = g_utf8_next_char(c)) {
        const gunichar u = g_utf8_get_char(c);
        const bool allowed = u == 0x9 || u == 0xA || u == 0xD || (u >= 0x20 && u <= 0xD7FF) ||
                             (u >= 0xE000 && u <= 0xFFFD) || (u >= 0x10000 && u <= 0x10FFFF);
        if (!allowed) {
            char code[16];
            std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(u));
            return "character " + std::string(code) + ", which XML 1.0 does not allow";
        }
    }
    if (stop != bytes.data() + bytes.size())
        return "character U+0000, which XML 1.0 does not allow";
    return "";
}

// A page's top-level records found by their tags, without parsing: what is left to do when the
// page is not well-formed. Records nest only inside metadata (MARCXML's <record>), so depth is
// counted.
struct RecordSpan {
    std::size_t begin;
    std::size_t end;
};

bool tag_at(std::string_view page, std::size_t at, std::string_view tag) {
    if (page.compare(at, tag.size(), tag) != 0) return false;
    const std::size_t next = at + tag.size();
    return next < page.size() && std::strchr(" \t\r\n/>", page[next]) != nullptr;
}

std::vector<RecordSpan> record_spans(std::string_view page, std::string_view qname) {
    const std::string open = "<" + std::string(qname);
    const std::string close = "</" + std::string(qname);
    std::vector<RecordSpan> spans;
    int depth = 0;
    std::size_t begin = 0;
    for (std::size_t at = page.find('<'); at != std::string_view::npos;
         at = page.find('<', at + 1)) {
        if (tag_at(page, at, open)) {
            if (depth++ == 0) begin = at;
        } else if (tag_at(page, at, close) && depth > 0) {
            const std::size_t gt = page.find('>', at);
            if (gt == std::string_view::npos) break;
            if (--depth == 0) spans.push_back({begin, gt + 1});
        }
    }
    return spans;
}

// The root element's start tag and qualified name, read as text.
std::optional<std::pair<std::string_view, std::string_view>> root_tag(std::string_view page) {
    for (std::size_t at = page.find('<'); at != std::string_view::npos;
         at = page.find('<', at + 1)) {
        if (at + 1 < page.size() && (page[at + 1] == '?' || page[at + 1] == '!')) continue;
        const std::size_t gt = page.find('>', at);
        const std::size_t name_end = page.find_first_of(" \t\r\n/>", at + 1);
        if (gt == std::string_view::npos || name_end == std::string_view::npos) return {};
        return std::pair{page.substr(at, gt + 1 - at), page.substr(at + 1, name_end - at - 1)};
    }
    return {};
}

std::string identifier_in(std::string_view record, std::string_view prefix) {
    const std::string tag = "<" + std::string(prefix) + "identifier>";
    const std::size_t at = record.find(tag);
    if (at == std::string_view::npos) return "";
    const std::size_t begin = at + tag.size();
    const std::size_t end = record.find('<', begin);
    if (end == std::string_view::npos) return "";
    std::string identifier = std::string(iiif::trim_space(record.substr(begin, end - begin)));
    return xml10_problem(identifier).empty() ? identifier : "";
}

// A page fit to read: the body itself when well-formed, else the body without the records
// that are not; nullopt (with the reason) when that is not enough.
struct CleanPage {
    std::string xml;
    std::vector<SkippedRecord> skipped;
};

std::optional<CleanPage> clean_page(std::string body, std::string& reason) {
    reason = page_error(body);
    if (reason.empty()) return CleanPage{std::move(body), {}};
    const auto root = root_tag(body);
    if (!root) return {};
    const std::string_view root_qname = root->second;
    const std::size_t colon = root_qname.find(':');
    const std::string prefix(colon == std::string_view::npos ? ""
                                                             : root_qname.substr(0, colon + 1));
    const std::string root_open(root->first);
    const std::string root_close = "</" + std::string(root_qname) + ">";

    CleanPage page;
    std::size_t kept_up_to = 0;
    for (const RecordSpan& span : record_spans(body, prefix + "record")) {
        const std::string_view record =
            std::string_view(body).substr(span.begin, span.end - span.begin);
        std::string problem = xml10_problem(record);
        if (problem.empty()) problem = page_error(root_open + std::string(record) + root_close);
        if (problem.empty()) continue;
        page.xml.append(body, kept_up_to, span.begin - kept_up_to);
        kept_up_to = span.end;
        page.skipped.push_back({identifier_in(record, prefix), problem});
    }
    if (page.skipped.empty()) return {};
    page.xml.append(body, kept_up_to);
    const std::string still = page_error(page.xml);
    if (!still.empty()) {
        reason = still;
        return {};
    }
    return page;
}

// ---- what a response says -------------------------------------------------------------------

struct OaiErrorItem {
    std::string code;
    std::string message;
};

struct PageEnd {
    std::vector<OaiErrorItem> errors;
    bool has_token = false;
    std::string token;
    long cursor = -1;
    long complete_list_size = -1;
};

long number_attribute(xmlTextReader* reader, const char* name) {
    XmlText value(xmlTextReaderGetAttribute(reader, xml(name)));
    if (!value) return -1;
    try {
        return std::stol(std::string(view(value.get())));
    } catch (const std::exception&) {
        return -1;
    }
}

HarvestedRecord read_record(const xmlNode* record, bool oai_dc) {
    HarvestedRecord out;
    for (const xmlNode* part = record->children; part; part = part->next) {
        if (is_element(part, kOaiNamespace, "header")) {
            XmlText status(xmlGetProp(part, xml("status")));
            out.deleted = view(status.get()) == "deleted";
            for (const xmlNode* field = part->children; field; field = field->next) {
                if (is_element(field, kOaiNamespace, "identifier")) out.identifier = text_of(field);
                if (is_element(field, kOaiNamespace, "datestamp")) out.datestamp = text_of(field);
                if (is_element(field, kOaiNamespace, "setSpec")) out.sets.push_back(text_of(field));
            }
        } else if (is_element(part, kOaiNamespace, "metadata")) {
            const xmlNode* element = part->children;
            while (element && element->type != XML_ELEMENT_NODE) element = element->next;
            if (!element) continue;
            // A document of its own: xmlDocCopyNode declares on the copy's root the namespaces
            // that were declared above <metadata> in the response.
            std::unique_ptr<xmlDoc, DocDeleter> doc(xmlNewDoc(xml("1.0")));
            xmlNodePtr copy = xmlDocCopyNode(const_cast<xmlNode*>(element), doc.get(), 1);
            if (!copy) throw HarvestError("libxml2 could not copy a record's metadata");
            xmlDocSetRootElement(doc.get(), copy);
            xmlReconciliateNs(doc.get(), copy);
            xmlChar* dumped = nullptr;
            int size = 0;
            xmlDocDumpMemoryEnc(doc.get(), &dumped, &size, "UTF-8");
            XmlText owned(dumped);
            out.metadata_xml.assign(reinterpret_cast<const char*>(dumped), std::max(size, 0));
            if (oai_dc && is_element(element, kOaiDcNamespace, "dc")) {
                for (const xmlNode* field = element->children; field; field = field->next) {
                    if (field->type != XML_ELEMENT_NODE || !field->ns ||
                        view(field->ns->href) != kDcNamespace)
                        continue;
                    XmlText lang(xmlNodeGetLang(field));
                    out.dc[std::string(view(field->name))].push_back(
                        {text_of(field), std::string(view(lang.get()))});
                }
            }
        }
    }
    return out;
}

// Reads a clean page: each record to `on_record` as it is met (ListRecords), the Identify
// element to `on_identify`, and what ends the page.
PageEnd read_page(std::string_view page, const std::function<void(const xmlNode*)>& on_record,
                  const std::function<void(const xmlNode*)>& on_identify) {
    OpenReader open = open_reader(page);
    xmlTextReader* reader = open.reader.get();
    PageEnd end;
    int status = xmlTextReaderRead(reader);
    while (status == 1) {
        const bool element = xmlTextReaderNodeType(reader) == XML_READER_TYPE_ELEMENT;
        const int depth = xmlTextReaderDepth(reader);
        const std::string_view ns = view(xmlTextReaderConstNamespaceUri(reader));
        const std::string_view name = view(xmlTextReaderConstLocalName(reader));
        if (!element || ns != kOaiNamespace) {
            status = xmlTextReaderRead(reader);
            continue;
        }
        if (depth == 1 && name == "error") {
            XmlText code(xmlTextReaderGetAttribute(reader, xml("code")));
            XmlText message(xmlTextReaderReadString(reader));
            end.errors.push_back({std::string(view(code.get())), std::string(iiif::trim_space(view(message.get())))});
        } else if ((depth == 1 && name == "Identify") || (depth == 2 && name == "record")) {
            const xmlNode* node = xmlTextReaderExpand(reader);
            if (!node) throw HarvestError("libxml2 could not read an element");
            if (name == "record") {
                on_record(node);
            } else {
                on_identify(node);
            }
            status = xmlTextReaderNext(reader);  // the subtree is freed as the reader moves on
            continue;
        } else if (depth == 2 && name == "resumptionToken") {
            end.has_token = true;
            end.cursor = number_attribute(reader, "cursor");
            end.complete_list_size = number_attribute(reader, "completeListSize");
            XmlText token(xmlTextReaderReadString(reader));
            end.token = std::string(iiif::trim_space(view(token.get())));
        }
        status = xmlTextReaderRead(reader);
    }
    if (status < 0) throw HarvestError("the page could not be read: " + *open.last_message);
    return end;
}

[[noreturn]] void throw_oai_error(const OaiErrorItem& error) {
    throw HarvestError("OAI-PMH error " + error.code + ": " + error.message, error.code);
}

const OaiErrorItem* find_error(const PageEnd& end, std::string_view code) {
    for (const OaiErrorItem& error : end.errors)
        if (error.code == code) return &error;
    return nullptr;
}

// ---- HTTP -----------------------------------------------------------------------------------

struct Attempt {
    CURLcode curl = CURLE_OK;
    std::string curl_error;
    long status = 0;
    std::string body;
    std::optional<long> retry_after;  // seconds
    bool too_large = false;
};

struct AttemptSink {
    Attempt* attempt;
    std::size_t limit;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* sink = static_cast<AttemptSink*>(user);
    if (sink->attempt->body.size() + size * count > sink->limit) {
        sink->attempt->too_large = true;
        return 0;  // libcurl ends the transfer with CURLE_WRITE_ERROR
    }
    sink->attempt->body.append(data, size * count);
    return size * count;
}

// Retry-After as seconds or as an HTTP date.
std::optional<long> retry_after_seconds(std::string value) {
    value = std::string(iiif::trim_space(value));
    if (value.empty()) return {};
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return value.size() > 9 ? 999'999'999L : std::stol(value);
    }
    const time_t when = curl_getdate(value.c_str(), nullptr);
    if (when < 0) return {};
    return std::max(0L, static_cast<long>(when - std::time(nullptr)));
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* sink = static_cast<AttemptSink*>(user);
    const std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) sink->attempt->retry_after.reset();  // a redirect's headers
    constexpr std::string_view name = "retry-after:";
    if (line.size() > name.size() &&
        g_ascii_strncasecmp(line.data(), name.data(), name.size()) == 0)
        sink->attempt->retry_after = retry_after_seconds(std::string(line.substr(name.size())));
    return size * count;
}

std::string escaped(CURL* curl, const std::string& text) {
    char* out = curl_easy_escape(curl, text.c_str(), static_cast<int>(text.size()));
    std::string result = out ? out : "";
    curl_free(out);
    return result;
}

// `from` or `until` as the repository takes it: a day for a repository of days.
std::string in_granularity(const std::string& date, Granularity granularity, const char* what) {
    if (date.empty()) return date;
    const std::optional<iiif::OaiDate> parsed = iiif::parse_oai_date(date);
    if (!parsed) throw std::invalid_argument(std::string(what) + ": not an OAI-PMH date: " + date);
    return granularity == Granularity::day ? date.substr(0, 10) : date;
}

}  // namespace

struct OaiHarvester::Impl {
    HarvestPolicy policy;
    CURL* curl = nullptr;
    std::optional<Clock::time_point> last_request_end;
    long retries = 0;
    // When the stop was asked for (0: not yet), set from the stopping thread.
    std::atomic<Clock::rep> stopped_at{0};
    std::stop_callback<std::function<void()>> on_stop;

    explicit Impl(HarvestPolicy p)
        : policy(std::move(p)), on_stop(policy.stop, [this] {
              stopped_at = std::max<Clock::rep>(1, Clock::now().time_since_epoch().count());
          }) {
        static std::once_flag global_init;
        std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
        curl = curl_easy_init();
        if (!curl) throw HarvestError("libcurl could not make a handle");
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // every coding libcurl decodes
        curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_USERAGENT, policy.user_agent.c_str());
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(policy.connect_timeout.count()));
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                         static_cast<long>(policy.request_timeout.count()));
        curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                         static_cast<curl_off_t>(policy.max_page_bytes));
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, this);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    }
    ~Impl() { curl_easy_cleanup(curl); }

    // Called by libcurl during a transfer (at least once a second): a request still under way
    // stop_grace after the stop is abandoned.
    static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
        const auto* impl = static_cast<const Impl*>(user);
        const Clock::rep stopped = impl->stopped_at.load();
        if (stopped == 0) return 0;
        const Clock::time_point since{Clock::duration(stopped)};
        return Clock::now() - since > impl->policy.stop_grace ? 1 : 0;
    }

    // Waits until `until`, or throws HarvestError("stopped") as soon as a stop is requested.
    void pause_until(Clock::time_point until) const {
        std::mutex mutex;
        std::condition_variable_any woken;
        std::unique_lock lock(mutex);
        woken.wait_until(lock, policy.stop, until, [] { return false; });
        if (policy.stop.stop_requested()) throw HarvestError("stopped");
    }

    Attempt perform(const std::string& url) {
        pause_until(last_request_end ? *last_request_end + policy.politeness_delay
                                     : Clock::time_point{});
        Attempt attempt;
        AttemptSink sink{&attempt, policy.max_page_bytes};
        curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &sink);
        char error[CURL_ERROR_SIZE] = "";
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
        attempt.curl = curl_easy_perform(curl);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
        if (attempt.curl == CURLE_ABORTED_BY_CALLBACK) throw HarvestError("stopped");
        last_request_end = Clock::now();
        attempt.curl_error = error[0] ? error : curl_easy_strerror(attempt.curl);
        if (attempt.curl == CURLE_OK)
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &attempt.status);
        return attempt;
    }

    milliseconds backoff(int attempt) const {
        milliseconds wait = policy.backoff_initial;
        for (int i = 1; i < attempt && wait < policy.backoff_max; ++i) wait *= 2;
        return std::min(wait, policy.backoff_max);
    }

    // One page, asked until it comes whole or the attempts run out.
    CleanPage fetch_page(const std::string& url) {
        const int attempts = std::max(1, policy.max_attempts);
        for (int attempt = 1;; ++attempt) {
            Attempt answer = perform(url);
            std::string failure;
            long failed_status = 0;
            milliseconds wait = backoff(attempt);
            if (answer.too_large || answer.curl == CURLE_FILESIZE_EXCEEDED) {
                throw HarvestError(url + ": the answer is larger than " +
                                   std::to_string(policy.max_page_bytes) + " bytes");
            } else if (answer.curl == CURLE_URL_MALFORMAT ||
                       answer.curl == CURLE_UNSUPPORTED_PROTOCOL ||
                       answer.curl == CURLE_TOO_MANY_REDIRECTS) {
                throw HarvestError(url + ": " + answer.curl_error);
            } else if (answer.curl != CURLE_OK) {
                failure = answer.curl_error;
            } else if (answer.status == 503 && answer.retry_after) {
                const std::chrono::seconds asked(*answer.retry_after);
                if (asked > policy.max_retry_after)
                    throw HarvestError(url + ": HTTP 503 asks to wait " +
                                           std::to_string(asked.count()) + " s, more than " +
                                           std::to_string(policy.max_retry_after.count()) + " s",
                                       "", 503);
                failure = "HTTP 503";
                failed_status = 503;
                wait = asked;
            } else if (answer.status >= 500) {
                failure = "HTTP " + std::to_string(answer.status);
                failed_status = answer.status;
            } else if (answer.status != 200) {
                throw HarvestError(url + ": HTTP " + std::to_string(answer.status), "",
                                   answer.status);
            } else {
                std::string reason;
                if (std::optional<CleanPage> page = clean_page(std::move(answer.body), reason))
                    return std::move(*page);
                failure = "a broken page: " + reason;
            }
            if (attempt >= attempts)
                throw HarvestError(
                    url + ": " + failure + " (after " + std::to_string(attempts) + " attempts)", "",
                    failed_status);
            spdlog::warn("oai harvest: {}: {}; attempt {} of {} in {} ms", url, failure,
                         attempt + 1, attempts, wait.count());
            pause_until(Clock::now() + wait);
            ++retries;
        }
    }

    std::string url(const std::string& base, const std::string& query) const {
        return base + (base.find('?') == std::string::npos ? "?" : "&") + query;
    }

    RepositoryInfo identify(const std::string& base_url) {
        const CleanPage page = fetch_page(url(base_url, "verb=Identify"));
        RepositoryInfo info;
        bool found = false;
        std::string granularity;
        std::string deleted;
        const PageEnd end = read_page(
            page.xml, [](const xmlNode*) {},
            [&](const xmlNode* identify) {
                found = true;
                for (const xmlNode* field = identify->children; field; field = field->next) {
                    if (field->type != XML_ELEMENT_NODE) continue;
                    const std::string_view name = view(field->name);
                    if (name == "repositoryName") info.name = text_of(field);
                    if (name == "baseURL") info.base_url = text_of(field);
                    if (name == "protocolVersion") info.protocol_version = text_of(field);
                    if (name == "earliestDatestamp") info.earliest_datestamp = text_of(field);
                    if (name == "granularity") granularity = text_of(field);
                    if (name == "deletedRecord") deleted = text_of(field);
                }
            });
        if (!end.errors.empty()) throw_oai_error(end.errors.front());
        if (!found) throw HarvestError(base_url + ": Identify answered without <Identify>");
        if (info.protocol_version != "2.0")
            throw HarvestError(base_url + ": OAI-PMH version \"" + info.protocol_version +
                               "\", not 2.0");
        if (granularity == "YYYY-MM-DD") {
            info.granularity = Granularity::day;
        } else if (granularity == "YYYY-MM-DDThh:mm:ssZ") {
            info.granularity = Granularity::seconds;
        } else {
            throw HarvestError(base_url + ": unknown granularity \"" + granularity + "\"");
        }
        if (deleted == "no") {
            info.deleted_record = DeletedRecordPolicy::no;
        } else if (deleted == "transient") {
            info.deleted_record = DeletedRecordPolicy::transient;
        } else if (deleted == "persistent") {
            info.deleted_record = DeletedRecordPolicy::persistent;
        } else {
            throw HarvestError(base_url + ": unknown deletedRecord \"" + deleted + "\"");
        }
        return info;
    }
};

OaiHarvester::OaiHarvester(HarvestPolicy policy)
    : impl_(std::make_unique<Impl>(std::move(policy))) {}
OaiHarvester::~OaiHarvester() = default;

RepositoryInfo OaiHarvester::identify(const std::string& base_url) {
    return impl_->identify(base_url);
}

HarvestSummary OaiHarvester::list_records(const HarvestRequest& request,
                                          const RecordHandler& on_record,
                                          const PageHandler& on_page) {
    HarvestSummary summary;
    impl_->retries = 0;
    summary.repository = impl_->identify(request.base_url);
    const Granularity granularity = summary.repository.granularity;

    std::string first =
        "verb=ListRecords&metadataPrefix=" + escaped(impl_->curl, request.metadata_prefix);
    if (!request.set.empty()) first += "&set=" + escaped(impl_->curl, request.set);
    const std::string from = in_granularity(request.from, granularity, "from");
    const std::string until = in_granularity(request.until, granularity, "until");
    if (!from.empty()) first += "&from=" + escaped(impl_->curl, from);
    if (!until.empty()) first += "&until=" + escaped(impl_->curl, until);
    const std::string first_url = impl_->url(request.base_url, first);
    const bool oai_dc = request.metadata_prefix == "oai_dc";

    std::string next_url = first_url;
    bool sent_token = false;
    for (;;) {
        const CleanPage page = impl_->fetch_page(next_url);
        for (const SkippedRecord& skipped : page.skipped) {
            spdlog::warn("oai harvest: {}: record {} skipped: {}", request.base_url,
                         skipped.identifier.empty() ? "(unknown)" : skipped.identifier,
                         skipped.reason);
            summary.skipped.push_back(skipped);
        }
        const PageEnd end = read_page(
            page.xml,
            [&](const xmlNode* node) {
                const HarvestedRecord record = read_record(node, oai_dc);
                ++summary.records;
                if (record.deleted) ++summary.deleted;
                on_record(record);
            },
            [](const xmlNode*) {});
        if (find_error(end, "badResumptionToken") == nullptr) ++summary.pages;
        if (find_error(end, "noRecordsMatch")) {
            if (on_page) on_page("", -1, -1);
            break;
        }
        if (const OaiErrorItem* expired = find_error(end, "badResumptionToken")) {
            if (!sent_token || summary.restarted) throw_oai_error(*expired);
            spdlog::warn("oai harvest: {}: resumption token refused ({}); the list starts again",
                         request.base_url, expired->message);
            summary.restarted = true;
            sent_token = false;
            next_url = first_url;
            continue;
        }
        if (!end.errors.empty()) throw_oai_error(end.errors.front());
        if (on_page) on_page(end.token, end.cursor, end.complete_list_size);
        if (end.token.empty()) break;
        next_url = impl_->url(request.base_url, "verb=ListRecords&resumptionToken=" +
                                                    escaped(impl_->curl, end.token));
        sent_token = true;
    }
    summary.http_retries = impl_->retries;
    return summary;
}

}  // namespace iiifd
