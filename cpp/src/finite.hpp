// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// A vectorisable finiteness check shared by post-processing and the sparse pose heads.
#pragma once

namespace mosface {

// Branch-free so it vectorises: x - x is 0 for finite x and NaN for NaN or +-inf.
inline bool all_finite(const float* values, int count) {
    float probe = 0.f;
#pragma omp simd reduction(+ : probe)
    for (int i = 0; i < count; ++i) {
        probe += values[i] - values[i];
    }
    return probe == 0.f;
}

}  // namespace mosface
