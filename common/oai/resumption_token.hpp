// OAI-PMH resumption tokens that need no state on the server: a token carries where the list
// stands (the last datestamp and key given, or the last set spec), the query that made the list,
// the cursor and list size, and when it expires, signed with the server's key (HMAC-SHA-256).
// So a token survives a restart of the daemon, any number of them can be out at once, and
// asking again with the same token gives the same page (keyset paging: no offsets).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "oai_request.hpp"

namespace iiif {

struct ResumptionState {
    OaiVerb verb = OaiVerb::list_records;  // list_sets, list_identifiers or list_records
    std::string metadata_prefix;
    std::string set;
    std::int64_t from = 0;   // first datestamp of the list (0: from the beginning)
    std::int64_t until = 0;  // last datestamp of the list, fixed by its first request
    // Where the next page starts: strictly after (datestamp, key); for ListSets, after the
    // set spec `key`.
    std::int64_t datestamp = 0;
    std::string key;
    std::int64_t cursor = 0;              // items given before the next page
    std::int64_t complete_list_size = 0;  // size of the list at its first request
    std::int64_t expires = 0;             // unix seconds
    bool operator==(const ResumptionState&) const = default;
};

// A token of URL-safe characters ([A-Za-z0-9_-]); `key` is the server's secret (at least 32
// bytes of randomness).
std::string encode_resumption_token(const ResumptionState& state, std::string_view key);
// The state, when the token was made with this key and has not been altered; nullopt otherwise.
// Expiry is for the caller to check (it knows the time).
std::optional<ResumptionState> decode_resumption_token(std::string_view token,
                                                       std::string_view key);

}  // namespace iiif
