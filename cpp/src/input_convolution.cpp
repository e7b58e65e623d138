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
constexpr int kPadValue = 18;
constexpr int kFeatureMask = 31;  // ncnn Layer: bits that turn features off per layer
constexpr int kNoIm2col = 32;     // bit 5: no sgemm (im2col) convolution

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

    // The same padding on every side (ncnn's defaults applied by the windows).
    const Window rows = window_along_rows(conv);
    const Window columns = window_along_columns(conv);
    const int pad = rows.pad_before;
    const bool uniform = rows.pad_after == pad && columns.pad_before == pad && columns.pad_after == pad;
    const auto pad_value = conv.params.find(kPadValue);
    const bool zero_fill = pad_value == conv.params.end() || param_number(pad_value->second) == 0.0;
    const bool fold = uniform && pad >= 1 && pad <= kMaxFoldedBorder && zero_fill;
    std::map<int, std::string> set = {{kFeatureMask, std::to_string(conv.int_param(kFeatureMask, 0) | kNoIm2col)}};
    std::vector<int> drop;
    if (fold) {
        const WindowIds& ids = window_ids(conv);
        set[ids.pad_left] = "0";  // the other sides follow the left one
        drop = {ids.pad_top, ids.pad_right, ids.pad_bottom};
    }
    param.lines[reader] = conv.rewritten(set, drop);
    return {param.text(), fold ? pad : 0};
}

}  // namespace mosface
