// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "depthwise3x3.hpp"

#include <algorithm>
#include <limits>

#include "cpu.h"
#include "mat.h"
#include "option.h"
#include "paramdict.h"
#include "param_text.hpp"
#include "vector_kernel.hpp"

namespace mosface {

namespace {

// Where the producer's activation goes on the rewritten line (ncnn's ids 9 and
// 10 keep the layer's own; arrays are written -23300 - id).
constexpr int kInputActivationType = 20;
constexpr int kInputActivationParams = 21;

bool qualifies(const LayerLine& layer) {
    if (layer.type() != "ConvolutionDepthWise" || layer.bottoms.size() != 1 || layer.tops.size() != 1) {
        return false;
    }
    const int channels = layer.int_param(0, 0);
    // Channels in fours: ncnn packs them by 4 or 8, so the kernel's vectors run across
    // channels (unpacked, ncnn's kernel vectorises along rows and is faster).
    return window_both_ways(layer, Window{3, 1, 1, 1, 1}) && channels > 0 && channels % 4 == 0 &&
           layer.int_param(7, 1) == channels && layer.int_param(6, 0) == 9 * channels && zero_pad_value(layer) &&
           stored_float_weights(layer) && kernel_activation(layer.int_param(9, 0));
}

// A convolution whose activation can move into the depthwise layer reading its output.
bool activation_movable(const LayerLine& producer) {
    const int type = producer.int_param(9, 0);
    return producer.type() == "Convolution" && producer.tops.size() == 1 && type != 0 && kernel_activation(type);
}

// One padded row: the input row activated, a zero pixel either side (all zeros
// for a row outside the map).
template <int P, class Act>
void fill_row(float* __restrict padded, const float* __restrict source, const int w, const Act activate) {
    using V = typename Lanes<P>::type;
    const V zero = {};
    store(padded, zero);
    store(padded + static_cast<std::ptrdiff_t>(w + 1) * P, zero);
    for (int x = 0; x < w; ++x) {
        const std::ptrdiff_t at = static_cast<std::ptrdiff_t>(x) * P;
        store(padded + at + P, source != nullptr ? activate(load<V>(source + at)) : zero);
    }
}

// The nine taps and the bias of one channel group.
template <class V>
struct Taps {
    V k[9];
    V bias;
    Taps(const float* kernel, const float* b) : bias(load<V>(b)) {
        constexpr int lanes = sizeof(V) / sizeof(float);
        for (int t = 0; t < 9; ++t) {
            k[t] = load<V>(kernel + t * lanes);
        }
    }
};

// Output pixel `at` of rows y (from padded rows r[0..2]) and y + 1 (r[1..3];
// stored when out1 is set): each padded row's three pixels are loaded once for
// both, and each sum adds its taps in ncnn's order (bias, then row by row, left to right).
template <int P, class V, class Act>
inline void output_pixel(const float* const (&r)[4], std::ptrdiff_t at, float* __restrict out0,
                         float* __restrict out1, const Taps<V>& taps, const Act& activate) {
    V sum0 = taps.bias;
    V sum1 = taps.bias;
    for (int row = 0; row < 4; ++row) {
        const V left = load<V>(r[row] + at);
        const V centre = load<V>(r[row] + at + P);
        const V right = load<V>(r[row] + at + 2 * P);
        if (row < 3) {
            sum0 += taps.k[3 * row] * left;
            sum0 += taps.k[3 * row + 1] * centre;
            sum0 += taps.k[3 * row + 2] * right;
        }
        if (row > 0) {
            sum1 += taps.k[3 * row - 3] * left;
            sum1 += taps.k[3 * row - 2] * centre;
            sum1 += taps.k[3 * row - 1] * right;
        }
    }
    store(out0 + at, activate(sum0));
    if (out1 != nullptr) {
        store(out1 + at, activate(sum1));
    }
}

// Output rows y and (when out1 is set) y + 1 of one channel group. The taps and
// activation bounds are copies and the outputs restrict: the stores cannot touch
// them, so they stay in registers.
template <int P, class V, class Act>
void output_rows(const float* const (&r)[4], float* __restrict out0, float* __restrict out1, const int w,
                 const Taps<V> taps, const Act activate) {
    for (int x = 0; x < w; ++x) {  // a pixel a step: the sums of more would not fit AVX2's 16 registers
        output_pixel<P>(r, static_cast<std::ptrdiff_t>(x) * P, out0, out1, taps, activate);
    }
}

class Depthwise3x3 final : public ncnn::Layer {
public:
    Depthwise3x3() {
        one_blob_only = true;
        support_inplace = false;
        support_packing = true;
    }

