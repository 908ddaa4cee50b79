// bench_make_master: writes an image as iiifd writes its TIFF masters (iiifd::write_tiff_master:
// tiled JPEG in YCbCr 4:2:0, each level a 2x2 average of the one before), so that a benchmark
// serves the masters production serves without running a deposit.
//
//   bench_make_master --input IMAGE --output MASTER.tif [--quality 90] [--tile-size 256]
//                     [--bigtiff]
//
// The input is any image libvips opens that is already 8-bit sRGB or grey with no alpha (such as
// the benchmarks' generated .v file, which is then read in place); iiifd's ingest converts a
// deposit to that first, which this tool does not repeat. The defaults are iiifd's
// (TiffMasterOptions, [ingest] master_jpeg_quality and master_tile_size).
#include <CLI/CLI.hpp>
#include <chrono>
#include <exception>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <string>
#include <vips/vips8>

#include "tiff_master.hpp"

int main(int argc, char** argv) {
    if (VIPS_INIT(argv[0]) != 0) {
        std::cerr << "bench_make_master: libvips did not start\n";
        return 1;
    }
    std::string input;
    std::string output;
    iiifd::TiffMasterOptions options;
    CLI::App app{"Writes an image as iiifd writes its pyramidal TIFF masters"};
    app.add_option("--input", input, "the image (8-bit sRGB or grey, no alpha)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--output", output, "the master to write")->required();
    app.add_option("--quality", options.quality, "JPEG quality of the tiles")
        ->capture_default_str()
        ->check(CLI::Range(1, 100));
    app.add_option("--tile-size", options.tile_size, "tile width and height (a multiple of 16)")
        ->capture_default_str();
    app.add_flag("--bigtiff", options.bigtiff, "BigTIFF (iiifd's choice past 1 GiB of pixels)");
    CLI11_PARSE(app, argc, argv);

    try {
        const auto start = std::chrono::steady_clock::now();
        const vips::VImage image = vips::VImage::new_from_file(input.c_str());
        iiifd::write_tiff_master(image, output, options);
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        std::cerr << "bench_make_master: " << output << ": " << image.width() << "x"
                  << image.height() << ", Q " << options.quality << ", tiles of "
                  << options.tile_size << ", " << std::filesystem::file_size(output) << " bytes in "
                  << std::fixed << std::setprecision(2) << took.count() << " s\n";
        return 0;
    } catch (const vips::VError& error) {
        std::cerr << "bench_make_master: " << input << ": " << error.what() << "\n";
    } catch (const std::exception& error) {
        std::cerr << "bench_make_master: " << error.what() << "\n";
    }
    std::error_code ignored;
    std::filesystem::remove(output, ignored);
    return 1;
}
