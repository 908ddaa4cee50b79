// An error that a request can end in: an HTTP status and a short reason for the client.
// Raised once where the problem is detected, turned into a response in one place (the CLI's
// main, the module's handler).
#pragma once

#include <exception>
#include <string>

namespace iiif {

struct IiifError : std::exception {
    int status;
    std::string reason;

    IiifError(int status_code, std::string why) : status(status_code), reason(std::move(why)) {}
    const char* what() const noexcept override { return reason.c_str(); }
};

// A client's mistake in one field of what it sent: IiifError(400, "{field}: {what}").
[[noreturn]] inline void refuse_field(const std::string& field, const std::string& what) {
    throw IiifError(400, field + ": " + what);
}

}  // namespace iiif
