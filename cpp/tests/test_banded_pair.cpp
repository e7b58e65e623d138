// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// BandedPair against ncnn's two layers on the same weights and input:
// ShuffleNetV2's stem (3x3 stride-2 convolution + ReLU, 3x3 stride-2 floor
// max pooling), MobileNetV2's expansion (1x1 convolution + ReLU6, 3x3 stride-2
// depthwise + ReLU6, 16 channels in: packed input) and a plain convolution
// followed by a stride-2 one; odd and even sizes so every border case is met,
// maps of several bands, one and two threads. Then the pairs that must stay
// apart: a second layer of stride 1, a map read twice, ceil-mode pooling.

#include <cstdio>
#include <string>
#include <vector>

#include "banded_pair.hpp"
#include "check.hpp"
#include "graph_runner.hpp"

using namespace mosface;

namespace {

std::string graph(const std::string& first, const std::string& second, int layers = 3, int blobs = 3) {
    return "7767517\n" + std::to_string(layers) + " " + std::to_string(blobs) + "\nInput in0 0 1 in0\n" + first +
           "\n" + second + "\n";
}

// The pair fused (one BandedPair line) gives ncnn's two layers' output.
void check_pair(const std::string& name, const std::string& original, const std::vector<int>& blobs, int channels,
                int w, int h, int threads) {
    BandedPairs pairs;
    const std::string fused = fuse_banded_pairs(original, &pairs);
    CHECK(pairs.pairs.size() == 1);
    CHECK(fused.find(std::string(kBandedPairType) + " ") != std::string::npos);
    CHECK(fused.find("\n2 2\n") != std::string::npos);  // one layer and one blob fewer
    const std::vector<unsigned char> bin = random_weights(blobs);
    const ncnn::Mat input = random_input(w, h, channels);
    BandedPairs none;
    const double difference =
        relative_difference(run_graph(fused, bin, input, threads, &pairs), run_graph(original, bin, input, 1, &none));
    // The same kernels on bands of rows; a gemm's blocking may follow the band's size and the
    // thread count: float32 rounding only (aarch64, 72-term sums: 4e-6 of the largest output).
    if (difference > 1e-5) {
        std::fprintf(stderr, "%s %dx%dx%d, %d threads:\n", name.c_str(), channels, h, w, threads);
    }
    CHECK_NEAR(difference, 0.0, 1e-5);
}

const char* kStemConv = "Convolution conv0 1 1 in0 c0 0=24 1=3 11=3 12=1 13=2 14=1 2=1 3=2 4=1 5=1 6=648 9=1";
const char* kStemPool = "Pooling pool0 1 1 c0 out0 0=0 1=3 11=3 12=2 13=1 2=2 3=1 5=1";
const char* kExpand = "Convolution expand 1 1 in0 c0 0=96 1=1 -23310=2,0.0,6.0 5=1 6=1536 9=3";
const char* kDepthwise =
    "ConvolutionDepthWise dw 1 1 c0 out0 0=96 1=3 -23310=2,0.0,6.0 13=2 14=1 3=2 4=1 5=1 6=864 7=96 9=3";
const char* kConv3 = "Convolution c3 1 1 in0 c0 0=8 1=3 4=1 5=1 6=216";
const char* kConv3s2 = "Convolution c3s2 1 1 c0 out0 0=16 1=3 3=2 4=1 5=1 6=1152 9=1";

}  // namespace

int main() {
    const std::string stem = graph(kStemConv, kStemPool);
    for (const int w : {37, 38, 5}) {
        for (const int h : {29, 30, 3, 140}) {  // 140: three bands of 16 output rows
            check_pair("stem", stem, {648, 24}, 3, w, h, 1);
        }
    }
    check_pair("stem", stem, {648, 24}, 3, 1, 1, 2);  // one pixel: every tap but the centre is padding
    check_pair("stem", stem, {648, 24}, 3, 64, 97, 2);
    const std::string expand = graph(kExpand, kDepthwise);
    check_pair("expand", expand, {1536, 96, 864, 96}, 16, 33, 70, 1);
    check_pair("expand", expand, {1536, 96, 864, 96}, 16, 64, 64, 2);
    check_pair("conv", graph(kConv3, kConv3s2), {216, 8, 1152, 16}, 3, 31, 67, 2);

    // Stay apart: a stride-1 second layer, a map read twice, ceil-mode pooling, a layer in between,
    // padding no network uses (a hostile .param: left to ncnn's own layers).
    std::string huge_pad = kStemConv;
    huge_pad.replace(huge_pad.find(" 4=1"), 4, " 4=2147483000");
    BandedPairs pairs;
    std::string stride1 = kConv3s2;
    stride1.replace(stride1.find(" 3=2"), 4, "");
    const std::string unfused[] = {
        graph(kConv3, stride1),
        graph(kStemConv, kStemPool, 4, 5) + "Pooling pool1 1 1 c0 out1 0=1 1=2 2=2\n",
        graph(kStemConv, std::string(kStemPool).substr(0, std::string(kStemPool).size() - 4)),
        "7767517\n4 4\nInput in0 0 1 in0\n" + std::string(kStemConv) + "\nReLU relu 1 1 c0 r0\n" +
            "Pooling pool0 1 1 r0 out0 0=0 1=3 2=2 3=1 5=1\n",
        graph(huge_pad, kStemPool),
    };
    for (const std::string& text : unfused) {
        CHECK(fuse_banded_pairs(text, &pairs) == text);
    }
    CHECK(pairs.pairs.empty());
    return mosface_test::failures == 0 ? 0 : 1;
}
