// The catalog's OAI-PMH views: tallies that count published objects in a datestamp range and a
// set without reading them (completeListSize), the published objects in (datestamp, key) order,
// the earliest datestamp, and the sets (those with published members, and those the
// configuration names); with the writes that keep them: put, put_many, withdraw, define_sets.
// Counts are checked against a brute-force count of what was written.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "catalog.hpp"
#include "catalog_fixtures.hpp"
#include "iiif_error.hpp"

using namespace iiif;
using catalog_fixtures::open_writer;

namespace {

constexpr size_t kAll = std::numeric_limits<size_t>::max();

// A fresh catalog path per test.
std::string catalog_path(const std::string& name) {
    return catalog_fixtures::catalog_path("tallies-", name);
}

// A NOID-valid ARK under NAAN 12345 for object number n.
std::string ark_number(int n) {
    const std::string name = "t" + std::to_string(100000 + n);
    return "ark:/12345/" + name + noid_check_char("12345/" + name);
}

std::string key_of(const ObjectRecord& object) {
    return catalog_object_key(object.ark).value();
}

ObjectRecord record(int n, std::int64_t datestamp, std::vector<std::string> sets = {},
                    RecordState state = RecordState::active) {
    ObjectRecord object;
    object.ark = ark_number(n);
    object.metadata.dc["title"] = {{"Objet " + std::to_string(n), "fr"}};
    object.metadata.sets = std::move(sets);
    object.created = object.updated = object.datestamp = datestamp;
    object.state = state;
    return object;
}

// Whether an object is in a set or one of its subsets, said without set_memberships().
bool in_set(const ObjectRecord& object, const std::string& spec) {
    if (spec.empty()) return true;
    return std::any_of(
        object.metadata.sets.begin(), object.metadata.sets.end(),
        [&](const std::string& own) { return own == spec || own.starts_with(spec + ":"); });
}

// What the catalog should hold: the last version of every object written.
class Model {
  public:
    void put(const ObjectRecord& object) { objects_[key_of(object)] = object; }
    void withdraw(const std::string& ark, std::int64_t when) {
        ObjectRecord& object = objects_.at(catalog_object_key(ark).value());
        object.state = RecordState::withdrawn;
        object.datestamp = object.updated = when;
    }
    const ObjectRecord& at(int n) const { return objects_.at(key_of(record(n, 0))); }
    bool has(int n) const { return objects_.count(key_of(record(n, 0))) > 0; }

    // The published objects (active or withdrawn) in the set, by (datestamp, key), up to
    // `until` (0: no bound).
    std::vector<std::pair<std::int64_t, std::string>> published(const std::string& spec,
                                                                std::int64_t until = 0) const {
        std::vector<std::pair<std::int64_t, std::string>> found;
        for (const auto& [key, object] : objects_)
            if (object.state != RecordState::pending && in_set(object, spec) &&
                (until == 0 || object.datestamp <= until))
                found.emplace_back(object.datestamp, key);
        std::sort(found.begin(), found.end());
        return found;
    }
    std::vector<std::int64_t> datestamps(const std::string& spec) const {
        std::vector<std::int64_t> found;
        for (const auto& [datestamp, key] : published(spec)) found.push_back(datestamp);
        return found;
    }
    // Every set with a published member, and the sets above it.
    std::vector<std::string> specs() const {
        std::set<std::string> found;
        for (const auto& [key, object] : objects_) {
            if (object.state == RecordState::pending) continue;
            for (const std::string& spec : object.metadata.sets)
                for (size_t colon = 0; colon != std::string::npos;) {
                    colon = spec.find(':', colon + 1);
                    found.insert(spec.substr(0, colon));
                }
        }
        return {found.begin(), found.end()};
    }
    std::optional<std::int64_t> earliest() const {
        auto all = datestamps("");
        if (all.empty()) return std::nullopt;
        return all.front();
    }
    size_t size() const { return objects_.size(); }
    size_t withdrawn() const {
        return static_cast<size_t>(std::count_if(
            objects_.begin(), objects_.end(),
            [](const auto& entry) { return entry.second.state == RecordState::withdrawn; }));
    }

