// iiifd's metrics (metrics.hpp): the registry's counters and histograms and their text in the
// Prometheus exposition format, exactly; then GET /metrics of the real iiifd with a real
// redis-server, after a deposit, OAI-PMH requests and harvests, with Redis up and down.
#include "metrics.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.hpp"
#include "oai_fixture.hpp"
#include "test_images.hpp"

using namespace daemon_harness;
using namespace std::chrono_literals;

namespace {

// The lines of one metric in a scrape: its HELP and TYPE lines and its samples (those whose
// name is `name` or `name` followed by _bucket, _sum or _count).
std::string family(const std::string& text, const std::string& name) {
    std::istringstream lines(text);
    std::string out;
    for (std::string line; std::getline(lines, line);) {
        const bool comment =
            line.starts_with("# HELP " + name + " ") || line.starts_with("# TYPE " + name + " ");
        bool sample = false;
        for (const char* suffix : {"", "_bucket", "_sum", "_count"}) {
            const std::string series = name + suffix;
            sample = sample || line.starts_with(series + " ") || line.starts_with(series + "{");
        }
        if (comment || sample) out += line + "\n";
    }
    return out;
}

// Each sample of a scrape: its name and labels, as written, to its value.
std::map<std::string, std::string> samples(const std::string& text) {
    std::map<std::string, std::string> found;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line.starts_with("#")) continue;
        const size_t space = line.rfind(' ');
        found[line.substr(0, space)] = line.substr(space + 1);
    }
    return found;
}

// The samples whose series starts with `prefix`.
std::map<std::string, std::string> samples(const std::string& text, const std::string& prefix) {
    std::map<std::string, std::string> found;
    for (const auto& [series, value] : samples(text))
        if (series.starts_with(prefix)) found[series] = value;
    return found;
}

const std::string kConversionBuckets[] = {"0.1", "0.25", "0.5", "1",   "2.5", "5",   "10",
                                          "30",  "60",   "120", "300", "600", "+Inf"};
const std::string kIngestBuckets[] = {"0.5", "1",   "2.5", "5",    "10",   "30",  "60",
                                      "120", "300", "600", "1800", "3600", "+Inf"};

// A histogram's bucket lines with these cumulative counts, then its sum and count.
std::string histogram_lines(const std::string& name, const std::string (&bounds)[13],
                            const std::vector<int>& cumulative, const std::string& sum) {
    std::string out;
    for (size_t i = 0; i < 13; ++i)
        out += name + "_bucket{le=\"" + bounds[i] + "\"} " + std::to_string(cumulative[i]) + "\n";
    return out + name + "_sum " + sum + "\n" + name + "_count " +
           std::to_string(cumulative.back()) + "\n";
}

// A job's files in these states.
std::vector<iiifd::FileOutcome> files(std::initializer_list<iiifd::FileState> states) {
    std::vector<iiifd::FileOutcome> outcomes;
    for (iiifd::FileState state : states) {
        iiifd::FileOutcome outcome;
        outcome.state = state;
        outcomes.push_back(outcome);
    }
    return outcomes;
}

const iiifd::QueueDepth kEmptyQueue{0, 0};

const std::string kEmptyScrape =
    R"(# HELP iiifd_jobs_total Ingest jobs finished since iiifd started, by final state.
