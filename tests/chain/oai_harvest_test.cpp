// OAI-PMH end to end: an aggregator's client (Debian's libhttp-oai-perl, tests/harvest/harvest.pl)
// harvests a 10,000-record catalog from the real iiifd through the real nginx (proxy_pass on
// /oai, as deployed), following every resumptionToken, and gets each record exactly once, the
// withdrawn ones as deleted records.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "api_harness.hpp"
#include "catalog.hpp"
#include "daemon_config.hpp"
#include "nginx_harness.hpp"
#include "oai_request.hpp"
#include "test_images.hpp"

namespace {

constexpr int kRecords = 10000;
constexpr int kWithdrawnEvery = 100;
constexpr int kPageSize = 100;
constexpr std::int64_t kFirstDatestamp = 1'750'000'000;  // 2025-06-15T15:06:40Z
constexpr const char* kRepository = "images.example.org";
const std::string kHarvester = IIIF_SOURCE_DIR "/tests/harvest/harvest.pl";

struct Expected {
    std::map<std::string, std::string> titles;  // oai identifier -> title (active records)
    std::set<std::string> deleted;              // oai identifiers of withdrawn records
    std::map<std::string, std::int64_t> datestamps;
    std::map<std::string, std::set<std::string>> sets;  // oai identifier -> its sets
};

// Three records a second, in sets "fonds:a" or "fonds:b", every fifth also in "theme:maps";
// every hundredth withdrawn an hour later.
Expected fill_catalog(const daemon_harness::Daemon& iiifd) {
    std::filesystem::create_directories(std::filesystem::path(iiifd.catalog_path()).parent_path());
    std::string error;
    auto writer = iiif::CatalogWriter::open(iiifd.catalog_path(), &error);
    REQUIRE(writer);
    const iiifd::DaemonConfig config = iiifd::load_daemon_config(iiifd.config_path());
    writer->set_publication(iiifd::publication_settings(config));

    Expected expected;
    std::set<std::string> arks;
    std::vector<iiif::CatalogWriter::Entry> batch;
    std::vector<std::string> order;
    for (int i = 0; i < kRecords; ++i) {
        std::string ark;
        do {
            ark = "ark:/99999/" + iiif::mint_ark_name("99999", "fk4", iiif::CheckProfile::noid);
        } while (!arks.insert(ark).second);
        iiif::CatalogWriter::Entry entry;
        iiif::ObjectRecord& object = entry.object;
        object.ark = ark;
        object.state = iiif::RecordState::active;
        object.created = object.updated = object.datestamp = kFirstDatestamp + i / 3;
        const std::string title = "Notice " + std::to_string(i) + " — Lyon";
        object.metadata.dc["title"] = {{title, "fr"}};
        object.metadata.sets = {i % 2 == 0 ? "fonds:a" : "fonds:b"};
        if (i % 5 == 0) object.metadata.sets.push_back("theme:maps");
        const std::string identifier = std::string("oai:") + kRepository + ":" + ark;
        expected.titles[identifier] = title;
        expected.datestamps[identifier] = object.datestamp;
        expected.sets[identifier] = {object.metadata.sets.begin(), object.metadata.sets.end()};
        order.push_back(ark);
        batch.push_back(std::move(entry));
        if (batch.size() == 1000) {
            writer->put_many(batch);
            batch.clear();
        }
    }
    writer->put_many(batch);
    for (int i = kWithdrawnEvery - 1; i < kRecords; i += kWithdrawnEvery) {
        const std::string identifier = std::string("oai:") + kRepository + ":" + order[i];
        const std::int64_t when = kFirstDatestamp + 3600 + i;
        writer->withdraw(order[i], "withdrawn for the test", when);
        expected.titles.erase(identifier);
        expected.deleted.insert(identifier);
        expected.datestamps[identifier] = when;
    }
    return expected;
}

struct Harvested {
    std::string id;
    bool deleted = false;
    std::string datestamp;
    std::string title;
};

// Runs harvest.pl; its records, in the order received.
std::vector<Harvested> harvest(const std::string& base, const std::string& verb,
                               const std::string& prefix, const std::string& set = "",
                               const std::string& from = "", const std::string& until = "") {
    const std::string out =
        (test_images::scratch_dir() / ("harvest-" + verb + "-" + prefix + ".tsv")).string();
    daemon_harness::CommandResult result = daemon_harness::run(
        {"/usr/bin/perl", kHarvester, base, verb, prefix, out, set, from, until});
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    std::vector<Harvested> records;
    std::ifstream in(out);
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        Harvested record;
        std::string status;
        std::getline(fields, record.id, '\t');
        std::getline(fields, status, '\t');
        std::getline(fields, record.datestamp, '\t');
        std::getline(fields, record.title, '\t');
        record.deleted = status == "deleted";
        records.push_back(std::move(record));
    }
    return records;
}

