// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "pointwise.hpp"

#include <algorithm>

#include "mat.h"
#include "option.h"
#include "paramdict.h"
#include "param_text.hpp"
#include "vector_kernel.hpp"

namespace mosface {

namespace {

constexpr int kPack = 8;            // AVX: ncnn packs channels in eights when they divide
constexpr int kTilePixels = 4;      // pixels per register tile
constexpr int kTileBlocks = 3;      // output vectors of 8 channels per register tile (4 x 3 sums: 12 of 16 registers)
constexpr int kChunkPixels = 64;    // pixels a thread takes at a time (their input stays in L2 across output blocks)
using V = Lanes<kPack>::type;

bool qualifies(const LayerLine& layer) {
    if (layer.type() != "Convolution" || layer.bottoms.size() != 1 || layer.tops.size() != 1) {
        return false;
    }
    const int outputs = layer.int_param(0, 0);
    const long long weights = layer.int_param(6, 0);
    return window_both_ways(layer, Window{1, 1, 1, 0, 0}) && outputs > 0 && outputs % kPack == 0 && weights > 0 &&
           weights % outputs == 0 && (weights / outputs) % kPack == 0 && stored_float_weights(layer) &&
           kernel_activation(layer.int_param(9, 0));
}

// One register tile: N pixels x B output vectors, summed over every input channel.
// `in` points at the tile's first pixel in input block 0, `weights` at output
// block 0's weights (per input channel, 8 outputs' weights), `out` likewise.
template <int N, int B, class Act>
inline void tile(const float* in, std::size_t in_cstep, int input_blocks, const float* weights,
                 std::size_t weights_step, const float* bias, float* out, std::size_t out_cstep,
                 const Act& activate) {
    V sum[B][N];
    for (int b = 0; b < B; ++b) {
        const V start = load<V>(bias + b * kPack);
        for (int i = 0; i < N; ++i) {
            sum[b][i] = start;
        }
    }
    for (int block = 0; block < input_blocks; ++block) {
        const float* pixels = in + block * in_cstep;
        const float* w = weights + static_cast<std::size_t>(block) * kPack * kPack;
        for (int lane = 0; lane < kPack; ++lane) {
            V weight[B];
            for (int b = 0; b < B; ++b) {
                weight[b] = load<V>(w + b * weights_step + lane * kPack);
            }
            for (int i = 0; i < N; ++i) {
                const V x = splat<V>(pixels[i * kPack + lane]);
                for (int b = 0; b < B; ++b) {
                    sum[b][i] += weight[b] * x;
                }
            }
        }
    }
    for (int b = 0; b < B; ++b) {
        for (int i = 0; i < N; ++i) {
            store(out + b * out_cstep + i * kPack, activate(sum[b][i]));
        }
    }
}

// B output vectors for the pixels [first, last) of a chunk, a register tile at a time.
template <int B, class Act>
inline void blocks(const ncnn::Mat& in, ncnn::Mat& out, int first, int last, int out_block,
                   const float* packed_weights, std::size_t weights_step, const float* bias,
                   const Act& activate) {
    const std::size_t in_cstep = in.cstep * kPack;
    const std::size_t out_cstep = out.cstep * kPack;
    const float* w = packed_weights + out_block * weights_step;
    const float* b = bias + out_block * kPack;
    const float* source = static_cast<const float*>(in.data);
    float* target = static_cast<float*>(out.channel(out_block).data);
    int p = first;
    for (; p + kTilePixels <= last; p += kTilePixels) {
        const std::size_t at = static_cast<std::size_t>(p) * kPack;
        tile<kTilePixels, B>(source + at, in_cstep, in.c, w, weights_step, b, target + at, out_cstep, activate);
    }
    for (; p < last; ++p) {
        const std::size_t at = static_cast<std::size_t>(p) * kPack;
        tile<1, B>(source + at, in_cstep, in.c, w, weights_step, b, target + at, out_cstep, activate);
    }
}

class Pointwise final : public ncnn::Layer {
public:
    Pointwise() {
        one_blob_only = true;
        support_packing = true;
    }

    int load_param(const ncnn::ParamDict& pd) override {
        outputs_ = pd.get(0, 0);
        bias_term_ = pd.get(5, 0) != 0;
        const int weights = pd.get(6, 0);
        inputs_ = outputs_ > 0 ? weights / outputs_ : 0;
        const bool valid = outputs_ > 0 && inputs_ > 0 && weights % outputs_ == 0 && outputs_ % kPack == 0 &&
                           inputs_ % kPack == 0 && clamp_of(pd.get(9, 0), pd.get(10, ncnn::Mat()), &clamp_);
        return valid ? 0 : -1;
    }

