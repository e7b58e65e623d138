// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// ImageView: pixels the caller owns, read but never kept by mosface.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mosface {

// An 8-bit, 3-channel BGR image; row_stride in bytes (>= 3 * width).
struct ImageView {
    const std::uint8_t* data;
    int height;
    int width;
    std::size_t row_stride;
};

}  // namespace mosface
