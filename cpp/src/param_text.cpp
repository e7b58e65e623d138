// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "param_text.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <locale>
#include <sstream>

namespace mosface {

namespace {

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

}  // namespace

int LayerLine::int_param(int id, int fallback) const {
    const auto found = params.find(id);
    return found == params.end() ? fallback : std::atoi(found->second.c_str());
}

std::string LayerLine::rewritten(const std::map<int, std::string>& set, const std::vector<int>& drop) const {
    std::string line;
    for (std::size_t i = 0; i < first_param; ++i) {
        line += (i ? " " : "") + words[i];
    }
    for (std::size_t i = first_param; i < words.size(); ++i) {
        const int id = std::atoi(words[i].c_str());
        if (set.count(id) == 0 && std::find(drop.begin(), drop.end(), id) == drop.end()) {
            line += " " + words[i];
        }
    }
    for (const auto& [id, value] : set) {
        line += " " + std::to_string(id) + "=" + value;
    }
    return line;
}

ParamText ParamText::parse(const std::string& text) {
    ParamText param;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) {
        param.lines.push_back(line);
    }
    param.layers.resize(param.lines.size());
    for (std::size_t i = 2; i < param.lines.size(); ++i) {
        if (!parse_layer(param.lines[i], &param.layers[i])) {
            param.layers[i] = LayerLine{};
        }
    }
    return param;
}

std::string ParamText::text() const {
    std::string text;
    for (const std::string& line : lines) {
        text += line + "\n";
    }
    return text;
}

std::vector<std::size_t> ParamText::readers_of(const std::string& blob) const {
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

const WindowIds& window_ids(const LayerLine& layer) {
    static constexpr WindowIds kConvolution{1, 11, 3, 13, 2, 12, 4, 15, 14, 16};
    static constexpr WindowIds kPooling{1, 11, 2, 12, -1, -1, 3, 14, 13, 15};
    return layer.type() == "Pooling" ? kPooling : kConvolution;
}

int Window::out(int in, bool ceil_mode) const {
    if (stride < 1) {
        return 0;
    }
    if (pad_before < 0) {
        return static_cast<int>((static_cast<long long>(in) + stride - 1) / stride);
    }
    const long long reach = static_cast<long long>(in) + pad_before + pad_after - span();
    if (reach < 0) {
        return 0;
    }
    const long long out = (ceil_mode ? (reach + stride - 1) / stride : reach / stride) + 1;
    return out > std::numeric_limits<int>::max() ? 0 : static_cast<int>(out);
}

Window window_along_rows(const LayerLine& layer) {
    const WindowIds& ids = window_ids(layer);
    const int pad_left = layer.int_param(ids.pad_left, 0);
    const int dilation_w = ids.dilation_w < 0 ? 1 : layer.int_param(ids.dilation_w, 1);
    Window window;
    window.kernel = layer.int_param(ids.kernel_h, layer.int_param(ids.kernel_w, 0));
    window.stride = layer.int_param(ids.stride_h, layer.int_param(ids.stride_w, 1));
    window.dilation = ids.dilation_h < 0 ? 1 : layer.int_param(ids.dilation_h, dilation_w);
    window.pad_before = layer.int_param(ids.pad_top, pad_left);
    window.pad_after = layer.int_param(ids.pad_bottom, window.pad_before);
    return window;
}

Window window_along_columns(const LayerLine& layer) {
    const WindowIds& ids = window_ids(layer);
    Window window;
    window.kernel = layer.int_param(ids.kernel_w, 0);
    window.stride = layer.int_param(ids.stride_w, 1);
    window.dilation = ids.dilation_w < 0 ? 1 : layer.int_param(ids.dilation_w, 1);
    window.pad_before = layer.int_param(ids.pad_left, 0);
    window.pad_after = layer.int_param(ids.pad_right, window.pad_before);
    return window;
}

double param_number(const std::string& text) {
    std::istringstream stream(text);
    stream.imbue(std::locale::classic());
    double value = 0.0;
    return stream >> value ? value : 1.0;
}

bool window_both_ways(const LayerLine& layer, const Window& window) {
    return window_along_rows(layer) == window && window_along_columns(layer) == window;
}

bool stored_float_weights(const LayerLine& layer) { return layer.int_param(8, 0) == 0 && layer.int_param(19, 0) == 0; }

bool zero_pad_value(const LayerLine& layer) {
    const auto value = layer.params.find(18);
    return value == layer.params.end() || param_number(value->second) == 0.0;
}

}  // namespace mosface
