// What a service's event loop keeps of the image requests it answered lately, by the request's
// path: the path parsed, the image's id URL with the request fields it came from, and the
// image answer last made of it (its cache key, ETag and Link header) with everything that
// answer was made from; and, by source identity, the source descriptions read from the cache.
// A repeated request (a viewer's tiles, a thumbnail on a busy page) is then answered from the
// tile cache without parsing, planning or hashing again, with headers made once, and without
// looking the entry up again while no commit came after it was seen; and only when every input
// is what it was: the source's identity (checked on each request as before: a stat, or the
// catalog's record and the requester's access), the requester's limits and watermark, the
// source's size.
// Each entry is a pure function of what it holds; the memo is bounded (emptied when full) and
// only ever saves work. One per service (its configuration and its cache), used by one thread
// (the module keeps one per worker).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "access.hpp"
#include "http_message.hpp"
#include "image_plan.hpp"
#include "image_request.hpp"
#include "send_arena.hpp"
#include "source_info.hpp"
#include "source_resolver.hpp"
#include "tile_cache.hpp"

namespace iiif {

// The image answer last made of a request, and what it was made from.
struct MemoAnswer {
    // Inputs: the source's version (a file's stat, or a catalog identity), the requester's
    // limits and watermark, the source's size.
    ResolvedSource file;
    std::string identity;
    Limits limits;
    std::optional<WatermarkSpec> watermark;
    int width = 0, height = 0;
    // Outputs.
    std::shared_ptr<const SourceInfo> source;
    CacheKey key{};
    std::string etag;
    std::string link;
    // The response's head (HttpResponse::head), made at the first hit, with what it was made
    // from besides the inputs above.
    std::shared_ptr<const HttpResponse> head;
    bool head_controlled = false;
    // The last hit's entry, without its pin (TileCache::get_pinned's `seen`), and the second
    // (monotonic) it was last recorded for the eviction policy: once a second is enough, as
    // recorded hits are stamped in batches, by the next writer.
    PinnedEntry seen;
    std::int64_t touched = -1;
    // The hit's bytes in the worker's SendArena, put there at its second hit.
    bool hit_before = false;
    SendArena::Ref sent;

    bool made_from(const Limits& limits_now, const std::optional<WatermarkSpec>& watermark_now,
                   int width_now, int height_now) const;
};

struct MemoEntry {
    IiifPath path;
    std::string base_fields;  // what base_uri() read of the request, joined
    std::string id_url;
    std::optional<MemoAnswer> answer;
};

class RequestMemo {
  public:
    static constexpr size_t kCapacity = 4096;
    // Longer paths are parsed each time: the memo's size stays bounded by its capacity times
    // this.
    static constexpr size_t kMaxPath = 512;

    // The entry of `path`, made with `parse` (parse_iiif_path's result) when new; a path that
    // does not parse throws from `parse` and is not kept. Null for a path over kMaxPath.
    template <typename Parse>
    MemoEntry* entry(std::string_view path, Parse&& parse) {
        if (path.size() > kMaxPath) return nullptr;
        if (auto found = entries_.find(path); found != entries_.end()) return &found->second;
        MemoEntry made{parse(), {}, {}, std::nullopt};
        if (entries_.size() >= kCapacity) entries_.clear();
        return &entries_.emplace(std::string(path), std::move(made)).first->second;
    }
    size_t size() const { return entries_.size(); }

    // The worker's arena hits are sent from (null: from memory). Not owned.
    SendArena* arena = nullptr;

    // The description of the source of `identity`, if kept.
    std::shared_ptr<const SourceInfo> source(std::string_view identity) const;
    void keep_source(std::string_view identity, std::shared_ptr<const SourceInfo> source);

  private:
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view text) const {
            return std::hash<std::string_view>{}(text);
        }
    };
    template <typename T>
    using Map = std::unordered_map<std::string, T, Hash, std::equal_to<>>;
    Map<MemoEntry> entries_;
    Map<std::shared_ptr<const SourceInfo>> sources_;
};

}  // namespace iiif
