// The module as nginx's configuration sees it: it loads, and its directives refuse what they
// cannot serve, with a message that names the problem.
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
