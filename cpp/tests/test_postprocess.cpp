// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include <cmath>
#include <limits>
#include <vector>

#include "check.hpp"
#include "mos_anchors.hpp"
#include "mosface/pose.hpp"
#include "mosface/postprocess.hpp"

using namespace mosface;

namespace {

struct Outputs {
    explicit Outputs(std::size_t n)
        : loc(n * 4, 0.f), cls(n * 2, 0.f), landm(n * 10, 0.f), yaw(n * 66, 0.f), pitch(n * 66, 0.f),
          roll(n * 66, 0.f), anchors(n) {
        for (std::size_t i = 0; i < n; ++i) cls[2 * i] = 5.f;  // background everywhere
    }
    HeadOutputs view() const {
        return {loc.data(), cls.data(), landm.data(), yaw.data(), pitch.data(), roll.data(), anchors};
    }
    void face(std::size_t anchor, float probability) {
        cls[2 * anchor] = 0.f;
        cls[2 * anchor + 1] = std::log(probability / (1 - probability));
    }
    std::vector<float> loc, cls, landm, yaw, pitch, roll;
    std::size_t anchors;
};

}  // namespace

int main() {
    const AnchorConfig mos = mos_anchors();
    const int h = 64, w = 64;
    const std::size_t n = anchor_count(h, w, mos);  // 8*8*2 + 4*4*2 + 2*2*2 = 168
    CHECK(n == 168);
    PostprocessParams defaults;
    defaults.nms_threshold = 0.3f;

    Outputs empty(n);
    CHECK(postprocess(empty.view(), h, w, mos, defaults).empty());

    // Anchors 0 and 2 (16 px, centres 8 px apart: IoU 153/425 = 0.36 > 0.3 with +1
    // pixels) and anchor 18 (16 px at row 1, col 1): NMS drops the weaker of 0 / 2.
    Outputs out(n);
    out.face(0, 0.9f);
    out.face(2, 0.8f);
    out.face(18, 0.7f);
    out.face(5, 0.4f);  // below the 0.5 threshold
    out.yaw[66 * 0 + 40] = 50.f;  // yaw bin 40 -> 21 degrees
    std::vector<Detection> dets = postprocess(out.view(), h, w, mos, defaults);
    CHECK(dets.size() == 2);
    if (dets.size() == 2) {
        CHECK_NEAR(dets[0].score, 0.9, 1e-6);
        CHECK_NEAR(dets[1].score, 0.7, 1e-6);
        // Anchor 0: centre (4, 4), 16 px square.
        CHECK_NEAR(dets[0].x1, -4, 1e-4);
        CHECK_NEAR(dets[0].y2, 12, 1e-4);
        CHECK_NEAR(dets[0].landmarks[0], 4, 1e-4);
        CHECK_NEAR(dets[0].yaw, 21, 1e-3);
        CHECK_NEAR(dets[0].pitch, -1.5, 1e-3);  // uniform bins
        // Anchor 18: cell 9 = row 1, col 1 -> centre (12, 12).
        CHECK_NEAR(dets[1].x1, 4, 1e-4);
    }
    PostprocessParams loose = defaults;
    loose.nms_threshold = 0.9f;
    CHECK(postprocess(out.view(), h, w, mos, loose).size() == 3);
    loose.conf_threshold = 0.3f;
    CHECK(postprocess(out.view(), h, w, mos, loose).size() == 4);
    loose.top_k = 2;  // only anchors 0 and 2 reach NMS
    CHECK(postprocess(out.view(), h, w, mos, loose).size() == 2);
    loose.keep_top_k = 1;
    CHECK(postprocess(out.view(), h, w, mos, loose).size() == 1);

    // Invalid input.
    PostprocessParams bad = defaults;
    bad.conf_threshold = 1.5f;
    CHECK_THROWS(postprocess(out.view(), h, w, mos, bad), std::invalid_argument, "conf_threshold");
    bad = defaults;
    bad.top_k = 0;
    CHECK_THROWS(postprocess(out.view(), h, w, mos, bad), std::invalid_argument, "top_k");
    CHECK_THROWS(postprocess(out.view(), 96, 64, mos, defaults), std::invalid_argument, "anchors");
    Outputs nan_cls = out;
    nan_cls.cls[2 * 100] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS(postprocess(nan_cls.view(), h, w, mos, defaults), std::invalid_argument, "NaN");
    Outputs nan_pose = out;
    nan_pose.roll[66 * 18 + 3] = std::numeric_limits<float>::infinity();
    CHECK_THROWS(postprocess(nan_pose.view(), h, w, mos, defaults), std::invalid_argument, "anchor 18");
    // Non-finite values of rejected anchors do not matter.
    Outputs nan_background = out;
    nan_background.loc[4 * 100] = std::numeric_limits<float>::quiet_NaN();
    CHECK(postprocess(nan_background.view(), h, w, mos, defaults).size() == 2);
    return TEST_MAIN_RESULT();
}
