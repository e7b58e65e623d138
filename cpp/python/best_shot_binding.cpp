// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// mosface.align, mosface.face_quality and mosface.BestShots (best shot per track).

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "mosface/align.hpp"
#include "mosface/best_shot.hpp"

namespace py = pybind11;

namespace {

mosface::Detection single_face(const py::handle& face) {
    const py::array array = py::array::ensure(face);
    if (!array || array.ndim() != 1 || array.shape(0) != 18) {
        throw py::value_error("face must be one (18,) row of Detector.detect's output");
    }
    return faces_from_rows(array.attr("reshape")(1, 18))[0];
}

mosface::PoseStd single_pose_std(const py::handle& pose_std) {
    if (pose_std.is_none()) return {0.f, 0.f, 0.f};
    const py::array array = py::array::ensure(pose_std);
    if (!array || array.ndim() != 1 || array.shape(0) != 3) {
        throw py::value_error("pose_std must be one (3,) row of detect(..., return_uncertainty=True)'s second array");
    }
    return pose_std_from_rows(array.attr("reshape")(1, 3))[0];
}

py::array_t<std::uint8_t> crop_array(const mosface::AlignedFace& aligned) {
    py::array_t<std::uint8_t> out({aligned.size, aligned.size, 3});
    std::memcpy(out.mutable_data(), aligned.pixels.data(), aligned.pixels.size());
    return out;
}

py::array_t<float> matrix_array(const mosface::AlignedFace& aligned) {
    py::array_t<float> out({2, 3});
    std::memcpy(out.mutable_data(), aligned.matrix.data(), sizeof(aligned.matrix));
    return out;
}

py::dict quality_dict(const mosface::Quality& q) {
    py::dict out;
    out["frontal"] = q.frontal;
    out["certainty"] = q.certainty;
    out["size"] = q.size;
    out["score"] = q.score;
    out["sharpness"] = q.sharpness;
    out["total"] = q.total;
    return out;
}

mosface::QualityParams quality_params(const py::kwargs& options) {
    mosface::QualityParams params;
    for (const auto& [key, value] : options) {
        const std::string name = py::str(key);
        if (name == "crop_size") {
            params.crop_size = value.cast<int>();
            continue;
        }
        float* field = name == "frontal_sigma_deg"     ? &params.frontal_sigma_deg
                       : name == "certainty_scale_deg" ? &params.certainty_scale_deg
                       : name == "full_size_px"        ? &params.full_size_px
                       : name == "sharpness_half"      ? &params.sharpness_half
                       : name == "frontal_weight"      ? &params.frontal_weight
                       : name == "certainty_weight"    ? &params.certainty_weight
                       : name == "size_weight"         ? &params.size_weight
                       : name == "score_weight"        ? &params.score_weight
                       : name == "sharpness_weight"    ? &params.sharpness_weight
                                                       : nullptr;
        if (field == nullptr) throw py::type_error("unknown quality parameter '" + name + "'");
        *field = value.cast<float>();
    }
    params.validate();
    return params;
}

}  // namespace

