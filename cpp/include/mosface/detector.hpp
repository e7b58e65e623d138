// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Detector: a converted MOS model on ncnn plus the C++ post-processor.
// detect() takes a BGR image of any size and returns faces in its own pixels.
// One Detector may be used from several threads at once (one ncnn::Net, one
// ncnn::Extractor per call).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mosface/image.hpp"
#include "mosface/manifest.hpp"
#include "mosface/postprocess.hpp"

namespace mosface {

// ncnn's set_cpu_powersave: 0 all cores, 1 little cores only, 2 big cores only.
// It is process-wide (thread affinity of ncnn's workers): `keep` leaves it as it is.
enum class PowerSave { keep = -1, all = 0, little = 1, big = 2 };

struct DetectorOptions {
    PostprocessParams postprocess;
    int num_threads = 0;  // 0: ncnn's default, the number of physical big cores
    PowerSave powersave = PowerSave::keep;  // applied to the whole process when not `keep`
    bool fp16 = false;        // fp16 storage and arithmetic where the CPU has them
    bool light_mode = true;   // free intermediate blobs early (less memory)
    // Keep freed activation and workspace buffers for reuse by later calls,
    // never more than the largest live set seen (see AllocatorCounts). Off by
    // default: malloc alone reused its freed memory as fast on MOS and held
    // less (MOS-S 640x480, Python process, one detect: 92 MiB peak against
    // 137 MiB with ncnn's keep-everything pool; docs/memory.md).
    bool memory_pool = false;
    int input_height = 0;     // 0: the manifest's size
    int input_width = 0;
};

// What mosface's allocator for ncnn's activations (blobs) or layer
// workspaces holds, in bytes; buffers are counted at their real size.
struct AllocatorCounts {
    std::size_t in_use = 0;       // handed to ncnn now
    std::size_t peak_requested = 0;  // most bytes ncnn asked for at once: the live set, the bound
    std::size_t peak_in_use = 0;  // most handed out at once (a reused buffer may be larger than asked)
    std::size_t cached = 0;       // freed by ncnn, kept for reuse (memory_pool)
    std::size_t peak_held = 0;    // most in use + cached at once
    std::uint64_t fresh_allocations = 0;  // requests the system served
    std::uint64_t fresh_bytes = 0;
    std::uint64_t reused = 0;             // requests a cached buffer served
};

struct MemoryCounts {
    AllocatorCounts blobs;      // feature maps (inputs and outputs of layers)
    AllocatorCounts workspace;  // per-layer scratch (padding, im2col, Winograd tiles)
};

// Wall time of each stage of one detect() call, in milliseconds.
struct StageTimes {
    double preprocess_ms = 0, inference_ms = 0, postprocess_ms = 0;
};

class Detector {
public:
    // model: a folder holding manifest.json (+ the files it names), or a .param
    // file with manifest.json beside it. bin_path: overrides the weights file.
    // Throws MissingFileError, ModelError or std::invalid_argument.
    explicit Detector(const std::string& model, const std::string& bin_path = "",
                      const DetectorOptions& options = DetectorOptions());
    ~Detector();
    Detector(const Detector&) = delete;
    Detector& operator=(const Detector&) = delete;

    // Empty images give no detections. Throws std::invalid_argument on a bad view.
    std::vector<Detection> detect(const ImageView& image, StageTimes* times = nullptr) const;
    // Also the pose uncertainty of each face (one PoseStd per detection, same order).
    std::vector<Detection> detect(const ImageView& image, std::vector<PoseStd>* pose_std,
                                  StageTimes* times = nullptr) const;

    const Manifest& manifest() const;
    MemoryCounts memory_counts() const;
    // options().powersave reports the process-wide mode in force now.
    DetectorOptions options() const;
    // Network input size used for an image of this size (after the aspect-preserving resize).
    void network_input_size(int image_height, int image_width, int* net_height, int* net_width) const;

    // Thread-safe setters: calls already running keep the values they started with.
    void set_postprocess(const PostprocessParams& params);
    void set_num_threads(int num_threads);
    void set_powersave(PowerSave mode);  // process-wide, like ncnn's own setting

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mosface