  private:
    std::map<std::string, ObjectRecord> objects_;
};

// The brute-force count: published datestamps (sorted) in [from, until], until 0 unbounded.
std::int64_t count_in(const std::vector<std::int64_t>& sorted, std::int64_t from,
                      std::int64_t until) {
    if (until == 0) until = std::numeric_limits<std::int64_t>::max();
    if (from > until) return 0;
    return std::upper_bound(sorted.begin(), sorted.end(), until) -
           std::lower_bound(sorted.begin(), sorted.end(), from);
}

// Every published object of the set, walked page by page with published_by_date().
std::vector<std::pair<std::int64_t, std::string>> walk(const CatalogReader& reader,
                                                       const std::string& spec, size_t limit,
                                                       std::int64_t until = 0) {
    std::vector<std::pair<std::int64_t, std::string>> found;
    CatalogReader::Position after{0, ""};
    for (int pages = 0; pages < 100000; ++pages) {
        const std::vector<ObjectRecord> page = reader.published_by_date(after, until, limit, spec);
        for (const ObjectRecord& object : page) {
            CHECK(object.state != RecordState::pending);
            found.emplace_back(object.datestamp, key_of(object));
        }
        if (page.size() < limit) break;
        REQUIRE(page.size() == limit);
        after = CatalogReader::position_of(page.back());
    }
    return found;
}

std::vector<std::string> specs_of(const std::vector<CatalogReader::SetInfo>& sets) {
    std::vector<std::string> specs;
    for (const auto& set : sets) specs.push_back(set.spec);
    return specs;
}

// Every set, walked `limit` at a time with sets(after, limit).
std::vector<std::string> walk_sets(const CatalogReader& reader, size_t limit) {
    std::vector<std::string> specs;
    std::string after;
    for (int pages = 0; pages < 10000; ++pages) {
        const auto page = reader.sets(after, limit);
        CHECK(page.size() <= limit);
        for (const auto& set : page) specs.push_back(set.spec);
        if (page.size() < limit) break;
        after = page.back().spec;
    }
    return specs;
}

const std::vector<std::string> kSetPool{"a", "a:b", "a:b:c", "b", "c:d", "x", "y:z", "b-c"};
// The specs counts are checked for: all objects, every set and ancestor in the pool, and sets
// that hold nothing (one a prefix of a real one).
const std::vector<std::string> kCountedSpecs{"",    "a", "a:b", "a:b:c", "b",    "b-c",     "c",
                                             "c:d", "x", "y",   "y:z",   "none", "a:b:c:d", "a:"};

// Datestamps gather around these: the edges of one-second to 2^30-second spans.
const std::vector<std::int64_t> kAnchors{1,          4096,       262144,    1073741824,
                                         1700003840, 1711276032, 2147483648};
const std::vector<std::int64_t> kSpans{
    1, 64, 4096, 262144, std::int64_t{1} << 24, std::int64_t{1} << 30};

struct Large {
    std::unique_ptr<CatalogWriter> writer;
    Model model;
    int objects = 0;
};

// A catalog of `objects` objects around the anchors, several per second, in sets of kSetPool,
// a tenth pending; then a twentieth withdrawn (some of them pending), a twentieth put again
// later with other sets (some changing state), and a fortieth put again after withdrawal.
// With `bulk`, the objects are written with put_many (two calls, then one for the second
// versions); otherwise with put, one by one. The same seed makes the same catalog.
Large build_large(const std::string& name, int objects, bool bulk) {
    Large large{open_writer(catalog_path(name)), {}, objects};
    std::mt19937_64 random(20261122);
    auto pick = [&](std::int64_t low, std::int64_t high) {
        return std::uniform_int_distribution<std::int64_t>(low, high)(random);
    };
    auto some_sets = [&] {
        std::vector<std::string> sets;
        for (std::int64_t k = pick(0, 2); k > 0; --k) {
            const std::string& spec = kSetPool[static_cast<size_t>(pick(0, 7))];
            if (std::find(sets.begin(), sets.end(), spec) == sets.end()) sets.push_back(spec);
        }
        return sets;
    };
    auto write = [&](const std::vector<CatalogWriter::Entry>& entries) {
        if (bulk) {
            large.writer->put_many(entries);
        } else {
            for (const auto& entry : entries) large.writer->put(entry.object, entry.images);
        }
    };

    std::vector<std::int64_t> used;
    std::vector<CatalogWriter::Entry> first, second;
    for (int n = 0; n < objects; ++n) {
        std::int64_t datestamp;
        if (!used.empty() && pick(0, 9) < 3) {
            const auto last = static_cast<std::int64_t>(used.size()) - 1;
            datestamp = used[static_cast<size_t>(pick(0, last))];
        } else {
            const std::int64_t anchor = kAnchors[static_cast<size_t>(pick(0, 6))];
            const std::array<std::int64_t, 3> reaches{70, 5000, 300000};
            const std::int64_t reach = reaches[static_cast<size_t>(pick(0, 2))];
            datestamp = std::max<std::int64_t>(1, anchor + pick(-reach, reach));
        }
        used.push_back(datestamp);
        const RecordState state = pick(0, 9) == 0 ? RecordState::pending : RecordState::active;
        ObjectRecord object = record(n, datestamp, some_sets(), state);
        large.model.put(object);
        (n < objects * 2 / 3 ? first : second).push_back({object, {}});
    }
    write(first);
    write(second);

    for (int n = 3; n < objects; n += 20) {
        const std::int64_t when = large.model.at(n).datestamp + pick(1, 400000);
        large.writer->withdraw(ark_number(n), "withdrawn for the test", when);
        large.model.withdraw(ark_number(n), when);
    }
    std::vector<CatalogWriter::Entry> again;
    for (int n = 0; n < objects; ++n) {
        if (n % 20 != 7 && n % 40 != 3) continue;
        ObjectRecord object = large.model.at(n);
        object.datestamp = object.updated = object.datestamp + pick(1, 300000);
        object.metadata.sets = some_sets();
        if (n % 40 == 3) {
            object.state = RecordState::active;  // withdrawn, now back
        } else if (n % 60 == 7) {
            object.state =
                object.state == RecordState::pending ? RecordState::active : RecordState::pending;
        }
        large.model.put(object);
        again.push_back({object, {}});
    }
    write(again);
    return large;
}

// The datestamps worth counting from and to: span edges around the anchors, and every
// datestamp in the catalog with its neighbours.
std::vector<std::int64_t> edges(const Model& model) {
    std::set<std::int64_t> points{0, 1, 2};
    for (std::int64_t anchor : kAnchors)
        for (std::int64_t span : kSpans) {
            const std::int64_t base = anchor - anchor % span;
            for (std::int64_t point : {base - span, base - 1, base, base + 1, base + span - 1,
                                       base + span, base + 2 * span, anchor - span, anchor + span})
                if (point >= 0) points.insert(point);
        }
    for (std::int64_t datestamp : model.datestamps("")) {
        points.insert(datestamp - 1);
        points.insert(datestamp);
        points.insert(datestamp + 1);
    }
    return {points.begin(), points.end()};
}

// "count_published(from, until, "spec") = n, expected m" for every range where they differ.
std::vector<std::string> miscounts(
    const CatalogReader& reader, const Model& model,
    const std::vector<std::pair<std::int64_t, std::int64_t>>& ranges) {
    std::vector<std::string> wrong;
    for (const std::string& spec : kCountedSpecs) {
        const std::vector<std::int64_t> sorted = model.datestamps(spec);
        for (const auto& [from, until] : ranges) {
            const std::int64_t expected = count_in(sorted, from, until);
            const std::int64_t counted = reader.count_published(from, until, spec);
            if (counted != expected) {
                std::ostringstream line;
                line << "count_published(" << from << ", " << until << ", \"" << spec
                     << "\") = " << counted << ", expected " << expected;
                wrong.push_back(line.str());
            }
        }
    }
    return wrong;
}

using Strings = std::vector<std::string>;

}  // namespace

