// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Anchor (prior box) layout of MOS, the RetinaFace convention: square anchors
// per feature-map cell, feature maps of ceil(input / stride), order level ->
// row -> column -> anchor size, boxes (cx, cy, w, h) normalised by the input.
#pragma once

#include <cstddef>
#include <vector>

namespace mosface {

struct AnchorConfig {
    std::vector<int> steps;                    // feature stride per level
    std::vector<std::vector<float>> min_sizes;  // anchor side lengths (pixels) per level
    float center_variance = 0.f;  // from the manifest: a model's anchors have one home
    float size_variance = 0.f;

    // Throws std::invalid_argument on empty or inconsistent levels.
    void validate() const;
};

struct Prior {
    float cx, cy, w, h;  // normalised by input width / height
};

// Where an anchor sits: its level, feature-map cell and anchor-size index.
struct AnchorCell {
    int level, row, col, size;
};

// Random access to the priors of one input size without materialising them:
// post-processing only needs the anchors of the few candidates above threshold.
class PriorGrid {
public:
    PriorGrid(int height, int width, const AnchorConfig& config);

    std::size_t size() const { return total_; }
    int height() const { return height_; }
    int width() const { return width_; }
    Prior operator[](std::size_t index) const;
    // Throws std::out_of_range for index >= size().
    AnchorCell cell(std::size_t index) const;
    std::size_t levels() const { return levels_.size(); }
    int level_rows(std::size_t level) const { return levels_.at(level).rows; }
    int level_cols(std::size_t level) const { return levels_.at(level).cols; }

private:
    struct Level {
        std::size_t first;  // index of the level's first anchor
        int rows, cols, step;
        std::vector<float> sizes;
    };
    int height_, width_;
    std::vector<Level> levels_;
    std::size_t total_ = 0;
};

// Number of anchors for an input of height x width.
std::size_t anchor_count(int height, int width, const AnchorConfig& config);

// All priors, row-major (N, 4): cx, cy, w, h.
std::vector<float> make_priors(int height, int width, const AnchorConfig& config);

}  // namespace mosface
