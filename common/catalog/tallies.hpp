// The catalog's tallies: how many published objects each set holds per span of time, kept with
// every change of an object so that counting a from/until range (OAI-PMH's completeListSize)
// reads at most a few hundred entries however large the catalog, and so that the sets that hold
// objects and the earliest datestamp are found without a scan. Private to common/catalog/.
//
//   tallies   spec "\0" u8 level + u64be (datestamp >> 6 * level) -> u64be count: how many
//             published objects (active or withdrawn, not pending) each set (spec "" for all)
//             holds per span of 64^level seconds, for levels 0 to 5. A count that falls to 0
//             is deleted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog_lmdb.hpp"
#include "records.hpp"

namespace iiif::catalog_detail {

// Tally levels: level n counts per span of 2^(6n) seconds, from 1 s to 2^30 s (34 years); the
// top level's 64 spans reach 2^36 s, the year 4147.
inline constexpr int kTallyLevels = 6;
inline constexpr int kTallyBits = 6;
inline constexpr std::int64_t kTallyEnd = std::int64_t{1} << (kTallyBits * kTallyLevels);

std::string tally_key(std::string_view spec, int level, std::int64_t span);

// Adds `delta` to every tally a published object counts in: at each level, the span of its
// datestamp, for all objects ("") and for each set it is in. A pending object counts in none.
void tally(Txn& txn, MDB_dbi tallies, const ObjectRecord& object, std::int64_t delta);

// How many objects the tallies count with a datestamp in [from, until] (until 0: no bound), in
// the set `spec` ("": all). Reads in a read transaction of its own, none for an empty range.
std::int64_t count_tallied(MDB_env* env, MDB_dbi tallies, const std::string& spec,
                           std::int64_t from, std::int64_t until);

// The smallest datestamp counted (the first one-second span of all objects); nullopt when none.
std::optional<std::int64_t> earliest_tallied(const Txn& txn, MDB_dbi tallies);

// The specs that have tallies, in order, strictly after `after`, at most `limit`: one seek per
// spec, past all its entries.
std::vector<std::string> tallied_specs(const Txn& txn, MDB_dbi tallies, std::string_view after,
                                       size_t limit);

}  // namespace iiif::catalog_detail
