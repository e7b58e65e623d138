// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// mosface._core: Python binding of the C++ core. Validates arrays at the edge,
// releases the GIL around post-processing and inference, and maps C++
// exceptions to FileNotFoundError / ValueError / TypeError / mosface.ModelError.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "mosface/detector.hpp"
#include "mosface/errors.hpp"
#include "mosface/limits.hpp"
#include "mosface/manifest.hpp"
#include "mosface/pose_heads.hpp"
#include "mosface/postprocess.hpp"
#include "mosface/priors.hpp"

namespace py = pybind11;

namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

std::string shape_text(const py::array& array) {
    std::string text = "(";
    for (py::ssize_t i = 0; i < array.ndim(); ++i) {
        text += (i ? ", " : "") + std::to_string(array.shape(i));
    }
    return text + (array.ndim() == 1 ? ",)" : ")");
}

// A (N, columns) float32 C-contiguous view of any floating array (converted if needed).
FloatArray as_rows(const py::handle& object, const char* name, py::ssize_t columns) {
    const py::array array = py::array::ensure(object);
    if (!array) {
        throw py::type_error(std::string(name) + " must be a numpy array");
    }
    if (array.dtype().kind() != 'f') {
        throw py::type_error(std::string(name) + " must be a floating-point array, got dtype " +
                             std::string(py::str(array.dtype())));
    }
    if (array.ndim() != 2 || array.shape(1) != columns) {
        throw py::value_error(std::string(name) + " must have shape (N, " + std::to_string(columns) + "), got " +
                              shape_text(array) + " (pass the outputs of ONE image, batch dimension removed)");
    }
    return FloatArray::ensure(array);
}

py::array_t<float> detections_to_array(const std::vector<mosface::Detection>& detections) {
    py::array_t<float> out({static_cast<py::ssize_t>(detections.size()), static_cast<py::ssize_t>(18)});
    if (!detections.empty()) {
        std::memcpy(out.mutable_data(), detections.data(), detections.size() * sizeof(mosface::Detection));
    }
    return out;
}

py::array_t<float> pose_std_to_array(const std::vector<mosface::PoseStd>& pose_std) {
    py::array_t<float> out({static_cast<py::ssize_t>(pose_std.size()), static_cast<py::ssize_t>(3)});
    if (!pose_std.empty()) {
        std::memcpy(out.mutable_data(), pose_std.data(), pose_std.size() * sizeof(mosface::PoseStd));
    }
    return out;
}

// (K, 18) faces, or (faces, (K, 3) pose std) when the caller asked for the uncertainty.
py::object faces_result(const std::vector<mosface::Detection>& detections,
                        const std::vector<mosface::PoseStd>* pose_std) {
    if (pose_std == nullptr) return detections_to_array(detections);
    return py::make_tuple(detections_to_array(detections), pose_std_to_array(*pose_std));
}

// A manifest's "anchors" object as a Python mapping: {"steps": [8, 16, 32],
// "min_sizes": [[16, 32], [64, 128], [256, 512]], "variances": [0.1, 0.2]}.
mosface::AnchorConfig anchor_config(const py::handle& anchors) {
    const char* expected = "anchors must be a mapping like a manifest's \"anchors\": {\"steps\": [8, 16, 32], "
                           "\"min_sizes\": [[16, 32], [64, 128], [256, 512]], \"variances\": [0.1, 0.2]}";
    if (!py::isinstance<py::dict>(anchors)) {
        throw py::type_error(expected);
    }
    const py::dict fields = py::reinterpret_borrow<py::dict>(anchors);
    mosface::AnchorConfig config;
    std::vector<float> variances;
    try {
        config.steps = fields["steps"].cast<std::vector<int>>();
        config.min_sizes = fields["min_sizes"].cast<std::vector<std::vector<float>>>();
        variances = fields["variances"].cast<std::vector<float>>();
    } catch (const py::error_already_set&) {
        throw py::type_error(expected);  // a missing key
    } catch (const py::cast_error&) {
        throw py::type_error(expected);
    }
    if (variances.size() != 2 || config.steps.size() > mosface::kMaxAnchorLevels) {
        throw py::value_error(std::string(expected) + ": 2 variances, at most " +
                              std::to_string(mosface::kMaxAnchorLevels) + " levels");
    }
    config.center_variance = variances[0];
    config.size_variance = variances[1];
    config.validate();
    return config;
}

