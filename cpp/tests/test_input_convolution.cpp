// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// rewrite_input_convolution: the .param text it writes, and the same outputs
// from ncnn for the rewritten graph fed the padded input as for the original
// graph (a padded stride-2 stem and the padded max pooling after it, an odd
// input size so the border cells differ).

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "check.hpp"
#include "graph_runner.hpp"
#include "input_convolution.hpp"

using namespace mosface;

namespace {

const char* kStem = R"(7767517
3 3
Input            in0   0 1 in0
Convolution      conv0 1 1 in0 c0 0=8 1=3 11=3 3=2 13=2 4=1 5=1 6=216 9=1
Pooling          pool0 1 1 c0 out0 0=0 1=3 2=2 3=1
)";

std::vector<unsigned char> stem_weights() {
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.f, 0.5f);
    std::vector<float> floats(1 + 216 + 8);
    floats[0] = 0.f;  // ncnn's tag for raw float32 weights
    for (std::size_t i = 1; i < floats.size(); ++i) {
        floats[i] = normal(rng);
    }
    std::vector<unsigned char> bytes(floats.size() * sizeof(float));
    std::memcpy(bytes.data(), floats.data(), bytes.size());
    return bytes;
}

bool contains(const std::string& text, const std::string& piece) { return text.find(piece) != std::string::npos; }

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
    const ncnn::Mat expected = run_graph(kStem, weights, input);
    ncnn::Mat padded;
    ncnn::copy_make_border(input, padded, 1, 1, 1, 1, ncnn::BORDER_CONSTANT, 0.f);
    const ncnn::Mat actual = run_graph(rewritten.param, weights, padded);
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

    return mosface_test::failures == 0 ? 0 : 1;
}
