#include "resolver_record.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include "clock.hpp"
#include "iiif_error.hpp"

namespace iiif {
namespace {

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

void append_field(std::string& record, std::string_view label, std::string_view value) {
    record += label;
    record += ": ";
    for (char c : value) record.push_back(c == '\n' || c == '\r' ? ' ' : c);
    record += '\n';
}

constexpr std::pair<std::string_view, std::string_view ResolverRecord::*> kRecordLabels[] = {
    {"ark", &ResolverRecord::ark},           {"state", &ResolverRecord::state},
    {"pages", &ResolverRecord::pages},       {"landing", &ResolverRecord::landing},
    {"manifest", &ResolverRecord::manifest}, {"who", &ResolverRecord::who},
    {"what", &ResolverRecord::what},         {"when", &ResolverRecord::when},
    {"where", &ResolverRecord::where},       {"withdrawn", &ResolverRecord::withdrawn},
    {"reason", &ResolverRecord::reason}};

}  // namespace

std::string or_unavailable(std::string_view text) {
    return std::string(text.empty() ? kUnavailable : text);
}

// One "label: value" per line, in kRecordLabels' order (so each line is one comparison); labels
// it does not know are skipped, so that a record made by a newer iiifd still resolves.
ResolverRecord read_resolver_record(std::string_view text) {
    constexpr size_t kCount = std::size(kRecordLabels);
    ResolverRecord record;
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

std::string resolver_record(const PublicationSettings& settings, const ObjectRecord& object) {
    const ObjectMetadata& metadata = object.metadata;
    std::string who = joined(metadata, "creator", false);
    if (who.empty()) who = joined(metadata, "publisher", false);
    if (who.empty()) who = metadata.provider.empty() ? settings.institution : metadata.provider;

    std::string record;
    append_field(record, "ark", object.ark);
    append_field(record, "state", record_state_name(object.state));
    append_field(record, "pages", std::to_string(page_count(object)));
    append_field(record, "landing", object_page_url(settings, object));
    append_field(
        record, "manifest",
        is_described(object) ? std::string() : manifest_url(settings, ApiVersion::v3, object.ark));
    append_field(record, "who", or_unavailable(who));
    append_field(record, "what", or_unavailable(joined(metadata, "title", true)));
    append_field(record, "when", or_unavailable(joined(metadata, "date", true)));
    append_field(record, "where", ark_url(settings, object.ark));
    if (object.state == RecordState::withdrawn) {
        append_field(record, "withdrawn", format_utc_datetime(object.updated));
        append_field(record, "reason", or_unavailable(object.withdrawn_reason));
    }
    return record;
}

}  // namespace iiif
