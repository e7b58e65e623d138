// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// From the six raw head outputs of one image to scored detections:
// threshold on class logits, top-k, decode, greedy NMS, keep-top-k, then pose
// for the survivors only.
#pragma once

#include <cstddef>
#include <vector>

#include "mosface/decode.hpp"
#include "mosface/priors.hpp"

namespace mosface {

struct PostprocessParams {
    float conf_threshold = 0.5f;  // face probability; kept when strictly greater
    float nms_threshold = 0.4f;   // IoU above which a lower-scored box is dropped
    int top_k = 5000;             // candidates kept before NMS
    int keep_top_k = 750;         // detections kept after NMS
    // Throws std::invalid_argument naming the bad field.
    void validate() const;
};

// Row-major, contiguous head outputs for one image; rows = anchors.
struct HeadOutputs {
    const float* loc;    // (N, 4)
    const float* cls;    // (N, 2) logits: background, face
    const float* landm;  // (N, 10)
    // (N, 66) each; all three null for a model with sparse pose heads (see below).
    const float* yaw;
    const float* pitch;
    const float* roll;
    std::size_t anchors;
};

// One face; 18 floats laid out as the Python API's (K, 18) rows.
struct Detection {
    float x1, y1, x2, y2;
    float score;
    float landmarks[10];  // (x, y) of right eye, left eye, nose, right and left mouth corner
    float yaw, pitch, roll;  // degrees
};
static_assert(sizeof(Detection) == 18 * sizeof(float), "Detection must be 18 packed floats");

// Pose uncertainty of one face: the standard deviation of each angle's bin
// distribution (same softmax as the angle), in degrees. Laid out as (K, 3) rows.
struct PoseStd {
    float yaw, pitch, roll;
};

// Throws std::invalid_argument when outputs.anchors != priors.size(), when a
// class logit is NaN, when a candidate's other outputs are not finite, or when
// they decode beyond kMaxDecodedCoordinate pixels (finite but absurd
// regressions are refused, not clamped: no detection is ever non-finite).
// pose_std, when given, receives one PoseStd per detection, in the same order.
// kept_anchors (optional) receives each detection's anchor index. Without pose
// outputs (sparse pose heads) it is required, and the angles (and pose_std) are
// left 0 for the caller to compute from those anchors (SparsePoseHeads::estimate).
std::vector<Detection> postprocess(const HeadOutputs& outputs, const PriorGrid& priors,
                                   const AnchorConfig& config, const PostprocessParams& params,
                                   PixelScale scale, std::vector<PoseStd>* pose_std = nullptr,
                                   std::vector<std::size_t>* kept_anchors = nullptr);

// Convenience: coordinates in pixels of a height x width network input.
std::vector<Detection> postprocess(const HeadOutputs& outputs, int height, int width,
                                   const AnchorConfig& config, const PostprocessParams& params,
                                   std::vector<PoseStd>* pose_std = nullptr);

}  // namespace mosface
