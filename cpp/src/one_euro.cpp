// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "mosface/one_euro.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace mosface {

namespace {

constexpr float kTwoPi = 6.28318530717958647692f;

// Weight of the new sample for a first-order low-pass with this cut-off.
float smoothing_factor(float cutoff_hz, float dt_s) {
    const float time_constant = 1.0f / (kTwoPi * cutoff_hz);
    return 1.0f / (1.0f + time_constant / dt_s);
}

}  // namespace

void OneEuroParams::validate(const char* what) const {
    const auto positive = [&](float value, const char* name) {
        if (!(value > 0.f) || !std::isfinite(value)) {
            throw std::invalid_argument(std::string(what) + "." + name + " must be a positive number, got " +
                                        std::to_string(value));
        }
    };
    positive(min_cutoff_hz, "min_cutoff_hz");
    positive(derivative_cutoff_hz, "derivative_cutoff_hz");
    if (!(beta >= 0.f) || !std::isfinite(beta)) {
        throw std::invalid_argument(std::string(what) + ".beta must be >= 0, got " + std::to_string(beta));
    }
}

void OneEuroFilter::reset(float value) {
    value_ = value;
    speed_ = 0.f;
}

float OneEuroFilter::filter(float value, float dt_s, const OneEuroParams& params, float scale) {
    const float raw_speed = (value - value_) / dt_s;
    speed_ += smoothing_factor(params.derivative_cutoff_hz, dt_s) * (raw_speed - speed_);
    const float cutoff = params.min_cutoff_hz + params.beta * std::fabs(speed_) / scale;
    value_ += smoothing_factor(cutoff, dt_s) * (value - value_);
    return value_;
}

float wrap_degrees(float degrees) {
    float wrapped = std::fmod(degrees, 360.0f);
    if (wrapped > 180.0f) wrapped -= 360.0f;
    if (wrapped <= -180.0f) wrapped += 360.0f;
    return wrapped;
}

}  // namespace mosface