# TYPE iiifd_jobs_total counter
iiifd_jobs_total{state="done"} 0
iiifd_jobs_total{state="failed"} 0
# HELP iiifd_files_total Files of the finished ingest jobs, by state (refused: not an image, damaged, over a limit).
# TYPE iiifd_files_total counter
iiifd_files_total{state="done"} 0
iiifd_files_total{state="failed"} 0
iiifd_files_total{state="refused"} 0
# HELP iiifd_ingest_seconds Time an ingest job took, from its start to its outcome recorded.
# TYPE iiifd_ingest_seconds histogram
iiifd_ingest_seconds_bucket{le="0.5"} 0
iiifd_ingest_seconds_bucket{le="1"} 0
iiifd_ingest_seconds_bucket{le="2.5"} 0
iiifd_ingest_seconds_bucket{le="5"} 0
iiifd_ingest_seconds_bucket{le="10"} 0
iiifd_ingest_seconds_bucket{le="30"} 0
iiifd_ingest_seconds_bucket{le="60"} 0
iiifd_ingest_seconds_bucket{le="120"} 0
iiifd_ingest_seconds_bucket{le="300"} 0
iiifd_ingest_seconds_bucket{le="600"} 0
iiifd_ingest_seconds_bucket{le="1800"} 0
iiifd_ingest_seconds_bucket{le="3600"} 0
iiifd_ingest_seconds_bucket{le="+Inf"} 0
iiifd_ingest_seconds_sum 0
iiifd_ingest_seconds_count 0
# HELP iiifd_conversion_seconds Time one original took to become its pyramidal master.
# TYPE iiifd_conversion_seconds histogram
iiifd_conversion_seconds_bucket{le="0.1"} 0
iiifd_conversion_seconds_bucket{le="0.25"} 0
iiifd_conversion_seconds_bucket{le="0.5"} 0
iiifd_conversion_seconds_bucket{le="1"} 0
iiifd_conversion_seconds_bucket{le="2.5"} 0
iiifd_conversion_seconds_bucket{le="5"} 0
iiifd_conversion_seconds_bucket{le="10"} 0
iiifd_conversion_seconds_bucket{le="30"} 0
iiifd_conversion_seconds_bucket{le="60"} 0
iiifd_conversion_seconds_bucket{le="120"} 0
iiifd_conversion_seconds_bucket{le="300"} 0
iiifd_conversion_seconds_bucket{le="600"} 0
iiifd_conversion_seconds_bucket{le="+Inf"} 0
iiifd_conversion_seconds_sum 0
iiifd_conversion_seconds_count 0
# HELP iiifd_jobs_handed_over_total Ingest jobs this node's workers converted and handed over to the writer to record.
# TYPE iiifd_jobs_handed_over_total counter
iiifd_jobs_handed_over_total 0
# HELP iiifd_oai_requests_total OAI-PMH requests answered, by verb (other: none or not one of the six) and HTTP status.
# TYPE iiifd_oai_requests_total counter
# HELP iiifd_harvest_runs_total Harvests run by iiifd's harvest thread, by partner and outcome.
# TYPE iiifd_harvest_runs_total counter
# HELP iiifd_redis_up Whether Redis answered this scrape (1) or not (0).
# TYPE iiifd_redis_up gauge
iiifd_redis_up 1
# HELP iiifd_ingest_queue_entries Jobs in the ingest stream: queued or under way (XLEN).
# TYPE iiifd_ingest_queue_entries gauge
iiifd_ingest_queue_entries 0
# HELP iiifd_ingest_queue_pending Jobs delivered to a worker and not yet finished (XPENDING of the consumer group).
# TYPE iiifd_ingest_queue_pending gauge
iiifd_ingest_queue_pending 0
# HELP iiifd_record_queue_entries Jobs delivery nodes converted, waiting for the writer to record them (XLEN of the record stream).
# TYPE iiifd_record_queue_entries gauge
iiifd_record_queue_entries 0
)";

// Polls `done` every 50 ms for at most `timeout`: whether it came true.
bool eventually(const std::function<bool()>& done, std::chrono::seconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return done();
}

// [partners."id"] of iiifd.toml for a fixture, harvested on request only.
std::string partner_toml(const std::string& id, const Fixture& fixture) {
    return "[partners.\"" + id + "\"]\nname = \"Fixture " + id + "\"\nbase_url = \"" +
           fixture.base_url() + "\"\ndelay_ms = 0\nschedule_hours = 0\n";
}

HttpResponse scrape(const Daemon& iiifd) {
    return http("GET", iiifd.url("/metrics"), {});
}

}  // namespace

TEST_CASE("metrics: a scrape before anything is counted, every metric with its HELP and TYPE",
          "[metrics]") {
    const iiifd::Metrics metrics;
    CHECK(metrics.exposition(kEmptyQueue) == kEmptyScrape);
}

