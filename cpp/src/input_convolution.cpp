// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "input_convolution.hpp"

#include <cstdlib>
#include <locale>
#include <map>
#include <sstream>
#include <vector>

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

// A layer line: type name bottom_count top_count bottoms... tops... id=value...
struct LayerLine {
    std::vector<std::string> words;
    std::vector<std::string> bottoms;
    std::vector<std::string> tops;
    std::map<int, std::string> params;  // every id=value, arrays (negative ids) as written
    std::size_t first_param = 0;        // index of the first id=value word
};

bool parse_layer(const std::string& line, LayerLine* layer) {
    std::istringstream stream(line);
    for (std::string word; stream >> word;) {
        layer->words.push_back(word);
    }
    if (layer->words.size() < 4) {
        return false;
    }
    const int bottoms = std::atoi(layer->words[2].c_str());
    const int tops = std::atoi(layer->words[3].c_str());
    if (bottoms < 0 || tops < 0 || layer->words.size() < 4u + bottoms + tops) {
        return false;
    }
    layer->bottoms.assign(layer->words.begin() + 4, layer->words.begin() + 4 + bottoms);
    layer->tops.assign(layer->words.begin() + 4 + bottoms, layer->words.begin() + 4 + bottoms + tops);
    layer->first_param = 4u + bottoms + tops;
    for (std::size_t i = layer->first_param; i < layer->words.size(); ++i) {
        const std::string& word = layer->words[i];
        const std::size_t equals = word.find('=');
        if (equals != std::string::npos) {
            layer->params[std::atoi(word.substr(0, equals).c_str())] = word.substr(equals + 1);
        }
    }
    return true;
}

// The .param's numbers are C-locale text, whatever the process's locale.
double number(const std::string& text) {
    std::istringstream stream(text);
    stream.imbue(std::locale::classic());
    double value = 0.0;
    return stream >> value ? value : 1.0;  // unreadable: not a zero
}

int int_param(const LayerLine& layer, int id, int fallback) {
    const auto found = layer.params.find(id);
    return found == layer.params.end() ? fallback : std::atoi(found->second.c_str());
}

bool has_param(const LayerLine& layer, int id) { return layer.params.count(id) != 0; }

// The same padding p on every side, with ncnn's defaults (right = left, top = left, bottom = top).
int uniform_pad(const LayerLine& layer, int left_id, int right_id, int top_id, int bottom_id) {
    const int left = int_param(layer, left_id, 0);
    const int right = int_param(layer, right_id, left);
    const int top = int_param(layer, top_id, left);
    const int bottom = int_param(layer, bottom_id, top);
    return right == left && top == left && bottom == left ? left : -1;
}

// A 3x3 stride-2 convolution of an image of 1 to 3 channels (ncnn keeps them
// unpacked on every CPU, as StemPool passes them on), zero padding 1, ReLU or no
// activation: what StemPool computes.
bool is_stem_convolution(const LayerLine& conv) {
    const long outputs = int_param(conv, kNumOutput, 0);
    const long weights = int_param(conv, kWeightDataSize, 0);
    if (outputs < 1 || weights < 1 || weights % (outputs * 9) != 0 || weights / (outputs * 9) > 3) {
        return false;
    }
    const auto value = conv.params.find(kPadValue);
    const auto relu = conv.params.find(kActivationParams);  // ReLU's slope, when written
    return int_param(conv, kKernelW, 0) == 3 && int_param(conv, kKernelH, 3) == 3 &&
           int_param(conv, kDilationW, 1) == 1 && int_param(conv, kDilationH, 1) == 1 &&
           int_param(conv, kStrideW, 1) == 2 && int_param(conv, kStrideH, 2) == 2 &&
           uniform_pad(conv, kPadLeft, kPadRight, kPadTop, kPadBottom) == 1 &&
           (value == conv.params.end() || number(value->second) == 0.0) && int_param(conv, kInt8ScaleTerm, 0) == 0 &&
           int_param(conv, kDynamicWeight, 0) == 0 &&
           (int_param(conv, kActivation, 0) == 0 ||
            (int_param(conv, kActivation, 0) == 1 && (relu == conv.params.end() || relu->second == "1,0.0" ||
                                                     relu->second == "1,0"))) &&
           (int_param(conv, kActivation, 0) != 0 || !has_param(conv, kActivationParams));
}

