// The OAI-PMH harvester against tests/harvest/fixture_provider.py, a provider with the quirks
// of real ones (days for datestamps, hierarchical sets, tokens that expire, 503s, broken
// records, gzip), started for each test on a free loopback port and stopped by its pid; and
// against the real iiifd's own provider.
#include "oai_harvester.hpp"

#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.hpp"
#include "catalog.hpp"
#include "catalog_fixtures.hpp"
#include "daemon_config.hpp"
#include "oai_fixture.hpp"

using namespace daemon_harness;
using iiifd::HarvestError;
using iiifd::HarvestPolicy;
using iiifd::HarvestRequest;
using iiifd::HarvestSummary;
using iiifd::OaiHarvester;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Quick retries, no politeness delay: the tests that time them set their own.
HarvestPolicy quick_policy() {
    HarvestPolicy policy;
    policy.connect_timeout = 2s;
    policy.request_timeout = 5s;
    policy.max_attempts = 3;
    policy.backoff_initial = 50ms;
    policy.backoff_max = 200ms;
    policy.politeness_delay = 0ms;
    policy.max_retry_after = 5s;
    return policy;
}

std::string rec(int n) {
    char text[48];
    std::snprintf(text, sizeof text, "oai:fixture.example.org:rec-%04d", n);
    return text;
}

std::vector<std::string> recs(int first, int last, int step = 1) {
    std::vector<std::string> ids;
    for (int n = first; n <= last; n += step) ids.push_back(rec(n));
    return ids;
}

struct Harvest {
    HarvestSummary summary;
    std::vector<iiifd::HarvestedRecord> records;
    std::vector<std::string> identifiers;
    struct Page {
        std::string token;
        long cursor;
        long size;
    };
    std::vector<Page> pages;
};

Harvest harvest(const HarvestRequest& request, const HarvestPolicy& policy = quick_policy()) {
    OaiHarvester harvester(policy);
    Harvest out;
    out.summary = harvester.list_records(
        request,
        [&](const iiifd::HarvestedRecord& record) {
            out.records.push_back(record);
            out.identifiers.push_back(record.identifier);
        },
        [&](const std::string& token, long cursor, long size) {
            out.pages.push_back({token, cursor, size});
        });
    return out;
}

HarvestRequest all_of(const Fixture& fixture) {
    HarvestRequest request;
    request.base_url = fixture.base_url();
    return request;
}

const std::string kFirstPage = "verb=ListRecords&metadataPrefix=oai_dc";

}  // namespace

TEST_CASE("oai harvester: Identify gives the name, granularity and deleted-record policy",
          "[oai_harvester]") {
    Fixture days;
    OaiHarvester harvester(quick_policy());
    const iiifd::RepositoryInfo info = harvester.identify(days.base_url());
    CHECK(info.name == "Fixture Repository");
    CHECK(info.base_url == "http://127.0.0.1/oai");
    CHECK(info.protocol_version == "2.0");
    CHECK(info.earliest_datestamp == "2024-01-01");
    CHECK(info.granularity == iiifd::Granularity::day);
    CHECK(info.deleted_record == iiifd::DeletedRecordPolicy::persistent);

    Fixture seconds(R"({"granularity": "seconds", "deleted_record": "transient"})");
    const iiifd::RepositoryInfo second = harvester.identify(seconds.base_url());
    CHECK(second.earliest_datestamp == "2024-01-01T12:00:00Z");
    CHECK(second.granularity == iiifd::Granularity::seconds);
    CHECK(second.deleted_record == iiifd::DeletedRecordPolicy::transient);
    CHECK(seconds.stop() == 0);  // the fixture ends on SIGTERM
}

TEST_CASE("oai harvester: a list is followed through its resumption tokens to the empty one",
          "[oai_harvester]") {
    Fixture fixture(R"({"records": 10, "page_size": 4})");
    const Harvest got = harvest(all_of(fixture));
    CHECK(got.identifiers == recs(1, 10));
    CHECK(got.summary.pages == 3);
    CHECK(got.summary.records == 10);
    CHECK(got.summary.deleted == 0);
    CHECK(got.summary.skipped.empty());
    CHECK(got.summary.http_retries == 0);
    CHECK_FALSE(got.summary.restarted);
    CHECK(got.summary.repository.name == "Fixture Repository");
    REQUIRE(got.pages.size() == 3);
    CHECK_FALSE(got.pages[0].token.empty());
    CHECK_FALSE(got.pages[1].token.empty());
    CHECK(got.pages[2].token.empty());
    CHECK(got.pages[0].cursor == 0);
    CHECK(got.pages[1].cursor == 4);
    CHECK(got.pages[2].cursor == 8);
    for (const Harvest::Page& page : got.pages) CHECK(page.size == 10);

    const std::vector<std::string> queries = fixture.queries();
    REQUIRE(queries.size() == 4);
    CHECK(queries[0] == "verb=Identify");
    CHECK(queries[1] == kFirstPage);
    CHECK(queries[2] == "verb=ListRecords&resumptionToken=" + got.pages[0].token);
    CHECK(queries[3] == "verb=ListRecords&resumptionToken=" + got.pages[1].token);
}

