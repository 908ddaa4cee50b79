// A harvest killed: the real `iiifd harvest`, run as a child against a slow partner
// (tests/harvest/fixture_provider.py, a delay on every page), is killed with SIGKILL at three
// points of its run, each time started again, and finally run to its end. However it was cut,
// every record of the partner is then one object under one ARK: identifiers.tsv names each
// record and each ARK once, the catalog and the storage root hold the same objects, and their
// titles are the partner's.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.hpp"
#include "catalog.hpp"
#include "oai_fixture.hpp"
#include "object_store.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// 80 records over 10 pages of 8, three of them deleted at the source; each answer a fifth of a
// second late, so that a run lasts about 2 s and is killed while it is under way.
constexpr int kRecords = 80;
constexpr int kPageSize = 8;
const std::set<int> kDeleted = {5, 30, 62};
constexpr int kLive = kRecords - 3;
const std::string kFixtureConfig = R"({"records": 80, "page_size": 8, "deleted": [5, 30, 62],
                                       "delay": 0.2})";

std::string identifier_of(int i) {
    char number[8];
    std::snprintf(number, sizeof number, "%04d", i);
    return std::string("oai:fixture.example.org:rec-") + number;
}

// `iiifd harvest fixture` on the portal's configuration, a child of the test (it dies with
// it), its standard output and error to files of the portal's directory.
class HarvestProcess {
  public:
    HarvestProcess(const daemon_harness::Daemon& portal, int run)
        : out_(portal.dir() + "/harvest-" + std::to_string(run) + ".out"),
          err_(portal.dir() + "/harvest-" + std::to_string(run) + ".err") {
        const std::vector<std::string> arguments = {IIIFD_PATH, "harvest", "fixture", "-c",
                                                    portal.config_path()};
        pid_ = daemon_harness::spawn(arguments, out_, err_);
    }
    ~HarvestProcess() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    HarvestProcess(const HarvestProcess&) = delete;
    HarvestProcess& operator=(const HarvestProcess&) = delete;

    // Polls `reached` every millisecond until it holds, then kills the harvest with SIGKILL;
    // true when it was killed, false when it ended first or `reached` never held in 30 s.
    bool kill_when(const std::function<bool()>& reached) {
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (!reached()) {
            if (waitpid(pid_, &status_, WNOHANG) == pid_ ||
                std::chrono::steady_clock::now() > deadline)
                return false;
            std::this_thread::sleep_for(1ms);
        }
        kill(pid_, SIGKILL);
        waitpid(pid_, &status_, 0);
        pid_ = -1;
        return WIFSIGNALED(status_) && WTERMSIG(status_) == SIGKILL;
    }

    // Waits for the end of the run (at most 60 s); its exit status, -1 when it did not exit.
    int wait() {
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (waitpid(pid_, &status_, WNOHANG) != pid_) {
            if (std::chrono::steady_clock::now() > deadline) return -1;
            std::this_thread::sleep_for(10ms);
        }
        pid_ = -1;
        return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
    }

    std::string output() const { return daemon_harness::read_file(out_); }
    std::string errors() const { return daemon_harness::read_file(err_); }

  private:
    std::string out_;
    std::string err_;
    pid_t pid_ = -1;
    int status_ = 0;
};

// What the portal holds, read from its files while a harvest may be writing them.
struct Portal {
    const daemon_harness::Daemon& iiifd;

    std::string identifiers_file() const {
        return iiifd.storage_root() + "/harvests/fixture/identifiers.tsv";
    }

    // identifiers.tsv's lines, split at the tab: {identifier, ARK}.
    std::vector<std::pair<std::string, std::string>> noted() const {
        std::vector<std::pair<std::string, std::string>> pairs;
        const std::string text = daemon_harness::read_file(identifiers_file());
        size_t start = 0;
        for (size_t end = text.find('\n'); end != std::string::npos;
             start = end + 1, end = text.find('\n', start)) {
            const std::string line = text.substr(start, end - start);
            const size_t tab = line.find('\t');
            pairs.emplace_back(line.substr(0, tab),
                               tab == std::string::npos ? "" : line.substr(tab + 1));
        }
        return pairs;
    }

    // Every object of the catalog, read beside a harvest that writes it; none before the
    // harvest has made the catalog.
    std::vector<iiif::ObjectRecord> catalogued() const {
        std::string error;
        auto reader = iiif::CatalogReader::open(iiifd.catalog_path(), &error);
        return reader ? reader->objects_by_date({}, 0, 0) : std::vector<iiif::ObjectRecord>{};
    }

    // The ARK of every object.json under the storage root, once each time it is found.
    std::multiset<std::string> stored() const {
        std::multiset<std::string> arks;
        if (!fs::exists(iiifd.storage_root())) return arks;
        for (const auto& entry : fs::recursive_directory_iterator(iiifd.storage_root()))
            if (entry.is_regular_file() &&
                iiifd::ObjectStore::is_object_file(entry.path().filename().string()))
                arks.insert(iiifd::ObjectStore::read(entry.path().string()).object.ark);
        return arks;
    }
};

}  // namespace

