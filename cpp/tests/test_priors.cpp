// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "check.hpp"
#include "mos_anchors.hpp"
#include "mosface/priors.hpp"

using namespace mosface;

int main() {
    const AnchorConfig mos = mos_anchors();
    // 640x640: (80*80 + 40*40 + 20*20) cells x 2 sizes.
    CHECK(anchor_count(640, 640, mos) == 16800);
    // ceil(input / stride) per level: 97x131 -> 13x17, 7x9, 4x5 cells.
    CHECK(anchor_count(97, 131, mos) == 2 * (13 * 17 + 7 * 9 + 4 * 5));
    CHECK(anchor_count(1, 1, mos) == 6);

    const std::vector<float> priors = make_priors(480, 640, mos);
    CHECK(priors.size() == anchor_count(480, 640, mos) * 4);
    // Anchor 0: level 0, row 0, col 0, size 16. Anchor 1: same cell, size 32.
    CHECK_NEAR(priors[0], 4.0 / 640, 1e-7);
    CHECK_NEAR(priors[1], 4.0 / 480, 1e-7);
    CHECK_NEAR(priors[2], 16.0 / 640, 1e-7);
    CHECK_NEAR(priors[3], 16.0 / 480, 1e-7);
    CHECK_NEAR(priors[4 + 2], 32.0 / 640, 1e-7);
    // Anchor 2: next column (order is row, column, size).
    CHECK_NEAR(priors[8], 12.0 / 640, 1e-7);
    // First anchor of level 1 (stride 16, sizes 64 / 128) sits after 60*80*2 anchors.
    const std::size_t first_l1 = 60 * 80 * 2;
    CHECK_NEAR(priors[4 * first_l1], 8.0 / 640, 1e-7);
    CHECK_NEAR(priors[4 * first_l1 + 2], 64.0 / 640, 1e-7);
    // Last anchor: level 2, row 14, col 19, size 512.
    const std::size_t last = priors.size() / 4 - 1;
    CHECK_NEAR(priors[4 * last], (19 + 0.5) * 32 / 640, 1e-6);
    CHECK_NEAR(priors[4 * last + 1], (14 + 0.5) * 32 / 480, 1e-6);
    CHECK_NEAR(priors[4 * last + 3], 512.0 / 480, 1e-6);

    // PriorGrid random access equals the materialised table.
    const PriorGrid grid(480, 640, mos);
    for (std::size_t i = 0; i < grid.size(); i += 97) {
        const Prior p = grid[i];
        CHECK(p.cx == priors[4 * i] && p.cy == priors[4 * i + 1] && p.w == priors[4 * i + 2] &&
              p.h == priors[4 * i + 3]);
    }

    CHECK_THROWS(make_priors(0, 10, mos), std::invalid_argument, "height and width");
    AnchorConfig broken = mos;
    broken.steps.pop_back();
    CHECK_THROWS(make_priors(64, 64, broken), std::invalid_argument, "levels");
    return TEST_MAIN_RESULT();
}
