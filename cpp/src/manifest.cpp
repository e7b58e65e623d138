// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "mosface/manifest.hpp"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "json.hpp"
#include "mosface/errors.hpp"
#include "mosface/limits.hpp"

namespace mosface {

namespace {

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

// (manifest field, file name) of every model file the manifest names.
std::vector<std::pair<std::string, std::string>> named_files(const Manifest& manifest) {
    std::vector<std::pair<std::string, std::string>> files = {{"files.param", manifest.param_file},
                                                              {"files.bin", manifest.bin_file}};
    if (manifest.pose_heads == PoseHeads::sparse) {
        files.emplace_back("sparse_pose.file", manifest.sparse_pose.file);
    }
    return files;
}

// Reads typed fields and names the JSON path of anything missing or mistyped.
class FieldReader {
public:
    explicit FieldReader(std::string origin) : origin_(std::move(origin)) {}

    [[noreturn]] void fail(const std::string& path, const std::string& what) const {
        throw ModelError(origin_ + ": field '" + path + "' " + what +
                         " (regenerate the model with `mosface convert`)");
    }

    const json::Value& get(const json::Value& parent, const std::string& path, const std::string& key,
                           json::Value::Kind kind) const {
        const json::Value* value = parent.find(key);
        const std::string full = join(path, key);
        if (value == nullptr) {
            fail(full, "is missing");
        }
        expect_kind(*value, full, kind);
        return *value;
    }

    void expect_kind(const json::Value& value, const std::string& path, json::Value::Kind kind) const {
        if (value.kind != kind) {
            fail(path, std::string("must be a ") + json::kind_name(kind) + ", found a " + json::kind_name(value.kind));
        }
    }

    std::string string(const json::Value& parent, const std::string& path, const std::string& key) const {
        const std::string& text = get(parent, path, key, json::Value::Kind::string).string;
        if (text.empty()) {
            fail(join(path, key), "is empty");
        }
        return text;
    }

    bool boolean(const json::Value& parent, const std::string& path, const std::string& key) const {
        return get(parent, path, key, json::Value::Kind::boolean).boolean;
    }

    std::size_t offset(const json::Value& parent, const std::string& path, const std::string& key) const {
        const double number = get(parent, path, key, json::Value::Kind::number).number;
        if (!(number >= 0 && number < 1e12) || std::floor(number) != number) {
            fail(join(path, key), "must be a non-negative integer");
        }
        return static_cast<std::size_t>(number);
    }

    int positive_int(const json::Value& parent, const std::string& path, const std::string& key, int max) const {
        return checked_positive_int(get(parent, path, key, json::Value::Kind::number).number, join(path, key), max);
    }

    int checked_positive_int(double number, const std::string& path, int max) const {
        if (!(number >= 1 && number <= max) || std::floor(number) != number) {
            fail(path, "must be a positive integer up to " + std::to_string(max));
        }
        return static_cast<int>(number);
    }

    // At most max_count finite numbers.
    std::vector<float> numbers(const json::Value& array, const std::string& path, std::size_t max_count) const {
        const std::vector<float> values = numbers(array, path);
        if (values.size() > max_count) {
            fail(path, "holds more than " + std::to_string(max_count) + " numbers");
        }
        return values;
    }

    std::vector<float> numbers(const json::Value& array, const std::string& path) const {
        expect_kind(array, path, json::Value::Kind::array);
        std::vector<float> out;
        for (std::size_t i = 0; i < array.array.size(); ++i) {
            expect_kind(array.array[i], path + "[" + std::to_string(i) + "]", json::Value::Kind::number);
            const float value = static_cast<float>(array.array[i].number);
            if (!std::isfinite(value)) {
                fail(path + "[" + std::to_string(i) + "]", "must be a finite float32 number");
            }
            out.push_back(value);
        }
        return out;
    }

