// What the module's directives refuse when nginx reads them (issue 20): `nginx -t` fails with one
// [emerg] line naming the directive, its value, the reason and the line it was written on, for
// each path, URL and number that could not be served.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "nginx_harness.hpp"

using integration::CommandResult;
using integration::Nginx;
using integration::NginxOptions;

namespace {

// The 1-based number of the first line of the nginx.conf that holds `text`; 0 when none does.
int line_of(const Nginx& nginx, const std::string& text) {
    std::ifstream file(nginx.path("nginx.conf"));
    std::string line;
    for (int number = 1; std::getline(file, line); ++number)
        if (line.find(text) != std::string::npos) return number;
    return 0;
}

// The messages of the [emerg] lines nginx wrote, without their time and pid.
std::vector<std::string> emergencies(const std::string& output) {
    static const std::regex kEmerg(R"(\[emerg\] (?:\d+#\d+: )?(.*))");
    std::vector<std::string> messages;
    std::smatch match;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);)
        if (std::regex_search(line, match, kEmerg)) messages.push_back(match[1]);
    return messages;
}

// The one [emerg] line `nginx -t` is expected to fail with: `message` about the line of the
// configuration that holds `written`.
std::vector<std::string> refusal(const Nginx& nginx, const std::string& written,
                                 const std::string& message) {
    return {message + " in " + nginx.path("nginx.conf") + ":" +
            std::to_string(line_of(nginx, written))};
}

// nginx -t on the configuration `options` make fails with one [emerg] line: `message` about the
// line that holds `written` (in both, {dir} is the harness's directory).
void check_refused(NginxOptions options, const std::string& written, const std::string& message) {
    Nginx nginx(options);
    const std::string dir = nginx.dir();
    auto expand = [&](std::string text) {
        for (size_t at = text.find("{dir}"); at != std::string::npos; at = text.find("{dir}"))
            text.replace(at, 5, dir);
        return text;
    };
    CommandResult result = nginx.test_config();
    INFO(result.output);
    CHECK(result.exit_code == 1);
    CHECK(emergencies(result.output) == refusal(nginx, expand(written), expand(message)));
}

NginxOptions in_location(const std::string& directives) {
    NginxOptions options;
    options.location_extra = directives;
    return options;
}

NginxOptions in_http(const std::string& directives) {
    NginxOptions options;
    options.http_extra = directives;
    return options;
}

// A location of its own, /files/, with these directives beside "iiif 3".
NginxOptions own_location(const std::string& directives) {
    NginxOptions options;
    options.iiif_locations = false;
    options.server_extra = "location /files/ { iiif 3; " + directives + " }";
    return options;
}

}  // namespace

TEST_CASE("config: iiif_source_dir is an absolute path to an existing directory", "[config]") {
    check_refused(own_location("iiif_source_dir {dir}/nope;"), "iiif_source_dir",
                  R"(iiif_source_dir "{dir}/nope": no such directory)");
    check_refused(own_location("iiif_source_dir images;"), "iiif_source_dir",
                  R"(iiif_source_dir "images": must be an absolute path)");
    check_refused(own_location("iiif_source_dir {dir}/www/static/x.txt;"), "iiif_source_dir",
                  R"(iiif_source_dir "{dir}/www/static/x.txt": not a directory)");
    check_refused(own_location("iiif_source_dir {dir}/www/static/x.txt/images;"), "iiif_source_dir",
                  R"(iiif_source_dir "{dir}/www/static/x.txt/images": no such directory)");
}

TEST_CASE("config: iiif_catalog is an absolute path in an existing directory", "[config]") {
    check_refused(
        in_location("iiif_catalog {dir}/nope/catalog.mdb;"), "iiif_catalog",
        R"(iiif_catalog "{dir}/nope/catalog.mdb": its directory "{dir}/nope" does not exist)");
    check_refused(in_location("iiif_catalog catalog.mdb;"), "iiif_catalog",
                  R"(iiif_catalog "catalog.mdb": must be an absolute path)");
    check_refused(in_location("iiif_catalog {dir}/images;"), "iiif_catalog",
                  R"(iiif_catalog "{dir}/images": is a directory, not a file)");
    check_refused(in_location("iiif_catalog {dir}/www/static/x.txt/catalog.mdb;"), "iiif_catalog",
                  R"(iiif_catalog "{dir}/www/static/x.txt/catalog.mdb": )"
                  R"("{dir}/www/static/x.txt" is not a directory)");
    NginxOptions resolver;
    resolver.server_extra = "location /ark: { iiif_ark_resolver; iiif_catalog /nope/c.mdb; }";
    check_refused(resolver, "iiif_catalog",
                  R"(iiif_catalog "/nope/c.mdb": its directory "/nope" does not exist)");
}