TEST_CASE("metrics: jobs and their files counted by state, their times in the ingest histogram",
          "[metrics]") {
    using iiifd::FileState;
    iiifd::Metrics metrics;
    metrics.job_finished(iiifd::JobState::done, 0.5,
                         files({FileState::done, FileState::refused, FileState::done}));
    metrics.job_finished(iiifd::JobState::failed, 4000, files({FileState::failed}));
    metrics.job_finished(iiifd::JobState::done, 2.25, files({FileState::done}));
    const std::string text = metrics.exposition(kEmptyQueue);

    CHECK(family(text, "iiifd_jobs_total") ==
          "# HELP iiifd_jobs_total Ingest jobs finished since iiifd started, by final state.\n"
          "# TYPE iiifd_jobs_total counter\n"
          "iiifd_jobs_total{state=\"done\"} 2\n"
          "iiifd_jobs_total{state=\"failed\"} 1\n");
    CHECK(samples(text, "iiifd_files_total") ==
          std::map<std::string, std::string>{{"iiifd_files_total{state=\"done\"}", "3"},
                                             {"iiifd_files_total{state=\"failed\"}", "1"},
                                             {"iiifd_files_total{state=\"refused\"}", "1"}});
    // 0.5 is counted under its own bound (le: less or equal); 4000 under +Inf alone.
    CHECK(family(text, "iiifd_ingest_seconds") ==
          "# HELP iiifd_ingest_seconds Time an ingest job took, from its start to its outcome "
          "recorded.\n"
          "# TYPE iiifd_ingest_seconds histogram\n" +
              histogram_lines("iiifd_ingest_seconds", kIngestBuckets,
                              {1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3}, "4002.75"));
    CHECK(family(text, "iiifd_conversion_seconds") ==
          family(kEmptyScrape, "iiifd_conversion_seconds"));
}

TEST_CASE("metrics: conversions in their histogram, a value on a bound counted under it",
          "[metrics]") {
    iiifd::Metrics metrics;
    for (double seconds : {0.25, 0.5, 0.0625, 700.0}) metrics.conversion_took(seconds);
    CHECK(family(metrics.exposition(kEmptyQueue), "iiifd_conversion_seconds") ==
          "# HELP iiifd_conversion_seconds Time one original took to become its pyramidal "
          "master.\n"
          "# TYPE iiifd_conversion_seconds histogram\n" +
              histogram_lines("iiifd_conversion_seconds", kConversionBuckets,
                              {1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4}, "700.8125"));
}

TEST_CASE("metrics: OAI-PMH answers by verb and status, harvests by partner and outcome",
          "[metrics]") {
    iiifd::Metrics metrics;
    metrics.oai_answered("Identify", 200);
    metrics.oai_answered("ListRecords", 200);
    metrics.oai_answered("Identify", 200);
    metrics.oai_answered("other", 200);
    metrics.oai_answered("ListRecords", 503);
    metrics.harvest_ran("bnf", "done");
    metrics.harvest_ran("bnf", "failed");
    metrics.harvest_ran("bnf", "done");
    metrics.harvest_ran("archives-61", "failed");
    const std::string text = metrics.exposition(kEmptyQueue);

    CHECK(family(text, "iiifd_oai_requests_total") ==
          "# HELP iiifd_oai_requests_total OAI-PMH requests answered, by verb (other: none or not "
          "one of the six) and HTTP status.\n"
          "# TYPE iiifd_oai_requests_total counter\n"
          "iiifd_oai_requests_total{verb=\"Identify\",status=\"200\"} 2\n"
          "iiifd_oai_requests_total{verb=\"ListRecords\",status=\"200\"} 1\n"
          "iiifd_oai_requests_total{verb=\"ListRecords\",status=\"503\"} 1\n"
          "iiifd_oai_requests_total{verb=\"other\",status=\"200\"} 1\n");
    CHECK(family(text, "iiifd_harvest_runs_total") ==
          "# HELP iiifd_harvest_runs_total Harvests run by iiifd's harvest thread, by partner and "
          "outcome.\n"
          "# TYPE iiifd_harvest_runs_total counter\n"
          "iiifd_harvest_runs_total{partner=\"archives-61\",outcome=\"failed\"} 1\n"
          "iiifd_harvest_runs_total{partner=\"bnf\",outcome=\"done\"} 2\n"
          "iiifd_harvest_runs_total{partner=\"bnf\",outcome=\"failed\"} 1\n");
}