TEST_CASE(
    "harvest crash: iiifd harvest killed with SIGKILL at three points, then run to its end, "
    "makes each record one object, once",
    "[harvest_crash]") {
    daemon_harness::Fixture fixture(kFixtureConfig);
    daemon_harness::RedisServer redis;
    daemon_harness::DaemonOptions options;
    options.hot_folder = false;
    options.extra_config = "[partners.\"fixture\"]\nname = \"Fixture Library\"\nbase_url = \"" +
                           fixture.base_url() + "\"\ndelay_ms = 0\n";
    const daemon_harness::Daemon iiifd(redis, options);  // never started: its configuration
    const Portal portal{iiifd};

    // Where each run was killed: the run, then the ARKs noted and the objects catalogued and
    // stored just after; shown when a check fails.
    std::vector<std::string> kills;
    auto killed_at = [&](int run) {
        kills.push_back("run " + std::to_string(run) + ": " +
                        std::to_string(portal.noted().size()) + " noted, " +
                        std::to_string(portal.catalogued().size()) + " catalogued, " +
                        std::to_string(portal.stored().size()) + " stored");
    };

    {
        // 1. As soon as the first page's ARKs are noted, while its objects are being written.
        HarvestProcess run(iiifd, 1);
        REQUIRE(run.kill_when([&] {
            return fs::exists(portal.identifiers_file()) &&
                   fs::file_size(portal.identifiers_file()) > 0;
        }));
        killed_at(1);
    }
    {
        // 2. In the middle of the fourth page's objects (records 25 to 32).
        HarvestProcess run(iiifd, 2);
        REQUIRE(run.kill_when([&] { return portal.catalogued().size() >= 28; }));
        killed_at(2);
    }
    {
        // 3. Between two pages: the seventh written whole, the next one not yet answered.
        HarvestProcess run(iiifd, 3);
        REQUIRE(run.kill_when([&] {
            std::set<std::string> noted;
            for (const auto& pair : portal.noted()) noted.insert(pair.first);
            return noted.size() >= 50 && portal.catalogued().size() == noted.size();
        }));
        killed_at(3);
    }
    INFO("killed at: " << kills[0] << "; " << kills[1] << "; " << kills[2]);
    // No run succeeded: none said where the next one starts.
    CHECK_FALSE(fs::exists(iiifd.storage_root() + "/harvests/fixture/state.json"));
    const size_t catalogued_before = portal.catalogued().size();

    HarvestProcess last(iiifd, 4);
    REQUIRE(last.wait() == 0);
    const std::string run = last.output();
    INFO(run << last.errors());
    CHECK(daemon_harness::json_text(run, "status") == "done");
    // Started again from nothing (no run had succeeded): every record read once more.
    CHECK(daemon_harness::json_text(run, "from").empty());
    CHECK(daemon_harness::json_integer(run, "pages") == kRecords / kPageSize);
    CHECK(daemon_harness::json_integer(run, "counts.records") == kRecords);
    CHECK(daemon_harness::json_integer(run, "counts.deleted") == 3);
    CHECK(daemon_harness::json_integer(run, "counts.failed") == 0);
    CHECK(daemon_harness::json_integer(run, "counts.skipped") == 0);
    CHECK(daemon_harness::json_integer(run, "counts.updated") == 0);
    CHECK(daemon_harness::json_integer(run, "counts.withdrawn") == 0);
    // Made now: the objects the killed runs had not catalogued (noted or not).
    CHECK(daemon_harness::json_integer(run, "counts.created") ==
          static_cast<long long>(kLive - catalogued_before));
    CHECK(daemon_harness::json_integer(run, "counts.unchanged") ==
          static_cast<long long>(catalogued_before));
    CHECK(fs::exists(iiifd.storage_root() + "/harvests/fixture/state.json"));

    // identifiers.tsv: each live record once, each ARK once.
    std::map<std::string, std::string> ark_of;  // identifier -> ARK
    std::set<std::string> noted_arks;
    const auto noted = portal.noted();
    CHECK(noted.size() == static_cast<size_t>(kLive));
    for (const auto& [identifier, ark] : noted) {
        CHECK(ark_of.emplace(identifier, ark).second);
        CHECK(noted_arks.insert(ark).second);
    }
    std::set<std::string> live;
    for (int i = 1; i <= kRecords; ++i)
        if (kDeleted.count(i) == 0) live.insert(identifier_of(i));
    std::set<std::string> noted_identifiers;
    for (const auto& pair : ark_of) noted_identifiers.insert(pair.first);
    CHECK(noted_identifiers == live);

    // The catalog: one object per live record, in the partner's set, under its noted ARK, with
    // the partner's titles.
    std::string error;
    auto reader = iiif::CatalogReader::open(iiifd.catalog_path(), &error);
    INFO(error);
    REQUIRE(reader);
    CHECK(reader->object_count() == kLive);
    const std::vector<iiif::ObjectRecord> in_set =
        reader->objects_by_date({}, 0, 0, "partner:fixture");
    CHECK(in_set.size() == static_cast<size_t>(kLive));
    std::set<std::string> catalogued_arks;
    for (const iiif::ObjectRecord& object : in_set) {
        CHECK(catalogued_arks.insert(object.ark).second);
        REQUIRE(object.metadata.origin.has_value());
        const std::string& identifier = object.metadata.origin->identifier;
        INFO(identifier << " " << object.ark);
        REQUIRE(ark_of.count(identifier) == 1);
        CHECK(ark_of.at(identifier) == object.ark);
        CHECK(object.state == iiif::RecordState::active);
        CHECK(object.metadata.provider == "Fixture Library");
        CHECK(object.metadata.sets == std::vector<std::string>{"partner:fixture"});
        const int i = std::stoi(identifier.substr(identifier.rfind('-') + 1));
        CHECK(object.metadata.dc.at("title") ==
              std::vector<iiif::LangValue>{{"Record " + std::to_string(i), "en"},
                                           {"Notice " + std::to_string(i), "fr"}});
    }
    CHECK(catalogued_arks == noted_arks);

    // The storage root: one object.json per catalogued object, none besides.
    const std::multiset<std::string> stored = portal.stored();
    CHECK(stored.size() == static_cast<size_t>(kLive));
    CHECK(std::set<std::string>(stored.begin(), stored.end()) == catalogued_arks);
}
