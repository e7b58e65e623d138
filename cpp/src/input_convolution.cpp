// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "input_convolution.hpp"

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "param_text.hpp"
#include "stem_pool.hpp"

namespace mosface {

namespace {

constexpr int kMaxFoldedBorder = 8;

// ncnn Convolution's parameter ids (src/layer/convolution.cpp).
constexpr int kNumOutput = 0;
constexpr int kKernelW = 1;
constexpr int kKernelH = 11;
constexpr int kDilationW = 2;
constexpr int kDilationH = 12;
constexpr int kStrideW = 3;
constexpr int kStrideH = 13;
constexpr int kPadLeft = 4;
constexpr int kPadTop = 14;
constexpr int kPadRight = 15;
constexpr int kPadBottom = 16;
constexpr int kBiasTerm = 5;
constexpr int kWeightDataSize = 6;
constexpr int kInt8ScaleTerm = 8;
constexpr int kActivation = 9;
constexpr int kPadValue = 18;
constexpr int kDynamicWeight = 19;
constexpr int kActivationParams = -23310;
constexpr int kFeatureMask = 31;  // ncnn Layer: bits that turn features off per layer
constexpr int kNoIm2col = 32;     // bit 5: no sgemm (im2col) convolution

// ncnn Pooling's parameter ids (src/layer/pooling.cpp).
constexpr int kPoolType = 0;  // 0 max
constexpr int kPoolKernelW = 1;
constexpr int kPoolKernelH = 11;
constexpr int kPoolStrideW = 2;
constexpr int kPoolStrideH = 12;
constexpr int kPoolPadLeft = 3;
constexpr int kPoolPadRight = 14;
constexpr int kPoolPadTop = 13;
constexpr int kPoolPadBottom = 15;
constexpr int kPoolGlobal = 4;
constexpr int kPoolPadMode = 5;  // 1: valid (floor)
constexpr int kPoolAdaptive = 7;

// The same padding p on every side, with ncnn's defaults (right = left, top = left, bottom = top).
int uniform_pad(const LayerLine& layer, int left_id, int right_id, int top_id, int bottom_id) {
    const int left = layer.int_param(left_id, 0);
    const int right = layer.int_param(right_id, left);
    const int top = layer.int_param(top_id, left);
    const int bottom = layer.int_param(bottom_id, top);
    return right == left && top == left && bottom == left ? left : -1;
}

// A 3x3 stride-2 convolution of an image of 1 to 3 channels (ncnn keeps them
// unpacked on every CPU, as StemPool passes them on), zero padding 1, ReLU or no
// activation: what StemPool computes.
bool is_stem_convolution(const LayerLine& conv) {
    const long outputs = conv.int_param(kNumOutput, 0);
    const long weights = conv.int_param(kWeightDataSize, 0);
    if (outputs < 1 || weights < 1 || weights % (outputs * 9) != 0 || weights / (outputs * 9) > 3) {
        return false;
    }
    const auto value = conv.params.find(kPadValue);
    const auto relu = conv.params.find(kActivationParams);  // ReLU's slope, when written
    return conv.int_param(kKernelW, 0) == 3 && conv.int_param(kKernelH, 3) == 3 &&
           conv.int_param(kDilationW, 1) == 1 && conv.int_param(kDilationH, 1) == 1 &&
           conv.int_param(kStrideW, 1) == 2 && conv.int_param(kStrideH, 2) == 2 &&
           uniform_pad(conv, kPadLeft, kPadRight, kPadTop, kPadBottom) == 1 &&
           (value == conv.params.end() || param_number(value->second) == 0.0) && conv.int_param(kInt8ScaleTerm, 0) == 0 &&
           conv.int_param(kDynamicWeight, 0) == 0 &&
           (conv.int_param(kActivation, 0) == 0 ||
            (conv.int_param(kActivation, 0) == 1 && (relu == conv.params.end() || relu->second == "1,0.0" ||
                                                     relu->second == "1,0"))) &&
           (conv.int_param(kActivation, 0) != 0 || !conv.has(kActivationParams));
}

// A 3x3 stride-2 max pooling, padding 1, floor mode.
bool is_stem_pooling(const LayerLine& pool) {
    return pool.type() == "Pooling" && pool.int_param(kPoolType, 0) == 0 &&
           pool.int_param(kPoolKernelW, 0) == 3 && pool.int_param(kPoolKernelH, 3) == 3 &&
           pool.int_param(kPoolStrideW, 1) == 2 && pool.int_param(kPoolStrideH, 2) == 2 &&
           uniform_pad(pool, kPoolPadLeft, kPoolPadRight, kPoolPadTop, kPoolPadBottom) == 1 &&
           pool.int_param(kPoolGlobal, 0) == 0 && pool.int_param(kPoolPadMode, 0) == 1 &&
           pool.int_param(kPoolAdaptive, 0) == 0;
}

}  // namespace

InputConvolution rewrite_input_convolution(const std::string& text, const std::string& input_blob) {
    const InputConvolution unchanged{text, 0, false};
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

    const std::vector<std::size_t> conv_readers = param.readers_of(conv.tops[0]);
    if (is_stem_convolution(conv) && conv_readers.size() == 1 && is_stem_pooling(param.layers[conv_readers[0]]) &&
        param.layers[conv_readers[0]].tops.size() == 1) {
        // One StemPool in the convolution's place (its weights come at the same point of
        // the .bin), reading the input and writing the pooling's output.
        std::string line = std::string(kStemPoolType) + " " + conv.words[1] + " 1 1 " + input_blob + " " +
                           param.layers[conv_readers[0]].tops[0];
        for (const int id : {kNumOutput, kBiasTerm, kWeightDataSize, kActivation}) {
            line += " " + std::to_string(id) + "=" + std::to_string(conv.int_param(id, 0));
        }
        param.lines[reader] = line;
        param.lines.erase(param.lines.begin() + static_cast<long>(conv_readers[0]));
        std::istringstream header(param.lines[1]);
        long layer_count = 0;
        long blob_count = 0;
        header >> layer_count >> blob_count;
        param.lines[1] = std::to_string(layer_count - 1) + " " + std::to_string(blob_count - 1);
        return {param.text(), 0, true};
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
    return {param.text(), fold ? pad : 0, false};
}

}  // namespace mosface
