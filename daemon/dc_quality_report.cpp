// QualityReport (dc_normalise.hpp): what a harvest's records lacked and which values could not
// be mapped, summed over records.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "dc_normalise.hpp"
#include "json.hpp"

namespace iiifd {

void QualityReport::add(const NormalisedRecord& record) {
    ++records_;
    for (const DcFinding& finding : record.findings) {
        if (finding.kind == FindingKind::missing && finding.element == "title") ++without_title_;
        if (finding.kind == FindingKind::missing && finding.element == "date") ++without_date_;
        if (finding.kind == FindingKind::default_license) ++without_rights_;
        if (finding.kind != FindingKind::unmapped) continue;
        Unmapped& element = unmapped_[finding.element];
        auto counted = element.counts.find(finding.value);
        if (counted != element.counts.end())
            ++counted->second;
        else if (element.counts.size() < max_distinct_)
            element.counts.emplace(finding.value, 1);
        else
            ++element.others;
    }
}

json_t* QualityReport::to_json() const {
    iiif::Json report(json_object());
    json_object_set_new(report.get(), "records", json_integer(static_cast<json_int_t>(records_)));
    json_object_set_new(report.get(), "without_title",
                        json_integer(static_cast<json_int_t>(without_title_)));
    json_object_set_new(report.get(), "without_date",
                        json_integer(static_cast<json_int_t>(without_date_)));
    json_object_set_new(report.get(), "without_rights",
                        json_integer(static_cast<json_int_t>(without_rights_)));
    json_t* elements = json_object();
    json_object_set_new(report.get(), "unmapped", elements);
    for (const auto& [element, found] : unmapped_) {
        std::vector<std::pair<std::string, size_t>> counts(found.counts.begin(),
                                                           found.counts.end());
        std::stable_sort(counts.begin(), counts.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
        json_t* values = json_array();
        for (const auto& [value, count] : counts) {
            json_t* entry = json_object();
            json_object_set_new(entry, "value", iiif::json_string_of(value));
            json_object_set_new(entry, "count", json_integer(static_cast<json_int_t>(count)));
            json_array_append_new(values, entry);
        }
        json_t* summary = json_object();
        json_object_set_new(summary, "values", values);
        json_object_set_new(summary, "others", json_integer(static_cast<json_int_t>(found.others)));
        json_object_set_new(elements, element.c_str(), summary);
    }
    return report.release();
}

}  // namespace iiifd
