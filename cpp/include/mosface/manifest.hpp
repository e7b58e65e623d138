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
#pragma once

#include <array>
#include <string>

#include "mosface/priors.hpp"

namespace mosface {

enum class SizePolicy { fixed, dynamic };

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
    // Output blob names in the order loc, cls, landmarks, yaw, pitch, roll.
    std::array<std::string, 6> output_blobs;
    std::string param_file;
    std::string bin_file;

    // Throws MissingFileError when absent, ModelError naming the field when malformed.
    static Manifest load(const std::string& path);
    // origin names the source in error messages.
    static Manifest parse(const std::string& text, const std::string& origin);
};

}  // namespace mosface
