// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Runs a .param text and its raw weights through ncnn, for the tests of the
// Detector's .param rewrites (which need ncnn itself: they link it).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "banded_pair.hpp"
#include "depthwise3x3.hpp"
#include "pointwise.hpp"
#include "check.hpp"
#include "datareader.h"
#include "mat.h"
#include "net.h"

// Registers mosface's own layer types that need no userdata (Depthwise3x3, Pointwise).
inline void register_kernel_layers(ncnn::Net& net) {
    net.register_custom_layer(mosface::kDepthwise3x3Type, mosface::create_depthwise3x3, nullptr, nullptr);
    net.register_custom_layer(mosface::kPointwiseType, mosface::create_pointwise, nullptr, nullptr);
}

// Whether ncnn accepts the graph "Input in0 -> one layer of `type` with `params` -> out0".
inline bool one_layer_loads(const std::string& type, const std::string& params) {
    ncnn::Net net;
    register_kernel_layers(net);
    const std::string text = "7767517\n2 2\nInput in0 0 1 in0\n" + type + " layer 1 1 in0 out0 " + params + "\n";
    return net.load_param_mem(text.c_str()) == 0;
}

// The graph's "out0" for "in0" = input, unpacked; `pairs` registers BandedPair
// (Depthwise3x3 and Pointwise are always registered); `packed`: ncnn's packing layout.
inline ncnn::Mat run_graph(const std::string& param, const std::vector<unsigned char>& weights,
                           const ncnn::Mat& input, int threads = 1, mosface::BandedPairs* pairs = nullptr,
                           bool packed = true) {
    ncnn::Net net;
    net.opt.num_threads = threads;
    net.opt.use_packing_layout = packed;
    if (pairs != nullptr) {
        net.register_custom_layer(mosface::kBandedPairType, mosface::create_banded_pair, nullptr, pairs);
    }
    register_kernel_layers(net);
    CHECK(net.load_param_mem(param.c_str()) == 0);
    const unsigned char* cursor = weights.data();
    ncnn::DataReaderFromMemory reader(cursor);
    CHECK(net.load_model(reader) == 0);
    ncnn::Extractor ex = net.create_extractor();
    ex.input("in0", input);
    ncnn::Mat out;
    CHECK(ex.extract("out0", out) == 0);
    ncnn::Mat unpacked;
    ncnn::convert_packing(out, unpacked, 1);
    return unpacked.clone();
}

// Random float32 blobs in .bin order: a weight blob (with ncnn's raw-float tag), then its bias.
inline std::vector<unsigned char> random_weights(const std::vector<int>& blobs) {
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.f, 0.3f);
    std::vector<float> floats;
    for (std::size_t i = 0; i < blobs.size(); ++i) {
        if (i % 2 == 0) {
            floats.push_back(0.f);  // ncnn's tag for raw float32 weights (biases have none)
        }
        for (int k = 0; k < blobs[i]; ++k) {
            floats.push_back(normal(rng));
        }
    }
    std::vector<unsigned char> bytes(floats.size() * sizeof(float));
    std::memcpy(bytes.data(), floats.data(), bytes.size());
    return bytes;
}

inline ncnn::Mat random_input(int w, int h, int c) {
    std::mt19937 rng(static_cast<unsigned>(w * 131 + h * 7 + c));
    std::normal_distribution<float> normal(0.f, 1.f);
    ncnn::Mat input(w, h, c);
    for (int k = 0; k < c; ++k) {
        float* values = input.channel(k);
        for (int i = 0; i < w * h; ++i) {
            values[i] = normal(rng);
        }
    }
    return input;
}

// The largest difference relative to the largest magnitude of the reference.
inline double relative_difference(const ncnn::Mat& actual, const ncnn::Mat& expected) {
    if (actual.w != expected.w || actual.h != expected.h || actual.c != expected.c) {
        return 1e30;
    }
    double worst = 0.0;
    double scale = 1.0;
    for (int c = 0; c < expected.c; ++c) {
        for (int i = 0; i < expected.w * expected.h; ++i) {
            worst = std::max(worst, static_cast<double>(std::fabs(actual.channel(c)[i] - expected.channel(c)[i])));
            scale = std::max(scale, static_cast<double>(std::fabs(expected.channel(c)[i])));
        }
    }
    return worst / scale;
}
