// The harvests a running iiifd starts itself (harvest_scheduler.hpp), on the real iiifd with a
// real redis-server against tests/harvest/fixture_provider.py: one asked for through
// POST /api/v1/partners/{id}/harvests and who may ask, one at a time, a partner harvested on its
// schedule, and a stop while a harvest runs.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "access.hpp"
#include "api_harness.hpp"
#include "daemon_config.hpp"
#include "harvest_run.hpp"
#include "oai_fixture.hpp"
#include "signing.hpp"
#include "test_images.hpp"

using namespace daemon_harness;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// [partners."id"] of iiifd.toml for a fixture, no delay between requests.
std::string partner_toml(const std::string& id, const Fixture& fixture, int schedule_hours) {
    return "[partners.\"" + id + "\"]\nname = \"Fixture " + id + "\"\nbase_url = \"" +
           fixture.base_url() +
           "\"\ndelay_ms = 0\nschedule_hours = " + std::to_string(schedule_hours) + "\n";
}

// iiifd with these partners (and more of iiifd.toml), an access key file of the test's so that
// depositors' sessions can be signed here.
struct HarvestDaemon {
    RedisServer redis;
    std::string key_file = (test_images::scratch_dir() / "harvest-scheduler.key").string();
    Daemon iiifd;

    explicit HarvestDaemon(const std::string& config) : iiifd(redis, options(key_file, config)) {
        std::remove(key_file.c_str());
        iiifd.start();
        iiifd.add_account(R"({"name": "alice", "role": "editor"})");
    }
    static DaemonOptions options(const std::string& key_file, const std::string& config) {
        DaemonOptions options;
        options.hot_folder = false;
        options.extra_config = "[access]\nkey_file = \"" + key_file + "\"\n" + config;
        return options;
    }

    HttpResponse post(const std::string& partner, const std::string& body = "") const {
        return http("POST", iiifd.url("/api/v1/partners/" + partner + "/harvests"), iiifd.auth(),
                    body);
    }
    // The partner's runs that have ended, most recent first (the one under way, listed first
    // with its status "running", left out).
    std::vector<std::string> runs(const std::string& partner) const {
        std::vector<std::string> ended;
        for (std::string& run :
             json_array(iiifd.get("/api/v1/partners/" + partner + "/harvests").body, "harvests"))
            if (json_text(run, "status") != "running") ended.push_back(std::move(run));
        return ended;
    }
    // All of them, the one under way included.
    std::vector<std::string> all_runs(const std::string& partner) const {
        return json_array(iiifd.get("/api/v1/partners/" + partner + "/harvests").body, "harvests");
    }
    size_t objects() const {
        return json_array(iiifd.get("/api/v1/objects").body, "objects").size();
    }
    std::string depositor() const {
        iiif::AccessCredential session;
        session.kind = iiif::AccessCredential::Kind::session;
        session.subject = "alice";
        session.groups = {"depositors"};
        session.expires = static_cast<std::int64_t>(std::time(nullptr)) + 3600;
        return "Cookie: iiif_access=" +
               iiif::sign_credential(session, iiif::load_secret_key(key_file, false));
    }
};

// Polls `done` every 50 ms for at most `timeout`: whether it came true.
bool eventually(const std::function<bool()>& done, std::chrono::seconds timeout = 30s) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return done();
}

// Each request of these numbers waits `seconds` at the fixture (1: Identify, 2: the Identify
// of the list, 3: its first page, 4: the second...).
std::string slow(int first, int last, int seconds) {
    std::string numbers;
    for (int n = first; n <= last; ++n)
        numbers += (numbers.empty() ? "" : ", ") + std::to_string(n);
    return R"("slow": {"requests": [)" + numbers + "], \"seconds\": " + std::to_string(seconds) +
           "}";
}

const std::string kSiteOrigin = "Origin: http://127.0.0.1:8080";

}  // namespace

