// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "mosface/nms.hpp"

#include <algorithm>

namespace mosface {

static float area_plus_one(const Box& box) { return (box.x2 - box.x1 + 1) * (box.y2 - box.y1 + 1); }

float iou_plus_one(const Box& a, const Box& b) {
    const float w = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1) + 1);
    const float h = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1) + 1);
    const float inter = w * h;
    return inter / (area_plus_one(a) + area_plus_one(b) - inter);
}

std::vector<std::size_t> nms_sorted(const std::vector<Box>& boxes, float iou_threshold, std::size_t max_keep) {
    std::vector<std::size_t> kept;
    std::vector<char> suppressed(boxes.size(), 0);
    for (std::size_t i = 0; i < boxes.size() && kept.size() < max_keep; ++i) {
        if (suppressed[i]) {
            continue;
        }
        kept.push_back(i);
        for (std::size_t j = i + 1; j < boxes.size(); ++j) {
            if (!suppressed[j] && iou_plus_one(boxes[i], boxes[j]) > iou_threshold) {
                suppressed[j] = 1;
            }
        }
    }
    return kept;
}

}  // namespace mosface
