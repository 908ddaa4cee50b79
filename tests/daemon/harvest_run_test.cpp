// A harvest run of a partner (harvest_run.hpp) against tests/harvest/fixture_provider.py: its
// counts, where the next one starts, its quality report, one run at a time, a failed run kept
// apart from the last successful one; and the runs and report through the API.
#include "harvest_run.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "api_harness.hpp"
#include "clock.hpp"
#include "harvest_side.hpp"
#include "iiif_error.hpp"
#include "oai_fixture.hpp"
#include "takedown.hpp"

using namespace iiifd;
using daemon_harness::Fixture;

namespace {

using harvest_harness::config_in;
using harvest_harness::ObjectsSide;
using harvest_harness::partner_of;
using harvest_harness::quick;

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
    "harvest run: the next harvest starts a day before the last successful one began, "
    "--full from nothing",
    "[harvest_run]") {
    Fixture fixture(R"({"records": 3, "page_size": 10})");
    const DaemonConfig config = config_in("from");
    const HarvestStore store(config);
    // A dry run leaves the next start where it was.
    CHECK(run_harvest(partner_of(fixture), false, store, nullptr, quick()).status == "done");
    CHECK_FALSE(store.last_success("fixture").has_value());
    ListSink sink;
    const HarvestRun first = run_harvest(partner_of(fixture), false, store, &sink, quick());
    REQUIRE(first.status == "done");
    CHECK(first.counts.records == 3);

    const HarvestRun second = run_harvest(partner_of(fixture), false, store, &sink, quick());
    CHECK(second.status == "done");
    CHECK(second.from == iiif::format_utc_datetime(first.started - 86400).substr(0, 10));
    bool sent = false;
    for (const std::string& query : fixture.queries())
        if (query.find("from=" + second.from) != std::string::npos) sent = true;
    CHECK(sent);

    const HarvestRun full = run_harvest(partner_of(fixture), true, store, &sink, quick());
    CHECK(full.from.empty());
    CHECK(full.counts.records == 3);
    CHECK(store.runs_json("fixture", 10).size() == 4);
    CHECK(store.runs_json("fixture", 2).size() == 2);
}

TEST_CASE("harvest run: a partner that fails leaves the last successful start as it was",
          "[harvest_run]") {
    Fixture fixture(R"({"records": 3, "page_size": 10})");
    const DaemonConfig config = config_in("failed");
    const HarvestStore store(config);
    ListSink sink;
    const HarvestRun good = run_harvest(partner_of(fixture), false, store, &sink, quick());
    REQUIRE(good.status == "done");
    const std::string base = fixture.base_url();
    fixture.stop();

    Partner gone = partner_of(fixture);
    gone.base_url = base;
    const HarvestRun failed = run_harvest(gone, false, store, &sink, quick());
    CHECK(failed.status == "failed");
    CHECK_FALSE(failed.error.empty());
    CHECK(failed.counts.records == 0);
    CHECK(*store.last_success("fixture") == good.started);
    const std::vector<std::string> runs = store.runs_json("fixture", 10);
    REQUIRE(runs.size() == 2);
    CHECK(daemon_harness::json_text(runs[0], "status") == "failed");
    CHECK(daemon_harness::json_text(runs[1], "status") == "done");
}

