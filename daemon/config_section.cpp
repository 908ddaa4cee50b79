// ConfigSection: typed reading of one table of iiifd.toml, and its messages.
#include "config_section.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <utility>

namespace iiifd {

namespace {

std::string lines_of(const std::vector<std::string>& problems) {
    std::string text;
    for (const std::string& problem : problems) text += (text.empty() ? "" : "\n") + problem;
    return text;
}

}  // namespace

InvalidConfig::InvalidConfig(std::vector<std::string> problems_found)
    : std::runtime_error(lines_of(problems_found)), problems(std::move(problems_found)) {}

ConfigSection::ConfigSection(std::string file, const toml::table& root,
                             std::vector<std::string>& problems)
    : ConfigSection(std::move(file), "", "", &root, &problems) {}

ConfigSection::ConfigSection(std::string file, std::string name, std::string key,
                             const toml::node* node, std::vector<std::string>* problems)
    : file_(std::move(file)),
      name_(std::move(name)),
      key_(std::move(key)),
      node_(node),
      problems_(problems) {}

const toml::table* ConfigSection::table() const {
    return node_ != nullptr ? node_->as_table() : nullptr;
}

const toml::node* ConfigSection::get(std::string_view key) const {
    const toml::table* table = this->table();
    return table != nullptr ? table->get(key) : nullptr;
}

bool ConfigSection::has(std::string_view key) const {
    return get(key) != nullptr;
}

void ConfigSection::report(std::string_view key, std::string_view why) const {
    std::string message = file_ + ": [" + name_ + "]";
    if (!key.empty()) message += " " + std::string(key);
    problems_->push_back(message + ": " + std::string(why));
}

ConfigSection ConfigSection::section(std::string_view key) const {
    std::string name = name_.empty() ? std::string(key) : name_ + "." + std::string(key);
    return ConfigSection(file_, std::move(name), std::string(key), get(key), problems_);
}

std::vector<ConfigSection> ConfigSection::sections() const {
    std::vector<ConfigSection> sections;
    const toml::table* table = this->table();
    if (!expect_table() || table == nullptr) return sections;
    for (const auto& [key, node] : *table) sections.push_back(section(key.str()));
    return sections;
}

bool ConfigSection::expect_table() const {
    if (node_ == nullptr || node_->is_table()) return true;
    report("", "must be a table");
    return false;
}

bool ConfigSection::only_keys(std::initializer_list<std::string_view> known) const {
    if (!expect_table()) return false;
    const toml::table* table = this->table();
    if (table == nullptr) return true;
    for (const auto& [key, node] : *table) {
        if (std::find(known.begin(), known.end(), key.str()) == known.end())
            report(key.str(), "unknown key");
    }
    return true;
}

std::optional<std::string> ConfigSection::string(std::string_view key) const {
    const toml::node* node = get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_string()) {
        report(key, "must be a string");
        return std::nullopt;
    }
    return node->as_string()->get();
}

std::optional<std::int64_t> ConfigSection::integer(std::string_view key) const {
    const toml::node* node = get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_integer()) {
        report(key, "must be an integer");
        return std::nullopt;
    }
    return node->as_integer()->get();
}

std::optional<double> ConfigSection::number(std::string_view key) const {
    const toml::node* node = get(key);
    if (node == nullptr) return std::nullopt;
    if (node->is_integer()) return static_cast<double>(node->as_integer()->get());
    if (!node->is_floating_point()) {
        report(key, "must be a number");
        return std::nullopt;
    }
    return node->as_floating_point()->get();
}

std::vector<std::string> ConfigSection::strings(std::string_view key) const {
    std::vector<std::string> values;
    const toml::node* node = get(key);
    if (node == nullptr) return values;
    const toml::array* array = node->as_array();
    if (array == nullptr ||
        !std::all_of(array->begin(), array->end(),
                     [](const toml::node& element) { return element.is_string(); })) {
        report(key, "must be an array of strings");
        return values;
    }
    for (const toml::node& element : *array) values.push_back(element.as_string()->get());
    return values;
}

std::vector<std::string> ConfigSection::one_or_more_strings(std::string_view key) const {
    const toml::node* node = get(key);
    if (node != nullptr && node->is_string()) return {node->as_string()->get()};
    return strings(key);
}