    int load_param(const ncnn::ParamDict& pd) override {
        channels_ = pd.get(0, 0);
        bias_term_ = pd.get(5, 0) != 0;
        // A line written by hand could name this layer: 9 x channels must fit an int.
        const bool valid = channels_ > 0 && channels_ <= std::numeric_limits<int>::max() / 9 &&
                           clamp_of(pd.get(9, 0), pd.get(10, ncnn::Mat()), &output_clamp_) &&
                           clamp_of(pd.get(kInputActivationType, 0), pd.get(kInputActivationParams, ncnn::Mat()),
                                    &input_clamp_);
        return valid ? 0 : -1;
    }

    int load_model(const ncnn::ModelBin& mb) override {
        return load_weights(mb, 9 * channels_, channels_, bias_term_, &weights_, &bias_);
    }

    // The weights interleaved as ncnn packs channels: for every group of P
    // channels, tap t's P weights at t * P.
    int create_pipeline(const ncnn::Option&) override {
        for (const int pack : {4, 8, 16}) {
            if (channels_ % pack != 0) {
                continue;
            }
            ncnn::Mat& packed = packed_weights(pack);
            packed.create(9 * channels_);
            if (packed.empty()) {
                return -100;
            }
            const float* raw = weights_;
            for (int c = 0; c < channels_; ++c) {
                for (int t = 0; t < 9; ++t) {
                    packed[(c / pack) * 9 * pack + t * pack + c % pack] = raw[c * 9 + t];
                }
            }
        }
        return 0;
    }

    int forward(const ncnn::Mat& bottom, ncnn::Mat& top, const ncnn::Option& opt) const override {
        if (bottom.dims != 3 || bottom.c * bottom.elempack != channels_ ||
            bottom.elemsize != 4u * static_cast<std::size_t>(bottom.elempack)) {
            return -1;
        }
        switch (bottom.elempack) {
        case 1:
            return run<1>(bottom, top, weights_, opt);
        case 4:
            return run<4>(bottom, top, packed_weights(4), opt);
        case 8:
            return run<8>(bottom, top, packed_weights(8), opt);
        case 16:
            return run<16>(bottom, top, packed_weights(16), opt);
        default:
            return -1;
        }
    }

private:
    ncnn::Mat& packed_weights(int pack) { return pack == 4 ? packed4_ : pack == 8 ? packed8_ : packed16_; }
    const ncnn::Mat& packed_weights(int pack) const { return pack == 4 ? packed4_ : pack == 8 ? packed8_ : packed16_; }

    template <int P>
    int run(const ncnn::Mat& bottom, ncnn::Mat& top, const ncnn::Mat& weights, const ncnn::Option& opt) const {
        return with_activation(input_clamp_.kind, [&](auto in) {
            return with_activation(output_clamp_.kind, [&](auto out) {
                return run<P, decltype(in)::value, decltype(out)::value>(bottom, top, weights, opt);
            });
        });
    }

