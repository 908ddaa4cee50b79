// iiifd.toml: what is read, the defaults, and one rule per TEST_CASE with the exact message
// that names the key at fault.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "api_harness.hpp"
#include "daemon_config.hpp"
#include "test_images.hpp"

using namespace iiifd;
namespace fs = std::filesystem;

namespace {

const std::string kValid = R"([storage]
root = "/var/lib/iiif"

[redis]
port = 6380

[ark]
naan = "67375"
default_shoulder = "39D"

[ark.shoulders.39D]
name = "Digitised collections"
service = "http://127.0.0.1:8080/"

[ark.shoulders.X2B]
name = "Photographs"

[public]
base_url = "http://127.0.0.1:8080/"
institution = "Example Library"

[http]
api_keys = ["0123456789abcdef"]

[ingest]
workers = 3
)";

// Writes `text` as .../iiifd.toml and loads it.
DaemonConfig load(const std::string& text) {
    std::string path = (test_images::scratch_dir() / "config" / "iiifd.toml").string();
    daemon_harness::write_file(path, text);
    return load_daemon_config(path);
}

// kValid with `from` replaced by `to` (which must be there).
std::string with(const std::string& from, const std::string& to) {
    std::string text = kValid;
    size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

std::string error_of(const std::string& text) {
    try {
        load(text);
    } catch (const std::runtime_error& error) {
        return error.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("config: a valid file is read with its defaults filled in", "[config]") {
    DaemonConfig config = load(kValid);
    CHECK(config.storage_root == "/var/lib/iiif");
    CHECK(config.catalog_path == "/var/lib/iiif/catalog.mdb");
    CHECK(config.staging_dir == "/var/lib/iiif/staging");
    CHECK(config.redis_host == "127.0.0.1");
    CHECK(config.redis_port == 6380);
    CHECK(config.ingest_stream == "iiif:ingest");
    CHECK(config.events_stream == "iiif:events");
    CHECK(config.consumer_group == "iiifd");
    CHECK_FALSE(config.consumer_name.empty());
    CHECK(config.naan == "67375");
    CHECK(config.check_profile == iiif::CheckProfile::inist);
    CHECK(config.default_shoulder == "39D");
    REQUIRE(config.shoulders.size() == 2);
    CHECK(config.shoulders[0].shoulder == "39D");
    CHECK(config.shoulders[0].service == "http://127.0.0.1:8080/");
    CHECK(config.shoulders[1].shoulder == "X2B");
    CHECK(config.public_base_url == "http://127.0.0.1:8080");
    CHECK(config.institution == "Example Library");
    CHECK(config.listen_host == "127.0.0.1");
    CHECK(config.listen_port == 8081);
    CHECK(config.api_keys == std::vector<std::string>{"0123456789abcdef"});
    CHECK(config.workers == 3);
    CHECK(config.master_format == "tiff");
    CHECK(config.hot_folder.empty());
}

TEST_CASE("config: the example conf/iiifd.toml is valid", "[config]") {
    // The build gives the compiler this file's absolute path.
    fs::path repository = fs::path(__FILE__).parent_path().parent_path().parent_path();
    DaemonConfig config = load_daemon_config((repository / "conf" / "iiifd.toml").string());
    CHECK(config.naan == "67375");
    CHECK(config.default_shoulder == "39D");
    CHECK(config.hot_folder == "/var/lib/iiif/hot");
}

TEST_CASE("config: the NAAN must be letters or digits", "[config]") {
    CHECK(error_of(with(R"(naan = "67375")", R"(naan = "67-75")")) ==
          "iiifd.toml: [ark] naan: must be 5 digits or betanumeric");
    CHECK(error_of(with(R"(naan = "67375")", R"(naan = "")")) ==
          "iiifd.toml: [ark] naan: must be 5 digits or betanumeric");
    CHECK(error_of(with(R"(naan = "67375")", "")) ==
          "iiifd.toml: [ark] naan: must be 5 digits or betanumeric");
}

TEST_CASE("config: a shoulder is 3 letters or digits", "[config]") {
    CHECK(error_of(with("[ark.shoulders.X2B]", "[ark.shoulders.X2BB]")) ==
          "iiifd.toml: [ark.shoulders.X2BB]: a shoulder must be 3 letters or digits");
}

TEST_CASE("config: the default shoulder is one of the registered shoulders", "[config]") {
    CHECK(error_of(with(R"(default_shoulder = "39D")", R"(default_shoulder = "ZZZ")")) ==
          "iiifd.toml: [ark] default_shoulder: \"ZZZ\" is not among [ark.shoulders]");
    CHECK(error_of(with(R"(default_shoulder = "39D")", "")) ==
          "iiifd.toml: [ark] default_shoulder: required when several shoulders are registered");
}

TEST_CASE("config: the listen port is between 1 and 65535", "[config]") {
    CHECK(error_of(with("[http]\n", "[http]\nport = 70000\n")) ==
          "iiifd.toml: [http] port: must be between 1 and 65535");
    CHECK(error_of(with("[http]\n", "[http]\nport = \"80\"\n")) ==
          "iiifd.toml: [http] port: must be an integer");
}

TEST_CASE("config: workers are between 1 and 64", "[config]") {
    CHECK(error_of(with("workers = 3", "workers = 0")) ==
          "iiifd.toml: [ingest] workers: must be between 1 and 64");
    CHECK(error_of(with("workers = 3", "workers = 65")) ==
          "iiifd.toml: [ingest] workers: must be between 1 and 64");
}

TEST_CASE("config: the master format is tiff or jp2", "[config]") {
    CHECK(load(with("workers = 3", "master_format = \"jp2\"")).master_format == "jp2");
    CHECK(error_of(with("workers = 3", "master_format = \"png\"")) ==
          "iiifd.toml: [ingest] master_format: must be \"tiff\" or \"jp2\"");
}

TEST_CASE("config: at least one API key and each of 16 characters or more", "[config]") {
    CHECK(error_of(with(R"(api_keys = ["0123456789abcdef"])", "api_keys = []")) ==
          "iiifd.toml: [http] api_keys: at least one key is required");
    CHECK(error_of(with(R"(api_keys = ["0123456789abcdef"])",
                        R"(api_keys = ["0123456789abcdef", "short"])")) ==
          "iiifd.toml: [http] api_keys: key 2 is shorter than 16 characters");
}

TEST_CASE("config: paths are absolute", "[config]") {
    CHECK(error_of(with(R"(root = "/var/lib/iiif")", R"(root = "var/lib/iiif")")) ==
          "iiifd.toml: [storage] root: must be an absolute path");
    CHECK(error_of(with(R"(root = "/var/lib/iiif")", "")) ==
          "iiifd.toml: [storage] root: required");
    CHECK(error_of(with("workers = 3", R"(hot_folder = "hot")")) ==
          "iiifd.toml: [ingest] hot_folder: must be an absolute path");
    CHECK(error_of(with(R"(root = "/var/lib/iiif")",
                        "root = \"/var/lib/iiif\"\ncatalog = \"catalog.mdb\"")) ==
          "iiifd.toml: [storage] catalog: must be an absolute path");
}

TEST_CASE("config: unknown keys and sections are errors", "[config]") {
    CHECK(error_of(with("workers = 3", "wokers = 3")) ==
          "iiifd.toml: [ingest] wokers: unknown key");
    CHECK(error_of(kValid + "[cache]\nsize = 1\n") == "iiifd.toml: [cache]: unknown section");
}

TEST_CASE("config: a TOML syntax error names its line", "[config]") {
    CHECK_THAT(error_of(with("workers = 3", "workers = ")),
               Catch::StartsWith("iiifd.toml:26:11: "));
}

TEST_CASE("config: iiifd --check-config prints ok or the error with exit status 0 or 1",
          "[config]") {
    std::string path = (test_images::scratch_dir() / "check" / "iiifd.toml").string();
    daemon_harness::write_file(path, kValid);
    daemon_harness::CommandResult ok =
        daemon_harness::run({IIIFD_PATH, "--check-config", "-c", path});
    CHECK(ok.exit_code == 0);
    CHECK(ok.output == "ok\n");

    daemon_harness::write_file(path, with("workers = 3", "workers = 100"));
    daemon_harness::CommandResult bad =
        daemon_harness::run({IIIFD_PATH, "--check-config", "-c", path});
    CHECK(bad.exit_code == 1);
    CHECK(bad.output == "iiifd.toml: [ingest] workers: must be between 1 and 64\n");
}
