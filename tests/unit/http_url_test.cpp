// A service's URL as a configuration names it (common/base/http_url.hpp).
#include "http_url.hpp"

#include <catch2/catch.hpp>

using iiif::http_url_problem;

TEST_CASE("http url: a host, with a port and a path or not, is a service's URL", "[http_url]") {
    CHECK(http_url_problem("https://images.example.org/iiif/3") == "");
    CHECK(http_url_problem("http://images.example.org") == "");
    CHECK(http_url_problem("http://images.example.org/") == "");
    CHECK(http_url_problem("http://127.0.0.1:8080/iiif/3/") == "");
    CHECK(http_url_problem("https://localhost:65535") == "");
    CHECK(http_url_problem("http://[::1]:8080/iiif") == "");
    CHECK(http_url_problem("http://[2001:db8::7]") == "");
    CHECK(http_url_problem("https://x.org/a%2Fb/caf%C3%A9/~me/(1);v=2,3:@$&'*+!") == "");
}

TEST_CASE("http url: only http and https, written in lower case", "[http_url]") {
    CHECK(http_url_problem("not-a-url") == "must be an absolute http or https URL");
    CHECK(http_url_problem("ftp://x") == "must be an absolute http or https URL");
    CHECK(http_url_problem("/iiif/3") == "must be an absolute http or https URL");
    CHECK(http_url_problem("//images.example.org/iiif/3") ==
          "must be an absolute http or https URL");
    CHECK(http_url_problem("HTTPS://x.org") == "must be an absolute http or https URL");
    CHECK(http_url_problem("http:/x.org") == "must be an absolute http or https URL");
    CHECK(http_url_problem("") == "must be an absolute http or https URL");
}

TEST_CASE("http url: the host is required and is a name, an IPv4 or a bracketed IPv6 address",
          "[http_url]") {
    CHECK(http_url_problem("http://") == "has no host");
    CHECK(http_url_problem("http:///path") == "has no host");
    CHECK(http_url_problem("https://:8080/iiif") == "has no host");
    CHECK(http_url_problem("http://x..org/") == "has an empty label in its host");
    CHECK(http_url_problem("http://.x.org/") == "has an empty label in its host");
    CHECK(http_url_problem("http://x.org./") == "has an empty label in its host");
    CHECK(http_url_problem("http://x_y.org/") == "has a character a host name cannot hold");
    CHECK(http_url_problem("http://x%41.org/") == "has a character a host name cannot hold");
    CHECK(http_url_problem("http://[::1/iiif") == "has a malformed IPv6 address");
    CHECK(http_url_problem("http://[]/") == "has a malformed IPv6 address");
    CHECK(http_url_problem("http://[1.2.3.4]/") == "has a malformed IPv6 address");
    CHECK(http_url_problem("http://[::g]/") == "has a malformed IPv6 address");
    CHECK(http_url_problem("http://[::1]x/") == "has a malformed IPv6 address");
}

TEST_CASE("http url: a port is 1 to 65535 in decimal", "[http_url]") {
    CHECK(http_url_problem("http://x.org:/") == "has a bad port");
    CHECK(http_url_problem("http://x.org:0/") == "has a bad port");
    CHECK(http_url_problem("http://x.org:65536/") == "has a bad port");
    CHECK(http_url_problem("http://x.org:123456/") == "has a bad port");
    CHECK(http_url_problem("http://x.org:80a/") == "has a bad port");
    CHECK(http_url_problem("http://x.org:80:81/") == "has a bad port");
    CHECK(http_url_problem("http://[::1]:/") == "has a bad port");
}

TEST_CASE("http url: no user, query or fragment", "[http_url]") {
    CHECK(http_url_problem("https://me:secret@x.org/iiif") ==
          "must not hold a user name or password");
    CHECK(http_url_problem("https://x.org/iiif?a=1") == "must not have a query");
    CHECK(http_url_problem("https://x.org?") == "must not have a query");
    CHECK(http_url_problem("https://x.org/iiif#top") == "must not have a fragment");
    CHECK(http_url_problem("https://x.org/iiif?a#b") == "must not have a fragment");
}

TEST_CASE("http url: the path holds URI characters and whole escapes only", "[http_url]") {
    CHECK(http_url_problem("https://x.org/a%2") == "has a bad percent-escape");
    CHECK(http_url_problem("https://x.org/a%zz") == "has a bad percent-escape");
    CHECK(http_url_problem("https://x.org/a%") == "has a bad percent-escape");
    CHECK(http_url_problem("https://x.org/a<b>") == "has a character a URL must percent-encode");
    CHECK(http_url_problem("https://x.org/a\"b") == "has a character a URL must percent-encode");
    CHECK(http_url_problem("https://x.org/a{b}") == "has a character a URL must percent-encode");
    CHECK(http_url_problem("https://x.org/a\\b") == "has a character a URL must percent-encode");
}

TEST_CASE("http url: no white space, control character or byte past ASCII anywhere", "[http_url]") {
    CHECK(http_url_problem("https://x.org/a b") ==
          "must not hold white space or control characters");
    CHECK(http_url_problem(" https://x.org") == "must not hold white space or control characters");
    CHECK(http_url_problem("https://x.org/\r\nSet-Cookie: a") ==
          "must not hold white space or control characters");
    CHECK(http_url_problem("https://x.org/\t") ==
          "must not hold white space or control characters");
    CHECK(http_url_problem("https://x.org/\x7f") ==
          "must not hold white space or control characters");
    CHECK(http_url_problem("https://x.org/caf\xC3\xA9") ==
          "must be ASCII (percent-encode other characters)");
}
