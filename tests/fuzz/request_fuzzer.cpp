// libFuzzer target: the request grammar, planning and info.json must never crash, hang or
// raise anything but IiifError, whatever the path. Input: one byte '2' or '3' (the API
// version), then the path below the service prefix.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "iiif_error.hpp"
#include "image_plan.hpp"
#include "image_request.hpp"
#include "info_json.hpp"

namespace {

struct Shape {
    int width, height;
    iiif::Limits limits;
};

constexpr Shape kShapes[] = {
    {1, 1, {}},
    {10000, 8000, {}},
    {10000, 8000, {4000, 3000, 8'000'000}},
    {3, 100000, {0, 0, 1000}},
    {65535, 1, {1, 1, 1}},
};

iiif::SourceInfo pyramid(int width, int height) {
    iiif::SourceInfo source;
    source.format = iiif::SourceFormat::tiff;
    source.width = width;
    source.height = height;
    source.tiled = true;
    source.tile_width = source.tile_height = 256;
    for (int factor = 1; factor <= 64; factor *= 2)
        source.levels.push_back({factor, (width + factor - 1) / factor,
                                 (height + factor - 1) / factor, 0, 1});
    return source;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    auto version = data[0] == '2' ? iiif::ApiVersion::v2 : iiif::ApiVersion::v3;
    std::string_view path(reinterpret_cast<const char*>(data + 1), size - 1);
    try {
        iiif::IiifPath parsed = iiif::parse_iiif_path(version, path);
        if (parsed.identifier.empty()) std::abort();
        if (parsed.kind != iiif::IiifPath::Kind::image) return 0;
        for (const Shape& shape : kShapes) {
            iiif::ImagePlan plan;
            try {
                plan = iiif::plan_image(parsed.image, shape.width, shape.height, shape.limits);
            } catch (const iiif::IiifError& error) {
                if (error.status != 400) std::abort();
                continue;
            }
            // Invariants every plan keeps.
            const auto& r = plan.region;
            if (r.x < 0 || r.y < 0 || r.w < 1 || r.h < 1 || r.x + r.w > shape.width ||
                r.y + r.h > shape.height || plan.width < 1 || plan.height < 1 ||
                plan.canonical.empty())
                std::abort();
            if (shape.limits.max_width && plan.width > shape.limits.max_width) std::abort();
            if (shape.limits.max_height && plan.height > shape.limits.max_height) std::abort();
            // The canonical form parses back to the same plan (this must not throw).
            iiif::IiifPath again = iiif::parse_iiif_path(version, "id/" + plan.canonical);
            iiif::ImagePlan replanned =
                iiif::plan_image(again.image, shape.width, shape.height, shape.limits);
            if (replanned.canonical != plan.canonical || replanned.width != plan.width ||
                replanned.height != plan.height || !(replanned.region == plan.region))
                std::abort();
            iiif::InfoOptions options;
            options.version = version;
            options.id = parsed.identifier;
            options.limits = shape.limits;
            (void)iiif::info_json(pyramid(shape.width, shape.height), options);
        }
    } catch (const iiif::IiifError& error) {
        if (error.status != 400 && error.status != 415 && error.status != 501) std::abort();
    }
    return 0;
}
