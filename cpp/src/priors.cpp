// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "mosface/priors.hpp"

#include <stdexcept>
#include <string>

#include "mosface/limits.hpp"

namespace mosface {

void AnchorConfig::validate() const {
    if (steps.empty() || steps.size() != min_sizes.size()) {
        throw std::invalid_argument("anchor config: steps and min_sizes need the same, non-zero number of levels (got " +
                                    std::to_string(steps.size()) + " and " + std::to_string(min_sizes.size()) + ")");
    }
    for (std::size_t level = 0; level < steps.size(); ++level) {
        if (steps[level] < 1) {
            throw std::invalid_argument("anchor config: step of level " + std::to_string(level) + " must be >= 1");
        }
        if (min_sizes[level].empty()) {
            throw std::invalid_argument("anchor config: level " + std::to_string(level) + " has no anchor sizes");
        }
        for (float size : min_sizes[level]) {
            if (!(size > 0.f && size <= kMaxInputSide)) {
                throw std::invalid_argument("anchor config: anchor sizes must be in (0, " +
                                            std::to_string(kMaxInputSide) + "]");
            }
        }
    }
    if (!(center_variance > 0.f && center_variance <= kMaxVariance) ||
        !(size_variance > 0.f && size_variance <= kMaxVariance)) {
        throw std::invalid_argument("anchor config: variances must be in (0, " + std::to_string(kMaxVariance) +
                                    "], got " + std::to_string(center_variance) + " and " +
                                    std::to_string(size_variance));
    }
}

static int ceil_div(int value, int divisor) { return (value + divisor - 1) / divisor; }

PriorGrid::PriorGrid(int height, int width, const AnchorConfig& config) : height_(height), width_(width) {
    if (height < 1 || width < 1) {
        throw std::invalid_argument("priors: height and width must be >= 1, got " + std::to_string(height) + "x" +
                                    std::to_string(width));
    }
    config.validate();
    for (std::size_t level = 0; level < config.steps.size(); ++level) {
        const int step = config.steps[level];
        Level entry{total_, ceil_div(height, step), ceil_div(width, step), step, config.min_sizes[level]};
        total_ += static_cast<std::size_t>(entry.rows) * entry.cols * entry.sizes.size();
        levels_.push_back(std::move(entry));
    }
}

AnchorCell PriorGrid::cell(std::size_t index) const {
    if (index >= total_) {
        throw std::out_of_range("anchor " + std::to_string(index) + " is outside the " + std::to_string(total_) +
                                " anchors of this input size");
    }
    std::size_t level = levels_.size() - 1;
    while (level > 0 && index < levels_[level].first) {
        --level;
    }
    const Level& entry = levels_[level];
    const std::size_t local = index - entry.first;
    const std::size_t per_cell = entry.sizes.size();
    const std::size_t cell = local / per_cell;
    return AnchorCell{static_cast<int>(level), static_cast<int>(cell / entry.cols),
                      static_cast<int>(cell % entry.cols), static_cast<int>(local % per_cell)};
}

Prior PriorGrid::operator[](std::size_t index) const {
    const AnchorCell at = cell(index);
    const Level& entry = levels_[at.level];
    const float size = entry.sizes[at.size];
    // Same arithmetic as the release's PriorBox: centre in pixels, then normalised.
    return Prior{(at.col + 0.5f) * entry.step / width_, (at.row + 0.5f) * entry.step / height_, size / width_,
                 size / height_};
}

std::size_t anchor_count(int height, int width, const AnchorConfig& config) {
    return PriorGrid(height, width, config).size();
}

std::vector<float> make_priors(int height, int width, const AnchorConfig& config) {
    const PriorGrid grid(height, width, config);
    std::vector<float> out(grid.size() * 4);
    for (std::size_t i = 0; i < grid.size(); ++i) {
        const Prior prior = grid[i];
        out[4 * i + 0] = prior.cx;
        out[4 * i + 1] = prior.cy;
        out[4 * i + 2] = prior.w;
        out[4 * i + 3] = prior.h;
    }
    return out;
}

}  // namespace mosface
