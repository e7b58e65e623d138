// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "stem_pool.hpp"

#include <algorithm>
#include <vector>

#include "mat.h"
#include "modelbin.h"
#include "paramdict.h"

namespace mosface {

namespace {

constexpr int kTaps = 9;  // 3x3
constexpr int kMaxInChannels = 4;  // an image: gray, BGR or BGRA

// Parameter ids, those of ncnn's Convolution for what the two layers share.
constexpr int kNumOutput = 0;
constexpr int kBiasTerm = 5;
constexpr int kWeightDataSize = 6;
constexpr int kActivation = 9;  // 0 none, 1 ReLU

class StemPool final : public ncnn::Layer {
public:
    StemPool() { one_blob_only = true; }

    int load_param(const ncnn::ParamDict& pd) override {
        out_channels_ = pd.get(kNumOutput, 0);
        bias_term_ = pd.get(kBiasTerm, 0);
        weight_data_size_ = pd.get(kWeightDataSize, 0);
        relu_ = pd.get(kActivation, 0) == 1;
        if (out_channels_ < 1 || weight_data_size_ % (out_channels_ * kTaps) != 0) {
            return -1;
        }
        in_channels_ = weight_data_size_ / (out_channels_ * kTaps);
        return in_channels_ >= 1 && in_channels_ <= kMaxInChannels ? 0 : -1;
    }

    int load_model(const ncnn::ModelBin& mb) override {
        const ncnn::Mat weights = mb.load(weight_data_size_, 0);
        if (weights.empty()) {
            return -100;
        }
        // torch/ncnn order (out, in, ky, kx) to (tap, in, out): the output channels
        // of one input value are contiguous, the loop every output pixel runs.
        const float* w = weights;
        weights_.resize(static_cast<std::size_t>(weight_data_size_));
        for (int o = 0; o < out_channels_; ++o) {
            for (int i = 0; i < in_channels_; ++i) {
                for (int t = 0; t < kTaps; ++t) {
                    weights_[(static_cast<std::size_t>(t) * in_channels_ + i) * out_channels_ + o] =
                        w[(o * in_channels_ + i) * kTaps + t];
                }
            }
        }
        bias_.assign(static_cast<std::size_t>(out_channels_), 0.f);
        if (bias_term_) {
            const ncnn::Mat bias = mb.load(out_channels_, 1);
            if (bias.empty()) {
                return -100;
            }
            std::copy(static_cast<const float*>(bias), static_cast<const float*>(bias) + out_channels_,
                      bias_.begin());
        }
        return 0;
    }

