// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "layer_threads.hpp"

#include <cstdlib>
#include <map>
#include <sstream>

#include "param_text.hpp"

namespace mosface {

namespace {

constexpr int kFeatureMask = 31;
constexpr int kNoThreading = 128;  // bit 7 of ncnn's featmask

struct Shape {
    int c = 0;
    int h = 0;
    int w = 0;
    bool known() const { return c > 0 && h > 0 && w > 0; }
    double elements() const { return static_cast<double>(c) * h * w; }
};

// Convolution and ConvolutionDepthWise: output shape and multiply-adds.
Shape convolution_out(const LayerLine& layer, const Shape& in, double* work) {
    const Shape out{layer.int_param(0, 0), window_along_rows(layer).out(in.h), window_along_columns(layer).out(in.w)};
    *work = static_cast<double>(layer.int_param(6, 0)) * out.h * out.w;  // each weight once per output pixel
    return out;
}

Shape pooling_out(const LayerLine& layer, const Shape& in) {
    if (layer.int_param(4, 0) == 1) {
        return {in.c, 1, 1};  // global
    }
    if (layer.int_param(7, 0) == 1) {
        const int ow = layer.int_param(8, 0);
        return {in.c, layer.int_param(18, ow), ow};  // adaptive
    }
    const Window rows = window_along_rows(layer);
    const Window columns = window_along_columns(layer);
    const int mode = layer.int_param(5, 0);  // 0 full (ceil), 1 valid (floor), 2/3 SAME
    if (mode >= 2) {
        return {in.c, (in.h + rows.stride - 1) / rows.stride, (in.w + columns.stride - 1) / columns.stride};
    }
    return {in.c, rows.out(in.h, mode == 0), columns.out(in.w, mode == 0)};
}

// Slice along channels (axis 0): sizes from -23300, -233 sharing what is left equally.
std::vector<Shape> slice_out(const LayerLine& layer, const Shape& in) {
    const auto found = layer.params.find(-23300);
    if (found == layer.params.end() || layer.int_param(1, 0) != 0) {
        return std::vector<Shape>(layer.tops.size());
    }
    std::vector<int> sizes;
    std::stringstream list(found->second);
    for (std::string item; std::getline(list, item, ',');) {
        sizes.push_back(std::atoi(item.c_str()));
    }
    if (sizes.empty() || static_cast<std::size_t>(sizes[0]) != layer.tops.size()) {
        return std::vector<Shape>(layer.tops.size());
    }
    sizes.erase(sizes.begin());
    int fixed = 0;   // channels of the slices with a size
    int shared = 0;  // slices that share the rest
    for (const int size : sizes) {
        if (size == -233) {
            ++shared;
        } else {
            fixed += size;
        }
    }
    std::vector<Shape> out;
    for (const int size : sizes) {
        const int c = size == -233 ? (shared > 0 ? (in.c - fixed) / shared : 0) : size;
        out.push_back({c, in.h, in.w});
    }
    return out;
}

Shape interp_out(const LayerLine& layer, const std::vector<Shape>& in) {
    if (in.size() == 2) {
        return {in[0].c, in[1].h, in[1].w};  // the size of the reference blob
    }
    const int oh = layer.int_param(3, 0);
    const int ow = layer.int_param(4, 0);
    if (oh > 0 && ow > 0) {
        return {in[0].c, oh, ow};
    }
    const auto scale = [&](int id) {
        const auto found = layer.params.find(id);
        return found == layer.params.end() ? 1.0 : param_number(found->second);
    };
    return {in[0].c, static_cast<int>(in[0].h * scale(1)), static_cast<int>(in[0].w * scale(2))};
}

bool elementwise(const std::string& type) {
    static const char* const kTypes[] = {"ReLU",    "Sigmoid", "Clip",    "HardSwish", "HardSigmoid", "Swish",
                                         "Mish",    "TanH",    "ELU",     "PReLU",     "BatchNorm",   "Scale",
                                         "Dropout", "Noop",    "ShuffleChannel"};
    for (const char* known : kTypes) {
        if (type == known) {
            return true;
        }
    }
    return false;
}

// Every line's work (-1: not a layer, or its shape could not be followed).
std::vector<double> work_by_line(const ParamText& param, const std::string& input_blob, int channels, int height,
                                 int width) {
    std::map<std::string, Shape> shapes{{input_blob, {channels, height, width}}};
    std::vector<double> works(param.layers.size(), -1.0);
    for (std::size_t i = 2; i < param.layers.size(); ++i) {
        const LayerLine& layer = param.layers[i];
        if (layer.words.empty() || layer.type() == "Input") {
            continue;
        }
        std::vector<Shape> in;
        bool inputs_known = true;
        for (const std::string& bottom : layer.bottoms) {
            in.push_back(shapes.count(bottom) ? shapes[bottom] : Shape{});
            inputs_known = inputs_known && in.back().known();
        }
        std::vector<Shape> out(layer.tops.size());
        double work = -1.0;
        const std::string& type = layer.type();
        if (inputs_known && !in.empty()) {
            if (type == "Convolution" || type == "ConvolutionDepthWise") {
                out[0] = convolution_out(layer, in[0], &work);
            } else if (type == "Pooling") {
                out[0] = pooling_out(layer, in[0]);
            } else if (type == "Split") {
                out.assign(out.size(), in[0]);
            } else if (type == "Concat" && layer.int_param(0, 0) == 0) {
                out[0] = in[0];
                for (std::size_t k = 1; k < in.size(); ++k) {
                    out[0].c += in[k].c;
                }
            } else if (type == "Slice") {
                out = slice_out(layer, in[0]);
            } else if (type == "Interp") {
                out[0] = interp_out(layer, in);
            } else if (type == "BinaryOp" || type == "Eltwise") {
                out[0] = in[0].elements() >= in.back().elements() ? in[0] : in.back();  // broadcast
            } else if (elementwise(type)) {
                out[0] = in[0];
            }
        }
        bool outputs_known = !out.empty();
        for (std::size_t k = 0; k < out.size(); ++k) {
            outputs_known = outputs_known && out[k].known();
            if (out[k].known()) {
                shapes[layer.tops[k]] = out[k];
            }
        }
        if (outputs_known && work < 0) {
            work = out[0].elements() * kElementWork;
        }
        works[i] = outputs_known ? work : -1.0;
    }
    return works;
}

}  // namespace

std::vector<LayerWork> estimate_layer_work(const std::string& param_text, const std::string& input_blob, int channels,
                                           int height, int width) {
    const ParamText param = ParamText::parse(param_text);
    const std::vector<double> works = work_by_line(param, input_blob, channels, height, width);
    std::vector<LayerWork> layers;
    for (std::size_t i = 2; i < param.layers.size(); ++i) {
        if (!param.layers[i].words.empty() && param.layers[i].type() != "Input") {
            layers.push_back({param.layers[i].words[1], works[i]});
        }
    }
    return layers;
}

std::string single_thread_small_layers(const std::string& param_text, const std::string& input_blob, int channels,
                                       int height, int width) {
    ParamText param = ParamText::parse(param_text);
    const std::vector<double> works = work_by_line(param, input_blob, channels, height, width);
    for (std::size_t i = 2; i < param.layers.size(); ++i) {
        const LayerLine& layer = param.layers[i];
        if (works[i] >= 0 && works[i] < kMinThreadedWork) {
            param.lines[i] =
                layer.rewritten({{kFeatureMask, std::to_string(layer.int_param(kFeatureMask, 0) | kNoThreading)}});
        }
    }
    return param.text();
}

}  // namespace mosface