TEST_CASE("oai harvester: one connection carries the whole harvest, with the policy's User-Agent",
          "[oai_harvester]") {
    Fixture fixture(R"({"records": 10, "page_size": 4})");
    HarvestPolicy policy = quick_policy();
    policy.user_agent = "test-harvester/2.0";
    harvest(all_of(fixture), policy);
    const std::vector<Logged> requests = fixture.requests();
    REQUIRE(requests.size() == 4);
    for (const Logged& request : requests) {
        CHECK(request.port == requests[0].port);
        CHECK(request.user_agent == "test-harvester/2.0");
    }
}

TEST_CASE("oai harvester: a record's metadata is a document of its own, its dc by element",
          "[oai_harvester]") {
    Fixture fixture(R"({"records": 2, "page_size": 4})");
    const Harvest got = harvest(all_of(fixture));
    REQUIRE(got.records.size() == 2);
    const iiifd::HarvestedRecord& first = got.records[0];
    CHECK(first.identifier == rec(1));
    CHECK(first.datestamp == "2024-01-01");
    CHECK(first.sets == std::vector<std::string>{"coll", "coll:odd"});
    CHECK_FALSE(first.deleted);
    // xmlns:xsi was declared on the response's root only: the document declares it itself.
    CHECK(first.metadata_xml ==
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/oai_dc/\" "
          "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
          "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
          "xsi:schemaLocation=\"http://www.openarchives.org/OAI/2.0/oai_dc/ "
          "http://www.openarchives.org/OAI/2.0/oai_dc.xsd\">\n"
          "  <dc:title xml:lang=\"en\">Record 1</dc:title>\n"
          "  <dc:title xml:lang=\"fr\">Notice 1</dc:title>\n"
          "  <dc:creator>Creator &amp; Co</dc:creator>\n"
          "  <dc:date>2024-01-01</dc:date>\n"
          "</oai_dc:dc>\n");
    using Values = std::vector<iiifd::DcValue>;
    CHECK(first.dc.size() == 3);
    CHECK(first.dc.at("title") == Values{{"Record 1", "en"}, {"Notice 1", "fr"}});
    CHECK(first.dc.at("creator") == Values{{"Creator & Co", ""}});
    CHECK(first.dc.at("date") == Values{{"2024-01-01", ""}});
    CHECK(got.records[1].sets == std::vector<std::string>{"coll", "coll:even"});
}

TEST_CASE("oai harvester: deleted records come with their header and no metadata",
          "[oai_harvester]") {
    Fixture fixture(R"({"records": 8, "page_size": 4, "deleted": [3, 7]})");
    const Harvest got = harvest(all_of(fixture));
    CHECK(got.identifiers == recs(1, 8));
    CHECK(got.summary.records == 8);
    CHECK(got.summary.deleted == 2);
    CHECK(got.summary.repository.deleted_record == iiifd::DeletedRecordPolicy::persistent);
    REQUIRE(got.records.size() == 8);
    CHECK(got.records[2].deleted);
    CHECK(got.records[2].datestamp == "2024-01-03");
    CHECK(got.records[2].sets == std::vector<std::string>{"coll", "coll:odd"});
    CHECK(got.records[2].metadata_xml.empty());
    CHECK(got.records[2].dc.empty());
    CHECK(got.records[6].deleted);
    CHECK_FALSE(got.records[5].deleted);
}

TEST_CASE("oai harvester: set, from and until select the records, hierarchical sets included",
          "[oai_harvester]") {
    Fixture fixture(R"({"records": 10, "page_size": 4})");
    HarvestRequest request = all_of(fixture);
    request.set = "coll:odd";
    CHECK(harvest(request).identifiers == recs(1, 9, 2));
    request.set = "coll";
    CHECK(harvest(request).identifiers == recs(1, 10));
    request.set = "";
    request.from = "2024-01-03";
    request.until = "2024-01-06";
    CHECK(harvest(request).identifiers == recs(3, 6));
    CHECK(fixture.queries().back() ==
          "verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-03&until=2024-01-06");
}