// ---- set_memberships ----------------------------------------------------------------------------

TEST_CASE("set memberships: a set's ancestors are included, sorted, each once", "[tallies]") {
    CHECK(set_memberships({}) == Strings{});
    CHECK(set_memberships({"a"}) == Strings{"a"});
    CHECK(set_memberships({"a:b:c"}) == Strings{"a", "a:b", "a:b:c"});
    CHECK(set_memberships({"x:y", "x:z", "a"}) == Strings{"a", "x", "x:y", "x:z"});
    CHECK(set_memberships({"a:b", "a", "a:b"}) == Strings{"a", "a:b"});
    CHECK(set_memberships({"maps:france:loire", "maps-old"}) ==
          Strings{"maps", "maps-old", "maps:france", "maps:france:loire"});
}

// ---- count_published and earliest_datestamp on small catalogs ---------------------------------

TEST_CASE("tallies: an empty catalog counts nothing and has no earliest datestamp", "[tallies]") {
    auto writer = open_writer(catalog_path("empty"));
    const CatalogReader& reader = writer->reader();
    CHECK(reader.count_published(0, 0) == 0);
    CHECK(reader.count_published(0, 0, "a") == 0);
    CHECK(reader.count_published(1700000000, 1800000000) == 0);
    CHECK_FALSE(reader.earliest_datestamp());
    CHECK(reader.sets("", kAll).empty());
    CHECK(reader.published_by_date({0, ""}, 0, 0).empty());
}

TEST_CASE("tallies: pending objects are not counted and have no earliest datestamp", "[tallies]") {
    auto writer = open_writer(catalog_path("pending"));
    writer->put(record(1, 1700000000, {"a:b"}, RecordState::pending), {});
    writer->put(record(2, 1600000000, {"a"}, RecordState::pending), {});
    const CatalogReader& reader = writer->reader();
    CHECK(reader.object_count() == 2);
    CHECK(reader.count_published(0, 0) == 0);
    CHECK(reader.count_published(0, 0, "a") == 0);
    CHECK_FALSE(reader.earliest_datestamp());
    CHECK(reader.published_by_date({0, ""}, 0, 0).empty());
    CHECK(reader.objects_by_date({0, ""}, 0, 0).size() == 2);
    CHECK(reader.sets("", kAll).empty());
}

