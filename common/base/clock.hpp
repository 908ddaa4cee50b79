// The wall clock, read in one way everywhere, and its text in the one form every record,
// OAI-PMH answer and ERC date uses.
#pragma once

#include <cstdint>
#include <string>

namespace iiif {

// Unix seconds, from the system clock.
std::int64_t now_seconds();
// Unix milliseconds, from the same clock.
std::int64_t now_milliseconds();

// "YYYY-MM-DDThh:mm:ssZ" (UTC, ISO 8601, four-digit years even before 1000).
std::string format_utc_datetime(std::int64_t seconds);

}  // namespace iiif
