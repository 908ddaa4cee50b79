// ConfigSection: one table of iiifd.toml read key by key into typed values, each problem noted
// with a message that names the file, the table and the key, such as
// "iiifd.toml: [ark] naan: must be 5 digits or betanumeric".
#pragma once

#include <jansson.h>
#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iiifd {

// A configuration that has problems: every one found, in the order of the file's reading.
// what() is their messages, one a line.
struct InvalidConfig : std::runtime_error {
    explicit InvalidConfig(std::vector<std::string> problems);
    std::vector<std::string> problems;
};

// An absent table reads as an empty one: each of its keys keeps its default. Unknown keys are
// problems (only_keys): a misspelt key silently ignored is a setting the administrator believes
// in and does not have.
//
// A problem is noted, not thrown: the reader goes on with the key's default, so that one pass
// finds every problem of the file. A rule that only makes sense of values read well (one over a
// whole entry, or one that another key's problem would set off too) is judged only when nothing
// was reported since they were read: see reported().
class ConfigSection {
  public:
    // The whole document, read in place (it outlives every section); its tables are named [key],
    // with no prefix. `file` starts each message, which goes to `problems` (it outlives every
    // section too).
    ConfigSection(std::string file, const toml::table& root, std::vector<std::string>& problems);

    // The last part of the name: "staff" in [policies.staff].
    const std::string& key() const { return key_; }
    bool present() const { return node_ != nullptr; }
    bool has(std::string_view key) const;

    // Notes "{file}: [name] key: why", or "{file}: [name]: why" for no key, and returns.
    void report(std::string_view key, std::string_view why) const;
    // How many problems the whole file has had so far.
    size_t reported() const { return problems_->size(); }

    // [name.key], whether it is there or not, not yet checked to be a table.
    ConfigSection section(std::string_view key) const;
    // Each [name.KEY]; none when this section is absent or no table (reported). The entries are
    // not yet checked to be tables: a KEY breaking its rule is the first thing to say about an
    // entry, so the caller judges it before calling only_keys.
    std::vector<ConfigSection> sections() const;

    // Reports each key but `known`, or that the section is no table; false for no table (its
    // keys, all absent, would be reported as missing: the caller stops there).
    bool only_keys(std::initializer_list<std::string_view> known) const;

    // Empty, when absent or reported.
    std::vector<std::string> strings(std::string_view key) const;
    // A string, or an array of them.
    std::vector<std::string> one_or_more_strings(std::string_view key) const;
    // Every key of this table with its value, each a string ("{key}: must be a string").
    std::vector<std::pair<std::string, std::string>> string_pairs() const;

    // Each read leaves `into` as it was when the key is absent or of the wrong type, and returns
    // false when it reported a problem.
    bool read(std::string_view key, std::string& into) const;
    bool read(std::string_view key, bool& into) const;
    // An integer in [low, high], stored in `into`.
    template <typename Int>
    bool read(std::string_view key, Int& into, std::int64_t low, std::int64_t high) const {
        const size_t before = reported();
        if (std::optional<std::int64_t> value = checked_integer(key, low, high))
            into = static_cast<Int>(*value);
        return reported() == before;
    }
    // A fraction in (0, 1], stored in `into`.
    bool read_fraction(std::string_view key, double& into) const;
    // read(), reporting "required" when `into` is left empty (but in a section that is no
    // table, which only_keys reports).
    bool read_required(std::string_view key, std::string& into) const;
    // read(), reporting "must not be empty" when the file empties `into`'s default.
    bool read_nonempty(std::string_view key, std::string& into) const;

    // `path`, read from `key`, must be absolute: "required" when it is empty. A key of the wrong
    // type was reported by its read; a default made of another key (this one absent) is that
    // key's affair.
    void require_absolute(std::string_view key, const std::string& path) const;

  private:
    ConfigSection(std::string file, std::string name, std::string key, const toml::node* node,
                  std::vector<std::string>* problems);
    // Reports a section that is there and no table; false then.
    bool expect_table() const;
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
    std::vector<std::string>* problems_;
};

// A JSON object (an API request's body) as a TOML table, for the readers of iiifd.toml's
// tables to check it by the same rules: strings, integers, reals, booleans, arrays and objects;
// null members are left out (absent). Throws std::runtime_error for a value that is not an
// object.
toml::table toml_table_of_json(const json_t* object);

}  // namespace iiifd
