// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// UprightFrame: a camera frame (any ImageView) made ready for ncnn's
// from_pixels_resize: the region cut out, YUV converted, rotated upright.
// Plain frames (no rotation, no YUV) are used in place, without a copy.
#pragma once

#include <cstdint>
#include <vector>

#include "mosface/image.hpp"
#include "mosface/postprocess.hpp"

namespace mosface {

class UprightFrame {
public:
    // Throws std::invalid_argument on a bad view (null data, short rows, odd YUV sizes,
    // a region outside the frame, an unknown rotation).
    explicit UprightFrame(const ImageView& frame);

    // The upright region: data, height, width and row stride; its channel layout is ncnn_type().
    const std::uint8_t* data() const { return data_; }
    int height() const { return height_; }
    int width() const { return width_; }
    int row_stride() const { return row_stride_; }
    // ncnn::Mat pixel type converting these pixels to BGR (PIXEL_BGR, PIXEL_RGB2BGR...).
    int ncnn_type() const { return ncnn_type_; }

    // Faces found in the upright region, back to the frame's pixels (boxes re-sorted so x1 <= x2).
    void to_frame(std::vector<Detection>& faces) const;

private:
    Roi roi_;
    int rotation_;
    std::vector<std::uint8_t> converted_;  // YUV -> RGB of the region
    std::vector<std::uint8_t> rotated_;
    const std::uint8_t* data_ = nullptr;
    int height_ = 0;
    int width_ = 0;
    int row_stride_ = 0;
    int ncnn_type_ = 0;
};

// Throws std::invalid_argument unless `image` is a valid, non-empty view.
void check_image_view(const ImageView& image);

}  // namespace mosface
