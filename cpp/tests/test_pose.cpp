// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include <cmath>
#include <random>
#include <vector>

#include "check.hpp"
#include "mosface/pose.hpp"

using namespace mosface;

// double-precision softmax expectation, the definition.
static double reference_angle(const std::vector<float>& logits) {
    double max_logit = logits[0];
    for (float v : logits) max_logit = std::max(max_logit, static_cast<double>(v));
    double sum = 0, weighted = 0;
    for (int k = 0; k < kPoseBins; ++k) {
        const double w = std::exp(logits[k] - max_logit);
        sum += w;
        weighted += w * k;
    }
    return 3.0 * weighted / sum - 99.0;
}

int main() {
    std::vector<float> logits(kPoseBins, 0.f);
    // Uniform bins: mean bin 32.5 -> 3 * 32.5 - 99 = -1.5 degrees.
    CHECK_NEAR(expected_angle(logits.data()), -1.5, 1e-4);
    // A dominant bin k gives 3k - 99.
    for (int k : {0, 10, 33, 65}) {
        std::vector<float> peaked(kPoseBins, -100.f);
        peaked[k] = 100.f;
        CHECK_NEAR(expected_angle(peaked.data()), 3.0 * k - 99.0, 1e-4);
    }
    // Random and large logits (overflow without the max shift) against the double definition.
    std::mt19937 rng(7767517);
    std::normal_distribution<float> normal(0.f, 4.f);
    for (int trial = 0; trial < 200; ++trial) {
        for (float& v : logits) v = normal(rng) + (trial % 2 ? 500.f : 0.f);
        CHECK_NEAR(expected_angle(logits.data()), reference_angle(logits), 1e-3);
    }
    return TEST_MAIN_RESULT();
}
