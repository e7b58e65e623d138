// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Depthwise3x3 against ncnn's ConvolutionDepthWise (and the producer's own
// activation) on the same weights and input: MobileNetV2's expansion (1x1
// convolution + ReLU6, depthwise + ReLU6) at 96 channels (packed by 8 on AVX,
// 4 on NEON), 12 channels (packed by 4), and unpacked; ShuffleNetV2's 1x1 +
// ReLU before a depthwise convolution without activation; leaky ReLUs; odd, even and
// one-pixel maps (every border row and column), one and two threads. Then what
// must not change: a producer read twice or extracted keeps its activation, and
// windows, paddings, channel counts and activations the kernel does not cover
// stay ncnn's.

#include <cstdio>
#include <string>
#include <vector>

#include "check.hpp"
#include "depthwise3x3.hpp"
#include "graph_runner.hpp"

using namespace mosface;

namespace {

std::string expansion(int in, int out, const std::string& producer_activation, const std::string& dw_activation) {
    return "7767517\n3 3\nInput in0 0 1 in0\nConvolution expand 1 1 in0 c0 0=" + std::to_string(out) +
           " 1=1 5=1 6=" + std::to_string(in * out) + producer_activation + "\nConvolutionDepthWise dw 1 1 c0 out0 0=" +
           std::to_string(out) + " 1=3 4=1 5=1 6=" + std::to_string(9 * out) + " 7=" + std::to_string(out) +
           dw_activation + "\n";
}

const std::string kRelu6 = " 9=3 -23310=2,0.0,6.0";
const std::string kRelu = " 9=1";

void check_rewrite(const std::string& name, const std::string& original, int in, int out, int w, int h, int threads,
                   bool packed) {
    const std::string fused = fuse_depthwise3x3(original, {});
    CHECK(fused.find(std::string(kDepthwise3x3Type) + " dw ") != std::string::npos);
    const std::vector<unsigned char> bin = random_weights({in * out, out, 9 * out, out});
    const ncnn::Mat input = random_input(w, h, in);
    const double difference = relative_difference(run_graph(fused, bin, input, threads, nullptr, packed),
                                                  run_graph(original, bin, input, 1, nullptr, packed));
    // The same products summed in ncnn's order; only contraction into FMA may differ: float32 rounding.
    if (difference > 1e-5) {
        std::fprintf(stderr, "%s %dx%dx%d, %d threads, packed %d:\n", name.c_str(), out, h, w, threads, packed);
    }
    CHECK_NEAR(difference, 0.0, 1e-5);
}

}  // namespace

int main() {
    if (!depthwise3x3_vectorised()) {  // a portable x86 build: no rewrite at all
        const std::string text = expansion(16, 96, kRelu6, kRelu6);
        CHECK(fuse_depthwise3x3(text, {}) == text);
        return mosface_test::failures == 0 ? 0 : 1;
    }
    const std::string mobilenet = expansion(16, 96, kRelu6, kRelu6);
    // The producer's ReLU6 moved into the depthwise layer, which reads it before padding.
    const std::string fused = fuse_depthwise3x3(mobilenet, {});
    CHECK(fused.find(" 20=3") != std::string::npos && fused.find(" -23321=2,0.0,6.0") != std::string::npos);
    CHECK(fused.find("Convolution expand 1 1 in0 c0 0=96 1=1 5=1 6=1536 9=0\n") != std::string::npos);
    for (const int w : {37, 38, 1, 2}) {
        for (const int h : {29, 30, 1, 3}) {
            check_rewrite("mobilenet", mobilenet, 16, 96, w, h, 1, true);
        }
    }
    check_rewrite("mobilenet", mobilenet, 16, 96, 64, 97, 2, true);
    check_rewrite("mobilenet unpacked", mobilenet, 16, 96, 37, 30, 2, false);
    check_rewrite("12 channels", expansion(16, 12, kRelu6, kRelu6), 16, 12, 21, 17, 2, true);
    check_rewrite("shufflenet", expansion(8, 8, kRelu, ""), 8, 8, 40, 31, 1, true);
    check_rewrite("shufflenet", expansion(8, 8, kRelu, ""), 8, 8, 9, 2, 2, true);
    check_rewrite("leaky", expansion(8, 16, " 9=2 -23310=1,0.1", " 9=2 -23310=1,0.2"), 8, 16, 13, 12, 2, true);

    // A producer read twice, or extracted, keeps its activation; the depthwise layer is still rewritten.
    const std::string shared = "7767517\n5 6\nInput in0 0 1 in0\n"
                               "Convolution expand 1 1 in0 c0 0=8 1=1 5=1 6=64" + kRelu6 + "\n"
                               "Split split 1 2 c0 c1 c2\n"
                               "ConvolutionDepthWise dw 1 1 c1 out0 0=8 1=3 4=1 5=1 6=72 7=8\n"
                               "Pooling pool 1 1 c2 out1 0=1 1=2 2=2\n";
    const std::string shared_fused = fuse_depthwise3x3(shared, {});
    CHECK(shared_fused.find(" 20=") == std::string::npos && shared_fused.find("9=3") != std::string::npos);
    CHECK(shared_fused.find(std::string(kDepthwise3x3Type) + " dw ") != std::string::npos);
    const std::vector<unsigned char> bin = random_weights({64, 8, 72, 8});
    const ncnn::Mat input = random_input(23, 19, 8);
    CHECK_NEAR(relative_difference(run_graph(shared_fused, bin, input, 2), run_graph(shared, bin, input)), 0.0, 1e-5);
    const std::string extracted = fuse_depthwise3x3(mobilenet, {"c0"});
    CHECK(extracted.find(" 20=") == std::string::npos && extracted.find(kRelu6 + "\n") != std::string::npos);

    // Left to ncnn: stride 2, a 5x5 window, dilation 2, no padding, a non-zero pad value,
    // channels not in fours, a sigmoid, a channel multiplier of 2.
    const std::string unchanged[] = {
        "0=96 1=3 3=2 4=1 5=1 6=864 7=96", "0=96 1=5 4=2 5=1 6=2400 7=96", "0=96 1=3 2=2 4=2 5=1 6=864 7=96",
        "0=96 1=3 5=1 6=864 7=96",         "0=96 1=3 4=1 18=1.0 5=1 6=864 7=96", "0=58 1=3 4=1 5=1 6=522 7=58",
        "0=96 1=3 4=1 5=1 6=864 7=96 9=4", "0=96 1=3 4=1 5=1 6=1728 7=48",
    };
    for (const std::string& params : unchanged) {
        const std::string text = "7767517\n3 3\nInput in0 0 1 in0\nConvolution expand 1 1 in0 c0 0=96 1=1 5=1 6=1536" +
                                 kRelu6 + "\nConvolutionDepthWise dw 1 1 c0 out0 " + params + "\n";
        if (fuse_depthwise3x3(text, {}) != text) {
            std::fprintf(stderr, "rewritten, but should not be: %s\n", params.c_str());
            CHECK(false);
        }
    }
    // A hand-written line naming the layer with a channel count whose weights overflow an int: refused.
    CHECK(one_layer_loads(kDepthwise3x3Type, "0=96"));
    CHECK(!one_layer_loads(kDepthwise3x3Type, "0=300000000"));
    return mosface_test::failures == 0 ? 0 : 1;
}