TEST_CASE("harvest scheduler: a harvest asked for through the API runs, its counts listed",
          "[harvest_scheduler]") {
    Fixture fixture(R"({"records": 5, "page_size": 2, "deleted": [4]})");
    HarvestDaemon daemon(partner_toml("fixture", fixture, 0));

    const HttpResponse queued = daemon.post("fixture");
    REQUIRE(queued.status == 202);
    CHECK(queued.body == R"({"partner":"fixture","queued":true,"full":false})");
    CHECK(queued.headers.find("Location: /api/v1/partners/fixture/harvests\r\n") !=
          std::string::npos);
    REQUIRE(eventually([&] { return daemon.runs("fixture").size() == 1; }));
    const std::string run = daemon.runs("fixture").front();
    CHECK(json_text(run, "status") == "done");
    CHECK(run.find(R"("full":false)") != std::string::npos);
    CHECK(json_integer(run, "counts.records") == 5);
    CHECK(json_integer(run, "counts.deleted") == 1);
    CHECK(json_integer(run, "counts.created") == 4);
    CHECK(json_integer(run, "counts.failed") == 0);
    CHECK(json_integer(run, "pages") == 3);
    CHECK(daemon.objects() == 4);

    // A full one: every record again, nothing new. (The run is listed a moment before its
    // thread lets the partner go: 409 until then.)
    HttpResponse full;
    REQUIRE(eventually([&] {
        full = daemon.post("fixture", R"({"full": true})");
        return full.status != 409;
    }));
    REQUIRE(full.status == 202);
    CHECK(full.body == R"({"partner":"fixture","queued":true,"full":true})");
    REQUIRE(eventually([&] { return daemon.runs("fixture").size() == 2; }));
    const std::string again = daemon.runs("fixture").front();
    CHECK(json_text(again, "status") == "done");
    CHECK(again.find(R"("full":true)") != std::string::npos);
    CHECK(json_integer(again, "counts.records") == 5);
    CHECK(json_integer(again, "counts.created") == 0);
    CHECK(json_integer(again, "counts.unchanged") == 4);
    CHECK(daemon.objects() == 4);
}

TEST_CASE(
    "harvest scheduler: one harvest at a time, and another of a partner queued or running is 409",
    "[harvest_scheduler]") {
    // Three pages of a second each for the first; the second partner's harvest is quick.
    Fixture first(R"({"records": 6, "page_size": 2, )" + slow(3, 5, 1) + "}");
    Fixture second(R"({"records": 3, "page_size": 10})");
    HarvestDaemon daemon(partner_toml("first", first, 0) + partner_toml("second", second, 0));

    REQUIRE(daemon.post("first").status == 202);
    REQUIRE(eventually([&] { return !first.requests().empty(); }));
    const HttpResponse running = daemon.post("first", R"({"full": true})");
    CHECK(running.status == 409);
    CHECK(json_text(running.body, "error") == "a harvest of first is running");

    REQUIRE(daemon.post("second").status == 202);
    const HttpResponse waiting = daemon.post("second");
    CHECK(waiting.status == 409);
    CHECK(json_text(waiting.body, "error") == "a harvest of second is already queued");

    REQUIRE(eventually([&] { return daemon.runs("second").size() == 1; }));
    const std::string first_run = daemon.runs("first").front();
    const std::string second_run = daemon.runs("second").front();
    CHECK(json_text(first_run, "status") == "done");
    CHECK(json_integer(first_run, "counts.created") == 6);
    CHECK(json_text(second_run, "status") == "done");
    CHECK(json_integer(second_run, "counts.created") == 3);
    // The second partner's first request came after the first partner's last answer.
    CHECK(json_text(second_run, "started") >= json_text(first_run, "finished"));
    CHECK(first.requests().size() == 5);  // two Identify, three pages

    // Once it has ended, another may be asked for.
    CHECK(daemon.post("first").status == 202);
}

TEST_CASE("harvest scheduler: a partner that `iiifd harvest` is harvesting is 409",
          "[harvest_scheduler]") {
    Fixture fixture(R"({"records": 2})");
    HarvestDaemon daemon(partner_toml("fixture", fixture, 0));
    iiifd::DaemonConfig config;
    config.storage_root = daemon.iiifd.storage_root();
    const iiifd::HarvestStore store(config);
    {
        // The partner's lock, as `iiifd harvest` holds it for its run.
        const iiifd::HarvestStore::Lock held(store, "fixture");
        const HttpResponse elsewhere = daemon.post("fixture");
        CHECK(elsewhere.status == 409);
        CHECK(json_text(elsewhere.body, "error") == "a harvest of fixture is under way");
    }
    REQUIRE(daemon.post("fixture").status == 202);
    REQUIRE(eventually([&] { return daemon.runs("fixture").size() == 1; }));
    CHECK(json_integer(daemon.runs("fixture").front(), "counts.created") == 2);
}

