// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include <cmath>

#include "check.hpp"
#include "mosface/decode.hpp"

using namespace mosface;

int main() {
    const Prior prior{0.5f, 0.25f, 0.1f, 0.2f};
    const PixelScale scale{200.f, 100.f};
    // Zero deltas give the anchor itself: centre (100, 25) px, size (20, 20) px.
    const float zero[10] = {0};
    Box box = decode_box(zero, prior, 0.1f, 0.2f, scale);
    CHECK_NEAR(box.x1, 90, 1e-4);
    CHECK_NEAR(box.y1, 15, 1e-4);
    CHECK_NEAR(box.x2, 110, 1e-4);
    CHECK_NEAR(box.y2, 35, 1e-4);
    // dcx = 1 moves the centre by 0.1 * w = 0.01 (2 px); dw = 1 scales w by exp(0.2).
    const float delta[4] = {1.f, -2.f, 1.f, 0.f};
    box = decode_box(delta, prior, 0.1f, 0.2f, scale);
    const double w = 0.1 * std::exp(0.2) * 200;
    CHECK_NEAR(box.x1, 102 - w / 2, 1e-3);
    CHECK_NEAR(box.x2, 102 + w / 2, 1e-3);
    CHECK_NEAR(box.y1, 25 - 0.04 * 100 - 10, 1e-3);
    CHECK_NEAR(box.y2, 25 - 0.04 * 100 + 10, 1e-3);

    const float landmark_delta[10] = {1, 1, -1, 0, 0, 0, 0, -1, 2, 2};
    float points[10];
    decode_landmarks(landmark_delta, prior, 0.1f, scale, points);
    CHECK_NEAR(points[0], (0.5 + 0.01) * 200, 1e-3);
    CHECK_NEAR(points[1], (0.25 + 0.02) * 100, 1e-3);
    CHECK_NEAR(points[2], (0.5 - 0.01) * 200, 1e-3);
    CHECK_NEAR(points[7], (0.25 - 0.02) * 100, 1e-3);
    CHECK_NEAR(points[9], (0.25 + 0.04) * 100, 1e-3);
    return TEST_MAIN_RESULT();
}
