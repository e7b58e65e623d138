// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "input_convolution.hpp"

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "param_text.hpp"

namespace mosface {

namespace {

constexpr int kMaxFoldedBorder = 8;

// ncnn Convolution's parameter ids (src/layer/convolution.cpp).
constexpr int kPadLeft = 4;
constexpr int kPadTop = 14;
constexpr int kPadRight = 15;
constexpr int kPadBottom = 16;
constexpr int kPadValue = 18;
constexpr int kFeatureMask = 31;  // ncnn Layer: bits that turn features off per layer
constexpr int kNoIm2col = 32;     // bit 5: no sgemm (im2col) convolution

// The same padding p on every side, with ncnn's defaults (right = left, top = left, bottom = top).
int uniform_pad(const LayerLine& layer, int left_id, int right_id, int top_id, int bottom_id) {
    const int left = layer.int_param(left_id, 0);
    const int right = layer.int_param(right_id, left);
    const int top = layer.int_param(top_id, left);
    const int bottom = layer.int_param(bottom_id, top);
    return right == left && top == left && bottom == left ? left : -1;
}

}  // namespace

InputConvolution rewrite_input_convolution(const std::string& text, const std::string& input_blob) {
    const InputConvolution unchanged{text, 0};
    ParamText param = ParamText::parse(text);
    const std::vector<std::size_t> input_readers = param.readers_of(input_blob);
    if (param.lines.size() < 3 || input_readers.size() != 1) {
        return unchanged;  // a second reader would see the border too
    }
    const std::size_t reader = input_readers[0];
    const LayerLine conv = param.layers[reader];
    if (conv.type() != "Convolution" || conv.bottoms.size() != 1 || conv.tops.size() != 1) {
        return unchanged;
    }

    const int pad = uniform_pad(conv, kPadLeft, kPadRight, kPadTop, kPadBottom);
    const auto pad_value = conv.params.find(kPadValue);
    const bool zero_fill = pad_value == conv.params.end() || param_number(pad_value->second) == 0.0;
    const bool fold = pad >= 1 && pad <= kMaxFoldedBorder && zero_fill;
    std::map<int, std::string> set = {{kFeatureMask, std::to_string(conv.int_param(kFeatureMask, 0) | kNoIm2col)}};
    std::vector<int> drop;
    if (fold) {
        set[kPadLeft] = "0";  // the other sides follow the left one
        drop = {kPadTop, kPadRight, kPadBottom};
    }
    param.lines[reader] = conv.rewritten(set, drop);
    return {param.text(), fold ? pad : 0};
}

}  // namespace mosface
