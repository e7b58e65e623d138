// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// limits.hpp: model file names (and where their symlinks lead), regular-file reads, size checks; and manifest
// numbers under a C locale whose decimal point is ','.

#include <clocale>
#include <cstdio>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "check.hpp"
#include "mosface/errors.hpp"
#include "mosface/limits.hpp"
#include "mosface/manifest.hpp"

using namespace mosface;

static const char* kManifest = R"({"format": "mosface.manifest/1", "architecture": "a",
  "input": {"blob": "in0", "mean": [104.5, 117, 123], "norm": [0.017, 1, 1], "size_policy": "fixed",
            "height": 64, "width": 64},
  "anchors": {"steps": [8], "min_sizes": [[16.5]], "variances": [0.1, 0.2]},
  "outputs": {"loc": "a", "cls": "b", "landmarks": "c", "yaw": "d", "pitch": "e", "roll": "f"},
  "files": {"param": "model.param", "bin": "weights/model.bin"}})";

int main() {
    check_model_file_name("model.bin", "files.bin", "m");
    check_model_file_name("weights/model..bin", "files.bin", "m");  // '..' inside a name is a name
    CHECK_THROWS(check_model_file_name("../model.bin", "files.bin", "m"), ModelError, "inside the model folder");
    CHECK_THROWS(check_model_file_name("a/../../b", "files.bin", "m"), ModelError, "inside the model folder");
    CHECK_THROWS(check_model_file_name("/dev/zero", "files.bin", "m"), ModelError, "inside the model folder");
    CHECK_THROWS(check_model_file_name("a/..", "files.bin", "m"), ModelError, "inside the model folder");

    CHECK_THROWS(read_regular_file("/nonexistent/x", "weights", 10), MissingFileError, "weights not found");
    CHECK_THROWS(read_regular_file("/dev/zero", "weights", 10), ModelError, "not a regular file");
    CHECK_THROWS(read_regular_file(".", "weights", 10), ModelError, "not a regular file");
    const std::string path = "test_limits_file.bin";  // inside the build folder, removed below
    std::ofstream(path, std::ios::binary) << "0123456789";
    CHECK(read_regular_file(path, "weights", 10).size() == 10);
    CHECK_THROWS(read_regular_file(path, "weights", 9), ModelError, "10 bytes, more than the 9");
    std::remove(path.c_str());

    // Links inside the folder (build folder names, removed below): out of it refused, within it followed.
    const std::string folder = "test_limits_folder";
    const auto clean = [&folder] {  // also what an interrupted earlier run left
        for (const char* name : {"/out.bin", "/in.bin", "/up", "/model.bin"}) {
            std::remove((folder + name).c_str());
        }
        std::remove("test_limits_outside.bin");
        rmdir(folder.c_str());
    };
    clean();
    mkdir(folder.c_str(), 0700);
    std::ofstream(folder + "/model.bin") << "0";
    std::ofstream("test_limits_outside.bin") << "0";
    CHECK(symlink("../test_limits_outside.bin", (folder + "/out.bin").c_str()) == 0);
    CHECK(symlink("model.bin", (folder + "/in.bin").c_str()) == 0);
    CHECK(symlink("..", (folder + "/up").c_str()) == 0);
    CHECK_THROWS(check_resolves_inside(folder, "out.bin", "files.bin", "m"), ModelError,
                 "'files.bin' names 'out.bin', which resolves outside the model folder");
    CHECK_THROWS(check_resolves_inside(folder, "up/test_limits_outside.bin", "files.bin", "m"), ModelError,
                 "resolves outside the model folder");
    check_resolves_inside(folder, "in.bin", "files.bin", "m");
    check_resolves_inside(folder + "/", "model.bin", "files.bin", "m");
    check_resolves_inside(folder, "missing.bin", "files.bin", "m");  // left to the open that follows
    clean();

    check_image_size(1, 1, 3);
    CHECK_THROWS(check_image_size(27000, 27000, 81000), std::invalid_argument, "downscale it first");
    CHECK_THROWS(check_image_size(1, (std::uint64_t{1} << 32) + 640, 0), std::invalid_argument, "downscale");
    CHECK_THROWS(check_image_size(2, 4, std::uint64_t{1} << 31), std::invalid_argument, "row stride");
    CHECK_THROWS(check_input_size(kMaxInputSide + 1, 64), std::invalid_argument, "1..8192");
    CHECK_THROWS(check_num_threads(kMaxThreads + 1), std::invalid_argument, "num_threads must be 0..256");

    // Numbers do not follow LC_NUMERIC (skipped where no such locale is installed).
    for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "ru_RU.UTF-8"}) {
        if (std::setlocale(LC_ALL, name) != nullptr) {
            const Manifest m = Manifest::parse(kManifest, "m");
            CHECK(m.mean[0] == 104.5f);
            CHECK(m.norm[0] == 0.017f);
            CHECK(m.anchors.min_sizes[0][0] == 16.5f);
            std::setlocale(LC_ALL, "C");
            break;
        }
    }
    CHECK(Manifest::parse(kManifest, "m").bin_file == "weights/model.bin");
    return TEST_MAIN_RESULT();
}