py::array_t<float> priors(int height, int width, const py::handle& anchors) {
    mosface::check_input_size(height, width);
    const std::vector<float> values = mosface::make_priors(height, width, anchor_config(anchors));
    py::array_t<float> out({static_cast<py::ssize_t>(values.size() / 4), static_cast<py::ssize_t>(4)});
    std::memcpy(out.mutable_data(), values.data(), values.size() * sizeof(float));
    return out;
}

py::object postprocess(const py::handle& loc, const py::handle& cls_logits, const py::handle& landm,
                               const py::handle& yaw_logits, const py::handle& pitch_logits,
                               const py::handle& roll_logits, int height, int width, const py::handle& anchor_map,
                               float conf_threshold, float nms_threshold, int top_k, int keep_top_k,
                               bool return_uncertainty) {
    const FloatArray arrays[6] = {
        as_rows(loc, "loc", 4),
        as_rows(cls_logits, "cls_logits", 2),
        as_rows(landm, "landm", 10),
        as_rows(yaw_logits, "yaw_logits", 66),
        as_rows(pitch_logits, "pitch_logits", 66),
        as_rows(roll_logits, "roll_logits", 66),
    };
    const py::ssize_t anchors = arrays[0].shape(0);
    for (const FloatArray& array : arrays) {
        if (array.shape(0) != anchors) {
            throw py::value_error("all six outputs need the same number of rows (anchors); got " +
                                  std::to_string(anchors) + " and " + std::to_string(array.shape(0)));
        }
    }
    if (height < 1 || width < 1) {
        throw py::value_error("height and width must be >= 1, got height=" + std::to_string(height) +
                              ", width=" + std::to_string(width));
    }
    mosface::check_input_size(height, width);
    const mosface::AnchorConfig config = anchor_config(anchor_map);
    const mosface::PostprocessParams params{conf_threshold, nms_threshold, top_k, keep_top_k};
    const mosface::HeadOutputs outputs{arrays[0].data(), arrays[1].data(), arrays[2].data(), arrays[3].data(),
                                       arrays[4].data(), arrays[5].data(), static_cast<std::size_t>(anchors)};
    std::vector<mosface::Detection> detections;
    std::vector<mosface::PoseStd> pose_std;
    std::vector<mosface::PoseStd>* pose_std_out = return_uncertainty ? &pose_std : nullptr;
    {
        py::gil_scoped_release release;
        detections = mosface::postprocess(outputs, height, width, config, params, pose_std_out);
    }
    return faces_result(detections, pose_std_out);
}

// The sparse pose heads of a converted model run on given feature maps: for the
// converter's parity gates, the tests and mosface.bench.postprocess (the Detector runs the same code).
class PySparsePoseHeads {
public:
    explicit PySparsePoseHeads(const std::string& model)
        : manifest_(mosface::Manifest::load(model + "/manifest.json")), heads_(load(manifest_, model)) {}

    py::array_t<float> logits(const py::list& features, int height, int width,
                              const py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>& anchors) const {
        if (height < 1 || width < 1) {
            throw py::value_error("height and width must be >= 1");
        }
        const mosface::PriorGrid priors(height, width, manifest_.anchors);
        std::vector<FloatArray> arrays;
        std::vector<mosface::FeatureMap> maps;
        for (const py::handle& item : features) {
            arrays.push_back(FloatArray::ensure(item));
            const FloatArray& array = arrays.back();
            if (!array || array.ndim() != 3) {
                throw py::value_error("features must be float (channels, rows, cols) arrays, one per level");
            }
            maps.push_back({array.data(), static_cast<int>(array.shape(0)), static_cast<int>(array.shape(1)),
                            static_cast<int>(array.shape(2)), static_cast<std::size_t>(array.shape(1) * array.shape(2))});
        }
        heads_.check_maps(maps, priors);
        if (anchors.ndim() != 1) {
            throw py::value_error("anchors must be a 1-D array of anchor indices");
        }
        std::vector<mosface::AnchorCell> cells;
        for (py::ssize_t i = 0; i < anchors.shape(0); ++i) {
            const std::int64_t anchor = anchors.at(i);
            if (anchor < 0 || static_cast<std::size_t>(anchor) >= priors.size()) {
                throw py::value_error("anchor " + std::to_string(anchor) + " is outside [0, " +
                                      std::to_string(priors.size()) + ")");
            }
            cells.push_back(priors.cell(static_cast<std::size_t>(anchor)));
        }
        py::array_t<float> out({anchors.shape(0), static_cast<py::ssize_t>(3), static_cast<py::ssize_t>(heads_.bins())});
        float* target = out.mutable_data();
        {
            py::gil_scoped_release release;
            heads_.logits(maps, cells, target);
        }
        return out;
    }

private:
    static mosface::SparsePoseHeads load(const mosface::Manifest& manifest, const std::string& model) {
        if (manifest.pose_heads != mosface::PoseHeads::sparse) {
            throw py::value_error(model + " was converted with dense pose heads");
        }
        return mosface::SparsePoseHeads::load(manifest.sparse_pose, model + "/" + manifest.sparse_pose.file);
    }

