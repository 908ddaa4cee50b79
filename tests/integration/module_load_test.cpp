// The module as nginx's configuration sees it: it loads, and its directives refuse what they
// cannot serve, with a message that names the problem (paths, URLs and numbers:
// config_checks_test.cpp).
#include <catch2/catch.hpp>

#include "nginx_harness.hpp"

using Catch::Matchers::Contains;
using integration::CommandResult;
using integration::Nginx;
using integration::NginxOptions;

TEST_CASE("The module loads: nginx -t accepts a configuration with load_module", "[module]") {
    Nginx nginx;
    CommandResult result = nginx.test_config();
    INFO(result.output);
    CHECK(result.exit_code == 0);
}

TEST_CASE("iiif takes the Image API version, 2 or 3: iiif 4 fails nginx -t", "[module]") {
    NginxOptions options;
    options.iiif_locations = false;
    options.server_extra = "location /iiif/4/ { iiif 4; iiif_source_dir {dir}/images; }";
    Nginx nginx(options);
    CommandResult result = nginx.test_config();
    INFO(result.output);
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.output, Contains("2 or 3"));
}

TEST_CASE("iiif needs iiif_source_dir: without it nginx -t fails naming it", "[module]") {
    NginxOptions options;
    options.iiif_locations = false;
    options.server_extra = "location /iiif/3/ { iiif 3; }";
    Nginx nginx(options);
    CommandResult result = nginx.test_config();
    INFO(result.output);
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.output, Contains("iiif_source_dir"));
}

TEST_CASE("iiif_withdrawn_status takes 410 or 404 only", "[module]") {
    NginxOptions options;
    options.location_extra = "iiif_withdrawn_status 403;";
    CommandResult result = Nginx(options).test_config();
    INFO(result.output);
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.output, Contains("invalid value \"403\""));
}

TEST_CASE("iiif_decoded_cache_size is a size for the whole http block", "[module]") {
    NginxOptions good;
    good.http_extra = "iiif_decoded_cache_size 64m;";
    CommandResult accepted = Nginx(good).test_config();
    INFO(accepted.output);
    CHECK(accepted.exit_code == 0);

    NginxOptions in_location;
    in_location.location_extra = "iiif_decoded_cache_size 64m;";
    CommandResult refused = Nginx(in_location).test_config();
    INFO(refused.output);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.output,
               Contains("\"iiif_decoded_cache_size\" directive is not allowed here"));

    NginxOptions not_a_size;
    not_a_size.http_extra = "iiif_decoded_cache_size lots;";
    CommandResult bad = Nginx(not_a_size).test_config();
    INFO(bad.output);
    CHECK(bad.exit_code == 1);
    CHECK_THAT(bad.output, Contains("\"iiif_decoded_cache_size\" directive invalid value"));
}
