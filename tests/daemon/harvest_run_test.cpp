// A harvest run of a partner (harvest_run.hpp) against tests/harvest/fixture_provider.py: its
// counts, where the next one starts, its quality report, one run at a time, a failed run kept
// apart from the last successful one; and the runs and report through the API.
#include "harvest_run.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "api_harness.hpp"
#include "clock.hpp"
#include "daemon_config.hpp"
#include "iiif_error.hpp"
#include "oai_fixture.hpp"
#include "test_images.hpp"

using namespace iiifd;
using daemon_harness::Fixture;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A storage root of its own for each store.
DaemonConfig config_in(const std::string& name) {
    DaemonConfig config;
    config.storage_root = (test_images::scratch_dir() / "harvest-run" / name).string();
    fs::remove_all(config.storage_root);
    fs::create_directories(config.storage_root);
    return config;
}

Partner partner_of(const Fixture& fixture) {
    Partner partner;
    partner.id = "fixture";
    partner.name = "Fixture Library";
    partner.institution = "Fixture Library";
    partner.base_url = fixture.base_url();
    partner.license = kDefaultPartnerLicense;
    partner.delay_ms = 0;
    return partner;
}

HarvestPolicy quick() {
    HarvestPolicy policy;
    policy.connect_timeout = 2s;
    policy.request_timeout = 5s;
    policy.max_attempts = 2;
    policy.backoff_initial = 20ms;
    policy.backoff_max = 50ms;
    policy.politeness_delay = 0ms;
    return policy;
}

// Records what it is given: identifiers, in order, and whether deleted.
struct ListSink : HarvestSink {
    std::vector<std::string> taken;
    int pages = 0;
    SinkOutcome take(const Partner&, const HarvestedRecord& record,
                     const NormalisedRecord& normalised) override {
        if (record.identifier.ends_with("rec-0003")) throw iiif::IiifError(400, "refused here");
        taken.push_back(record.identifier + (record.deleted ? " deleted" : "") + " " +
                        (normalised.metadata.dc.count("title") != 0
                             ? normalised.metadata.dc.at("title").front().value
                             : ""));
        return record.deleted ? SinkOutcome::withdrawn : SinkOutcome::created;
    }
    void page_done() override { ++pages; }
};

}  // namespace

TEST_CASE("harvest run: records normalised into the sink, counted, the run and report kept",
          "[harvest_run]") {
    Fixture fixture(
        R"({"records": 10, "page_size": 4, "deleted": [5], "bad_records": {"7": "control"}})");
    const DaemonConfig config = config_in("counts");
    const HarvestStore store(config);
    ListSink sink;
    const HarvestRun run = run_harvest(partner_of(fixture), false, store, &sink, quick());

    CHECK(run.status == "done");
    CHECK(run.error.empty());
    CHECK(run.from.empty());
    CHECK(run.counts.records == 9);  // record 7 does not read
    CHECK(run.counts.deleted == 1);
    CHECK(run.counts.skipped == 1);
    CHECK(run.counts.created == 7);
    CHECK(run.counts.withdrawn == 1);
    CHECK(run.counts.failed == 1);
    REQUIRE(run.failures.size() == 1);
    CHECK(run.failures[0].identifier == "oai:fixture.example.org:rec-0003");
    CHECK(run.failures[0].reason == "refused here");
    REQUIRE(run.skipped.size() == 1);
    CHECK(run.skipped[0].identifier == "oai:fixture.example.org:rec-0007");
    CHECK(run.pages == 3);
    CHECK(sink.pages == 3);
    REQUIRE(sink.taken.size() == 8);
    CHECK(sink.taken[0] == "oai:fixture.example.org:rec-0001 Record 1");
    CHECK(sink.taken[3] == "oai:fixture.example.org:rec-0005 deleted ");

    // Where the next harvest starts, the run's line, the quality report.
    REQUIRE(store.last_success("fixture").has_value());
    CHECK(*store.last_success("fixture") == run.started);
    const std::vector<std::string> runs = store.runs_json("fixture", 10);
    REQUIRE(runs.size() == 1);
    CHECK(daemon_harness::json_text(runs[0], "status") == "done");
    CHECK(daemon_harness::json_integer(runs[0], "counts.records") == 9);
    CHECK(daemon_harness::json_integer(runs[0], "counts.failed") == 1);
    const std::optional<std::string> report = store.report_json("fixture");
    REQUIRE(report.has_value());
    CHECK(daemon_harness::json_integer(*report, "records") == 8);
}

