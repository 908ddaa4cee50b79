// RenderCancellation (renderer.hpp): a render whose flag is set stops with 503, before it starts
// or inside libvips' pipeline, long before it would have ended; render_pixels estimates what
// a render decodes and produces.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "iiif_error.hpp"
#include "image_plan.hpp"
#include "image_request.hpp"
#include "image_source.hpp"
#include "renderer.hpp"
#include "test_images.hpp"

using namespace iiif;
using Clock = std::chrono::steady_clock;

namespace {

// A flat source decoded whole for any request: a render of it takes a while.
const std::string& big_flat_source() {
    static const std::string path = test_images::save(
        test_images::solid(6000, 6000, {90, 140, 200}), "cancel-flat.tif", "[compression=deflate]");
    return path;
}

ImagePlan plan_of(const SourceInfo& source, const std::string& request) {
    IiifPath parsed = parse_iiif_path(ApiVersion::v3, "id/" + request);
    return plan_image(parsed.image, source.width, source.height, Limits{});
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// The status a render under `flag` ends with: 200 when it completed.
int render_status(const std::string& path, const SourceInfo& source, const ImagePlan& plan,
                  const std::atomic<bool>& flag) {
    const RenderCancellation cancellation(&flag);
    try {
        return render_image(path, source, plan, RenderOptions{}).bytes.empty() ? 0 : 200;
    } catch (const IiifError& error) {
        return error.status;
    }
}

}  // namespace

TEST_CASE("a cancelled render stops with 503 before it starts", "[render][cancel]") {
    const SourceInfo source = probe_source(big_flat_source());
    std::atomic<bool> cancelled{true};
    CHECK(render_status(big_flat_source(), source, plan_of(source, "full/500,/0/default.png"),
                        cancelled) == 503);
}

TEST_CASE("a render cancelled while libvips computes stops long before its end",
          "[render][cancel]") {
    const SourceInfo source = probe_source(big_flat_source());
    const ImagePlan plan = plan_of(source, "full/3000,/30/default.png");
    std::atomic<bool> never{false};
    auto start = Clock::now();
    REQUIRE(render_status(big_flat_source(), source, plan, never) == 200);
    const double whole = seconds_since(start);

    std::atomic<bool> cancelled{false};
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::duration<double>(whole / 10));
        cancelled = true;
    });
    start = Clock::now();
    const int status = render_status(big_flat_source(), source, plan, cancelled);
    const double stopped = seconds_since(start);
    canceller.join();
    INFO("whole render " << whole << " s, cancelled one " << stopped << " s");
    CHECK(status == 503);
    CHECK(stopped < whole / 2);

    // The flag belongs to its scope: the next render on this thread runs to its end.
    CHECK(render_status(big_flat_source(), source, plan_of(source, "full/100,/0/default.png"),
                        never) == 200);
}

TEST_CASE("render_pixels counts the decoded level region and the output", "[render][cancel]") {
    const SourceInfo flat = probe_source(big_flat_source());
    // Flat: the whole level is decoded, whatever the region.
    CHECK(render_pixels(flat, plan_of(flat, "0,0,100,100/max/0/default.png")) ==
          6000LL * 6000 + 100 * 100);
    const std::string pyramid = test_images::save(
        test_images::solid(4096, 4096, {1, 2, 3}), "cancel-pyramid.tif",
        "[tile,pyramid,compression=jpeg,tile-width=256,tile-height=256]");
    const SourceInfo tiled = probe_source(pyramid);
    // Tiled: the region at the level chosen for the output (here 1/4: 1024 pixels wide).
    CHECK(render_pixels(tiled, plan_of(tiled, "full/1024,/0/default.jpg")) ==
          1024LL * 1024 + 1024 * 1024);
    CHECK(render_pixels(tiled, plan_of(tiled, "0,0,512,512/512,/0/default.jpg")) ==
          512LL * 512 + 512 * 512);
}
