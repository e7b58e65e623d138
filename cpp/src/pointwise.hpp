// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Pointwise: ncnn's 1x1 stride-1 convolution on maps packed by 8 (AVX), as a
// register-tiled kernel that reads the packed map where it lies. ncnn runs every
// 1x1 convolution as an im2col GEMM, which first copies the whole input into
// its own tiles: a pass over memory as large as the map, for as few as 16
// output channels (MobileNetV2's projections back to 16-96 channels, at the
// largest sizes, took twice onnxruntime's time). Here each thread takes 64
// pixels at a time and, for 24 output channels at once, sums over the input
// channels with 4 pixels x 3 vectors of 8 in registers, applying the
// activation (ReLU, leaky ReLU, clip) before the one store.
#pragma once

#include <string>

#include "layer.h"

namespace mosface {

constexpr const char* kPointwiseType = "MosfacePointwise";

// Rewrites every 1x1 stride-1 unpadded convolution with input and output channels
// in eights (float weights; no, ReLU, leaky ReLU or clip activation) to a
// Pointwise line. Returns the text unchanged on builds without AVX2/FMA.
std::string fuse_pointwise(const std::string& param_text);

// Whether this build has the kernel (else fuse_pointwise changes nothing).
bool pointwise_vectorised();

// For Net::register_custom_layer(kPointwiseType, create_pointwise, nullptr, nullptr).
ncnn::Layer* create_pointwise(void* unused);

}  // namespace mosface
