// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "mosface/postprocess.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "mosface/limits.hpp"
#include "mosface/nms.hpp"
#include "mosface/pose.hpp"

#include "finite.hpp"

namespace mosface {

void PostprocessParams::validate() const {
    if (!(conf_threshold >= 0.f && conf_threshold <= 1.f)) {
        throw std::invalid_argument("conf_threshold must be in [0, 1], got " + std::to_string(conf_threshold));
    }
    if (!(nms_threshold >= 0.f && nms_threshold <= 1.f)) {
        throw std::invalid_argument("nms_threshold must be in [0, 1], got " + std::to_string(nms_threshold));
    }
    if (top_k < 1) {
        throw std::invalid_argument("top_k must be >= 1, got " + std::to_string(top_k));
    }
    if (keep_top_k < 1) {
        throw std::invalid_argument("keep_top_k must be >= 1, got " + std::to_string(keep_top_k));
    }
}

namespace {

struct Candidate {
    std::size_t anchor;
    float logit_margin;  // face logit - background logit
};

// softmax(l)[1] > t  <=>  l1 - l0 > log(t / (1 - t)): compare margins, exp only for survivors.
float margin_threshold(float conf_threshold) {
    if (conf_threshold <= 0.f) {
        return -std::numeric_limits<float>::infinity();
    }
    if (conf_threshold >= 1.f) {
        return std::numeric_limits<float>::infinity();
    }
    return static_cast<float>(std::log(static_cast<double>(conf_threshold) / (1.0 - conf_threshold)));
}

// Anchors whose face probability is above the threshold. Rejected anchors cost
// one subtraction and one comparison each.
std::vector<Candidate> threshold_candidates(const float* cls, std::size_t anchors, float conf_threshold) {
    // A little slack below the exact margin: the final decision below uses the probability itself.
    const float threshold = margin_threshold(conf_threshold) - 1e-3f;
    std::vector<Candidate> candidates;
    std::size_t nan_count = 0;
    for (std::size_t i = 0; i < anchors; ++i) {
        const float margin = cls[2 * i + 1] - cls[2 * i];
        nan_count += std::isnan(margin);
        if (margin > threshold) {
            candidates.push_back({i, margin});
        }
    }
    if (nan_count > 0) {
        throw std::invalid_argument("class logits contain NaN (" + std::to_string(nan_count) +
                                    " anchors): the network output is invalid");
    }
    // The log/exp round trip can disagree with a direct softmax right at the
    // threshold; the exact probability decides there, as in the release.
    const auto probability = [](float margin) { return 1.0f / (1.0f + std::exp(-margin)); };
    candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                    [&](const Candidate& c) { return !(probability(c.logit_margin) > conf_threshold); }),
                     candidates.end());
    return candidates;
}

bool has_pose(const HeadOutputs& outputs) { return outputs.yaw != nullptr; }

void check_candidate_rows(const HeadOutputs& outputs, std::size_t anchor) {
    const bool finite = all_finite(outputs.loc + 4 * anchor, 4) && all_finite(outputs.landm + 10 * anchor, 10) &&
                        (!has_pose(outputs) || (all_finite(outputs.yaw + kPoseBins * anchor, kPoseBins) &&
                                                all_finite(outputs.pitch + kPoseBins * anchor, kPoseBins) &&
                                                all_finite(outputs.roll + kPoseBins * anchor, kPoseBins)));
    if (!finite) {
        throw std::invalid_argument("network output of anchor " + std::to_string(anchor) +
                                    " (a face candidate) contains NaN or infinity");
    }
}

// Finite regressions can still decode to infinity (exp of a large size delta)
// or to boxes whose area overflows float in NMS: refuse them as a broken output.
void check_decoded(const float* values, int count, std::size_t anchor) {
    for (int i = 0; i < count; ++i) {
        if (!(std::fabs(values[i]) <= kMaxDecodedCoordinate)) {
            throw std::invalid_argument("network output of anchor " + std::to_string(anchor) +
                                        " (a face candidate) decodes to a coordinate beyond +-1e10 pixels: "
                                        "the regression output is out of range");
        }
    }
}

}  // namespace

