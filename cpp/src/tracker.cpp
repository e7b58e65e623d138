// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "mosface/tracker.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <tuple>

#include "mosface/nms.hpp"

namespace mosface {

namespace {

constexpr int kColumns = 18;
constexpr int kScoreColumn = 4;
constexpr int kFirstAngleColumn = 15;

struct Row {
    float v[kColumns];
};

Row to_row(const Detection& face) {
    Row row;
    std::memcpy(row.v, &face, sizeof(row.v));
    return row;
}

Detection to_detection(const Row& row) {
    Detection face;
    std::memcpy(&face, row.v, sizeof(row.v));
    return face;
}

// Detection column of smoothed value i (the score, column 4, is skipped).
int column_of(int smoothed_index) { return smoothed_index < kScoreColumn ? smoothed_index : smoothed_index + 1; }

float box_height(const Detection& face) { return std::max(1.0f, face.y2 - face.y1); }

// exp(-mean landmark distance / face height): 1 for identical landmarks.
float landmark_agreement(const Detection& a, const Detection& b) {
    float distance = 0.f;
    for (int point = 0; point < 5; ++point) {
        distance += std::hypot(a.landmarks[2 * point] - b.landmarks[2 * point],
                               a.landmarks[2 * point + 1] - b.landmarks[2 * point + 1]);
    }
    return std::exp(-distance / (5.0f * box_height(a)));
}

PoseStd pose_std_of(const std::vector<PoseStd>* pose_std, std::size_t face) {
    return pose_std != nullptr ? (*pose_std)[face] : PoseStd{0.f, 0.f, 0.f};
}

void check_face(const Detection& face, std::size_t index) {
    const Row row = to_row(face);
    for (float value : row.v) {
        if (!std::isfinite(value)) {
            throw std::invalid_argument("face " + std::to_string(index) + " contains NaN or infinity");
        }
    }
    if (!(face.x2 >= face.x1 && face.y2 >= face.y1)) {
        throw std::invalid_argument("face " + std::to_string(index) + " has x2 < x1 or y2 < y1");
    }
}

}  // namespace

void TrackerParams::validate() const {
    const auto unit = [](float value, const char* name) {
        if (!(value >= 0.f && value <= 1.f)) {
            throw std::invalid_argument(std::string("TrackerParams.") + name + " must be in [0, 1], got " +
                                        std::to_string(value));
        }
    };
    unit(high_score, "high_score");
    unit(low_score, "low_score");
    unit(new_track_score, "new_track_score");
    unit(match_iou, "match_iou");
    unit(low_match_iou, "low_match_iou");
    unit(landmark_weight, "landmark_weight");
    if (low_score > high_score) {
        throw std::invalid_argument("TrackerParams.low_score must be <= high_score");
    }
    if (!(lost_buffer_ms >= 0.0) || !std::isfinite(lost_buffer_ms)) {
        throw std::invalid_argument("TrackerParams.lost_buffer_ms must be a finite number >= 0");
    }
    position.validate("TrackerParams.position");
    angles.validate("TrackerParams.angles");
}

Tracker::Tracker(const TrackerParams& params) : params_(params) { params_.validate(); }

Detection Tracker::predicted(const State& state, double timestamp_ms) const {
    // Constant speed from the last match; angles do not affect association.
    const float dt_s = static_cast<float>((timestamp_ms - state.track.last_seen_ms) / 1000.0);
    Row row = to_row(state.track.smoothed);
    for (int i = 0; i < kFirstAngleColumn - 1; ++i) {
        row.v[column_of(i)] += state.filters[i].speed() * dt_s;
    }
    return to_detection(row);
}

void Tracker::advance(State& state, const Detection& face, const PoseStd& pose_std, double timestamp_ms) {
    const float dt_s = static_cast<float>((timestamp_ms - state.track.last_seen_ms) / 1000.0);
    const float scale = box_height(state.track.smoothed);
    const Row raw = to_row(face);
    Row smoothed = to_row(state.track.smoothed);
    smoothed.v[kScoreColumn] = face.score;
    for (int i = 0; i < kSmoothed; ++i) {
        const int column = column_of(i);
        if (column < kFirstAngleColumn) {
            smoothed.v[column] = state.filters[i].filter(raw.v[column], dt_s, params_.position, scale);
        } else {
            // Unwrap next to the previous value so 179 -> -179 is a 2-degree move, not 358.
            const float previous = state.filters[i].value();
            const float unwrapped = previous + wrap_degrees(raw.v[column] - previous);
            smoothed.v[column] = wrap_degrees(state.filters[i].filter(unwrapped, dt_s, params_.angles));
        }
    }
    state.track.smoothed = to_detection(smoothed);
    state.track.raw = face;
    state.track.pose_std = pose_std;
    state.track.last_seen_ms = timestamp_ms;
    state.track.hits += 1;
    state.matched_now = true;
}

void Tracker::associate(const std::vector<Detection>& faces, const std::vector<PoseStd>* pose_std,
                        const std::vector<std::size_t>& candidates, bool previous_frame_only, float min_iou,
                        double timestamp_ms) {
    // (affinity, state, face) for every pair that passes the IoU gate, then greedy best-first.
    std::vector<std::tuple<float, std::size_t, std::size_t>> pairs;
    for (std::size_t s = 0; s < states_.size(); ++s) {
        const State& state = states_[s];
        if (state.matched_now || (previous_frame_only && !state.matched_before)) continue;
        const Detection prediction = predicted(state, timestamp_ms);
        const Box predicted_box{prediction.x1, prediction.y1, prediction.x2, prediction.y2};
        for (std::size_t f : candidates) {
            const Detection& face = faces[f];
            const float iou = iou_plus_one(predicted_box, {face.x1, face.y1, face.x2, face.y2});
            if (iou >= min_iou && iou > 0.f) {
                pairs.emplace_back(iou + params_.landmark_weight * landmark_agreement(prediction, face), s, f);
            }
        }
    }
    // Ties (equal affinity) fall back to older track, then earlier face, so results are deterministic.
    std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
        return std::get<0>(a) > std::get<0>(b) ||
               (std::get<0>(a) == std::get<0>(b) && std::make_pair(std::get<1>(a), std::get<2>(a)) <
                                                         std::make_pair(std::get<1>(b), std::get<2>(b)));
    });
    std::vector<bool> face_taken(faces.size(), false);
    for (const auto& [affinity, s, f] : pairs) {
        if (states_[s].matched_now || face_taken[f]) continue;
        face_taken[f] = true;
        advance(states_[s], faces[f], pose_std_of(pose_std, f), timestamp_ms);
        taken_faces_.push_back(f);
    }
}

