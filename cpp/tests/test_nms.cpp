// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "check.hpp"
#include "mosface/nms.hpp"

using namespace mosface;

int main() {
    // +1 convention: a 0..9 box covers 10 x 10 pixels.
    CHECK_NEAR(iou_plus_one({0, 0, 9, 9}, {0, 0, 9, 9}), 1.0, 1e-7);
    CHECK_NEAR(iou_plus_one({0, 0, 9, 9}, {5, 0, 14, 9}), 50.0 / 150.0, 1e-6);
    // Touching edges overlap by one pixel column under +1.
    CHECK_NEAR(iou_plus_one({0, 0, 9, 9}, {9, 0, 18, 9}), 10.0 / 190.0, 1e-6);
    CHECK_NEAR(iou_plus_one({0, 0, 9, 9}, {20, 20, 29, 29}), 0.0, 0);

    // Sorted by score: 1 overlaps 0 by 1/3 (kept at 0.4, dropped at 0.3), 2 is a near-copy of 0.
    const std::vector<Box> boxes = {{0, 0, 9, 9}, {5, 0, 14, 9}, {0, 0, 9, 10}, {50, 50, 60, 60}};
    std::vector<std::size_t> kept = nms_sorted(boxes, 0.4f, 100);
    CHECK((kept == std::vector<std::size_t>{0, 1, 3}));
    kept = nms_sorted(boxes, 0.3f, 100);
    CHECK((kept == std::vector<std::size_t>{0, 3}));
    // Suppressed only when strictly above the threshold: IoU exactly 1/3 vs threshold 1/3 is kept.
    kept = nms_sorted({{0, 0, 9, 9}, {5, 0, 14, 9}}, 50.0f / 150.0f, 100);
    CHECK(kept.size() == 2);
    // max_keep stops early, in order.
    kept = nms_sorted(boxes, 0.4f, 2);
    CHECK((kept == std::vector<std::size_t>{0, 1}));
    CHECK(nms_sorted({}, 0.4f, 10).empty());
    // A suppressed box does not suppress others: 0 drops 1, 1 would have dropped 2, 2 survives.
    kept = nms_sorted({{0, 0, 9, 9}, {6, 0, 15, 9}, {12, 0, 21, 9}}, 0.2f, 10);
    CHECK((kept == std::vector<std::size_t>{0, 2}));
    return TEST_MAIN_RESULT();
}
