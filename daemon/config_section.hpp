// ConfigSection: one table of iiifd.toml read key by key into typed values, failing with a
// message that names the file, the table and the key, such as
// "iiifd.toml: [ark] naan: must be 5 digits or betanumeric".
#pragma once

#include <jansson.h>
#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iiifd {

// An absent table reads as an empty one: each of its keys keeps its default. Unknown keys are
// errors (only_keys): a misspelt key silently ignored is a setting the administrator believes in
// and does not have.
class ConfigSection {
  public:
    // The whole document, read in place (it outlives every section); its tables are named [key],
    // with no prefix. `file` starts each message.
    ConfigSection(std::string file, const toml::table& root);

    // The last part of the name: "staff" in [policies.staff].
    const std::string& key() const { return key_; }
    bool present() const { return node_ != nullptr; }
    bool has(std::string_view key) const;

    // Throws std::runtime_error("{file}: [name] key: why"), or "{file}: [name]: why" for no key.
    [[noreturn]] void fail(std::string_view key, std::string_view why) const;

    // [name.key], whether it is there or not, not yet checked to be a table.
    ConfigSection section(std::string_view key) const;
    // Each [name.KEY], once this section is known to be a table; the entries are not yet checked
    // to be tables: a KEY breaking its rule is the first thing to say about an entry, so the
    // caller judges it before calling only_keys.
    std::vector<ConfigSection> sections() const;

    // Fails unless the section is absent or a table of only `known` keys.
    void only_keys(std::initializer_list<std::string_view> known) const;

    std::vector<std::string> strings(std::string_view key) const;
    // A string, or an array of them.
    std::vector<std::string> one_or_more_strings(std::string_view key) const;
    // Every key of this table with its value, each a string ("{key}: must be a string").
    std::vector<std::pair<std::string, std::string>> string_pairs() const;

    void read(std::string_view key, std::string& into) const;
    void read(std::string_view key, bool& into) const;
    // An integer in [low, high], stored in `into`.
    template <typename Int>
    void read(std::string_view key, Int& into, std::int64_t low, std::int64_t high) const {
        if (std::optional<std::int64_t> value = checked_integer(key, low, high))
            into = static_cast<Int>(*value);
    }
    // A fraction in (0, 1], stored in `into`.
    void read_fraction(std::string_view key, double& into) const;
    // read(), failing "required" when `into` is left empty.
    void read_required(std::string_view key, std::string& into) const;
    // read(), failing "must not be empty" when the file empties `into`'s default.
    void read_nonempty(std::string_view key, std::string& into) const;

    void require_absolute(std::string_view key, const std::string& path) const;

  private:
    ConfigSection(std::string file, std::string name, std::string key, const toml::node* node);
    // Fails unless the section is absent or a table.
    void expect_table() const;
    // Null when the section is absent or no table.
    const toml::table* table() const;
    const toml::node* get(std::string_view key) const;
    std::optional<std::string> string(std::string_view key) const;
    std::optional<std::int64_t> integer(std::string_view key) const;
    // A float, or an integer taken as one.
    std::optional<double> number(std::string_view key) const;
    std::optional<std::int64_t> checked_integer(std::string_view key, std::int64_t low,
                                                std::int64_t high) const;

    std::string file_;
    std::string name_;
    std::string key_;
    const toml::node* node_;
};

// A JSON object (an API request's body) as a TOML table, for the readers of iiifd.toml's
// tables to check it by the same rules: strings, integers, reals, booleans, arrays and objects;
// null members are left out (absent). Throws std::runtime_error for a value that is not an
// object.
toml::table toml_table_of_json(const json_t* object);

}  // namespace iiifd