TEST_CASE("oai harvester: from and until are sent in the repository's granularity",
          "[oai_harvester]") {
    SECTION("a repository of days gets the day") {
        Fixture fixture(R"({"records": 10, "page_size": 20})");
        HarvestRequest request = all_of(fixture);
        request.from = "2024-01-03T10:00:00Z";
        request.until = "2024-01-04T08:00:00Z";
        CHECK(harvest(request).identifiers == recs(3, 4));
        CHECK(fixture.queries().back() == kFirstPage + "&from=2024-01-03&until=2024-01-04");
    }
    SECTION("a repository of seconds gets the time") {
        Fixture fixture(R"({"records": 10, "page_size": 20, "granularity": "seconds"})");
        HarvestRequest request = all_of(fixture);
        request.from = "2024-01-03T12:00:01Z";
        CHECK(harvest(request).identifiers == recs(4, 10));
        CHECK(fixture.queries().back() == kFirstPage + "&from=2024-01-03T12%3A00%3A01Z");
    }
    SECTION("a date that is none is refused before any request") {
        Fixture fixture;
        HarvestRequest request = all_of(fixture);
        request.from = "2024-13-01";
        CHECK_THROWS_AS(harvest(request), std::invalid_argument);
        CHECK(fixture.queries() == std::vector<std::string>{"verb=Identify"});
    }
}

TEST_CASE("oai harvester: noRecordsMatch is an empty list", "[oai_harvester]") {
    Fixture fixture(R"({"records": 10})");
    HarvestRequest request = all_of(fixture);
    request.from = "2030-01-01";
    const Harvest got = harvest(request);
    CHECK(got.identifiers.empty());
    CHECK(got.summary.pages == 1);
    CHECK(got.summary.records == 0);
    REQUIRE(got.pages.size() == 1);
    CHECK(got.pages[0].token.empty());
}

TEST_CASE("oai harvester: other OAI-PMH errors are errors with their code and message",
          "[oai_harvester]") {
    Fixture fixture;
    HarvestRequest request = all_of(fixture);
    std::string code;
    std::string message;
    SECTION("cannotDisseminateFormat") {
        request.metadata_prefix = "marcxml";
        code = "cannotDisseminateFormat";
        message = "OAI-PMH error cannotDisseminateFormat: marcxml is not served here";
    }
    SECTION("badArgument") {
        request.from = "2024-01-05";
        request.until = "2024-01-01";
        code = "badArgument";
        message = "OAI-PMH error badArgument: from is after until";
    }
    try {
        harvest(request);
        FAIL("no error");
    } catch (const HarvestError& error) {
        CHECK(error.oai_code() == code);
        CHECK(error.what() == message);
        CHECK(error.http_status() == 0);
    }
    CHECK(fixture.queries().size() == 2);
}

TEST_CASE("oai harvester: a 503 with Retry-After is waited out and asked again",
          "[oai_harvester]") {
    Fixture fixture(
        R"({"records": 10, "page_size": 4, "retry_after": {"requests": [3], "seconds": 1}})");
    const auto start = Clock::now();
    const Harvest got = harvest(all_of(fixture));
    CHECK(Clock::now() - start >= 1s);
    CHECK(got.identifiers == recs(1, 10));
    CHECK(got.summary.http_retries == 1);
    const std::vector<std::string> queries = fixture.queries();
    REQUIRE(queries.size() == 5);
    CHECK(queries[2] == queries[3]);
    CHECK(fixture.requests()[2].status == 503);
}

TEST_CASE("oai harvester: a Retry-After longer than the policy allows is an error at once",
          "[oai_harvester]") {
    Fixture fixture(R"({"retry_after": {"requests": [2], "seconds": 30}})");
    try {
        harvest(all_of(fixture));
        FAIL("no error");
    } catch (const HarvestError& error) {
        CHECK(error.http_status() == 503);
        CHECK(std::string(error.what()).ends_with("HTTP 503 asks to wait 30 s, more than 5 s"));
    }
    CHECK(fixture.queries().size() == 2);
}

