// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// rewrite_input_convolution: the .param text it writes, and the same outputs
// from ncnn for the rewritten graph as for the original one: the folded
// border (fed the padded input) and StemPool (ShuffleNetV2's stem: the
// convolution and the floor-mode max pooling in one layer), on odd and even
// sizes so every border case of both strides is met, bands of rows inside
// the image, 24 and 5 output channels, with and without ReLU, gray and BGR,
// one and two threads.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "check.hpp"
#include "datareader.h"
#include "input_convolution.hpp"
#include "mat.h"
#include "net.h"
#include "stem_pool.hpp"

using namespace mosface;

namespace {

const char* kStem = R"(7767517
3 3
Input            in0   0 1 in0
Convolution      conv0 1 1 in0 c0 0=8 1=3 11=3 3=2 13=2 4=1 5=1 6=216 9=1
Pooling          pool0 1 1 c0 out0 0=0 1=3 2=2 3=1
)";

std::vector<unsigned char> stem_weights(int weights = 216, int outputs = 8) {
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.f, 0.5f);
    std::vector<float> floats(static_cast<std::size_t>(1 + weights + outputs));
    floats[0] = 0.f;  // ncnn's tag for raw float32 weights
    for (std::size_t i = 1; i < floats.size(); ++i) {
        floats[i] = normal(rng);
    }
    std::vector<unsigned char> bytes(floats.size() * sizeof(float));
    std::memcpy(bytes.data(), floats.data(), bytes.size());
    return bytes;
}

ncnn::Mat run(const std::string& param, const std::vector<unsigned char>& weights, const ncnn::Mat& input,
              int threads = 1) {
    ncnn::Net net;
    net.opt.num_threads = threads;
    net.register_custom_layer(kStemPoolType, create_stem_pool);
    CHECK(net.load_param_mem(param.c_str()) == 0);
    const unsigned char* cursor = weights.data();
    ncnn::DataReaderFromMemory reader(cursor);
    CHECK(net.load_model(reader) == 0);
    ncnn::Extractor ex = net.create_extractor();
    ex.input("in0", input);
    ncnn::Mat out;
    CHECK(ex.extract("out0", out) == 0);
    return out.clone();
}

bool contains(const std::string& text, const std::string& piece) { return text.find(piece) != std::string::npos; }

ncnn::Mat random_input(int w, int h, int c, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.f, 1.f);
    ncnn::Mat input(w, h, c);
    for (int k = 0; k < c; ++k) {
        float* values = input.channel(k);
        for (int i = 0; i < w * h; ++i) {
            values[i] = normal(rng);
        }
    }
    return input;
}

double max_difference(const ncnn::Mat& a, const ncnn::Mat& b) {
    CHECK(a.w == b.w && a.h == b.h && a.c == b.c);
    if (a.w != b.w || a.h != b.h || a.c != b.c) {
        return 1e30;
    }
    double worst = 0.0;
    for (int c = 0; c < a.c; ++c) {
        for (int i = 0; i < a.w * a.h; ++i) {
            worst = std::max(worst, static_cast<double>(std::fabs(a.channel(c)[i] - b.channel(c)[i])));
        }
    }
    return worst;
}

// ShuffleNetV2's stem as pnnx writes it: convolution (+ReLU), floor-mode max pooling.
std::string shufflenet_stem(int in_channels, int outputs, bool relu) {
    return "7767517\n3 3\nInput in0 0 1 in0\nConvolution conv0 1 1 in0 c0 0=" + std::to_string(outputs) +
           " 1=3 11=3 12=1 13=2 14=1 2=1 3=2 4=1 5=1 6=" + std::to_string(outputs * in_channels * 9) +
           (relu ? " 9=1" : "") + "\nPooling pool0 1 1 c0 out0 0=0 1=3 11=3 12=2 13=1 2=2 3=1 5=1\n";
}

void check_stem_pool(int in_channels, int outputs, bool relu, int w, int h, int threads) {
    const std::string original = shufflenet_stem(in_channels, outputs, relu);
    const InputConvolution fused = rewrite_input_convolution(original, "in0");
    CHECK(fused.stem_pool && fused.border == 0);
    CHECK(contains(fused.param, "2 2\n"));  // one layer and one blob fewer
    CHECK(contains(fused.param, std::string(kStemPoolType) + " conv0 1 1 in0 out0"));
    CHECK(!contains(fused.param, "Pooling"));
    const std::vector<unsigned char> weights = stem_weights(outputs * in_channels * 9, outputs);
    const ncnn::Mat input = random_input(w, h, in_channels, static_cast<unsigned>(w * 131 + h));
    // Sums of up to 36 products in another order: float32 rounding, relative to values of a few units.
    // The same ncnn kernels on bands of rows: the same sums in the same order.
    const double difference = max_difference(run(fused.param, weights, input, threads), run(original, weights, input));
    if (difference != 0.0) {
        std::fprintf(stderr, "stem %d->%d relu %d, %dx%d, %d threads:\n", in_channels, outputs, relu, w, h, threads);
    }
    CHECK_NEAR(difference, 0.0, 0.0);
}

}  // namespace

