#include "page_labels.hpp"

#include <jansson.h>

#include <algorithm>

#include "iiif_error.hpp"
#include "json.hpp"
#include "page_changes.hpp"

namespace iiifd {
namespace {

std::string without_extension(const std::string& name) {
    const size_t dot = name.rfind('.');
    return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

}  // namespace

void apply_page_labels(std::string_view pages_json, std::vector<DepositFile>& files) {
    json_error_t error;
    iiif::Json document(json_loadb(pages_json.data(), pages_json.size(), 0, &error));
    if (!json_is_object(document.get())) iiif::refuse_field("pages", "expected a JSON object");
    const char* key;
    json_t* value;
    json_object_foreach(document.get(), key, value) {
        if (std::string_view(key) != "labels" && std::string_view(key) != "rule" &&
            std::string_view(key) != "start")
            iiif::refuse_field("pages." + std::string(key), "unknown key");
    }
    const json_t* labels = json_object_get(document.get(), "labels");
    const json_t* rule = json_object_get(document.get(), "rule");
    if ((labels == nullptr) == (rule == nullptr)) iiif::refuse_field("pages", "either labels or rule");
    if (labels) {
        if (!json_is_array(labels)) iiif::refuse_field("pages.labels", "not an array");
        if (json_array_size(labels) > files.size())
            iiif::refuse_field("pages.labels", "more labels than files (" + std::to_string(files.size()) + ")");
        size_t i;
        json_array_foreach(labels, i, value) {
            const std::string field = "pages.labels[" + std::to_string(i) + "]";
            if (!json_is_string(value)) iiif::refuse_field(field, "not a string");
            std::string label(json_string_value(value), json_string_length(value));
            if (label.size() > kMaxPageLabelBytes)
                iiif::refuse_field(field, "longer than " + std::to_string(kMaxPageLabelBytes) + " bytes");
            files[i].label = std::move(label);
        }
        return;
    }
    if (!json_is_string(rule)) iiif::refuse_field("pages.rule", "not a string");
    const std::string name = json_string_value(rule);
    long long start = 1;
    if (const json_t* first = json_object_get(document.get(), "start")) {
        if (!json_is_integer(first) || json_integer_value(first) < 0 ||
            json_integer_value(first) > 1'000'000)
            iiif::refuse_field("pages.start", "not a number from 0 to 1000000");
        start = json_integer_value(first);
    }
    for (size_t i = 0; i < files.size(); ++i) {
        const long long n = static_cast<long long>(i);
        if (name == "page") {
            files[i].label = "p. " + std::to_string(start + n);
        } else if (name == "folio") {
            files[i].label = "f. " + std::to_string(start + n / 2) + (n % 2 == 0 ? "r" : "v");
        } else if (name == "filename") {
            files[i].label = without_extension(files[i].original_name);
            if (files[i].label.size() > kMaxPageLabelBytes)
                files[i].label.resize(kMaxPageLabelBytes);
        } else {
            iiif::refuse_field("pages.rule", "one of page, folio, filename");
        }
    }
}

}  // namespace iiifd
