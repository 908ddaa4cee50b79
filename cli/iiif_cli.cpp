// iiif: the image core from the command line, for tests and for people debugging a source.
//
//   iiif render SOURCE 'full/1000,/0/default.jpg' -o out.jpg
//   iiif info SOURCE --api 3 --id https://example.org/iiif/3/abc
//   iiif probe SOURCE
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "iiif_error.hpp"
#include "image_plan.hpp"
#include "image_request.hpp"
#include "image_source.hpp"
#include "info_json.hpp"
#include "renderer.hpp"

namespace {

using namespace iiif;

ApiVersion api_version(int api) { return api == 2 ? ApiVersion::v2 : ApiVersion::v3; }

void render_command(const std::string& source_path, const std::string& request_text, int api,
                    const Limits& limits, const RenderOptions& options,
                    const std::string& output_path, bool full_level) {
    // The request is the path below an identifier; a fixed one lets the path grammar split it.
    IiifPath path = parse_iiif_path(api_version(api), "source/" + request_text);
    if (path.kind != IiifPath::Kind::image)
        throw IiifError(400, "expected {region}/{size}/{rotation}/{quality}.{format}");
    SourceInfo source = probe_source(source_path);
    // Forget the pyramid: the baseline that benchmarks compare level selection against.
    if (full_level) source.levels.resize(1);
    ImagePlan plan = plan_image(path.image, source.width, source.height, limits);
    RenderedImage rendered = render_image(source_path, source, plan, options);
    if (output_path.empty() || output_path == "-") {
        std::fwrite(rendered.bytes.data(), 1, rendered.bytes.size(), stdout);
        return;
    }
    std::ofstream out(output_path, std::ios::binary);
    out.write(rendered.bytes.data(), static_cast<std::streamsize>(rendered.bytes.size()));
    if (!out) throw IiifError(500, "cannot write " + output_path);
    std::cerr << "iiif: " << plan.canonical << " -> " << output_path << " (" << rendered.width
              << "x" << rendered.height << ", " << rendered.media_type << ", "
              << rendered.bytes.size() << " bytes)\n";
}

void probe_command(const std::string& source_path) {
    SourceInfo source = probe_source(source_path);
    std::cout << "format: " << source_format_name(source.format) << "\n"
              << "size: " << source.width << "x" << source.height << "\n"
              << "tiled: "
              << (source.tiled ? std::to_string(source.tile_width) + "x" +
                                     std::to_string(source.tile_height)
                               : std::string("no"))
              << "\n";
    for (const SourceLevel& level : source.levels)
        std::cout << "level: scale " << level.scale_factor << " " << level.width << "x"
                  << level.height << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"IIIF image core: render requests, print info.json, probe sources"};
    app.require_subcommand(1);

    std::string source_path, request_text, output_path, id = "http://127.0.0.1/iiif/3/source",
                                                        rights;
    int api = 3;
    iiif::Limits limits;
    iiif::RenderOptions options;
    bool pretty = false;
    bool full_level = false;

    auto add_limits = [&](CLI::App* command) {
        command->add_option("--api", api, "Image API version")->check(CLI::IsMember({2, 3}));
        command->add_option("--max-width", limits.max_width, "maxWidth (0: none)")
            ->check(CLI::NonNegativeNumber);
        command->add_option("--max-height", limits.max_height, "maxHeight (0: none)")
            ->check(CLI::NonNegativeNumber);
        command->add_option("--max-area", limits.max_area, "maxArea (0: none)")
            ->check(CLI::NonNegativeNumber);
    };

    CLI::App* render = app.add_subcommand("render", "render one image request");
    render->add_option("source", source_path, "source image file")->required();
    render->add_option("request", request_text, "{region}/{size}/{rotation}/{quality}.{format}")
        ->required();
    render->add_option("-o,--output", output_path, "output file (default: stdout)");
    render->add_option("--jpeg-quality", options.jpeg_quality, "JPEG quality")
        ->check(CLI::Range(1, 100));
    render->add_flag("--full-level", full_level,
                     "decode the full-resolution level, ignoring the pyramid (for comparison)");
    add_limits(render);

    CLI::App* info = app.add_subcommand("info", "print the info.json of a source");
    info->add_option("source", source_path, "source image file")->required();
    info->add_option("--id", id, "the image's base URI");
    info->add_option("--rights", rights, "licence URI");
    info->add_flag("--pretty", pretty, "indent the JSON");
    add_limits(info);

    CLI::App* probe = app.add_subcommand("probe", "print a source's size, tiling and levels");
    probe->add_option("source", source_path, "source image file")->required();

    CLI11_PARSE(app, argc, argv);

    try {
        iiif::init_renderer(argv[0], 0);
        if (render->parsed()) {
            render_command(source_path, request_text, api, limits, options, output_path,
                           full_level);
        } else if (info->parsed()) {
            iiif::InfoOptions info_options;
            info_options.version = api_version(api);
            info_options.id = id;
            info_options.limits = limits;
            info_options.rights = rights;
            info_options.http_features = false;
            info_options.pretty = pretty;
            std::cout << iiif::info_json(iiif::probe_source(source_path), info_options) << "\n";
        } else {
            probe_command(source_path);
        }
    } catch (const iiif::IiifError& error) {
        std::cerr << "iiif: " << error.status << " " << error.reason << "\n";
        return 1;
    } catch (const std::exception& error) {
        std::cerr << "iiif: 500 " << error.what() << "\n";
        return 1;
    }
    return 0;
}
