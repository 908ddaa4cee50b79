#include "resample.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace iiif {
namespace {

// Weights are fixed point in 1/16384ths. A tap adds round(pixel * weight / 256), the pixel in
// 1/64ths of a level, so sums stay in 16 bits (a pixel of 255 under the largest overshoot of a
// Catmull-Rom window is under 19000) and the SIMD pass does 16 pixels per instruction.
constexpr int kShift = 14;
constexpr int kOne = 1 << kShift;
constexpr int kSumShift = 6;  // the sum's fraction bits

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

// For each output position along one axis, the input positions it reads (clamped into the
// image: beyond an edge the edge repeats) and their weights, only the non-zero ones.
struct Axis {
    std::vector<int> start;       // per output, into positions and weights; one more at the end
    std::vector<int> positions;
    std::vector<std::int16_t> weights;  // fixed point, summing to kOne per output
};

Axis make_axis(int in_size, int out_size, Kernel kernel) {
    const double scale = static_cast<double>(in_size) / out_size;  // > 1: shrinking
    const double stretch = std::max(1.0, scale);
    const double support = kernel_support(kernel) * stretch;
    const int window = static_cast<int>(std::ceil(support)) * 2 + 1;
    Axis axis;
    axis.start.reserve(static_cast<size_t>(out_size) + 1);
    std::vector<double> raw(static_cast<size_t>(window));
    std::vector<int> fixed(static_cast<size_t>(window));
    for (int out = 0; out < out_size; ++out) {
        const double centre = (out + 0.5) * scale - 0.5;
        const int first = static_cast<int>(std::floor(centre - support)) + 1;
        double sum = 0;
        for (int t = 0; t < window; ++t) {
            raw[static_cast<size_t>(t)] = kernel_value(kernel, (first + t - centre) / stretch);
            sum += raw[static_cast<size_t>(t)];
        }
        int total = 0, largest = 0;
        for (int t = 0; t < window; ++t) {
            const auto i = static_cast<size_t>(t);
            fixed[i] = static_cast<int>(std::lround(raw[i] / sum * kOne));
            total += fixed[i];
            if (std::abs(fixed[i]) > std::abs(fixed[static_cast<size_t>(largest)])) largest = t;
        }
        // Rounding error goes to the largest weight, so flat areas stay exactly flat.
        fixed[static_cast<size_t>(largest)] += kOne - total;
        axis.start.push_back(static_cast<int>(axis.positions.size()));
        for (int t = 0; t < window; ++t) {
            if (fixed[static_cast<size_t>(t)] == 0) continue;
            axis.positions.push_back(std::clamp(first + t, 0, in_size - 1));
            axis.weights.push_back(static_cast<std::int16_t>(fixed[static_cast<size_t>(t)]));
        }
    }
    axis.start.push_back(static_cast<int>(axis.positions.size()));
    return axis;
}

inline int tap(int pixel, int weight) {
    return ((pixel << 7) * weight + (1 << 14)) >> 15;
}

inline std::uint8_t to_byte(int sum) {
    sum >>= kSumShift;
    return static_cast<std::uint8_t>(sum < 0 ? 0 : sum > 255 ? 255 : sum);
}

// One output row: the weighted sum of `taps` input rows, `n` bytes each.
void weigh_rows_scalar(const std::uint8_t* const* rows, const std::int16_t* weights, int taps,
                       std::uint8_t* out, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        int sum = 1 << (kSumShift - 1);
        for (int t = 0; t < taps; ++t) sum += tap(rows[t][i], weights[t]);
        out[i] = to_byte(sum);
    }
}

__attribute__((target("avx2"))) void weigh_rows_avx2(const std::uint8_t* const* rows,
                                                     const std::int16_t* weights, int taps,
                                                     std::uint8_t* out, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i sum = _mm256_set1_epi16(1 << (kSumShift - 1));
        for (int t = 0; t < taps; ++t) {
            const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[t] + i));
            const __m256i pixels = _mm256_slli_epi16(_mm256_cvtepu8_epi16(bytes), 7);
            sum = _mm256_add_epi16(sum, _mm256_mulhrs_epi16(pixels, _mm256_set1_epi16(weights[t])));
        }
        sum = _mm256_srai_epi16(sum, kSumShift);
        const __m128i packed =
            _mm_packus_epi16(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), packed);
    }
    std::vector<const std::uint8_t*> rest(rows, rows + taps);
    for (auto& row : rest) row += i;
    weigh_rows_scalar(rest.data(), weights, taps, out + i, n - i);
}

// Rows of the output from weighted rows of the input: every tap is one pass along a whole row.
void vertical(const Pixels& in, Pixels& out, const Axis& axis) {
    static const bool avx2 = __builtin_cpu_supports("avx2");
    std::vector<const std::uint8_t*> rows;
    for (int y = 0; y < out.height; ++y) {
        const auto begin = static_cast<size_t>(axis.start[static_cast<size_t>(y)]);
        const auto end = static_cast<size_t>(axis.start[static_cast<size_t>(y) + 1]);
        rows.clear();
        for (size_t t = begin; t < end; ++t) rows.push_back(in.row(axis.positions[t]));
        const int taps = static_cast<int>(end - begin);
        if (avx2)
            weigh_rows_avx2(rows.data(), &axis.weights[begin], taps, out.row(y), out.row_bytes());
        else
            weigh_rows_scalar(rows.data(), &axis.weights[begin], taps, out.row(y),
                              out.row_bytes());
    }
}

// `in` turned on its diagonal: out(x, y) = in(y, x). In blocks, so that both sides stay in cache.
// Three bands are moved four bytes at a time: the fourth byte lands on the next pixel of the
// output row, which is written after it, so only each row's last pixel, and the input's last
// column (whose fourth byte is past the input), are moved three bytes at a time.
template <int Bands>
void transpose_bands(const Pixels& in, Pixels& out) {
    constexpr int kBlock = 32;
    const size_t out_stride = out.row_bytes();
    for (int y0 = 0; y0 < in.height; y0 += kBlock) {
        const int y1 = std::min(in.height, y0 + kBlock);
        for (int x0 = 0; x0 < in.width; x0 += kBlock) {
            const int x1 = std::min(in.width, x0 + kBlock);
            for (int y = y0; y < y1; ++y) {
                const std::uint8_t* src = in.row(y);
                std::uint8_t* dst = out.row(x0) + static_cast<size_t>(y) * Bands;
                int x = x0;
                if (Bands == 3 && y + 1 < in.height) {
                    for (const int end = std::min(x1, in.width - 1); x < end; ++x) {
                        std::uint32_t pixel;
                        std::memcpy(&pixel, src + static_cast<size_t>(x) * 3, 4);
                        std::memcpy(dst, &pixel, 4);
                        dst += out_stride;
                    }
                }
                for (; x < x1; ++x) {
                    std::memcpy(dst, src + static_cast<size_t>(x) * Bands, Bands);
                    dst += out_stride;
                }
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
