#include "resample.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
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
    std::vector<int> start;  // per output, into positions and weights; one more at the end
    std::vector<int> positions;
    std::vector<std::int16_t> weights;  // fixed point, summing to kOne per output
};

// Calls emit(out, first, fixed) for each output position: the fixed-point weights of the input
// positions first, first + 1, ... (fixed.size() of them, unclamped; zeros included), output
// position `out` centred on input position (out + 0.5) * scale - 0.5, which maps the
// image's edges onto the output's when scale is in_size / out_size.
template <class Emit>
void for_each_window(int out_size, double scale, Kernel kernel, Emit emit) {
    const double stretch = std::max(1.0, scale);  // > 1: shrinking
    const double support = kernel_support(kernel) * stretch;
    const int window = static_cast<int>(std::ceil(support)) * 2 + 1;
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
        emit(out, first, fixed);
    }
}

Axis make_axis(int in_size, int out_size, Kernel kernel, double scale) {
    Axis axis;
    axis.start.reserve(static_cast<size_t>(out_size) + 1);
    for_each_window(out_size, scale, kernel, [&](int, int first, const std::vector<int>& fixed) {
        axis.start.push_back(static_cast<int>(axis.positions.size()));
        for (size_t t = 0; t < fixed.size(); ++t) {
            if (fixed[t] == 0) continue;
            axis.positions.push_back(std::clamp(first + static_cast<int>(t), 0, in_size - 1));
            axis.weights.push_back(static_cast<std::int16_t>(fixed[t]));
        }
    });
    axis.start.push_back(static_cast<int>(axis.positions.size()));
    return axis;
}

Axis make_axis(int in_size, int out_size, Kernel kernel) {
    return make_axis(in_size, out_size, kernel, static_cast<double>(in_size) / out_size);
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
    for (; i < n; ++i) {
        int sum = 1 << (kSumShift - 1);
        for (int t = 0; t < taps; ++t) sum += tap(rows[t][i], weights[t]);
        out[i] = to_byte(sum);
    }
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
            weigh_rows_scalar(rows.data(), &axis.weights[begin], taps, out.row(y), out.row_bytes());
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

// Along a row, each output's weights over kDenseTaps consecutive input positions (zeros
// included) from `first`, which may lie up to kPad positions beyond either edge: the row is
// read from a copy with its edge pixels repeated kPad times on each side. Every window fits
// when shrinking by at most 2 (a Catmull-Rom window is then under 8 pixels wide).
constexpr int kDenseTaps = 8;
constexpr int kPad = 8;

struct DenseAxis {
    std::vector<int> first;             // into the padded row: input position + kPad
    std::vector<std::int16_t> weights;  // kDenseTaps per output
};

std::optional<DenseAxis> make_dense_axis(int in_size, int out_size, Kernel kernel, double scale) {
    DenseAxis axis;
    axis.first.reserve(static_cast<size_t>(out_size));
    axis.weights.reserve(static_cast<size_t>(out_size) * kDenseTaps);
    bool fits = true;
    for_each_window(out_size, scale, kernel, [&](int, int first, const std::vector<int>& fixed) {
        size_t begin = 0, end = fixed.size();
        while (begin < end && fixed[begin] == 0) ++begin;
        while (end > begin && fixed[end - 1] == 0) --end;
        const int from = first + static_cast<int>(begin);
        if (end - begin > kDenseTaps || from < -kPad || from + kDenseTaps > in_size + kPad)
            fits = false;
        axis.first.push_back(from + kPad);
        for (size_t t = 0; t < kDenseTaps; ++t)
            axis.weights.push_back(
                static_cast<std::int16_t>(begin + t < end ? fixed[begin + t] : 0));
    });
    if (!fits) return std::nullopt;
    return axis;
}

inline std::uint8_t dense_pixel(const std::uint8_t* line, const std::int16_t* weights) {
    int sum = 1 << (kShift - 1);
    for (int t = 0; t < kDenseTaps; ++t) sum += line[t] * weights[t];
    sum >>= kShift;
    return static_cast<std::uint8_t>(sum < 0 ? 0 : sum > 255 ? 255 : sum);
}

void across_scalar(const std::uint8_t* line, const DenseAxis& axis, std::uint8_t* out, int n) {
    for (int x = 0; x < n; ++x)
        out[x] = dense_pixel(line + axis.first[static_cast<size_t>(x)],
                             &axis.weights[static_cast<size_t>(x) * kDenseTaps]);
}

// Outputs x and x + 1: each one's window times its weights, summed in pairs, in one register.
__attribute__((target("avx2"))) inline __m256i window_pair(const std::uint8_t* line,
                                                           const DenseAxis& axis, int x) {
    const auto at = static_cast<size_t>(x);
    const __m128i a = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(line + axis.first[at]));
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(line + axis.first[at + 1]));
    const __m256i w =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(axis.weights.data() + at * kDenseTaps));
    return _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_unpacklo_epi64(a, b)), w);
}