std::vector<Track> Tracker::update(const std::vector<Detection>& faces, double timestamp_ms,
                                   const std::vector<PoseStd>* pose_std) {
    if (!std::isfinite(timestamp_ms)) {
        throw std::invalid_argument("timestamp_ms must be a finite number");
    }
    if (started_ && !(timestamp_ms > last_timestamp_ms_)) {
        throw std::invalid_argument("timestamp_ms must increase from update to update: got " +
                                    std::to_string(timestamp_ms) + " after " + std::to_string(last_timestamp_ms_));
    }
    for (std::size_t i = 0; i < faces.size(); ++i) check_face(faces[i], i);
    if (pose_std != nullptr && pose_std->size() != faces.size()) {
        throw std::invalid_argument("pose_std has " + std::to_string(pose_std->size()) + " rows for " +
                                    std::to_string(faces.size()) + " faces");
    }
    started_ = true;
    last_timestamp_ms_ = timestamp_ms;
    ended_.clear();
    taken_faces_.clear();
    for (State& state : states_) {
        state.matched_before = state.matched_now;
        state.matched_now = false;
        state.track.age += 1;
    }

    std::vector<std::size_t> high;
    std::vector<std::size_t> low;
    for (std::size_t i = 0; i < faces.size(); ++i) {
        if (faces[i].score >= params_.high_score) {
            high.push_back(i);
        } else if (faces[i].score >= params_.low_score) {
            low.push_back(i);
        }
    }
    associate(faces, pose_std, high, false, params_.match_iou, timestamp_ms);
    associate(faces, pose_std, low, true, params_.low_match_iou, timestamp_ms);

    // Tracks lost for too long end; their ids are not reused.
    const auto expired = [&](const State& state) {
        return !state.matched_now && timestamp_ms - state.track.last_seen_ms > params_.lost_buffer_ms;
    };
    for (const State& state : states_) {
        if (expired(state)) ended_.push_back(state.track);
    }
    states_.erase(std::remove_if(states_.begin(), states_.end(), expired), states_.end());

    // Unmatched confident faces start tracks.
    for (std::size_t f : high) {
        if (faces[f].score < params_.new_track_score ||
            std::find(taken_faces_.begin(), taken_faces_.end(), f) != taken_faces_.end()) {
            continue;
        }
        State state;
        state.track = Track{next_id_++, 1, 1, timestamp_ms, timestamp_ms, faces[f], faces[f], pose_std_of(pose_std, f)};
        const Row row = to_row(faces[f]);
        for (int i = 0; i < kSmoothed; ++i) state.filters[i].reset(row.v[column_of(i)]);
        state.matched_now = true;
        states_.push_back(state);
    }
    return matched_tracks();
}

std::vector<Track> Tracker::matched_tracks() const {
    std::vector<Track> tracks;
    for (const State& state : states_) {
        if (state.matched_now) tracks.push_back(state.track);
    }
    return tracks;
}

std::vector<Track> Tracker::tracks() const {
    std::vector<Track> tracks;
    tracks.reserve(states_.size());
    for (const State& state : states_) tracks.push_back(state.track);
    return tracks;
}

std::vector<Track> Tracker::finish() {
    ended_ = tracks();
    states_.clear();
    return ended_;
}

}  // namespace mosface
