// libFuzzer target: the name a deposited file is given, whichever way it came (a multipart
// part's filename, a hot folder's entry, a command line's argument): deposit_file_name and
// staged_file_name (daemon/staging.hpp), with the input as the given name.
//
// What must hold: nothing crashes; the recorded name is what staging.hpp promises (one path
// component, valid UTF-8, no ASCII control character, 1 to 200 bytes, neither "." nor "..")
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
        if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            std::abort();
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
