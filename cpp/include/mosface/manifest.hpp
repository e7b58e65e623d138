// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// manifest.json, written by `mosface convert` beside model.param / model.bin:
// everything the runtime must know about a converted model (input blob, mean,
// size policy, anchors, output blob names) so no constant is duplicated.
//
// {
//   "format": "mosface.manifest/1",
//   "architecture": "mos-s",
//   "input":   {"blob": "in0", "mean": [104, 117, 123], "norm": [1, 1, 1],
//               "size_policy": "fixed" | "dynamic", "height": 640, "width": 640},
//   "anchors": {"steps": [8, 16, 32], "min_sizes": [[16, 32], [64, 128], [256, 512]],
//               "variances": [0.1, 0.2]},
//   "outputs": {"loc": "out0", "cls": "out1", "landmarks": "out2",
//               "yaw": "out3", "pitch": "out4", "roll": "out5"},
//   "files":   {"param": "model.param", "bin": "model.bin"},
//   ... (provenance and parity figures, ignored by the runtime)
// }
// With "fixed", the graph only works at height x width; with "dynamic" any
// size works and height x width is the default box images are fitted into.
//
// "pose_heads": "sparse" (absent: "dense"): the graph outputs loc, cls and
// landmarks only, plus per level the feature map that feeds the pose
// branches; "sparse_pose" describes the pose layers stored in
// files.pose_heads (see convert/sparse_pose.py), which the Detector runs for
// the kept faces only (pose_heads.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "mosface/priors.hpp"

namespace mosface {

enum class SizePolicy { fixed, dynamic };
enum class PoseHeads { dense, sparse };

// One layer of a sparse pose chain; offsets count floats into the pose heads file.
struct PoseLayerSpec {
    enum class Kind { conv1x1, conv3x3, depthwise3x3 };
    Kind kind = Kind::conv1x1;
    int in = 0;
    int out = 0;
    bool relu = false;
    bool ones_channel = false;  // conv3x3: one more input channel, 1 inside the map, 0 outside
    std::size_t weight_offset = 0;
    std::size_t bias_offset = 0;
};

struct SparsePoseLevel {
    std::vector<PoseLayerSpec> trunk;                   // shared by the angles (may be empty)
    std::array<std::vector<PoseLayerSpec>, 3> angles;  // yaw, pitch, roll
};

struct SparsePoseSpec {
    std::string file;
    std::vector<std::string> feature_blobs;  // per level: (channels, rows, cols)
    int channels = 0;
    int anchors_per_cell = 0;
    int bins = 0;
    std::size_t floats = 0;  // size of the file in floats
    std::vector<SparsePoseLevel> levels;
};

// The six head outputs by role, in the order of Manifest::output_blobs and
// HeadOutputs; the names are the keys of the manifest's "outputs".
constexpr const char* kOutputRoles[6] = {"loc", "cls", "landmarks", "yaw", "pitch", "roll"};

struct Manifest {
    std::string architecture;
    std::string input_blob;
    std::array<float, 3> mean{};  // subtracted from B, G, R
    std::array<float, 3> norm{};  // then multiplied
    SizePolicy size_policy = SizePolicy::fixed;
    int input_height = 0;
    int input_width = 0;
    AnchorConfig anchors;
    // Output blob names in the order loc, cls, landmarks, yaw, pitch, roll
    // (sparse pose heads: the first three only).
    std::array<std::string, 6> output_blobs;
    PoseHeads pose_heads = PoseHeads::dense;
    SparsePoseSpec sparse_pose;  // with PoseHeads::sparse
    std::string param_file;
    std::string bin_file;

    // Throws MissingFileError when absent, ModelError naming the field when malformed.
    static Manifest load(const std::string& path);
    // origin names the source in error messages.
    static Manifest parse(const std::string& text, const std::string& origin);
};

}  // namespace mosface
