// libFuzzer target: plan then render, as a render job runs (probe_source, plan_image,
// render_image; common/image/), on small images so that each run stays cheap.
//
// Input: one byte of choices, an image request "{region}/{size}/{rotation}/{quality}.{format}"
// up to the first '\n', then, when the choice says so, the bytes of the source file itself.
//   bits 0-2  the source: 0 a master as iiifd writes it (YCbCr JPEG tiles, a pyramid), 1 a
//             pyramid of RGB-coded JPEG tiles (libvips), 2 a tiled JPEG 2000, 3 a PNG with
//             alpha, 4 a grey JPEG, 5 a striped TIFF; 6 and 7 the input's own bytes
//   bit 3     the image watermark on the output
//   bit 4     Image API 2 instead of 3
//   bits 5-6  the requester's limits: none beyond the service's, a smaller box, degraded
//             access (fitted to 100 pixels), a small area
// The service's limits (1024 x 1024, 256 Kpx out, 1 Mpx decoded) keep every render small.
//
// What must hold: nothing crashes; only IiifError is raised: 400, 415 or 501 from the grammar,
// 400 (a size over the limits) for the six sources, and 400, 415 or 422 for the input's own
// bytes; a source of the input's bytes, once probed, has an info.json; a rendered image is of
// the planned size (the bounding box of its rotation) and decodes to that size.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <vips/vips8>

#include "iiif_error.hpp"
#include "image_plan.hpp"
#include "image_request.hpp"
#include "image_source.hpp"
#include "info_json.hpp"
#include "renderer.hpp"
#include "test_images.hpp"
#include "tiff_master.hpp"

namespace {

using vips::VImage;

struct Source {
    std::string path;
    iiif::SourceInfo info;
    std::string identity;
};

struct Fixture {
    std::vector<Source> sources;
    iiif::WatermarkSpec watermark;
    std::string own_path;  // where the input's own bytes are written
};

Source fixed(const std::string& path, const std::string& identity) {
    return {path, iiif::probe_source(path), identity};
}

const Fixture& fixture() {
    static const Fixture fixture = [] {
        iiif::init_renderer("render_fuzzer", 1);
        iiif::set_open_image_capacity(4);
        iiif::set_decoded_tile_capacity(4 << 20);
        Fixture made;
        const VImage picture = test_images::quadrants(600, 400);
        const std::string master = (test_images::scratch_dir() / "master.tif").string();
        iiifd::write_tiff_master(picture, master, {80, 64, false});
        made.sources.push_back(fixed(master, "master"));
        made.sources.push_back(fixed(
            test_images::save(picture, "rgb.tif",
                              "[tile,tile-width=64,tile-height=64,pyramid,compression=jpeg,Q=90]"),
            "rgb"));
        made.sources.push_back(
            fixed(test_images::save(test_images::quadrants(300, 200), "image.jp2",
                                    "[tile-width=64,tile-height=64,Q=40]"),
                  "jp2"));
        const VImage alpha = test_images::quadrants(120, 90).bandjoin_const({128});
        made.sources.push_back(fixed(test_images::save(alpha, "alpha.png"), "png"));
        made.sources.push_back(fixed(
            test_images::save(test_images::quadrants(160, 120).colourspace(VIPS_INTERPRETATION_B_W),
                              "grey.jpg", "[Q=60]"),
            "jpeg"));
        made.sources.push_back(fixed(test_images::save(test_images::quadrants(100, 80),
                                                       "strips.tif", "[compression=deflate]"),
                                     "strips"));
        made.watermark.name = "mark";
        made.watermark.image = test_images::save(
            test_images::solid(40, 20, test_images::kWhite).bandjoin_const({200}), "mark.png");
        made.watermark.min_size = 0;
        made.watermark.margin = 4;
        made.own_path = (test_images::scratch_dir() / "input").string();
        return made;
    }();
    return fixture;
}

iiif::Limits limits_of(int choice, const iiif::SourceInfo& source) {
    iiif::Limits limits{1024, 1024, 1 << 18};
    switch (choice) {
        case 1:
            limits.max_width = 200;
            limits.max_height = 150;
            break;
        case 2:
            limits = iiif::degraded_limits(limits, source.width, source.height, 100);
            break;
        case 3:
            limits.max_area = 5000;
            break;
    }
    return limits;
}

// Runs `step`; an IiifError it raises must have one of `statuses`.
template <typename Step>
void allowing(std::initializer_list<int> statuses, Step step) {
    try {
        step();
    } catch (const iiif::IiifError& error) {
        if (std::find(statuses.begin(), statuses.end(), error.status) == statuses.end())
            std::abort();
    }
}

void render(const Source& source, const iiif::ImageRequest& request, int limits_choice,
            const iiif::WatermarkSpec* watermark) {
    const iiif::Limits limits = limits_of(limits_choice, source.info);
    const iiif::ImagePlan plan =
        iiif::plan_image(request, source.info.width, source.info.height, limits);
    iiif::RenderOptions options;
    options.max_output_pixels = 1 << 18;
    options.max_decode_pixels = 1 << 20;
    const iiif::RenderedImage rendered =
        iiif::render_image(source.path, source.info, plan, options, source.identity, watermark);
    const iiif::Dimensions box = iiif::rotated_size(plan.width, plan.height, plan.degrees);
    if (rendered.width != box.width || rendered.height != box.height || rendered.bytes.empty())
        std::abort();
    VImage decoded = VImage::new_from_buffer(rendered.bytes.data(), rendered.bytes.size(), "");
    if (decoded.width() != box.width || decoded.height() != box.height) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const Fixture& made = fixture();
    const std::uint8_t choices = data[0];
    std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    const size_t newline = rest.find('\n');
    const std::string_view path = rest.substr(0, newline);
    const std::string_view bytes =
        newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    const auto version = choices & 16 ? iiif::ApiVersion::v2 : iiif::ApiVersion::v3;
    const iiif::WatermarkSpec* watermark = choices & 8 ? &made.watermark : nullptr;
    std::optional<iiif::IiifPath> parsed;
    allowing({400, 415, 501},
             [&] { parsed = iiif::parse_iiif_path(version, "id/" + std::string(path)); });
    if (!parsed || parsed->kind != iiif::IiifPath::Kind::image) return 0;
    const int limits = (choices >> 5) & 3;
    const int which = choices & 7;
    if (which < static_cast<int>(made.sources.size())) {
        // A good source: refused only for the request's size (400), never as damaged.
        allowing({400}, [&] { render(made.sources[which], parsed->image, limits, watermark); });
    } else {
        {
            std::ofstream out(made.own_path, std::ios::binary | std::ios::trunc);
            out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        }
        allowing({400, 415, 422}, [&] {
            iiif::SourceLimits source_limits;
            source_limits.max_dimension = 4096;
            const Source own{made.own_path, iiif::probe_source(made.own_path, source_limits), ""};
            // What the service says of a source it probed: its info.json.
            iiif::InfoOptions info;
            info.version = version;
            info.id = "https://images.example.org/iiif/3/input";
            info.limits = limits_of(limits, own.info);
            (void)iiif::info_json(own.info, info);
            render(own, parsed->image, limits, watermark);
        });
    }
    vips_error_clear();
    return 0;
}
