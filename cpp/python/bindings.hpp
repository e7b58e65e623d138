// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// What the binding files share: module.cpp defines these, the other files add
// their classes to the module.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "mosface/image.hpp"
#include "mosface/postprocess.hpp"

// An HxWx3 uint8 BGR array, checked as Detector.detect checks it; `keep` holds
// the (possibly converted) array the view points into.
mosface::ImageView bgr_image_view(const pybind11::handle& image, pybind11::array* keep);

// A camera frame: format one of bgr, rgb, bgra, rgba, gray, nv12, nv21 (frame_binding.cpp);
// rotation 0/90/180/270; roi None or (x, y, width, height).
mosface::ImageView frame_view(const pybind11::handle& image, const std::string& format, int rotation,
                              const pybind11::object& roi, pybind11::array* keep);
// (K, 18) floating rows (Detector.detect's layout) -> faces.
std::vector<mosface::Detection> faces_from_rows(const pybind11::handle& faces);
// One face -> a (18,) float32 array.
pybind11::array_t<float> row_array(const mosface::Detection& face);
// (K, 3) floating rows -> pose uncertainties (detect(..., return_uncertainty=True)'s second array).
std::vector<mosface::PoseStd> pose_std_from_rows(const pybind11::handle& pose_std);

void bind_tracker(pybind11::module_& m);    // tracker_binding.cpp
void bind_best_shot(pybind11::module_& m);  // best_shot_binding.cpp
