// Resampling 8-bit interleaved pixels to an exact size: a separable filter with fixed-point
// weights computed once per axis, a horizontal pass then a vertical one, both loops the compiler
// vectorises. Made for the renderer's common case, a pyramid level at most twice the output.
#pragma once

#include "decoded_tiles.hpp"

namespace iiif {

enum class Kernel {
    linear,       // triangle, support 1 (stretched by the reduction factor when shrinking)
    catmull_rom,  // cubic with a = -0.5, support 2
    lanczos3,     // support 3, libvips' default
};

// `in` resampled to width x height. Pixel centres are aligned (the image's edges map onto the
// output's edges); pixels beyond an edge repeat the edge.
Pixels resample(const Pixels& in, int width, int height, Kernel kernel);

}  // namespace iiif
