// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// Minimal test helpers (ncnn's tests use plain executables too): each test
// binary returns non-zero when a check failed and prints what and where.
#pragma once

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace mosface_test {
inline int failures = 0;
}

#define CHECK(condition)                                                              \
    do {                                                                              \
        if (!(condition)) {                                                           \
            std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #condition); \
            ++mosface_test::failures;                                                 \
        }                                                                             \
    } while (0)

#define CHECK_NEAR(actual, expected, tolerance)                                                  \
    do {                                                                                         \
        const double a_ = (actual), e_ = (expected);                                             \
        if (!(std::fabs(a_ - e_) <= (tolerance))) {                                              \
            std::fprintf(stderr, "%s:%d: %s = %.9g, expected %.9g (tolerance %g)\n", __FILE__, __LINE__, \
                         #actual, a_, e_, static_cast<double>(tolerance));                      \
            ++mosface_test::failures;                                                            \
        }                                                                                        \
    } while (0)

// Checks that `statement` throws `type` whose message contains `fragment`.
#define CHECK_THROWS(statement, type, fragment)                                                        \
    do {                                                                                               \
        bool thrown_ = false;                                                                          \
        try {                                                                                          \
            statement;                                                                                 \
        } catch (const type& error_) {                                                                 \
            thrown_ = std::string(error_.what()).find(fragment) != std::string::npos;                  \
            if (!thrown_) std::fprintf(stderr, "%s:%d: message '%s' lacks '%s'\n", __FILE__, __LINE__, \
                                       error_.what(), fragment);                                       \
        }                                                                                              \
        if (!thrown_) {                                                                                \
            std::fprintf(stderr, "%s:%d: %s did not throw %s\n", __FILE__, __LINE__, #statement, #type); \
            ++mosface_test::failures;                                                                  \
        }                                                                                              \
    } while (0)

#define TEST_MAIN_RESULT()                                                              \
    (mosface_test::failures == 0 ? (std::printf("ok\n"), 0)                             \
                                 : (std::fprintf(stderr, "%d failure(s)\n", mosface_test::failures), 1))