TEST_CASE("tallies: objects on both sides of span edges are counted in exactly their ranges",
          "[tallies]") {
    auto writer = open_writer(catalog_path("edges"));
    // 63|64 ends a 64 s span, 4095|4096 a 4096 s span, 262143|262144 a 262144 s span; two
    // objects share second 64.
    const std::vector<std::pair<int, std::int64_t>> objects{
        {1, 63}, {2, 64}, {3, 64}, {4, 4095}, {5, 4096}, {6, 262143}, {7, 262144}, {8, 1700000000}};
    std::vector<CatalogWriter::Entry> entries;
    for (const auto& [n, datestamp] : objects) entries.push_back({record(n, datestamp), {}});
    entries.push_back({record(9, 100, {}, RecordState::pending), {}});
    writer->put_many(entries);
    const CatalogReader& reader = writer->reader();

    CHECK(reader.count_published(0, 0) == 8);
    CHECK(reader.count_published(1, 0) == 8);
    CHECK(reader.count_published(63, 63) == 1);
    CHECK(reader.count_published(64, 64) == 2);
    CHECK(reader.count_published(63, 64) == 3);
    CHECK(reader.count_published(0, 63) == 1);
    CHECK(reader.count_published(64, 4095) == 3);
    CHECK(reader.count_published(64, 4096) == 4);
    CHECK(reader.count_published(65, 4095) == 1);
    CHECK(reader.count_published(4096, 262143) == 2);
    CHECK(reader.count_published(4095, 262144) == 4);
    CHECK(reader.count_published(262144, 0) == 2);
    CHECK(reader.count_published(262145, 0) == 1);
    CHECK(reader.count_published(0, 262143) == 6);
    CHECK(reader.count_published(1700000000, 1700000000) == 1);
    CHECK(reader.count_published(1700000001, 0) == 0);
    CHECK(reader.count_published(100, 100) == 0);  // only the pending object
    CHECK(reader.count_published(0, 1) == 0);
    REQUIRE(reader.earliest_datestamp());
    CHECK(*reader.earliest_datestamp() == 63);
}

TEST_CASE("tallies: a range whose from is later than its until counts nothing", "[tallies]") {
    auto writer = open_writer(catalog_path("reversed"));
    writer->put_many({{record(1, 1000), {}}, {record(2, 2000), {}}, {record(3, 3000), {}}});
    const CatalogReader& reader = writer->reader();
    CHECK(reader.count_published(2001, 2000) == 0);
    CHECK(reader.count_published(3000, 1000) == 0);
    CHECK(reader.count_published(3000, 2999) == 0);
    CHECK(reader.count_published(2000, 2000) == 1);
    CHECK(reader.count_published(1000, 3000) == 3);
}

TEST_CASE("tallies: from 0 counts from the beginning, until 0 to the end", "[tallies]") {
    auto writer = open_writer(catalog_path("unbounded"));
    writer->put_many({{record(1, 1), {}},
                      {record(2, 1073741824), {}},
                      {record(3, 2147483648), {}},
                      {record(4, (std::int64_t{1} << 36) - 1), {}}});  // the last second counted
    const CatalogReader& reader = writer->reader();
    CHECK(reader.count_published(0, 0) == 4);
    CHECK(reader.count_published(0, 1073741824) == 2);
    CHECK(reader.count_published(1073741824, 0) == 3);
    CHECK(reader.count_published(1073741825, 0) == 2);
    CHECK(reader.count_published(-100, 1) == 1);  // before 1970 there is nothing
    CHECK(reader.count_published(2, 2147483647) == 1);
}

TEST_CASE("tallies: a set counts its own objects and its subsets'", "[tallies]") {
    auto writer = open_writer(catalog_path("subsets"));
    writer->put_many({{record(1, 1000, {"a"}), {}},
                      {record(2, 1000, {"a:b"}), {}},
                      {record(3, 2000, {"a:b:c"}), {}},
                      {record(4, 2000, {"a:b:c", "x"}), {}},
                      {record(5, 3000, {"ab"}), {}},
                      {record(6, 3000), {}}});
    const CatalogReader& reader = writer->reader();
    CHECK(reader.count_published(0, 0, "") == 6);
    CHECK(reader.count_published(0, 0, "a") == 4);
    CHECK(reader.count_published(0, 0, "a:b") == 3);
    CHECK(reader.count_published(0, 0, "a:b:c") == 2);
    CHECK(reader.count_published(0, 0, "x") == 1);
    CHECK(reader.count_published(0, 0, "ab") == 1);  // not a subset of "a"
    CHECK(reader.count_published(0, 0, "b") == 0);
    CHECK(reader.count_published(0, 0, "c") == 0);
    CHECK(reader.count_published(1500, 0, "a") == 2);
    CHECK(reader.count_published(0, 1500, "a:b") == 1);
}