    int forward(const ncnn::Mat& bottom, ncnn::Mat& top, const ncnn::Option& opt) const override {
        if (bottom.dims != 3 || bottom.elempack != 1 || bottom.elemsize != 4 || bottom.c != in_channels_) {
            return -1;
        }
        const int conv_w = (bottom.w - 1) / 2 + 1;  // 3x3, stride 2, padding 1
        const int conv_h = (bottom.h - 1) / 2 + 1;
        const int out_w = (conv_w - 1) / 2 + 1;
        const int out_h = (conv_h - 1) / 2 + 1;
        top.create(out_w, out_h, out_channels_, 4u, opt.blob_allocator);
        if (top.empty()) {
            return -100;
        }
        // One band of output rows per thread; each keeps three convolution rows.
        const int bands = std::max(1, std::min(opt.num_threads, out_h));
        const std::size_t row_floats = static_cast<std::size_t>(conv_w) * out_channels_;
        // Per band: three convolution rows and one pixel's running maxima.
        ncnn::Mat rows(static_cast<int>(row_floats * 3 + out_channels_), 1, bands, 4u, opt.workspace_allocator);
        if (rows.empty()) {
            return -100;
        }
        #pragma omp parallel for num_threads(opt.num_threads)
        for (int band = 0; band < bands; ++band) {
            const int first = out_h * band / bands;
            const int last = out_h * (band + 1) / bands;
            float* ring = rows.channel(band);
            float* best = ring + 3 * row_floats;
            int held[3] = {-1, -1, -1};  // convolution row in each ring slot
            for (int y = first; y < last; ++y) {
                const float* conv_rows[3];
                int count = 0;
                for (int cy = std::max(0, 2 * y - 1); cy <= std::min(conv_h - 1, 2 * y + 1); ++cy) {
                    float* slot = ring + static_cast<std::size_t>(cy % 3) * row_floats;
                    if (held[cy % 3] != cy) {
                        convolution_row(bottom, cy, conv_w, slot);
                        held[cy % 3] = cy;
                    }
                    conv_rows[count++] = slot;
                }
                pool_row(conv_rows, count, conv_w, top, y, best);
            }
        }
        return 0;
    }

private:
    // One output row of the convolution, (x, channel) interleaved. OC > 0: the
    // channel count at compile time, so a pixel's sums stay in registers.
    template <int OC>
    void convolution_row(const ncnn::Mat& bottom, int cy, int conv_w, float* out) const {
        const int oc = OC > 0 ? OC : out_channels_;
        const int cin = in_channels_;
        // The three input rows of this output row, per input channel; null where the padding is.
        const float* rows[3 * kMaxInChannels] = {};
        for (int ky = 0; ky < 3; ++ky) {
            const int iy = 2 * cy - 1 + ky;
            for (int i = 0; i < cin && iy >= 0 && iy < bottom.h; ++i) {
                rows[ky * cin + i] = bottom.channel(i).row(iy);
            }
        }
        const float* weights = weights_.data();
        const int width = bottom.w;
        for (int x = 0; x < conv_w; ++x) {
            float local[OC > 0 ? OC : 1];
            float* acc = OC > 0 ? local : out + static_cast<std::size_t>(x) * oc;
            #pragma omp simd
            for (int o = 0; o < oc; ++o) {
                acc[o] = bias_[static_cast<std::size_t>(o)];
            }
            const int x0 = 2 * x - 1;
            const int kx_first = x0 < 0 ? 1 : 0;                   // the left padding column
            const int kx_last = x0 + 2 >= width ? width - 1 - x0 : 2;  // the right one
            for (int ky = 0; ky < 3; ++ky) {
                for (int i = 0; i < cin; ++i) {
                    const float* row = rows[ky * cin + i];
                    if (row == nullptr) {
                        continue;
                    }
                    for (int kx = kx_first; kx <= kx_last; ++kx) {
                        const float v = row[x0 + kx];
                        const float* w = weights + (static_cast<std::size_t>(ky * 3 + kx) * cin + i) * oc;
                        #pragma omp simd
                        for (int o = 0; o < oc; ++o) {
                            acc[o] += w[o] * v;
                        }
                    }
                }
            }
            float* dst = out + static_cast<std::size_t>(x) * oc;
            #pragma omp simd
            for (int o = 0; o < oc; ++o) {
                dst[o] = relu_ ? std::max(acc[o], 0.f) : acc[o];
            }
        }
    }

    void convolution_row(const ncnn::Mat& bottom, int cy, int conv_w, float* out) const {
        switch (out_channels_) {  // ShuffleNetV2's stems: 24 channels
            case 24:
                return convolution_row<24>(bottom, cy, conv_w, out);
            default:
                return convolution_row<0>(bottom, cy, conv_w, out);
        }
    }

    // One output row of the pooling: the max over the convolution rows given
    // (those inside the map) and the columns 2x-1..2x+1 inside it.
    void pool_row(const float* const* conv_rows, int count, int conv_w, ncnn::Mat& top, int y, float* best) const {
        const int oc = out_channels_;
        std::vector<float*> out_rows(static_cast<std::size_t>(oc));
        for (int o = 0; o < oc; ++o) {
            out_rows[static_cast<std::size_t>(o)] = top.channel(o).row(y);
        }
        for (int x = 0; x < top.w; ++x) {
            std::fill(best, best + oc, -3.402823466e+38f);
            for (int r = 0; r < count; ++r) {
                for (int cx = std::max(0, 2 * x - 1); cx <= std::min(conv_w - 1, 2 * x + 1); ++cx) {
                    const float* v = conv_rows[r] + static_cast<std::size_t>(cx) * oc;
                    #pragma omp simd
                    for (int o = 0; o < oc; ++o) {
                        best[o] = std::max(best[o], v[o]);
                    }
                }
            }
            for (int o = 0; o < oc; ++o) {
                out_rows[static_cast<std::size_t>(o)][x] = best[o];
            }
        }
    }

    int out_channels_ = 0;
    int in_channels_ = 0;
    int bias_term_ = 0;
    int weight_data_size_ = 0;
    bool relu_ = false;
    std::vector<float> weights_;
    std::vector<float> bias_;
};

}  // namespace

ncnn::Layer* create_stem_pool(void* /*userdata*/) { return new StemPool; }

}  // namespace mosface
