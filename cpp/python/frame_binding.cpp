// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Camera frames from Python: a numpy array plus format, rotation and roi keywords.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <utility>

#include "bindings.hpp"

namespace py = pybind11;

namespace {

struct FormatLayout {
    const char* name;
    mosface::PixelFormat format;
    int channels;  // 0: a 2-D array (gray may also come as (H, W, 1))
};

constexpr FormatLayout kLayouts[] = {
    {"bgr", mosface::PixelFormat::bgr, 3},   {"rgb", mosface::PixelFormat::rgb, 3},
    {"bgra", mosface::PixelFormat::bgra, 4}, {"rgba", mosface::PixelFormat::rgba, 4},
    {"gray", mosface::PixelFormat::gray, 0}, {"nv12", mosface::PixelFormat::nv12, 0},
    {"nv21", mosface::PixelFormat::nv21, 0},
};

const FormatLayout& layout_of(const std::string& name) {
    for (const FormatLayout& layout : kLayouts) {
        if (name == layout.name) return layout;
    }
    throw py::value_error("format must be one of bgr, rgb, bgra, rgba, gray, nv12, nv21; got '" + name + "'");
}

mosface::Roi parse_roi(const py::object& roi) {
    if (roi.is_none()) return {};
    try {
        const auto [x, y, width, height] = roi.cast<std::tuple<int, int, int, int>>();
        if (width < 1 || height < 1) throw py::value_error("roi width and height must be >= 1");
        return {x, y, width, height};
    } catch (const py::cast_error&) {
        throw py::type_error("roi must be (x, y, width, height) in the frame's pixels, or None");
    }
}

}  // namespace

mosface::ImageView frame_view(const py::handle& image, const std::string& format, int rotation, const py::object& roi,
                              py::array* keep) {
    const FormatLayout& layout = layout_of(format);
    mosface::ImageView view{};
    if (layout.format == mosface::PixelFormat::bgr) {
        view = bgr_image_view(image, keep);
    } else {
        py::array array = py::array::ensure(image);
        if (!array || !array.dtype().is(py::dtype::of<std::uint8_t>())) {
            throw py::type_error("image must be a uint8 numpy array");
        }
        const bool yuv = layout.format == mosface::PixelFormat::nv12 || layout.format == mosface::PixelFormat::nv21;
        const bool gray_3d = layout.format == mosface::PixelFormat::gray && array.ndim() == 3 && array.shape(2) == 1;
        const bool shape_ok = layout.channels > 0 ? array.ndim() == 3 && array.shape(2) == layout.channels
                                                  : array.ndim() == 2 || gray_3d;
        if (!shape_ok) {
            throw py::value_error(std::string("a ") + layout.name + " image must have shape " +
                                  (layout.channels > 0 ? "(height, width, " + std::to_string(layout.channels) + ")"
                                   : yuv              ? std::string("(height * 3 / 2, width): the Y rows, then the "
                                                                    "interleaved chroma rows")
                                                      : std::string("(height, width)")));
        }
        const py::ssize_t channels = layout.channels > 0 ? layout.channels : 1;
        const bool packed = array.strides(1) == channels && (array.ndim() == 2 || array.strides(2) == 1) &&
                            array.strides(0) >= channels * array.shape(1);
        if (!packed) array = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(array);
        const py::ssize_t rows = array.shape(0);
        if (yuv && rows % 3 != 0) {
            throw py::value_error("an nv12/nv21 array has height * 3 / 2 rows; got " + std::to_string(rows));
        }
        view = {static_cast<const std::uint8_t*>(array.data()), static_cast<int>(yuv ? rows * 2 / 3 : rows),
                static_cast<int>(array.shape(1)), static_cast<std::size_t>(array.strides(0))};
        view.format = layout.format;
        *keep = std::move(array);
    }
    view.rotation = rotation;
    view.roi = parse_roi(roi);
    return view;
}
