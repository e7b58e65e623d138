// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Depthwise3x3: ncnn's 3x3 stride-1 depthwise convolution (pad 1) without the
// three passes over its input ncnn makes around the kernel. ncnn writes a padded
// copy of the whole input, applies the producer's activation (ReLU, ReLU6) in
// place beforehand and its own afterwards, each a pass over the network's largest
// maps (MobileNetV2's expanded ones: 144-960 channels). This layer pads and
// activates rows as it reads them, into a ring of four padded rows per thread,
// and activates its sums in registers: one read of the input, one write of the
// output. Same products, summed in the same order as ncnn's kernel (bias, then
// the nine taps row by row), so results match to the last bit where the
// compiler does not reassociate (tested to 1e-6 relative).
#pragma once

#include <string>
#include <vector>

#include "layer.h"

namespace mosface {

constexpr const char* kDepthwise3x3Type = "MosfaceDepthwise3x3";

// Rewrites every 3x3 stride-1 pad-1 depthwise convolution (float weights, zero
// padding; no, ReLU, leaky ReLU or clip activation) to a Depthwise3x3 line. Where a
// convolution writes its input for it alone (not a blob in `kept_blobs`, which
// callers extract), that convolution's activation moves into it. Returns the text
// unchanged on builds without a vector kernel for the target (x86 below AVX2/FMA).
std::string fuse_depthwise3x3(const std::string& param_text, const std::vector<std::string>& kept_blobs);

// Whether this build has the vector kernel (else fuse_depthwise3x3 changes nothing).
bool depthwise3x3_vectorised();

// For Net::register_custom_layer(kDepthwise3x3Type, create_depthwise3x3, nullptr, nullptr).
ncnn::Layer* create_depthwise3x3(void* unused);

}  // namespace mosface
