// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "mosface/nms.hpp"

#include <algorithm>
#include <cstdint>

namespace mosface {

static float area_plus_one(const Box& box) { return (box.x2 - box.x1 + 1) * (box.y2 - box.y1 + 1); }

float iou_plus_one(const Box& a, const Box& b) {
    const float w = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1) + 1);
    const float h = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1) + 1);
    const float inter = w * h;
    return inter / (area_plus_one(a) + area_plus_one(b) - inter);
}

std::vector<std::size_t> nms_sorted(const std::vector<Box>& boxes, float iou_threshold, std::size_t max_keep) {
    // Structure of arrays and a branch-free inner loop: the compiler vectorises
    // it. The arithmetic is iou_plus_one's, operation for operation, with the
    // areas computed once as py_cpu_nms does.
    const std::size_t n = boxes.size();
    std::vector<float> x1(n), y1(n), x2(n), y2(n), area(n);
    for (std::size_t i = 0; i < n; ++i) {
        x1[i] = boxes[i].x1;
        y1[i] = boxes[i].y1;
        x2[i] = boxes[i].x2;
        y2[i] = boxes[i].y2;
        area[i] = area_plus_one(boxes[i]);
    }
    std::vector<std::int32_t> suppressed(n, 0);  // 32-bit like the floats, so the loop vectorises
    std::vector<std::size_t> kept;
    for (std::size_t i = 0; i < n && kept.size() < max_keep; ++i) {
        if (suppressed[i]) {
            continue;
        }
        kept.push_back(i);
        const float bx1 = x1[i], by1 = y1[i], bx2 = x2[i], by2 = y2[i], barea = area[i];
#pragma omp simd
        for (std::size_t j = i + 1; j < n; ++j) {
            // Ternaries rather than std::min/max: GCC vectorises these as minps/maxps.
            const float xx1 = bx1 > x1[j] ? bx1 : x1[j];
            const float yy1 = by1 > y1[j] ? by1 : y1[j];
            const float xx2 = bx2 < x2[j] ? bx2 : x2[j];
            const float yy2 = by2 < y2[j] ? by2 : y2[j];
            const float w = xx2 - xx1 + 1 > 0.0f ? xx2 - xx1 + 1 : 0.0f;
            const float h = yy2 - yy1 + 1 > 0.0f ? yy2 - yy1 + 1 : 0.0f;
            const float inter = w * h;
            suppressed[j] |= static_cast<std::int32_t>(inter / (barea + area[j] - inter) > iou_threshold);
        }
    }
    return kept;
}

}  // namespace mosface
