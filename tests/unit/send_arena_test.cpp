// The send arena (common/serve/send_arena.hpp): bytes put once into memory files, found by
// reference while their segment is current, never rewritten, bounded in open segments; and the
// image service sending a memo's repeated hits from it.
#include "send_arena.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "image_service.hpp"
#include "request_memo.hpp"
#include "test_images.hpp"
#include "tile_cache.hpp"

using namespace iiif;

namespace {

// What the file holds at the span, read back with pread.
std::string read_span(const SendArena::Span& span) {
    std::string bytes(span.size, '\0');
    REQUIRE(pread(span.fd, bytes.data(), span.size, span.offset) ==
            static_cast<ssize_t>(span.size));
    return bytes;
}

std::string bytes_of(char fill, size_t size) {
    return std::string(size, fill);
}

}  // namespace

TEST_CASE("send arena: bytes added are found at their reference, as written", "[send_arena]") {
    std::string error;
    auto arena = SendArena::create(1 << 20, &error);  // segments of 512 KiB
    REQUIRE(arena);
    CHECK(arena->max_body() == 32768);
    SendArena::Ref first, second;
    auto a = arena->add(bytes_of('a', 1000), &first);
    auto b = arena->add(bytes_of('b', 32768), &second);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(first.offset == 0);
    CHECK(second.offset == 1000);
    CHECK(read_span(*a) == bytes_of('a', 1000));
    CHECK(read_span(*b) == bytes_of('b', 32768));
    auto found = arena->find(first);
    REQUIRE(found);
    CHECK(found->fd == a->fd);
    CHECK(found->offset == 0);
    CHECK(found->size == 1000);
    CHECK(arena->current_used() == 33768);
    CHECK(arena->open_segments() == 1);
}

TEST_CASE("send arena: nothing larger than a sixteenth of a segment, nothing empty",
          "[send_arena]") {
    std::string error;
    auto arena = SendArena::create(1 << 20, &error);
    REQUIRE(arena);
    SendArena::Ref ref{7, 7, 7};
    CHECK_FALSE(arena->add(bytes_of('x', 32769), &ref));
    CHECK(ref.segment == 0);
    CHECK_FALSE(arena->add("", &ref));
    CHECK(arena->current_used() == 0);
}

TEST_CASE(
    "send arena: a full segment gives way to a new one, and is closed when no response "
    "holds it",
    "[send_arena]") {
    std::string error;
    auto arena = SendArena::create(1 << 20, &error);
    REQUIRE(arena);
    SendArena::Ref first;
    auto held = arena->add(bytes_of('h', 30000), &first);
    REQUIRE(held);
    // 16 more of 30000 bytes fill 510000 of 524288; the 18th starts a second segment.
    SendArena::Ref last;
    for (int i = 0; i < 16; ++i) REQUIRE(arena->add(bytes_of('n', 30000), &last));
    CHECK(last.segment == first.segment);
    REQUIRE(arena->add(bytes_of('m', 30000), &last));
    CHECK(last.segment != first.segment);
    CHECK(last.offset == 0);
    // The first segment is no longer found, but stays open with its bytes for `held`.
    CHECK_FALSE(arena->find(first));
    CHECK(arena->open_segments() == 2);
    CHECK(read_span(*held) == bytes_of('h', 30000));
    held.reset();
    CHECK(arena->open_segments() == 1);
}

TEST_CASE("send arena: at most four segments open, then nothing is added until one closes",
          "[send_arena]") {
    std::string error;
    auto arena = SendArena::create(1 << 20, &error);
    REQUIRE(arena);
    std::vector<SendArena::Span> holds;
    SendArena::Ref ref;
    // Each segment takes 17 of 30000 bytes; a response holds one span of each.
    for (int segment = 0; segment < SendArena::kMaxSegments; ++segment) {
        for (int i = 0; i < 17; ++i) {
            auto span = arena->add(bytes_of(static_cast<char>('a' + segment), 30000), &ref);
            REQUIRE(span);
            if (i == 0) holds.push_back(*span);
        }
    }
    CHECK(arena->open_segments() == 4);
    CHECK_FALSE(arena->add(bytes_of('z', 30000), &ref));
    CHECK(ref.segment == 0);
    for (int segment = 0; segment < SendArena::kMaxSegments; ++segment)
        CHECK(read_span(holds[segment]) == bytes_of(static_cast<char>('a' + segment), 30000));
    holds.erase(holds.begin());
    CHECK(arena->open_segments() == 3);
    auto added = arena->add(bytes_of('z', 30000), &ref);
    REQUIRE(added);
    CHECK(read_span(*added) == bytes_of('z', 30000));
    CHECK(arena->open_segments() == 4);
}

TEST_CASE("send arena: a memo's hit is sent from the arena from its second hit, the same bytes",
          "[send_arena][memo]") {
    auto root = test_images::scratch_dir() / "send-arena-service";
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root / "images");
    test_images::quadrants().write_to_file((root / "images" / "pattern.tif").c_str());
    ServiceConfig config;
    config.source_dir = (root / "images").string();
    std::string error;
    auto cache = TileCache::open((root / "cache").string(), 64 << 20, &error);
    REQUIRE(cache);
    auto arena = SendArena::create(1 << 20, &error);
    REQUIRE(arena);
    RequestMemo memo;
    memo.arena = arena.get();

    HttpRequest request;
    request.method = "GET";
    request.path = "pattern/0,0,200,150/100,/0/default.jpg";
    request.prefix = "/iiif/3";
    request.scheme = "http";
    request.host = "images.test";
    PreparedRequest miss = prepare_request(config, cache.get(), request, nullptr, &memo);
    REQUIRE(miss.job);
    run_job(*miss.job);
    const std::string rendered = finish_job(*miss.job).body;
    REQUIRE(rendered.size() > 500);

    PreparedRequest first_hit = prepare_request(config, cache.get(), request, nullptr, &memo);
    REQUIRE_FALSE(first_hit.job);
    CHECK(first_hit.response.meta().cache_status == CacheStatus::hit);
    CHECK(first_hit.response.body_file.fd == -1);  // a hit seen once is sent from memory
    CHECK(first_hit.response.body_bytes() == rendered);

    for (int i = 0; i < 2; ++i) {
        PreparedRequest hit = prepare_request(config, cache.get(), request, nullptr, &memo);
        REQUIRE_FALSE(hit.job);
        const auto& file = hit.response.body_file;
        REQUIRE(file.fd >= 0);
        CHECK(file.offset == 0);  // the first bytes added, added once
        CHECK(hit.response.body_bytes() == rendered);
        CHECK(read_span({file.hold, file.fd, file.offset, rendered.size()}) == rendered);
    }
    CHECK(arena->current_used() == rendered.size());
}