int main() {
    const InputConvolution rewritten = rewrite_input_convolution(kStem, "in0");
    CHECK(rewritten.border == 1);
    CHECK(contains(rewritten.param, "31=32"));  // no im2col
    CHECK(contains(rewritten.param, " 4=0"));
    CHECK(!contains(rewritten.param, "4=1"));
    CHECK(contains(rewritten.param, "Pooling          pool0 1 1 c0 out0 0=0 1=3 2=2 3=1"));  // untouched

    // Same numbers: odd 37x29 input, values around zero as after mean subtraction.
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.f, 1.f);
    ncnn::Mat input(37, 29, 3);
    for (int c = 0; c < 3; ++c) {
        float* row = input.channel(c);
        for (int i = 0; i < 37 * 29; ++i) {
            row[i] = normal(rng);
        }
    }
    const std::vector<unsigned char> weights = stem_weights();
    const ncnn::Mat expected = run(kStem, weights, input);
    ncnn::Mat padded;
    ncnn::copy_make_border(input, padded, 1, 1, 1, 1, ncnn::BORDER_CONSTANT, 0.f);
    const ncnn::Mat actual = run(rewritten.param, weights, padded);
    CHECK(actual.w == expected.w && actual.h == expected.h && actual.c == expected.c);
    double worst = 0.0;
    for (int c = 0; c < expected.c; ++c) {
        for (int i = 0; i < expected.w * expected.h; ++i) {
            worst = std::max(worst, static_cast<double>(std::fabs(expected.channel(c)[i] - actual.channel(c)[i])));
        }
    }
    // The direct kernel sums the 27 products in another order than im2col's gemm: float32 rounding only.
    CHECK_NEAR(worst, 0.0, 1e-5);

    // An existing feature mask keeps its bits.
    std::string masked = kStem;
    masked.replace(masked.find("9=1"), 3, "9=1 31=64");
    CHECK(contains(rewrite_input_convolution(masked, "in0").param, "31=96"));

    // Padding that is not the same zeros on every side stays in the layer (im2col still goes).
    std::string uneven = kStem;
    uneven.replace(uneven.find("4=1"), 3, "4=1 15=2");
    const InputConvolution kept = rewrite_input_convolution(uneven, "in0");
    CHECK(kept.border == 0 && contains(kept.param, "15=2") && contains(kept.param, "4=1") && contains(kept.param, "31=32"));
    std::string valued = kStem;
    valued.replace(valued.find("4=1"), 3, "4=1 18=0.5");
    CHECK(rewrite_input_convolution(valued, "in0").border == 0);

    // A second reader of the input would see the border too: nothing changes.
    std::string shared = kStem;
    shared.replace(shared.find("3 3\n"), 4, "4 4\n");
    shared += "Pooling          pool1 1 1 in0 out1 0=1 1=2 2=2\n";
    const InputConvolution untouched = rewrite_input_convolution(shared, "in0");
    CHECK(untouched.border == 0 && untouched.param == shared);

    // The input read by something else than a convolution: nothing changes.
    const std::string pool_first = "7767517\n2 2\nInput in0 0 1 in0\nPooling p 1 1 in0 out0 0=0 1=3 2=2 3=1\n";
    CHECK(rewrite_input_convolution(pool_first, "in0").param == pool_first);

    // StemPool against ncnn's two layers.
    for (const int w : {37, 38, 5}) {
        for (const int h : {29, 30, 3}) {
            check_stem_pool(3, 24, true, w, h, 1);
        }
    }
    check_stem_pool(3, 5, true, 41, 23, 1);
    check_stem_pool(1, 24, false, 33, 34, 1);
    check_stem_pool(3, 24, true, 64, 47, 2);
    check_stem_pool(3, 8, true, 1, 1, 2);  // one pixel: every tap but the centre is padding
    check_stem_pool(3, 24, true, 40, 140, 1);  // three bands: both band borders inside the image

    // Not fused: the pooling in ceil mode (5=0), or read by a second layer.
    std::string ceil_mode = shufflenet_stem(3, 24, true);
    ceil_mode.replace(ceil_mode.find(" 5=1\n"), 5, "\n");
    CHECK(!rewrite_input_convolution(ceil_mode, "in0").stem_pool);
    // Four channels: ncnn packs them, StemPool passes them on unpacked.
    CHECK(!rewrite_input_convolution(shufflenet_stem(4, 24, true), "in0").stem_pool);
    return mosface_test::failures == 0 ? 0 : 1;
}
