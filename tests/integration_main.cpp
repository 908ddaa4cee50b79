#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <vips/vips8>

int main(int argc, char* argv[]) {
    // libvips only makes the test images; nginx does the serving.
    if (VIPS_INIT(argv[0]) != 0) return 1;
    return Catch::Session().run(argc, argv);
}
