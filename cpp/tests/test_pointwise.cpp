// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Pointwise against ncnn's Convolution on the same weights and input:
// MobileNetV2's expansion (16 -> 96 channels, ReLU6) and projection (96 -> 24,
// no activation), ShuffleNetV2's 1x1 + ReLU, the FPN's leaky ReLU, and output
// counts of 5, 2 and 1 vectors of 8 (every register tile width); pixel counts
// that leave partial tiles and chunks (37x29, 3x2, one pixel) and a map of many
// chunks; one and two threads; an unpacked net. Then the layers it must leave to
// ncnn: a 3x3 window, stride 2, padding, channels not in eights, a sigmoid.

#include <cstdio>
#include <string>
#include <vector>

#include "check.hpp"
#include "graph_runner.hpp"
#include "pointwise.hpp"

using namespace mosface;

namespace {

std::string pointwise(int in, int out, const std::string& activation) {
    return "7767517\n2 2\nInput in0 0 1 in0\nConvolution pw 1 1 in0 out0 0=" + std::to_string(out) + " 1=1 5=1 6=" +
           std::to_string(in * out) + activation + "\n";
}

void check_rewrite(const std::string& name, int in, int out, const std::string& activation, int w, int h,
                   int threads, bool packed = true) {
    const std::string original = pointwise(in, out, activation);
    const std::string fused = fuse_pointwise(original);
    CHECK(fused.find(std::string(kPointwiseType) + " pw ") != std::string::npos);
    const std::vector<unsigned char> bin = random_weights({in * out, out});
    const ncnn::Mat input = random_input(w, h, in);
    const double difference = relative_difference(run_graph(fused, bin, input, threads, nullptr, packed),
                                                  run_graph(original, bin, input, 1, nullptr, packed));
    // The same products summed in another order than ncnn's GEMM: float32 rounding (96-term sums).
    if (difference > 1e-5) {
        std::fprintf(stderr, "%s %d -> %d, %dx%d, %d threads, packed %d:\n", name.c_str(), in, out, w, h, threads,
                     packed);
    }
    CHECK_NEAR(difference, 0.0, 1e-5);
}

}  // namespace

int main() {
    if (!pointwise_vectorised()) {  // not an AVX2/FMA build: no rewrite at all
        const std::string text = pointwise(16, 96, "");
        CHECK(fuse_pointwise(text) == text);
        return mosface_test::failures == 0 ? 0 : 1;
    }
    const std::string relu6 = " 9=3 -23310=2,0.0,6.0";
    for (const auto& [w, h] : {std::pair{37, 29}, {3, 2}, {1, 1}, {64, 97}}) {
        check_rewrite("expansion", 16, 96, relu6, w, h, 1);
        check_rewrite("projection", 96, 24, "", w, h, 2);
    }
    check_rewrite("shufflenet", 8, 8, " 9=1", 40, 31, 2);
    check_rewrite("fpn", 24, 16, " 9=2 -23310=1,0.1", 20, 15, 2);
    check_rewrite("five blocks", 8, 40, relu6, 9, 7, 2);
    check_rewrite("unpacked", 16, 24, relu6, 13, 11, 2, false);

    const std::string unchanged[] = {
        "0=16 1=3 4=1 5=1 6=1152", "0=16 1=1 3=2 5=1 6=128", "0=16 1=1 4=1 5=1 6=128",
        "0=12 1=1 5=1 6=96",       "0=16 1=1 5=1 6=96",      "0=16 1=1 5=1 6=128 9=4",
    };
    for (const std::string& params : unchanged) {
        const std::string text = "7767517\n2 2\nInput in0 0 1 in0\nConvolution pw 1 1 in0 out0 " + params + "\n";
        if (fuse_pointwise(text) != text) {
            std::fprintf(stderr, "rewritten, but should not be: %s\n", params.c_str());
            CHECK(false);
        }
    }
    // A hand-written line naming the layer with a weight count that is not inputs x outputs: refused.
    CHECK(one_layer_loads(kPointwiseType, "0=8 6=128"));
    CHECK(!one_layer_loads(kPointwiseType, "0=8 6=100"));
    return mosface_test::failures == 0 ? 0 : 1;
}
