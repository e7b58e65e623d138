// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// BandedPair: two consecutive layers, a convolution and the stride-2 layer that
// alone reads its output (ShuffleNetV2's stem and its max pooling, its 1x1
// convolutions before a stride-2 depthwise one; MobileNetV2's expansions before
// one), run as one ncnn layer on bands of 16 output rows. ncnn ran them as two
// layers, so the convolution's whole output and the padded copy the second
// layer makes of it were alive together: the networks' largest live sets (MOS-S
// at 640x480: 7 + 7 MiB beside the input; MOS-M: 28 + 28 MiB). A band holds a
// band's rows of both. Inside, the same two ncnn layers run (their
// arch-specific kernels, the same sums: bit-identical outputs), each band
// recomputing the one or two first-layer rows it shares with the band before.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "layer.h"
#include "param_text.hpp"

namespace mosface {

constexpr const char* kBandedPairType = "MosfaceBandedPair";

// The two .param lines a BandedPair layer runs; its own line names one by index.
struct BandedPairs {
    std::vector<std::pair<LayerLine, LayerLine>> pairs;
};

// Replaces every pair that qualifies by one BandedPair line (its weights come at
// the same point of the .bin: the second layer's line must follow the first's).
// The returned pairs must outlive loading the text (the layers are made from them).
std::string fuse_banded_pairs(const std::string& param_text, BandedPairs* pairs);

// For Net::register_custom_layer(kBandedPairType, create_banded_pair, nullptr, &pairs).
ncnn::Layer* create_banded_pair(void* pairs);

}  // namespace mosface
