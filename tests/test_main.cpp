#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "renderer.hpp"

int main(int argc, char* argv[]) {
    iiif::init_renderer(argv[0], 1);
    return Catch::Session().run(argc, argv);
}
