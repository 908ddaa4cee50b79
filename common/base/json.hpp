// jansson values owned by RAII, and their text: what every JSON reader and writer here uses
// instead of its own deleter.
#pragma once

#include <jansson.h>

#include <memory>
#include <string>
#include <string_view>

namespace iiif {

struct JsonDeleter {
    void operator()(json_t* value) const { json_decref(value); }
};
// Owns one reference (json_object(), json_loads(), ...): no json_decref by hand.
using Json = std::unique_ptr<json_t, JsonDeleter>;

// The value as text; compact unless `flags` say otherwise. Throws std::runtime_error when
// jansson cannot serialise it (an invalid value, out of memory).
std::string json_text(const json_t* value, size_t flags = JSON_COMPACT);

// A string member that may hold any bytes of `value` (json_stringn); nullptr when `value` is
// not UTF-8, as jansson refuses it.
inline json_t* json_string_of(std::string_view value) {
    return json_stringn(value.data(), value.size());
}

// The string member `key` of `object` (any bytes, NULs included), or "" when it is absent or
// not a string.
inline std::string json_string_member(const json_t* object, const char* key) {
    const json_t* value = json_object_get(object, key);
    return json_is_string(value) ? std::string(json_string_value(value), json_string_length(value))
                                 : std::string();
}

}  // namespace iiif