TEST_CASE(
    "harvest scheduler: only an administrator starts a harvest: an editor is 403, no credential "
    "401, an unknown partner 404",
    "[harvest_scheduler]") {
    Fixture fixture(R"({"records": 2})");
    HarvestDaemon daemon(partner_toml("fixture", fixture, 0));
    const std::string url = daemon.iiifd.url("/api/v1/partners/fixture/harvests");

    const HttpResponse depositor = http("POST", url, {daemon.depositor(), kSiteOrigin});
    CHECK(depositor.status == 403);
    CHECK(json_text(depositor.body, "error") == "start a harvest: administrators only");
    // The editor still reads the partner's runs.
    CHECK(http("GET", url, {daemon.depositor()}).status == 200);

    const HttpResponse anonymous = http("POST", url, {});
    CHECK(anonymous.status == 401);
    CHECK(json_text(anonymous.body, "error") == "missing or invalid API key");
    CHECK(anonymous.headers.find("WWW-Authenticate: Bearer\r\n") != std::string::npos);

    const HttpResponse nobody = daemon.post("nobody");
    CHECK(nobody.status == 404);
    CHECK(json_text(nobody.body, "error") == "no partner nobody");

    // None of them started anything.
    std::this_thread::sleep_for(500ms);
    CHECK(fixture.requests().empty());
    CHECK(daemon.runs("fixture").empty());
}

TEST_CASE("harvest scheduler: a body other than {\"full\": bool} is 400, other methods are 405",
          "[harvest_scheduler]") {
    Fixture fixture(R"({"records": 2})");
    HarvestDaemon daemon(partner_toml("fixture", fixture, 0));
    const std::string message = R"(harvest: the body must be empty or {"full": true|false})";
    for (const std::string body :
         {"full", R"({"full": "yes"})", R"({"full": true, "from": "2024-01-01"})", "[true]"}) {
        INFO(body);
        const HttpResponse refused = daemon.post("fixture", body);
        CHECK(refused.status == 400);
        CHECK(json_text(refused.body, "error") == message);
    }
    const HttpResponse other =
        http("DELETE", daemon.iiifd.url("/api/v1/partners/fixture/harvests"), daemon.iiifd.auth());
    CHECK(other.status == 405);
    CHECK(other.headers.find("Allow: GET, POST\r\n") != std::string::npos);

    std::this_thread::sleep_for(500ms);
    CHECK(fixture.requests().empty());
    CHECK(daemon.post("fixture", "{}").status == 202);
}

TEST_CASE(
    "harvest scheduler: a partner with schedule_hours is harvested without a request, once per "
    "period, one of 0 never, one defined through the API too",
    "[harvest_scheduler]") {
    Fixture daily(R"({"records": 3, "page_size": 2})");
    Fixture on_demand(R"({"records": 2})");
    Fixture later(R"({"records": 4, "page_size": 10})");
    HarvestDaemon daemon("[harvest]\ncheck_seconds = 1\n" + partner_toml("daily", daily, 24) +
                         partner_toml("on-demand", on_demand, 0));

    REQUIRE(eventually([&] { return daemon.runs("daily").size() == 1; }));
    const std::string run = daemon.runs("daily").front();
    CHECK(json_text(run, "status") == "done");
    CHECK(json_integer(run, "counts.created") == 3);

    const std::string api_partner = R"({"name": "Later", "delay_ms": 0, "schedule_hours": 1, )"
                                    R"("base_url": ")" +
                                    later.base_url() + "\"}";
    REQUIRE(
        http("PUT", daemon.iiifd.url("/api/v1/partners/later"), daemon.iiifd.auth(), api_partner)
            .status == 201);
    REQUIRE(eventually([&] { return daemon.runs("later").size() == 1; }));
    CHECK(json_integer(daemon.runs("later").front(), "counts.created") == 4);

    // Three more looks: the periods have not passed.
    std::this_thread::sleep_for(3500ms);
    CHECK(daemon.runs("daily").size() == 1);
    CHECK(daemon.runs("later").size() == 1);
    CHECK(daemon.runs("on-demand").empty());
    CHECK(on_demand.requests().empty());
    CHECK(daemon.objects() == 7);
}

