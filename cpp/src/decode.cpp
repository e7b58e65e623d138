// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "mosface/decode.hpp"

#include <cmath>

namespace mosface {

Box decode_box(const float* delta, const Prior& prior, float center_variance, float size_variance,
               PixelScale scale) {
    const float cx = prior.cx + delta[0] * center_variance * prior.w;
    const float cy = prior.cy + delta[1] * center_variance * prior.h;
    const float w = prior.w * std::exp(delta[2] * size_variance);
    const float h = prior.h * std::exp(delta[3] * size_variance);
    const float x1 = cx - w / 2;
    const float y1 = cy - h / 2;
    return Box{x1 * scale.x, y1 * scale.y, (x1 + w) * scale.x, (y1 + h) * scale.y};
}

void decode_landmarks(const float* delta, const Prior& prior, float center_variance, PixelScale scale,
                      float* out) {
    for (int point = 0; point < 5; ++point) {
        out[2 * point] = (prior.cx + delta[2 * point] * center_variance * prior.w) * scale.x;
        out[2 * point + 1] = (prior.cy + delta[2 * point + 1] * center_variance * prior.h) * scale.y;
    }
}

}  // namespace mosface
