// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// One-Euro filter (Casiez, Roussel, Vogel, CHI 2012): an exponential smoother
// whose cut-off frequency rises with the signal's speed. A still signal gets a
// low cut-off (little jitter), a moving one a high cut-off (little lag).
#pragma once

namespace mosface {

struct OneEuroParams {
    // Cut-off in Hz at rest. Lower: less jitter on a still face, more lag when it starts to move.
    float min_cutoff_hz = 1.0f;
    // Cut-off added per unit of speed (speed in `scale` units per second, see OneEuroFilter::filter).
    // Higher: less lag on fast moves, but jitter leaks through sooner.
    float beta = 5.0f;
    // Cut-off of the speed estimate itself, in Hz.
    float derivative_cutoff_hz = 1.0f;
    // Throws std::invalid_argument naming the bad field (`what` prefixes the message).
    void validate(const char* what) const;
};

class OneEuroFilter {
public:
    // Starts at `value` with zero speed.
    void reset(float value);
    // New raw value after dt_s seconds (> 0); speed is divided by `scale` (> 0)
    // before it raises the cut-off, so beta can be given in face sizes per second.
    float filter(float value, float dt_s, const OneEuroParams& params, float scale = 1.0f);
    float value() const { return value_; }
    // Smoothed speed in units per second (used to predict where a track moved).
    float speed() const { return speed_; }

private:
    float value_ = 0.f;
    float speed_ = 0.f;
};

// Degrees wrapped into (-180, 180].
float wrap_degrees(float degrees);

}  // namespace mosface
