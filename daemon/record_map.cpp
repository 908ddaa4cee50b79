#include "record_map.hpp"

#include <cstring>
#include <stdexcept>

#include "signing.hpp"

namespace iiifd {

RecordMap::Key RecordMap::key_of(std::string_view identifier) {
    const iiif::Digest digest = iiif::sha256(identifier);
    Key key;
    std::memcpy(key.data(), digest.data(), sizeof key);
    return key;
}

std::optional<std::string_view> RecordMap::find(std::string_view identifier) const {
    const auto found = at_.find(key_of(identifier));
    if (found == at_.end()) return std::nullopt;
    return std::string_view(arena_).substr(found->second.first, found->second.second);
}

void RecordMap::set(std::string_view identifier, std::string_view text) {
    if (arena_.size() + text.size() > UINT32_MAX) throw std::runtime_error("record map: full");
    const std::pair<std::uint32_t, std::uint32_t> place{static_cast<std::uint32_t>(arena_.size()),
                                                        static_cast<std::uint32_t>(text.size())};
    arena_ += text;
    at_[key_of(identifier)] = place;
}

}  // namespace iiifd