    mosface::Manifest manifest_;
    mosface::SparsePoseHeads heads_;
};

mosface::PowerSave parse_powersave(const py::handle& value) {
    if (value.is_none()) return mosface::PowerSave::keep;
    if (py::isinstance<py::str>(value)) {
        const std::string name = value.cast<std::string>();
        if (name == "all") return mosface::PowerSave::all;
        if (name == "little") return mosface::PowerSave::little;
        if (name == "big") return mosface::PowerSave::big;
        throw py::value_error("powersave must be 'all', 'little' or 'big', got '" + name + "'");
    }
    if (py::isinstance<py::int_>(value) && !py::isinstance<py::bool_>(value)) {
        const int mode = value.cast<int>();
        if (mode >= 0 && mode <= 2) return static_cast<mosface::PowerSave>(mode);
    }
    throw py::value_error("powersave must be 'all', 'little' or 'big' (or ncnn's 0, 1, 2)");
}

py::object powersave_name(mosface::PowerSave mode) {
    switch (mode) {
        case mosface::PowerSave::all: return py::str("all");
        case mosface::PowerSave::little: return py::str("little");
        case mosface::PowerSave::big: return py::str("big");
        default: return py::none();
    }
}

// HxWx3 uint8 with pixel and channel strides of 3 and 1 (rows may be padded); copies otherwise.
py::array image_array(const py::handle& object) {
    py::array array = py::array::ensure(object);
    if (!array) {
        throw py::type_error("image must be a numpy array (H x W x 3, uint8, BGR)");
    }
    if (!array.dtype().is(py::dtype::of<std::uint8_t>())) {
        throw py::type_error("image must have dtype uint8 (8-bit BGR), got " + std::string(py::str(array.dtype())) +
                             "; convert with image.astype(np.uint8) after scaling to 0..255");
    }
    if (array.ndim() != 3 || array.shape(2) != 3) {
        throw py::value_error("image must have shape (height, width, 3) in BGR order, got " + shape_text(array) +
                              (array.ndim() == 2 ? "; convert grayscale to BGR first" : ""));
    }
    check_array_size(array);
    const bool packed_pixels = array.strides(2) == 1 && array.strides(1) == 3 &&
                               array.strides(0) >= 3 * array.shape(1);
    if (!packed_pixels) {
        array = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(array);
    }
    return array;
}

// str or os.PathLike -> str.
std::string path_string(const py::handle& path, const char* name) {
    try {
        return py::module_::import("os").attr("fspath")(path).cast<std::string>();
    } catch (const py::error_already_set&) {
        throw py::type_error(std::string(name) + " must be a str or os.PathLike");
    } catch (const py::cast_error&) {
        throw py::type_error(std::string(name) + " must be a str or os.PathLike of text, not bytes");
    }
}

// Detector.detect's camera-frame keywords.
struct FrameOptions {
    std::string format;
    int rotation;
    py::object roi;
};

