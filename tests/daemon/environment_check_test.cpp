// iiifd --check-environment, run for real: each failure of the machine on its own line, naming
// the setting, the path or address and why; "ok" when the machine is ready; nothing made.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "api_harness.hpp"
#include "test_images.hpp"

using namespace daemon_harness;
namespace fs = std::filesystem;

namespace {

// An iiifd.toml in a directory of its own (`name`, emptied first): the storage root, the hot
// folder and the access key in it, Redis on `redis_port` (and the lines of [redis] in
// `more_redis`).
struct Setup {
    explicit Setup(const std::string& name, int redis_port, const std::string& more_redis = "")
        : dir((test_images::scratch_dir() / name).string()) {
        fs::remove_all(dir);
        write_file(config(),
                   "[storage]\nroot = \"" + root() + "\"\n" +
                       "[redis]\nport = " + std::to_string(redis_port) + "\n" + more_redis +
                       "[ark]\nnaan = \"99999\"\ncheck_profile = \"noid\"\n"
                       "[ark.shoulders.fk4]\nname = \"tests\"\n"
                       "[public]\nbase_url = \"http://127.0.0.1:8080\"\n"
                       "[http]\nport = " + std::to_string(free_port()) + "\n" +
                       "api_keys = [\"test-key-0123456789abcdef\"]\n"
                       "[ingest]\nhot_folder = \"" + dir + "/hot\"\n" +
                       "[access]\nkey_file = \"" + key() + "\"\n");
    }

    std::string dir;
    std::string config() const { return dir + "/iiifd.toml"; }
    std::string root() const { return dir + "/root"; }
    std::string key() const { return dir + "/keys/access.key"; }

    void write_key(fs::perms mode) const {
        write_file(key(), "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
        fs::permissions(key(), mode);
    }

    CommandResult check(const std::string& flags) const {
        std::vector<std::string> command = {IIIFD_PATH};
        if (flags == "both") command.push_back("--check-config");
        command.insert(command.end(), {"--check-environment", "-c", config()});
        return run(command);
    }
};

constexpr fs::perms kOwnerOnly = fs::perms::owner_read | fs::perms::owner_write;

}  // namespace

TEST_CASE("environment: every failure is listed, one a line, and the exit status is 1",
          "[environment]") {
    const int nothing_listens = free_port();
    const Setup setup("env-failing", nothing_listens);
    setup.write_key(kOwnerOnly | fs::perms::group_read | fs::perms::others_read);
    const CommandResult result = setup.check("both");
    CHECK(result.exit_code == 1);
    const std::string expected =
        "[storage] root \"" + setup.root() + "\": does not exist (No such file or directory)\n" +
        "[access] key_file \"" + setup.key() + "\": readable by other users (mode 0644)\n" +
        "[redis] 127.0.0.1:" + std::to_string(nothing_listens) +
        ": no answer to PING (Connection refused)\n";
    CHECK(result.output == expected);
}

TEST_CASE("environment: Redis through sentinels none of which answers is one line naming each",
          "[environment]") {
    const std::string first = "127.0.0.1:" + std::to_string(free_port());
    const std::string second = "127.0.0.1:" + std::to_string(free_port());
    const Setup setup(
        "env-sentinels", free_port(),
        "sentinels = [\"" + first + "\", \"" + second + "\"]\nmaster_name = \"iiif\"\n");
    fs::create_directories(setup.root());
    setup.write_key(kOwnerOnly);
    const CommandResult result = setup.check("both");
    CHECK(result.exit_code == 1);
    CHECK(result.output == "[redis] master \"iiif\" of sentinels " + first + ", " + second +
                               ": no answer to PING (no sentinel gave its address (" + first +
                               ": Connection refused; " + second + ": Connection refused))\n");
}

TEST_CASE("environment: a ready machine prints ok, and nothing is made or changed",
          "[environment]") {
    const RedisServer redis;
    const Setup setup("env-ready", redis.port());
    fs::create_directories(setup.root());
    setup.write_key(kOwnerOnly);
    const CommandResult result = setup.check("alone");
    CHECK(result.output == "ok\n");
    CHECK(result.exit_code == 0);
    // Not the catalog, staging, the OAI token key (all in the root) nor the hot folder.
    CHECK(fs::is_empty(setup.root()));
    CHECK_FALSE(fs::exists(setup.dir + "/hot"));
    CHECK((fs::status(setup.key()).permissions() & fs::perms::all) == kOwnerOnly);
}

TEST_CASE("environment: one cause is one line, whatever settings lead to it", "[environment]") {
    const RedisServer redis;
    const Setup setup("env-one-cause", redis.port());
    // A file where the root should be: staging, the catalog and the OAI key, under it, are
    // not reported again; the access key is missing in a directory iiifd does not make.
    write_file(setup.root(), "not a directory\n");
    const CommandResult result = setup.check("alone");
    CHECK(result.exit_code == 1);
    CHECK(result.output == "[storage] root \"" + setup.root() + "\": not a directory\n" +
                               "[access] key_file \"" + setup.key() + "\": cannot be made in \"" +
                               setup.dir + "/keys\": does not exist (No such file or directory)\n");
}

TEST_CASE("environment: a missing key file is fine where iiifd can make it", "[environment]") {
    const RedisServer redis;
    const Setup setup("env-key-made", redis.port());
    fs::create_directories(setup.root());
    fs::create_directories(setup.dir + "/keys");
    const CommandResult result = setup.check("alone");
    CHECK(result.output == "ok\n");
    CHECK(result.exit_code == 0);
    CHECK_FALSE(fs::exists(setup.key()));
}