    template <int P, Kind In, Kind Out>
    int run(const ncnn::Mat& bottom, ncnn::Mat& top, const ncnn::Mat& weights, const ncnn::Option& opt) const {
        using V = typename Lanes<P>::type;
        const int w = bottom.w;
        const int h = bottom.h;
        if (weights.empty()) {
            return -1;
        }
        top.create(w, h, bottom.c, bottom.elemsize, P, opt.blob_allocator);
        const std::ptrdiff_t padded_row = static_cast<std::ptrdiff_t>(w + 2) * P;
        // Four padded rows per thread: the two an output pair shares with the pair
        // before, and its two new ones.
        ncnn::Mat rings(static_cast<int>(4 * padded_row), std::max(1, opt.num_threads), 4u, opt.workspace_allocator);
        if (top.empty() || rings.empty()) {
            return -100;
        }
        const Activation<V, In> activate_input(input_clamp_);
        const Activation<V, Out> activate_output(output_clamp_);
#pragma omp parallel for num_threads(opt.num_threads)
        for (int g = 0; g < bottom.c; ++g) {
            float* ring = rings.row(ncnn::get_omp_thread_num());
            const ncnn::Mat in = bottom.channel(g);
            ncnn::Mat out = top.channel(g);
            const Taps<V> taps(static_cast<const float*>(weights) + static_cast<std::ptrdiff_t>(g) * 9 * P,
                               static_cast<const float*>(bias_) + static_cast<std::ptrdiff_t>(g) * P);
            // Input row i (-1 .. h) lives in ring slot (i + 1) % 4.
            const auto slot = [&](int i) { return ring + ((i + 1) & 3) * padded_row; };
            const auto fill = [&](int i) {
                fill_row<P>(slot(i), i >= 0 && i < h ? in.row(i) : nullptr, w, activate_input);
            };
            fill(-1);
            fill(0);
            for (int y = 0; y < h; y += 2) {
                fill(y + 1);
                fill(y + 2);  // zeros past the last row: an odd last row's unused partner reads them
                const bool pair = y + 1 < h;
                const float* const rows[4] = {slot(y - 1), slot(y), slot(y + 1), slot(y + 2)};
                output_rows<P>(rows, out.row(y), pair ? out.row(y + 1) : nullptr, w, taps, activate_output);
            }
        }
        return 0;
    }

    int channels_ = 0;
    bool bias_term_ = false;
    Clamp input_clamp_;
    Clamp output_clamp_;
    ncnn::Mat weights_;  // ncnn's layout: 9 taps per channel (elempack 1)
    ncnn::Mat bias_;
    ncnn::Mat packed4_, packed8_, packed16_;
};

}  // namespace

bool depthwise3x3_vectorised() { return kVectorKernels; }

std::string fuse_depthwise3x3(const std::string& param_text, const std::vector<std::string>& kept_blobs) {
    if (!kVectorKernels) {
        return param_text;
    }
    ParamText param = ParamText::parse(param_text);
    std::map<std::string, std::size_t> producer;  // blob -> line writing it
    for (std::size_t i = 2; i < param.layers.size(); ++i) {
        for (const std::string& top : param.layers[i].tops) {
            producer[top] = i;
        }
    }
    for (std::size_t i = 2; i < param.layers.size(); ++i) {
        const LayerLine& layer = param.layers[i];
        if (layer.words.empty() || !qualifies(layer)) {
            continue;
        }
        std::map<int, std::string> moved;
        const std::string& input = layer.bottoms[0];
        const auto from = producer.find(input);
        if (from != producer.end() && activation_movable(param.layers[from->second]) &&
            param.readers_of(input).size() == 1 &&
            std::find(kept_blobs.begin(), kept_blobs.end(), input) == kept_blobs.end()) {
            LayerLine& source = param.layers[from->second];
            moved[kInputActivationType] = source.params.at(9);
            const auto params = source.params.find(-23310);
            if (params != source.params.end()) {
                moved[-23300 - kInputActivationParams] = params->second;
            }
            param.lines[from->second] = source.rewritten({{9, "0"}}, {-23310});
        }
        LayerLine renamed = layer;
        renamed.words[0] = kDepthwise3x3Type;
        param.lines[i] = renamed.rewritten(moved);
    }
    return param.text();
}

ncnn::Layer* create_depthwise3x3(void*) { return new Depthwise3x3(); }

}  // namespace mosface
