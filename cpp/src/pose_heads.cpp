// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "mosface/pose_heads.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <stdexcept>
#include <utility>

#include "mosface/errors.hpp"
#include "mosface/limits.hpp"
#include "mosface/pose.hpp"

#include "finite.hpp"

namespace mosface {

namespace {

constexpr int kTaps = 9;  // the 3x3 neighbourhood, row-major, centre at 4
constexpr int kBlock = 16;  // outputs accumulated in registers at a time

// y[o] += sum_r x[r] * w[r * stride + o] for o < n. Blocks of kBlock outputs stay
// in registers while all rows stream past; the inner loops vectorise (SSE/AVX/NEON).
void accumulate_rows(const float* __restrict x, const float* __restrict w, std::size_t stride, std::size_t rows,
                     float* __restrict y, int n) {
    int o = 0;
    for (; o + kBlock <= n; o += kBlock) {
        float acc[kBlock];
        std::copy_n(y + o, kBlock, acc);
        for (std::size_t r = 0; r < rows; ++r) {
            const float xr = x[r];
            const float* wr = w + r * stride + o;
#pragma omp simd
            for (int k = 0; k < kBlock; ++k) {
                acc[k] += xr * wr[k];
            }
        }
        std::copy_n(acc, kBlock, y + o);
    }
    for (; o < n; ++o) {
        float sum = y[o];
        for (std::size_t r = 0; r < rows; ++r) {
            sum += x[r] * w[r * stride + o];
        }
        y[o] = sum;
    }
}

// accumulate_rows for `faces` inputs at once: each weight row is read once for the
// whole group (the 3x3 layer's weights are ~300 KB, so this is what bounds its cost).
template <int Faces>
void accumulate_rows_group(const float* const* x, const float* __restrict w, std::size_t stride, std::size_t rows,
                           float* const* y, int n) {
    int o = 0;
    for (; o + kBlock <= n; o += kBlock) {
        float acc[Faces][kBlock];
        for (int f = 0; f < Faces; ++f) {
            std::copy_n(y[f] + o, kBlock, acc[f]);
        }
        for (std::size_t r = 0; r < rows; ++r) {
            const float* wr = w + r * stride + o;
            for (int f = 0; f < Faces; ++f) {
                const float xr = x[f][r];
#pragma omp simd
                for (int k = 0; k < kBlock; ++k) {
                    acc[f][k] += xr * wr[k];
                }
            }
        }
        for (int f = 0; f < Faces; ++f) {
            std::copy_n(acc[f], kBlock, y[f] + o);
        }
    }
    for (int f = 0; f < Faces; ++f) {
        accumulate_rows(x[f], w + o, stride, rows, y[f] + o, n - o);
    }
}

constexpr int kGroup = 4;  // faces of one level sharing a pass over the 3x3 weights

void accumulate_rows_faces(const float* const* x, int faces, const float* w, std::size_t stride, std::size_t rows,
                           float* const* y, int n) {
    switch (faces) {
        case 4: accumulate_rows_group<4>(x, w, stride, rows, y, n); break;
        case 3: accumulate_rows_group<3>(x, w, stride, rows, y, n); break;
        case 2: accumulate_rows_group<2>(x, w, stride, rows, y, n); break;
        default: accumulate_rows_group<1>(x, w, stride, rows, y, n); break;
    }
}

void relu(float* values, int count) {
#pragma omp simd
    for (int i = 0; i < count; ++i) {
        values[i] = std::max(values[i], 0.f);
    }
}

std::size_t weight_count(const PoseLayerSpec& spec) {
    switch (spec.kind) {
        case PoseLayerSpec::Kind::conv1x1:
            return static_cast<std::size_t>(spec.out) * spec.in;
        case PoseLayerSpec::Kind::conv3x3:
            return static_cast<std::size_t>(spec.out) * (spec.in + spec.ones_channel) * kTaps;
        case PoseLayerSpec::Kind::depthwise3x3:
            return static_cast<std::size_t>(spec.out) * kTaps;
    }
    return 0;
}

// From torch layout in the file to the layouts of SparsePoseHeads::Layer.
SparsePoseHeads::Layer rearrange(const PoseLayerSpec& spec, const std::vector<float>& file) {
    SparsePoseHeads::Layer layer{spec.kind, spec.in, spec.out, spec.relu, {}, {}};
    const float* w = file.data() + spec.weight_offset;
    layer.bias.assign(file.begin() + spec.bias_offset, file.begin() + spec.bias_offset + spec.out);
    const std::size_t in = spec.in;
    const std::size_t out = spec.out;
    switch (spec.kind) {
        case PoseLayerSpec::Kind::conv1x1:
            layer.weight.resize(in * out);
            for (std::size_t o = 0; o < out; ++o) {
                for (std::size_t i = 0; i < in; ++i) {
                    layer.weight[i * out + o] = w[o * in + i];
                }
            }
            break;
        case PoseLayerSpec::Kind::conv3x3: {
            // Every tap carries in + 1 rows; the last is the ones channel (all zero without one).
            const std::size_t file_in = in + spec.ones_channel;
            layer.weight.assign(kTaps * (in + 1) * out, 0.f);
            for (std::size_t o = 0; o < out; ++o) {
                for (std::size_t i = 0; i < file_in; ++i) {
                    for (std::size_t t = 0; t < kTaps; ++t) {
                        layer.weight[(t * (in + 1) + i) * out + o] = w[(o * file_in + i) * kTaps + t];
                    }
                }
            }
            break;
        }
        case PoseLayerSpec::Kind::depthwise3x3:
            layer.weight.resize(kTaps * out);
            for (std::size_t c = 0; c < out; ++c) {
                for (std::size_t t = 0; t < kTaps; ++t) {
                    layer.weight[t * out + c] = w[c * kTaps + t];
                }
            }
            break;
    }
    return layer;
}

}  // namespace

// Per face of a group, four patch-sized buffers: the trunk ping-pongs in the first
// two, each angle in the last two.
class SparsePoseHeads::Scratch {
public:
    explicit Scratch(int widest)
        : stride_(static_cast<std::size_t>(kTaps) * (widest + 1)), data_(kGroup * 4 * stride_) {}
    float* buffer(int face, int index) { return data_.data() + (face * 4 + index) * stride_; }
    bool valid[kGroup][kTaps] = {};

private:
    std::size_t stride_;
    std::vector<float> data_;
};

namespace {

// What flows between layers: 9 taps of (width + 1) values (the last is 1 inside the
// map, 0 outside) before the 3x3 stage; `width` values at the centre after it.
struct State {
    float* data;
    int width;
    bool spatial;
};

State apply(const SparsePoseHeads::Layer& layer, const State& in, float* target, const bool* valid,
            const float* final_weight, int final_count, float* final_out) {
    const std::size_t in_stride = static_cast<std::size_t>(in.width) + 1;
    switch (layer.kind) {
        case PoseLayerSpec::Kind::conv1x1: {
            if (final_out != nullptr) {  // the last layer: only the anchor's bins
                std::copy_n(layer.bias.data() + (final_weight - layer.weight.data()), final_count, final_out);
                accumulate_rows(in.data, final_weight, layer.out, in.width, final_out, final_count);
                return {final_out, final_count, false};
            }
            const int taps = in.spatial ? kTaps : 1;
            const std::size_t out_stride = static_cast<std::size_t>(layer.out) + 1;
            for (int t = 0; t < taps; ++t) {
                float* y = target + t * out_stride;
                if (in.spatial && !valid[t]) {  // the dense graph zero-pads this layer's output
                    std::fill_n(y, out_stride, 0.f);
                    continue;
                }
                std::copy_n(layer.bias.data(), layer.out, y);
                accumulate_rows(in.data + t * in_stride, layer.weight.data(), layer.out, in.width, y, layer.out);
                if (layer.relu) {
                    relu(y, layer.out);
                }
                y[layer.out] = 1.f;
            }
            return {target, layer.out, in.spatial};
        }
        case PoseLayerSpec::Kind::conv3x3:
            // Outside taps hold zeros (ones channel included), so all 9 taps run as one matrix.
            std::copy_n(layer.bias.data(), layer.out, target);
            accumulate_rows(in.data, layer.weight.data(), layer.out, kTaps * in_stride, target, layer.out);
            break;
        case PoseLayerSpec::Kind::depthwise3x3:
            std::copy_n(layer.bias.data(), layer.out, target);
            for (int t = 0; t < kTaps; ++t) {
                const float* x = in.data + t * in_stride;
                const float* w = layer.weight.data() + static_cast<std::size_t>(t) * layer.out;
#pragma omp simd
                for (int c = 0; c < layer.out; ++c) {
                    target[c] += w[c] * x[c];
                }
            }
            break;
    }
    if (layer.relu) {
        relu(target, layer.out);
    }
    return {target, layer.out, false};
}

[[noreturn]] void chain_error(std::size_t level, const std::string& what) {
    throw ModelError("sparse_pose.levels[" + std::to_string(level) + "]: " + what +
                     " (regenerate the model with `mosface convert`)");
}

}  // namespace

SparsePoseHeads::SparsePoseHeads(const SparsePoseSpec& spec, std::vector<float> weights)
    : channels_(spec.channels), anchors_per_cell_(spec.anchors_per_cell), bins_(spec.bins) {
    if (spec.bins != kPoseBins) {
        throw ModelError("sparse_pose.bins is " + std::to_string(spec.bins) + ", this runtime expects " +
                         std::to_string(kPoseBins));
    }
    if (spec.levels.empty() || spec.feature_blobs.size() != spec.levels.size()) {
        throw ModelError("sparse_pose needs one feature blob per level (" + std::to_string(spec.levels.size()) +
                         " levels, " + std::to_string(spec.feature_blobs.size()) + " blobs)");
    }
    if (weights.size() != spec.floats) {
        throw ModelError("the pose heads file holds " + std::to_string(weights.size()) + " floats, the manifest says " +
                         std::to_string(spec.floats) + ": the files do not belong together");
    }
    widest_ = channels_;
    for (std::size_t l = 0; l < spec.levels.size(); ++l) {
        const SparsePoseLevel& level_spec = spec.levels[l];
        Level level;
        for (int angle = 0; angle < 3; ++angle) {
            const std::vector<PoseLayerSpec>& own = level_spec.angles[angle];
            if (own.empty()) {
                chain_error(l, "every angle needs its own output layer");
            }
            int width = channels_;
            bool spatial = true;
            std::vector<PoseLayerSpec> chain(level_spec.trunk);
            chain.insert(chain.end(), own.begin(), own.end());
            for (const PoseLayerSpec& layer : chain) {
                if (layer.in != width) {
                    chain_error(l, "a layer takes " + std::to_string(layer.in) + " channels, its input has " +
                                       std::to_string(width));
                }
                if (layer.kind != PoseLayerSpec::Kind::conv1x1) {
                    if (!spatial) {
                        chain_error(l, "more than one 3x3 layer in a chain");
                    }
                    spatial = false;
                }
                if (layer.kind == PoseLayerSpec::Kind::depthwise3x3 && layer.out != layer.in) {
                    chain_error(l, "a depthwise layer must keep its channel count");
                }
                const std::size_t count = weight_count(layer);
                if (layer.weight_offset + count > weights.size() || layer.bias_offset + layer.out > weights.size()) {
                    chain_error(l, "a layer's weights reach past the end of the pose heads file");
                }
                width = layer.out;
                widest_ = std::max(widest_, width);
            }
            if (spatial || chain.back().kind != PoseLayerSpec::Kind::conv1x1 ||
                width != anchors_per_cell_ * bins_) {
                chain_error(l, "a chain must be 3x3 stage, then 1x1 layers ending in anchors_per_cell x bins outputs");
            }
            for (const PoseLayerSpec& layer : own) {
                level.angles[angle].push_back(rearrange(layer, weights));
            }
        }
        for (const PoseLayerSpec& layer : level_spec.trunk) {
            level.trunk.push_back(rearrange(layer, weights));
        }
        levels_.push_back(std::move(level));
    }
}

SparsePoseHeads SparsePoseHeads::load(const SparsePoseSpec& spec, const std::string& path) {
    // A capped regular file (no FIFO wait, no /dev/zero), read whole: it is small.
    const std::vector<unsigned char> bytes = read_regular_file(path, "pose heads file", kMaxWeightsBytes);
    if (bytes.size() % sizeof(float) != 0 || bytes.size() != spec.floats * sizeof(float)) {
        throw ModelError(path + " has " + std::to_string(bytes.size()) + " bytes, the manifest describes " +
                         std::to_string(spec.floats * sizeof(float)) + ": the files do not belong together");
    }
    std::vector<float> weights(spec.floats);
    std::memcpy(weights.data(), bytes.data(), bytes.size());  // little-endian float32, as written
    return SparsePoseHeads(spec, std::move(weights));
}

void SparsePoseHeads::check_maps(const std::vector<FeatureMap>& maps, const PriorGrid& priors) const {
    if (maps.size() != levels_.size() || priors.levels() != levels_.size()) {
        throw ModelError("sparse pose heads have " + std::to_string(levels_.size()) + " levels, got " +
                         std::to_string(maps.size()) + " feature maps");
    }
    for (std::size_t l = 0; l < maps.size(); ++l) {
        const FeatureMap& map = maps[l];
        if (map.data == nullptr || map.channels != channels_ || map.rows != priors.level_rows(l) ||
            map.cols != priors.level_cols(l)) {
            throw ModelError("pose feature map of level " + std::to_string(l) + " is " +
                             std::to_string(map.channels) + "x" + std::to_string(map.rows) + "x" +
                             std::to_string(map.cols) + ", expected " + std::to_string(channels_) + "x" +
                             std::to_string(priors.level_rows(l)) + "x" + std::to_string(priors.level_cols(l)) +
                             " (channels x rows x cols)");
        }
    }
}

void SparsePoseHeads::run(const Level& level, const FeatureMap& map, const AnchorCell* cells, int faces,
                          float* const* out, Scratch& scratch) const {
    const std::size_t stride = static_cast<std::size_t>(map.channels) + 1;
    State trunk[kGroup] = {};
    for (int f = 0; f < faces; ++f) {
        // Gather the 3x3 neighbourhood; cells outside the map are the dense graph's zero padding.
        float* patch = scratch.buffer(f, 0);
        bool* valid = scratch.valid[f];
        for (int t = 0; t < kTaps; ++t) {
            const int y = cells[f].row + t / 3 - 1;
            const int x = cells[f].col + t % 3 - 1;
            float* tap = patch + t * stride;
            valid[t] = y >= 0 && y < map.rows && x >= 0 && x < map.cols;
            if (!valid[t]) {
                std::fill_n(tap, stride, 0.f);
                continue;
            }
            const float* source = map.data + static_cast<std::size_t>(y) * map.cols + x;
            for (int c = 0; c < map.channels; ++c) {
                tap[c] = source[c * map.channel_stride];
            }
            tap[map.channels] = 1.f;
        }
        State state{patch, map.channels, true};
        int next = 1;
        for (const Layer& layer : level.trunk) {
            state = apply(layer, state, scratch.buffer(f, next), valid, nullptr, 0, nullptr);
            next = 1 - next;
        }
        trunk[f] = state;
    }
    for (int angle = 0; angle < 3; ++angle) {
        const std::vector<Layer>& layers = level.angles[angle];
        State states[kGroup] = {};
        std::copy_n(trunk, faces, states);
        std::size_t first = 0;
        if (layers[0].kind == PoseLayerSpec::Kind::conv3x3) {  // the heavy layer: once for the group
            const Layer& conv = layers[0];
            const float* inputs[kGroup];
            float* targets[kGroup];
            for (int f = 0; f < faces; ++f) {
                inputs[f] = states[f].data;
                targets[f] = scratch.buffer(f, 2);
                std::copy_n(conv.bias.data(), conv.out, targets[f]);
            }
            const std::size_t rows = kTaps * (static_cast<std::size_t>(states[0].width) + 1);
            accumulate_rows_faces(inputs, faces, conv.weight.data(), conv.out, rows, targets, conv.out);
            for (int f = 0; f < faces; ++f) {
                if (conv.relu) {
                    relu(targets[f], conv.out);
                }
                states[f] = {targets[f], conv.out, false};
            }
            first = 1;
        }
        for (int f = 0; f < faces; ++f) {
            int next = first == 1 ? 3 : 2;
            for (std::size_t i = first; i < layers.size(); ++i) {
                const bool last = i + 1 == layers.size();
                const float* final_weight = layers[i].weight.data() + static_cast<std::size_t>(cells[f].size) * bins_;
                states[f] = apply(layers[i], states[f], scratch.buffer(f, next), scratch.valid[f],
                                  last ? final_weight : nullptr, bins_, last ? out[f] + angle * bins_ : nullptr);
                next = 5 - next;
            }
        }
    }
}

void SparsePoseHeads::logits(const std::vector<FeatureMap>& maps, const std::vector<AnchorCell>& cells,
                             float* out) const {
    for (const AnchorCell& cell : cells) {
        if (cell.level < 0 || static_cast<std::size_t>(cell.level) >= maps.size() || cell.row < 0 ||
            cell.row >= maps[cell.level].rows || cell.col < 0 || cell.col >= maps[cell.level].cols || cell.size < 0 ||
            cell.size >= anchors_per_cell_) {
            throw std::invalid_argument("anchor cell (level " + std::to_string(cell.level) + ", row " +
                                        std::to_string(cell.row) + ", col " + std::to_string(cell.col) +
                                        ") is outside the feature maps");
        }
    }
    // Faces of one level go in groups of kGroup; results land at each face's own index.
    std::vector<std::size_t> order(cells.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
        order[k] = k;
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return cells[a].level < cells[b].level; });
    Scratch scratch(widest_);
    for (std::size_t begin = 0; begin < order.size();) {
        const int level = cells[order[begin]].level;
        AnchorCell group[kGroup];
        float* targets[kGroup];
        int faces = 0;
        for (; faces < kGroup && begin + faces < order.size() && cells[order[begin + faces]].level == level; ++faces) {
            group[faces] = cells[order[begin + faces]];
            targets[faces] = out + order[begin + faces] * 3 * bins_;
        }
        run(levels_[level], maps[level], group, faces, targets, scratch);
        for (int f = 0; f < faces; ++f) {
            if (!all_finite(targets[f], 3 * bins_)) {
                throw std::invalid_argument("pose logits of a face at level " + std::to_string(level) + ", row " +
                                            std::to_string(group[f].row) + ", col " + std::to_string(group[f].col) +
                                            " are not finite: the network output is invalid");
            }
        }
        begin += faces;
    }
}

