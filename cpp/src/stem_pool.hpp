// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// StemPool: ShuffleNetV2's stem (MOS-S, mos-tiny) as one ncnn layer: a 3x3
// stride-2 convolution with zero padding 1 and optional ReLU, then a 3x3
// stride-2 max pooling with padding 1 (floor mode). ncnn runs them as two
// layers, so the convolution's whole output (at 640x480: 24 x 240 x 320
// floats, 7 MiB) and the pooling's padded copy of it (7 MiB more) were alive
// together: the largest live set of the network. StemPool runs the same two
// ncnn layers (their arch-specific kernels, the same arithmetic) on bands of
// 16 output rows, so only a band's convolution rows are ever held.
#pragma once

#include "layer.h"

namespace mosface {

constexpr const char* kStemPoolType = "MosfaceStemPool";

ncnn::Layer* create_stem_pool(void* userdata);

}  // namespace mosface
