// libFuzzer target: the name a deposited file is given, whichever way it came (a multipart
// part's filename, a hot folder's entry, a command line's argument): deposit_file_name and
// staged_file_name (daemon/staging.hpp), with the input as the given name.
//
// What must hold: nothing crashes; the recorded name is what staging.hpp promises (one path
// component, valid UTF-8, no control, format or separator character, 1 to 200 bytes, neither
// "." nor "..")
// and stays the same when given again; the staged name is "{page}-{recorded name}" within
// NAME_MAX (255 bytes) for any page of an object.
#include <glib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "staging.hpp"

namespace {

void check_recorded(const std::string& name) {
    if (name.empty() || name.size() > 200 || name == "." || name == ".." ||
        !g_utf8_validate(name.data(), static_cast<gssize>(name.size()), nullptr))
        std::abort();
    for (char c : name)
        if (c == '/' || c == '\\') std::abort();
    for (const gchar* c = name.c_str(); *c != '\0'; c = g_utf8_next_char(c)) {
        const GUnicodeType type = g_unichar_type(g_utf8_get_char(c));
        if (type == G_UNICODE_CONTROL || type == G_UNICODE_FORMAT ||
            type == G_UNICODE_LINE_SEPARATOR || type == G_UNICODE_PARAGRAPH_SEPARATOR)
            std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view given(reinterpret_cast<const char*>(data), size);
    const std::string recorded = iiifd::deposit_file_name(given);
    check_recorded(recorded);
    if (iiifd::deposit_file_name(recorded) != recorded) std::abort();
    // Pages run from 1 to max_files_per_object (2000 by default, a few digits whatever it is).
    for (size_t page : {size_t{1}, size_t{2000}, size_t{999999}}) {
        const std::string staged = iiifd::staged_file_name(page, given);
        if (staged != std::to_string(page) + "-" + recorded || staged.size() > 255) std::abort();
    }
    return 0;
}