// Eight outputs at a time: two outputs' windows per register, multiplied and summed in pairs
// (madd), the pairs summed across registers (hadd), the sums put back in order.
__attribute__((target("avx2"))) void across_avx2(const std::uint8_t* line, const DenseAxis& axis,
                                                 std::uint8_t* out, int n) {
    const __m256i round = _mm256_set1_epi32(1 << (kShift - 1));
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    const int* first = axis.first.data();
    const std::int16_t* weights = axis.weights.data();
    int x = 0;
    for (; x + 8 <= n; x += 8) {
        const __m256i low =
            _mm256_hadd_epi32(window_pair(line, axis, x), window_pair(line, axis, x + 2));
        const __m256i high =
            _mm256_hadd_epi32(window_pair(line, axis, x + 4), window_pair(line, axis, x + 6));
        __m256i sums = _mm256_add_epi32(_mm256_hadd_epi32(low, high), round);
        sums = _mm256_permutevar8x32_epi32(_mm256_srai_epi32(sums, kShift), order);
        const __m128i words =
            _mm_packs_epi32(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + x), _mm_packus_epi16(words, words));
    }
    for (; x < n; ++x)
        out[x] = dense_pixel(line + first[x], weights + static_cast<size_t>(x) * kDenseTaps);
}

// Resampling along the row from clamped positions, for windows DenseAxis does not hold.
void across_sparse(const std::uint8_t* row, const Axis& axis, std::uint8_t* out, int n) {
    for (int x = 0; x < n; ++x) {
        int sum = 1 << (kShift - 1);
        for (int t = axis.start[static_cast<size_t>(x)]; t < axis.start[static_cast<size_t>(x) + 1];
             ++t)
            sum +=
                row[axis.positions[static_cast<size_t>(t)]] * axis.weights[static_cast<size_t>(t)];
        sum >>= kShift;
        out[x] = static_cast<std::uint8_t>(sum < 0 ? 0 : sum > 255 ? 255 : sum);
    }
}

// One plane, row by row: the input rows of an output row weighed into one line (vertically,
// 16 bytes at a time), then that line resampled along itself into the output row. Nothing
// larger than a line is allocated.
// A plane's filters: down its columns, and along its rows (dense when the windows fit).
struct PlaneAxes {
    Axis down;
    std::optional<DenseAxis> dense;
    Axis sparse;
};

