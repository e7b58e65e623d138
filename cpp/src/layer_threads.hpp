// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Which layers run on one thread. At MOS's small inputs most layers take a few
// microseconds: splitting them across cores costs more (the OpenMP hand-over,
// feature maps moving between the cores' caches) than it saves, and with two
// threads mos-tiny at 320x240 took 3.0 ms against 2.6 ms on one. The work of
// every layer at the Detector's input size is estimated from the .param text
// (shapes propagated from the input), and layers below kMinThreadedWork get
// ncnn's per-layer "no threading" bit (featmask 128, which also builds the
// layer's pipeline for one thread); the others keep every thread. Layers whose shape cannot be followed (Reshape, Permute, Crop) keep
// every thread too.
#pragma once

#include <string>
#include <vector>

namespace mosface {

// Work in multiply-adds: a convolution's, or 8 per output element of the other
// layers (copies, concatenations, activations: memory-bound, an element costs
// about as long as 8 multiply-adds). Below 1e6 (tens of microseconds on one
// core) two threads were no faster; measured on 2 cores, 2 threads: mos-tiny
// 320x240 3.1 -> 2.8 ms (one thread 2.7), MOS-S 640x480 unchanged (27.2 ms).
constexpr double kElementWork = 8.0;
constexpr double kMinThreadedWork = 1e6;

struct LayerWork {
    std::string name;
    double work = -1.0;  // -1: the shape could not be followed
};

// Every layer's work for an input blob of channels x height x width.
std::vector<LayerWork> estimate_layer_work(const std::string& param_text, const std::string& input_blob, int channels,
                                           int height, int width);

// The .param text with the no-threading bit on every layer below kMinThreadedWork.
std::string single_thread_small_layers(const std::string& param_text, const std::string& input_blob, int channels,
                                       int height, int width);

}  // namespace mosface
