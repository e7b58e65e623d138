// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "banded_pair.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "mat.h"
#include "modelbin.h"
#include "option.h"
#include "paramdict.h"

namespace mosface {

namespace {

// Output rows per band: the first layer computes (16 - 1) x stride + kernel rows
// a band, kernel - stride more than its share (3% for a 3x3 stride-2 second layer).
constexpr int kBandRows = 16;
constexpr int kPairIndex = 0;  // the BandedPair line's one parameter
constexpr int kFeatureMask = 31;

// Explicit padding and a window of the sizes networks use (a hostile .param's
// huge pads or kernels are left to ncnn's own layers, not to the band arithmetic).
bool small_window(const LayerLine& layer) {
    constexpr int kMaxWindow = 16;
    for (const Window& window : {window_along_rows(layer), window_along_columns(layer)}) {
        const bool small = window.kernel >= 1 && window.kernel <= kMaxWindow && window.stride >= 1 &&
                           window.stride <= kMaxWindow && window.dilation >= 1 && window.dilation <= kMaxWindow &&
                           window.pad_before >= 0 && window.pad_before <= kMaxWindow && window.pad_after >= 0 &&
                           window.pad_after <= kMaxWindow;
        if (!small) {
            return false;
        }
    }
    return true;
}

// A convolution whose rows can be computed a band at a time: float weights, zero padding.
bool bandable_convolution(const LayerLine& layer) {
    return (layer.type() == "Convolution" || layer.type() == "ConvolutionDepthWise") && small_window(layer) &&
           zero_pad_value(layer) && stored_float_weights(layer);
}

// The second layer: stride 2 (where the map before it is the largest), floor-mode max pooling or a convolution.
bool bandable_second(const LayerLine& layer) {
    const bool pooling = layer.type() == "Pooling" && layer.int_param(0, 0) == 0 && layer.int_param(4, 0) == 0 &&
                         layer.int_param(7, 0) == 0 && layer.int_param(5, 0) == 1 && small_window(layer);
    return (pooling || bandable_convolution(layer)) && window_along_rows(layer).stride == 2;
}

// The parameters of a .param line as ncnn's text parser reads them (numbers with
// '.' or 'e' are floats; -23300 - i=n,v1,... are arrays of parameter i).
ncnn::ParamDict param_dict(const LayerLine& layer) {
    ncnn::ParamDict pd;
    const auto is_float = [](const std::string& text) { return text.find_first_of(".eE") != std::string::npos; };
    for (const auto& [id, value] : layer.params) {
        if (id <= -23300) {
            std::vector<std::string> items;
            std::stringstream list(value);
            for (std::string item; std::getline(list, item, ',');) {
                items.push_back(item);
            }
            ncnn::Mat array(static_cast<int>(items.size()) - 1);
            const bool floats = std::any_of(items.begin() + 1, items.end(), is_float);
            for (std::size_t i = 1; i < items.size(); ++i) {
                if (floats) {
                    static_cast<float*>(array)[i - 1] = static_cast<float>(param_number(items[i]));
                } else {
                    static_cast<int*>(array.data)[i - 1] = std::atoi(items[i].c_str());
                }
            }
            pd.set(-id - 23300, array);
        } else if (is_float(value)) {
            pd.set(id, static_cast<float>(param_number(value)));
        } else {
            pd.set(id, std::atoi(value.c_str()));
        }
    }
    return pd;
}

// ncnn's per-layer feature mask, as Net applies it (the bits that matter in fp32).
ncnn::Option masked(const ncnn::Option& opt, int featmask) {
    ncnn::Option inner = opt;
    inner.use_sgemm_convolution = opt.use_sgemm_convolution && !(featmask & (1 << 5));
    inner.use_winograd_convolution = opt.use_winograd_convolution && !(featmask & (1 << 6));
    if (featmask & (1 << 7)) {
        inner.num_threads = 1;
    }
    return inner;
}

// The inner layers run in fp32 whatever the net's storage options: BandedPair
// takes and gives fp32, and ncnn converts around it.
ncnn::Option inner_option(const ncnn::Option& opt, int featmask) {
    ncnn::Option inner = masked(opt, featmask);
    inner.use_fp16_packed = inner.use_fp16_storage = inner.use_fp16_arithmetic = false;
    inner.use_bf16_packed = inner.use_bf16_storage = false;
    inner.use_int8_packed = inner.use_int8_storage = inner.use_int8_arithmetic = false;
    inner.blob_allocator = opt.workspace_allocator;  // band results are scratch
    return inner;
}

// Hands out what another ModelBin reads, keeping a reference to each blob for more copies of the layer.
class RecordingModelBin final : public ncnn::ModelBin {
public:
    explicit RecordingModelBin(const ncnn::ModelBin& source) : source_(source) {}
    ncnn::Mat load(int w, int type) const override {
        ncnn::Mat blob = source_.load(w, type);
        blobs_.push_back(blob);
        return blob;
    }
    std::vector<ncnn::Mat>& blobs() const { return blobs_; }

private:
    const ncnn::ModelBin& source_;
    mutable std::vector<ncnn::Mat> blobs_;
};

struct LayerDeleter {
    void operator()(ncnn::Layer* layer) const { delete layer; }
};
using LayerPtr = std::unique_ptr<ncnn::Layer, LayerDeleter>;

// One of the pair's layers, in a copy for every top and bottom padding a band can need.
class PaddedCopies {
public:
    PaddedCopies() = default;
    explicit PaddedCopies(const LayerLine& line)
        : line_(line), window_(window_along_rows(line)), featmask_(line.int_param(kFeatureMask, 0)) {}

