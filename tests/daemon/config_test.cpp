// iiifd.toml: what is read, the defaults, and one rule per TEST_CASE with the exact message
// that names the key at fault.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "access_config.hpp"
#include "api_harness.hpp"
#include "config_section.hpp"
#include "daemon_config.hpp"
#include "signing.hpp"
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

// Every problem load_daemon_config reports.
std::vector<std::string> problems_of(const std::string& text) {
    try {
        load(text);
    } catch (const InvalidConfig& invalid) {
        return invalid.problems;
    }
    return {};
}

}  // namespace

TEST_CASE("config: a valid file is read with its defaults filled in", "[config]") {
    DaemonConfig config = load(kValid);
    CHECK(config.storage_root == "/var/lib/iiif");
    CHECK(config.catalog_path == "/var/lib/iiif/catalog.mdb");
    CHECK(config.staging_dir == "/var/lib/iiif/staging");
    CHECK(config.redis.host == "127.0.0.1");
    CHECK(config.redis.port == 6380);
    CHECK(config.redis.sentinels.empty());
    CHECK(config.redis_wait_replicas == 0);
    CHECK(config.redis_wait_timeout_ms == 1000);
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
    DaemonConfig config =
        load_daemon_config((fs::path(IIIF_SOURCE_DIR) / "conf" / "iiifd.toml").string());
    CHECK(config.naan == "99999");
    CHECK(config.default_shoulder == "39D");
    CHECK(config.storage_root == "/var/lib/iiifd");
    CHECK(config.hot_folder == "/var/lib/iiifd/hot");
    CHECK(config.tile_cache_dir == "/var/cache/iiifd/tiles");
    CHECK(config.api_keys.empty());
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

TEST_CASE("config: workers are between 0 and 64, and 0 only for a node of several", "[config]") {
    CHECK(error_of(with("workers = 3", "workers = 0")) ==
          "iiifd.toml: [ingest] workers: 0 only with [replication] (another node takes the jobs)");
    CHECK(error_of(with("workers = 3", "workers = 65")) ==
          "iiifd.toml: [ingest] workers: must be between 0 and 64");
    CHECK(error_of(with("workers = 3", "workers = -1")) ==
          "iiifd.toml: [ingest] workers: must be between 0 and 64");
    for (const char* role : {"writer", "replica"}) {
        const DaemonConfig config =
            load(with("workers = 3", "workers = 0") + "[replication]\nrole = \"" + role + "\"\n");
        CHECK(config.workers == 0);
    }
}

TEST_CASE("config: the master format is tiff or jp2", "[config]") {
    CHECK(load(with("workers = 3", "master_format = \"jp2\"")).master_format == "jp2");
    CHECK(error_of(with("workers = 3", "master_format = \"png\"")) ==
          "iiifd.toml: [ingest] master_format: must be \"tiff\" or \"jp2\"");
}

TEST_CASE("config: API keys are optional, each of 16 characters or more", "[config]") {
    // The directory holds the keys; iiifd.toml's are a bootstrap (`iiifd account` makes the first
    // administrator of a platform whose file names none).
    CHECK(load(with(R"(api_keys = ["0123456789abcdef"])", "api_keys = []")).api_keys.empty());
    CHECK(load(with(R"(api_keys = ["0123456789abcdef"])", "")).api_keys.empty());
    CHECK(error_of(with(R"(api_keys = ["0123456789abcdef"])",
                        R"(api_keys = ["0123456789abcdef", "short"])")) ==
          "iiifd.toml: [http] api_keys: key 2 is shorter than 16 characters");
}

TEST_CASE("config: deposit groups default to depositors and are group names", "[config]") {
    CHECK(load(kValid).deposit_groups == std::vector<std::string>{"depositors"});
    const std::string keys = R"(api_keys = ["0123456789abcdef"])";
    CHECK(load(with(keys, keys + "\ndeposit_groups = [\"staff\", \"ed:maps\"]")).deposit_groups ==
          std::vector<std::string>{"staff", "ed:maps"});
    CHECK(load(with(keys, keys + "\ndeposit_groups = []")).deposit_groups.empty());
    CHECK(error_of(with(keys, keys + "\ndeposit_groups = [\"staff\", \"two words\"]")) ==
          "iiifd.toml: [http] deposit_groups[1]: not a group: \"two words\" (letters, digits and "
          "-_.:@)");
    CHECK(error_of(with(keys, keys + "\ndeposit_groups = \"staff\"")) ==
          "iiifd.toml: [http] deposit_groups: must be an array of strings");
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
    CHECK(error_of(kValid + "[cdn]\nsize = 1\n") == "iiifd.toml: [cdn]: unknown section");
}

TEST_CASE("config: [harvest] turns the schedule on by default, looked at every 60 s", "[config]") {
    const DaemonConfig defaults = load(kValid);
    CHECK(defaults.harvest.scheduler);
    CHECK(defaults.harvest.check_seconds == 60);
    const DaemonConfig set = load(kValid + "[harvest]\nscheduler = false\ncheck_seconds = 5\n");
    CHECK_FALSE(set.harvest.scheduler);
    CHECK(set.harvest.check_seconds == 5);
    CHECK(error_of(kValid + "[harvest]\nscheduler = \"yes\"\n") ==
          "iiifd.toml: [harvest] scheduler: must be true or false");
    CHECK(error_of(kValid + "[harvest]\ncheck_seconds = 0\n") ==
          "iiifd.toml: [harvest] check_seconds: must be between 1 and 86400");
    CHECK(error_of(kValid + "[harvest]\nevery = 3\n") ==
          "iiifd.toml: [harvest] every: unknown key");
}

TEST_CASE("config: a TOML syntax error names its line", "[config]") {
    CHECK_THAT(error_of(with("workers = 3", "workers = ")),
               Catch::StartsWith("iiifd.toml:26:11: "));
}

TEST_CASE("config: [redis] sentinels, master_name and the WAIT settings are read", "[config]") {
    DaemonConfig config = load(with("[redis]\n", R"([redis]
sentinels = ["127.0.0.1:26379", "[::1]:26380", "sentinel.example.org:26381"]
master_name = "iiif"
wait_replicas = 2
wait_timeout_ms = 250
)"));
    REQUIRE(config.redis.sentinels.size() == 3);
    CHECK(config.redis.sentinels[0].host == "127.0.0.1");
    CHECK(config.redis.sentinels[0].port == 26379);
    CHECK(config.redis.sentinels[1].host == "::1");
    CHECK(config.redis.sentinels[1].port == 26380);
    CHECK(config.redis.sentinels[1].text() == "[::1]:26380");
    CHECK(config.redis.sentinels[2].host == "sentinel.example.org");
    CHECK(config.redis.sentinels[2].port == 26381);
    CHECK(config.redis.master_name == "iiif");
    CHECK(config.redis.through_sentinels());
    CHECK(config.redis_wait_replicas == 2);
    CHECK(config.redis_wait_timeout_ms == 250);
}

TEST_CASE("config: each [redis] sentinels entry is host:port, an IPv6 host in brackets",
          "[config]") {
    const std::string kSentinels = "[redis]\nmaster_name = \"iiif\"\nsentinels = ";
    auto problem = [](const std::string& entry) {
        return "iiifd.toml: [redis] sentinels: \"" + entry +
               "\": must be host:port, with a port from 1 to 65535 (\"[::1]:26379\" for IPv6)";
    };
    CHECK(problems_of(with("[redis]\n", kSentinels +
                                            R"(["localhost", "::1:26379", "127.0.0.1:0",
    "127.0.0.1:65536", "[::1]26379", ":26379", "[]:26379", "127.0.0.1:", "127.0.0.1:26379"]
)")) == std::vector<std::string>{problem("localhost"), problem("::1:26379"), problem("127.0.0.1:0"),
                                 problem("127.0.0.1:65536"), problem("[::1]26379"),
                                 problem(":26379"), problem("[]:26379"), problem("127.0.0.1:")});
    CHECK(error_of(with("[redis]\n", kSentinels + "\"127.0.0.1:26379\"\n")) ==
          "iiifd.toml: [redis] sentinels: must be an array of strings");
    CHECK(error_of(with("[redis]\n", kSentinels + "[]\n")) ==
          "iiifd.toml: [redis] sentinels: must name at least one sentinel");
}

TEST_CASE("config: [redis] master_name is required with sentinels, and only with them",
          "[config]") {
    CHECK(error_of(with("[redis]\n", "[redis]\nsentinels = [\"127.0.0.1:26379\"]\n")) ==
          "iiifd.toml: [redis] master_name: required with sentinels");
    CHECK(error_of(with("[redis]\n",
                        "[redis]\nsentinels = [\"127.0.0.1:26379\"]\nmaster_name = \"\"\n")) ==
          "iiifd.toml: [redis] master_name: required with sentinels");
    CHECK(error_of(with("[redis]\n", "[redis]\nmaster_name = \"iiif\"\n")) ==
          "iiifd.toml: [redis] master_name: only with sentinels, which ask for the master by it");
}

TEST_CASE("config: [redis] wait_replicas is 0 to 16, wait_timeout_ms 1 to 60000", "[config]") {
    CHECK(error_of(with("[redis]\n", "[redis]\nwait_replicas = 17\n")) ==
          "iiifd.toml: [redis] wait_replicas: must be between 0 and 16");
    CHECK(error_of(with("[redis]\n", "[redis]\nwait_replicas = -1\n")) ==
          "iiifd.toml: [redis] wait_replicas: must be between 0 and 16");
    CHECK(error_of(with("[redis]\n", "[redis]\nwait_timeout_ms = 0\n")) ==
          "iiifd.toml: [redis] wait_timeout_ms: must be between 1 and 60000");
    CHECK(error_of(with("[redis]\n", "[redis]\nwait_timeout_ms = 60001\n")) ==
          "iiifd.toml: [redis] wait_timeout_ms: must be between 1 and 60000");
}

TEST_CASE("config: iiifd --check-config lists every bad sentinel and a missing master_name",
          "[config]") {
    std::string path = (test_images::scratch_dir() / "check-sentinels" / "iiifd.toml").string();
    const std::string sentinels = R"(sentinels = ["127.0.0.1", "127.0.0.1:26379", "[::1]:x"])";
    daemon_harness::write_file(path, with("[redis]\n", "[redis]\n" + sentinels + "\n"));
    daemon_harness::CommandResult bad =
        daemon_harness::run({IIIFD_PATH, "--check-config", "-c", path});
    CHECK(bad.exit_code == 1);
    CHECK(bad.output ==
          "iiifd.toml: [redis] sentinels: \"127.0.0.1\": must be host:port, with a port from 1 "
          "to 65535 (\"[::1]:26379\" for IPv6)\n"
          "iiifd.toml: [redis] sentinels: \"[::1]:x\": must be host:port, with a port from 1 to "
          "65535 (\"[::1]:26379\" for IPv6)\n"
          "iiifd.toml: [redis] master_name: required with sentinels\n");
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
    CHECK(bad.output == "iiifd.toml: [ingest] workers: must be between 0 and 64\n");
}

TEST_CASE("config: every problem of the file is reported at once, in the file's order",
          "[config]") {
    std::string text = with(R"(root = "/var/lib/iiif")", "") + "[cdn]\nsize = 1\n";
    text.replace(text.find("workers = 3"), 11, "workers = 100");
    const std::vector<std::string> expected = {
        "iiifd.toml: [cdn]: unknown section",
        "iiifd.toml: [storage] root: required",
        "iiifd.toml: [ingest] workers: must be between 0 and 64",
    };
    CHECK(problems_of(text) == expected);
    CHECK(error_of(text) == expected[0] + "\n" + expected[1] + "\n" + expected[2]);

    std::string path = (test_images::scratch_dir() / "check-all" / "iiifd.toml").string();
    daemon_harness::write_file(path, text);
    const daemon_harness::CommandResult check =
        daemon_harness::run({IIIFD_PATH, "--check-config", "-c", path});
    CHECK(check.exit_code == 1);
    CHECK(check.output == expected[0] + "\n" + expected[1] + "\n" + expected[2] + "\n");
    // Serving refuses to start with the same lines.
    const daemon_harness::CommandResult serve = daemon_harness::run({IIIFD_PATH, "-c", path});
    CHECK(serve.exit_code == 1);
    CHECK(serve.output == check.output);
}

TEST_CASE("config: a problem is reported once, not again by what depends on it", "[config]") {
    // A key of the wrong type is not also missing.
    CHECK(problems_of(with(R"(root = "/var/lib/iiif")", "root = 5")) ==
          std::vector<std::string>{"iiifd.toml: [storage] root: must be a string"});
    // Defaults made of a relative root (catalog, staging, keys) are the root's problem.
    CHECK(problems_of(with(R"(root = "/var/lib/iiif")", R"(root = "var/lib/iiif")")) ==
          std::vector<std::string>{"iiifd.toml: [storage] root: must be an absolute path"});
    // No shoulder: the default shoulder, which names one, is not reported too.
    std::string no_shoulders = kValid;
    const size_t shoulders = no_shoulders.find("[ark.shoulders.39D]");
    no_shoulders.erase(shoulders, no_shoulders.find("[public]") - shoulders);
    CHECK(problems_of(no_shoulders) ==
          std::vector<std::string>{
              "iiifd.toml: [ark] shoulders: at least one shoulder must be registered"});
    // A policy whose kind is wrong is still a policy that the default and sets may name.
    CHECK(problems_of(kValid + "[access]\ndefault_policy = \"campus\"\n[policies.campus]\n"
                               "kind = \"campus\"\nnetworks = [\"10.0.0.0/8\"]\n"
                               "[sets.\"maps\"]\nname = \"Maps\"\npolicy = \"campus\"\n") ==
          std::vector<std::string>{"iiifd.toml: [policies.campus] kind: \"campus\" is not public, "
                                   "network, token or restricted"});
    // A watermark's own problems, not the renderer's rewording of them.
    CHECK(problems_of(kValid + "[watermarks.bnf]\ncolor = \"white\"\n") ==
          std::vector<std::string>{
              "iiifd.toml: [watermarks.bnf]: give an image or a text (one of them)",
              "iiifd.toml: [watermarks.bnf] color: must be #rrggbb"});
    // A section that is no table is one problem, not one per required key.
    CHECK(problems_of("http = 8081\n" + with("[http]\napi_keys = [\"0123456789abcdef\"]\n", "")) ==
          std::vector<std::string>{"iiifd.toml: [http]: must be a table"});
}

namespace {

// A hash `iiifd hash-password` made (of "change me").
const std::string kHash =
    "$argon2id$v=19$m=65536,t=2,p=1$xwhELpkFT/6zQF6DL5bK4Q$y0fZVg5rRjBLQPKYT1RwxCV4rI6ccovUFlsZUVt/"
    "ZAw";

std::vector<std::string> network_texts(const std::vector<iiif::Network>& networks) {
    std::vector<std::string> texts;
    for (const iiif::Network& network : networks) texts.push_back(network.text);
    return texts;
}

// kValid with one policy "campus" of `body` (TOML lines).
std::string with_policy(const std::string& body) {
    return kValid + "[policies.campus]\n" + body;
}

}  // namespace

TEST_CASE("config: access defaults to public, with a key file in the storage root", "[config]") {
    DaemonConfig config = load(kValid);
    CHECK(config.access.default_policy == "public");
    CHECK(config.access.key_file == "/var/lib/iiif/access.key");
    CHECK(config.access.cookie_name == "iiif_access");
    CHECK(config.access.session_lifetime == 28800);
    CHECK(config.access.token_lifetime == 3600);
    CHECK(config.access.remote_user_header.empty());
    CHECK(network_texts(config.access.trusted_proxies) ==
          std::vector<std::string>{"127.0.0.1", "::1"});
    CHECK(config.access.users.empty());
    CHECK(config.access.policies.empty());
    CHECK(config.access.watermarks.empty());

    iiif::AccessSettings settings = access_settings(config);
    CHECK(settings.policies.empty());
    CHECK(settings.watermarks.empty());
    CHECK(settings.api_key_digests ==
          std::vector<std::string>{iiif::sha256_hex("0123456789abcdef")});
    CHECK(settings.cookie_name == "iiif_access");
    CHECK(settings.auth_base_url == "http://127.0.0.1:8080/auth");
    iiif::AccessRules rules;
    rules.home_institution = "main";  // [public] institution_id's default
    CHECK(access_rules(config) == rules);
}

TEST_CASE("config: policies, watermarks, users and sets' access are read", "[config]") {
    DaemonConfig config = load(kValid + R"([access]
default_policy = "campus"
key_file = "/etc/iiif/access.key"
cookie_name = "images_session"
session_lifetime = 600
token_lifetime = 300
remote_user_header = "Remote-User"
trusted_proxies = ["10.0.0.0/8"]
[access.users.alice]
password_hash = ")" + kHash + R"("
groups = ["readers", "staff"]
[access.users.bob]
[policies.campus]
kind = "network"
networks = ["192.0.2.0/24", "2001:db8::/32"]
degraded_size = 800
watermark = "institution"
watermark_unauthorised_only = true
label = "Campus only"
heading = "Reduced"
note = "Come to the library."
[policies.readers]
kind = "token"
groups = ["readers"]
networks = ["198.51.100.7"]
watermark = "bnf"
[policies.staff]
kind = "restricted"
[watermarks.bnf]
institution = "Bibliothèque nationale de France"
text = "© BnF"
color = "#ff0000"
position = "top-left"
opacity = 1
scale = 0.5
margin = 4
min_size = 100
[sets."collection:maps"]
name = "Maps"
policy = "readers"
watermark = "bnf"
[sets."collection:prints"]
name = "Prints"
policy = "public"
)");
    const AccessConfig& access = config.access;
    CHECK(access.key_file == "/etc/iiif/access.key");
    CHECK(access.cookie_name == "images_session");
    CHECK(access.session_lifetime == 600);
    CHECK(access.token_lifetime == 300);
    CHECK(access.remote_user_header == "Remote-User");
    CHECK(network_texts(access.trusted_proxies) == std::vector<std::string>{"10.0.0.0/8"});
    REQUIRE(access.users.size() == 2);
    CHECK(access.users[0].name == "alice");
    CHECK(access.users[0].password_hash == kHash);
    CHECK(access.users[0].groups == std::vector<std::string>{"readers", "staff"});
    CHECK(access.users[1].name == "bob");  // behind the proxy, for no groups: no password
    CHECK(access.users[1].password_hash.empty());

    iiif::AccessSettings settings = access_settings(config);
    REQUIRE(settings.policies.size() == 3);
    const iiif::AccessPolicy& campus = settings.policies[0];
    CHECK(campus.name == "campus");
    CHECK(campus.kind == iiif::PolicyKind::network);
    CHECK(network_texts(campus.networks) ==
          std::vector<std::string>{"192.0.2.0/24", "2001:db8::/32"});
    CHECK(campus.groups.empty());
    CHECK(campus.degraded_size == 800);
    CHECK(campus.watermark_unauthorised_only);
    CHECK(campus.label == "Campus only");
    CHECK(campus.heading == "Reduced");
    CHECK(campus.note == "Come to the library.");
    const iiif::AccessPolicy& readers = settings.policies[1];
    CHECK(readers.name == "readers");
    CHECK(readers.kind == iiif::PolicyKind::token);
    CHECK(readers.groups == std::vector<std::string>{"readers"});
    CHECK(network_texts(readers.networks) == std::vector<std::string>{"198.51.100.7"});
    CHECK(readers.degraded_size == 0);
    CHECK_FALSE(readers.watermark_unauthorised_only);
    CHECK(readers.label.empty());
    CHECK(settings.policies[2].name == "staff");
    CHECK(settings.policies[2].kind == iiif::PolicyKind::restricted);

    iiif::WatermarkSpec bnf;
    bnf.name = "bnf";
    bnf.institution = "Bibliothèque nationale de France";
    bnf.text = "© BnF";
    bnf.color = "#ff0000";
    bnf.position = "top-left";
    bnf.opacity = 1.0;
    bnf.scale = 0.5;
    bnf.margin = 4;
    bnf.min_size = 100;
    CHECK(settings.watermarks == std::vector<iiif::WatermarkSpec>{bnf});
    CHECK(settings.cookie_name == "images_session");

    iiif::AccessRules rules;
    rules.default_policy = "campus";
    rules.set_policies = {{"collection:maps", "readers"}, {"collection:prints", "public"}};
    rules.set_watermarks = {{"collection:maps", "bnf"}};
    rules.policy_watermarks = {{"campus", "institution"}, {"readers", "bnf"}};
    rules.home_institution = "main";
    CHECK(access_rules(config) == rules);
}

TEST_CASE("config: a watermark's defaults are the renderer's", "[config]") {
    DaemonConfig config = load(kValid + "[watermarks.mark]\ntext = \"Example\"\n");
    iiif::WatermarkSpec mark;
    mark.name = "mark";
    mark.text = "Example";
    CHECK(config.access.watermarks == std::vector<iiif::WatermarkSpec>{mark});
}

TEST_CASE("config: a policy's kind is public, network, token or restricted", "[config]") {
    CHECK(error_of(with_policy("kind = \"campus\"\n")) ==
          "iiifd.toml: [policies.campus] kind: \"campus\" is not public, network, token or "
          "restricted");
    CHECK(error_of(with_policy("degraded_size = 10\n")) ==
          "iiifd.toml: [policies.campus] kind: required (public, network, token or restricted)");
}

TEST_CASE("config: a policy's networks are addresses or prefixes with no bits beyond", "[config]") {
    CHECK(error_of(
              with_policy("kind = \"network\"\nnetworks = [\"192.0.2.0/24\", \"10.1.2.3/8\"]\n")) ==
          "iiifd.toml: [policies.campus] networks[1]: not a network: \"10.1.2.3/8\" (an address, "
          "or address/prefix length with no bits set beyond the prefix)");
    CHECK(error_of(with_policy("kind = \"network\"\nnetworks = [\"campus.example.org\"]\n")) ==
          "iiifd.toml: [policies.campus] networks[0]: not a network: \"campus.example.org\" (an "
          "address, or address/prefix length with no bits set beyond the prefix)");
    CHECK(error_of(with_policy("kind = \"network\"\nnetworks = [\"2001:db8::/129\"]\n")) ==
          "iiifd.toml: [policies.campus] networks[0]: not a network: \"2001:db8::/129\" (an "
          "address, or address/prefix length with no bits set beyond the prefix)");
}

TEST_CASE(
    "config: a network policy names its networks, and only network and token policies "
    "have networks",
    "[config]") {
    CHECK(error_of(with_policy("kind = \"network\"\n")) ==
          "iiifd.toml: [policies.campus] networks: required for a network policy");
    CHECK(error_of(with_policy("kind = \"restricted\"\nnetworks = [\"192.0.2.0/24\"]\n")) ==
          "iiifd.toml: [policies.campus] networks: only network and token policies let networks "
          "in");
}

TEST_CASE("config: only token policies have groups", "[config]") {
    CHECK(error_of(with_policy(
              "kind = \"network\"\nnetworks = [\"192.0.2.0/24\"]\ngroups = [\"readers\"]\n")) ==
          "iiifd.toml: [policies.campus] groups: only token policies let groups in");
    CHECK(error_of(with_policy("kind = \"token\"\ngroups = [\"two words\"]\n")) ==
          "iiifd.toml: [policies.campus] groups[0]: not a group: \"two words\" (letters, digits "
          "and -_.:@)");
}

TEST_CASE("config: a policy named public stays public", "[config]") {
    CHECK(error_of(kValid + "[policies.public]\nkind = \"token\"\n") ==
          "iiifd.toml: [policies.public] kind: the policy \"public\" lets everyone in: its kind "
          "must be \"public\"");
    DaemonConfig config =
        load(kValid + "[policies.public]\nkind = \"public\"\nlabel = \"Open to all\"\n");
    REQUIRE(config.access.policies.size() == 1);
    CHECK(config.access.policies[0].kind == iiif::PolicyKind::open);
    CHECK(config.access.policies[0].label == "Open to all");
    CHECK(error_of(kValid + "[policies.public]\nkind = \"public\"\ndegraded_size = 800\n") ==
          "iiifd.toml: [policies.public] degraded_size: a public policy shows everyone the full "
          "image");
}

TEST_CASE("config: policy and watermark names are letters, digits, - and _", "[config]") {
    CHECK(error_of(kValid + "[policies.\"read ers\"]\nkind = \"token\"\n") ==
          "iiifd.toml: [policies.read ers]: a name is letters, digits, '-' and '_'");
    CHECK(error_of(kValid + "[watermarks.\"a.b\"]\ntext = \"x\"\n") ==
          "iiifd.toml: [watermarks.a.b]: a name is letters, digits, '-' and '_'");
    CHECK(error_of(kValid + "[watermarks.institution]\ntext = \"x\"\n") ==
          "iiifd.toml: [watermarks.institution]: \"institution\" stands for the holding "
          "institution's watermark; choose another name");
}

TEST_CASE("config: the default policy is public or a defined one", "[config]") {
    CHECK(error_of(kValid + "[access]\ndefault_policy = \"campus\"\n") ==
          "iiifd.toml: [access] default_policy: \"campus\" is not among [policies] (nor "
          "\"public\")");
    CHECK(load(kValid + "[access]\ndefault_policy = \"campus\"\n[policies.campus]\nkind = "
                        "\"token\"\n")
              .access.default_policy == "campus");
}

TEST_CASE("config: sets and policies name defined policies and watermarks", "[config]") {
    CHECK(error_of(kValid + "[sets.\"collection:maps\"]\nname = \"Maps\"\npolicy = \"campus\"\n") ==
          "iiifd.toml: [sets.collection:maps] policy: \"campus\" is not among [policies] (nor "
          "\"public\")");
    CHECK(error_of(kValid + "[sets.\"collection:maps\"]\nname = \"Maps\"\nwatermark = \"bnf\"\n") ==
          "iiifd.toml: [sets.collection:maps] watermark: \"bnf\" is not among [watermarks] (nor "
          "\"institution\")");
    CHECK(error_of(with_policy("kind = \"token\"\nwatermark = \"bnf\"\n")) ==
          "iiifd.toml: [policies.campus] watermark: \"bnf\" is not among [watermarks] (nor "
          "\"institution\")");
    DaemonConfig config =
        load(kValid + "[sets.\"collection:maps\"]\nname = \"Maps\"\nwatermark = \"institution\"\n");
    CHECK(access_rules(config).set_watermarks ==
          std::vector<std::pair<std::string, std::string>>{{"collection:maps", "institution"}});
}

TEST_CASE("config: a set spec is at most 200 characters", "[config]") {
    const std::string spec = "collection:" + std::string(190, 'm');
    CHECK(error_of(kValid + "[sets.\"" + spec + "\"]\nname = \"Maps\"\n") ==
          "iiifd.toml: [sets." + spec + "]: longer than 200 characters");
    CHECK(load(kValid + "[sets.\"" + spec.substr(0, 200) + "\"]\nname = \"Maps\"\n").sets.size() ==
          1);
}

TEST_CASE("config: a watermark has a text or an image, not both", "[config]") {
    CHECK(error_of(kValid + "[watermarks.bnf]\ncolor = \"#000000\"\n") ==
          "iiifd.toml: [watermarks.bnf]: give an image or a text (one of them)");
    CHECK(error_of(kValid + "[watermarks.bnf]\ntext = \"BnF\"\nimage = \"/srv/mark.png\"\n") ==
          "iiifd.toml: [watermarks.bnf]: give an image or a text (one of them)");
    CHECK(error_of(kValid + "[watermarks.bnf]\nimage = \"mark.png\"\n") ==
          "iiifd.toml: [watermarks.bnf] image: must be an absolute path");
    CHECK(error_of(kValid + "[watermarks.bnf]\nimage = \"/nonexistent/mark.png\"\n") ==
          "iiifd.toml: [watermarks.bnf]: image /nonexistent/mark.png does not exist");
}

TEST_CASE("config: a watermark's position, opacity, scale and colour are checked", "[config]") {
    const std::string mark = kValid + "[watermarks.bnf]\ntext = \"BnF\"\n";
    CHECK(error_of(mark + "position = \"middle\"\n") ==
          "iiifd.toml: [watermarks.bnf] position: must be top-left, top, top-right, left, "
          "center, right, bottom-left, bottom or bottom-right");
    CHECK(error_of(mark + "opacity = 0\n") ==
          "iiifd.toml: [watermarks.bnf] opacity: must be above 0 and at most 1");
    CHECK(error_of(mark + "opacity = 1.5\n") ==
          "iiifd.toml: [watermarks.bnf] opacity: must be above 0 and at most 1");
    CHECK(error_of(mark + "opacity = \"half\"\n") ==
          "iiifd.toml: [watermarks.bnf] opacity: must be a number");
    CHECK(error_of(mark + "scale = 2\n") ==
          "iiifd.toml: [watermarks.bnf] scale: must be above 0 and at most 1");
    CHECK(error_of(mark + "color = \"white\"\n") ==
          "iiifd.toml: [watermarks.bnf] color: must be #rrggbb");
    CHECK(error_of(mark + "margin = -1\n") ==
          "iiifd.toml: [watermarks.bnf] margin: must be between 0 and 10000");
}

TEST_CASE("config: users have an argon2 password hash", "[config]") {
    CHECK(error_of(kValid + "[access.users.alice]\npassword_hash = \"secret\"\n") ==
          "iiifd.toml: [access.users.alice] password_hash: not an argon2 hash (make one with "
          "`iiifd hash-password`)");
    CHECK(
        error_of(kValid + "[access.users.alice]\npassword_hash = \"$argon2id$v=19$nonsense\"\n") ==
        "iiifd.toml: [access.users.alice] password_hash: not an argon2 hash (make one with "
        "`iiifd hash-password`)");
    CHECK(error_of(kValid + "[access.users.alice]\ngroups = [\"readers\"]\n") ==
          "iiifd.toml: [access.users.alice] password_hash: required (make one with `iiifd "
          "hash-password`)");
    CHECK(error_of(kValid + "[access.users.alice]\npassword_hash = \"" + kHash +
                   "\"\ngroups = [\"\"]\n") ==
          "iiifd.toml: [access.users.alice] groups[0]: not a group: \"\" (letters, digits and "
          "-_.:@)");
}

TEST_CASE("config: the access cookie, header, lifetimes and trusted proxies are checked",
          "[config]") {
    CHECK(error_of(kValid + "[access]\ncookie_name = \"a b\"\n") ==
          "iiifd.toml: [access] cookie_name: must be a cookie name (letters, digits and "
          "!#$%&'*+-.^_`|~)");
    CHECK(error_of(kValid + "[access]\nremote_user_header = \"Remote User\"\n") ==
          "iiifd.toml: [access] remote_user_header: must be a header name (letters, digits and "
          "!#$%&'*+-.^_`|~)");
    CHECK(error_of(kValid + "[access]\nsession_lifetime = 10\n") ==
          "iiifd.toml: [access] session_lifetime: must be between 60 and 31622400");
    CHECK(error_of(kValid + "[access]\ntoken_lifetime = 0\n") ==
          "iiifd.toml: [access] token_lifetime: must be between 60 and 31622400");
    CHECK(error_of(kValid + "[access]\ntrusted_proxies = [\"127.0.0.1\", \"localhost\"]\n") ==
          "iiifd.toml: [access] trusted_proxies[1]: not a network: \"localhost\" (an address, or "
          "address/prefix length with no bits set beyond the prefix)");
    CHECK(load(kValid + "[access]\ntrusted_proxies = []\n").access.trusted_proxies.empty());
    CHECK(error_of(kValid + "[access]\nkey_file = \"access.key\"\n") ==
          "iiifd.toml: [access] key_file: must be an absolute path");
}

TEST_CASE(
    "config: token_origins are origins or \"*\", by default the base URL's and an absolute "
    "landing page's",
    "[config]") {
    CHECK(load(kValid).access.token_origins == std::vector<std::string>{"http://127.0.0.1:8080"});
    CHECK(load(with("institution = ",
                    "landing_page = \"https://www.example.org/show?m={manifest}\"\n"
                    "institution = "))
              .access.token_origins ==
          std::vector<std::string>{"http://127.0.0.1:8080", "https://www.example.org"});
    // Written as browsers send them: lower case, without the scheme's default port.
    CHECK(load(kValid + "[access]\ntoken_origins = [\"https://Viewer.Example.org:443\", "
                        "\"http://[::1]:8080\", \"*\"]\n")
              .access.token_origins ==
          std::vector<std::string>{"https://viewer.example.org", "http://[::1]:8080", "*"});
    CHECK(load(kValid + "[access]\ntoken_origins = []\n").access.token_origins.empty());
    CHECK(error_of(kValid + "[access]\ntoken_origins = [\"https://viewer.example.org/\"]\n") ==
          "iiifd.toml: [access] token_origins[0]: not an origin: \"https://viewer.example.org/\" "
          "(scheme://host[:port], or \"*\" for any)");
    CHECK(error_of(kValid + "[access]\ntoken_origins = [\"*\", \"viewer.example.org\"]\n") ==
          "iiifd.toml: [access] token_origins[1]: not an origin: \"viewer.example.org\" "
          "(scheme://host[:port], or \"*\" for any)");
}

TEST_CASE("config: iiifd hash-password prints an argon2id hash of stdin's first line", "[config]") {
    std::string input = (test_images::scratch_dir() / "hash" / "password").string();
    daemon_harness::write_file(input, "correct horse battery staple\nnext line\n");
    daemon_harness::CommandResult result = daemon_harness::run(
        {"/bin/sh", "-c", std::string(IIIFD_PATH) + " hash-password < '" + input + "'"});
    CHECK(result.exit_code == 0);
    REQUIRE(result.output.ends_with("\n"));
    const std::string hash = result.output.substr(0, result.output.size() - 1);
    CHECK(hash.starts_with("$argon2id$v=19$m=65536,t=2,p=1$"));
    CHECK(is_password_hash(hash));
    CHECK(password_matches(hash, "correct horse battery staple"));
    CHECK_FALSE(password_matches(hash, "correct horse battery stapler"));
}

TEST_CASE("config: iiifd's API listens on loopback unless told otherwise", "[config]") {
    for (const char* host : {"127.0.0.1", "127.3.2.1", "::1", "localhost"}) {
        INFO(host);
        const DaemonConfig config =
            load(with("[http]\n", std::string("[http]\nhost = \"") + host + "\"\n"));
        CHECK(config.listen_host == host);
        CHECK_FALSE(config.listen_beyond_loopback);
    }
    for (const char* host : {"0.0.0.0", "::", "192.0.2.10", "images.example.org"}) {
        INFO(host);
        CHECK(error_of(with("[http]\n", std::string("[http]\nhost = \"") + host + "\"\n")) ==
              std::string("iiifd.toml: [http] host: \"") + host +
                  "\" is no loopback address: iiifd's API (its /auth/, its health and metrics) "
                  "is meant to be reached through nginx on this machine; set "
                  "listen_beyond_loopback = true to listen there all the same");
    }
    const DaemonConfig asked =
        load(with("[http]\n", "[http]\nhost = \"0.0.0.0\"\nlisten_beyond_loopback = true\n"));
    CHECK(asked.listen_host == "0.0.0.0");
    CHECK(asked.listen_beyond_loopback);
}

TEST_CASE("config: [replication] has a role, a stream, the snapshots' place and bounds",
          "[config]") {
    const DaemonConfig none = load(kValid);
    CHECK(none.replication.role == ReplicationRole::none);
    CHECK(none.replication.stream == "iiif:catalog");
    CHECK(none.replication.snapshot_dir == "/var/lib/iiif/replication");
    CHECK(none.replication.snapshot_every == 10000);
    CHECK(none.replication.max_lag_seconds == 10);

    const DaemonConfig replica = load(std::string(kValid) +
                                      "[replication]\nrole = \"replica\"\nstream = \"cat\"\n"
                                      "snapshot_dir = \"/srv/shared/snapshots/\"\n"
                                      "snapshot_every = 50\nmax_lag_seconds = 3\n");
    CHECK(replica.replication.role == ReplicationRole::replica);
    CHECK(replica.replication.stream == "cat");
    CHECK(replica.replication.snapshot_dir == "/srv/shared/snapshots");
    CHECK(replica.replication.snapshot_every == 50);
    CHECK(replica.replication.max_lag_seconds == 3);
    CHECK(load(std::string(kValid) + "[replication]\nrole = \"writer\"\n").replication.role ==
          ReplicationRole::writer);

    CHECK(problems_of(std::string(kValid) + "[replication]\nlag = 1\n") ==
          std::vector<std::string>{"iiifd.toml: [replication] lag: unknown key"});
    CHECK(problems_of(std::string(kValid) +
                      "[replication]\nrole = \"primary\"\nsnapshot_dir = \"relative\"\n"
                      "snapshot_every = 0\nmax_lag_seconds = 0\n") ==
          std::vector<std::string>{
              "iiifd.toml: [replication] role: must be \"none\", \"writer\" or \"replica\"",
              "iiifd.toml: [replication] snapshot_dir: must be an absolute path",
              "iiifd.toml: [replication] snapshot_every: must be between 1 and 100000000",
              "iiifd.toml: [replication] max_lag_seconds: must be between 1 and 86400"});
}