TEST_CASE("oai harvester: a stop cuts a wait short and sends no further request",
          "[oai_harvester]") {
    Fixture fixture(
        R"({"records": 10, "page_size": 4, "retry_after": {"requests": [3], "seconds": 30}})");
    HarvestPolicy policy = quick_policy();
    policy.max_retry_after = 60s;
    std::stop_source stop;
    policy.stop = stop.get_token();
    std::jthread stopper([&] {
        std::this_thread::sleep_for(300ms);
        stop.request_stop();
    });
    const auto start = Clock::now();
    try {
        harvest(all_of(fixture), policy);
        FAIL("no error");
    } catch (const HarvestError& error) {
        CHECK(std::string(error.what()) == "stopped");
    }
    CHECK(Clock::now() - start < 5s);
    CHECK(fixture.queries().size() == 3);  // Identify, the first page, the second's 503: no retry
}

TEST_CASE("oai harvester: a request still under way stop_grace after a stop is abandoned",
          "[oai_harvester]") {
    Fixture fixture(R"({"records": 10, "page_size": 4, "slow": {"requests": [2], "seconds": 5}})");
    HarvestPolicy policy = quick_policy();
    policy.request_timeout = 10s;
    policy.stop_grace = 200ms;
    std::stop_source stop;
    policy.stop = stop.get_token();
    std::jthread stopper([&] {
        std::this_thread::sleep_for(300ms);
        stop.request_stop();
    });
    const auto start = Clock::now();
    try {
        harvest(all_of(fixture), policy);
        FAIL("no error");
    } catch (const HarvestError& error) {
        CHECK(std::string(error.what()) == "stopped");
    }
    const auto took = Clock::now() - start;
    CHECK(took >= 500ms);
    CHECK(took < 3s);  // not the 5 s of the page
}

TEST_CASE("oai harvester: 5xx answers and timeouts are retried with backoff", "[oai_harvester]") {
    SECTION("two 500s, then the page") {
        Fixture fixture(
            R"({"records": 10, "page_size": 4, "fail": {"requests": [3, 4], "status": 500}})");
        const auto start = Clock::now();
        const Harvest got = harvest(all_of(fixture));
        CHECK(Clock::now() - start >= 150ms);  // 50 ms, then 100 ms
        CHECK(got.identifiers == recs(1, 10));
        CHECK(got.summary.http_retries == 2);
        CHECK(fixture.queries().size() == 6);
    }
    SECTION("a request slower than the timeout") {
        Fixture fixture(
            R"({"records": 10, "page_size": 4, "slow": {"requests": [2], "seconds": 3}})");
        HarvestPolicy policy = quick_policy();
        policy.request_timeout = 500ms;
        const auto start = Clock::now();
        const Harvest got = harvest(all_of(fixture), policy);
        CHECK(Clock::now() - start < 2500ms);
        CHECK(got.identifiers == recs(1, 10));
        CHECK(got.summary.http_retries == 1);
    }
    SECTION("500 at every attempt is an error after the last") {
        Fixture fixture(R"({"fail": {"requests": [2, 3, 4, 5], "status": 500}})");
        try {
            harvest(all_of(fixture));
            FAIL("no error");
        } catch (const HarvestError& error) {
            CHECK(error.http_status() == 500);
            CHECK(std::string(error.what()).ends_with("HTTP 500 (after 3 attempts)"));
        }
        CHECK(fixture.queries().size() == 4);
    }
}

TEST_CASE("oai harvester: a provider that cannot be reached is retried, then an error",
          "[oai_harvester]") {
    HarvestRequest request;
    request.base_url = "http://127.0.0.1:" + std::to_string(free_port()) + "/oai";
    const auto start = Clock::now();
    try {
        harvest(request);
        FAIL("no error");
    } catch (const HarvestError& error) {
        CHECK(error.http_status() == 0);
        CHECK(error.oai_code().empty());
        CHECK(std::string(error.what()).ends_with("(after 3 attempts)"));
    }
    CHECK(Clock::now() - start >= 150ms);
}

TEST_CASE("oai harvester: a 4xx answer fails at once", "[oai_harvester]") {
    Fixture fixture(R"({"fail": {"requests": [2], "status": 404}})");
    try {
        harvest(all_of(fixture));
        FAIL("no error");
    } catch (const HarvestError& error) {
        CHECK(error.http_status() == 404);
        CHECK(std::string(error.what()) == fixture.base_url() + "?" + kFirstPage + ": HTTP 404");
    }
    CHECK(fixture.queries().size() == 2);
}

