// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Head pose from bin logits (Hopenet convention): 66 bins of 3 degrees over
// [-99, 99); the angle is the softmax expectation 3 * sum_k p_k * k - 99.
#pragma once

namespace mosface {

constexpr int kPoseBins = 66;
constexpr float kPoseBinWidth = 3.0f;
constexpr float kPoseOffset = -99.0f;

// logits: kPoseBins raw values. Returns degrees.
float expected_angle(const float* logits);

// The angle and the standard deviation of the same softmax distribution,
// sqrt(E[a^2] - E[a]^2), both in degrees. The spread says how sure the head is:
// 0 for a single bin, ~57 for uniform bins.
struct AngleEstimate {
    float degrees;
    float std_degrees;
};
AngleEstimate estimate_angle(const float* logits);

}  // namespace mosface