    std::array<float, 3> triple(const json::Value& parent, const std::string& path, const std::string& key) const {
        const std::vector<float> values = numbers(get(parent, path, key, json::Value::Kind::array), join(path, key));
        if (values.size() != 3) {
            fail(join(path, key), "must hold 3 numbers (B, G, R)");
        }
        return {values[0], values[1], values[2]};
    }

private:
    std::string origin_;
};

PoseLayerSpec parse_pose_layer(const FieldReader& read, const json::Value& value, const std::string& path) {
    read.expect_kind(value, path, json::Value::Kind::object);
    PoseLayerSpec layer;
    const std::string kind = read.string(value, path, "kind");
    if (kind == "conv1x1") {
        layer.kind = PoseLayerSpec::Kind::conv1x1;
    } else if (kind == "conv3x3") {
        layer.kind = PoseLayerSpec::Kind::conv3x3;
    } else if (kind == "depthwise3x3") {
        layer.kind = PoseLayerSpec::Kind::depthwise3x3;
    } else {
        read.fail(path + ".kind", "must be conv1x1, conv3x3 or depthwise3x3, found \"" + kind + "\"");
    }
    layer.in = read.positive_int(value, path, "in", kMaxPoseChannels);
    layer.out = read.positive_int(value, path, "out", kMaxPoseChannels);
    layer.relu = read.boolean(value, path, "relu");
    layer.ones_channel = read.boolean(value, path, "ones_channel");
    layer.weight_offset = read.offset(value, path, "weight");
    layer.bias_offset = read.offset(value, path, "bias");
    return layer;
}

std::vector<PoseLayerSpec> parse_pose_layers(const FieldReader& read, const json::Value& array,
                                             const std::string& path) {
    read.expect_kind(array, path, json::Value::Kind::array);
    std::vector<PoseLayerSpec> layers;
    for (std::size_t i = 0; i < array.array.size(); ++i) {
        layers.push_back(parse_pose_layer(read, array.array[i], path + "[" + std::to_string(i) + "]"));
    }
    return layers;
}

// The layer shapes are checked when the weights are loaded (SparsePoseHeads).
SparsePoseSpec parse_sparse_pose(const FieldReader& read, const json::Value& root) {
    const json::Value& section = read.get(root, "", "sparse_pose", json::Value::Kind::object);
    SparsePoseSpec spec;
    spec.file = read.string(section, "sparse_pose", "file");
    const json::Value& blobs = read.get(section, "sparse_pose", "features", json::Value::Kind::array);
    for (std::size_t i = 0; i < blobs.array.size(); ++i) {
        const std::string path = "sparse_pose.features[" + std::to_string(i) + "]";
        read.expect_kind(blobs.array[i], path, json::Value::Kind::string);
        spec.feature_blobs.push_back(blobs.array[i].string);
    }
    spec.channels = read.positive_int(section, "sparse_pose", "channels", kMaxPoseChannels);
    spec.anchors_per_cell = read.positive_int(section, "sparse_pose", "anchors_per_cell",
                                              static_cast<int>(kMaxAnchorsPerCell));
    spec.bins = read.positive_int(section, "sparse_pose", "bins", kMaxPoseChannels);
    spec.floats = read.offset(section, "sparse_pose", "floats");
    const json::Value& levels = read.get(section, "sparse_pose", "levels", json::Value::Kind::array);
    for (std::size_t level = 0; level < levels.array.size(); ++level) {
        const std::string path = "sparse_pose.levels[" + std::to_string(level) + "]";
        read.expect_kind(levels.array[level], path, json::Value::Kind::object);
        SparsePoseLevel entry;
        entry.trunk = parse_pose_layers(read, read.get(levels.array[level], path, "trunk", json::Value::Kind::array),
                                        path + ".trunk");
        const json::Value& angles = read.get(levels.array[level], path, "angles", json::Value::Kind::array);
        if (angles.array.size() != 3) {
            read.fail(path + ".angles", "must hold 3 layer lists (yaw, pitch, roll)");
        }
        for (std::size_t angle = 0; angle < 3; ++angle) {
            entry.angles[angle] =
                parse_pose_layers(read, angles.array[angle], path + ".angles[" + std::to_string(angle) + "]");
        }
        spec.levels.push_back(std::move(entry));
    }
    return spec;
}

}  // namespace

Manifest Manifest::parse(const std::string& text, const std::string& origin) {
    json::Value root;
    try {
        root = json::parse(text);
    } catch (const json::ParseError& error) {
        throw ModelError(origin + ": not valid JSON: " + error.what());
    }
    const FieldReader read(origin);
    read.expect_kind(root, "(top level)", json::Value::Kind::object);
    const std::string format = read.string(root, "", "format");
    if (format != "mosface.manifest/1") {
        read.fail("format", "is '" + format + "', this runtime reads 'mosface.manifest/1'");
    }

    Manifest manifest;
    manifest.architecture = read.string(root, "", "architecture");

    const json::Value& input = read.get(root, "", "input", json::Value::Kind::object);
    manifest.input_blob = read.string(input, "input", "blob");
    manifest.mean = read.triple(input, "input", "mean");
    manifest.norm = read.triple(input, "input", "norm");
    for (float norm : manifest.norm) {
        if (!(norm > 0.f)) {
            read.fail("input.norm", "must hold 3 numbers > 0 (0 or less would erase or invert the image)");
        }
    }
    const std::string policy = read.string(input, "input", "size_policy");
    if (policy == "fixed") {
        manifest.size_policy = SizePolicy::fixed;
    } else if (policy == "dynamic") {
        manifest.size_policy = SizePolicy::dynamic;
    } else {
        read.fail("input.size_policy", "must be \"fixed\" or \"dynamic\", found \"" + policy + "\"");
    }
    manifest.input_height = read.positive_int(input, "input", "height", kMaxInputSide);
    manifest.input_width = read.positive_int(input, "input", "width", kMaxInputSide);

    const json::Value& anchors = read.get(root, "", "anchors", json::Value::Kind::object);
    const std::vector<float> steps = read.numbers(read.get(anchors, "anchors", "steps", json::Value::Kind::array),
                                                  "anchors.steps", kMaxAnchorLevels);
    for (std::size_t i = 0; i < steps.size(); ++i) {
        manifest.anchors.steps.push_back(
            read.checked_positive_int(steps[i], "anchors.steps[" + std::to_string(i) + "]", kMaxInputSide));
    }
    const json::Value& min_sizes = read.get(anchors, "anchors", "min_sizes", json::Value::Kind::array);
    if (min_sizes.array.size() > kMaxAnchorLevels) {
        read.fail("anchors.min_sizes", "holds more than " + std::to_string(kMaxAnchorLevels) + " levels");
    }
    for (std::size_t level = 0; level < min_sizes.array.size(); ++level) {
        manifest.anchors.min_sizes.push_back(read.numbers(
            min_sizes.array[level], "anchors.min_sizes[" + std::to_string(level) + "]", kMaxAnchorsPerCell));
    }
    const std::vector<float> variances =
        read.numbers(read.get(anchors, "anchors", "variances", json::Value::Kind::array), "anchors.variances");
    if (variances.size() != 2) {
        read.fail("anchors.variances", "must hold 2 numbers (centre, size)");
    }
    manifest.anchors.center_variance = variances[0];
    manifest.anchors.size_variance = variances[1];
    try {
        manifest.anchors.validate();
    } catch (const std::invalid_argument& error) {
        throw ModelError(origin + ": " + error.what());
    }

    const json::Value& outputs = read.get(root, "", "outputs", json::Value::Kind::object);
    const json::Value* pose_heads = root.find("pose_heads");
    if (pose_heads != nullptr) {
        read.expect_kind(*pose_heads, "pose_heads", json::Value::Kind::string);
        if (pose_heads->string == "sparse") {
            manifest.pose_heads = PoseHeads::sparse;
            manifest.sparse_pose = parse_sparse_pose(read, root);
        } else if (pose_heads->string != "dense") {
            read.fail("pose_heads", "must be \"dense\" or \"sparse\", found \"" + pose_heads->string + "\"");
        }
    }
    const int roles = manifest.pose_heads == PoseHeads::sparse ? 3 : 6;
    for (int i = 0; i < roles; ++i) {
        manifest.output_blobs[i] = read.string(outputs, "outputs", kOutputRoles[i]);
    }

    const json::Value& files = read.get(root, "", "files", json::Value::Kind::object);
    manifest.param_file = read.string(files, "files", "param");
    manifest.bin_file = read.string(files, "files", "bin");
    for (const auto& [field, name] : named_files(manifest)) {
        check_model_file_name(name, field, origin);
    }
    return manifest;
}

Manifest Manifest::load(const std::string& path) {
    std::vector<unsigned char> bytes;
    try {
        bytes = read_regular_file(path, "manifest", kMaxManifestBytes);
    } catch (const MissingFileError&) {
        throw MissingFileError("manifest not found: " + path +
                               " (a converted model folder holds manifest.json, model.param and model.bin)");
    }
    Manifest manifest = parse(std::string(bytes.begin(), bytes.end()), path);
    const std::size_t slash = path.find_last_of('/');
    const std::string folder = slash == std::string::npos ? std::string(".") : path.substr(0, slash + 1);
    for (const auto& [field, name] : named_files(manifest)) {
        check_resolves_inside(folder, name, field, path);
    }
    return manifest;
}

}  // namespace mosface