TEST_CASE("tallies: a withdrawn object is counted at its withdrawal's datestamp", "[tallies]") {
    auto writer = open_writer(catalog_path("withdrawn"));
    writer->put_many({{record(1, 1000, {"a:b"}), {}}, {record(2, 2000, {"a"}), {}}});
    writer->withdraw(ark_number(1), "at the holder's request", 500000);
    const CatalogReader& reader = writer->reader();
    CHECK(reader.count_published(0, 0) == 2);  // a deleted record is still harvested
    CHECK(reader.count_published(1000, 1000) == 0);
    CHECK(reader.count_published(500000, 500000) == 1);
    CHECK(reader.count_published(500000, 500000, "a:b") == 1);
    CHECK(reader.count_published(0, 499999, "a") == 1);
    CHECK(*reader.earliest_datestamp() == 2000);
    writer->withdraw(ark_number(2), "duplicate", 600000);
    CHECK(*reader.earliest_datestamp() == 500000);
    CHECK(reader.count_published(0, 0, "a") == 2);
}

TEST_CASE("tallies: an object put again counts at its new datestamp and in its new sets only",
          "[tallies]") {
    auto writer = open_writer(catalog_path("again"));
    writer->put(record(1, 1000, {"a:b", "x"}), {});
    writer->put(record(1, 70000, {"y"}), {});
    const CatalogReader& reader = writer->reader();
    CHECK(reader.object_count() == 1);
    CHECK(reader.count_published(0, 0) == 1);
    CHECK(reader.count_published(1000, 1000) == 0);
    CHECK(reader.count_published(70000, 70000) == 1);
    CHECK(reader.count_published(0, 0, "a") == 0);
    CHECK(reader.count_published(0, 0, "a:b") == 0);
    CHECK(reader.count_published(0, 0, "x") == 0);
    CHECK(reader.count_published(0, 0, "y") == 1);
    CHECK(*reader.earliest_datestamp() == 70000);
}

TEST_CASE("tallies: an object that goes back to pending stops counting, one published starts",
          "[tallies]") {
    auto writer = open_writer(catalog_path("states"));
    writer->put(record(1, 1000, {"a"}), {});
    writer->put(record(2, 2000, {"a"}, RecordState::pending), {});
    const CatalogReader& reader = writer->reader();
    CHECK(reader.count_published(0, 0, "a") == 1);
    writer->put(record(1, 3000, {"a"}, RecordState::pending), {});
    CHECK(reader.count_published(0, 0, "a") == 0);
    CHECK_FALSE(reader.earliest_datestamp());
    writer->put(record(2, 4000, {"a"}), {});
    CHECK(reader.count_published(0, 0, "a") == 1);
    CHECK(reader.count_published(4000, 4000) == 1);
    CHECK(*reader.earliest_datestamp() == 4000);
}

TEST_CASE("tallies: a pending object that is withdrawn is counted as a deleted record",
          "[tallies]") {
    auto writer = open_writer(catalog_path("pending-withdrawn"));
    writer->put(record(1, 1000, {"a"}, RecordState::pending), {});
    writer->withdraw(ark_number(1), "never published", 2000);
    const CatalogReader& reader = writer->reader();
    CHECK(reader.count_published(0, 0, "a") == 1);
    CHECK(reader.count_published(2000, 2000) == 1);
    CHECK(reader.published_by_date({0, ""}, 0, 0).size() == 1);
}

TEST_CASE("tallies: counts are read back by another reader, after the writer is gone",
          "[tallies]") {
    const std::string path = catalog_path("reopened");
    {
        auto writer = open_writer(path);
        writer->put_many({{record(1, 1000, {"a"}), {}}, {record(2, 5000, {"a:b"}), {}}});
    }
    std::string error;
    auto reader = CatalogReader::open(path, &error);
    INFO(error);
    REQUIRE(reader);
    CHECK(reader->count_published(0, 0) == 2);
    CHECK(reader->count_published(0, 0, "a:b") == 1);
    CHECK(*reader->earliest_datestamp() == 1000);
    CHECK(specs_of(reader->sets("", kAll)) == Strings{"a", "a:b"});
}

// ---- A large catalog against brute force ------------------------------------------------------

TEST_CASE("tallies: count_published equals a brute-force count, for every set and range",
          "[tallies]") {
    const Large large = build_large("large", 2400, true);
    const CatalogReader& reader = large.writer->reader();
    const Model& model = large.model;
    REQUIRE(reader.object_count() == static_cast<std::int64_t>(model.size()));
    // The catalog is what the test means it to be: pending, withdrawn, shared seconds, sets.
    CHECK(model.published("").size() < model.size());
    CHECK(model.published("a:b:c").size() > 50);
    CHECK(model.withdrawn() > 40);
    const std::vector<std::int64_t> all = model.datestamps("");
    CHECK(std::adjacent_find(all.begin(), all.end()) != all.end());  // seconds shared

    const std::vector<std::int64_t> points = edges(model);
    std::vector<std::pair<std::int64_t, std::int64_t>> ranges{{0, 0}, {-1, 0}, {0, 1}};
    for (std::int64_t point : points) {
        ranges.emplace_back(point, point);
        ranges.emplace_back(0, point);
        ranges.emplace_back(point, 0);
        ranges.emplace_back(point, point + 63);
        ranges.emplace_back(point + 1, point);  // from after until
    }
    std::mt19937_64 random(7);
    std::uniform_int_distribution<size_t> any_point(0, points.size() - 1);
    std::uniform_int_distribution<std::int64_t> any_second(0, 2200000000);
    for (int i = 0; i < 3000; ++i)
        ranges.emplace_back(points[any_point(random)], points[any_point(random)]);
    for (int i = 0; i < 1000; ++i) {
        const std::int64_t from = any_second(random);
        ranges.emplace_back(from, from + any_second(random) % 600000);
    }
    INFO(ranges.size() << " ranges for each of " << kCountedSpecs.size() << " specs");
    CHECK(miscounts(reader, model, ranges) == Strings{});
    CHECK(reader.count_published(0, 0) == static_cast<std::int64_t>(model.published("").size()));
}

