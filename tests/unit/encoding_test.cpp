// Bytes as text (common/base/encoding.hpp): the fields of a query or form, repeats kept.
#include "encoding.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

using iiif::form_fields;
using Fields = std::vector<std::pair<std::string, std::string>>;

TEST_CASE("encoding: form fields come in order with their repeats, the same value included",
          "[encoding]") {
    CHECK(form_fields("verb=Identify&verb=Identify") ==
          Fields{{"verb", "Identify"}, {"verb", "Identify"}});
    CHECK(form_fields("b=2&a=1&b=3") == Fields{{"b", "2"}, {"a", "1"}, {"b", "3"}});
    CHECK(form_fields("").empty());
}

TEST_CASE("encoding: form fields decode '+' as a space and %XX as a byte", "[encoding]") {
    CHECK(form_fields("identifier=oai%3Aexample.org%3Aark%3A%2F1%2Fa&q=a+b%2Bc") ==
          Fields{{"identifier", "oai:example.org:ark:/1/a"}, {"q", "a b+c"}});
    CHECK(form_fields("caf%C3%A9=%E9") == Fields{{"caf\xC3\xA9", "\xE9"}});
}

TEST_CASE("encoding: a field without '=' is empty, empty pairs are skipped, a stray '%' is kept",
          "[encoding]") {
    CHECK(form_fields("verb&&a=&=x") == Fields{{"verb", ""}, {"a", ""}, {"", "x"}});
    CHECK(form_fields("a=100%&b=%zz+1") == Fields{{"a", "100%"}, {"b", "%zz 1"}});
    CHECK(form_fields("a=b=c") == Fields{{"a", "b=c"}});
}