TEST_CASE("oai harvester: gzip and deflate answers are asked for and decoded", "[oai_harvester]") {
    for (const std::string& coding : std::vector<std::string>{"gzip", "deflate"}) {
        Fixture fixture(R"({"records": 10, "page_size": 4, "encoding": ")" + coding + "\"}");
        CHECK(harvest(all_of(fixture)).identifiers == recs(1, 10));
        const std::vector<Logged> requests = fixture.requests();
        REQUIRE(requests.size() == 4);
        for (const Logged& request : requests) {
            CHECK(request.accept_encoding.find(coding) != std::string::npos);
            CHECK(request.coding == coding);
        }
    }
}

TEST_CASE("oai harvester: an expired resumption token restarts the list from `from`, once",
          "[oai_harvester]") {
    SECTION("once: the list is read again from the start, twice-seen records passed on") {
        Fixture fixture(
            R"({"records": 10, "page_size": 4, "expire_token": {"page": 3, "times": 1}})");
        HarvestRequest request = all_of(fixture);
        request.from = "2024-01-01";
        const Harvest got = harvest(request);
        std::vector<std::string> expected = recs(1, 8);
        for (const std::string& id : recs(1, 10)) expected.push_back(id);
        CHECK(got.identifiers == expected);
        CHECK(got.summary.restarted);
        CHECK(got.summary.records == 18);
        CHECK(got.summary.pages == 5);
        CHECK(got.summary.http_retries == 0);
        const std::vector<std::string> queries = fixture.queries();
        REQUIRE(queries.size() == 7);
        CHECK(queries[1] == kFirstPage + "&from=2024-01-01");
        CHECK(queries[4] == queries[1]);
    }
    SECTION("a second refusal is an error") {
        Fixture fixture(
            R"({"records": 10, "page_size": 4, "expire_token": {"page": 2, "times": -1}})");
        try {
            harvest(all_of(fixture));
            FAIL("no error");
        } catch (const HarvestError& error) {
            CHECK(error.oai_code() == "badResumptionToken");
            CHECK(std::string(error.what()) ==
                  "OAI-PMH error badResumptionToken: the token has expired");
        }
        CHECK(fixture.queries().size() == 5);
    }
}

TEST_CASE("oai harvester: a record that is not XML 1.0 is skipped, its neighbours kept",
          "[oai_harvester]") {
    Fixture fixture(
        R"({"records": 8, "page_size": 4,
            "bad_records": {"2": "control", "3": "utf8", "6": "charref"}})");
    const Harvest got = harvest(all_of(fixture));
    CHECK(got.identifiers == std::vector<std::string>{rec(1), rec(4), rec(5), rec(7), rec(8)});
    CHECK(got.summary.records == 5);
    CHECK(got.summary.pages == 2);
    CHECK(got.summary.http_retries == 0);
    CHECK(got.summary.skipped ==
          std::vector<iiifd::SkippedRecord>{
              {rec(2), "character U+0001, which XML 1.0 does not allow"},
              {rec(3), "bytes that are not UTF-8 (0xFF at byte 438 of the record)"},
              {rec(6), "not well-formed XML: xmlParseCharRef: invalid xmlChar value 1"}});
}

TEST_CASE("oai harvester: a page cut short or not OAI-PMH is asked again, then is an error",
          "[oai_harvester]") {
    SECTION("once") {
        Fixture fixture(R"({"records": 10, "page_size": 4, "truncate": {"requests": [3]}})");
        const Harvest got = harvest(all_of(fixture));
        CHECK(got.identifiers == recs(1, 10));
        CHECK(got.summary.http_retries == 1);
        CHECK(got.summary.skipped.empty());
    }
    SECTION("an HTML page served with 200") {
        Fixture fixture(R"({"records": 10, "page_size": 4, "not_oai": {"requests": [2]}})");
        const Harvest got = harvest(all_of(fixture));
        CHECK(got.identifiers == recs(1, 10));
        CHECK(got.summary.http_retries == 1);
    }
    SECTION("at every attempt") {
        Fixture fixture(R"({"records": 10, "page_size": 4, "truncate": {"requests": [2, 3, 4]}})");
        try {
            harvest(all_of(fixture));
            FAIL("no error");
        } catch (const HarvestError& error) {
            CHECK(std::string(error.what()).find(": a broken page: not well-formed XML: ") !=
                  std::string::npos);
            CHECK(std::string(error.what()).ends_with("(after 3 attempts)"));
        }
        CHECK(fixture.queries().size() == 4);
    }
}