TEST_CASE("metrics: a label value's backslash, double quote and line feed are escaped",
          "[metrics]") {
    iiifd::Metrics metrics;
    metrics.harvest_ran("a\"b\\c\nd é", "done");
    CHECK(samples(metrics.exposition(kEmptyQueue), "iiifd_harvest_runs_total") ==
          std::map<std::string, std::string>{
              {R"(iiifd_harvest_runs_total{partner="a\"b\\c\nd é",outcome="done"})", "1"}});
}

TEST_CASE("metrics: without Redis, iiifd_redis_up 0 and no queue gauges, the counters kept",
          "[metrics]") {
    iiifd::Metrics metrics;
    metrics.oai_answered("Identify", 200);
    const std::string text = metrics.exposition(std::nullopt);
    CHECK(family(text, "iiifd_redis_up") ==
          "# HELP iiifd_redis_up Whether Redis answered this scrape (1) or not (0).\n"
          "# TYPE iiifd_redis_up gauge\n"
          "iiifd_redis_up 0\n");
    CHECK(text.ends_with("iiifd_redis_up 0\n"));
    CHECK(text.find("iiifd_ingest_queue") == std::string::npos);
    CHECK(samples(text, "iiifd_oai_requests_total") ==
          std::map<std::string, std::string>{
              {R"(iiifd_oai_requests_total{verb="Identify",status="200"})", "1"}});

    CHECK(samples(metrics.exposition(iiifd::QueueDepth{7, 2}), "iiifd_ingest_queue") ==
          std::map<std::string, std::string>{{"iiifd_ingest_queue_entries", "7"},
                                             {"iiifd_ingest_queue_pending", "2"}});
}

TEST_CASE("metrics: counts from several threads at once are all kept", "[metrics]") {
    iiifd::Metrics metrics;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&metrics] {
            for (int i = 0; i < 5000; ++i) {
                metrics.oai_answered("ListRecords", 200);
                metrics.conversion_took(1.0);
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    const auto found = samples(metrics.exposition(kEmptyQueue));
    CHECK(found.at(R"(iiifd_oai_requests_total{verb="ListRecords",status="200"})") == "20000");
    CHECK(found.at("iiifd_conversion_seconds_count") == "20000");
    CHECK(found.at("iiifd_conversion_seconds_sum") == "20000");
    CHECK(found.at(R"(iiifd_conversion_seconds_bucket{le="0.5"})") == "0");
    CHECK(found.at(R"(iiifd_conversion_seconds_bucket{le="1"})") == "20000");
}

TEST_CASE("metrics: a histogram's bounds must increase", "[metrics]") {
    CHECK_THROWS_AS(iiifd::Histogram({1, 0.5}), std::invalid_argument);
    CHECK_THROWS_AS(iiifd::Histogram({1, 1}), std::invalid_argument);
    iiifd::Histogram none({});
    none.observe(3);
    const iiifd::Histogram::Snapshot taken = none.snapshot();
    CHECK(taken.cumulative == std::vector<std::uint64_t>{1});
    CHECK(taken.count == 1);
    CHECK(taken.sum == 3);
}

TEST_CASE("metrics: GET /metrics after a deposit and OAI-PMH requests, exact counts, no key",
          "[metrics]") {
    RedisServer redis;
    DaemonOptions options;
    options.hot_folder = false;
    Daemon iiifd(redis, options);
    iiifd.start();

    const HttpResponse first = scrape(iiifd);
    REQUIRE(first.status == 200);
    CHECK(first.body == kEmptyScrape);

    const HttpResponse deposit =
        iiifd.post_object({test_images::save(test_images::quadrants(), "metrics.jpg")});
    REQUIRE(deposit.status == 202);
    REQUIRE(json_text(iiifd.wait_for_job(json_text(deposit.body, "job")), "state") == "done");
    const std::string text_path = (test_images::scratch_dir() / "metrics.txt").string();
    write_file(text_path, "not an image\n");
    const HttpResponse refused = iiifd.post_object({text_path});
    REQUIRE(refused.status == 202);
    REQUIRE(json_text(iiifd.wait_for_job(json_text(refused.body, "job")), "state") == "failed");

    CHECK(http("GET", iiifd.url("/oai?verb=Identify"), {}).status == 200);
    // badVerb is an OAI-PMH answer, with HTTP 200; its verb is counted as "other".
    CHECK(http("GET", iiifd.url("/oai?verb=Nothing"), {}).status == 200);
    CHECK(http("POST", iiifd.url("/oai?verb=Identify"), {"Content-Type: text/plain"}, "x").status ==
          415);

    // A job is counted once its worker has recorded its outcome, which the job's status shows
    // a moment before.
    HttpResponse answer;
    REQUIRE(eventually([&] {
        answer = scrape(iiifd);
        return samples(answer.body, "iiifd_jobs_total{state=\"failed\"}") ==
               std::map<std::string, std::string>{{"iiifd_jobs_total{state=\"failed\"}", "1"}};
    }));
    CHECK(answer.status == 200);
    CHECK(answer.headers.find("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n") !=
          std::string::npos);
    const std::string& text = answer.body;
    const auto found = samples(text);
    CHECK(samples(text, "iiifd_jobs_total") ==
          std::map<std::string, std::string>{{R"(iiifd_jobs_total{state="done"})", "1"},
                                             {R"(iiifd_jobs_total{state="failed"})", "1"}});
    CHECK(samples(text, "iiifd_files_total") ==
          std::map<std::string, std::string>{{R"(iiifd_files_total{state="done"})", "1"},
                                             {R"(iiifd_files_total{state="failed"})", "0"},
                                             {R"(iiifd_files_total{state="refused"})", "1"}});
    CHECK(found.at("iiifd_ingest_seconds_count") == "2");
    CHECK(found.at(R"(iiifd_ingest_seconds_bucket{le="+Inf"})") == "2");
    CHECK(found.at("iiifd_conversion_seconds_count") == "1");
    CHECK(found.at(R"(iiifd_conversion_seconds_bucket{le="+Inf"})") == "1");
    CHECK(std::stod(found.at("iiifd_conversion_seconds_sum")) > 0);
    CHECK(std::stod(found.at("iiifd_ingest_seconds_sum")) >=
          std::stod(found.at("iiifd_conversion_seconds_sum")));
    CHECK(samples(text, "iiifd_oai_requests_total") ==
          std::map<std::string, std::string>{
              {R"(iiifd_oai_requests_total{verb="Identify",status="200"})", "1"},
              {R"(iiifd_oai_requests_total{verb="Identify",status="415"})", "1"},
              {R"(iiifd_oai_requests_total{verb="other",status="200"})", "1"}});
    CHECK(samples(text, "iiifd_harvest_runs_total").empty());
    CHECK(found.at("iiifd_redis_up") == "1");
    CHECK(found.at("iiifd_ingest_queue_entries") == "0");
    CHECK(found.at("iiifd_ingest_queue_pending") == "0");

    // Redis gone: still 200, the counters as they were, no queue.
    redis.stop();
    const HttpResponse down = scrape(iiifd);
    CHECK(down.status == 200);
    const auto without = samples(down.body);
    CHECK(without.at("iiifd_redis_up") == "0");
    CHECK(without.count("iiifd_ingest_queue_entries") == 0);
    CHECK(without.count("iiifd_ingest_queue_pending") == 0);
    CHECK(samples(down.body, "iiifd_jobs_total") == samples(text, "iiifd_jobs_total"));
    CHECK(samples(down.body, "iiifd_oai_requests_total") ==
          samples(text, "iiifd_oai_requests_total"));

    redis.start();
    CHECK(samples(scrape(iiifd).body, "iiifd_redis_up") ==
          std::map<std::string, std::string>{{"iiifd_redis_up", "1"}});
}

TEST_CASE("metrics: the harvest thread's runs by partner and outcome", "[metrics]") {
    Fixture good(R"({"records": 3, "page_size": 2})");
    // Identify answered 404: the run fails at once.
    Fixture broken(R"({"fail": {"requests": [1], "status": 404}})");
    RedisServer redis;
    DaemonOptions options;
    options.hot_folder = false;
    options.extra_config = partner_toml("fixture", good) + partner_toml("broken", broken);
    Daemon iiifd(redis, options);
    iiifd.start();

    for (const char* partner : {"fixture", "broken"}) {
        INFO(partner);
        REQUIRE(http("POST", iiifd.url(std::string("/api/v1/partners/") + partner + "/harvests"),
                     iiifd.auth())
                    .status == 202);
        // One at a time: the next is asked for once this one is counted.
        REQUIRE(eventually([&] {
            return samples(scrape(iiifd).body,
                           "iiifd_harvest_runs_total{partner=\"" + std::string(partner) + "\"")
                       .size() == 1;
        }));
    }
    CHECK(samples(scrape(iiifd).body, "iiifd_harvest_runs_total") ==
          std::map<std::string, std::string>{
              {R"(iiifd_harvest_runs_total{partner="broken",outcome="failed"})", "1"},
              {R"(iiifd_harvest_runs_total{partner="fixture",outcome="done"})", "1"}});
}