    int load_model(const ncnn::ModelBin& mb) override {
        return load_weights(mb, inputs_ * outputs_, outputs_, bias_term_, &weights_, &bias_);
    }

    // ncnn's weights are [output][input]; the kernel reads, per output block of
    // 8, per input channel, the block's 8 weights side by side.
    int create_pipeline(const ncnn::Option& opt) override {
        packed_.create(inputs_ * outputs_);
        if (packed_.empty()) {
            return -100;
        }
        const float* raw = weights_;
        for (int o = 0; o < outputs_; ++o) {
            for (int i = 0; i < inputs_; ++i) {
                packed_[(o / kPack) * inputs_ * kPack + i * kPack + o % kPack] = raw[o * inputs_ + i];
            }
        }
        if (opt.lightmode) {
            weights_.release();  // as ncnn's layers do: forward reads the packed copy only
        }
        return 0;
    }

    int forward(const ncnn::Mat& input, ncnn::Mat& top, const ncnn::Option& opt) const override {
        if (input.dims != 3 || input.elemsize != 4u * static_cast<std::size_t>(input.elempack) ||
            input.c * input.elempack != inputs_) {
            return -1;
        }
        // ncnn packs channels in eights by 8 on AVX; a net without packing layout gets a packed copy.
        ncnn::Mat bottom = input;
        if (input.elempack != kPack) {
            ncnn::Option workspace = opt;
            workspace.blob_allocator = opt.workspace_allocator;
            ncnn::convert_packing(input, bottom, kPack, workspace);
            if (bottom.empty()) {
                return -100;
            }
        }
        top.create(bottom.w, bottom.h, outputs_ / kPack, bottom.elemsize, kPack, opt.blob_allocator);
        if (top.empty()) {
            return -100;
        }
        return with_activation(clamp_.kind, [&](auto kind) {
            const Activation<V, decltype(kind)::value> activate(clamp_);
            run(bottom, top, activate, opt);
            return 0;
        });
    }

private:
    // Work items are (64 pixels, up to 3 output blocks), in pixel-major order: a
    // thread goes through a chunk's output blocks with its input in cache, and a
    // small map (20x15: 5 chunks) still splits evenly across threads.
    template <class Act>
    void run(const ncnn::Mat& bottom, ncnn::Mat& top, const Act& activate, const ncnn::Option& opt) const {
        const int pixels = bottom.w * bottom.h;
        const int chunks = (pixels + kChunkPixels - 1) / kChunkPixels;
        const int out_blocks = top.c;
        const int groups = (out_blocks + kTileBlocks - 1) / kTileBlocks;
        const std::size_t weights_step = static_cast<std::size_t>(inputs_) * kPack;
        const float* weights = packed_;
        const float* bias = bias_;
#pragma omp parallel for collapse(2) num_threads(opt.num_threads)
        for (int chunk = 0; chunk < chunks; ++chunk) {
            for (int group = 0; group < groups; ++group) {
                const int first = chunk * kChunkPixels;
                const int last = std::min(pixels, first + kChunkPixels);
                const int block = group * kTileBlocks;
                switch (std::min(kTileBlocks, out_blocks - block)) {
                case 3:
                    blocks<3>(bottom, top, first, last, block, weights, weights_step, bias, activate);
                    break;
                case 2:
                    blocks<2>(bottom, top, first, last, block, weights, weights_step, bias, activate);
                    break;
                default:
                    blocks<1>(bottom, top, first, last, block, weights, weights_step, bias, activate);
                }
            }
        }
    }

    int inputs_ = 0;
    int outputs_ = 0;
    bool bias_term_ = false;
    Clamp clamp_;
    ncnn::Mat weights_;  // as loaded, until the pipeline packs it
    ncnn::Mat packed_;
    ncnn::Mat bias_;
};

}  // namespace

bool pointwise_vectorised() { return kVectorKernels; }

std::string fuse_pointwise(const std::string& param_text) {
    if (!kVectorKernels) {
        return param_text;
    }
    ParamText param = ParamText::parse(param_text);
    for (std::size_t i = 2; i < param.layers.size(); ++i) {
        const LayerLine& layer = param.layers[i];
        if (layer.words.empty() || !qualifies(layer)) {
            continue;
        }
        LayerLine renamed = layer;
        renamed.words[0] = kPointwiseType;
        param.lines[i] = renamed.rewritten({});
    }
    return param.text();
}

ncnn::Layer* create_pointwise(void*) { return new Pointwise(); }

}  // namespace mosface
