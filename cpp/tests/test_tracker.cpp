// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Tracker and One-Euro filter on planted detections (the model does not matter here).

#include <cmath>
#include <vector>

#include "check.hpp"
#include "mosface/one_euro.hpp"
#include "mosface/tracker.hpp"

using namespace mosface;

namespace {

Detection face_at(float cx, float cy, float size, float score = 0.9f, float yaw = 0.f) {
    Detection face{};
    face.x1 = cx - size / 2;
    face.y1 = cy - size / 2;
    face.x2 = cx + size / 2;
    face.y2 = cy + size / 2;
    face.score = score;
    const float offsets[10] = {-0.2f, -0.1f, 0.2f, -0.1f, 0.f, 0.05f, -0.15f, 0.2f, 0.15f, 0.2f};
    for (int i = 0; i < 10; ++i) face.landmarks[i] = (i % 2 ? cy : cx) + offsets[i] * size;
    face.yaw = yaw;
    return face;
}

void crossing_faces_keep_ids() {
    Tracker tracker;
    std::int64_t left_id = -1;
    std::int64_t right_id = -1;
    for (int frame = 0; frame < 40; ++frame) {
        // One walks right, one left; they overlap fully around frame 20.
        const float step = 12.0f * frame;
        const std::vector<Track> tracks =
            tracker.update({face_at(100 + step, 200, 80), face_at(580 - step, 215, 80)}, 33.0 * frame);
        CHECK(tracks.size() == 2);
        for (const Track& track : tracks) {
            const bool is_left_walker = track.raw.y1 == 200 - 40;  // walkers differ in height
            std::int64_t& expected = is_left_walker ? left_id : right_id;
            if (expected < 0) expected = track.id;
            CHECK(track.id == expected);
        }
    }
    CHECK(left_id != right_id);
}

void faint_faces_continue_but_do_not_start_tracks() {
    Tracker tracker;
    tracker.update({face_at(100, 100, 60)}, 0);
    std::vector<Track> tracks = tracker.update({face_at(102, 100, 60, 0.3f), face_at(400, 100, 60, 0.3f)}, 33);
    CHECK(tracks.size() == 1 && tracks[0].id == 1 && tracks[0].hits == 2);
}

void wrapped_angles_stay_near_the_wrap() {
    Tracker tracker;
    tracker.update({face_at(100, 100, 60, 0.9f, 178.f)}, 0);
    const std::vector<Track> tracks = tracker.update({face_at(100, 100, 60, 0.9f, -178.f)}, 33);
    // Between 178 and 182 (= -178) going the short way; a wrap error would land near 0.
    CHECK(tracks.size() == 1 && std::fabs(tracks[0].smoothed.yaw) > 177.f);
}

void bad_input_is_rejected() {
    Tracker tracker;
    tracker.update({}, 10);
    CHECK_THROWS(tracker.update({}, 10), std::invalid_argument, "increase");
    Detection nan_face = face_at(10, 10, 10);
    nan_face.yaw = std::nanf("");
    CHECK_THROWS(tracker.update({nan_face}, 20), std::invalid_argument, "NaN");
    TrackerParams params;
    params.position.min_cutoff_hz = 0.f;
    CHECK_THROWS(Tracker{params}, std::invalid_argument, "position.min_cutoff_hz");
    CHECK(wrap_degrees(190.f) == -170.f && wrap_degrees(-180.f) == 180.f);
}

}  // namespace

int main() {
    crossing_faces_keep_ids();
    faint_faces_continue_but_do_not_start_tracks();
    wrapped_angles_stay_near_the_wrap();
    bad_input_is_rejected();
    return TEST_MAIN_RESULT();
}
