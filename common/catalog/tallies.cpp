// The catalog's tallies (tallies.hpp): their keys, their updates with each object, and the sums
// that count a range of datestamps.
#include "tallies.hpp"

#include <algorithm>

namespace iiif::catalog_detail {
namespace {

// The sum of a set's tallies at one level, spans [first, end).
std::int64_t sum_tallies(Cursor& cursor, const std::string& spec, int level, std::int64_t first,
                         std::int64_t end) {
    if (first >= end) return 0;
    const std::string stop = tally_key(spec, level, end);
    std::int64_t total = 0;
    for (bool more = cursor.seek(tally_key(spec, level, first)); more && cursor.key() < stop;
         more = cursor.next())
        total += read_u64be(cursor.value());
    return total;
}

}  // namespace

std::string tally_key(std::string_view spec, int level, std::int64_t span) {
    std::string out(spec);
    out.push_back('\0');
    out.push_back(static_cast<char>(level));
    append_u64be(out, span);
    return out;
}

void tally(Txn& txn, MDB_dbi tallies, const ObjectRecord& object, std::int64_t delta) {
    if (object.state == RecordState::pending) return;
    std::vector<std::string> specs = set_memberships(object.metadata.sets);
    specs.emplace_back();
    for (const std::string& spec : specs) {
        for (int level = 0; level < kTallyLevels; ++level) {
            const std::string key =
                tally_key(spec, level, object.datestamp >> (kTallyBits * level));
            auto found = txn.find(tallies, key);
            const std::int64_t count = (found ? read_u64be(*found) : 0) + delta;
            if (count <= 0) {
                txn.erase(tallies, key);
            } else {
                std::string value;
                append_u64be(value, count);
                txn.put(tallies, key, value);
            }
        }
    }
}

std::int64_t count_tallied(MDB_env* env, MDB_dbi tallies, const std::string& spec,
                           std::int64_t from, std::int64_t until) {
    // [lo, hi) is cut into whole spans: at each level, the ends that do not fill a span of the
    // level above are summed here, and the aligned middle is left to the levels above.
    std::int64_t lo = std::clamp<std::int64_t>(from, 0, kTallyEnd);
    std::int64_t hi = until == 0 ? kTallyEnd : std::clamp<std::int64_t>(until + 1, 0, kTallyEnd);
    if (lo >= hi) return 0;
    Txn txn(env, MDB_RDONLY);
    Cursor cursor(txn, tallies);
    std::int64_t total = 0;
    for (int level = 0; level < kTallyLevels; ++level) {
        const int shift = kTallyBits * level;
        const std::int64_t above = std::int64_t{1} << (shift + kTallyBits);
        const std::int64_t lo_up = (lo + above - 1) / above * above;
        const std::int64_t hi_down = hi / above * above;
        if (level == kTallyLevels - 1 || lo_up >= hi_down) {
            total += sum_tallies(cursor, spec, level, lo >> shift, hi >> shift);
            break;
        }
        total += sum_tallies(cursor, spec, level, lo >> shift, lo_up >> shift);
        total += sum_tallies(cursor, spec, level, hi_down >> shift, hi >> shift);
        lo = lo_up;
        hi = hi_down;
    }
    return total;
}

std::optional<std::int64_t> earliest_tallied(const Txn& txn, MDB_dbi tallies) {
    // The spec "" and level 0: "\0\0".
    const std::string prefix = tally_key("", 0, 0).substr(0, 2);
    Cursor cursor(txn, tallies);
    if (!cursor.seek(prefix) || !cursor.key().starts_with(prefix)) return std::nullopt;
    return read_u64be(cursor.key().substr(2));
}

std::vector<std::string> tallied_specs(const Txn& txn, MDB_dbi tallies, std::string_view after,
                                       size_t limit) {
    std::vector<std::string> specs;
    Cursor cursor(txn, tallies);
    for (bool more = cursor.seek(std::string(after) + '\1'); more && specs.size() < limit;) {
        std::string_view spec = cursor.key().substr(0, cursor.key().find('\0'));
        if (!spec.empty()) specs.emplace_back(spec);
        more = cursor.seek(std::string(spec) + '\1');
    }
    return specs;
}

}  // namespace iiif::catalog_detail
