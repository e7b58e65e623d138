// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// The text of an ncnn .param file as lines and layers, for the rewrites the
// Detector makes before ncnn loads it (input_convolution, layer_threads).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mosface {

// A layer line: type name bottom_count top_count bottoms... tops... id=value...
struct LayerLine {
    std::vector<std::string> words;
    std::vector<std::string> bottoms;
    std::vector<std::string> tops;
    std::map<int, std::string> params;  // every id=value, arrays (negative ids) as written
    std::size_t first_param = 0;        // index of the first id=value word

    const std::string& type() const { return words[0]; }
    int int_param(int id, int fallback) const;
    bool has(int id) const { return params.count(id) != 0; }
    // The line with the parameters in `set` set (added, or replacing those written)
    // and those in `drop` left out.
    std::string rewritten(const std::map<int, std::string>& set, const std::vector<int>& drop = {}) const;
};

struct ParamText {
    std::vector<std::string> lines;
    std::vector<LayerLine> layers;  // by line; the two header lines and unreadable lines stay empty

    static ParamText parse(const std::string& text);
    std::string text() const;
    // Line indices of the layers that read a blob.
    std::vector<std::size_t> readers_of(const std::string& blob) const;
};

// A .param number: C-locale text whatever the process's locale (1.0 when unreadable).
double param_number(const std::string& text);

// Where Convolution, ConvolutionDepthWise (and Pooling) keep their sliding window
// (ncnn's parameter ids; -1: the type has none).
struct WindowIds {
    int kernel_w, kernel_h, stride_w, stride_h, dilation_w, dilation_h, pad_left, pad_right, pad_top, pad_bottom;
};
const WindowIds& window_ids(const LayerLine& layer);

// A sliding window along one direction, ncnn's defaults applied (a negative pad: SAME padding).
struct Window {
    int kernel = 1;
    int stride = 1;
    int dilation = 1;
    int pad_before = 0;
    int pad_after = 0;
    long long span() const { return static_cast<long long>(dilation) * (kernel - 1) + 1; }
    // Output size for an input of `in`; 0 when none, or beyond int (a hostile .param).
    int out(int in, bool ceil_mode = false) const;
    bool operator==(const Window& other) const {
        return kernel == other.kernel && stride == other.stride && dilation == other.dilation &&
               pad_before == other.pad_before && pad_after == other.pad_after;
    }
};
Window window_along_rows(const LayerLine& layer);     // vertical: kernel_h, stride_h, pad_top/bottom
Window window_along_columns(const LayerLine& layer);  // horizontal
// Whether the layer slides `window` both down its rows and along its columns.
bool window_both_ways(const LayerLine& layer, const Window& window);

// A convolution (or depthwise one) with float weights from the .bin: not int8
// (id 8), not weights given as an input blob (id 19).
bool stored_float_weights(const LayerLine& layer);
// A layer that pads with zeros (pad_value, id 18).
bool zero_pad_value(const LayerLine& layer);

}  // namespace mosface