TEST_CASE("harvest scheduler: with scheduler = false, partners are harvested on request only",
          "[harvest_scheduler]") {
    Fixture fixture(R"({"records": 2})");
    HarvestDaemon daemon("[harvest]\nscheduler = false\ncheck_seconds = 1\n" +
                         partner_toml("fixture", fixture, 1));
    std::this_thread::sleep_for(2500ms);
    CHECK(fixture.requests().empty());
    REQUIRE(daemon.post("fixture").status == 202);
    REQUIRE(eventually([&] { return daemon.runs("fixture").size() == 1; }));
    CHECK(json_integer(daemon.runs("fixture").front(), "counts.created") == 2);
}

TEST_CASE(
    "harvest scheduler: iiifd stops within a bound while a harvest runs, the run ending after its "
    "page, failed with \"stopped\"",
    "[harvest_scheduler]") {
    // Ten pages of two records, each but the first taking 2 s: 18 s for the whole harvest.
    Fixture fixture(R"({"records": 20, "page_size": 2, )" + slow(4, 12, 2) + "}");
    HarvestDaemon daemon(partner_toml("fixture", fixture, 0));
    REQUIRE(daemon.post("fixture").status == 202);
    // The first page's records are objects: the second page is asked for (2 s).
    REQUIRE(eventually([&] { return daemon.objects() == 2; }));

    const auto start = Clock::now();
    CHECK(daemon.iiifd.stop() == 0);
    const auto took = Clock::now() - start;
    CHECK(took < 10s);  // the page under way (2 s) and the rest of the stop, not 16 s of pages
    INFO(daemon.iiifd.log());
    CHECK(daemon.iiifd.log().find("harvest of fixture: stopped") != std::string::npos);
    CHECK(fixture.requests().size() == 4);  // no third page

    daemon.iiifd.start();
    const std::vector<std::string> runs = daemon.runs("fixture");
    REQUIRE(runs.size() == 1);
    CHECK(json_text(runs[0], "status") == "failed");
    CHECK(json_text(runs[0], "error") == "stopped");
    CHECK(json_integer(runs[0], "pages") == 2);
    CHECK(json_integer(runs[0], "counts.records") == 4);
    CHECK(json_integer(runs[0], "counts.created") == 4);
    CHECK(daemon.objects() == 4);
    // The next harvest starts from nothing still: none succeeded.
    CHECK_FALSE(fs::exists(daemon.iiifd.storage_root() + "/harvests/fixture/state.json"));
}

TEST_CASE("harvest scheduler: the run under way is listed first, running, one cut short by "
          "SIGKILL is listed interrupted, then kept so",
          "[harvest_scheduler]") {
    // Ten pages of two records, each but the first taking 2 s.
    Fixture fixture(R"({"records": 20, "page_size": 2, )" + slow(4, 12, 2) + "}");
    HarvestDaemon daemon(partner_toml("fixture", fixture, 0));
    REQUIRE(daemon.post("fixture").status == 202);
    REQUIRE(eventually([&] { return daemon.objects() == 2; }));
    const std::vector<std::string> under_way = daemon.all_runs("fixture");
    REQUIRE(under_way.size() == 1);
    CHECK(json_text(under_way[0], "status") == "running");
    CHECK(json_text(under_way[0], "partner") == "fixture");

    daemon.iiifd.kill_hard();
    daemon.iiifd.start();
    const std::vector<std::string> cut = daemon.all_runs("fixture");
    REQUIRE(cut.size() == 1);
    CHECK(json_text(cut[0], "status") == "interrupted");
    CHECK(json_text(cut[0], "error") ==
          "the harvest stopped before its end (iiifd was killed or the machine stopped)");

    // The next run keeps it in the list, then ends: every record once.
    REQUIRE(daemon.post("fixture").status == 202);
    REQUIRE(eventually([&] { return daemon.runs("fixture").size() == 2; }, 60s));
    const std::vector<std::string> runs = daemon.runs("fixture");
    CHECK(json_text(runs[0], "status") == "done");
    CHECK(json_integer(runs[0], "counts.records") == 20);
    CHECK(json_text(runs[1], "status") == "interrupted");
    CHECK(daemon.objects() == 20);
}
