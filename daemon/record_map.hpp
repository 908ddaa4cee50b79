// OAI identifiers to short texts (a record's ARK, the signature of its pages), kept compactly
// for a partner's hundreds of thousands of records (iiifd's heap grew 24 MB over a harvest of
// 100,000 records with a map of strings, 12 MB with this): an identifier is kept as the first
// 16 bytes of its SHA-256 (two identifiers alike in those are not expected in the life of the
// platform), the texts in one arena.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace iiifd {

class RecordMap {
  public:
    std::optional<std::string_view> find(std::string_view identifier) const;
    // Sets or replaces the text of `identifier`.
    void set(std::string_view identifier, std::string_view text);
    std::size_t size() const { return at_.size(); }

  private:
    using Key = std::array<std::uint64_t, 2>;
    struct KeyHash {
        std::size_t operator()(const Key& key) const noexcept { return key[0]; }
    };
    static Key key_of(std::string_view identifier);

    std::unordered_map<Key, std::pair<std::uint32_t, std::uint32_t>, KeyHash> at_;  // in arena_
    std::string arena_;
};

}  // namespace iiifd
