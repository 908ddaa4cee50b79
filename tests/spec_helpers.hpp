// Shared by the spec-conformance tables: the two API versions and the status a request ends in.
#pragma once

#include "iiif_error.hpp"
#include "image_request.hpp"

namespace spec {

constexpr iiif::ApiVersion v3 = iiif::ApiVersion::v3;
constexpr iiif::ApiVersion v2 = iiif::ApiVersion::v2;
constexpr iiif::ApiVersion both_versions[] = {v3, v2};

inline const char* version_name(iiif::ApiVersion version) { return version == v3 ? "3.0" : "2.1"; }

// The HTTP status a request ends in: the status of the IiifError it throws, or 200 when it is
// accepted (so that an accepted request never passes for a refused one).
template <typename Request>
int status_of(Request&& request) {
    try {
        request();
    } catch (const iiif::IiifError& error) {
        return error.status;
    }
    return 200;
}

}  // namespace spec