TEST_CASE("published_by_date: pages by (datestamp, key), without pending, duplicates or gaps",
          "[tallies]") {
    const Large large = build_large("walk", 1500, true);
    const CatalogReader& reader = large.writer->reader();
    for (const std::string& spec : kCountedSpecs) {
        for (size_t limit : {size_t{1}, size_t{7}, size_t{64}}) {
            INFO("set \"" << spec << "\", " << limit << " a page");
            CHECK(walk(reader, spec, limit) == large.model.published(spec));
        }
        for (std::int64_t until : {std::int64_t{4096}, std::int64_t{1073741824},
                                   std::int64_t{1700003840}, std::int64_t{1711276031}}) {
            INFO("set \"" << spec << "\" until " << until);
            CHECK(walk(reader, spec, 5, until) == large.model.published(spec, until));
        }
    }
}

TEST_CASE("published_by_date: the limit counts published objects only", "[tallies]") {
    auto writer = open_writer(catalog_path("limit"));
    writer->put_many({{record(1, 1000, {}, RecordState::pending), {}},
                      {record(2, 1000, {}, RecordState::pending), {}},
                      {record(3, 1000), {}},
                      {record(4, 2000, {}, RecordState::pending), {}},
                      {record(5, 3000), {}},
                      {record(6, 4000), {}}});
    const CatalogReader& reader = writer->reader();
    const auto page = reader.published_by_date({0, ""}, 0, 2);
    REQUIRE(page.size() == 2);
    CHECK(page[0].ark == ark_number(3));
    CHECK(page[1].ark == ark_number(5));
    const auto next = reader.published_by_date(CatalogReader::position_of(page[1]), 0, 2);
    REQUIRE(next.size() == 1);
    CHECK(next[0].ark == ark_number(6));
    CHECK(reader.published_by_date({0, ""}, 2999, 0).size() == 1);
}

TEST_CASE("earliest_datestamp: the smallest datestamp of a published object", "[tallies]") {
    const Large large = build_large("earliest", 400, true);
    REQUIRE(large.writer->reader().earliest_datestamp());
    CHECK(large.writer->reader().earliest_datestamp() == large.model.earliest());
    CHECK(large.model.earliest() < std::int64_t{262144});
}

// ---- Sets -------------------------------------------------------------------------------------

TEST_CASE("sets: every set with a published member, and its ancestors, in spec order",
          "[tallies]") {
    const Large large = build_large("sets", 600, true);
    const CatalogReader& reader = large.writer->reader();
    const Strings expected = large.model.specs();
    CHECK(expected == Strings{"a", "a:b", "a:b:c", "b", "b-c", "c", "c:d", "x", "y", "y:z"});
    CHECK(specs_of(reader.sets("", kAll)) == expected);
    for (const auto& set : reader.sets("", kAll)) {
        CHECK(set.name.empty());
        CHECK(set.description.empty());
    }
}

TEST_CASE("sets: paging with after and limit gives every set once, in order", "[tallies]") {
    auto writer = open_writer(catalog_path("sets-paging"));
    writer->put_many({{record(1, 1000, {"m:n:o"}), {}},
                      {record(2, 1000, {"b", "z"}), {}},
                      {record(3, 1000, {"a-b"}), {}},
                      {record(4, 1000, {"a:c"}), {}},
                      {record(5, 1000, {"q"}, RecordState::pending), {}}});
    writer->define_sets({{"d", "Défini", ""}, {"a:c", "A, C", ""}, {"zz", "Zz", ""}});
    const CatalogReader& reader = writer->reader();
    const Strings all{"a", "a-b", "a:c", "b", "d", "m", "m:n", "m:n:o", "z", "zz"};
    CHECK(specs_of(reader.sets("", kAll)) == all);
    for (size_t limit = 1; limit <= all.size() + 1; ++limit) {
        INFO(limit << " a page");
        CHECK(walk_sets(reader, limit) == all);
    }
    CHECK(specs_of(reader.sets("a", 2)) == Strings{"a-b", "a:c"});
    CHECK(specs_of(reader.sets("b", 3)) == Strings{"d", "m", "m:n"});
    CHECK(specs_of(reader.sets("c", kAll)) == Strings{"d", "m", "m:n", "m:n:o", "z", "zz"});
    CHECK(specs_of(reader.sets("m:n:o", kAll)) == Strings{"z", "zz"});
    CHECK(specs_of(reader.sets("zz", kAll)) == Strings{});
    CHECK(specs_of(reader.sets("zzz", kAll)) == Strings{});
    CHECK(reader.sets("", 0).empty());
}

