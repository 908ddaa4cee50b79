// The address of a service, as a configuration names it (the module's iiif_base_url): an
// absolute http or https URL, which responses then carry as it is written.
#pragma once

#include <string>
#include <string_view>

namespace iiif {

// What is wrong with `url` as the absolute URL of a service: empty when nothing is, else a short
// reason ("has no host"). The grammar is RFC 3986's, narrowed to what a service's address needs:
// `http://` or `https://` (in lower case), a host (a name or IPv4 address of letters, digits,
// '-' and '.', or an IPv6 address in brackets), an optional port (1 to 65535), and an optional
// path of URI characters and %XX escapes. No user name or password, query or fragment, and no
// white space, control character or byte past ASCII.
std::string http_url_problem(std::string_view url);

}  // namespace iiif
