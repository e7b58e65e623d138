// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// layer_threads: shapes followed from the input through the layer types MOS
// graphs use, the work each layer is given, which layers lose threading, and
// that layers after one whose shape cannot be followed keep every thread.

#include <map>
#include <string>
#include <vector>

#include "check.hpp"
#include "layer_threads.hpp"

using namespace mosface;

namespace {

// 3 x 96 x 128 in. Shapes in comments are channels x height x width.
const char* kGraph = R"(7767517
13 16
Input            in0    0 1 in0
Convolution      conv   1 1 in0 c 0=16 1=3 3=2 4=1 5=1 6=432 9=1
Split            split  1 2 c s0 s1
ConvolutionDepthWise dw 1 1 s0 d 0=16 1=3 4=1 5=1 6=144 7=16
Concat           cat    2 1 d s1 k
Slice            slice  1 2 k a b -23300=2,-233,-233 1=0
Pooling          pool   1 1 a p 0=0 1=2 2=2 5=1
Interp           up     2 1 p b u 0=1 9="1w,1h"
BinaryOp         add    2 1 u b e 0=0
ShuffleChannel   shuffle 1 1 e f 0=2
Convolution      wide   1 1 f g 0=64 1=1 5=1 6=1024
Reshape          flat   1 1 g r 0=-1
Convolution      after  1 1 r z 0=8 1=1 5=1 6=512
)";

}  // namespace

int main() {
    std::map<std::string, double> work;
    for (const LayerWork& layer : estimate_layer_work(kGraph, "in0", 3, 96, 128)) {
        work[layer.name] = layer.work;
    }
    CHECK(work.size() == 12);
    CHECK_NEAR(work["conv"], 432.0 * 48 * 64, 0.0);       // 16 x 48 x 64: weights once per output pixel
    CHECK_NEAR(work["split"], 8.0 * 16 * 48 * 64, 0.0);    // memory-bound: 8 per element
    CHECK_NEAR(work["dw"], 144.0 * 48 * 64, 0.0);
    CHECK_NEAR(work["cat"], 8.0 * 32 * 48 * 64, 0.0);      // 32 channels
    CHECK_NEAR(work["slice"], 8.0 * 16 * 48 * 64, 0.0);    // two halves of 16
    CHECK_NEAR(work["pool"], 8.0 * 16 * 24 * 32, 0.0);     // floor mode, stride 2
    CHECK_NEAR(work["up"], 8.0 * 16 * 48 * 64, 0.0);       // back to the reference blob's size
    CHECK_NEAR(work["add"], 8.0 * 16 * 48 * 64, 0.0);
    CHECK_NEAR(work["shuffle"], 8.0 * 16 * 48 * 64, 0.0);
    CHECK_NEAR(work["wide"], 1024.0 * 48 * 64, 0.0);
    CHECK(work["flat"] < 0);   // Reshape: not followed
    CHECK(work["after"] < 0);  // nor anything after it

    // At this size: conv 1.3e6, dw 0.44e6, wide 3.1e6 multiply-adds; the copies 0.1-0.8e6.
    const std::string planned = single_thread_small_layers(kGraph, "in0", 3, 96, 128);
    for (const char* small : {"split ", "dw ", "cat ", "slice ", "pool ", "up ", "add ", "shuffle "}) {
        const std::size_t line = planned.find(small);
        CHECK(line != std::string::npos && planned.find("31=128", line) < planned.find('\n', line));
    }
    for (const char* big : {"conv ", "wide ", "flat ", "after "}) {
        const std::size_t line = planned.find(big);
        CHECK(line != std::string::npos && planned.find("31=", line) > planned.find('\n', line));
    }
    // Four times the pixels: the depthwise layer (1.8e6) keeps its threads too.
    const std::string larger = single_thread_small_layers(kGraph, "in0", 3, 192, 256);
    const std::size_t dw = larger.find("dw ");
    CHECK(larger.find("31=", dw) > larger.find('\n', dw));

    // A hostile .param: a pad that takes the output beyond int is not followed (no overflow).
    const std::string huge = "7767517\n2 2\nInput in0 0 1 in0\n"
                             "Convolution huge 1 1 in0 out0 0=8 1=3 4=2147483000 5=1 6=216\n";
    const std::vector<LayerWork> hostile = estimate_layer_work(huge, "in0", 3, 96, 128);
    CHECK(hostile.size() == 1 && hostile[0].work < 0);
    CHECK(single_thread_small_layers(huge, "in0", 3, 96, 128).find("31=") == std::string::npos);
    return mosface_test::failures == 0 ? 0 : 1;
}
