// Bytes a server sends again and again (a viewer's tiles, a page's thumbnails), copied once into
// a memory file (memfd) so that each response sends them with sendfile(): the kernel hands the
// socket references to the file's pages, and the bytes are not copied by the sender at all.
//
// Why this is safe where sendfile() from tiles.mdb is not (snapshot_pins.hpp): the kernel reads
// a sendfile()'s pages when the segments go out, possibly after the response was freed, and
// LMDB rewrites freed pages in place. A segment here is append-only: no byte of it is ever
// written twice, and it is closed (never truncated or reused) once full, so the pages a socket
// holds keep their bytes for as long as the kernel needs them.
//
// Bounded: bytes go into the current segment (half the capacity) until it is full; then a new
// one starts, and the full one is closed once the last response that sends from it is freed.
// A memo's reference into a closed segment is not found; the server adds the bytes again at
// their next hit, so what is sent often is copied once per segment. At most kMaxSegments are
// open; while they all are (slow clients holding old ones), nothing is added and responses are
// sent from memory as before. The pages are shared memory (shmem), not in the process's
// resident set unless mapped, which they never are: count the capacity (twice it, at worst) in
// a worker's memory.
//
// One per worker, used by its event loop only; made after fork (a memfd made before would be
// shared by every worker).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace iiif {

class SendArena {
  public:
    static constexpr int kMaxSegments = 4;
    // The largest body kept: a sixteenth of a segment.
    size_t max_body() const { return segment_capacity_ / 16; }

    // Where bytes were put, as a memo keeps it: no reference to the segment, so a memo never
    // keeps one open. Found while its segment is the current one.
    struct Ref {
        std::uint64_t segment = 0;  // 0: nowhere
        std::int64_t offset = 0;
        size_t size = 0;
    };
    // Where a response sends from: the segment's descriptor, kept open while `hold` lives.
    struct Span {
        std::shared_ptr<const void> hold;
        int fd = -1;
        std::int64_t offset = 0;
        size_t size = 0;
    };

    // Null when the system has no memfd (the server then sends from memory); `error` says why.
    static std::unique_ptr<SendArena> create(size_t capacity, std::string* error);
    ~SendArena();
    SendArena(const SendArena&) = delete;
    SendArena& operator=(const SendArena&) = delete;

    // The span of `ref` if its segment is still the current one.
    std::optional<Span> find(const Ref& ref) const;
    // Copies `bytes` into the current segment (starting a new one when it is full) and notes
    // where in `ref`. Nullopt, `ref` emptied, when they are larger than max_body(), when
    // kMaxSegments are open, or on a failed write.
    std::optional<Span> add(std::string_view bytes, Ref* ref);

    // For tests and reports.
    int open_segments() const;
    size_t current_used() const;

  private:
    struct Segment;
    struct Counter;
    explicit SendArena(size_t segment_capacity);
    bool start_segment();

    size_t segment_capacity_;
    std::shared_ptr<Counter> open_;  // segments not yet closed, shared with them
    std::shared_ptr<Segment> current_;
    std::uint64_t next_id_ = 1;
};

}  // namespace iiif
