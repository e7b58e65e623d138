// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "mosface/align.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "mat.h"

namespace mosface {

namespace {

constexpr int kTemplateSize = 112;
constexpr int kMinCropSize = 16;
constexpr int kMaxCropSize = 1024;

}  // namespace

std::array<float, 6> similarity_to_template(const float* landmarks, int size) {
    if (size < 1) {
        throw std::invalid_argument("crop size must be >= 1, got " + std::to_string(size));
    }
    const double scale = static_cast<double>(size) / kTemplateSize;
    double src_mean[2] = {0, 0};
    double dst_mean[2] = {0, 0};
    for (int p = 0; p < 5; ++p) {
        for (int axis = 0; axis < 2; ++axis) {
            src_mean[axis] += landmarks[2 * p + axis] / 5.0;
            dst_mean[axis] += kArcFaceTemplate[2 * p + axis] * scale / 5.0;
        }
    }
    // Closed-form least squares for x' = a x - b y + tx, y' = b x + a y + ty on centred points.
    double dot = 0, cross = 0, norm = 0;
    for (int p = 0; p < 5; ++p) {
        const double sx = landmarks[2 * p] - src_mean[0];
        const double sy = landmarks[2 * p + 1] - src_mean[1];
        const double dx = kArcFaceTemplate[2 * p] * scale - dst_mean[0];
        const double dy = kArcFaceTemplate[2 * p + 1] * scale - dst_mean[1];
        dot += sx * dx + sy * dy;
        cross += sx * dy - sy * dx;
        norm += sx * sx + sy * sy;
    }
    if (!(norm > 1e-6) || !std::isfinite(norm)) {
        throw std::invalid_argument("the five landmarks coincide or are not finite: no alignment can be fitted");
    }
    const double a = dot / norm;
    const double b = cross / norm;
    const double tx = dst_mean[0] - (a * src_mean[0] - b * src_mean[1]);
    const double ty = dst_mean[1] - (b * src_mean[0] + a * src_mean[1]);
    return {static_cast<float>(a), static_cast<float>(-b), static_cast<float>(tx),
            static_cast<float>(b), static_cast<float>(a), static_cast<float>(ty)};
}

AlignedFace align(const ImageView& image, const Detection& face, int size) {
    if (size < kMinCropSize || size > kMaxCropSize) {
        throw std::invalid_argument("crop size must be in [" + std::to_string(kMinCropSize) + ", " +
                                    std::to_string(kMaxCropSize) + "], got " + std::to_string(size));
    }
    if (image.data == nullptr || image.height < 1 || image.width < 1 ||
        image.row_stride < static_cast<std::size_t>(image.width) * 3) {
        throw std::invalid_argument("align needs a non-empty BGR image whose rows hold 3 * width bytes");
    }
    AlignedFace aligned;
    aligned.size = size;
    aligned.matrix = similarity_to_template(face.landmarks, size);
    aligned.pixels.assign(static_cast<std::size_t>(size) * size * 3, 0);
    // ncnn samples the source through the inverse (crop -> image) transform.
    float inverse[6];
    ncnn::invert_affine_transform(aligned.matrix.data(), inverse);
    ncnn::warpaffine_bilinear_c3(image.data, image.width, image.height, static_cast<int>(image.row_stride),
                                 aligned.pixels.data(), size, size, size * 3, inverse, 0, 0);
    return aligned;
}

}  // namespace mosface
