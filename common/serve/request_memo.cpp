#include "request_memo.hpp"

namespace iiif {

bool MemoAnswer::made_from(const Limits& limits_now,
                           const std::optional<WatermarkSpec>& watermark_now, int width_now,
                           int height_now) const {
    return limits.max_width == limits_now.max_width && limits.max_height == limits_now.max_height &&
           limits.max_area == limits_now.max_area && limits.max_scale == limits_now.max_scale &&
           watermark == watermark_now && width == width_now && height == height_now;
}

std::shared_ptr<const SourceInfo> RequestMemo::source(std::string_view identity) const {
    auto found = sources_.find(identity);
    return found == sources_.end() ? nullptr : found->second;
}

void RequestMemo::keep_source(std::string_view identity, std::shared_ptr<const SourceInfo> source) {
    if (sources_.size() >= kCapacity) sources_.clear();
    sources_.insert_or_assign(std::string(identity), std::move(source));
}

}  // namespace iiif