std::vector<Detection> postprocess(const HeadOutputs& outputs, const PriorGrid& priors, const AnchorConfig& config,
                                   const PostprocessParams& params, PixelScale scale,
                                   std::vector<PoseStd>* pose_std, std::vector<std::size_t>* kept_anchors) {
    params.validate();
    if (outputs.loc == nullptr || outputs.cls == nullptr || outputs.landm == nullptr ||
        (outputs.pitch == nullptr) != (outputs.yaw == nullptr) || (outputs.roll == nullptr) != (outputs.yaw == nullptr)) {
        throw std::invalid_argument("head outputs: loc, cls and landm are required; yaw, pitch and roll all or none");
    }
    if (!has_pose(outputs) && kept_anchors == nullptr) {
        throw std::invalid_argument("without pose outputs the caller must take the kept anchors (kept_anchors)");
    }
    if (outputs.anchors != priors.size()) {
        throw std::invalid_argument("outputs have " + std::to_string(outputs.anchors) + " anchors, but a " +
                                    std::to_string(priors.height()) + "x" + std::to_string(priors.width()) +
                                    " (height x width) input has " + std::to_string(priors.size()));
    }
    std::vector<Candidate> candidates = threshold_candidates(outputs.cls, outputs.anchors, params.conf_threshold);

    // Best first; ties keep anchor order so results are deterministic.
    const auto by_score = [](const Candidate& a, const Candidate& b) {
        return a.logit_margin > b.logit_margin || (a.logit_margin == b.logit_margin && a.anchor < b.anchor);
    };
    const std::size_t top_k = std::min(candidates.size(), static_cast<std::size_t>(params.top_k));
    std::partial_sort(candidates.begin(), candidates.begin() + top_k, candidates.end(), by_score);
    candidates.resize(top_k);

    std::vector<Box> boxes;
    boxes.reserve(top_k);
    for (const Candidate& candidate : candidates) {
        check_candidate_rows(outputs, candidate.anchor);
        boxes.push_back(decode_box(outputs.loc + 4 * candidate.anchor, priors[candidate.anchor],
                                   config.center_variance, config.size_variance, scale));
        const Box& box = boxes.back();
        const float corners[4] = {box.x1, box.y1, box.x2, box.y2};
        check_decoded(corners, 4, candidate.anchor);
    }
    const std::vector<std::size_t> kept =
        nms_sorted(boxes, params.nms_threshold, static_cast<std::size_t>(params.keep_top_k));

    std::vector<Detection> detections(kept.size());
    if (pose_std != nullptr) pose_std->assign(kept.size(), PoseStd{0.f, 0.f, 0.f});
    if (kept_anchors != nullptr) {
        kept_anchors->clear();
    }
    for (std::size_t k = 0; k < kept.size(); ++k) {
        const Candidate& candidate = candidates[kept[k]];
        const std::size_t anchor = candidate.anchor;
        Detection& det = detections[k];
        const Box& box = boxes[kept[k]];
        det.x1 = box.x1;
        det.y1 = box.y1;
        det.x2 = box.x2;
        det.y2 = box.y2;
        det.score = 1.0f / (1.0f + std::exp(-candidate.logit_margin));
        decode_landmarks(outputs.landm + 10 * anchor, priors[anchor], config.center_variance, scale, det.landmarks);
        check_decoded(det.landmarks, 10, anchor);
        if (kept_anchors != nullptr) {
            kept_anchors->push_back(anchor);
        }
        if (!has_pose(outputs)) {
            det.yaw = det.pitch = det.roll = 0.f;
            continue;
        }
        const AngleEstimate yaw = estimate_angle(outputs.yaw + kPoseBins * anchor);
        const AngleEstimate pitch = estimate_angle(outputs.pitch + kPoseBins * anchor);
        const AngleEstimate roll = estimate_angle(outputs.roll + kPoseBins * anchor);
        det.yaw = yaw.degrees;
        det.pitch = pitch.degrees;
        det.roll = roll.degrees;
        if (pose_std != nullptr) (*pose_std)[k] = {yaw.std_degrees, pitch.std_degrees, roll.std_degrees};
    }
    return detections;
}

std::vector<Detection> postprocess(const HeadOutputs& outputs, int height, int width, const AnchorConfig& config,
                                   const PostprocessParams& params, std::vector<PoseStd>* pose_std) {
    const PriorGrid priors(height, width, config);
    return postprocess(outputs, priors, config, params,
                       PixelScale{static_cast<float>(width), static_cast<float>(height)}, pose_std);
}

}  // namespace mosface
