// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "mosface/pose.hpp"

#include <algorithm>
#include <cmath>

namespace mosface {

float expected_angle(const float* logits) {
    // Subtract the max before exp, as softmax implementations do, to avoid overflow.
    const float max_logit = *std::max_element(logits, logits + kPoseBins);
    double weight_sum = 0.0;
    double weighted_bins = 0.0;
    for (int bin = 0; bin < kPoseBins; ++bin) {
        const double weight = std::exp(static_cast<double>(logits[bin] - max_logit));
        weight_sum += weight;
        weighted_bins += weight * bin;
    }
    return static_cast<float>(kPoseBinWidth * (weighted_bins / weight_sum) + kPoseOffset);
}

}  // namespace mosface
