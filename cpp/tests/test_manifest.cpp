// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "check.hpp"
#include "mosface/errors.hpp"
#include "mosface/manifest.hpp"

using namespace mosface;

static const char* kValid = R"({
  "format": "mosface.manifest/1",
  "architecture": "mos-s",
  "input": {"blob": "in0", "mean": [104, 117, 123], "norm": [1, 1, 1],
            "size_policy": "dynamic", "height": 480, "width": 640},
  "anchors": {"steps": [8, 16, 32], "min_sizes": [[16, 32], [64, 128], [256, 512]],
              "variances": [0.1, 0.2]},
  "outputs": {"loc": "out0", "cls": "out1", "landmarks": "out2", "yaw": "out3", "pitch": "out4", "roll": "out5"},
  "files": {"param": "model.param", "bin": "model.bin"},
  "provenance": {"note": "unicode \u00e9 and escapes \" \\ are fine", "list": [true, false, null, -1.5e3]}
})";

static std::string with(const std::string& from, const std::string& to) {
    std::string text = kValid;
    text.replace(text.find(from), from.size(), to);
    return text;
}

int main() {
    const Manifest m = Manifest::parse(kValid, "test");
    CHECK(m.architecture == "mos-s");
    CHECK(m.input_blob == "in0");
    CHECK(m.size_policy == SizePolicy::dynamic);
    CHECK(m.input_height == 480 && m.input_width == 640);
    CHECK(m.mean[0] == 104.f && m.mean[2] == 123.f);
    CHECK(m.anchors.steps.size() == 3 && m.anchors.steps[2] == 32);
    CHECK(m.anchors.min_sizes[1][1] == 128.f);
    CHECK_NEAR(m.anchors.size_variance, 0.2, 1e-7);
    CHECK(m.output_blobs[5] == "out5");
    CHECK(m.bin_file == "model.bin");

    CHECK_THROWS(Manifest::parse("{", "m.json"), ModelError, "m.json: not valid JSON");
    CHECK_THROWS(Manifest::parse("[1, 2]", "m.json"), ModelError, "must be a object");
    CHECK_THROWS(Manifest::parse(with("\"dynamic\"", "\"elastic\""), "m"), ModelError, "size_policy");
    CHECK_THROWS(Manifest::parse(with("\"height\": 480", "\"height\": 480.5"), "m"), ModelError,
                 "input.height' must be a positive integer");
    CHECK_THROWS(Manifest::parse(with("\"yaw\": \"out3\", ", ""), "m"), ModelError, "'outputs.yaw' is missing");
    CHECK_THROWS(Manifest::parse(with("[104, 117, 123]", "[104, \"g\", 123]"), "m"), ModelError,
                 "input.mean[1]' must be a number");
    CHECK_THROWS(Manifest::parse(with("[0.1, 0.2]", "[0.1]"), "m"), ModelError, "variances");
    CHECK_THROWS(Manifest::parse(with("mosface.manifest/1", "mosface.manifest/9"), "m"), ModelError,
                 "this runtime reads");
    CHECK_THROWS(Manifest::parse(std::string(200, '[') + std::string(200, ']'), "m"), ModelError, "too deep");
    CHECK_THROWS(Manifest::parse(with("\"architecture\": \"mos-s\"", "\"architecture\": \"\""), "m"), ModelError,
                 "field 'architecture' is empty");
    CHECK_THROWS(Manifest::parse(with("[8, 16, 32]", "[8.5, 16, 32]"), "m"), ModelError,
                 "anchors.steps[0]' must be a positive integer");
    CHECK_THROWS(Manifest::load("/nonexistent/manifest.json"), MissingFileError, "manifest not found");
    return TEST_MAIN_RESULT();
}