void bind_best_shot(py::module_& m) {
    m.def(
        "align",
        [](const py::handle& image, const py::handle& face, int size) {
            py::array keep;
            const mosface::ImageView view = bgr_image_view(image, &keep);
            const mosface::Detection row = single_face(face);
            mosface::AlignedFace aligned;
            {
                py::gil_scoped_release release;
                aligned = mosface::align(view, row, size);
            }
            return py::make_tuple(crop_array(aligned), matrix_array(aligned));
        },
        py::arg("image"), py::arg("face"), py::arg("size") = 112,
        "Crop a face for recognition: the least-squares similarity (rotation, scale, shift) taking its 5\n"
        "landmarks onto the ArcFace 112x112 template scaled to size x size. Returns (crop, matrix):\n"
        "crop uint8 (size, size, 3) BGR (bilinear, black outside the image), matrix float32 (2, 3) taking\n"
        "image pixels to crop pixels.");

    m.def(
        "face_quality",
        [](const py::handle& image, const py::handle& face, const py::handle& pose_std, const py::kwargs& options) {
            py::array keep;
            const mosface::ImageView view = bgr_image_view(image, &keep);
            return quality_dict(
                mosface::face_quality(view, single_face(face), single_pose_std(pose_std), quality_params(options)));
        },
        py::arg("image"), py::arg("face"), py::arg("pose_std") = py::none(),
        "Best-shot quality of one face: dict of the factors frontal, certainty, size, score, sharpness\n"
        "(each in [0, 1]) and total (their product, each raised to its weight). Options as BestShots.");

    py::class_<mosface::BestShot>(m, "BestShot", "The best aligned crop of one track.")
        .def_readonly("track_id", &mosface::BestShot::track_id)
        .def_readonly("timestamp_ms", &mosface::BestShot::timestamp_ms, "Timestamp of the frame of the crop.")
        .def_property_readonly("face", [](const mosface::BestShot& s) { return row_array(s.face); })
        .def_property_readonly("pose_std",
                               [](const mosface::BestShot& s) {
                                   py::array_t<float> out(3);
                                   std::memcpy(out.mutable_data(), &s.pose_std, sizeof(s.pose_std));
                                   return out;
                               })
        .def_property_readonly("quality", [](const mosface::BestShot& s) { return quality_dict(s.quality); })
        .def_property_readonly("crop", [](const mosface::BestShot& s) { return crop_array(s.crop); })
        .def_property_readonly("matrix", [](const mosface::BestShot& s) { return matrix_array(s.crop); })
        .def("__repr__", [](const mosface::BestShot& s) {
            return "<mosface.BestShot track=" + std::to_string(s.track_id) +
                   " quality=" + std::to_string(s.quality.total) + ">";
        });

    py::class_<mosface::BestShotKeeper>(
        m, "BestShots",
        "Keeps the best aligned crop of each track. Quality = frontal^w * certainty^w * size^w * score^w *\n"
        "sharpness^w with frontal = exp(-(yaw^2 + pitch^2) / (2 frontal_sigma_deg^2)), certainty =\n"
        "exp(-mean(pose_std) / certainty_scale_deg), size = min(1, box height / full_size_px), sharpness =\n"
        "v / (v + sharpness_half), v the variance of the Laplacian of the grey face box.\n"
        "BestShots(*, frontal_sigma_deg=25, certainty_scale_deg=10, full_size_px=112, sharpness_half=100,\n"
        "          frontal_weight=1, certainty_weight=1, size_weight=1, score_weight=1, sharpness_weight=1,\n"
        "          crop_size=112)")
        .def(py::init([](const py::kwargs& options) { return mosface::BestShotKeeper(quality_params(options)); }))
        .def(
            "update",
            [](mosface::BestShotKeeper& keeper, const py::handle& image, const std::vector<mosface::Track>& tracks,
               double timestamp_ms) {
                py::array keep;
                const mosface::ImageView view = bgr_image_view(image, &keep);
                py::gil_scoped_release release;
                keeper.update(view, tracks, timestamp_ms);
            },
            py::arg("image"), py::arg("tracks"), py::arg("timestamp_ms"),
            "Score each track's raw face in this BGR frame; keep its crop when it beats the track's best.")
        .def(
            "best",
            [](const mosface::BestShotKeeper& keeper, std::int64_t track_id) -> py::object {
                const mosface::BestShot* shot = keeper.best(track_id);
                return shot == nullptr ? py::none() : py::cast(*shot);
            },
            py::arg("track_id"), "The best shot so far of a live track, or None.")
        .def("take", &mosface::BestShotKeeper::take, py::arg("ended"),
             "Remove and return the best shots of these ended tracks (Tracker.ended or Tracker.finish()).");
}
