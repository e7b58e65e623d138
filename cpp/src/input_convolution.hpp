// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Rewrites the convolution that reads the network input (MOS-M's stem: 3x3,
// stride 2, 3 channels in; MOS-S's and mos-tiny's run in a BandedPair with
// their pooling, banded_pair.hpp):
// - its zero padding moves into preprocessing: ncnn pads inside the layer by
//   copying its input, so the input and its padded copy were alive together
//   beside the layer's output (640x480: 3.5 + 3.5 MiB beside 9.4 MiB); the
//   Detector builds the padded input in the copy it makes anyway (same
//   arithmetic, same results);
// - it runs without im2col (ncnn's featmask bit 5): with 3 input channels the
//   im2col buffer (9 x 3 floats per output pixel, 8.4 MiB at 640x480) was the
//   largest workspace, and the direct kernel is as fast there (docs/memory.md).
#pragma once

#include <string>

namespace mosface {

struct InputConvolution {
    std::string param;  // the .param text, rewritten when a convolution reads the input
    int border = 0;     // zeros the network input needs on every side (after normalisation)
};

// The rewrite applies when the input blob feeds exactly one layer and it is a
// Convolution; its padding moves out when it is the same 1..8 zeros on every
// side. Otherwise the text comes back unchanged with border 0.
InputConvolution rewrite_input_convolution(const std::string& param_text, const std::string& input_blob);

}  // namespace mosface
