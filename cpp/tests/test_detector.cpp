// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Error paths of Detector construction; detection itself is tested end to end
// from Python (tests/test_detector.py) on a generated model.

#include <fstream>

#include "check.hpp"
#include "mosface/detector.hpp"
#include "mosface/errors.hpp"

using namespace mosface;

int main() {
    CHECK_THROWS(Detector("/nonexistent/model"), MissingFileError, "model not found");
    std::ofstream("manifest.json") << "{}";
    CHECK_THROWS(Detector("."), ModelError, "'format' is missing");
    return TEST_MAIN_RESULT();
}
