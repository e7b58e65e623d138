// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Sparse pose heads: the yaw / pitch / roll logits of one anchor computed
// from the 3x3 neighbourhood of its cell in its level's feature map, exactly
// as the dense graph computes them there (zero padding outside the map), so a
// model need not compute 3 x 66 logits at every anchor. The layers come from
// the manifest's sparse_pose section and the file it names.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "mosface/manifest.hpp"
#include "mosface/postprocess.hpp"
#include "mosface/priors.hpp"

namespace mosface {

// One level's feature map, channel-major: value (c, y, x) at data[c * channel_stride + y * cols + x].
struct FeatureMap {
    const float* data;
    int channels, rows, cols;
    std::size_t channel_stride;
};

class SparsePoseHeads {
public:
    // weights: the file's floats. Throws ModelError when the layers do not chain
    // (sizes, one 3x3 stage per angle, offsets inside the file).
    SparsePoseHeads(const SparsePoseSpec& spec, std::vector<float> weights);
    // Reads the weights file; throws MissingFileError / ModelError.
    static SparsePoseHeads load(const SparsePoseSpec& spec, const std::string& path);

    // Throws ModelError unless maps holds one (channels, rows, cols) map per level of priors.
    void check_maps(const std::vector<FeatureMap>& maps, const PriorGrid& priors) const;

    // yaw, pitch, roll logits of the anchor at each cell: 3 x bins floats per cell into out.
    // Throws std::invalid_argument when a cell is outside the maps or a logit is not
    // finite. Thread-safe.
    void logits(const std::vector<FeatureMap>& maps, const std::vector<AnchorCell>& cells, float* out) const;

    // Fills the angles of detections[k] (and pose_std[k], when given) from the anchor
    // anchors[k] (maps already checked).
    void estimate(const std::vector<FeatureMap>& maps, const PriorGrid& priors,
                  const std::vector<std::size_t>& anchors, std::vector<Detection>& detections,
                  std::vector<PoseStd>* pose_std = nullptr) const;

    int bins() const { return bins_; }

    // Weights rearranged so every layer is a run of contiguous axpy loops.
    struct Layer {
        PoseLayerSpec::Kind kind;
        int in, out;
        bool relu;
        std::vector<float> weight;  // conv1x1 [in][out]; conv3x3 [tap][in + 1][out]; depthwise [tap][in]
        std::vector<float> bias;
    };

private:
    struct Level {
        std::vector<Layer> trunk;
        std::vector<Layer> angles[3];
    };
    class Scratch;

    // Logits of `faces` (at most a small group) anchors of one level into out[f].
    void run(const Level& level, const FeatureMap& map, const AnchorCell* cells, int faces, float* const* out,
             Scratch& scratch) const;

    std::vector<Level> levels_;
    int channels_ = 0;
    int anchors_per_cell_ = 0;
    int bins_ = 0;
    int widest_ = 0;  // most channels any layer sees, for the scratch buffers
};

}  // namespace mosface
