// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// SparsePoseHeads against a direct dense computation (every cell of the map,
// zero padding written out), for both chain shapes: MOS-S/M's folded 3x3 with
// a ones channel, and mos-tiny's shared trunk (1x1, depthwise 3x3, 1x1).

#include <cstdint>
#include <vector>

#include "check.hpp"
#include "mosface/errors.hpp"
#include "mosface/pose_heads.hpp"

using namespace mosface;

namespace {

constexpr int kChannels = 3;
constexpr int kAnchors = 2;
constexpr int kBins = 66;

struct Weights {
    std::vector<float> data;
    std::uint32_t state = 12345;
    std::size_t add(std::size_t count, float scale) {
        const std::size_t offset = data.size();
        for (std::size_t i = 0; i < count; ++i) {
            state = state * 1664525u + 1013904223u;
            data.push_back(scale * (static_cast<float>(state >> 8) / 16777216.f - 0.5f));
        }
        return offset;
    }
};

PoseLayerSpec layer(Weights& w, PoseLayerSpec::Kind kind, int in, int out, bool relu, bool ones) {
    PoseLayerSpec spec{kind, in, out, relu, ones, 0, 0};
    const std::size_t per_out = kind == PoseLayerSpec::Kind::conv1x1        ? in
                                : kind == PoseLayerSpec::Kind::conv3x3      ? (in + ones) * 9
                                                                            : 9;
    spec.weight_offset = w.add(per_out * out, 1.0f);
    spec.bias_offset = w.add(out, 0.5f);
    return spec;
}

// Dense reference: one layer over a whole (channels, rows, cols) map, zero padding outside.
std::vector<float> dense_layer(const PoseLayerSpec& spec, const std::vector<float>& w, const std::vector<float>& in,
                               int rows, int cols) {
    const int cells = rows * cols;
    std::vector<float> out(static_cast<std::size_t>(spec.out) * cells);
    const float* weight = w.data() + spec.weight_offset;
    const float* bias = w.data() + spec.bias_offset;
    for (int o = 0; o < spec.out; ++o) {
        for (int y = 0; y < rows; ++y) {
            for (int x = 0; x < cols; ++x) {
                double sum = bias[o];
                if (spec.kind == PoseLayerSpec::Kind::conv1x1) {
                    for (int i = 0; i < spec.in; ++i) sum += weight[o * spec.in + i] * in[i * cells + y * cols + x];
                } else {
                    const int file_in = spec.kind == PoseLayerSpec::Kind::conv3x3 ? spec.in + spec.ones_channel : 1;
                    for (int t = 0; t < 9; ++t) {
                        const int yy = y + t / 3 - 1, xx = x + t % 3 - 1;
                        if (yy < 0 || yy >= rows || xx < 0 || xx >= cols) continue;
                        for (int i = 0; i < file_in; ++i) {
                            const int channel = spec.kind == PoseLayerSpec::Kind::conv3x3 ? i : o;
                            const float value = channel == spec.in ? 1.f : in[channel * cells + yy * cols + xx];
                            sum += weight[(o * file_in + i) * 9 + t] * value;
                        }
                    }
                }
                out[o * cells + y * cols + x] = spec.relu && sum < 0 ? 0.f : static_cast<float>(sum);
            }
        }
    }
    return out;
}

void check_against_dense(const SparsePoseSpec& spec, const std::vector<float>& weights, int rows, int cols) {
    Weights features;
    features.add(static_cast<std::size_t>(kChannels) * rows * cols, 4.0f);
    const SparsePoseHeads heads(spec, weights);
    const std::vector<FeatureMap> maps{
        {features.data.data(), kChannels, rows, cols, static_cast<std::size_t>(rows) * cols}};
    std::vector<AnchorCell> cells;
    for (int y = 0; y < rows; ++y)
        for (int x = 0; x < cols; ++x)
            for (int a = 0; a < kAnchors; ++a) cells.push_back({0, y, x, a});
    std::vector<float> sparse(cells.size() * 3 * kBins);
    heads.logits(maps, cells, sparse.data());

    const SparsePoseLevel& level = spec.levels[0];
    std::vector<float> trunk = features.data;
    for (const PoseLayerSpec& l : level.trunk) trunk = dense_layer(l, weights, trunk, rows, cols);
    const int cell_count = rows * cols;
    for (int angle = 0; angle < 3; ++angle) {
        std::vector<float> dense = trunk;
        for (const PoseLayerSpec& l : level.angles[angle]) dense = dense_layer(l, weights, dense, rows, cols);
        for (std::size_t k = 0; k < cells.size(); ++k) {
            const AnchorCell& c = cells[k];
            for (int bin = 0; bin < kBins; ++bin) {
                const float expected = dense[(c.size * kBins + bin) * cell_count + c.row * cols + c.col];
                CHECK_NEAR(sparse[(k * 3 + angle) * kBins + bin], expected, 1e-4 * (1 + std::fabs(expected)));
            }
        }
    }
}

SparsePoseSpec base_spec() {
    SparsePoseSpec spec;
    spec.file = "pose_heads.bin";
    spec.feature_blobs = {"out3"};
    spec.channels = kChannels;
    spec.anchors_per_cell = kAnchors;
    spec.bins = kBins;
    spec.levels.resize(1);
    return spec;
}

}  // namespace

int main() {
    using Kind = PoseLayerSpec::Kind;
    {  // MOS-S/M: folded 3x3 with the ones channel (and one without), then 1x1 to anchors x bins
        Weights w;
        SparsePoseSpec spec = base_spec();
        for (int angle = 0; angle < 3; ++angle) {
            spec.levels[0].angles[angle] = {layer(w, Kind::conv3x3, kChannels, 20, true, angle != 1),
                                            layer(w, Kind::conv1x1, 20, kAnchors * kBins, false, false)};
        }
        spec.floats = w.data.size();
        check_against_dense(spec, w.data, 4, 5);
        check_against_dense(spec, w.data, 1, 1);  // every neighbour outside the map
    }
    {  // mos-tiny: shared trunk 1x1 (padded after its bias), depthwise 3x3, 1x1; then per-angle 1x1
        Weights w;
        SparsePoseSpec spec = base_spec();
        spec.levels[0].trunk = {layer(w, Kind::conv1x1, kChannels, kChannels, false, false),
                                layer(w, Kind::depthwise3x3, kChannels, kChannels, true, false),
                                layer(w, Kind::conv1x1, kChannels, 17, true, false)};
        for (int angle = 0; angle < 3; ++angle) {
            spec.levels[0].angles[angle] = {layer(w, Kind::conv1x1, 17, kAnchors * kBins, false, false)};
        }
        spec.floats = w.data.size();
        check_against_dense(spec, w.data, 3, 7);
        // A chain that does not end in anchors x bins is refused.
        spec.levels[0].angles[2][0].out = kBins;
        bool refused = false;
        try {
            SparsePoseHeads heads(spec, w.data);
        } catch (const ModelError&) {
            refused = true;
        }
        CHECK(refused);
    }
    return mosface_test::failures == 0 ? 0 : 1;
}