std::vector<std::pair<std::string, std::string>> ConfigSection::string_pairs() const {
    std::vector<std::pair<std::string, std::string>> pairs;
    const toml::table* table = this->table();
    if (!expect_table() || table == nullptr) return pairs;
    for (const auto& [key, value] : *table) {
        if (!value.is_string()) {
            report(key.str(), "must be a string");
            continue;
        }
        pairs.emplace_back(std::string(key.str()), value.as_string()->get());
    }
    return pairs;
}

bool ConfigSection::read(std::string_view key, std::string& into) const {
    const size_t before = reported();
    if (std::optional<std::string> value = string(key)) into = *value;
    return reported() == before;
}

bool ConfigSection::read(std::string_view key, bool& into) const {
    const toml::node* node = get(key);
    if (node == nullptr) return true;
    if (!node->is_boolean()) {
        report(key, "must be true or false");
        return false;
    }
    into = node->as_boolean()->get();
    return true;
}

std::optional<std::int64_t> ConfigSection::checked_integer(std::string_view key, std::int64_t low,
                                                           std::int64_t high) const {
    std::optional<std::int64_t> value = integer(key);
    if (value && (*value < low || *value > high)) {
        report(key, "must be between " + std::to_string(low) + " and " + std::to_string(high));
        return std::nullopt;
    }
    return value;
}

bool ConfigSection::read_fraction(std::string_view key, double& into) const {
    const size_t before = reported();
    std::optional<double> value = number(key);
    if (!value) return reported() == before;
    if (!(*value > 0.0 && *value <= 1.0)) {
        report(key, "must be above 0 and at most 1");
        return false;
    }
    into = *value;
    return true;
}

bool ConfigSection::read_required(std::string_view key, std::string& into) const {
    if (!read(key, into)) return false;
    if (!into.empty()) return true;
    // The keys of a section that is no table (only_keys said so) are not missing too.
    if (present() && table() == nullptr) return false;
    report(key, "required");
    return false;
}

bool ConfigSection::read_nonempty(std::string_view key, std::string& into) const {
    if (!read(key, into)) return false;
    if (!into.empty()) return true;
    report(key, "must not be empty");
    return false;
}

void ConfigSection::require_absolute(std::string_view key, const std::string& path) const {
    const toml::node* node = get(key);
    if (node != nullptr && !node->is_string()) return;
    if (path.empty()) {
        report(key, "required");
    } else if (node != nullptr && path.front() != '/') {
        report(key, "must be an absolute path");
    }
}

namespace {

// Null when the value has no TOML form (null, or an array holding one).
std::unique_ptr<toml::node> toml_node_of_json(const json_t* value) {
    switch (json_typeof(value)) {
    case JSON_STRING:
        return std::make_unique<toml::value<std::string>>(
            std::string(json_string_value(value), json_string_length(value)));
    case JSON_INTEGER:
        return std::make_unique<toml::value<std::int64_t>>(json_integer_value(value));
    case JSON_REAL:
        return std::make_unique<toml::value<double>>(json_real_value(value));
    case JSON_TRUE:
    case JSON_FALSE:
        return std::make_unique<toml::value<bool>>(json_is_true(value));
    case JSON_ARRAY: {
        auto array = std::make_unique<toml::array>();
        size_t index = 0;
        const json_t* item = nullptr;
        json_array_foreach(value, index, item) {
            std::unique_ptr<toml::node> node = toml_node_of_json(item);
            if (!node) return nullptr;
            array->push_back(std::move(*node));
        }
        return array;
    }
    case JSON_OBJECT:
        return std::make_unique<toml::table>(toml_table_of_json(value));
    default:
        return nullptr;
    }
}

}  // namespace

toml::table toml_table_of_json(const json_t* object) {
    if (!json_is_object(object)) throw std::runtime_error("must be a JSON object");
    toml::table table;
    const char* key = nullptr;
    const json_t* value = nullptr;
    json_object_foreach(const_cast<json_t*>(object), key, value) {
        std::unique_ptr<toml::node> node = toml_node_of_json(value);
        if (!node) {
            if (json_is_null(value)) continue;
            throw std::runtime_error(std::string(key) + ": null inside an array");
        }
        table.insert_or_assign(key, std::move(*node));
    }
    return table;
}

}  // namespace iiifd
