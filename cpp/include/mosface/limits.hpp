// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Documented limits on what the runtime accepts from outside (options, images,
// manifests, model files). Beyond them ncnn's int arithmetic overflows or a
// process runs out of memory or threads, so they are refused up front with
// std::invalid_argument (ValueError in Python) or ModelError.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mosface {

// Network input side: ncnn computes w * h (and w * h * channels) in int;
// 8192 keeps every MOS feature map far from 2^31 elements.
constexpr int kMaxInputSide = 8192;
// Image bytes (height * row stride): ncnn's resize takes int sizes and strides.
constexpr std::uint64_t kMaxImageBytes = (std::uint64_t{1} << 31) - 1;
// ncnn worker threads: libgomp hangs or exits the process with many thousands.
constexpr int kMaxThreads = 256;
// Anchor levels and sizes per level in a manifest.
constexpr std::size_t kMaxAnchorLevels = 8;
constexpr std::size_t kMaxAnchorsPerCell = 64;
// Channels of a sparse pose-head layer (MOS: 64 in, 128 hidden, 2 x 66 out).
constexpr int kMaxPoseChannels = 4096;
// Box variances: RetinaFace's are 0.1 and 0.2; far larger ones decode to infinity.
constexpr float kMaxVariance = 1.0f;
// Decoded coordinates (pixels): a few times the widest image allowed. Beyond
// this the network output is broken, and box areas would overflow float.
constexpr float kMaxDecodedCoordinate = 1e10f;
// Model files read into memory.
constexpr std::uint64_t kMaxManifestBytes = std::uint64_t{1} << 20;
constexpr std::uint64_t kMaxParamBytes = std::uint64_t{64} << 20;
constexpr std::uint64_t kMaxWeightsBytes = std::uint64_t{2} << 30;

// Throws std::invalid_argument unless 1 <= height, width <= kMaxInputSide.
void check_input_size(int height, int width);
// Throws std::invalid_argument unless 0 <= num_threads <= kMaxThreads (0: ncnn's default).
void check_num_threads(int num_threads);
// Throws std::invalid_argument when an image of these dimensions does not fit kMaxImageBytes
// or int (height, width, row stride).
void check_image_size(std::uint64_t height, std::uint64_t width, std::uint64_t row_stride);

// The bytes of a regular file of at most max_bytes. Never blocks on a FIFO or
// device. Throws MissingFileError when absent, ModelError when not a regular
// file or too large; `what` names the file's role in messages.
std::vector<unsigned char> read_regular_file(const std::string& path, const char* what, std::uint64_t max_bytes);

// The same checks without reading: for files a caller then streams itself.
void check_regular_file(const std::string& path, const char* what, std::uint64_t max_bytes);

// Throws ModelError unless `name` (from a manifest) is a relative path inside
// the model folder: not absolute, no '..' component, no empty name.
void check_model_file_name(const std::string& name, const std::string& field, const std::string& origin);

// Throws ModelError when `folder`/`name` resolves, symlinks followed, to a path outside the
// folder's own resolved path: a link inside the folder leads out as '..' does. A name that
// does not resolve (missing file, dangling link) passes: opening it then reports that.
void check_resolves_inside(const std::string& folder, const std::string& name, const std::string& field,
                           const std::string& origin);

}  // namespace mosface
