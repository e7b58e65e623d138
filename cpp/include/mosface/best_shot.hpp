// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Best shot: one aligned crop per track, the frame where the face was best for
// recognition. Quality is a product of factors in [0, 1], each raised to its
// weight (weight 0 turns a factor off, 2 makes it count twice as much):
//   frontal   exp(-(yaw^2 + pitch^2) / (2 frontal_sigma_deg^2))   roll is undone by alignment
//   certainty exp(-mean(pose std) / certainty_scale_deg)          how sure the pose head was
//   size      min(1, box height / full_size_px)                   larger faces up to the crop size
//   score     the detection score
//   sharpness v / (v + sharpness_half)                            v: variance of the Laplacian of the
//                                                                 grey face box (4-neighbour kernel)
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "mosface/align.hpp"
#include "mosface/image.hpp"
#include "mosface/postprocess.hpp"
#include "mosface/tracker.hpp"

namespace mosface {

struct QualityParams {
    float frontal_sigma_deg = 25.0f;
    float certainty_scale_deg = 10.0f;
    float full_size_px = 112.0f;
    // Laplacian variance (grey levels^2) that scores 0.5; sharp camera faces give hundreds.
    float sharpness_half = 100.0f;
    float frontal_weight = 1.0f;
    float certainty_weight = 1.0f;
    float size_weight = 1.0f;
    float score_weight = 1.0f;
    float sharpness_weight = 1.0f;
    int crop_size = 112;  // side of the aligned crop kept per track
    void validate() const;  // throws std::invalid_argument naming the bad field
};

struct Quality {
    float frontal, certainty, size, score, sharpness;
    float total;  // product of the factors raised to their weights
};

// Variance of the 4-neighbour Laplacian of the grey (0.299 R + 0.587 G + 0.114 B)
// pixels inside the box (clipped to the image). Boxes over 128 pixels a side are
// sampled on a grid of at most 128 x 128 with the kernel spread to the grid step,
// so the cost stays bounded and the measure follows the face, not the resolution.
float laplacian_variance(const ImageView& bgr, const Detection& face);

Quality face_quality(const ImageView& bgr, const Detection& face, const PoseStd& pose_std,
                     const QualityParams& params);

struct BestShot {
    std::int64_t track_id = 0;
    double timestamp_ms = 0;  // of the frame the crop comes from
    Detection face{};         // the raw face in that frame
    PoseStd pose_std{};
    Quality quality{};
    AlignedFace crop;
};

// Keeps the best shot of each live track. Feed it the frames and the tracks a
// Tracker returned for them; take the shots of the tracks that ended.
class BestShotKeeper {
public:
    explicit BestShotKeeper(const QualityParams& params = QualityParams());

    // Scores each track's raw face in `bgr` and keeps a new crop when it beats the stored one.
    void update(const ImageView& bgr, const std::vector<Track>& tracks, double timestamp_ms);
    // The best shot so far of a live track, or nullptr.
    const BestShot* best(std::int64_t track_id) const;
    // Removes and returns the shots of these (ended) tracks, in their order; tracks never scored are skipped.
    std::vector<BestShot> take(const std::vector<Track>& ended);

    const QualityParams& params() const { return params_; }

private:
    QualityParams params_;
    std::map<std::int64_t, BestShot> shots_;
};

}  // namespace mosface
