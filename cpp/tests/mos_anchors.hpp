// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// The MOS release's anchors, as the tests' input data (the library itself
// takes them from each model's manifest).
#pragma once

#include "mosface/priors.hpp"

inline mosface::AnchorConfig mos_anchors() {
    mosface::AnchorConfig config;
    config.steps = {8, 16, 32};
    config.min_sizes = {{16.f, 32.f}, {64.f, 128.f}, {256.f, 512.f}};
    config.center_variance = 0.1f;
    config.size_variance = 0.2f;
    return config;
}