class PyDetector {
public:
    PyDetector(const py::object& model, const py::object& bin_path, float conf_threshold,
               float nms_threshold, int top_k, int keep_top_k, const std::optional<int>& num_threads,
               const py::handle& powersave, bool fp16, bool light_mode, bool memory_pool,
               const std::optional<int>& input_height,
               const std::optional<int>& input_width) {
        mosface::DetectorOptions options;
        options.postprocess = {conf_threshold, nms_threshold, top_k, keep_top_k};
        if (num_threads && (*num_threads < 1 || *num_threads > mosface::kMaxThreads)) {
            throw py::value_error("num_threads must be 1.." + std::to_string(mosface::kMaxThreads) +
                                  " (or None for ncnn's default), got " + std::to_string(*num_threads));
        }
        options.num_threads = num_threads.value_or(0);
        options.powersave = parse_powersave(powersave);
        options.fp16 = fp16;
        options.light_mode = light_mode;
        options.memory_pool = memory_pool;
        if (input_height.has_value() != input_width.has_value()) {
            throw py::value_error("give both input_height and input_width, or neither");
        }
        if (input_height) {
            mosface::check_input_size(*input_height, *input_width);
        }
        options.input_height = input_height.value_or(0);
        options.input_width = input_width.value_or(0);
        const std::string model_path = path_string(model, "model");
        const std::string weights_path = bin_path.is_none() ? std::string() : path_string(bin_path, "bin_path");
        py::gil_scoped_release release;
        detector_ = std::make_unique<mosface::Detector>(model_path, weights_path, options);
    }

    std::vector<mosface::Detection> run(const py::handle& image, const FrameOptions& frame,
                                        std::vector<mosface::PoseStd>* pose_std, mosface::StageTimes* times) const {
        py::array array;
        const mosface::ImageView view = frame_view(image, frame.format, frame.rotation, frame.roi, &array);
        py::gil_scoped_release release;
        return detector_->detect(view, pose_std, times);
    }

    std::pair<py::array_t<float>, py::dict> detect_timed(const py::handle& image, const std::string& format,
                                                         int rotation, const py::object& roi) const {
        mosface::StageTimes times;
        const std::vector<mosface::Detection> detections = run(image, {format, rotation, roi}, nullptr, &times);
        py::dict timings;
        timings["preprocess_ms"] = times.preprocess_ms;
        timings["inference_ms"] = times.inference_ms;
        timings["postprocess_ms"] = times.postprocess_ms;
        return {detections_to_array(detections), timings};
    }

    py::object detect(const py::handle& image, bool return_uncertainty, const std::string& format, int rotation,
                      const py::object& roi) const {
        std::vector<mosface::PoseStd> pose_std;
        std::vector<mosface::PoseStd>* pose_std_out = return_uncertainty ? &pose_std : nullptr;
        return faces_result(run(image, {format, rotation, roi}, pose_std_out, nullptr), pose_std_out);
    }

    mosface::PostprocessParams params() const { return detector_->options().postprocess; }

    void update_params(const std::function<void(mosface::PostprocessParams&)>& change) {
        mosface::PostprocessParams params = this->params();
        change(params);
        detector_->set_postprocess(params);
    }

    mosface::Detector& core() { return *detector_; }
    const mosface::Detector& core() const { return *detector_; }

private:
    std::unique_ptr<mosface::Detector> detector_;
};

}  // namespace

void check_array_size(const py::array& array) {
    // A negative row stride means a copy with packed rows: only height and width count then.
    const auto dimension = [](py::ssize_t value) { return value > 0 ? static_cast<std::uint64_t>(value) : 0; };
    mosface::check_image_size(dimension(array.shape(0)), dimension(array.shape(1)), dimension(array.strides(0)));
}

mosface::ImageView bgr_image_view(const py::handle& image, py::array* keep) {
    *keep = image_array(image);
    return {static_cast<const std::uint8_t*>(keep->data()), static_cast<int>(keep->shape(0)),
            static_cast<int>(keep->shape(1)), static_cast<std::size_t>(keep->strides(0))};
}

