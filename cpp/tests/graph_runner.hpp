// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Runs a .param text and its raw weights through ncnn, for the tests of the
// Detector's .param rewrites (which need ncnn itself: they link it).
#pragma once

#include <string>
#include <vector>

#include "banded_pair.hpp"
#include "check.hpp"
#include "datareader.h"
#include "mat.h"
#include "net.h"

// The graph's "out0" for "in0" = input, unpacked; `pairs` registers BandedPair.
inline ncnn::Mat run_graph(const std::string& param, const std::vector<unsigned char>& weights,
                           const ncnn::Mat& input, int threads = 1, mosface::BandedPairs* pairs = nullptr) {
    ncnn::Net net;
    net.opt.num_threads = threads;
    if (pairs != nullptr) {
        net.register_custom_layer(mosface::kBandedPairType, mosface::create_banded_pair, nullptr, pairs);
    }
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
