// Rendering a planned request with libvips: read only the pyramid level and region the plan
// needs, then scale, colour-manage, mirror, rotate, watermark, apply quality and encode.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "access.hpp"
#include "image_plan.hpp"
#include "source_info.hpp"

namespace iiif {

struct RenderOptions {
    int jpeg_quality = 85;
    int webp_quality = 80;
    int png_compression = 6;
    // Guards, checked before anything is decoded: pixels of the chosen level's region that must
    // be decoded, and pixels of the output (after rotation).
    std::int64_t max_decode_pixels = 400'000'000;
    std::int64_t max_output_pixels = 100'000'000;
};

struct RenderedImage {
    std::string bytes;
    std::string media_type;
    int width = 0, height = 0;
};

// The limits a service declares when `configured` are its own (0: none of its own), capped so
// that every request within them passes `options`' guards unrotated: sides every output format
// holds, and an area within the output guard whose `max` decodes within the decode guard.
// max_scale is kept as it is.
Limits renderable_limits(const Limits& configured, const RenderOptions& options);

// Throws IiifError(422) when even the largest size `limits` allow of the whole image (full/max)
// would decode more than options.max_decode_pixels: a source too large for its pyramid, or
// without one, is refused as such (info.json included) rather than request by request.
void check_renderable(const SourceInfo& source, const Limits& limits, const RenderOptions& options);

// The level of `source` that the plan reads: the smallest one that still holds at least the
// plan's output resolution, so nothing is ever upscaled from a level that was too small.
const SourceLevel& choose_level(const SourceInfo& source, const ImagePlan& plan);

// The pixels rendering the plan decodes (of the chosen level: its region when the source is
// tiled, else the whole level) and produces (after rotation): what a render costs in memory
// and time, for a server's admission of renders.
std::int64_t render_pixels(const SourceInfo& source, const ImagePlan& plan);

// While one lives on a thread, render_image() on that thread stops once `*cancelled` is true
// (set from any thread): between its steps, and inside libvips' pipelines, which it kills. The
// render then throws IiifError(503). Nothing else is affected.
class RenderCancellation {
  public:
    explicit RenderCancellation(const std::atomic<bool>* cancelled);
    ~RenderCancellation();
    RenderCancellation(const RenderCancellation&) = delete;
    RenderCancellation& operator=(const RenderCancellation&) = delete;

  private:
    const std::atomic<bool>* previous_;
};

// Throws IiifError on refusal (limits) or on a source that cannot be decoded. With a
// `source_identity` (see ResolvedSource::identity) the opened level may be kept for the next
// request (set_open_image_capacity); without one it is opened for this request only. With a
// `watermark` the output is marked (when it is at least the mark's min_size), and so is always
// decoded and encoded, never passed through as stored.
RenderedImage render_image(const std::string& path, const SourceInfo& source, const ImagePlan& plan,
                           const RenderOptions& options, const std::string& source_identity = "",
                           const WatermarkSpec* watermark = nullptr);

// How many renders in this process were a native tile served as stored (tile_passthrough.hpp),
// since it started: any thread, for a server's metrics.
std::int64_t native_tiles_served();

// Once per process, before any rendering: vips_init and sensible cache/concurrency settings.
void init_renderer(const char* argv0, int concurrency);
// How many opened random-access source levels the process keeps (0, the default, keeps none).
void set_open_image_capacity(size_t capacity);
// Bytes of decoded source tiles the process keeps for its render threads (decoded_tiles.hpp;
// 0, the default, keeps none).
void set_decoded_tile_capacity(size_t bytes);

}  // namespace iiif
