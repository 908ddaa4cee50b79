// The text form of a probed source (source_info.hpp), as the tile cache and the catalog's image
// records keep it: it reads back what it wrote, and nothing a probe could not have made.
#include "source_info.hpp"

#include <catch2/catch.hpp>
#include <climits>
#include <string>

#include "iiif_error.hpp"
#include "records.hpp"

using iiif::SourceFormat;
using iiif::SourceInfo;

// Found by tests/fuzz/record_fuzzer: length + factor - 1 overflowed for a width near int's limit.
TEST_CASE("source info: a level's size is ceil(length / factor), up to int's limit",
          "[source_info]") {
    CHECK(iiif::ceil_div(7, 2) == 4);
    CHECK(iiif::ceil_div(8, 2) == 4);
    CHECK(iiif::ceil_div(1, 1 << 20) == 1);
    CHECK(iiif::ceil_div(2020202020, 1 << 27) == 16);
    CHECK(iiif::ceil_div(INT_MAX, 2) == 1073741824);
}

TEST_CASE("source info: the text form reads back what it wrote", "[source_info]") {
    SourceInfo source;
    source.format = SourceFormat::jp2;
    source.width = 3000;
    source.height = 2000;
    source.tiled = true;
    source.tile_width = source.tile_height = 512;
    source.levels = {{1, 3000, 2000, 0, 1}, {2, 1500, 1000, 1, 1}, {4, 750, 500, 2, 1}};
    const std::string text = iiif::serialize_source_info(source);
    CHECK(text == "v1 1 3000 2000 1 512 512 3 1 3000 2000 0 1 2 1500 1000 1 1 4 750 500 2 1");
    const std::optional<SourceInfo> read = iiif::parse_source_info(text);
    REQUIRE(read);
    CHECK(iiif::serialize_source_info(*read) == text);
}

// Found by tests/fuzz/record_fuzzer: a level of scale factor 0 was read back, and info.json
// then divided by it (SIGFPE in the nginx worker).
TEST_CASE("source info: levels no probe makes are refused", "[source_info]") {
    const std::string head = "v1 2 4000 3000 0 0 0 1 ";
    CHECK(iiif::parse_source_info(head + "1 4000 3000 0 1"));
    CHECK_FALSE(iiif::parse_source_info(head + "0 750 500 0 1"));       // scale factor 0
    CHECK_FALSE(iiif::parse_source_info(head + "-2 750 500 0 1"));      // negative
    CHECK_FALSE(iiif::parse_source_info(head + "3 1334 1000 0 1"));     // not a power of two
    CHECK_FALSE(iiif::parse_source_info(head + "1073741824 1 1 0 1"));  // 2^30: doubled, overflows
    CHECK_FALSE(iiif::parse_source_info(head + "1 0 3000 0 1"));        // no width
    CHECK_FALSE(iiif::parse_source_info(head + "1 4000 -1 0 1"));       // negative height
    CHECK_FALSE(iiif::parse_source_info(head + "1 4000 3000 -1 1"));    // negative page
    CHECK_FALSE(iiif::parse_source_info(head + "1 4000 3000 0 0"));     // shrink 0
    CHECK_FALSE(iiif::parse_source_info("v1 0 4000 3000 1 -256 256 1 1 4000 3000 0 1"));
}

TEST_CASE("source info: an image record with such a source is corrupt: 500", "[source_info]") {
    int status = 0;
    try {
        iiif::image_record_from_json(
            R"({"state": "active", "source": "v1 2 4000 3500 0 2 4 1 0 750 0 4 8"})");
    } catch (const iiif::IiifError& error) {
        status = error.status;
    }
    CHECK(status == 500);
}
