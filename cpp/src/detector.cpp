// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "mosface/detector.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <sstream>

#include <sys/stat.h>

#include "cpu.h"
#include "datareader.h"
#include "mat.h"
#include "net.h"

#include "allocator.hpp"
#include "input_convolution.hpp"
#include "layer_threads.hpp"
#include "banded_pair.hpp"
#include "depthwise3x3.hpp"
#include "pointwise.hpp"
#include "mosface/errors.hpp"
#include "mosface/limits.hpp"
#include "mosface/pose.hpp"
#include "mosface/pose_heads.hpp"

#include "frame.hpp"

namespace mosface {

namespace {

// Throws MissingFileError when nothing exists at path.
bool is_directory(const std::string& path) {
    struct stat info {};
    if (stat(path.c_str(), &info) != 0) {
        throw MissingFileError("model not found: " + path +
                               " (pass a converted model folder or its .param file)");
    }
    return S_ISDIR(info.st_mode);
}

std::string parent_folder(const std::string& path) {
    const std::size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

// Streams the weights from the file straight into ncnn's Mats (no copy of
// the whole file in memory) and counts what ncnn read, so a .bin with bytes
// left over is caught; a truncated one makes ncnn's read come up short.
class CountingFileReader : public ncnn::DataReader {
public:
    CountingFileReader(const std::string& path, const char* what) : file_(std::fopen(path.c_str(), "rb"), &std::fclose) {
        struct stat info {};
        if (!file_ || fstat(fileno(file_.get()), &info) != 0 || !S_ISREG(info.st_mode)) {
            throw MissingFileError(std::string(what) + " not found: " + path);
        }
        size_ = static_cast<std::size_t>(info.st_size);
    }

    size_t read(void* buf, size_t size) const override {
        const std::size_t n = std::fread(buf, 1, std::min(size, size_ - consumed_), file_.get());
        consumed_ += n;
        return n;
    }

    std::size_t size() const { return size_; }
    std::size_t consumed() const { return consumed_; }

private:
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
    std::size_t size_ = 0;
    mutable std::size_t consumed_ = 0;
};

// ncnn's text parser trusts the header counts; reject absurd ones before it allocates.
void check_param_header(const std::vector<unsigned char>& text, const std::string& path) {
    std::istringstream stream(std::string(text.begin(), text.end()));
    long magic = 0;
    long layers = -1;
    long blobs = -1;
    if (!(stream >> magic) || magic != 7767517) {
        throw ModelError(path + " is not an ncnn .param file (the first line must be the magic number 7767517)");
    }
    if (!(stream >> layers >> blobs) || layers < 1 || blobs < 1 || layers > 100000 || blobs > 100000) {
        throw ModelError(path + " has a malformed header (layer and blob counts on the second line)");
    }
}

bool contains_name(const std::vector<const char*>& names, const std::string& name) {
    return std::any_of(names.begin(), names.end(), [&](const char* n) { return name == n; });
}

constexpr int kOutputWidths[6] = {4, 2, 10, kPoseBins, kPoseBins, kPoseBins};

// Views of the sparse pose heads' feature maps (unpacked fp32, as extract() gives by default).
std::vector<FeatureMap> feature_maps(const std::vector<ncnn::Mat>& mats) {
    std::vector<FeatureMap> maps;
    for (const ncnn::Mat& mat : mats) {
        if (mat.dims != 3 || mat.elempack != 1 || mat.elemsize != 4) {
            throw ModelError("a pose feature output is not a (channels, rows, cols) float map");
        }
        maps.push_back({static_cast<const float*>(mat.data), mat.c, mat.h, mat.w, mat.cstep});
    }
    return maps;
}

double milliseconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

class Detector::Impl {
public:
    Impl(const std::string& model, const std::string& bin_path, const DetectorOptions& options)
        : options_(options),
          arena_(options.memory_pool),
          blob_allocator_(arena_, BufferKind::blob),
          workspace_allocator_(arena_, BufferKind::workspace) {
        std::string folder;
        std::string param_path;
        if (is_directory(model)) {
            folder = model;
        } else {
            folder = parent_folder(model);
            param_path = model;
        }
        manifest_ = Manifest::load(folder + "/manifest.json");
        if (param_path.empty()) {
            param_path = folder + "/" + manifest_.param_file;
        }
        std::string weights_path = bin_path;
        if (weights_path.empty()) {
            const bool named_param = param_path.size() > 6 && param_path.compare(param_path.size() - 6, 6, ".param") == 0;
            weights_path = named_param && model == param_path
                               ? param_path.substr(0, param_path.size() - 6) + ".bin"
                               : folder + "/" + manifest_.bin_file;
        }
        options_.postprocess.validate();
        resolve_input_size();
        configure_net();
        load(param_path, weights_path);
        if (manifest_.pose_heads == PoseHeads::sparse) {
            sparse_pose_ = std::make_unique<const SparsePoseHeads>(
                SparsePoseHeads::load(manifest_.sparse_pose, folder + "/" + manifest_.sparse_pose.file));
        }
        check_powersave(options_.powersave);
    }

    std::vector<Detection> detect(const ImageView& image, std::vector<PoseStd>* pose_std, StageTimes* times) const {
        if (image.height < 0 || image.width < 0) {
            throw std::invalid_argument("image size must not be negative");
        }
        if (image.height == 0 || image.width == 0) {
            return {};
        }
        // Rows, format, rotation and region are checked by UprightFrame below.
        check_image_size(static_cast<std::uint64_t>(image.height), static_cast<std::uint64_t>(image.width),
                         image.row_stride);
        // Format, region and rotation handled here; `upright` is what the network sees.
        const auto start = std::chrono::steady_clock::now();
        const UprightFrame upright(image);
        int resized_h = 0;
        int resized_w = 0;
        fit_size(upright.height(), upright.width(), &resized_h, &resized_w);
        // Before the extractor and every Mat: they must all be gone when the call ends.
        const FrameArena::Call call(arena_, resized_h, resized_w);
        PostprocessParams params;
        PowerSave powersave = PowerSave::keep;
        ncnn::Extractor extractor = [&] {
            std::lock_guard<std::mutex> lock(mutex_);
            params = options_.postprocess;
            powersave = options_.powersave;
            return net_.create_extractor();
        }();
        pin_inference_threads(powersave);
        extractor.set_light_mode(options_.light_mode);
        extractor.set_blob_allocator(&blob_allocator_);
        extractor.set_workspace_allocator(&workspace_allocator_);

        ncnn::Mat input = ncnn::Mat::from_pixels_resize(upright.data(), upright.ncnn_type(), upright.width(),
                                                        upright.height(), upright.row_stride(), resized_w, resized_h,
                                                        &blob_allocator_);
        check_allocated(input, "the resized image");
        input.substract_mean_normalize(manifest_.mean.data(), manifest_.norm.data());
        int net_h = resized_h;
        int net_w = resized_w;
        if (manifest_.size_policy == SizePolicy::fixed) {
            // Pad bottom/right with zeros (the mean colour) so coordinates need no shift.
            net_h = input_h_;
            net_w = input_w_;
        }
        const int border = input_border_;
        if (border > 0 || net_h != resized_h || net_w != resized_w) {
            // One copy: the fixed size's padding and the first convolution's own zero border.
            ncnn::Option border_opt = net_.opt;  // its thread count: a default Option starts ncnn's default team
            border_opt.blob_allocator = &blob_allocator_;
            border_opt.workspace_allocator = &workspace_allocator_;
            ncnn::Mat padded;
            ncnn::copy_make_border(input, padded, border, border + net_h - resized_h, border,
                                   border + net_w - resized_w, ncnn::BORDER_CONSTANT, 0.f, border_opt);
            check_allocated(padded, "the padded image");
            input = padded;
        }
        const double preprocess_ms = milliseconds_since(start);

        const auto infer_start = std::chrono::steady_clock::now();
        if (extractor.input(manifest_.input_blob.c_str(), input) != 0) {
            throw std::runtime_error("ncnn refused the input blob '" + manifest_.input_blob + "'");
        }
        input.release();  // the extractor holds it now; light mode frees it once the first layer ran
        const PriorGrid priors(net_h, net_w, manifest_.anchors);
        ncnn::Mat outputs[6];  // sparse pose heads: loc, cls, landmarks only (the rest stay empty)
        for (int i = 0; i < role_count(); ++i) {
            if (extractor.extract(manifest_.output_blobs[i].c_str(), outputs[i]) != 0) {
                throw std::runtime_error("ncnn failed to compute output '" + manifest_.output_blobs[i] + "' (" +
                                         kOutputRoles[i] + ")");
            }
            check_output(outputs[i], i, priors.size(), net_h, net_w);
        }
        std::vector<ncnn::Mat> pose_maps(sparse_pose_ ? manifest_.sparse_pose.feature_blobs.size() : 0);
        for (std::size_t level = 0; level < pose_maps.size(); ++level) {
            const std::string& blob = manifest_.sparse_pose.feature_blobs[level];
            if (extractor.extract(blob.c_str(), pose_maps[level]) != 0) {
                throw std::runtime_error("ncnn failed to compute pose feature output '" + blob + "'");
            }
        }
        const double inference_ms = milliseconds_since(infer_start);

        const auto post_start = std::chrono::steady_clock::now();
        const HeadOutputs head{outputs[0], outputs[1], outputs[2], outputs[3], outputs[4], outputs[5], priors.size()};
        // Back to the original image: NMS then runs in its pixels, as in the release.
        const PixelScale scale{static_cast<float>(net_w) * upright.width() / resized_w,
                               static_cast<float>(net_h) * upright.height() / resized_h};
        std::vector<std::size_t> kept_anchors;
        std::vector<Detection> detections =
            postprocess(head, priors, manifest_.anchors, params, scale, pose_std, &kept_anchors);
        if (sparse_pose_) {
            const std::vector<FeatureMap> maps = feature_maps(pose_maps);
            sparse_pose_->check_maps(maps, priors);
            sparse_pose_->estimate(maps, priors, kept_anchors, detections, pose_std);
        }
        upright.to_frame(detections);
        if (times != nullptr) {
            times->preprocess_ms = preprocess_ms;
            times->inference_ms = inference_ms;
            times->postprocess_ms = milliseconds_since(post_start);
        }
        return detections;
    }

    void network_input_size(int image_height, int image_width, int* net_h, int* net_w) const {
        fit_size(image_height, image_width, net_h, net_w);
        if (manifest_.size_policy == SizePolicy::fixed) {
            *net_h = input_h_;
            *net_w = input_w_;
        }
    }

    const Manifest& manifest() const { return manifest_; }

    MemoryCounts memory_counts() const { return arena_.counts(); }

    DetectorOptions options() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return options_;
    }

    void set_postprocess(const PostprocessParams& params) {
        params.validate();
        std::lock_guard<std::mutex> lock(mutex_);
        options_.postprocess = params;
    }

    void set_powersave(PowerSave mode) {
        check_powersave(mode);
        std::lock_guard<std::mutex> lock(mutex_);
        options_.powersave = mode;
    }

private:
    // Validates a thread count; 0 means ncnn's default, the number of physical big cores.
    static int resolved_threads(int num_threads) {
        check_num_threads(num_threads);
        return num_threads > 0 ? num_threads : ncnn::get_physical_big_cpu_count();
    }

    void resolve_input_size() {
        const bool requested = options_.input_height > 0 || options_.input_width > 0;
        if (options_.input_height < 0 || options_.input_width < 0 ||
            (requested && (options_.input_height == 0 || options_.input_width == 0))) {
            throw std::invalid_argument("input size needs both height and width >= 1 (or neither)");
        }
        input_h_ = requested ? options_.input_height : manifest_.input_height;
        input_w_ = requested ? options_.input_width : manifest_.input_width;
        check_input_size(input_h_, input_w_);
        if (manifest_.size_policy == SizePolicy::fixed &&
            (input_h_ != manifest_.input_height || input_w_ != manifest_.input_width)) {
            throw std::invalid_argument(
                "this model was converted for a fixed " + std::to_string(manifest_.input_width) + "x" +
                std::to_string(manifest_.input_height) + " (WxH) input and cannot run at " + std::to_string(input_w_) +
                "x" + std::to_string(input_h_) + "; convert it again with --dynamic or --input-size");
        }
        options_.input_height = input_h_;
        options_.input_width = input_w_;
    }

    void configure_net() {
        options_.num_threads = resolved_threads(options_.num_threads);
        net_.opt.use_vulkan_compute = false;
        net_.opt.lightmode = options_.light_mode;
        net_.opt.use_local_pool_allocator = false;  // each extractor gets the arena's allocators
        net_.opt.num_threads = options_.num_threads;
        net_.opt.use_fp16_packed = options_.fp16;
        net_.opt.use_fp16_storage = options_.fp16;
        net_.opt.use_fp16_arithmetic = options_.fp16;
    }

    // The blobs detect() extracts: no rewrite may change what they hold.
    std::vector<std::string> extracted_blobs() const {
        std::vector<std::string> blobs(manifest_.output_blobs.begin(), manifest_.output_blobs.end());
        const std::vector<std::string>& pose = manifest_.sparse_pose.feature_blobs;
        blobs.insert(blobs.end(), pose.begin(), pose.end());
        return blobs;
    }

    void load(const std::string& param_path, const std::string& weights_path) {
        const std::vector<unsigned char> param_text = read_regular_file(param_path, "model .param", kMaxParamBytes);
        check_regular_file(weights_path, "model weights (.bin)", kMaxWeightsBytes);  // before fopen: no FIFO wait
        CountingFileReader weights(weights_path, "model weights (.bin)");
        check_param_header(param_text, param_path);
        // Rewrites before ncnn reads the graph (same arithmetic, less memory, better threads):
        // layers too small to share across threads at this input size run on one; a
        // convolution and the stride-2 layer reading it run in bands of rows; 3x3
        // depthwise convolutions pad and activate as they read; 1x1 convolutions read
        // packed maps in place; the input convolution's padding moves into preprocessing.
        std::string text(param_text.begin(), param_text.end());
        if (options_.num_threads > 1) {
            text = single_thread_small_layers(text, manifest_.input_blob, static_cast<int>(manifest_.mean.size()),
                                              input_h_, input_w_);
        }
        text = fuse_banded_pairs(text, &banded_pairs_);
        if (!options_.fp16) {  // mosface's kernels compute in fp32: in fp16 mode ncnn's fp16 kernels stay
            text = fuse_pointwise(fuse_depthwise3x3(text, extracted_blobs()));
        }
        const InputConvolution rewritten = rewrite_input_convolution(text, manifest_.input_blob);
        input_border_ = rewritten.border;
        net_.register_custom_layer(kBandedPairType, create_banded_pair, nullptr, &banded_pairs_);
        net_.register_custom_layer(kDepthwise3x3Type, create_depthwise3x3, nullptr, nullptr);
        net_.register_custom_layer(kPointwiseType, create_pointwise, nullptr, nullptr);
        if (net_.load_param_mem(rewritten.param.c_str()) != 0) {
            throw ModelError(param_path +
                             " could not be parsed by ncnn (unknown layer or malformed line; ncnn's log above says "
                             "which); regenerate it with `mosface convert`");
        }
        if (net_.load_model(weights) != 0) {
            throw ModelError(weights_path + " is truncated or does not belong to " + param_path + " (" +
                             std::to_string(weights.size()) + " bytes)");
        }
        if (weights.consumed() != weights.size()) {
            throw ModelError(weights_path + " has " + std::to_string(weights.size() - weights.consumed()) +
                             " bytes more than " + param_path + " needs: the two files do not belong together");
        }
        if (!contains_name(net_.input_names(), manifest_.input_blob)) {
            throw ModelError("manifest input blob '" + manifest_.input_blob + "' is not an input of " + param_path);
        }
        for (int i = 0; i < role_count(); ++i) {
            if (!contains_name(net_.output_names(), manifest_.output_blobs[i])) {
                throw ModelError("manifest output '" + manifest_.output_blobs[i] + "' (" + kOutputRoles[i] +
                                 ") is not an output of " + param_path);
            }
        }
        for (const std::string& blob : manifest_.sparse_pose.feature_blobs) {
            if (!contains_name(net_.output_names(), blob)) {
                throw ModelError("manifest pose feature '" + blob + "' is not an output of " + param_path);
            }
        }
    }

    // Refuses a mode whose core set is empty on this CPU (no little cores, say).
    static void check_powersave(PowerSave mode) {
        if (mode != PowerSave::keep && ncnn::get_cpu_thread_affinity_mask(static_cast<int>(mode)).num_enabled() == 0) {
            throw std::invalid_argument("this CPU has no cores for powersave mode " +
                                        std::to_string(static_cast<int>(mode)) + " (0 all, 1 little, 2 big)");
        }
    }

    // Pins the calling thread and its OpenMP team (the threads that run this
    // inference) to the mode's cores, as ncnn's set_cpu_powersave does, once
    // per thread and mode.
    static void pin_inference_threads(PowerSave mode) {
        thread_local PowerSave pinned = PowerSave::keep;
        if (mode == PowerSave::keep || mode == pinned) {
            return;
        }
        if (ncnn::set_cpu_thread_affinity(ncnn::get_cpu_thread_affinity_mask(static_cast<int>(mode))) != 0) {
            throw std::runtime_error("could not pin the inference threads for powersave mode " +
                                     std::to_string(static_cast<int>(mode)));
        }
        pinned = mode;
    }

    // ncnn returns an empty Mat when an allocation fails.
    static void check_allocated(const ncnn::Mat& mat, const char* what) {
        if (mat.empty()) {
            throw std::runtime_error(std::string("out of memory: ncnn could not allocate ") + what);
        }
    }

    // Aspect-preserving size that fits the configured input box.
    void fit_size(int image_h, int image_w, int* out_h, int* out_w) const {
        const double scale = std::min(static_cast<double>(input_h_) / image_h, static_cast<double>(input_w_) / image_w);
        *out_h = std::min(input_h_, std::max(1, static_cast<int>(std::lround(image_h * scale))));
        *out_w = std::min(input_w_, std::max(1, static_cast<int>(std::lround(image_w * scale))));
    }

    void check_output(const ncnn::Mat& out, int role, std::size_t anchors, int net_h, int net_w) const {
        const bool plain_2d = out.dims == 2 || (out.dims == 3 && out.c == 1);
        const std::string name = "output '" + manifest_.output_blobs[role] + "' (" + kOutputRoles[role] + ")";
        if (!plain_2d || out.elempack != 1 || out.elemsize != 4 || out.w != kOutputWidths[role]) {
            throw ModelError(name + " has shape dims=" + std::to_string(out.dims) + " w=" + std::to_string(out.w) +
                             " h=" + std::to_string(out.h) + " c=" + std::to_string(out.c) + ", expected (anchors, " +
                             std::to_string(kOutputWidths[role]) + ")");
        }
        if (static_cast<std::size_t>(out.h) != anchors) {
            throw ModelError(name + " has " + std::to_string(out.h) + " rows but a " + std::to_string(net_w) + "x" +
                             std::to_string(net_h) + " (WxH) input has " + std::to_string(anchors) +
                             " anchors: the graph has another input size baked in; convert with --dynamic or at "
                             "this size");
        }
    }

    // Outputs with a role (loc ... roll); sparse pose heads compute yaw, pitch, roll themselves.
    int role_count() const { return manifest_.pose_heads == PoseHeads::sparse ? 3 : 6; }

    Manifest manifest_;
    std::unique_ptr<const SparsePoseHeads> sparse_pose_;  // with sparse pose heads only
    DetectorOptions options_;
    // Declared before net_: ncnn's Mats must be gone before their allocator is.
    mutable FrameArena arena_;  // thread-safe; detect() is const
    mutable ArenaAllocator blob_allocator_;
    mutable ArenaAllocator workspace_allocator_;
    ncnn::Net net_;
    int input_h_ = 0;
    int input_w_ = 0;
    int input_border_ = 0;  // zeros around the network input, folded out of its first layer
    BandedPairs banded_pairs_;  // the layer lines each BandedPair runs (read while ncnn loads the graph)
    mutable std::mutex mutex_;  // guards options_ and net_.opt against concurrent setters
};

Detector::Detector(const std::string& model, const std::string& bin_path, const DetectorOptions& options)
    : impl_(std::make_unique<Impl>(model, bin_path, options)) {}

Detector::~Detector() = default;

std::vector<Detection> Detector::detect(const ImageView& image, StageTimes* times) const {
    return impl_->detect(image, nullptr, times);
}

std::vector<Detection> Detector::detect(const ImageView& image, std::vector<PoseStd>* pose_std,
                                        StageTimes* times) const {
    return impl_->detect(image, pose_std, times);
}

const Manifest& Detector::manifest() const { return impl_->manifest(); }

MemoryCounts Detector::memory_counts() const { return impl_->memory_counts(); }

DetectorOptions Detector::options() const { return impl_->options(); }

void Detector::network_input_size(int image_height, int image_width, int* net_height, int* net_width) const {
    impl_->network_input_size(image_height, image_width, net_height, net_width);
}

void Detector::set_postprocess(const PostprocessParams& params) { impl_->set_postprocess(params); }

void Detector::set_powersave(PowerSave mode) { impl_->set_powersave(mode); }

}  // namespace mosface
