// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Face alignment for recognition models: the 5-point similarity transform
// (rotation, uniform scale, translation; least squares as in Umeyama 1991)
// that maps a face's landmarks onto the standard ArcFace 112x112 template,
// and the crop it gives.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "mosface/image.hpp"
#include "mosface/postprocess.hpp"

namespace mosface {

// ArcFace's 112x112 landmark template (insightface), in the order of a
// Detection's landmarks: right eye, left eye, nose, right and left mouth corner.
constexpr float kArcFaceTemplate[10] = {38.2946f, 51.6963f, 73.5318f, 51.5014f, 56.0252f,
                                        71.7366f, 41.5493f, 92.3655f, 70.7299f, 92.2041f};

// Row-major 2x3 matrix [a, -b, tx; b, a, ty] taking image pixels to crop pixels:
// the least-squares similarity from `landmarks` (5 x, y pairs) to the template
// scaled to size x size. Throws std::invalid_argument when the landmarks
// coincide (no scale can be fitted) or size < 1.
std::array<float, 6> similarity_to_template(const float* landmarks, int size);

struct AlignedFace {
    std::vector<std::uint8_t> pixels;  // size x size x 3 BGR, rows packed
    int size = 0;
    std::array<float, 6> matrix{};  // image -> crop, as similarity_to_template
};

// Bilinear crop of `face` from a BGR image; pixels outside the image are black.
// size: 16 to 1024. Throws std::invalid_argument on a bad view or size.
AlignedFace align(const ImageView& image, const Detection& face, int size = 112);

}  // namespace mosface
