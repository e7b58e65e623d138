// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include <cmath>
#include <random>
#include <vector>

#include "check.hpp"
#include "mosface/pose.hpp"

using namespace mosface;

// double-precision softmax expectation and standard deviation, the definitions.
static double reference_moment(const std::vector<float>& logits, int power) {
    double max_logit = logits[0];
    for (float v : logits) max_logit = std::max(max_logit, static_cast<double>(v));
    double sum = 0, weighted = 0;
    for (int k = 0; k < kPoseBins; ++k) {
        const double w = std::exp(logits[k] - max_logit);
        sum += w;
        weighted += w * std::pow(3.0 * k - 99.0, power);
    }
    return weighted / sum;
}
static double reference_angle(const std::vector<float>& logits) { return reference_moment(logits, 1); }
static double reference_std(const std::vector<float>& logits) {
    const double mean = reference_moment(logits, 1);
    return std::sqrt(reference_moment(logits, 2) - mean * mean);
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
        CHECK_NEAR(estimate_angle(logits.data()).std_degrees, reference_std(logits), 1e-3);
    }
    // Uniform bins: std of 3k over k = 0..65 is 3 * sqrt((66^2 - 1) / 12).
    std::vector<float> uniform(kPoseBins, 2.f);
    CHECK_NEAR(estimate_angle(uniform.data()).std_degrees, 3.0 * std::sqrt((66.0 * 66.0 - 1.0) / 12.0), 1e-3);
    // Two equal neighbouring bins: +-1.5 degrees around their middle.
    std::vector<float> pair(kPoseBins, -100.f);
    pair[40] = pair[41] = 5.f;
    CHECK_NEAR(estimate_angle(pair.data()).std_degrees, 1.5, 1e-4);
    // A single bin: no spread.
    std::vector<float> single(kPoseBins, -100.f);
    single[3] = 100.f;
    CHECK_NEAR(estimate_angle(single.data()).std_degrees, 0.0, 1e-4);
    return TEST_MAIN_RESULT();
}