TEST_CASE(
    "harvest run: a stop requested ends the run after the page under way, failed with "
    "\"stopped\"",
    "[harvest_run]") {
    Fixture fixture(R"({"records": 10, "page_size": 4})");
    const DaemonConfig config = config_in("stopped");
    const HarvestStore store(config);
    // Asks for the stop while the first page is taken.
    struct StoppingSink : ListSink {
        std::stop_source source;
        void page_done() override {
            ListSink::page_done();
            source.request_stop();
        }
    } sink;
    HarvestPolicy policy = quick();
    policy.stop = sink.source.get_token();
    const HarvestRun run = run_harvest(partner_of(fixture), false, store, &sink, policy);

    CHECK(run.status == "failed");
    CHECK(run.error == "stopped");
    CHECK(run.pages == 1);
    CHECK(run.counts.records == 4);
    CHECK(run.counts.created == 3);  // and rec-0003 refused
    CHECK(sink.pages == 1);
    CHECK(fixture.queries().size() == 3);  // two Identify and the first page, nothing after
    CHECK_FALSE(store.last_success("fixture").has_value());
    const std::vector<std::string> runs = store.runs_json("fixture", 10);
    REQUIRE(runs.size() == 1);
    CHECK(daemon_harness::json_text(runs[0], "error") == "stopped");
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

TEST_CASE(
    "harvest run: iiifd harvest --dry-run counts, iiifd harvest makes objects, the API shows both "
    "runs",
    "[harvest_run]") {
    Fixture fixture(R"({"records": 6, "page_size": 4, "deleted": [2]})");
    daemon_harness::RedisServer redis;
    daemon_harness::DaemonOptions options;
    options.hot_folder = false;
    options.extra_config = "[partners.\"fixture\"]\nname = \"Fixture Library\"\nbase_url = \"" +
                           fixture.base_url() + "\"\ndelay_ms = 0\n";
    daemon_harness::Daemon iiifd(redis, options);

    CHECK(iiifd.run_iiifd({"harvest", "nobody", "--dry-run"}).exit_code == 1);

    const daemon_harness::CommandResult harvested =
        iiifd.run_iiifd({"harvest", "fixture", "--dry-run"});
    INFO(harvested.output);
    REQUIRE(harvested.exit_code == 0);
    CHECK(harvested.output.find("\"records\": 6") != std::string::npos);
    CHECK(harvested.output.find("\"created\": 0") != std::string::npos);
    const daemon_harness::CommandResult made = iiifd.run_iiifd({"harvest", "fixture"});
    INFO(made.output);
    REQUIRE(made.exit_code == 0);
    CHECK(made.output.find("\"created\": 5") != std::string::npos);

    iiifd.start();
    const std::vector<std::string> key = iiifd.auth();
    const daemon_harness::HttpResponse runs =
        daemon_harness::http("GET", iiifd.url("/api/v1/partners/fixture/harvests"), key);
    REQUIRE(runs.status == 200);
    const std::vector<std::string> listed = daemon_harness::json_array(runs.body, "harvests");
    REQUIRE(listed.size() == 2);
    CHECK(daemon_harness::json_text(listed[0], "status") == "done");
    CHECK(daemon_harness::json_integer(listed[0], "counts.records") == 6);
    CHECK(daemon_harness::json_integer(listed[0], "counts.deleted") == 1);
    CHECK(daemon_harness::json_integer(listed[0], "counts.created") == 5);
    CHECK(daemon_harness::json_integer(listed[1], "counts.created") == 0);
    CHECK(daemon_harness::json_array(iiifd.get("/api/v1/objects").body, "objects").size() == 5);
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

TEST_CASE("harvest objects: each record one object for life, unchanged, changed, deleted, back",
          "[harvest_run]") {
    ObjectsSide side("objects");
    std::map<std::string, std::string> arks;  // OAI identifier -> ARK
    {
        Fixture fixture(R"({"records": 5, "page_size": 2})");
        const HarvestRun first = side.harvest(fixture);
        REQUIRE(first.status == "done");
        CHECK(first.counts.created == 5);
        const std::vector<iiif::ObjectRecord> objects = side.objects();
        REQUIRE(objects.size() == 5);
        for (const iiif::ObjectRecord& object : objects) {
            REQUIRE(object.metadata.origin.has_value());
            arks[object.metadata.origin->identifier] = object.ark;
            CHECK(object.state == iiif::RecordState::active);
            CHECK(object.images.empty());
            CHECK(object.metadata.provider == "Fixture Library");
            CHECK(object.metadata.sets == std::vector<std::string>{"partner:fixture"});
            CHECK(object.metadata.license == kDefaultPartnerLicense);
            CHECK(object.metadata.origin->partner == "fixture");
            CHECK(object.metadata.origin->base_url == fixture.base_url());
        }
        CHECK(arks.size() == 5);
        const std::string first_ark = arks.at("oai:fixture.example.org:rec-0001");
        CHECK(side.catalog->reader().object(first_ark)->metadata.dc.at("title").front().value ==
              "Record 1");

        // Harvested again: nothing changes, not even the dates.
        const std::int64_t updated = side.catalog->reader().object(first_ark)->updated;
        const HarvestRun again = side.harvest(fixture);
        CHECK(again.counts.created == 0);
        CHECK(again.counts.unchanged == 5);
        CHECK(side.objects().size() == 5);
        CHECK(side.catalog->reader().object(first_ark)->updated == updated);
    }
    // The source changes: record 2 deleted, the others described differently (a new base URL
    // too: another fixture). A rights holder had record 4's object withdrawn here meanwhile.
    Takedown(*side.changes)
        .apply(TakedownAction::withdraw, arks.at("oai:fixture.example.org:rec-0004"),
               {"rights holder's request", "Éditions X", "test"});
    {
        Fixture changed(R"({"records": 5, "page_size": 2, "deleted": [2], "filler": 40})");
        const HarvestRun run = side.harvest(changed);
        REQUIRE(run.status == "done");
        CHECK(run.counts.created == 0);
        CHECK(run.counts.withdrawn == 1);
        CHECK(run.counts.updated == 3);
        CHECK(run.counts.unchanged == 1);  // record 4 stays withdrawn
        CHECK(side.objects().size() == 5);
        const auto two = side.catalog->reader().object(arks.at("oai:fixture.example.org:rec-0002"));
        CHECK(two->state == iiif::RecordState::withdrawn);
        CHECK(two->withdrawn_reason == "deleted at the source");
        const auto four =
            side.catalog->reader().object(arks.at("oai:fixture.example.org:rec-0004"));
        CHECK(four->state == iiif::RecordState::withdrawn);
        CHECK(four->withdrawn_reason == "rights holder's request");
    }
    {
        // Record 2 is back at the source: its object comes back, under its ARK. (Every record
        // has a new base URL in its origin, this fixture's: those not withdrawn are updated.)
        Fixture back(R"({"records": 5, "page_size": 2, "filler": 40})");
        const HarvestRun run = side.harvest(back);
        CHECK(run.counts.created == 0);
        CHECK(run.counts.failed == 0);
        CHECK(run.counts.updated == 4);
        CHECK(run.counts.unchanged == 1);
        CHECK(side.catalog->reader().object(arks.at("oai:fixture.example.org:rec-0002"))->state ==
              iiif::RecordState::active);
        CHECK(side.objects().size() == 5);
    }
    // The identifiers noted, one line each.
    const std::string noted =
        daemon_harness::read_file(side.config.storage_root + "/harvests/fixture/identifiers.tsv");
    CHECK(std::count(noted.begin(), noted.end(), '\n') == 5);
}

TEST_CASE("harvest objects: a partner's objects belong to its owner, the home institution when "
          "it names none",
          "[harvest_run]") {
    ObjectsSide side("owner");
    iiif::AccessRules rules;
    rules.home_institution = "main";
    side.catalog->set_access(iiif::AccessSettings{}, rules);
    Fixture fixture(R"({"records": 3, "page_size": 2})");
    Partner partner = side.partner(fixture);
    REQUIRE(side.harvest(partner).status == "done");
    for (const iiif::ObjectRecord& object : side.objects()) CHECK(object.institution == "main");
    // Given an owner, its objects are the owner's from the next harvest on, their records
    // unchanged at the source.
    partner.owner = "north";
    const HarvestRun handed = side.harvest(partner);
    REQUIRE(handed.status == "done");
    CHECK(handed.counts.updated == 3);
    const std::vector<iiif::ObjectRecord> objects = side.objects();
    CHECK(objects.size() == 3);
    for (const iiif::ObjectRecord& object : objects) CHECK(object.institution == "north");
    CHECK(side.harvest(partner).counts.unchanged == 3);
}

TEST_CASE("harvest objects: an unfinished last line of identifiers.tsv is dropped, not misread",
          "[harvest_run]") {
    ObjectsSide side("torn");
    Fixture fixture(R"({"records": 3, "page_size": 2})");
    REQUIRE(side.harvest(fixture).counts.created == 3);
    const std::string path = side.config.storage_root + "/harvests/fixture/identifiers.tsv";
    const std::string noted = daemon_harness::read_file(path);
    // A power cut in the middle of an append: half a line, never made durable, no object.
    {
        std::ofstream out(path, std::ios::app | std::ios::binary);
        out << "oai:fixture.example.org:rec-0099\tark:/99999/fk4";
    }
    Fixture more(R"({"records": 4, "page_size": 2})");
    const HarvestRun run = side.harvest(more);
    REQUIRE(run.status == "done");
    CHECK(run.counts.created == 1);
    CHECK(run.counts.updated == 3);  // another fixture: a new base URL in their origin
    const std::string after = daemon_harness::read_file(path);
    REQUIRE(after.starts_with(noted));
    const std::string added = after.substr(noted.size());
    CHECK(added.starts_with("oai:fixture.example.org:rec-0004\tark:/99999/fk4"));
    CHECK(std::count(added.begin(), added.end(), '\n') == 1);
    CHECK(side.objects().size() == 4);
}

TEST_CASE("harvest objects: each record kept verbatim beside its object, in oai_dc and the "
          "partner's extra format",
          "[harvest_run]") {
    ObjectsSide side("verbatim");
    // Records 1 and 2 name a page in oai_dc (a landing page: nothing to fetch); EDM names an
    // image for every record, which nothing serves here.
    Fixture fixture(R"({"records": 3, "page_size": 2, "deleted": [3],
                        "edm": {"shown_by": "http://127.0.0.1:9/none/"}})");
    Partner partner = side.partner(fixture);
    partner.extra_prefix = "edm";
    partner.images = PartnerImages::metadata;
    const HarvestRun metadata_only = side.harvest(partner);
    REQUIRE(metadata_only.status == "done");
    CHECK(metadata_only.counts.created == 2);
    CHECK(metadata_only.counts.extra == 3);
    CHECK(metadata_only.counts.pages_failed == 0);
    const ObjectStore store(side.config.storage_root);
    for (const iiif::ObjectRecord& object : side.objects()) {
        const std::string number = object.metadata.origin->identifier.substr(
            object.metadata.origin->identifier.size() - 1);
        const std::string dc = daemon_harness::read_file(store.source_record(object.ark, "oai_dc"));
        CHECK(dc.starts_with("<?xml"));
        CHECK(dc.find("<dc:title xml:lang=\"fr\">Notice " + number + "</dc:title>") !=
              std::string::npos);
        const std::string edm = daemon_harness::read_file(store.source_record(object.ark, "edm"));
        CHECK(edm.find("<dc:title>CHO " + number + "</dc:title>") != std::string::npos);
        CHECK(edm.find("edm:isShownBy rdf:resource=\"http://127.0.0.1:9/none/000" + number +
                       ".jpg\"") != std::string::npos);
    }

    // Fetching the partner's images: the pages EDM names are tried for the records whose oai_dc
    // names none (all of them here), and their failure reported.
    partner.images = PartnerImages::fetch;
    const HarvestRun with_pages = side.harvest(partner);
    INFO(with_pages.error);
    REQUIRE(with_pages.status == "done");
    CHECK(with_pages.counts.unchanged == 2);
    CHECK(with_pages.counts.pages_failed == 2);
    REQUIRE(with_pages.failures.size() == 2);
    CHECK(with_pages.failures[0].reason.starts_with("pages: http://127.0.0.1:9/none/0001.jpg: "));
    CHECK(side.objects().size() == 2);
}

TEST_CASE("harvest objects: 10,000 records over a hundred pages with a provider's quirks, each "
          "one object once",
          "[harvest_run]") {
    ObjectsSide side("ten-thousand");
    // Day granularity (the fixture's default), every hundredth record deleted, one record whose
    // title holds a control character, the token of page 37 expired once, the 50th request
    // answered 503 with Retry-After.
    std::string deleted;
    for (int n = 100; n <= 10'000; n += 100)
        deleted += (deleted.empty() ? "" : ", ") + std::to_string(n);
    Fixture fixture(R"({"records": 10000, "page_size": 100, "deleted": [)" + deleted +
                    R"(], "bad_records": {"5001": "control"}, "expire_token": {"page": 37, "times": 1},
                        "retry_after": {"requests": [50], "seconds": 1}})");
    const HarvestRun run = side.harvest(fixture);
    INFO(run.error);
    REQUIRE(run.status == "done");
    CHECK(run.restarted);
    // The expired token made the list start again: the 36 pages before it were read twice
    // (3,600 records, 36 of them deleted), the second time unchanged; the record that is not XML
    // is skipped, not read.
    CHECK(run.counts.records == 3'600 + 9'999);
    CHECK(run.counts.skipped == 1);
    CHECK(run.counts.deleted == 36 + 100);
    CHECK(run.counts.created == 9'899);
    CHECK(run.counts.unchanged == 3'564);
    CHECK(run.counts.failed == 0);
    CHECK(run.counts.withdrawn == 0);
    REQUIRE(run.skipped.size() == 1);
    CHECK(run.skipped[0].identifier == "oai:fixture.example.org:rec-5001");
    CHECK(side.catalog->reader().object_count() == 9'899);
    const std::string noted =
        daemon_harness::read_file(side.config.storage_root + "/harvests/fixture/identifiers.tsv");
    CHECK(std::count(noted.begin(), noted.end(), '\n') == 9'899);
}
