// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "stem_pool.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

#include "mat.h"
#include "modelbin.h"
#include "option.h"
#include "paramdict.h"

namespace mosface {

namespace {

// Output rows per band: the convolution computes 2 x kBandRows + 1 rows a band,
// one more than its share (the row two bands' poolings both read): 3% extra
// work for about 1.5 MiB at 640x480 instead of 14.
constexpr int kBandRows = 16;

// Parameter ids, those of ncnn's Convolution for what the two layers share.
constexpr int kNumOutput = 0;
constexpr int kBiasTerm = 5;
constexpr int kWeightDataSize = 6;
constexpr int kActivation = 9;

struct LayerDeleter {
    void operator()(ncnn::Layer* layer) const { delete layer; }
};
using LayerPtr = std::unique_ptr<ncnn::Layer, LayerDeleter>;

// The inner layers run in fp32 whatever the net's storage options: StemPool
// takes and gives fp32, and ncnn converts around it.
ncnn::Option inner_option(const ncnn::Option& opt) {
    ncnn::Option inner = opt;
    inner.use_fp16_packed = inner.use_fp16_storage = inner.use_fp16_arithmetic = false;
    inner.use_bf16_packed = inner.use_bf16_storage = false;
    inner.use_int8_packed = inner.use_int8_storage = inner.use_int8_arithmetic = false;
    inner.blob_allocator = opt.workspace_allocator;  // band results are scratch
    return inner;
}

// The rows [first, last] of every channel of a pack-1 map, without a copy.
ncnn::Mat row_view(const ncnn::Mat& map, int first, int last) {
    ncnn::Mat view(map.w, last - first + 1, map.c, const_cast<float*>(map.row(first)), map.elemsize, map.elempack);
    view.cstep = map.cstep;
    return view;
}

class StemPool final : public ncnn::Layer {
public:
    StemPool() { one_blob_only = true; }

    int load_param(const ncnn::ParamDict& pd) override {
        out_channels_ = pd.get(kNumOutput, 0);
        bias_term_ = pd.get(kBiasTerm, 0);
        weight_data_size_ = pd.get(kWeightDataSize, 0);
        activation_ = pd.get(kActivation, 0);
        const bool valid = out_channels_ >= 1 && weight_data_size_ >= 1 && (activation_ == 0 || activation_ == 1);
        return valid ? 0 : -1;
    }

    int load_model(const ncnn::ModelBin& mb) override {
        weights_[0] = mb.load(weight_data_size_, 0);
        if (weights_[0].empty()) {
            return -100;
        }
        if (bias_term_) {
            weights_[1] = mb.load(out_channels_, 1);
            if (weights_[1].empty()) {
                return -100;
            }
        }
        return 0;
    }

    // One convolution and one pooling for each combination of padding at the
    // band's top and bottom (the image's first and last rows), left and right always.
    int create_pipeline(const ncnn::Option& opt) override {
        const ncnn::Option inner = inner_option(opt);
        for (int top = 0; top < 2; ++top) {
            for (int bottom = 0; bottom < 2; ++bottom) {
                ncnn::ParamDict conv;
                conv.set(0, out_channels_);
                conv.set(1, 3);
                conv.set(3, 2);
                conv.set(4, 1);      // left
                conv.set(15, 1);     // right
                conv.set(14, top);
                conv.set(16, bottom);
                conv.set(kBiasTerm, bias_term_);
                conv.set(kWeightDataSize, weight_data_size_);
                conv.set(kActivation, activation_);
                convolution_[top][bottom] = make_layer("Convolution", conv, inner, weights_);
                ncnn::ParamDict pool;
                pool.set(0, 0);      // max
                pool.set(1, 3);
                pool.set(2, 2);
                pool.set(3, 1);      // left
                pool.set(14, 1);     // right
                pool.set(13, top);
                pool.set(15, bottom);
                pool.set(5, 1);      // valid (floor) mode
                pooling_[top][bottom] = make_layer("Pooling", pool, inner, nullptr);
                if (!convolution_[top][bottom] || !pooling_[top][bottom]) {
                    return -1;
                }
            }
        }
        if (opt.lightmode) {
            weights_[0].release();  // the inner convolutions hold what they need
            weights_[1].release();
        }
        return 0;
    }

