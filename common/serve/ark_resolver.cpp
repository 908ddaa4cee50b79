#include "ark_resolver.hpp"

#include <jansson.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <utility>
#include <vector>

#include "catalog.hpp"
#include "iiif_error.hpp"
#include "json.hpp"
#include "resolver_record.hpp"

namespace iiif {
namespace {

constexpr std::string_view kCacheControl = "public, max-age=300";

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

// ---- The request ------------------------------------------------------------------------------

// The path with its escapes decoded (into `out` when it has any); nullopt for a broken escape or
// a control character, which no ARK holds (and which must never reach a Location header).
std::optional<std::string_view> decoded_path(std::string_view text, std::string& out) {
    std::string_view decoded = text;
    if (text.find('%') != std::string_view::npos) {
        std::optional<std::string> unescaped = percent_decoded(text);
        if (!unescaped) return std::nullopt;
        out = std::move(*unescaped);
        decoded = out;
    }
    for (char c : decoded)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return std::nullopt;
    return decoded;
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
            json_object_set_new(object.get(), std::string(label).c_str(), json_string_of(value));
        response.content_type = "application/json";
        response.body = json_text(object.get());
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
        {"who", or_unavailable(shoulder.institution.empty() ? settings.institution
                                                             : shoulder.institution)},
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
Fields object_fields(const PublicationSettings& settings, const ResolverRecord& record) {
    Fields fields = {{"who", or_unavailable(record.who)},
                     {"what", or_unavailable(record.what)},
                     {"when", or_unavailable(record.when)},
                     {"where", std::string(record.where)},
                     {"persistence", persistence(settings, kObjectCommitment)}};
    return fields;
}

HttpResponse tombstone(const PublicationSettings& settings, const ResolverRecord& record,
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
std::string qualifier_target(const PublicationSettings& settings, const ResolverRecord& record,
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
    const std::optional<std::string_view> decoded = decoded_path(request.path, buffer);
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
            const ResolverRecord record = read_resolver_record(stored.body);
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

const PublicationSettings* PublicationMemo::get(const CatalogReader& catalog) {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_read_) return settings_ ? &*settings_ : nullptr;
    std::optional<std::string> text = catalog.meta("publication");
    std::optional<std::string> shoulders = catalog.meta("shoulders");
    if (!text) {
        settings_.reset();
    } else if (!settings_ || *text != text_ || shoulders.value_or("") != shoulders_text_) {
        settings_.reset();
        PublicationSettings settings = publication_settings_from_json(*text);
        if (shoulders) settings.shoulders = shoulders_from_json(*shoulders);
        settings_ = std::move(settings);
        text_ = std::move(*text);
        shoulders_text_ = shoulders.value_or("");
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
