// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Error paths of Detector construction; detection itself is tested end to end
// from Python (tests/test_detector.py) on a generated model.

#include <cstdio>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "check.hpp"
#include "mosface/detector.hpp"
#include "mosface/errors.hpp"

using namespace mosface;

int main() {
    CHECK_THROWS(Detector("/nonexistent/model"), MissingFileError, "model not found");
    const std::string folder = "test_detector_model";  // inside the build folder, removed below
    mkdir(folder.c_str(), 0755);
    std::ofstream(folder + "/manifest.json") << "{}";
    CHECK_THROWS(Detector{folder}, ModelError, "'format' is missing");
    std::remove((folder + "/manifest.json").c_str());
    rmdir(folder.c_str());
    return TEST_MAIN_RESULT();
}