TEST_CASE("config: iiif_catalog may name a file iiifd has not made yet", "[config]") {
    Nginx nginx(in_location("iiif_catalog {dir}/catalog.mdb;"));
    REQUIRE_FALSE(std::filesystem::exists(nginx.path("catalog.mdb")));
    CommandResult result = nginx.test_config();
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(emergencies(result.output).empty());
}

TEST_CASE("config: iiif_cache_path is an absolute path in an existing directory", "[config]") {
    NginxOptions options;
    options.cache = false;
    options.location_extra = "iiif_cache_path {dir}/nope/tiles;";
    check_refused(
        options, "iiif_cache_path",
        R"(iiif_cache_path "{dir}/nope/tiles": its directory "{dir}/nope" does not exist)");
    options.location_extra = "iiif_cache_path cache;";
    check_refused(options, "iiif_cache_path",
                  R"(iiif_cache_path "cache": must be an absolute path)");
    options.location_extra = "iiif_cache_path {dir}/www/static/x.txt;";
    check_refused(options, "iiif_cache_path",
                  R"(iiif_cache_path "{dir}/www/static/x.txt": not a directory)");
}

TEST_CASE("config: iiif_cache_path's last directory is made by the workers", "[config]") {
    NginxOptions options;
    options.cache = false;
    options.location_extra = "iiif_cache_path {dir}/cache/tiles;";
    Nginx nginx(options);
    REQUIRE_FALSE(std::filesystem::exists(nginx.path("cache/tiles")));
    nginx.start();
    CHECK(std::filesystem::is_directory(nginx.path("cache/tiles")));
    CHECK(std::filesystem::exists(nginx.path("cache/tiles/data.mdb")));
}

TEST_CASE("config: iiif_access_key_file names an absolute path to a key of 32 characters or more",
          "[config]") {
    check_refused(in_location("iiif_access_key_file access.key;"), "iiif_access_key_file",
                  R"(iiif_access_key_file "access.key": must be an absolute path)");
    check_refused(
        in_location("iiif_access_key_file {dir}/no-such.key;"), "iiif_access_key_file",
        R"(iiif_access_key_file "{dir}/no-such.key": cannot read: No such file or directory)");

    Nginx with_short(in_location("iiif_access_key_file {dir}/short.key;"));
    with_short.write_file("short.key", "0123456789");
    CommandResult result = with_short.test_config();
    INFO(result.output);
    CHECK(result.exit_code == 1);
    CHECK(emergencies(result.output) ==
          refusal(with_short, "iiif_access_key_file",
                  "iiif_access_key_file \"" + with_short.path("short.key") +
                      "\": a key of at least 32 characters is needed"));

    Nginx with_good(in_location("iiif_access_key_file {dir}/good.key;"));
    with_good.write_file("good.key", std::string(64, 'a') + "\n");
    result = with_good.test_config();
    INFO(result.output);
    CHECK(result.exit_code == 0);
}

TEST_CASE("config: iiif_base_url is an absolute http or https URL with a host", "[config]") {
    const std::vector<std::pair<std::string, std::string>> refused = {
        {"not-a-url", "must be an absolute http or https URL"},
        {"ftp://x", "must be an absolute http or https URL"},
        {"/iiif/3", "must be an absolute http or https URL"},
        {"http://", "has no host"},
        {"http:///path", "has no host"},
        {"https://x.org:99999/iiif/3", "has a bad port"},
        {"https://user:secret@x.org/iiif/3", "must not hold a user name or password"},
        {"https://x.org/iiif/3?a=1", "must not have a query"},
        {"https://x.org/iiif/3#top", "must not have a fragment"},
        {"https://x.org/iiif 3", "must not hold white space or control characters"},
    };
    for (const auto& [url, reason] : refused) {
        INFO(url);
        check_refused(in_location("iiif_base_url \"" + url + "\";"), "iiif_base_url",
                      "iiif_base_url \"" + url + "\": " + reason);
    }
    Nginx good(in_location("iiif_base_url https://images.example.org:8443/iiif/3;"));
    CommandResult result = good.test_config();
    INFO(result.output);
    CHECK(result.exit_code == 0);
}

