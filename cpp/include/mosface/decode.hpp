// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Box and landmark decoding with the RetinaFace variances (0.1, 0.2).
#pragma once

#include "mosface/priors.hpp"

namespace mosface {

struct Box {
    float x1, y1, x2, y2;
};

// Factors from normalised coordinates to output pixels (input width and height,
// times the resize factor back to the original image when there is one).
struct PixelScale {
    float x, y;
};

// delta: 4 regression values (dcx, dcy, dw, dh) of one anchor.
// Follows the release's operation order (centre, size, x1 = c - w/2, x2 = x1 + w)
// so results agree with it to the last bits that float32 allows.
Box decode_box(const float* delta, const Prior& prior, float center_variance, float size_variance,
               PixelScale scale);

// delta: 10 values, 5 (dx, dy) pairs; out: 10 pixel coordinates.
void decode_landmarks(const float* delta, const Prior& prior, float center_variance,
                      PixelScale scale, float* out);

}  // namespace mosface
