// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "mosface/manifest.hpp"

#include <cmath>

#include "json.hpp"
#include "mosface/errors.hpp"
#include "mosface/limits.hpp"

namespace mosface {

namespace {

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

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
    for (int i = 0; i < 6; ++i) {
        manifest.output_blobs[i] = read.string(outputs, "outputs", kOutputRoles[i]);
    }

    const json::Value& files = read.get(root, "", "files", json::Value::Kind::object);
    manifest.param_file = read.string(files, "files", "param");
    manifest.bin_file = read.string(files, "files", "bin");
    check_model_file_name(manifest.param_file, "files.param", origin);
    check_model_file_name(manifest.bin_file, "files.bin", origin);
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
    return parse(std::string(bytes.begin(), bytes.end()), path);
}

}  // namespace mosface