    const Window& window() const { return window_; }

    int load_model(const ncnn::ModelBin& mb) {
        const RecordingModelBin recording(mb);
        LayerPtr first = make(0, 0);
        if (!first || first->load_model(recording) != 0) {
            return -100;
        }
        weights_ = recording.blobs();
        // An empty blob last: a copy that asked for more blobs than the first one read
        // would get an empty Mat (a load error) instead of memory past the vector.
        weights_.emplace_back();
        copies_.clear();
        copies_.resize(static_cast<std::size_t>((window_.pad_before + 1) * (window_.pad_after + 1)));
        copies_[0] = std::move(first);
        for (int top = 0; top <= window_.pad_before; ++top) {
            for (int bottom = 0; bottom <= window_.pad_after; ++bottom) {
                if (top == 0 && bottom == 0) {
                    continue;
                }
                LayerPtr copy = make(top, bottom);
                const ncnn::ModelBinFromMatArray blobs(weights_.data());
                if (!copy || copy->load_model(blobs) != 0) {
                    return -100;
                }
                copies_[index(top, bottom)] = std::move(copy);
            }
        }
        return 0;
    }

    int create_pipeline(const ncnn::Option& opt) {
        const ncnn::Option inner = inner_option(opt, featmask_);
        for (LayerPtr& copy : copies_) {
            if (copy->create_pipeline(inner) != 0) {
                return -1;
            }
        }
        if (opt.lightmode) {
            weights_.clear();  // the copies hold what they need
        }
        return 0;
    }

    void destroy_pipeline(const ncnn::Option& opt) {
        const ncnn::Option inner = inner_option(opt, featmask_);
        for (LayerPtr& copy : copies_) {
            if (copy) {
                copy->destroy_pipeline(inner);
            }
        }
        copies_.clear();
    }

    int forward(const ncnn::Mat& in, ncnn::Mat& out, int top, int bottom, const ncnn::Option& opt) const {
        return copies_[index(top, bottom)]->forward(in, out, inner_option(opt, featmask_));
    }

private:
    std::size_t index(int top, int bottom) const {
        return static_cast<std::size_t>(top * (window_.pad_after + 1) + bottom);
    }

    LayerPtr make(int top, int bottom) const {
        ncnn::ParamDict pd = param_dict(line_);
        const WindowIds& ids = window_ids(line_);
        pd.set(ids.pad_top, top);
        pd.set(ids.pad_bottom, bottom);
        LayerPtr layer(ncnn::create_layer_cpu(line_.type().c_str()));
        if (!layer || layer->load_param(pd) != 0) {
            return nullptr;
        }
        return layer;
    }

    LayerLine line_;
    Window window_;
    int featmask_ = 0;
    std::vector<ncnn::Mat> weights_;
    std::vector<LayerPtr> copies_;  // by top padding, then bottom padding
};

// The rows [first, last] of every channel (group) of a map, without a copy.
ncnn::Mat row_view(const ncnn::Mat& map, int first, int last) {
    ncnn::Mat view(map.w, last - first + 1, map.c, const_cast<unsigned char*>(map.row<const unsigned char>(first)),
                   map.elemsize, map.elempack);
    view.cstep = map.cstep;
    return view;
}

class BandedPair final : public ncnn::Layer {
public:
    explicit BandedPair(const BandedPairs* pairs) : pairs_(pairs) {
        one_blob_only = true;
        support_packing = true;  // the first layer gets its input packed as ncnn would pack it for it
    }

    int load_param(const ncnn::ParamDict& pd) override {
        const int index = pd.get(kPairIndex, -1);
        if (pairs_ == nullptr || index < 0 || static_cast<std::size_t>(index) >= pairs_->pairs.size()) {
            return -1;
        }
        first_ = PaddedCopies(pairs_->pairs[static_cast<std::size_t>(index)].first);
        second_ = PaddedCopies(pairs_->pairs[static_cast<std::size_t>(index)].second);
        return 0;
    }

    int load_model(const ncnn::ModelBin& mb) override {
        return first_.load_model(mb) != 0 ? -100 : second_.load_model(mb);
    }

