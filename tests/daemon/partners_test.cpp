// Harvest partners (partners.hpp): [partners."id"] in iiifd.toml with its defaults and one rule
// per check with the exact message, then /api/v1/partners on the real iiifd for each caller.
#include <catch2/catch.hpp>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "api_harness.hpp"
#include "daemon_config.hpp"
#include "signing.hpp"
#include "test_images.hpp"

using namespace iiifd;
namespace fs = std::filesystem;

namespace {

const std::string kBase = R"([storage]
root = "/var/lib/iiif"

[ark]
naan = "67375"
default_shoulder = "39D"

[ark.shoulders.39D]
name = "Digitised collections"

[ark.shoulders.P7K]
name = "Partners"

[public]
base_url = "http://127.0.0.1:8080/"
institution = "Example Library"

[http]
api_keys = ["0123456789abcdef"]
)";

DaemonConfig load(const std::string& partners) {
    const std::string path = (test_images::scratch_dir() / "partners" / "iiifd.toml").string();
    daemon_harness::write_file(path, kBase + partners);
    return load_daemon_config(path);
}

std::string error_of(const std::string& partners) {
    try {
        load(partners);
    } catch (const std::exception& error) {
        return error.what();
    }
    return "";
}

const std::string kMinimal = R"(
[partners."bm-lyon"]
name = "Bibliothèque municipale de Lyon"
base_url = "https://numelyo.example.org/oai"
)";

}  // namespace

TEST_CASE("partners: a partner of iiifd.toml is read with its defaults", "[partners]") {
    DaemonConfig config = load(kMinimal);
    REQUIRE(config.partners.size() == 1);
    const Partner& partner = config.partners[0];
    CHECK(partner.id == "bm-lyon");
    CHECK(partner.name == "Bibliothèque municipale de Lyon");
    CHECK(partner.institution == "Bibliothèque municipale de Lyon");
    CHECK(partner.homepage.empty());
    CHECK(partner.base_url == "https://numelyo.example.org/oai");
    CHECK(partner.sets.empty());
    CHECK(partner.extra_prefix.empty());
    CHECK(partner.license == "https://creativecommons.org/licenses/by-nc-nd/4.0/");
    CHECK(partner.shoulder == "39D");
    CHECK(partner.schedule_hours == 24);
    CHECK(partner.images == PartnerImages::fetch);
    CHECK(partner.delay_ms == 1000);
    CHECK(partner.rules.empty());
    CHECK_FALSE(partner.from_api);
}

TEST_CASE("partners: every key of a partner is read, its rules by element", "[partners]") {
    DaemonConfig config = load(R"(
[partners."archives-73"]
name = "Archives de Savoie"
institution = "Archives départementales de la Savoie"
homepage = "https://archives.example.org/"
base_url = "http://oai.example.org/request"
sets = ["fonds:cadastre", "iconographie"]
extra_prefix = "edm"
license = "https://creativecommons.org/licenses/by/4.0/"
shoulder = "P7K"
schedule_hours = 0
images = "metadata"
delay_ms = 250

[partners."archives-73".rules.type]
"Texte imprimé" = "Text"
"Plan cadastral" = "StillImage"

[partners."archives-73".rules.language]
"patois savoyard" = ""
)");
    REQUIRE(config.partners.size() == 1);
    const Partner& partner = config.partners[0];
    CHECK(partner.institution == "Archives départementales de la Savoie");
    CHECK(partner.homepage == "https://archives.example.org/");
    CHECK(partner.sets == std::vector<std::string>{"fonds:cadastre", "iconographie"});
    CHECK(partner.extra_prefix == "edm");
    CHECK(partner.license == "https://creativecommons.org/licenses/by/4.0/");
    CHECK(partner.shoulder == "P7K");
    CHECK(partner.schedule_hours == 0);
    CHECK(partner.images == PartnerImages::metadata);
    CHECK(partner.delay_ms == 250);
    // In the order of the file's tables and keys as TOML sorts them (a rule's order is no
    // matter: one source value each).
    CHECK(partner.rules == std::vector<PartnerRule>{{"language", "patois savoyard", ""},
                                                    {"type", "Plan cadastral", "StillImage"},
                                                    {"type", "Texte imprimé", "Text"}});
}

