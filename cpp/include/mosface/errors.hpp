// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Exceptions thrown by the mosface core. The Python binding maps them to
// FileNotFoundError (MissingFileError), ValueError (std::invalid_argument) and
// RuntimeError (everything else).
#pragma once

#include <stdexcept>
#include <string>

namespace mosface {

// A file the caller named (model, weights, manifest) does not exist or cannot be opened.
class MissingFileError : public std::runtime_error {
public:
    explicit MissingFileError(const std::string& message) : std::runtime_error(message) {}
};

// A model file exists but cannot be used: corrupt, truncated, or not what the manifest says.
class ModelError : public std::runtime_error {
public:
    explicit ModelError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace mosface