// A 3x3 stride-2 max pooling, padding 1, floor mode.
bool is_stem_pooling(const LayerLine& pool) {
    return pool.words[0] == "Pooling" && int_param(pool, kPoolType, 0) == 0 &&
           int_param(pool, kPoolKernelW, 0) == 3 && int_param(pool, kPoolKernelH, 3) == 3 &&
           int_param(pool, kPoolStrideW, 1) == 2 && int_param(pool, kPoolStrideH, 2) == 2 &&
           uniform_pad(pool, kPoolPadLeft, kPoolPadRight, kPoolPadTop, kPoolPadBottom) == 1 &&
           int_param(pool, kPoolGlobal, 0) == 0 && int_param(pool, kPoolPadMode, 0) == 1 &&
           int_param(pool, kPoolAdaptive, 0) == 0;
}

std::string join(const std::vector<std::string>& lines) {
    std::string text;
    for (const std::string& line : lines) {
        text += line + "\n";
    }
    return text;
}

std::string param_text(int id, const std::string& value) { return " " + std::to_string(id) + "=" + value; }

// The layers that read a blob, by line index.
std::vector<std::size_t> readers_of(const std::vector<LayerLine>& layers, const std::string& blob) {
    std::vector<std::size_t> readers;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        for (const std::string& bottom : layers[i].bottoms) {
            if (bottom == blob) {
                readers.push_back(i);
            }
        }
    }
    return readers;
}

}  // namespace

InputConvolution rewrite_input_convolution(const std::string& param_text_in, const std::string& input_blob) {
    InputConvolution unchanged{param_text_in, 0, false};
    std::vector<std::string> lines;
    std::istringstream stream(param_text_in);
    for (std::string line; std::getline(stream, line);) {
        lines.push_back(line);
    }
    if (lines.size() < 3) {
        return unchanged;
    }
    std::vector<LayerLine> layers(lines.size());  // by line; the two header lines stay empty
    for (std::size_t i = 2; i < lines.size(); ++i) {
        if (!parse_layer(lines[i], &layers[i])) {
            layers[i] = LayerLine{};
        }
    }
    const std::vector<std::size_t> input_readers = readers_of(layers, input_blob);
    if (input_readers.size() != 1) {
        return unchanged;  // a second reader would see the border too
    }
    const std::size_t reader = input_readers[0];
    const LayerLine& conv = layers[reader];
    if (conv.words[0] != "Convolution" || conv.bottoms.size() != 1 || conv.tops.size() != 1) {
        return unchanged;
    }

    const std::vector<std::size_t> conv_readers = readers_of(layers, conv.tops[0]);
    if (is_stem_convolution(conv) && conv_readers.size() == 1 && is_stem_pooling(layers[conv_readers[0]]) &&
        layers[conv_readers[0]].tops.size() == 1) {
        // One StemPool in the convolution's place (its weights come at the same point of
        // the .bin), reading the input and writing the pooling's output.
        std::string line = std::string(kStemPoolType) + " " + conv.words[1] + " 1 1 " + input_blob + " " +
                           layers[conv_readers[0]].tops[0];
        for (const int id : {kNumOutput, kBiasTerm, kWeightDataSize, kActivation}) {
            line += param_text(id, std::to_string(int_param(conv, id, 0)));
        }
        lines[reader] = line;
        lines.erase(lines.begin() + static_cast<long>(conv_readers[0]));
        std::istringstream header(lines[1]);
        long layer_count = 0;
        long blob_count = 0;
        header >> layer_count >> blob_count;
        lines[1] = std::to_string(layer_count - 1) + " " + std::to_string(blob_count - 1);
        return {join(lines), 0, true};
    }

    const int pad = uniform_pad(conv, kPadLeft, kPadRight, kPadTop, kPadBottom);
    const auto pad_value = conv.params.find(kPadValue);
    const bool zero_fill = pad_value == conv.params.end() || number(pad_value->second) == 0.0;
    const bool fold = pad >= 1 && pad <= kMaxFoldedBorder && zero_fill;
    std::string line;
    for (std::size_t i = 0; i < conv.first_param; ++i) {
        line += (i ? " " : "") + conv.words[i];
    }
    for (std::size_t i = conv.first_param; i < conv.words.size(); ++i) {
        const int id = std::atoi(conv.words[i].c_str());
        const bool padding = id == kPadLeft || id == kPadTop || id == kPadRight || id == kPadBottom;
        if (id != kFeatureMask && !(fold && padding)) {
            line += " " + conv.words[i];
        }
    }
    line += param_text(kFeatureMask, std::to_string(int_param(conv, kFeatureMask, 0) | kNoIm2col));
    if (fold) {
        line += param_text(kPadLeft, "0");  // the other sides follow the left one
    }
    lines[reader] = line;
    return {join(lines), fold ? pad : 0, false};
}

}  // namespace mosface