TEST_CASE("partners: each rule of a partner's definition, with the message naming the key",
          "[partners]") {
    const std::string prefix = "iiifd.toml: [partners.";
    CHECK(error_of("[partners.\"BM Lyon\"]\nname = \"x\"\nbase_url = \"http://a.org/oai\"\n") ==
          prefix + "BM Lyon]: not a partner id (1 to 64 of a-z, 0-9 and -)");
    CHECK(error_of("[partners.\"a\"]\nbase_url = \"http://a.org/oai\"\n") ==
          prefix + "a] name: required");
    CHECK(error_of("[partners.\"a\"]\nname = \"A\"\n") == prefix + "a] base_url: required");
    CHECK(error_of("[partners.\"a\"]\nname = \"A\"\nbase_url = \"ftp://a.org/oai\"\n") ==
          prefix + "a] base_url: not an http or https URL");
    CHECK(error_of("[partners.\"a\"]\nname = \"A\"\nbase_url = \"http://a.org/o ai\"\n") ==
          prefix + "a] base_url: not an http or https URL");
    const std::string a = "[partners.\"a\"]\nname = \"A\"\nbase_url = \"http://a.org/oai\"\n";
    CHECK(error_of(a + "homepage = \"a.org\"\n") ==
          prefix + "a] homepage: not an http or https URL");
    CHECK(error_of(a + "sets = [\"a b\"]\n") ==
          prefix + "a] sets[0]: not a set spec of at most 200 characters");
    CHECK(error_of(a + "extra_prefix = \"oai_dc\"\n") ==
          prefix + "a] extra_prefix: a metadataPrefix other than oai_dc (always harvested)");
    CHECK(error_of(a + "license = \"https://example.org/licence\"\n") ==
          prefix + "a] license: not a Creative Commons or RightsStatements.org URI");
    CHECK(error_of(a + "shoulder = \"ZZZ\"\n") ==
          prefix + "a] shoulder: \"ZZZ\" is no [ark.shoulders] entry");
    CHECK(error_of(a + "schedule_hours = -1\n") ==
          prefix + "a] schedule_hours: must be between 0 and 8784");
    CHECK(error_of(a + "images = \"all\"\n") == prefix + "a] images: \"fetch\" or \"metadata\"");
    CHECK(error_of(a + "[partners.\"a\".rules.kind]\n\"x\" = \"y\"\n") ==
          prefix + "a] rules[0]: \"kind\" is no Dublin Core element");
    CHECK(error_of(a + "[partners.\"a\".rules.type]\n\"x\" = 3\n") ==
          prefix + "a.rules.type] x: must be a string");
    CHECK(error_of(a + "mirror = true\n") == prefix + "a] mirror: unknown key");
}

namespace {

using namespace daemon_harness;

std::int64_t in_an_hour() {
    return static_cast<std::int64_t>(std::time(nullptr)) + 3600;
}

// iiifd with one partner in its iiifd.toml and an access key file of the test's, so that
// depositors' sessions can be signed here.
struct PartnerDaemon {
    RedisServer redis;
    std::string key_file = (test_images::scratch_dir() / "partners-daemon.key").string();
    Daemon iiifd;
    PartnerDaemon() : iiifd(redis, options(key_file)) {
        std::remove(key_file.c_str());
        iiifd.start();
        iiifd.add_account(R"({"name": "alice", "role": "editor"})");
    }
    static DaemonOptions options(const std::string& key_file) {
        DaemonOptions options;
        options.hot_folder = false;
        options.extra_config = "[access]\nkey_file = \"" + key_file +
                               "\"\n[partners.\"bm-lyon\"]\nname = \"BM Lyon\"\n"
                               "base_url = \"https://numelyo.example.org/oai\"\n";
        return options;
    }
    std::string depositor() const {
        iiif::AccessCredential session;
        session.kind = iiif::AccessCredential::Kind::session;
        session.subject = "alice";
        session.groups = {"depositors"};
        session.expires = in_an_hour();
        return "Cookie: iiif_access=" +
               iiif::sign_credential(session, iiif::load_secret_key(key_file, false));
    }
    std::string url(const std::string& path) const { return iiifd.url(path); }
};

const std::string kSiteOrigin = "Origin: http://127.0.0.1:8080";
const std::string kArchives =
    R"({"name": "Archives de Savoie", "base_url": "http://oai.example.org/request",
        "sets": ["iconographie"], "images": "metadata", "delay_ms": 500,
        "rules": [{"element": "type", "from": "Texte imprimé", "to": "Text"}]})";

}  // namespace