TEST_CASE("sets: defined sets are listed with their names and descriptions, members or not",
          "[tallies]") {
    auto writer = open_writer(catalog_path("sets-defined"));
    writer->put_many({{record(1, 1000, {"maps:france"}), {}}, {record(2, 1000, {"prints"}), {}}});
    writer->define_sets({{"maps", "Cartes", "Cartes et plans anciens"},
                         {"letters", "Correspondance", ""},
                         {"maps:france:loire", "Loire", "Le fleuve"}});
    const CatalogReader& reader = writer->reader();
    CHECK(reader.sets("", kAll) ==
          std::vector<CatalogReader::SetInfo>{{"letters", "Correspondance", ""},
                                              {"maps", "Cartes", "Cartes et plans anciens"},
                                              {"maps:france", "", ""},
                                              {"maps:france:loire", "Loire", "Le fleuve"},
                                              {"prints", "", ""}});
}

TEST_CASE("sets: a set whose last member leaves is no longer listed, unless defined", "[tallies]") {
    auto writer = open_writer(catalog_path("sets-leave"));
    const CatalogReader& reader = writer->reader();
    writer->put(record(1, 1000, {"solo:child"}), {});
    writer->put(record(2, 1000, {"kept:child"}), {});
    writer->define_sets({{"kept", "Gardé", ""}});
    CHECK(specs_of(reader.sets("", kAll)) == Strings{"kept", "kept:child", "solo", "solo:child"});

    writer->put(record(1, 2000, {}), {});
    writer->put(record(2, 2000, {"other"}), {});
    CHECK(specs_of(reader.sets("", kAll)) == Strings{"kept", "other"});
    CHECK(reader.sets("", kAll).front().name == "Gardé");
    // A member that goes back to pending leaves too.
    writer->put(record(2, 3000, {"other"}, RecordState::pending), {});
    CHECK(specs_of(reader.sets("", kAll)) == Strings{"kept"});
}

TEST_CASE("sets: a withdrawn member keeps its set listed, for its deleted record", "[tallies]") {
    auto writer = open_writer(catalog_path("sets-withdrawn"));
    writer->put(record(1, 1000, {"fonds:a"}), {});
    writer->withdraw(ark_number(1), "withdrawn", 2000);
    CHECK(specs_of(writer->reader().sets("", kAll)) == Strings{"fonds", "fonds:a"});
    CHECK(writer->reader().count_published(0, 0, "fonds") == 1);
}

TEST_CASE("define_sets: the names given replace those before", "[tallies]") {
    auto writer = open_writer(catalog_path("define-replace"));
    const CatalogReader& reader = writer->reader();
    writer->define_sets({{"a", "A", "first"}, {"b", "B", ""}});
    CHECK(reader.sets("", kAll) ==
          std::vector<CatalogReader::SetInfo>{{"a", "A", "first"}, {"b", "B", ""}});
    writer->define_sets({{"b", "Bee", "second"}});
    CHECK(reader.sets("", kAll) == std::vector<CatalogReader::SetInfo>{{"b", "Bee", "second"}});
    writer->define_sets({});
    CHECK(reader.sets("", kAll).empty());
}

TEST_CASE("define_sets: a spec that is no set spec is refused, and the names stay as they were",
          "[tallies]") {
    auto writer = open_writer(catalog_path("define-invalid"));
    const CatalogReader& reader = writer->reader();
    writer->define_sets({{"a", "A", ""}});
    for (const char* spec : {"", ":", "a:", ":a", "a::b", "a b", "é", "a/b", "a?"}) {
        INFO('"' << spec << '"');
        try {
            writer->define_sets({{"b", "B", ""}, {spec, "Bad", ""}});
            FAIL("define_sets accepted an invalid spec");
        } catch (const IiifError& error) {
            CHECK(error.status == 500);
        }
        CHECK(reader.sets("", kAll) == std::vector<CatalogReader::SetInfo>{{"a", "A", ""}});
    }
}

