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
#include "mosface/limits.hpp"
#include "mosface/manifest.hpp"
#include "mosface/postprocess.hpp"

namespace mosface {

// ncnn's core sets: 0 all cores, 1 little cores only, 2 big cores only. A
// Detector pins the threads that run its inference (the calling thread and its
// OpenMP team) to the set before each detect(); `keep` leaves affinity alone.
// A mode whose set is empty on this CPU (little on most x86) is refused.
enum class PowerSave { keep = -1, all = 0, little = 1, big = 2 };

struct DetectorOptions {
    PostprocessParams postprocess;
    // 0: ncnn's default, the number of physical big cores; at most kMaxThreads.
    // Fixed at construction: ncnn's convolutions keep the count they were loaded with.
    int num_threads = 0;
    PowerSave powersave = PowerSave::keep;  // applied to the threads running each detect()
    bool fp16 = false;        // fp16 storage and arithmetic where the CPU has them
    bool light_mode = true;   // free intermediate blobs early (less memory)
    // Feature maps and workspaces in one block planned from the previous call
    // at the same network size (about the largest live set; see FrameArena in
    // docs/memory.md), kept between calls. false: malloc alone, nothing kept
    // between calls, but heap fragmentation and page faults on every call.
    bool memory_pool = true;
    int input_height = 0;     // 0: the manifest's size; at most kMaxInputSide per side
    int input_width = 0;
};

// Bytes of one kind of ncnn buffer: feature maps (blobs) or layer workspaces.
struct AllocatorCounts {
    std::size_t in_use = 0;          // handed to ncnn now (as requested)
    std::size_t peak_requested = 0;  // most bytes of this kind alive at once
    std::uint64_t from_block = 0;    // requests served inside the planned block
    std::uint64_t from_system = 0;   // requests the system served (first call at a size, misses)
    std::uint64_t system_bytes = 0;
};

struct MemoryCounts {
    AllocatorCounts blobs;      // feature maps (inputs and outputs of layers)
    AllocatorCounts workspace;  // per-layer scratch (padding, im2col, Winograd tiles)
    std::size_t live_peak = 0;  // most bytes of both kinds alive at once: what a perfect plan needs
    std::size_t block_bytes = 0;       // the planned block now (0: none yet, or memory_pool off)
    std::size_t block_peak_bytes = 0;  // the largest it has been
    std::uint64_t plans = 0;           // plans made: one per new network size, or after a miss
    std::uint64_t misses = 0;          // requests the block could not serve as planned
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

    // Empty images give no detections. Throws std::invalid_argument on a bad or
    // too large view, or when the network output decodes out of range.
    std::vector<Detection> detect(const ImageView& image, StageTimes* times = nullptr) const;
    // Also the pose uncertainty of each face (one PoseStd per detection, same order).
    std::vector<Detection> detect(const ImageView& image, std::vector<PoseStd>* pose_std,
                                  StageTimes* times = nullptr) const;

    const Manifest& manifest() const;
    MemoryCounts memory_counts() const;
    // options().powersave: the mode this Detector applies to its inference threads.
    DetectorOptions options() const;
    // Network input size used for an image of this size (after the aspect-preserving resize).
    void network_input_size(int image_height, int image_width, int* net_height, int* net_width) const;

    // Thread-safe setters: calls already running keep the values they started with.
    void set_postprocess(const PostprocessParams& params);
    void set_powersave(PowerSave mode);  // takes effect on each thread's next detect()

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mosface