TEST_CASE("partners api: an API key lists, defines, redefines and removes partners", "[partners]") {
    PartnerDaemon daemon;
    const std::vector<std::string> key = daemon.iiifd.auth();

    daemon_harness::HttpResponse listed = http("GET", daemon.url("/api/v1/partners"), key);
    REQUIRE(listed.status == 200);
    std::vector<std::string> partners = json_array(listed.body, "partners");
    REQUIRE(partners.size() == 1);
    CHECK(json_text(partners[0], "id") == "bm-lyon");
    CHECK(json_text(partners[0], "defined_in") == "iiifd.toml");
    CHECK(json_text(partners[0], "license") ==
          "https://creativecommons.org/licenses/by-nc-nd/4.0/");
    CHECK(partners[0].find("\"last_harvest\":null") != std::string::npos);

    daemon_harness::HttpResponse defined =
        http("PUT", daemon.url("/api/v1/partners/archives-73"), key, kArchives);
    REQUIRE(defined.status == 201);
    CHECK(json_text(defined.body, "institution") == "Archives de Savoie");
    CHECK(json_text(defined.body, "images") == "metadata");
    CHECK(json_integer(defined.body, "delay_ms") == 500);
    CHECK(json_text(defined.body, "defined_in") == "api");
    CHECK(json_text(defined.body, "shoulder") == "fk4");

    daemon_harness::HttpResponse redefined =
        http("PUT", daemon.url("/api/v1/partners/archives-73"), key,
             R"({"name": "AD Savoie", "base_url": "https://oai.example.org/request"})");
    REQUIRE(redefined.status == 200);
    CHECK(json_text(redefined.body, "name") == "AD Savoie");
    CHECK(json_text(http("GET", daemon.url("/api/v1/partners/archives-73"), key).body,
                    "base_url") == "https://oai.example.org/request");
    CHECK(json_array(http("GET", daemon.url("/api/v1/partners"), key).body, "partners").size() ==
          2);

    // Kept across a restart, in the storage root.
    CHECK(daemon.iiifd.stop() == 0);
    daemon.iiifd.start();
    CHECK(json_text(http("GET", daemon.url("/api/v1/partners/archives-73"), key).body, "name") ==
          "AD Savoie");
    CHECK(fs::exists(daemon.iiifd.storage_root() + "/partners.json"));

    CHECK(http("DELETE", daemon.url("/api/v1/partners/archives-73"), key).status == 204);
    CHECK(http("GET", daemon.url("/api/v1/partners/archives-73"), key).status == 404);
    CHECK(http("DELETE", daemon.url("/api/v1/partners/archives-73"), key).status == 404);
}

TEST_CASE("partners api: a bad definition is 400 with its field, iiifd.toml's partners are 409",
          "[partners]") {
    PartnerDaemon daemon;
    const std::vector<std::string> key = daemon.iiifd.auth();
    auto put = [&](const std::string& id, const std::string& body) {
        return http("PUT", daemon.url("/api/v1/partners/" + id), key, body);
    };
    daemon_harness::HttpResponse bad_url = put("x", R"({"name": "X", "base_url": "oai.org"})");
    CHECK(bad_url.status == 400);
    CHECK(json_text(bad_url.body, "error") == "partner: base_url: not an http or https URL");
    CHECK(json_text(put("x", R"({"name": "X"})").body, "error") == "partner: base_url: required");
    CHECK(json_text(put("x", R"({"name": "X", "base_url": "http://a.org/", "colour": 1})").body,
                    "error") == "partner: colour: unknown key");
    CHECK(json_text(put("x", "[]").body, "error") == "partner: document: expected a JSON object");
    CHECK(json_text(put("X_1", R"({"name": "X", "base_url": "http://a.org/"})").body, "error") ==
          "partner: id: 1 to 64 of a-z, 0-9 and -");
    CHECK(
        json_text(put("x", R"({"name": "X", "base_url": "http://a.org/", "shoulder": "Q9Q"})").body,
                  "error") == "partner: shoulder: \"Q9Q\" is no registered shoulder");
    CHECK(json_text(put("x", R"({"name": "X", "base_url": "http://a.org/", "owner": "north"})")
                        .body,
                    "error") == "partner: owner: no such institution: \"north\"");
    CHECK(json_text(put("x", R"({"name": "X", "base_url": "http://a.org/", "owner": "No rth"})")
                        .body,
                    "error") == "partner: owner: not an institution id (a-z, 0-9 and -, at most 32)");
    daemon_harness::HttpResponse config_one =
        put("bm-lyon", R"({"name": "X", "base_url": "http://a.org/"})");
    CHECK(config_one.status == 409);
    CHECK(json_text(config_one.body, "error") == "partner bm-lyon is defined in iiifd.toml");
    CHECK(http("DELETE", daemon.url("/api/v1/partners/bm-lyon"), key).status == 409);
    CHECK(json_array(http("GET", daemon.url("/api/v1/partners"), key).body, "partners").size() ==
          1);
    CHECK_FALSE(fs::exists(daemon.iiifd.storage_root() + "/partners.json"));
}

TEST_CASE(
    "partners api: a depositor's session reads partners and may not change them, no "
    "credential is 401",
    "[partners]") {
    PartnerDaemon daemon;
    const std::string alice = daemon.depositor();

    CHECK(http("GET", daemon.url("/api/v1/partners"), {alice}).status == 200);
    CHECK(http("GET", daemon.url("/api/v1/partners/bm-lyon"), {alice}).status == 200);
    daemon_harness::HttpResponse runs =
        http("GET", daemon.url("/api/v1/partners/bm-lyon/harvests"), {alice});
    CHECK(runs.status == 200);
    CHECK(json_array(runs.body, "harvests").empty());
    daemon_harness::HttpResponse report =
        http("GET", daemon.url("/api/v1/partners/bm-lyon/report"), {alice});
    CHECK(report.status == 404);
    CHECK(json_text(report.body, "error") == "no harvest of bm-lyon yet");
    daemon_harness::HttpResponse put =
        http("PUT", daemon.url("/api/v1/partners/archives-73"), {alice, kSiteOrigin}, kArchives);
    CHECK(put.status == 403);
    CHECK(json_text(put.body, "error") == "change partners: administrators only");
    CHECK(http("DELETE", daemon.url("/api/v1/partners/bm-lyon"), {alice, kSiteOrigin}).status ==
          403);

    for (const std::string method : {"GET", "PUT", "DELETE"}) {
        INFO(method);
        daemon_harness::HttpResponse anonymous =
            http(method, daemon.url("/api/v1/partners/bm-lyon"), {}, kArchives);
        CHECK(anonymous.status == 401);
    }
    CHECK(json_array(http("GET", daemon.url("/api/v1/partners"), daemon.iiifd.auth()).body,
                     "partners")
              .size() == 1);
}

TEST_CASE("partners api: a partner's owner and shoulder are the directory's, its objects the "
          "owner's",
          "[partners]") {
    PartnerDaemon daemon;
    const std::vector<std::string> key = daemon.iiifd.auth();
    REQUIRE(http("PUT", daemon.url("/api/v1/institutions/north"), key, R"({"name": "North"})")
                .status == 201);
    daemon_harness::HttpResponse shoulder = http(
        "POST", daemon.url("/api/v1/shoulders"), key,
        R"({"name": "North harvests", "institution": "north"})");
    REQUIRE(shoulder.status == 201);
    const std::string code = json_text(shoulder.body, "code");
    daemon_harness::HttpResponse made =
        http("PUT", daemon.url("/api/v1/partners/north-oai"), key,
             R"({"name": "North OAI", "base_url": "http://127.0.0.1:9/oai", "owner": "north",
                 "schedule_hours": 0,
                 "shoulder": ")" + code + R"("})");
    CHECK(made.status == 201);
    CHECK(json_text(made.body, "owner") == "north");
    CHECK(json_text(made.body, "shoulder") == code);
    // Kept across a restart, though iiifd.toml names neither.
    REQUIRE(daemon.iiifd.stop() == 0);
    daemon.iiifd.start();
    daemon_harness::HttpResponse kept = http("GET", daemon.url("/api/v1/partners/north-oai"), key);
    CHECK(kept.status == 200);
    CHECK(json_text(kept.body, "owner") == "north");
    // ListSets names its set after it at once.
    CHECK(http("GET", daemon.url("/oai?verb=ListSets"), {}).body.find(
              "<setSpec>partner:north-oai</setSpec><setName>North OAI</setName>") !=
          std::string::npos);
}
