#include "send_arena.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

namespace iiif {

struct SendArena::Counter {
    std::atomic<int> open{0};
};

struct SendArena::Segment {
    Segment(int fd_, std::uint64_t id_, std::shared_ptr<Counter> counter_)
        : fd(fd_), id(id_), counter(std::move(counter_)) {
        counter->open.fetch_add(1);
    }
    ~Segment() {
        close(fd);
        counter->open.fetch_sub(1);
    }
    Segment(const Segment&) = delete;
    Segment& operator=(const Segment&) = delete;

    int fd;
    std::uint64_t id;
    std::shared_ptr<Counter> counter;
    size_t used = 0;
};

namespace {

int make_memfd() {
    return memfd_create("iiif-send-arena", MFD_CLOEXEC);
}

}  // namespace

std::unique_ptr<SendArena> SendArena::create(size_t capacity, std::string* error) {
    std::unique_ptr<SendArena> arena(new SendArena(capacity / 2));
    if (!arena->start_segment()) {
        if (error) *error = std::string("memfd_create: ") + std::strerror(errno);
        return nullptr;
    }
    return arena;
}

SendArena::SendArena(size_t segment_capacity)
    : segment_capacity_(segment_capacity), open_(std::make_shared<Counter>()) {}

SendArena::~SendArena() = default;

bool SendArena::start_segment() {
    current_.reset();  // closed once no response sends from it
    if (open_->open.load() >= kMaxSegments) return false;
    int fd = make_memfd();
    if (fd < 0) return false;
    current_ = std::make_shared<Segment>(fd, next_id_++, open_);
    return true;
}

std::optional<SendArena::Span> SendArena::find(const Ref& ref) const {
    if (!current_ || ref.segment != current_->id) return std::nullopt;
    return Span{current_, current_->fd, ref.offset, ref.size};
}

std::optional<SendArena::Span> SendArena::add(std::string_view bytes, Ref* ref) {
    *ref = Ref{};
    if (bytes.empty() || bytes.size() > max_body()) return std::nullopt;
    if (!current_ || current_->used + bytes.size() > segment_capacity_) {
        if (!start_segment()) return std::nullopt;
    }
    Segment& segment = *current_;
    auto offset = static_cast<off_t>(segment.used);
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = pwrite(segment.fd, bytes.data() + done, bytes.size() - done,
                           offset + static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            // The bytes written stay unread: the next add writes after them.
            segment.used += done;
            return std::nullopt;
        }
        done += static_cast<size_t>(n);
    }
    segment.used += bytes.size();
    *ref = Ref{segment.id, offset, bytes.size()};
    return Span{current_, segment.fd, offset, bytes.size()};
}

int SendArena::open_segments() const {
    return open_->open.load();
}

size_t SendArena::current_used() const {
    return current_ ? current_->used : 0;
}

}  // namespace iiif
