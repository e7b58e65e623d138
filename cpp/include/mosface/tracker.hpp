// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Tracker: stable ids and smoothed rows for the faces of a video stream.
// Association follows ByteTrack (Zhang et al., ECCV 2022): confident faces
// are matched first, then faint ones (score between low_score and high_score)
// may continue tracks that were seen in the previous frame, so a face that
// blurs for a frame keeps its id. Matching is greedy on IoU against each
// track's predicted box (its smoothed box moved by its smoothed speed), with
// the landmarks as a tie-breaker. Box, landmarks and angles are smoothed with
// One-Euro filters; the score is passed through.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mosface/one_euro.hpp"
#include "mosface/postprocess.hpp"

namespace mosface {

struct TrackerParams {
    // Faces at or above high_score are matched first and may start tracks.
    float high_score = 0.5f;
    // Faces in [low_score, high_score) only continue tracks seen in the previous
    // frame; run the Detector with conf_threshold <= low_score to get them.
    float low_score = 0.1f;
    // Unmatched faces at or above this score start a new track.
    float new_track_score = 0.6f;
    // Minimum IoU between a track's predicted box and a face, first and second stage.
    float match_iou = 0.2f;
    float low_match_iou = 0.5f;
    // Weight of the landmark agreement (in (0, 1]) added to the IoU: small, so it
    // only decides between faces whose IoUs are within this much of each other.
    float landmark_weight = 0.01f;
    // A track not matched for longer than this ends (its id is never reused).
    double lost_buffer_ms = 1000.0;
    // Box and landmarks: beta per face height per second (scale: the track's box height).
    OneEuroParams position{1.0f, 5.0f, 1.0f};
    // Angles: beta per degree per second.
    OneEuroParams angles{1.0f, 0.05f, 1.0f};
    void validate() const;  // throws std::invalid_argument naming the bad field
};

struct Track {
    std::int64_t id;      // 1, 2, 3... in order of creation, never reused by one Tracker
    int age;              // updates since the track started, including the first
    int hits;             // updates in which a face was matched to it
    double first_seen_ms;
    double last_seen_ms;  // timestamp of the latest matched face
    Detection smoothed;   // filtered box, landmarks and angles; score of the latest face
    Detection raw;        // the latest matched face as detected
    PoseStd pose_std;     // pose uncertainty of the latest matched face (0 when not given)
};

class Tracker {
public:
    explicit Tracker(const TrackerParams& params = TrackerParams());

    // Feeds one frame's faces (any order) taken at timestamp_ms, which must
    // increase strictly from call to call. Returns the tracks matched in this
    // frame, by id. pose_std, when given, holds one entry per face (Detector::detect's).
    // Throws std::invalid_argument on a bad timestamp, face row or pose_std size.
    std::vector<Track> update(const std::vector<Detection>& faces, double timestamp_ms,
                              const std::vector<PoseStd>* pose_std = nullptr);
    // Every live track, matched in the latest frame or not, by id.
    std::vector<Track> tracks() const;
    // Tracks that ended (lost longer than lost_buffer_ms) in the latest update.
    const std::vector<Track>& ended() const { return ended_; }
    // Ends every track now, as at the end of a stream: returns them and clears the tracker.
    std::vector<Track> finish();

    const TrackerParams& params() const { return params_; }

private:
    // One filter per smoothed column: box (4), landmarks (10), angles (3).
    static constexpr int kSmoothed = 17;
    struct State {
        Track track;
        OneEuroFilter filters[kSmoothed];
        bool matched_now = false;
        bool matched_before = false;  // in the update before this one
    };

    void associate(const std::vector<Detection>& faces, const std::vector<PoseStd>* pose_std,
                   const std::vector<std::size_t>& candidates, bool previous_frame_only, float min_iou,
                   double timestamp_ms);
    void advance(State& state, const Detection& face, const PoseStd& pose_std, double timestamp_ms);
    Detection predicted(const State& state, double timestamp_ms) const;
    std::vector<Track> matched_tracks() const;

    TrackerParams params_;
    std::vector<State> states_;
    std::vector<Track> ended_;
    std::vector<std::size_t> taken_faces_;  // faces matched in the current update
    std::int64_t next_id_ = 1;
    double last_timestamp_ms_ = 0.0;
    bool started_ = false;
};

}  // namespace mosface