    int create_pipeline(const ncnn::Option& opt) override {
        return first_.create_pipeline(opt) != 0 ? -1 : second_.create_pipeline(opt);
    }

    int destroy_pipeline(const ncnn::Option& opt) override {
        first_.destroy_pipeline(opt);
        second_.destroy_pipeline(opt);
        return 0;
    }

    int forward(const ncnn::Mat& bottom, ncnn::Mat& top, const ncnn::Option& opt) const override {
        if (bottom.dims != 3) {
            return -1;
        }
        const Window& a = first_.window();
        const Window& b = second_.window();
        const int rows_a = a.out(bottom.h);
        const int rows_out = b.out(rows_a);
        if (rows_a < 1 || rows_out < 1) {
            return -1;
        }
        for (int y0 = 0; y0 < rows_out; y0 += kBandRows) {
            const int y1 = std::min(rows_out, y0 + kBandRows);  // output rows [y0, y1)
            // The first layer's rows the band reads, and the input rows those read; what
            // falls outside is the layers' own padding.
            const int want_a0 = y0 * b.stride - b.pad_before;
            const int want_a1 = (y1 - 1) * b.stride - b.pad_before + static_cast<int>(b.span()) - 1;
            const int a0 = std::max(0, want_a0);
            const int a1 = std::min(rows_a - 1, want_a1);
            const int want_in0 = a0 * a.stride - a.pad_before;
            const int want_in1 = a1 * a.stride - a.pad_before + static_cast<int>(a.span()) - 1;
            const int in0 = std::max(0, want_in0);
            const int in1 = std::min(bottom.h - 1, want_in1);
            ncnn::Mat band_a;
            if (first_.forward(row_view(bottom, in0, in1), band_a, in0 - want_in0, want_in1 - in1, opt) != 0 ||
                band_a.h != a1 - a0 + 1) {
                return -100;
            }
            ncnn::Mat band_out;
            if (second_.forward(band_a, band_out, a0 - want_a0, want_a1 - a1, opt) != 0 || band_out.h != y1 - y0) {
                return -100;
            }
            if (y0 == 0) {
                top.create(band_out.w, rows_out, band_out.c, band_out.elemsize, band_out.elempack, opt.blob_allocator);
                if (top.empty()) {
                    return -100;
                }
            }
            const std::size_t row_bytes = static_cast<std::size_t>(band_out.w) * band_out.elemsize;
            for (int g = 0; g < band_out.c; ++g) {
                std::memcpy(top.channel(g).row<unsigned char>(y0), band_out.channel(g).row<const unsigned char>(0),
                            row_bytes * static_cast<std::size_t>(y1 - y0));
            }
        }
        return 0;
    }

private:
    const BandedPairs* pairs_;
    PaddedCopies first_;
    PaddedCopies second_;
};

}  // namespace

std::string fuse_banded_pairs(const std::string& param_text, BandedPairs* pairs) {
    ParamText param = ParamText::parse(param_text);
    std::vector<std::size_t> fused_second;  // line indices to drop
    for (std::size_t i = 2; i + 1 < param.layers.size(); ++i) {
        const LayerLine& first = param.layers[i];
        const LayerLine& second = param.layers[i + 1];
        if (first.words.empty() || second.words.empty() || first.bottoms.size() != 1 || first.tops.size() != 1 ||
            second.bottoms.size() != 1 || second.tops.size() != 1 || second.bottoms[0] != first.tops[0] ||
            param.readers_of(first.tops[0]).size() != 1 || !bandable_convolution(first) || !bandable_second(second) ||
            (!fused_second.empty() && fused_second.back() == i)) {
            continue;
        }
        const std::size_t index = pairs->pairs.size();
        pairs->pairs.emplace_back(first, second);
        param.lines[i] = std::string(kBandedPairType) + " " + first.words[1] + " 1 1 " + first.bottoms[0] + " " +
                         second.tops[0] + " " + std::to_string(kPairIndex) + "=" + std::to_string(index);
        fused_second.push_back(i + 1);
    }
    for (auto line = fused_second.rbegin(); line != fused_second.rend(); ++line) {
        param.lines.erase(param.lines.begin() + static_cast<long>(*line));
    }
    if (!fused_second.empty()) {
        std::istringstream header(param.lines[1]);
        long layer_count = 0;
        long blob_count = 0;
        header >> layer_count >> blob_count;
        const long fused = static_cast<long>(fused_second.size());
        param.lines[1] = std::to_string(layer_count - fused) + " " + std::to_string(blob_count - fused);
    }
    return param.text();
}

// ncnn's custom layer interface hands out a raw pointer and deletes it itself.
ncnn::Layer* create_banded_pair(void* pairs) { return new BandedPair(static_cast<const BandedPairs*>(pairs)); }

}  // namespace mosface