TEST_CASE("oai harvester: an answer larger than max_page_bytes is refused", "[oai_harvester]") {
    Fixture fixture(R"({"records": 4, "page_size": 4, "filler": 2000})");
    HarvestPolicy policy = quick_policy();
    policy.max_page_bytes = 4000;
    try {
        harvest(all_of(fixture), policy);
        FAIL("no error");
    } catch (const HarvestError& error) {
        CHECK(std::string(error.what()) ==
              fixture.base_url() + "?" + kFirstPage + ": the answer is larger than 4000 bytes");
    }
    CHECK(fixture.queries().size() == 2);
}

TEST_CASE("oai harvester: the politeness delay separates requests", "[oai_harvester]") {
    Fixture fixture(R"({"records": 10, "page_size": 4})");
    HarvestPolicy policy = quick_policy();
    policy.politeness_delay = 200ms;
    const auto start = Clock::now();
    CHECK(harvest(all_of(fixture), policy).identifiers == recs(1, 10));
    CHECK(Clock::now() - start >= 600ms);  // four requests, three gaps
}

TEST_CASE("oai harvester: a long list goes through with one page in memory at a time",
          "[oai_harvester]") {
    Fixture fixture(R"({"records": 600, "page_size": 50, "filler": 200})");
    HarvestPolicy policy = quick_policy();
    policy.max_page_bytes = 64 * 1024;  // a page is some 35 KB
    long seen = 0;
    std::string last;
    // The heap in use after each page: after the second, it no longer grows with the list.
    std::vector<std::size_t> heap;
    OaiHarvester harvester(policy);
    const HarvestSummary summary = harvester.list_records(
        all_of(fixture),
        [&](const iiifd::HarvestedRecord& record) {
            ++seen;
            last = record.identifier;
        },
        [&](const std::string&, long, long) { heap.push_back(mallinfo2().uordblks); });
    CHECK(seen == 600);
    CHECK(last == rec(600));
    CHECK(summary.pages == 12);
    REQUIRE(heap.size() == 12);
    const auto [low, high] = std::minmax_element(heap.begin() + 1, heap.end());
    INFO("heap in use after pages 2 to 12: " << *low << " to " << *high << " bytes");
    CHECK(*high - *low < 64 * 1024);
}

TEST_CASE("oai harvester: iiifd's own provider is harvested whole, in its granularity",
          "[oai_harvester]") {
    RedisServer redis;
    DaemonOptions options;
    options.extra_config = "[oai]\npage_size = 3\n";
    Daemon iiifd(redis, options);
    constexpr std::int64_t kJan2020 = 1577836800;  // 2020-01-01T00:00:00Z
    std::vector<std::string> expected;
    {
        fs::create_directories(fs::path(iiifd.catalog_path()).parent_path());
        auto writer = catalog_fixtures::open_writer(iiifd.catalog_path());
        writer->set_publication(
            iiifd::publication_settings(iiifd::load_daemon_config(iiifd.config_path())));
        for (int n = 1; n <= 7; ++n) {
            iiif::ObjectRecord record;
            record.ark = "ark:/99999/fk4-1000000" + std::to_string(n) + "-x";
            record.metadata.dc["title"] = {{"Objet " + std::to_string(n), "fr"}};
            record.images = {record.ark + "/f1"};
            record.created = record.updated = record.datestamp = kJan2020 + 60 * n;
            record.state = iiif::RecordState::active;
            iiif::ImageRecord page;
            page.id = record.images.front();
            page.object = record.ark;
            page.index = 1;
            page.master_path = iiifd.storage_root() + "/master.tif";
            page.source.format = iiif::SourceFormat::tiff;
            page.source.width = 2000;
            page.source.height = 1000;
            page.source.levels = {{1, 2000, 1000, 0, 1}};
            page.state = iiif::RecordState::active;
            writer->put(record, {page});
            expected.push_back("oai:127.0.0.1:" + record.ark);
        }
    }
    iiifd.start();
    HarvestRequest request;
    request.base_url = iiifd.url("/oai");
    request.from = "2020-01-01T00:02:00Z";
    const Harvest got = harvest(request);
    CHECK(got.summary.repository.granularity == iiifd::Granularity::seconds);
    CHECK(got.summary.repository.deleted_record == iiifd::DeletedRecordPolicy::persistent);
    CHECK(got.identifiers == std::vector<std::string>(expected.begin() + 1, expected.end()));
    CHECK(got.summary.pages == 2);
    REQUIRE_FALSE(got.records.empty());
    CHECK(got.records[0].datestamp == "2020-01-01T00:02:00Z");
    CHECK(got.records[0].dc.at("title") == std::vector<iiifd::DcValue>{{"Objet 2", "fr"}});
}
