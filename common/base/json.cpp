#include "json.hpp"

#include <cstdlib>
#include <stdexcept>

namespace iiif {

std::string json_text(const json_t* value, size_t flags) {
    std::unique_ptr<char, decltype(&std::free)> text(json_dumps(value, flags), std::free);
    if (!text) throw std::runtime_error("cannot serialise JSON");
    return text.get();
}

}  // namespace iiif
