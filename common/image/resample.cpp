#include "resample.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace iiif {
namespace {

constexpr int kShift = 14;  // weights in 1/16384ths
constexpr int kOne = 1 << kShift;

double kernel_value(Kernel kernel, double x) {
    x = std::abs(x);
    switch (kernel) {
        case Kernel::linear:
            return x < 1 ? 1 - x : 0;
        case Kernel::catmull_rom:
            if (x < 1) return (1.5 * x - 2.5) * x * x + 1;
            if (x < 2) return ((-0.5 * x + 2.5) * x - 4) * x + 2;
            return 0;
        case Kernel::lanczos3: {
            if (x == 0) return 1;
            if (x >= 3) return 0;
            const double px = M_PI * x;
            return 3 * std::sin(px) * std::sin(px / 3) / (px * px);
        }
    }
    return 0;
}

double kernel_support(Kernel kernel) {
    switch (kernel) {
        case Kernel::linear:
            return 1;
        case Kernel::catmull_rom:
            return 2;
        case Kernel::lanczos3:
            return 3;
    }
    return 1;
}

// For each output position along one axis: the first input position it reads and its weights,
// every output with the same number of taps (weights of 0 where a window is cut by an edge is
// avoided by clamping positions into the image).
struct Axis {
    int taps = 0;
    int pad = 0;                  // how far windows reach beyond an edge
    std::vector<int> first;       // per output
    std::vector<int> positions;   // per output, taps each: input positions, clamped
    std::vector<int> weights;     // per output, taps each: fixed point, summing to kOne
};

Axis make_axis(int in_size, int out_size, Kernel kernel) {
    const double scale = static_cast<double>(in_size) / out_size;  // > 1: shrinking
    const double stretch = std::max(1.0, scale);
    const double support = kernel_support(kernel) * stretch;
    Axis axis;
    axis.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
    axis.first.resize(static_cast<size_t>(out_size));
    axis.positions.resize(static_cast<size_t>(out_size) * static_cast<size_t>(axis.taps));
    axis.weights.resize(axis.positions.size());
    std::vector<double> raw(static_cast<size_t>(axis.taps));
    for (int out = 0; out < out_size; ++out) {
        const double centre = (out + 0.5) * scale - 0.5;
        const int first = static_cast<int>(std::floor(centre - support)) + 1;
        double sum = 0;
        for (int t = 0; t < axis.taps; ++t) {
            raw[static_cast<size_t>(t)] = kernel_value(kernel, (first + t - centre) / stretch);
            sum += raw[static_cast<size_t>(t)];
        }
        const size_t base = static_cast<size_t>(out) * static_cast<size_t>(axis.taps);
        int total = 0, largest = 0;
        for (int t = 0; t < axis.taps; ++t) {
            const int weight = static_cast<int>(std::lround(raw[static_cast<size_t>(t)] / sum * kOne));
            axis.weights[base + static_cast<size_t>(t)] = weight;
            axis.positions[base + static_cast<size_t>(t)] = std::clamp(first + t, 0, in_size - 1);
            total += weight;
            if (std::abs(weight) > std::abs(axis.weights[base + static_cast<size_t>(largest)]))
                largest = t;
        }
        // Rounding error goes to the largest weight, so flat areas stay exactly flat.
        axis.weights[base + static_cast<size_t>(largest)] += kOne - total;
        axis.first[static_cast<size_t>(out)] = first;
        axis.pad = std::max({axis.pad, -first, first + axis.taps - in_size});
    }
    return axis;
}

inline std::uint8_t clamp_byte(int value) {
    value = (value + (1 << (kShift - 1))) >> kShift;
    return static_cast<std::uint8_t>(value < 0 ? 0 : value > 255 ? 255 : value);
}

// `in` turned on its diagonal: out(x, y) = in(y, x). In blocks, so that both sides stay in cache.
template <int Bands>
void transpose_bands(const Pixels& in, Pixels& out) {
    constexpr int kBlock = 32;
    for (int y0 = 0; y0 < in.height; y0 += kBlock) {
        const int y1 = std::min(in.height, y0 + kBlock);
        for (int x0 = 0; x0 < in.width; x0 += kBlock) {
            const int x1 = std::min(in.width, x0 + kBlock);
            for (int y = y0; y < y1; ++y) {
                const std::uint8_t* src = in.row(y);
                for (int x = x0; x < x1; ++x)
                    std::memcpy(out.row(x) + static_cast<size_t>(y) * Bands,
                                src + static_cast<size_t>(x) * Bands, Bands);
            }
        }
    }
}

Pixels transpose(const Pixels& in) {
    Pixels out(in.height, in.width, in.bands);
    switch (in.bands) {
        case 1:
            transpose_bands<1>(in, out);
            break;
        case 2:
            transpose_bands<2>(in, out);
            break;
        case 3:
            transpose_bands<3>(in, out);
            break;
        default:
            transpose_bands<4>(in, out);
            break;
    }
    return out;
}

// Rows of the output from weighted rows of the input: every tap is one pass along a whole row,
// which vectorises (AVX2 where the processor has it).
__attribute__((target_clones("avx2", "default")))
void vertical(const Pixels& in, Pixels& out, const Axis& axis) {
    const int taps = axis.taps;
    const size_t row = out.row_bytes();
    std::vector<int> sum(row);
    for (int y = 0; y < out.height; ++y) {
        const int* positions = &axis.positions[static_cast<size_t>(y) * taps];
        const int* weights = &axis.weights[static_cast<size_t>(y) * taps];
        std::fill(sum.begin(), sum.end(), 0);
        for (int t = 0; t < taps; ++t) {
            const int weight = weights[t];
            if (weight == 0) continue;
            const std::uint8_t* src = in.row(positions[t]);
            int* acc = sum.data();
            for (size_t i = 0; i < row; ++i) acc[i] += src[i] * weight;
        }
        std::uint8_t* dst = out.row(y);
        for (size_t i = 0; i < row; ++i) dst[i] = clamp_byte(sum[i]);
    }
}

}  // namespace

Pixels resample(const Pixels& in, int width, int height, Kernel kernel) {
    // Vertical passes only: the horizontal one is made vertical by transposing, which costs
    // less than filtering across interleaved bands.
    Pixels tall;
    const Pixels* down = &in;
    if (height != in.height) {
        tall = Pixels(in.width, height, in.bands);
        vertical(in, tall, make_axis(in.height, height, kernel));
        down = &tall;
    }
    if (width == in.width) {
        if (down == &tall) return tall;
        Pixels copy(in.width, in.height, in.bands);
        std::memcpy(copy.data.get(), in.data.get(), in.byte_size());
        return copy;
    }
    const Pixels turned = transpose(*down);
    Pixels across(turned.width, width, turned.bands);
    vertical(turned, across, make_axis(in.width, width, kernel));
    return transpose(across);
}

}  // namespace iiif
