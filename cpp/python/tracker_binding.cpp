// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// mosface.Tracker and mosface.Track: binding of mosface::Tracker. Faces go in
// as the Detector's (K, 18) float32 rows; every track row comes back as a
// (18,) float32 array in the same layout.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "mosface/tracker.hpp"

namespace py = pybind11;

namespace {

constexpr py::ssize_t kColumns = 18;

}  // namespace

std::vector<mosface::Detection> faces_from_rows(const py::handle& object) {
    const py::array array = py::array::ensure(object);
    if (!array || array.dtype().kind() != 'f') {
        throw py::type_error("faces must be a floating-point numpy array of shape (K, 18), as Detector.detect returns");
    }
    if (array.ndim() != 2 || array.shape(1) != kColumns) {
        throw py::value_error("faces must have shape (K, 18), as Detector.detect returns");
    }
    const auto rows = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(array);
    std::vector<mosface::Detection> faces(static_cast<std::size_t>(rows.shape(0)));
    if (!faces.empty()) {
        std::memcpy(faces.data(), rows.data(), faces.size() * sizeof(mosface::Detection));
    }
    return faces;
}

std::vector<mosface::PoseStd> pose_std_from_rows(const py::handle& object) {
    const py::array array = py::array::ensure(object);
    if (!array || array.dtype().kind() != 'f' || array.ndim() != 2 || array.shape(1) != 3) {
        throw py::value_error("pose_std must be a floating-point (K, 3) array, as detect(..., return_uncertainty=True) "
                              "returns");
    }
    const auto rows = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(array);
    std::vector<mosface::PoseStd> pose_std(static_cast<std::size_t>(rows.shape(0)));
    if (!pose_std.empty()) {
        std::memcpy(pose_std.data(), rows.data(), pose_std.size() * sizeof(mosface::PoseStd));
    }
    return pose_std;
}

py::array_t<float> row_array(const mosface::Detection& face) {
    py::array_t<float> out(kColumns);
    std::memcpy(out.mutable_data(), &face, sizeof(face));
    return out;
}

namespace {

mosface::OneEuroParams one_euro(float min_cutoff_hz, float beta, float derivative_cutoff_hz) {
    return {min_cutoff_hz, beta, derivative_cutoff_hz};
}

}  // namespace

void bind_tracker(py::module_& m) {
    py::class_<mosface::Track>(m, "Track", "One tracked face (a snapshot taken when it was returned).")
        .def_readonly("id", &mosface::Track::id, "Stable integer id, never reused by one Tracker.")
        .def_readonly("age", &mosface::Track::age, "Updates since the track started, including the first.")
        .def_readonly("hits", &mosface::Track::hits, "Updates in which a face was matched to the track.")
        .def_readonly("first_seen_ms", &mosface::Track::first_seen_ms)
        .def_readonly("last_seen_ms", &mosface::Track::last_seen_ms, "Timestamp of the latest matched face.")
        .def_property_readonly(
            "face", [](const mosface::Track& t) { return row_array(t.smoothed); },
            "Smoothed (18,) row: box, landmarks and angles filtered, score of the latest face.")
        .def_property_readonly(
            "raw", [](const mosface::Track& t) { return row_array(t.raw); }, "The latest matched face as detected.")
        .def_property_readonly(
            "pose_std",
            [](const mosface::Track& t) {
                py::array_t<float> out(3);
                std::memcpy(out.mutable_data(), &t.pose_std, sizeof(t.pose_std));
                return out;
            },
            "(3,) pose uncertainty (degrees) of the latest matched face; zeros when update() was not given it.")
        .def("__repr__", [](const mosface::Track& t) {
            return "<mosface.Track id=" + std::to_string(t.id) + " age=" + std::to_string(t.age) +
                   " hits=" + std::to_string(t.hits) + ">";
        });

    py::class_<mosface::Tracker>(
        m, "Tracker",
        "Stable ids and One-Euro-smoothed rows for the faces of a stream (ByteTrack-style two-stage matching).\n"
        "Lower *_min_cutoff_hz: less jitter on still faces, more lag; higher *_beta: less lag on fast moves,\n"
        "more jitter. position_beta is per face height per second, angle_beta per degree per second.")
        .def(py::init([](float high_score, float low_score, float new_track_score, float match_iou,
                         float low_match_iou, float landmark_weight, double lost_buffer_ms,
                         float position_min_cutoff_hz, float position_beta, float position_derivative_cutoff_hz,
                         float angle_min_cutoff_hz, float angle_beta, float angle_derivative_cutoff_hz) {
                 mosface::TrackerParams params;
                 params.high_score = high_score;
                 params.low_score = low_score;
                 params.new_track_score = new_track_score;
                 params.match_iou = match_iou;
                 params.low_match_iou = low_match_iou;
                 params.landmark_weight = landmark_weight;
                 params.lost_buffer_ms = lost_buffer_ms;
                 params.position = one_euro(position_min_cutoff_hz, position_beta, position_derivative_cutoff_hz);
                 params.angles = one_euro(angle_min_cutoff_hz, angle_beta, angle_derivative_cutoff_hz);
                 return mosface::Tracker(params);
             }),
             py::kw_only(), py::arg("high_score") = 0.5f, py::arg("low_score") = 0.1f,
             py::arg("new_track_score") = 0.6f, py::arg("match_iou") = 0.2f, py::arg("low_match_iou") = 0.5f,
             py::arg("landmark_weight") = 0.01f, py::arg("lost_buffer_ms") = 1000.0,
             py::arg("position_min_cutoff_hz") = 1.0f, py::arg("position_beta") = 5.0f,
             py::arg("position_derivative_cutoff_hz") = 1.0f, py::arg("angle_min_cutoff_hz") = 1.0f,
             py::arg("angle_beta") = 0.05f, py::arg("angle_derivative_cutoff_hz") = 1.0f)
        .def(
            "update",
            [](mosface::Tracker& tracker, const py::handle& faces, double timestamp_ms, const py::handle& pose_std) {
                if (pose_std.is_none()) return tracker.update(faces_from_rows(faces), timestamp_ms);
                const std::vector<mosface::PoseStd> spreads = pose_std_from_rows(pose_std);
                return tracker.update(faces_from_rows(faces), timestamp_ms, &spreads);
            },
            py::arg("faces"), py::arg("timestamp_ms"), py::arg("pose_std") = py::none(),
            "Feed one frame's (K, 18) faces taken at timestamp_ms (strictly increasing), and optionally their\n"
            "(K, 3) pose_std from detect(..., return_uncertainty=True). Returns the tracks matched now, by id.")
        .def("tracks", &mosface::Tracker::tracks, "Every live track, matched in the latest frame or not.")
        .def_property_readonly("ended", &mosface::Tracker::ended,
                               "Tracks that ended (lost longer than lost_buffer_ms) in the latest update.")
        .def("finish", &mosface::Tracker::finish, "End every track now (end of stream) and return them.")
        .def_property_readonly("lost_buffer_ms", [](const mosface::Tracker& t) { return t.params().lost_buffer_ms; });
}