TEST_CASE("config: iiif_prefix is a path as a client sends it", "[config]") {
    check_refused(in_location("iiif_prefix iiif/3;"), "iiif_prefix",
                  R"(iiif_prefix "iiif/3": must start with "/")");
    check_refused(in_location("iiif_prefix /iiif/3?x;"), "iiif_prefix",
                  R"(iiif_prefix "/iiif/3?x": must be a path, without "?" or "#")");
    check_refused(in_location(R"(iiif_prefix "/iiif/ 3";)"), "iiif_prefix",
                  R"(iiif_prefix "/iiif/ 3": must not hold white space or control characters)");
}

TEST_CASE("config: iiif_cache_control is one header value, without a line break", "[config]") {
    check_refused(in_location(R"(iiif_cache_control "public\r\nSet-Cookie: a=b";)"),
                  "iiif_cache_control", "iiif_cache_control: must not hold control characters");
}

TEST_CASE("config: a number out of its bounds names the directive, the value and the bounds",
          "[config]") {
    check_refused(in_location("iiif_max_width 3000000000;"), "iiif_max_width",
                  R"(iiif_max_width "3000000000": must be between 0 and 2147483647)");
    check_refused(in_location("iiif_max_height 2147483648;"), "iiif_max_height",
                  R"(iiif_max_height "2147483648": must be between 0 and 2147483647)");
    check_refused(in_location("iiif_jpeg_quality 101;"), "iiif_jpeg_quality",
                  R"(iiif_jpeg_quality "101": must be between 1 and 100)");
    check_refused(in_location("iiif_tile_size 32;"), "iiif_tile_size",
                  R"(iiif_tile_size "32": must be between 64 and 4096)");
    check_refused(in_location("iiif_cache_max_size 8m;"), "iiif_cache_max_size",
                  R"(iiif_cache_max_size "8m": must be between 16m and 32768g)");
    check_refused(in_location("iiif_cache_max_size 40000g;"), "iiif_cache_max_size",
                  R"(iiif_cache_max_size "40000g": must be between 16m and 32768g)");
    check_refused(in_http("iiif_render_slots 0;"), "iiif_render_slots",
                  R"(iiif_render_slots "0": must be between 1 and 1024)");
    check_refused(in_http("iiif_render_queue 100001;"), "iiif_render_queue",
                  R"(iiif_render_queue "100001": must be between 0 and 100000)");
}

TEST_CASE("config: a negative or non-numeric number is refused by nginx, naming the directive",
          "[config]") {
    check_refused(in_location("iiif_max_width -1;"), "iiif_max_width",
                  R"("iiif_max_width" directive invalid number)");
    check_refused(in_location("iiif_max_area lots;"), "iiif_max_area",
                  R"("iiif_max_area" directive invalid number)");
    check_refused(in_location("iiif_cache_max_size -1g;"), "iiif_cache_max_size",
                  R"("iiif_cache_max_size" directive invalid value)");
    check_refused(in_http("iiif_render_budget -1m;"), "iiif_render_budget",
                  R"("iiif_render_budget" directive invalid value)");
    check_refused(in_http("iiif_render_queue_timeout -1s;"), "iiif_render_queue_timeout",
                  R"("iiif_render_queue_timeout" directive invalid value)");
    check_refused(in_http("iiif_send_arena_size 1x;"), "iiif_send_arena_size",
                  R"("iiif_send_arena_size" directive invalid value)");
}

TEST_CASE("config: every directive set right, or emptied to undo an inherited one, passes",
          "[config]") {
    NginxOptions options;
    options.http_extra =
        "iiif_decoded_cache_size 64m; iiif_send_arena_size 32m; iiif_render_budget 32m; "
        "iiif_render_slots 2; iiif_render_queue 8; iiif_render_queue_timeout 5s; "
        "iiif_access_key_file {dir}/good.key; iiif_base_url http://[::1]:8080/iiif;";
    options.location_extra =
        "iiif_catalog {dir}/catalog.mdb; iiif_base_url \"\"; iiif_cache_max_size 16m; "
        "iiif_cache_control \"public, max-age=60\"; iiif_max_width 0; iiif_max_height 2147483647; "
        "iiif_max_area 100000000; iiif_jpeg_quality 90; iiif_tile_size 256; iiif_cors off; "
        "iiif_withdrawn_status 404;";
    options.server_extra =
        "location ~ ^/images/ { iiif 2; iiif_prefix /images; iiif_source_dir {dir}/images; "
        "iiif_cache_path \"\"; iiif_access_key_file \"\"; } "
        "location /ark: { iiif_ark_resolver; iiif_catalog {dir}/catalog.mdb; }";
    Nginx nginx(options);
    nginx.write_file("good.key", std::string(64, 'a') + "\n");
    CommandResult result = nginx.test_config();
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(emergencies(result.output).empty());
}
