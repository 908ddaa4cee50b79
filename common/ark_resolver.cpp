#include "ark_resolver.hpp"

#include <jansson.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <utility>
#include <vector>

#include "catalog.hpp"
#include "iiif_error.hpp"
#include "oai_request.hpp"

namespace iiif {
namespace {

constexpr std::string_view kCacheControl = "public, max-age=300";
constexpr std::string_view kUnavailable = "(:unav)";  // the ERC's code for "unavailable"

struct JsonDecref {
    void operator()(json_t* value) const { json_decref(value); }
};
using Json = std::unique_ptr<json_t, JsonDecref>;

void set_text(json_t* object, const char* key, std::string_view value) {
    json_object_set_new(object, key, json_stringn(value.data(), value.size()));
}

std::string dump(const json_t* json) {
    char* text = json_dumps(json, JSON_COMPACT);
    if (!text) throw IiifError(500, "resolver: cannot serialise a record");
    std::string out(text);
    free(text);
    return out;
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Equal but for case and hyphens: how NAANs and shoulders compare.
bool same_folded(std::string_view a, std::string_view b) {
    size_t i = 0, j = 0;
    for (;;) {
        while (i < a.size() && a[i] == '-') ++i;
        while (j < b.size() && b[j] == '-') ++j;
        if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
        if (lower(a[i++]) != lower(b[j++])) return false;
    }
}

bool is_alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The values of a Dublin Core element, joined as ERC alternatives ("; "); empty when none.
std::string joined(const ObjectMetadata& metadata, const std::string& element, bool first_only) {
    auto found = metadata.dc.find(element);
    if (found == metadata.dc.end()) return {};
    std::string out;
    for (const LangValue& value : found->second) {
        if (!out.empty()) out += "; ";
        out += value.value;
        if (first_only) break;
    }
    return out;
}

std::string or_unavailable(std::string_view text) {
    return std::string(text.empty() ? kUnavailable : text);
}

// The highest page number among the object's image ids ("{ARK}/f{n}").
int page_count(const ObjectRecord& object) {
    int pages = 0;
    for (const std::string& id : object.images) {
        size_t at = id.rfind("/f");
        if (at == std::string::npos) continue;
        int n = 0;
        auto [end, ec] = std::from_chars(id.data() + at + 2, id.data() + id.size(), n);
        if (ec == std::errc() && end == id.data() + id.size()) pages = std::max(pages, n);
    }
    return pages;
}

// ---- The request ------------------------------------------------------------------------------

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The path with its escapes decoded (into `out` when it has any); nullopt for a broken escape or
// a control character, which no ARK holds (and which must never reach a Location header).
std::optional<std::string_view> percent_decoded(std::string_view text, std::string& out) {
    if (text.find('%') == std::string_view::npos) {
        for (char c : text)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return std::nullopt;
        return text;
    }
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            int high = hex_value(text[i + 1]), low = hex_value(text[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            c = static_cast<unsigned char>(high * 16 + low);
            i += 2;
        }
        if (c < 0x20 || c == 0x7F) return std::nullopt;
        out.push_back(static_cast<char>(c));
    }
    return out;
}

// Client text for a Location header: what may stand in a URI's path or query as it is stays,
// anything else (spaces, quotes, non-ASCII, '%' unless `keep_escapes`) is percent-encoded.
std::string uri_safe(std::string_view text, bool keep_escapes) {
    return percent_encode(text, keep_escapes ? "!$&'()*+,;=:@/?%" : "!$&'()*+,;=:@/?");
}

enum class Inflection { none, info, policy };

Inflection inflection_of(const ResolverRequest& request) {
    if (!request.has_query) return Inflection::none;
    if (request.query.empty() || request.query == "info") return Inflection::info;
    if (request.query == "?") return Inflection::policy;
    return Inflection::none;  // e.g. a tracking parameter: not ours to read
}

bool wants_json(std::string_view accept) {
    return accept.find("application/json") != std::string_view::npos;
}

// ---- Responses --------------------------------------------------------------------------------

HttpResponse redirect(std::string location) {
    HttpResponse response;
    response.status = 302;
    response.headers.reserve(3);
    response.headers.emplace_back("Access-Control-Allow-Origin", "*");
    response.headers.emplace_back("Location", std::move(location));
    response.headers.emplace_back("Cache-Control", kCacheControl);
    return response;
}

// An ERC record: "erc:" then one "label: value" line per field, a value's line breaks folded
// into indented continuation lines (ANVL); as JSON, an object of the same labels.
using Fields = std::vector<std::pair<std::string_view, std::string>>;

std::string anvl_value(std::string_view value) {
    std::string out;
    size_t start = 0;
    while (start <= value.size()) {
        size_t end = value.find_first_of("\r\n", start);
        if (end == std::string_view::npos) end = value.size();
        std::string_view line = value.substr(start, end - start);
        // A blank line would end the record.
        if (line.find_first_not_of(" \t") != std::string_view::npos) {
            if (!out.empty()) out += "\n  ";
            out += line;
        }
        start = end + 1;
    }
    return out;
}

HttpResponse record_response(int status, const Fields& fields, bool json) {
    HttpResponse response;
    response.status = status;
    if (json) {
        Json object(json_object());
        for (const auto& [label, value] : fields)
            set_text(object.get(), std::string(label).c_str(), value);
        response.content_type = "application/json";
        response.body = dump(object.get());
    } else {
        response.content_type = "text/plain; charset=utf-8";
        response.body = "erc:\n";
        for (const auto& [label, value] : fields) {
            response.body += label;
            response.body += ": ";
            response.body += anvl_value(value);
            response.body += '\n';
        }
    }
    response.headers = {{"Access-Control-Allow-Origin", "*"}, {"Vary", "Accept"}};
    if (status == 200) response.headers.emplace_back("Cache-Control", std::string(kCacheControl));
    return response;
}

HttpResponse not_found(std::string_view reason) {
    return error_response(404, reason);
}

HttpResponse preflight() {
    HttpResponse response;
    response.status = 204;
    response.headers = {{"Access-Control-Allow-Origin", "*"},
                        {"Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"},
                        {"Access-Control-Max-Age", "86400"}};
    return response;
}

// ---- Records ----------------------------------------------------------------------------------

// The commitment behind every ARK here, as the ERC "persistence" element: what the platform
// guarantees (the catalog never forgets a minted ARK, and a withdrawal leaves a tombstone).
constexpr std::string_view kObjectCommitment =
    " never reassigns this ARK; it resolves to the object or, once withdrawn, to its tombstone";
constexpr std::string_view kNamespaceCommitment =
    " never reassigns these ARKs; each resolves to its object or, once withdrawn, to its "
    "tombstone";

std::string persistence(const PublicationSettings& settings, std::string_view commitment) {
    return (settings.institution.empty() ? "This service" : settings.institution) +
           std::string(commitment);
}

void add_policy(Fields& fields, const PublicationSettings& settings, Inflection inflection) {
    if (inflection == Inflection::policy)
        fields.emplace_back("policy", or_unavailable(settings.ark_policy));
}

std::string base_url(const PublicationSettings& settings) {
    std::string base = settings.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
}

// The NAAN alone: the institution that assigns its names.
HttpResponse naan_response(const PublicationSettings& settings, Inflection inflection, bool json) {
    if (inflection == Inflection::none) return redirect(base_url(settings) + "/");
    Fields fields = {{"who", or_unavailable(settings.institution)},
                     {"what", "ARK Name Assigning Authority Number " + settings.naan},
                     {"when", std::string(kUnavailable)},
                     {"where", base_url(settings) + "/"},
                     {"persistence", persistence(settings, kNamespaceCommitment)}};
    add_policy(fields, settings, inflection);
    return record_response(200, fields, json);
}

HttpResponse shoulder_response(const PublicationSettings& settings, const ShoulderInfo& shoulder,
                               Inflection inflection, bool json) {
    if (inflection == Inflection::none)
        return shoulder.service.empty() ? not_found("unknown ARK") : redirect(shoulder.service);
    const std::string ark = "ark:/" + settings.naan + "/" + shoulder.shoulder;
    Fields fields = {
        {"who", or_unavailable(settings.institution)},
        {"what", shoulder.name.empty() ? "ARK shoulder " + ark : shoulder.name},
        {"when", std::string(kUnavailable)},
        {"where", shoulder.service.empty() ? ark_url(settings, ark) : shoulder.service},
        {"persistence", persistence(settings, kNamespaceCommitment)}};
    if (!shoulder.subject.empty()) fields.emplace_back("subject", shoulder.subject);
    if (!shoulder.description.empty()) fields.emplace_back("description", shoulder.description);
    add_policy(fields, settings, inflection);
    return record_response(200, fields, json);
}

// A stored resolver record, read in place: each member views its field's value in the text.
struct Resolved {
    std::string_view ark, state, pages, landing, manifest, who, what, when, where, withdrawn,
        reason;
};

constexpr std::pair<std::string_view, std::string_view Resolved::*> kRecordLabels[] = {
    {"ark", &Resolved::ark},           {"state", &Resolved::state},
    {"pages", &Resolved::pages},       {"landing", &Resolved::landing},
    {"manifest", &Resolved::manifest}, {"who", &Resolved::who},
    {"what", &Resolved::what},         {"when", &Resolved::when},
    {"where", &Resolved::where},       {"withdrawn", &Resolved::withdrawn},
    {"reason", &Resolved::reason}};

// One "label: value" per line, in kRecordLabels' order (so each line is one comparison); labels
// it does not know are skipped, so that a record made by a newer iiifd still resolves.
Resolved read_record(std::string_view text) {
    constexpr size_t kCount = std::size(kRecordLabels);
    Resolved record;
    size_t next = 0;
    while (!text.empty()) {
        const size_t end = text.find('\n');
        const std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        const size_t colon = line.find(": ");
        if (colon == std::string_view::npos)
            throw IiifError(500, "catalog: corrupt resolver record");
        for (size_t k = 0; k < kCount; ++k) {
            const auto& [label, member] = kRecordLabels[(next + k) % kCount];
            if (line.substr(0, colon) != label) continue;
            record.*member = line.substr(colon + 2);
            next = (next + k + 1) % kCount;
            break;
        }
    }
    return record;
}

void append_field(std::string& record, std::string_view label, std::string_view value) {
    record += label;
    record += ": ";
    for (char c : value) record.push_back(c == '\n' || c == '\r' ? ' ' : c);
    record += '\n';
}

Fields object_fields(const PublicationSettings& settings, const Resolved& record) {
    Fields fields = {{"who", or_unavailable(record.who)},
                     {"what", or_unavailable(record.what)},
                     {"when", or_unavailable(record.when)},
                     {"where", std::string(record.where)},
                     {"persistence", persistence(settings, kObjectCommitment)}};
    return fields;
}

HttpResponse tombstone(const PublicationSettings& settings, const Resolved& record,
                       Inflection inflection, bool json) {
    Fields fields = object_fields(settings, record);
    fields.emplace_back("withdrawn", or_unavailable(record.withdrawn));
    fields.emplace_back("reason", or_unavailable(record.reason));
    add_policy(fields, settings, inflection);
    return record_response(410, fields, json);
}

// "f{n}" with 1 <= n <= pages, no sign and no leading zero; 0 otherwise.
int page_of(std::string_view segment, int pages) {
    if (segment.size() < 2 || segment[0] != 'f' || segment[1] == '0') return 0;
    int n = 0;
    auto [end, ec] = std::from_chars(segment.data() + 1, segment.data() + segment.size(), n);
    if (ec != std::errc() || end != segment.data() + segment.size() || n < 1 || n > pages) return 0;
    return n;
}

// Where a qualifier leads, longest prefix first: "f{n}" then what follows it; empty when the
// qualifier is not one of ours.
std::string qualifier_target(const PublicationSettings& settings, const Resolved& record,
                             std::string_view qualifier) {
    if (qualifier == "manifest") return std::string(record.manifest);
    int pages = 0;
    std::from_chars(record.pages.data(), record.pages.data() + record.pages.size(), pages);
    const size_t slash = qualifier.find('/');
    const int page = page_of(qualifier.substr(0, slash), pages);
    if (page == 0) return {};
    const std::string service = image_service_url(
        settings, ApiVersion::v3, std::string(record.ark) + "/f" + std::to_string(page));
    if (slash == std::string_view::npos) return service + "/info.json";
    std::string_view rest = qualifier.substr(slash + 1);
    if (rest == "info.json") return service + "/info.json";
    // {region}/{size}/{rotation}/{quality}.{format}: four non-empty segments, the last with
    // its format.
    size_t segments = 1;
    for (size_t at = 0; at < rest.size(); ++at) {
        if (rest[at] != '/') continue;
        if (at == 0 || rest[at - 1] == '/') return {};
        ++segments;
    }
    std::string_view last = rest.substr(rest.rfind('/') + 1);
    if (segments != 4 || last.empty() || last.find('.') == std::string_view::npos ||
        last.front() == '.' || last.back() == '.')
        return {};
    return service + "/" + uri_safe(rest, false);
}

HttpResponse resolve(const CatalogReader* catalog, const ResolverRequest& request,
                     PublicationMemo& memo) {
    if (request.method == "OPTIONS") return preflight();
    if (request.method != "GET" && request.method != "HEAD") {
        HttpResponse response = error_response(405, "method not allowed");
        response.headers.emplace_back("Allow", "GET, HEAD, OPTIONS");
        return response;
    }

    // "/ark:/NAAN/rest" or "/ark:NAAN/rest", the label in any case.
    std::string buffer;
    const std::optional<std::string_view> decoded = percent_decoded(request.path, buffer);
    if (!decoded) return not_found("not an ARK");
    std::string_view path = *decoded;
    if (path.starts_with('/')) path.remove_prefix(1);
    if (path.size() < 4 || lower(path[0]) != 'a' || lower(path[1]) != 'r' ||
        lower(path[2]) != 'k' || path[3] != ':')
        return not_found("not an ARK");
    path.remove_prefix(4);
    if (path.starts_with('/')) path.remove_prefix(1);
    const std::string_view naan = path.substr(0, path.find('/'));
    if (naan.empty() || !std::all_of(naan.begin(), naan.end(), is_alnum))
        return not_found("not an ARK");

    if (!catalog) return not_found("unknown ARK");
    const PublicationSettings* settings = memo.get(*catalog);
    if (!settings) return not_found("unknown ARK");
    const Inflection inflection = inflection_of(request);
    const bool json = wants_json(request.accept);

    if (!same_folded(naan, settings->naan)) {
        if (settings->global_resolver.empty()) return not_found("unknown ARK");
        std::string target = settings->global_resolver + "ark:/" + uri_safe(path, false);
        if (request.has_query) target += "?" + uri_safe(request.query, true);
        return redirect(std::move(target));
    }
    if (path.size() <= naan.size() + 1) return naan_response(*settings, inflection, json);

    // The name (letters, digits and hyphens, up to '/' or '.') and the catalog's key, made as
    // parse_ark() and Ark::normalized_base() make it, in one pass: their copies would cost a
    // fifth of the whole resolution.
    const std::string_view rest = path.substr(naan.size() + 1);
    const std::string_view name = rest.substr(0, rest.find_first_of("/."));
    std::string key;
    key.reserve(6 + naan.size() + name.size());
    key += "ark:/";
    for (char c : naan) key += lower(c);
    key += '/';
    const size_t name_start = key.size();
    for (char c : name) {
        if (!is_alnum(c) && c != '-') return not_found("not an ARK");
        if (c != '-') key += c;
    }
    if (key.size() == name_start) return not_found("not an ARK");
    // What follows the name: nothing, or '/' or '.' and the qualifier.
    const std::string_view after_name = rest.substr(name.size());
    if (after_name.empty()) {
        for (const ShoulderInfo& info : settings->shoulders)
            if (same_folded(info.shoulder, name))
                return shoulder_response(*settings, info, inflection, json);
    }

    // The record is read in place: the response is made while the catalog holds it.
    std::optional<HttpResponse> response;
    catalog->with_document(
        resolver_document_key(key), [&](const CatalogReader::DocumentView& stored) {
            const Resolved record = read_record(stored.body);
            if (record.state == "withdrawn") {
                response = tombstone(*settings, record, inflection, json);
                return;
            }
            if (record.state != "active") return;
            std::string target;
            if (after_name.empty())
                target = record.landing;
            else if (after_name[0] == '/')
                target = qualifier_target(*settings, record, after_name.substr(1));
            if (target.empty()) {
                response = not_found("unknown qualifier");
            } else if (inflection == Inflection::none) {
                response = redirect(std::move(target));
            } else {
                Fields fields = object_fields(*settings, record);
                add_policy(fields, *settings, inflection);
                response = record_response(200, fields, json);
            }
        });
    return response ? std::move(*response) : not_found("unknown ARK");
}

}  // namespace

std::string resolver_record(const PublicationSettings& settings, const ObjectRecord& object) {
    const ObjectMetadata& metadata = object.metadata;
    std::string who = joined(metadata, "creator", false);
    if (who.empty()) who = joined(metadata, "publisher", false);
    if (who.empty()) who = metadata.provider.empty() ? settings.institution : metadata.provider;

    std::string record;
    append_field(record, "ark", object.ark);
    append_field(record, "state", record_state_name(object.state));
    append_field(record, "pages", std::to_string(page_count(object)));
    append_field(record, "landing", landing_page_url(settings, object.ark));
    append_field(record, "manifest", manifest_url(settings, ApiVersion::v3, object.ark));
    append_field(record, "who", or_unavailable(who));
    append_field(record, "what", or_unavailable(joined(metadata, "title", true)));
    append_field(record, "when", or_unavailable(joined(metadata, "date", true)));
    append_field(record, "where", ark_url(settings, object.ark));
    if (object.state == RecordState::withdrawn) {
        append_field(record, "withdrawn", format_oai_datetime(object.updated));
        append_field(record, "reason", or_unavailable(object.withdrawn_reason));
    }
    return record;
}

const PublicationSettings* PublicationMemo::get(const CatalogReader& catalog) {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_read_) return settings_ ? &*settings_ : nullptr;
    std::optional<std::string> text = catalog.meta("publication");
    if (!text) {
        settings_.reset();
    } else if (!settings_ || *text != text_) {
        settings_.reset();
        settings_ = publication_settings_from_json(*text);
        text_ = std::move(*text);
    }
    next_read_ = now + recheck_;
    return settings_ ? &*settings_ : nullptr;
}

HttpResponse resolve_ark(const CatalogReader* catalog, const ResolverRequest& request) {
    PublicationMemo memo;
    return resolve_ark(catalog, request, memo);
}

HttpResponse resolve_ark(const CatalogReader* catalog, const ResolverRequest& request,
                         PublicationMemo& memo) {
    try {
        return resolve(catalog, request, memo);
    } catch (const IiifError& error) {
        return error_response(error.status, error.reason);
    } catch (const std::exception& error) {
        return error_response(500, error.what());
    }
}

}  // namespace iiif
