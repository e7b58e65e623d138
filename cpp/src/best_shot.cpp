// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "mosface/best_shot.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace mosface {

namespace {

constexpr int kMaxGridSide = 128;

float grey(const ImageView& bgr, int x, int y) {
    const std::uint8_t* pixel = bgr.data + static_cast<std::size_t>(y) * bgr.row_stride + 3 * static_cast<std::size_t>(x);
    return 0.114f * pixel[0] + 0.587f * pixel[1] + 0.299f * pixel[2];
}

void check_bgr(const ImageView& bgr) {
    if (bgr.data == nullptr || bgr.height < 1 || bgr.width < 1 ||
        bgr.row_stride < static_cast<std::size_t>(bgr.width) * 3) {
        throw std::invalid_argument("best shots need a non-empty BGR image whose rows hold 3 * width bytes");
    }
}

}  // namespace

void QualityParams::validate() const {
    const auto positive = [](float value, const char* name) {
        if (!(value > 0.f) || !std::isfinite(value)) {
            throw std::invalid_argument(std::string("QualityParams.") + name + " must be > 0, got " +
                                        std::to_string(value));
        }
    };
    const auto weight = [](float value, const char* name) {
        if (!(value >= 0.f) || !std::isfinite(value)) {
            throw std::invalid_argument(std::string("QualityParams.") + name + " must be >= 0, got " +
                                        std::to_string(value));
        }
    };
    positive(frontal_sigma_deg, "frontal_sigma_deg");
    positive(certainty_scale_deg, "certainty_scale_deg");
    positive(full_size_px, "full_size_px");
    positive(sharpness_half, "sharpness_half");
    weight(frontal_weight, "frontal_weight");
    weight(certainty_weight, "certainty_weight");
    weight(size_weight, "size_weight");
    weight(score_weight, "score_weight");
    weight(sharpness_weight, "sharpness_weight");
    if (crop_size < 16 || crop_size > 1024) {
        throw std::invalid_argument("QualityParams.crop_size must be in [16, 1024], got " + std::to_string(crop_size));
    }
}

float laplacian_variance(const ImageView& bgr, const Detection& face) {
    check_bgr(bgr);
    const int x1 = std::max(0, static_cast<int>(std::floor(face.x1)));
    const int y1 = std::max(0, static_cast<int>(std::floor(face.y1)));
    const int x2 = std::min(bgr.width - 1, static_cast<int>(std::ceil(face.x2)));
    const int y2 = std::min(bgr.height - 1, static_cast<int>(std::ceil(face.y2)));
    const int step = std::max(1, (std::max(x2 - x1, y2 - y1) + kMaxGridSide - 1) / kMaxGridSide);
    // Every point the kernel reads lies on the sampling grid: convert each to grey once.
    const int columns = x2 >= x1 ? (x2 - x1) / step + 1 : 0;
    const int rows = y2 >= y1 ? (y2 - y1) / step + 1 : 0;
    if (columns < 3 || rows < 3) return 0.f;
    std::vector<float> grid(static_cast<std::size_t>(columns) * rows);
    for (int j = 0; j < rows; ++j) {
        for (int i = 0; i < columns; ++i) grid[j * columns + i] = grey(bgr, x1 + i * step, y1 + j * step);
    }
    double sum = 0;
    double sum_squares = 0;
    long count = 0;
    for (int j = 1; j + 1 < rows; ++j) {
        const float* above = &grid[(j - 1) * columns];
        const float* row = &grid[j * columns];
        const float* below = &grid[(j + 1) * columns];
        for (int i = 1; i + 1 < columns; ++i) {
            const double value = row[i - 1] + row[i + 1] + above[i] + below[i] - 4.0 * row[i];
            sum += value;
            sum_squares += value * value;
            ++count;
        }
    }
    if (count == 0) return 0.f;
    const double mean = sum / count;
    return static_cast<float>(std::max(0.0, sum_squares / count - mean * mean));
}

Quality face_quality(const ImageView& bgr, const Detection& face, const PoseStd& pose_std,
                     const QualityParams& params) {
    Quality q;
    const float sigma = params.frontal_sigma_deg;
    q.frontal = std::exp(-(face.yaw * face.yaw + face.pitch * face.pitch) / (2.f * sigma * sigma));
    q.certainty = std::exp(-(pose_std.yaw + pose_std.pitch + pose_std.roll) / (3.f * params.certainty_scale_deg));
    q.size = std::min(1.f, std::max(0.f, face.y2 - face.y1) / params.full_size_px);
    q.score = std::min(1.f, std::max(0.f, face.score));
    const float variance = laplacian_variance(bgr, face);
    q.sharpness = variance / (variance + params.sharpness_half);
    q.total = std::pow(q.frontal, params.frontal_weight) * std::pow(q.certainty, params.certainty_weight) *
              std::pow(q.size, params.size_weight) * std::pow(q.score, params.score_weight) *
              std::pow(q.sharpness, params.sharpness_weight);
    return q;
}

BestShotKeeper::BestShotKeeper(const QualityParams& params) : params_(params) { params_.validate(); }

void BestShotKeeper::update(const ImageView& bgr, const std::vector<Track>& tracks, double timestamp_ms) {
    check_bgr(bgr);
    for (const Track& track : tracks) {
        const Quality quality = face_quality(bgr, track.raw, track.pose_std, params_);
        const auto found = shots_.find(track.id);
        if (found != shots_.end() && !(quality.total > found->second.quality.total)) continue;
        BestShot shot;
        shot.track_id = track.id;
        shot.timestamp_ms = timestamp_ms;
        shot.face = track.raw;
        shot.pose_std = track.pose_std;
        shot.quality = quality;
        shot.crop = align(bgr, track.raw, params_.crop_size);
        shots_[track.id] = std::move(shot);
    }
}

const BestShot* BestShotKeeper::best(std::int64_t track_id) const {
    const auto found = shots_.find(track_id);
    return found == shots_.end() ? nullptr : &found->second;
}

std::vector<BestShot> BestShotKeeper::take(const std::vector<Track>& ended) {
    std::vector<BestShot> shots;
    for (const Track& track : ended) {
        const auto found = shots_.find(track.id);
        if (found == shots_.end()) continue;
        shots.push_back(std::move(found->second));
        shots_.erase(found);
    }
    return shots;
}

}  // namespace mosface