PYBIND11_MODULE(_core, m) {
    m.doc() = "mosface C++ core: MOS priors, post-processing and the ncnn Detector";
#ifdef MOSFACE_VERSION_INFO
    m.attr("__version__") = MOSFACE_VERSION_INFO;
#else
    m.attr("__version__") = "dev";
#endif

    static py::exception<mosface::ModelError> model_error(m, "ModelError", PyExc_RuntimeError);
    py::register_exception_translator([](std::exception_ptr pointer) {
        try {
            if (pointer) std::rethrow_exception(pointer);
        } catch (const mosface::MissingFileError& error) {
            PyErr_SetString(PyExc_FileNotFoundError, error.what());
        } catch (const mosface::ModelError& error) {
            py::set_error(model_error, error.what());
        }
    });

    bind_tracker(m);
    bind_best_shot(m);

    m.def("priors", &priors, py::arg("height"), py::arg("width"), py::kw_only(), py::arg("anchors"),
          "Anchors of a height x width input: float32 (N, 4) of cx, cy, w, h normalised by width/height,\n"
          "ordered level, row, column, anchor size. anchors: a manifest's \"anchors\" mapping.");

    m.def("postprocess", &postprocess, py::arg("loc"), py::arg("cls_logits"), py::arg("landm"),
          py::arg("yaw_logits"), py::arg("pitch_logits"), py::arg("roll_logits"), py::kw_only(), py::arg("height"),
          py::arg("width"), py::arg("anchors"), py::arg("conf_threshold") = 0.5f, py::arg("nms_threshold") = 0.4f,
          py::arg("top_k") = 5000, py::arg("keep_top_k") = 750, py::arg("return_uncertainty") = false,
          "Raw head outputs of one image -> float32 (K, 18) detections in input pixels, best first.\n"
          "return_uncertainty=True: (faces, pose_std (K, 3)), the std in degrees of each angle's bins.");

    py::class_<PySparsePoseHeads>(m, "SparsePoseHeads",
                                  "The pose heads of a model converted with --pose-heads sparse (its folder).")
        .def(py::init<const std::string&>(), py::arg("model"))
        .def("logits", &PySparsePoseHeads::logits, py::arg("features"), py::arg("height"), py::arg("width"),
             py::arg("anchors"),
             "Per-level (channels, rows, cols) feature maps of a height x width input -> float32\n"
             "(len(anchors), 3, 66) yaw, pitch, roll logits of the given anchors.");

    py::class_<PyDetector>(m, "Detector",
                           "A converted MOS model (ncnn) plus post-processing; safe to share between threads.\n"
                           "Detector(model, bin_path=None, *, conf_threshold=0.5, nms_threshold=0.4, top_k=5000,\n"
                           "         keep_top_k=750, num_threads=None, powersave=None, fp16=False, light_mode=True,\n"
                           "         memory_pool=True, input_height=None, input_width=None)")
        .def(py::init<const py::object&, const py::object&, float, float, int, int,
                      const std::optional<int>&, const py::handle&, bool, bool, bool, const std::optional<int>&,
                      const std::optional<int>&>(),
             py::arg("model"), py::arg("bin_path") = py::none(), py::kw_only(), py::arg("conf_threshold") = 0.5f,
             py::arg("nms_threshold") = 0.4f, py::arg("top_k") = 5000, py::arg("keep_top_k") = 750,
             py::arg("num_threads") = py::none(), py::arg("powersave") = py::none(), py::arg("fp16") = false,
             py::arg("light_mode") = true, py::arg("memory_pool") = true, py::arg("input_height") = py::none(),
             py::arg("input_width") = py::none())
        .def("detect", &PyDetector::detect, py::arg("image"), py::kw_only(), py::arg("return_uncertainty") = false,
             py::arg("format") = "bgr", py::arg("rotation") = 0, py::arg("roi") = py::none(),
             "HxWx3 uint8 BGR image -> float32 (K, 18) detections in the image's pixels, best first.\n"
             "format: bgr, rgb (HxWx3), bgra, rgba (HxWx4), gray (HxW), nv12, nv21 (H*3/2 x W: Y rows, then\n"
             "chroma rows). rotation: degrees (0, 90, 180, 270) the frame must be turned clockwise to be\n"
             "upright. roi: (x, y, width, height) in the frame. Faces come back in the frame's pixels.\n"
             "return_uncertainty=True: (faces, pose_std), pose_std float32 (K, 3): the standard deviation in\n"
             "degrees of the yaw, pitch and roll bin distributions (same softmax as the angles).")
        .def("detect_timed", &PyDetector::detect_timed, py::arg("image"), py::kw_only(), py::arg("format") = "bgr",
             py::arg("rotation") = 0, py::arg("roi") = py::none(),
             "Like detect, plus a dict of stage times in ms (preprocess, inference, postprocess).")
        .def_property(
            "conf_threshold", [](const PyDetector& d) { return d.params().conf_threshold; },
            [](PyDetector& d, float v) { d.update_params([v](mosface::PostprocessParams& p) { p.conf_threshold = v; }); })
        .def_property(
            "nms_threshold", [](const PyDetector& d) { return d.params().nms_threshold; },
            [](PyDetector& d, float v) { d.update_params([v](mosface::PostprocessParams& p) { p.nms_threshold = v; }); })
        .def_property(
            "top_k", [](const PyDetector& d) { return d.params().top_k; },
            [](PyDetector& d, int v) { d.update_params([v](mosface::PostprocessParams& p) { p.top_k = v; }); })
        .def_property(
            "keep_top_k", [](const PyDetector& d) { return d.params().keep_top_k; },
            [](PyDetector& d, int v) { d.update_params([v](mosface::PostprocessParams& p) { p.keep_top_k = v; }); })
        .def_property_readonly("num_threads", [](const PyDetector& d) { return d.core().options().num_threads; })
        .def_property(
            "powersave", [](const PyDetector& d) { return powersave_name(d.core().options().powersave); },
            [](PyDetector& d, const py::handle& v) { d.core().set_powersave(parse_powersave(v)); })
        .def_property_readonly("fp16", [](const PyDetector& d) { return d.core().options().fp16; })
        .def_property_readonly("light_mode", [](const PyDetector& d) { return d.core().options().light_mode; })
        .def_property_readonly("memory_pool", [](const PyDetector& d) { return d.core().options().memory_pool; })
        .def_property_readonly("input_height", [](const PyDetector& d) { return d.core().options().input_height; })
        .def_property_readonly("input_width", [](const PyDetector& d) { return d.core().options().input_width; })
        .def_property_readonly("architecture", [](const PyDetector& d) { return d.core().manifest().architecture; })
        .def_property_readonly("size_policy",
                               [](const PyDetector& d) {
                                   return d.core().manifest().size_policy == mosface::SizePolicy::fixed ? "fixed"
                                                                                                        : "dynamic";
                               })
        .def(
            "network_input_size",
            [](const PyDetector& d, int height, int width) {
                if (height < 1 || width < 1) throw py::value_error("height and width must be >= 1");
                int net_h = 0;
                int net_w = 0;
                d.core().network_input_size(height, width, &net_h, &net_w);
                return py::make_tuple(net_h, net_w);
            },
            py::kw_only(), py::arg("height"), py::arg("width"),
            "(height, width) of the network input used for an image of this size.")
        .def(
            "memory_counts",
            [](const PyDetector& d) {
                const mosface::MemoryCounts counts = d.core().memory_counts();
                auto as_dict = [](const mosface::AllocatorCounts& c) {
                    py::dict out;
                    out["in_use"] = c.in_use;
                    out["peak_requested"] = c.peak_requested;
                    out["from_block"] = c.from_block;
                    out["from_system"] = c.from_system;
                    out["system_bytes"] = c.system_bytes;
                    return out;
                };
                py::dict out;
                out["blobs"] = as_dict(counts.blobs);
                out["workspace"] = as_dict(counts.workspace);
                out["live_peak"] = counts.live_peak;
                out["block_bytes"] = counts.block_bytes;
                out["block_peak_bytes"] = counts.block_peak_bytes;
                out["plans"] = counts.plans;
                out["misses"] = counts.misses;
                return out;
            },
            "Bytes of ncnn's feature maps ('blobs') and layer scratch ('workspace'), their joint live_peak, and "
            "the planned block that holds them (block_bytes, block_peak_bytes, plans, misses).")
        .def("__repr__", [](const PyDetector& d) {
            const mosface::DetectorOptions o = d.core().options();
            return "<mosface.Detector " + d.core().manifest().architecture + " " + std::to_string(o.input_width) +
                   "x" + std::to_string(o.input_height) + " conf=" + std::to_string(o.postprocess.conf_threshold) +
                   " threads=" + std::to_string(o.num_threads) + ">";
        });
}
