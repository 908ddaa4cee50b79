// Resampling 8-bit interleaved pixels to an exact size: a separable filter with fixed-point
// weights computed once per axis, a horizontal pass then a vertical one, both loops the compiler
// vectorises. Made for the renderer's common case, a pyramid level at most twice the output.
#pragma once

#include "decoded_tiles.hpp"
#include "yuv420.hpp"

namespace iiif {

enum class Kernel {
    linear,       // triangle, support 1 (stretched by the reduction factor when shrinking)
    catmull_rom,  // cubic with a = -0.5, support 2
    lanczos3,     // support 3, libvips' default
};

// `in` resampled to width x height. Pixel centres are aligned (the image's edges map onto the
// output's edges); pixels beyond an edge repeat the edge.
Pixels resample(const Pixels& in, int width, int height, Kernel kernel);

// `in` resampled to `out`'s size (placed by the caller), plane by plane with the same filter,
// the chroma planes scaled as the luma and sited as Yuv420 says. Row by row, in one pass: no
// buffer larger than a row besides `out`.
void resample(const Yuv420& in, const Yuv420& out, Kernel kernel);

}  // namespace iiif