void SparsePoseHeads::estimate(const std::vector<FeatureMap>& maps, const PriorGrid& priors,
                               const std::vector<std::size_t>& anchors, std::vector<Detection>& detections,
                               std::vector<PoseStd>* pose_std) const {
    if (anchors.size() != detections.size()) {
        throw std::invalid_argument("one anchor per detection expected");
    }
    std::vector<AnchorCell> cells;
    cells.reserve(anchors.size());
    for (std::size_t anchor : anchors) {
        cells.push_back(priors.cell(anchor));
    }
    std::vector<float> values(cells.size() * 3 * bins_);
    logits(maps, cells, values.data());
    for (std::size_t k = 0; k < detections.size(); ++k) {
        const float* face = values.data() + k * 3 * bins_;
        const AngleEstimate yaw = estimate_angle(face);
        const AngleEstimate pitch = estimate_angle(face + bins_);
        const AngleEstimate roll = estimate_angle(face + 2 * bins_);
        detections[k].yaw = yaw.degrees;
        detections[k].pitch = pitch.degrees;
        detections[k].roll = roll.degrees;
        if (pose_std != nullptr) {
            (*pose_std)[k] = {yaw.std_degrees, pitch.std_degrees, roll.std_degrees};
        }
    }
}

}  // namespace mosface
