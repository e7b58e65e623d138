// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// ncnn-forward: load an ncnn model and run RUNS forward passes on a constant
// input, like ncnn's benchncnn (default Option, pooled allocators), on one
// thread. bench/arm/instructions.py counts its aarch64 instructions under qemu
// for the calibration networks; it times nothing.
//
//   ncnn-forward PARAM BIN WIDTH HEIGHT RUNS

#include <cstdio>
#include <cstdlib>
#include <string>

#include "net.h"

namespace {

int positive(const char* text, const char* what) {
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || value < 1 || value > 100000) {
        std::fprintf(stderr, "ncnn-forward: %s must be an integer in 1..100000, got '%s'\n", what, text);
        std::exit(2);
    }
    return static_cast<int>(value);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: ncnn-forward PARAM BIN WIDTH HEIGHT RUNS\n");
        return 2;
    }
    const int width = positive(argv[3], "WIDTH");
    const int height = positive(argv[4], "HEIGHT");
    const int runs = positive(argv[5], "RUNS");

    ncnn::UnlockedPoolAllocator blob_pool;
    ncnn::PoolAllocator workspace_pool;
    ncnn::Net net;
    net.opt.num_threads = 1;  // the qemu plugin's counters are shared by all threads
    net.opt.blob_allocator = &blob_pool;
    net.opt.workspace_allocator = &workspace_pool;
    if (net.load_param(argv[1]) != 0 || net.load_model(argv[2]) != 0) {
        std::fprintf(stderr, "ncnn-forward: cannot load %s / %s\n", argv[1], argv[2]);
        return 1;
    }
    if (net.input_names().empty() || net.output_names().empty()) {
        std::fprintf(stderr, "ncnn-forward: %s names no input or output blob\n", argv[1]);
        return 1;
    }
    ncnn::Mat input(width, height, 3);
    input.fill(0.01f);  // benchncnn's input
    for (int i = 0; i < runs; ++i) {
        ncnn::Extractor extractor = net.create_extractor();
        extractor.input(net.input_names()[0], input);
        ncnn::Mat output;
        if (extractor.extract(net.output_names()[0], output) != 0) {
            std::fprintf(stderr, "ncnn-forward: forward pass %d failed\n", i);
            return 1;
        }
    }
    std::printf("ncnn-forward: %d runs of %s at %dx%d\n", runs, argv[1], width, height);
    return 0;
}