// How many requests of this verb the access log holds, and whether all were answered 200.
std::pair<int, bool> logged_requests(const integration::Nginx& nginx, const std::string& verb) {
    std::ifstream log(nginx.path("access.log"));
    int count = 0;
    bool all_ok = true;
    for (std::string line; std::getline(log, line);) {
        if (line.find("/oai?verb=" + verb) == std::string::npos) continue;
        ++count;
        all_ok = all_ok && line.find(" 200 ") != std::string::npos;
    }
    return {count, all_ok};
}

}  // namespace

TEST_CASE(
    "chain: an OAI-PMH client harvests 10,000 records through nginx, each exactly once, "
    "deletions included",
    "[chain][oai]") {
    daemon_harness::RedisServer redis;
    daemon_harness::DaemonOptions options;
    options.hot_folder = false;
    options.extra_config =
        "[oai]\npage_size = " + std::to_string(kPageSize) + "\nadmin_email = \"oai@example.org\"\n";
    daemon_harness::Daemon iiifd(redis, options);
    // The repository identifier of oai identifiers comes from [public]: the harness's config
    // has none, so base_url's host would be used; the test names one.
    {
        std::string config = daemon_harness::read_file(iiifd.config_path());
        const std::string marker = "[public]\n";
        config.insert(config.find(marker) + marker.size(),
                      std::string("oai_repository_identifier = \"") + kRepository + "\"\n");
        daemon_harness::write_file(iiifd.config_path(), config);
    }
    const Expected expected = fill_catalog(iiifd);
    iiifd.start();

    integration::NginxOptions nginx_options;
    nginx_options.iiif_locations = false;
    nginx_options.server_extra = "location /oai { proxy_pass " + iiifd.url("/oai") + "; }";
    integration::Nginx nginx(nginx_options);
    nginx.start();
    const std::string base = nginx.url("/oai");

    SECTION("ListRecords in oai_dc: every record once, in datestamp order, over 100 pages") {
        std::vector<Harvested> records = harvest(base, "ListRecords", "oai_dc");
        REQUIRE(records.size() == static_cast<size_t>(kRecords));
        std::set<std::string> seen;
        size_t deleted = 0;
        for (const Harvested& record : records) {
            CHECK(seen.insert(record.id).second);
            REQUIRE(expected.datestamps.count(record.id) == 1);
            CHECK(record.datestamp == iiif::format_utc_datetime(expected.datestamps.at(record.id)));
            if (record.deleted) {
                ++deleted;
                CHECK(expected.deleted.count(record.id) == 1);
                CHECK(record.title.empty());
            } else {
                CHECK(record.title == expected.titles.at(record.id));
            }
        }
        CHECK(deleted == expected.deleted.size());
        CHECK(deleted == static_cast<size_t>(kRecords / kWithdrawnEvery));
        CHECK(std::is_sorted(
            records.begin(), records.end(),
            [](const Harvested& a, const Harvested& b) { return a.datestamp < b.datestamp; }));
        // One request per page of 100, each answered 200.
        CHECK(logged_requests(nginx, "ListRecords") ==
              std::pair<int, bool>{kRecords / kPageSize, true});
    }

    SECTION("ListIdentifiers in edm: every header once, over 20 pages of 500") {
        std::vector<Harvested> headers = harvest(base, "ListIdentifiers", "edm");
        REQUIRE(headers.size() == static_cast<size_t>(kRecords));
        std::set<std::string> ids;
        size_t deleted = 0;
        for (const Harvested& header : headers) {
            ids.insert(header.id);
            deleted += header.deleted ? 1 : 0;
        }
        CHECK(ids.size() == static_cast<size_t>(kRecords));
        CHECK(deleted == static_cast<size_t>(kRecords / kWithdrawnEvery));
        CHECK(logged_requests(nginx, "ListIdentifiers") ==
              std::pair<int, bool>{kRecords / (5 * kPageSize), true});
    }

    SECTION("a selective harvest by set and dates gets exactly the records that match") {
        // theme:maps, over the first hour plus the withdrawals of that span: every fifth record
        // with a datestamp in the window.
        const std::int64_t from = kFirstDatestamp + 600;
        const std::int64_t until = kFirstDatestamp + 1799;
        std::set<std::string> wanted;
        for (const auto& [id, datestamp] : expected.datestamps)
            if (datestamp >= from && datestamp <= until && expected.sets.at(id).count("theme:maps"))
                wanted.insert(id);
        REQUIRE(wanted.size() == 720);
        std::vector<Harvested> records =
            harvest(base, "ListRecords", "oai_dc", "theme:maps", iiif::format_utc_datetime(from),
                    iiif::format_utc_datetime(until));
        std::set<std::string> got;
        for (const Harvested& record : records) CHECK(got.insert(record.id).second);
        CHECK(got == wanted);
    }
}