TEST_CASE("clear: the tallies go with the objects, the set names stay", "[tallies]") {
    auto writer = open_writer(catalog_path("clear"));
    writer->put_many({{record(1, 1000, {"a:b"}), {}}, {record(2, 2000, {"c"}), {}}});
    writer->define_sets({{"c", "Cé", "défini"}});
    writer->clear();
    const CatalogReader& reader = writer->reader();
    CHECK(reader.count_published(0, 0) == 0);
    CHECK(reader.count_published(0, 0, "a") == 0);
    CHECK_FALSE(reader.earliest_datestamp());
    CHECK(reader.sets("", kAll) == std::vector<CatalogReader::SetInfo>{{"c", "Cé", "défini"}});
    writer->put(record(1, 3000, {"a:b"}), {});
    CHECK(reader.count_published(0, 0, "a") == 1);
    CHECK(*reader.earliest_datestamp() == 3000);
}

// ---- put_many ---------------------------------------------------------------------------------

TEST_CASE("put_many: the entries are one transaction: one that fails stores none", "[tallies]") {
    auto writer = open_writer(catalog_path("put-many-atomic"));
    writer->put(record(1, 1000, {"a"}), {});
    std::vector<CatalogWriter::Entry> entries;
    for (int n = 2; n < 300; ++n) entries.push_back({record(n, 1000 + n, {"a", "b"}), {}});
    entries.push_back({record(1, 5000, {"c"}), {}});
    ObjectRecord broken = record(999, 9000);
    broken.ark = "not an ARK";
    entries.push_back({broken, {}});
    CHECK_THROWS_AS(writer->put_many(entries), IiifError);
    const CatalogReader& reader = writer->reader();
    CHECK(reader.object_count() == 1);
    CHECK(reader.count_published(0, 0) == 1);
    CHECK(reader.count_published(0, 0, "a") == 1);
    CHECK(reader.count_published(0, 0, "b") == 0);
    CHECK(reader.object(ark_number(1))->datestamp == 1000);
    CHECK(specs_of(reader.sets("", kAll)) == Strings{"a"});
}

TEST_CASE("put_many: an object given twice is stored and counted once, as given last",
          "[tallies]") {
    auto writer = open_writer(catalog_path("put-many-twice"));
    writer->put_many(
        {{record(1, 1000, {"a"}), {}}, {record(2, 1500, {"a"}), {}}, {record(1, 2000, {"b"}), {}}});
    const CatalogReader& reader = writer->reader();
    CHECK(reader.object_count() == 2);
    CHECK(reader.count_published(0, 0) == 2);
    CHECK(reader.count_published(0, 0, "a") == 1);
    CHECK(reader.count_published(0, 0, "b") == 1);
    CHECK(reader.count_published(1000, 1000) == 0);
    CHECK(reader.object(ark_number(1))->datestamp == 2000);
    CHECK(walk(reader, "", 10) == std::vector<std::pair<std::int64_t, std::string>>{
                                      {1500, key_of(record(2, 0))}, {2000, key_of(record(1, 0))}});
}

TEST_CASE("put_many: many entries at once make the catalog that put one by one makes",
          "[tallies]") {
    const Large bulk = build_large("bulk", 500, true);
    const Large single = build_large("single", 500, false);
    const CatalogReader& many = bulk.writer->reader();
    const CatalogReader& one = single.writer->reader();
    REQUIRE(bulk.model.published("") == single.model.published(""));  // the same catalog
    CHECK(many.object_count() == one.object_count());
    CHECK(many.object_count() == 500);
    CHECK(many.earliest_datestamp() == one.earliest_datestamp());
    CHECK(many.sets("", kAll) == one.sets("", kAll));
    const std::vector<std::int64_t> points = edges(bulk.model);
    for (const std::string& spec : kCountedSpecs) {
        INFO("set \"" << spec << "\"");
        CHECK(walk(many, spec, 50) == walk(one, spec, 50));
        CHECK(many.objects_by_date({0, ""}, 0, 0, spec).size() ==
              one.objects_by_date({0, ""}, 0, 0, spec).size());
        std::vector<std::string> differ;
        for (size_t i = 0; i + 1 < points.size(); i += 3) {
            const std::int64_t a = many.count_published(points[i], points[i + 1], spec);
            const std::int64_t b = one.count_published(points[i], points[i + 1], spec);
            if (a != b)
                differ.push_back(std::to_string(points[i]) + ".." + std::to_string(points[i + 1]));
        }
        CHECK(differ == Strings{});
    }
    CHECK(miscounts(many, bulk.model, {{0, 0}, {0, 1700003840}, {1700003840, 0}}) == Strings{});
}

TEST_CASE("sets: a named set's ancestors are listed with it, even with no member", "[tallies]") {
    auto writer = open_writer(catalog_path("sets-ancestors"));
    writer->define_sets({{"zz:top:leaf", "Feuille", ""}, {"zz", "Racine", "La racine"}});
    const std::vector<CatalogReader::SetInfo> sets = writer->reader().sets("", kAll);
    CHECK(specs_of(sets) == Strings{"zz", "zz:top", "zz:top:leaf"});
    CHECK(sets[0].name == "Racine");
    CHECK(sets[0].description == "La racine");
    CHECK(sets[1].name.empty());  // the provider shows the spec
    CHECK(sets[2].name == "Feuille");
}
