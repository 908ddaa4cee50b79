// The audit log read backwards (audit_log.hpp): pages of the most recent entries of one
// institution or all, across the chunks a long log is read in, torn lines passed over.
#include "audit_log.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "json.hpp"
#include "test_images.hpp"

namespace {

// A log of `count` entries, their targets "t{i}" and institutions "north" for every third,
// "main" for the others; a torn line after entry 1000 and at the end.
std::string write_log(int count) {
    const std::string path = (test_images::scratch_dir() / "audit-backwards.log").string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    for (int i = 1; i <= count; ++i) {
        iiifd::AuditEntry entry{1700000000 + i, {"alice", "session"}, "object.change",
                                "t" + std::to_string(i), i % 3 == 0 ? "north" : "main",
                                R"({"note": ")" + std::string(120, 'x') + R"("})"};
        iiif::Json line(iiifd::audit_entry_to_json(entry));
        out << iiif::json_text(line.get()) << "\n";
        if (i == 1000) out << R"({"time": "2026-)" << "\n";
    }
    out << R"({"time": "2026-12-07T00:00:00Z", "unix": 17)";  // torn by a crash, no line break
    return path;
}

// Every entry of `institution`, newest first, `limit` at a time, and the pages it took.
std::vector<std::string> page_through(const iiifd::AuditLog& log, size_t limit,
                                      const std::string& institution, int* pages) {
    std::vector<std::string> targets;
    size_t before = 0;
    *pages = 0;
    do {
        size_t next = 0;
        const std::vector<iiifd::AuditEntry> entries =
            log.recent(limit, institution, before, &next);
        *pages += 1;
        for (const iiifd::AuditEntry& entry : entries) targets.push_back(entry.target);
        REQUIRE(entries.size() <= limit);
        if (next != 0) REQUIRE(entries.size() == limit);
        before = next;
    } while (before != 0);
    return targets;
}

}  // namespace

TEST_CASE("audit log: read backwards a page at a time across chunks, torn lines passed over",
          "[audit_log]") {
    const iiifd::AuditLog log(write_log(3000));  // some 750 KB: a dozen chunks
    int pages = 0;
    const std::vector<std::string> all = page_through(log, 7, "", &pages);
    REQUIRE(all.size() == 3000);
    for (int i = 0; i < 3000; ++i) CHECK(all[static_cast<size_t>(i)] == "t" + std::to_string(3000 - i));
    CHECK(pages == 429);  // 3000 / 7, rounded up

    const std::vector<std::string> north = page_through(log, 50, "north", &pages);
    REQUIRE(north.size() == 1000);
    CHECK(north.front() == "t3000");
    CHECK(north.back() == "t3");
    // The 20th page ends at t3: t2 and t1, older, are still to be looked at, so a 21st, empty,
    // says the log's start was reached.
    CHECK(pages == 21);

    size_t next = 0;
    const std::vector<iiifd::AuditEntry> newest = log.recent(2, "main", 0, &next);
    REQUIRE(newest.size() == 2);
    CHECK(newest[0].target == "t2999");
    CHECK(newest[1].target == "t2998");
    CHECK(newest[0].time == 1700002999);
    CHECK(newest[0].detail == R"({"note":")" + std::string(120, 'x') + R"("})");
    // A log that does not exist yet has no entries.
    CHECK(iiifd::AuditLog("/nonexistent/audit.log").recent(5, "", 0, &next).empty());
    CHECK(next == 0);
}
