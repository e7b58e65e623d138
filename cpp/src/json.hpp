// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// A small JSON reader for manifest.json (internal). Full JSON syntax, values
// kept as a tree; numbers as double. Enough for a few-kilobyte file, and it
// keeps the core free of third-party dependencies for cross builds.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mosface {
namespace json {

class ParseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Value {
    enum class Kind { null, boolean, number, string, array, object };
    Kind kind = Kind::null;
    bool boolean = false;
    double number = 0;
    std::string string;
    std::vector<Value> array;
    std::map<std::string, Value> object;

    // nullptr when this is not an object or has no such key.
    const Value* find(const std::string& key) const;
};

// Throws ParseError with the byte offset of the problem.
Value parse(const std::string& text);

const char* kind_name(Value::Kind kind);

}  // namespace json
}  // namespace mosface