TEST_CASE(
    "harvest run: the next harvest starts a day before the last successful one began; "
    "--full from nothing",
    "[harvest_run]") {
    Fixture fixture(R"({"records": 3, "page_size": 10})");
    const DaemonConfig config = config_in("from");
    const HarvestStore store(config);
    const HarvestRun first = run_harvest(partner_of(fixture), false, store, nullptr, quick());
    REQUIRE(first.status == "done");
    CHECK(first.counts.records == 3);

    const HarvestRun second = run_harvest(partner_of(fixture), false, store, nullptr, quick());
    CHECK(second.status == "done");
    CHECK(second.from == iiif::format_utc_datetime(first.started - 86400).substr(0, 10));
    bool sent = false;
    for (const std::string& query : fixture.queries())
        if (query.find("from=" + second.from) != std::string::npos) sent = true;
    CHECK(sent);

    const HarvestRun full = run_harvest(partner_of(fixture), true, store, nullptr, quick());
    CHECK(full.from.empty());
    CHECK(full.counts.records == 3);
    CHECK(store.runs_json("fixture", 10).size() == 3);
    CHECK(store.runs_json("fixture", 2).size() == 2);
}

TEST_CASE("harvest run: a partner that fails leaves the last successful start as it was",
          "[harvest_run]") {
    Fixture fixture(R"({"records": 3, "page_size": 10})");
    const DaemonConfig config = config_in("failed");
    const HarvestStore store(config);
    const HarvestRun good = run_harvest(partner_of(fixture), false, store, nullptr, quick());
    REQUIRE(good.status == "done");
    const std::string base = fixture.base_url();
    fixture.stop();

    Partner gone = partner_of(fixture);
    gone.base_url = base;
    const HarvestRun failed = run_harvest(gone, false, store, nullptr, quick());
    CHECK(failed.status == "failed");
    CHECK_FALSE(failed.error.empty());
    CHECK(failed.counts.records == 0);
    CHECK(*store.last_success("fixture") == good.started);
    const std::vector<std::string> runs = store.runs_json("fixture", 10);
    REQUIRE(runs.size() == 2);
    CHECK(daemon_harness::json_text(runs[0], "status") == "failed");
    CHECK(daemon_harness::json_text(runs[1], "status") == "done");
}

TEST_CASE("harvest run: one run of a partner at a time", "[harvest_run]") {
    const DaemonConfig config = config_in("lock");
    const HarvestStore store(config);
    HarvestStore::Lock held(store, "fixture");
    Partner partner;
    partner.id = "fixture";
    partner.base_url = "http://127.0.0.1:9/oai";
    try {
        run_harvest(partner, false, store, nullptr, quick());
        FAIL("a second run went ahead");
    } catch (const iiif::IiifError& refused) {
        CHECK(refused.status == 409);
        CHECK(refused.reason == "a harvest of fixture is under way");
    }
    CHECK(store.runs_json("fixture", 10).empty());
}

TEST_CASE("harvest run: iiifd harvest --dry-run logs a run the API shows with its report",
          "[harvest_run]") {
    Fixture fixture(R"({"records": 6, "page_size": 4, "deleted": [2]})");
    daemon_harness::RedisServer redis;
    daemon_harness::DaemonOptions options;
    options.hot_folder = false;
    options.extra_config = "[partners.\"fixture\"]\nname = \"Fixture Library\"\nbase_url = \"" +
                           fixture.base_url() + "\"\ndelay_ms = 0\n";
    daemon_harness::Daemon iiifd(redis, options);

    const daemon_harness::CommandResult refused = iiifd.run_iiifd({"harvest", "fixture"});
    CHECK(refused.exit_code != 0);
    CHECK(refused.output.find("--dry-run is required") != std::string::npos);
    CHECK(iiifd.run_iiifd({"harvest", "nobody", "--dry-run"}).exit_code == 1);

    const daemon_harness::CommandResult harvested =
        iiifd.run_iiifd({"harvest", "fixture", "--dry-run"});
    INFO(harvested.output);
    REQUIRE(harvested.exit_code == 0);
    CHECK(harvested.output.find("\"records\": 6") != std::string::npos);

    iiifd.start();
    const std::vector<std::string> key = iiifd.auth();
    const daemon_harness::HttpResponse runs =
        daemon_harness::http("GET", iiifd.url("/api/v1/partners/fixture/harvests"), key);
    REQUIRE(runs.status == 200);
    const std::vector<std::string> listed = daemon_harness::json_array(runs.body, "harvests");
    REQUIRE(listed.size() == 1);
    CHECK(daemon_harness::json_text(listed[0], "status") == "done");
    CHECK(daemon_harness::json_integer(listed[0], "counts.records") == 6);
    CHECK(daemon_harness::json_integer(listed[0], "counts.deleted") == 1);
    const daemon_harness::HttpResponse partner =
        daemon_harness::http("GET", iiifd.url("/api/v1/partners/fixture"), key);
    CHECK(daemon_harness::json_text(partner.body, "last_harvest.status") == "done");
    const daemon_harness::HttpResponse report =
        daemon_harness::http("GET", iiifd.url("/api/v1/partners/fixture/report"), key);
    REQUIRE(report.status == 200);
    CHECK(daemon_harness::json_integer(report.body, "records") == 5);
    CHECK(daemon_harness::http("GET", iiifd.url("/api/v1/partners/fixture/harvests"), {}).status ==
          401);
    CHECK(daemon_harness::http("GET", iiifd.url("/api/v1/partners/nobody/report"), key).status ==
          404);
}
