// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Greedy non-maximum suppression with the semantics of the release's
// py_cpu_nms: areas and overlaps count pixels inclusively (+1), a box is
// suppressed when its IoU with a kept box is strictly above the threshold.
#pragma once

#include <cstddef>
#include <vector>

#include "mosface/decode.hpp"

namespace mosface {

// IoU of two boxes with the +1 pixel convention.
float iou_plus_one(const Box& a, const Box& b);

// boxes must be sorted by score, best first. Returns the indices of the kept
// boxes in that order, at most max_keep of them.
std::vector<std::size_t> nms_sorted(const std::vector<Box>& boxes, float iou_threshold,
                                    std::size_t max_keep);

}  // namespace mosface
