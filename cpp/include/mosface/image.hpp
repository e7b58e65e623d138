// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// ImageView: pixels the caller owns, read but never kept by mosface. Camera
// frames come as they are: any of the pixel formats below, with row strides,
// mounted sideways or upside down (rotation), optionally cut to a region.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mosface {

enum class PixelFormat {
    bgr,   // 3 bytes per pixel
    rgb,
    bgra,  // 4 bytes per pixel
    rgba,
    gray,  // 1 byte per pixel
    nv12,  // YUV 4:2:0: a Y plane, then an interleaved U,V plane of height / 2 rows (even sizes)
    nv21,  // as nv12 with V,U order (Android's camera default)
};

// A region of the frame, in the frame's own pixels (before rotation). Empty: the whole frame.
struct Roi {
    int x = 0, y = 0, width = 0, height = 0;
};

struct ImageView {
    const std::uint8_t* data;
    int height;
    int width;
    std::size_t row_stride;  // bytes per row (of the Y plane for nv12/nv21)
    PixelFormat format = PixelFormat::bgr;
    // Degrees the frame must be turned clockwise to be upright: 0, 90, 180 or 270.
    // Detection runs on the upright image; faces come back in this frame's pixels,
    // their angles as seen in the upright image.
    int rotation = 0;
    Roi roi = {};
    // nv12/nv21: the U,V plane (its rows have row_stride bytes); null: right after the Y plane.
    const std::uint8_t* uv_data = nullptr;
};

}  // namespace mosface