    int destroy_pipeline(const ncnn::Option& opt) override {
        const ncnn::Option inner = inner_option(opt);
        for (auto& row : convolution_) {
            for (LayerPtr& layer : row) {
                if (layer) {
                    layer->destroy_pipeline(inner);
                    layer.reset();
                }
            }
        }
        for (auto& row : pooling_) {
            for (LayerPtr& layer : row) {
                if (layer) {
                    layer->destroy_pipeline(inner);
                    layer.reset();
                }
            }
        }
        return 0;
    }

    int forward(const ncnn::Mat& bottom, ncnn::Mat& top, const ncnn::Option& opt) const override {
        if (bottom.dims != 3 || bottom.elempack != 1 || bottom.elemsize != 4) {
            return -1;
        }
        const ncnn::Option inner = inner_option(opt);
        const int conv_h = (bottom.h - 1) / 2 + 1;  // 3x3, stride 2, padding 1
        const int out_h = (conv_h - 1) / 2 + 1;
        for (int y0 = 0; y0 < out_h; y0 += kBandRows) {
            const int y1 = std::min(out_h, y0 + kBandRows);  // output rows [y0, y1)
            // The convolution rows the band's pooling reads, and the input rows those read.
            const int r0 = std::max(0, 2 * y0 - 1);
            const int r1 = std::min(conv_h - 1, 2 * y1 - 1);
            const int in0 = std::max(0, 2 * r0 - 1);
            const int in1 = std::min(bottom.h - 1, 2 * r1 + 1);
            ncnn::Mat conv_band;
            const ncnn::Layer& convolution = *convolution_[2 * r0 - 1 < 0][2 * r1 + 1 > bottom.h - 1];
            if (convolution.forward(row_view(bottom, in0, in1), conv_band, inner) != 0 || conv_band.h != r1 - r0 + 1) {
                return -100;
            }
            ncnn::Mat pooled;
            const ncnn::Layer& pooling = *pooling_[2 * y0 - 1 < 0][2 * y1 - 1 > conv_h - 1];
            if (pooling.forward(conv_band, pooled, inner) != 0 || pooled.h != y1 - y0) {
                return -100;
            }
            if (y0 == 0) {
                top.create(pooled.w, out_h, pooled.c, pooled.elemsize, pooled.elempack, opt.blob_allocator);
                if (top.empty()) {
                    return -100;
                }
            }
            const std::size_t row_bytes = static_cast<std::size_t>(pooled.w) * pooled.elemsize;
            for (int g = 0; g < pooled.c; ++g) {
                std::memcpy(top.channel(g).row<unsigned char>(y0), pooled.channel(g).row<const unsigned char>(0),
                            row_bytes * static_cast<std::size_t>(y1 - y0));
            }
        }
        return 0;
    }

private:
    static LayerPtr make_layer(const char* type, const ncnn::ParamDict& pd, const ncnn::Option& opt,
                               const ncnn::Mat* weights) {
        LayerPtr layer(ncnn::create_layer_cpu(type));
        if (!layer || layer->load_param(pd) != 0) {
            return nullptr;
        }
        if (weights != nullptr) {
            const ncnn::ModelBinFromMatArray bin(weights);
            if (layer->load_model(bin) != 0) {
                return nullptr;
            }
        }
        if (layer->create_pipeline(opt) != 0) {
            return nullptr;
        }
        return layer;
    }

    int out_channels_ = 0;
    int bias_term_ = 0;
    int weight_data_size_ = 0;
    int activation_ = 0;
    ncnn::Mat weights_[2];  // weights, bias (until the pipelines are made)
    LayerPtr convolution_[2][2];  // by padding at the top, at the bottom
    LayerPtr pooling_[2][2];
};

}  // namespace

// ncnn's custom layer interface hands out a raw pointer and deletes it itself.
ncnn::Layer* create_stem_pool(void* /*userdata*/) { return new StemPool; }

}  // namespace mosface
