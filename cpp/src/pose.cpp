// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "mosface/pose.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace mosface {

namespace {

// exp(x) for x <= 0, written so compilers vectorise it (plain SSE2/NEON:
// no floor, no libm call). Cephes' expf reduction and polynomial; relative
// error below 3e-7 on [-87, 0], and exactly representable 0 below that.
inline float exp_nonpositive(float x) {
    x = std::max(x, -87.0f);
    // n = round(x / ln 2) with the 1.5 * 2^23 trick: exact for |n| < 2^22.
    const float rounder = 12582912.0f;
    const float n = (x * 1.44269504088896341f + rounder) - rounder;
    // r = x - n ln 2 in two parts (Cody-Waite) to keep the reduction exact.
    const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    // Scale by 2^n through the exponent bits.
    const std::int32_t bits = (static_cast<std::int32_t>(n) + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof(scale));
    return p * scale;
}

}  // namespace

AngleEstimate estimate_angle(const float* logits) {
    // Subtract the max before exp, as softmax implementations do, to avoid overflow.
    const float* peak = std::max_element(logits, logits + kPoseBins);
    const float max_logit = *peak;
    // Moments about the peak bin: the variance is then a difference of small
    // numbers, not of two ~1000s (float cancellation would cost ~1e-2 degrees).
    const float peak_bin = static_cast<float>(peak - logits);
    float weight_sum = 0.f;
    float first_moment = 0.f;
    float second_moment = 0.f;
    // Float sums of 66 positive terms keep the angle within ~1e-4 degrees of a
    // double computation.
#pragma omp simd reduction(+ : weight_sum, first_moment, second_moment)
    for (int bin = 0; bin < kPoseBins; ++bin) {
        const float weight = exp_nonpositive(logits[bin] - max_logit);
        const float offset = static_cast<float>(bin) - peak_bin;
        weight_sum += weight;
        first_moment += weight * offset;
        second_moment += weight * offset * offset;
    }
    const float mean_offset = first_moment / weight_sum;
    const float variance = std::max(0.f, second_moment / weight_sum - mean_offset * mean_offset);
    return {kPoseBinWidth * (peak_bin + mean_offset) + kPoseOffset, kPoseBinWidth * std::sqrt(variance)};
}

float expected_angle(const float* logits) { return estimate_angle(logits).degrees; }

}  // namespace mosface
