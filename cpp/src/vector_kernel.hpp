// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// What mosface's own convolution kernels (depthwise3x3, pointwise) share: float
// vectors of an ncnn element pack (GCC/Clang vector extensions, which compile to
// AVX2/FMA here), the activations ncnn fuses into convolutions, applied in
// registers, and reading a convolution's weights as ncnn's layers do.
#pragma once

#include <cstddef>
#include <cstring>
#include <type_traits>

#include "mat.h"
#include "modelbin.h"

namespace mosface {

// The kernels are written for x86 with AVX2/FMA, where the compiler makes them
// FMA vector code that beats ncnn's. On aarch64, ncnn's hand-scheduled assembly
// takes fewer instructions than these compile to (counted under qemu: the
// depthwise kernel +0.5% on mos-tiny 320x240, +4% on MOS-M), and a portable x86
// build dispatches ncnn's AVX kernels at run time: there the rewrites are off.
#if defined(__AVX2__) && defined(__FMA__)
constexpr bool kVectorKernels = true;
#else
constexpr bool kVectorKernels = false;
#endif

template <int P>
struct Lanes {
    typedef float type __attribute__((vector_size(P * sizeof(float))));
};

template <class V>
inline V load(const float* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <class V>
inline void store(float* p, V v) {
    std::memcpy(p, &v, sizeof v);
}

template <class V>
inline V splat(float value) {
    return V{} + value;
}

// ncnn's fused activations that the kernels apply: none, ReLU, leaky ReLU, clip (ReLU6).
enum class Kind { none, relu, leaky, clip };
struct Clamp {
    Kind kind = Kind::none;
    float a = 0.f;  // leaky: the slope; clip: the minimum
    float b = 0.f;  // clip: the maximum
};

// Whether the kernels apply ncnn's activation_type: none, ReLU, leaky ReLU, clip.
inline bool kernel_activation(int type) { return type >= 0 && type <= 3; }

// ncnn's activation_type and activation_params; false for the others (sigmoid, mish...).
inline bool clamp_of(int type, const ncnn::Mat& params, Clamp* clamp) {
    switch (type) {
    case 0:
        *clamp = Clamp{};
        return true;
    case 1:
        *clamp = Clamp{Kind::relu, 0.f, 0.f};
        return true;
    case 2:
        if (params.w < 1) {
            return false;
        }
        *clamp = Clamp{Kind::leaky, params[0], 0.f};
        return true;
    case 3:
        if (params.w < 2) {
            return false;
        }
        *clamp = Clamp{Kind::clip, params[0], params[1]};
        return clamp->a <= clamp->b;
    default:
        return false;
    }
}

// The activation on a vector, its kind fixed at compile time (no work for none).
template <class V, Kind K>
struct Activation {
    V a, b;
    explicit Activation(const Clamp& clamp) : a(splat<V>(clamp.a)), b(splat<V>(clamp.b)) {}
    V operator()(V v) const {
        const V zero = {};
        if (K == Kind::relu) {
            v = v < zero ? zero : v;  // maxps
        } else if (K == Kind::leaky) {
            v = v < zero ? v * a : v;
        } else if (K == Kind::clip) {
            v = v < a ? a : v;  // maxps
            v = v > b ? b : v;  // minps
        }
        return v;
    }
};

// Calls run(std::integral_constant<Kind, kind>{}): the activation kind as a
// compile-time constant for a generic lambda (decltype(k)::value).
template <class Run>
inline int with_activation(Kind kind, Run&& run) {
    switch (kind) {
    case Kind::none:
        return run(std::integral_constant<Kind, Kind::none>{});
    case Kind::relu:
        return run(std::integral_constant<Kind, Kind::relu>{});
    case Kind::leaky:
        return run(std::integral_constant<Kind, Kind::leaky>{});
    default:
        return run(std::integral_constant<Kind, Kind::clip>{});
    }
}

// A convolution's weights and bias from the .bin, as ncnn's Convolution reads
// them (a missing bias is zeros); 0, or -100 when the file ends first.
inline int load_weights(const ncnn::ModelBin& mb, int weight_count, int outputs, bool bias_term, ncnn::Mat* weights,
                        ncnn::Mat* bias) {
    *weights = mb.load(weight_count, 0);
    *bias = bias_term ? mb.load(outputs, 1) : ncnn::Mat(outputs);
    if (weights->empty() || bias->empty()) {
        return -100;
    }
    if (!bias_term) {
        bias->fill(0.f);
    }
    return 0;
}

}  // namespace mosface