// The filters of a plane of this size, scale and kernel. Computing them (a kernel value and a
// rounding per tap) costs a tenth of resampling 1250x1000 to 1000x800, and a server makes the
// same sizes again and again (full/1000, and a viewer's tiles): the last few are kept per thread.
const PlaneAxes& plane_axes(int in_w, int in_h, int out_w, int out_h, double scale_x,
                            double scale_y, Kernel kernel) {
    struct Entry {
        int in_w = 0, in_h = 0, out_w = 0, out_h = 0;
        double scale_x = 0, scale_y = 0;
        Kernel kernel = Kernel::linear;
        PlaneAxes axes;
    };
    constexpr size_t kKept = 6;  // luma and chroma of three sizes
    // Of outputs up to this size: about 150 KB each when shrinking by up to 2 (a pyramid's).
    constexpr int kKeptSide = 2048;
    thread_local std::vector<Entry> kept;
    thread_local size_t next = 0;
    for (const Entry& entry : kept)
        if (entry.in_w == in_w && entry.in_h == in_h && entry.out_w == out_w &&
            entry.out_h == out_h && entry.scale_x == scale_x && entry.scale_y == scale_y &&
            entry.kernel == kernel)
            return entry.axes;
    Entry entry{in_w, in_h, out_w, out_h, scale_x, scale_y, kernel, {}};
    entry.axes.down = make_axis(in_h, out_h, kernel, scale_y);
    entry.axes.dense = make_dense_axis(in_w, out_w, kernel, scale_x);
    if (!entry.axes.dense) entry.axes.sparse = make_axis(in_w, out_w, kernel, scale_x);
    if (out_w > kKeptSide || out_h > kKeptSide) {
        // Not kept with the others; only the last such is, until the next.
        thread_local Entry large;
        large = std::move(entry);
        return large.axes;
    }
    if (kept.size() < kKept) {
        kept.reserve(kKept);
        kept.push_back(std::move(entry));
        return kept.back().axes;
    }
    Entry& replaced = kept[next];
    next = (next + 1) % kKept;
    replaced = std::move(entry);
    return replaced.axes;
}

void resample_plane(const Plane& in, const Plane& out, double scale_x, double scale_y,
                    Kernel kernel) {
    static const bool avx2 = __builtin_cpu_supports("avx2");
    const PlaneAxes& axes =
        plane_axes(in.width, in.height, out.width, out.height, scale_x, scale_y, kernel);
    const Axis& down = axes.down;
    const std::optional<DenseAxis>& dense = axes.dense;
    const Axis& sparse = axes.sparse;
    std::vector<std::uint8_t> padded(static_cast<size_t>(in.width) + 2 * kPad + kDenseTaps);
    std::uint8_t* line = padded.data() + kPad;
    std::vector<const std::uint8_t*> rows;
    for (int y = 0; y < out.height; ++y) {
        const auto begin = static_cast<size_t>(down.start[static_cast<size_t>(y)]);
        const auto end = static_cast<size_t>(down.start[static_cast<size_t>(y) + 1]);
        rows.clear();
        for (size_t t = begin; t < end; ++t) rows.push_back(in.row(down.positions[t]));
        const int taps = static_cast<int>(end - begin);
        const auto width = static_cast<size_t>(in.width);
        if (taps == 1 && down.weights[begin] == kOne)
            std::memcpy(line, rows[0], width);
        else if (avx2)
            weigh_rows_avx2(rows.data(), &down.weights[begin], taps, line, width);
        else
            weigh_rows_scalar(rows.data(), &down.weights[begin], taps, line, width);
        if (!dense) {
            across_sparse(line, sparse, out.row(y), out.width);
            continue;
        }
        std::memset(padded.data(), line[0], kPad);
        std::memset(line + in.width, line[in.width - 1], kPad + kDenseTaps);
        if (avx2)
            across_avx2(padded.data(), *dense, out.row(y), out.width);
        else
            across_scalar(padded.data(), *dense, out.row(y), out.width);
    }
}

}  // namespace

void resample(const Yuv420& in, const Yuv420& out, Kernel kernel) {
    // Both planes shrink by the luma's scale: an output chroma sample is centred, as JPEG sites
    // it, between the two luma pixels it covers, and so is an input one (chroma j of either
    // sits on luma 2j + 0.5, which maps to chroma (j + 0.5) * scale - 0.5).
    const double scale_x = static_cast<double>(in.width) / out.width;
    const double scale_y = static_cast<double>(in.height) / out.height;
    resample_plane(in.y, out.y, scale_x, scale_y, kernel);
    resample_plane(in.cb, out.cb, scale_x, scale_y, kernel);
    resample_plane(in.cr, out.cr, scale_x, scale_y, kernel);
}

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
