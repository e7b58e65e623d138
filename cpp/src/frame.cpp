// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "frame.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "mat.h"

namespace mosface {

namespace {

bool is_yuv(PixelFormat format) { return format == PixelFormat::nv12 || format == PixelFormat::nv21; }

int bytes_per_pixel(PixelFormat format) {
    switch (format) {
        case PixelFormat::bgr:
        case PixelFormat::rgb: return 3;
        case PixelFormat::bgra:
        case PixelFormat::rgba: return 4;
        default: return 1;  // gray and the Y plane of nv12/nv21
    }
}

// After YUV conversion, ncnn's helpers give RGB.
int ncnn_type_to_bgr(PixelFormat format) {
    switch (format) {
        case PixelFormat::bgr: return ncnn::Mat::PIXEL_BGR;
        case PixelFormat::bgra: return ncnn::Mat::PIXEL_BGRA2BGR;
        case PixelFormat::rgba: return ncnn::Mat::PIXEL_RGBA2BGR;
        case PixelFormat::gray: return ncnn::Mat::PIXEL_GRAY2BGR;
        default: return ncnn::Mat::PIXEL_RGB2BGR;  // rgb, nv12, nv21
    }
}

// kanna_rotate's EXIF orientation codes: 6 turns the image 90 degrees clockwise, 3 by 180, 8 by 270.
int kanna_type(int rotation) { return rotation == 90 ? 6 : rotation == 180 ? 3 : 8; }

void kanna_rotate(const std::uint8_t* src, int width, int height, int stride, int channels, std::uint8_t* dst,
                  int out_width, int out_height, int rotation) {
    const int type = kanna_type(rotation);
    const int out_stride = out_width * channels;
    switch (channels) {
        case 1: ncnn::kanna_rotate_c1(src, width, height, stride, dst, out_width, out_height, out_stride, type); break;
        case 3: ncnn::kanna_rotate_c3(src, width, height, stride, dst, out_width, out_height, out_stride, type); break;
        default: ncnn::kanna_rotate_c4(src, width, height, stride, dst, out_width, out_height, out_stride, type); break;
    }
}

}  // namespace

void check_image_view(const ImageView& image) {
    if (image.height < 1 || image.width < 1) {
        throw std::invalid_argument("image size must be >= 1, got " + std::to_string(image.width) + "x" +
                                    std::to_string(image.height) + " (WxH)");
    }
    const int channels = bytes_per_pixel(image.format);
    if (image.data == nullptr || image.row_stride < static_cast<std::size_t>(image.width) * channels) {
        throw std::invalid_argument("image rows must hold " + std::to_string(channels) +
                                    " * width bytes for this pixel format (8 bits per channel)");
    }
    if (image.row_stride > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        throw std::invalid_argument("image row_stride is too large");
    }
    if (is_yuv(image.format) && (image.height % 2 != 0 || image.width % 2 != 0)) {
        throw std::invalid_argument("nv12/nv21 frames need an even width and height");
    }
    if (image.rotation != 0 && image.rotation != 90 && image.rotation != 180 && image.rotation != 270) {
        throw std::invalid_argument("rotation must be 0, 90, 180 or 270, got " + std::to_string(image.rotation));
    }
    const Roi& roi = image.roi;
    const bool whole = roi.x == 0 && roi.y == 0 && roi.width == 0 && roi.height == 0;
    if (!whole && (roi.x < 0 || roi.y < 0 || roi.width < 1 || roi.height < 1 || roi.x > image.width - roi.width ||
                   roi.y > image.height - roi.height)) {
        throw std::invalid_argument("roi (x=" + std::to_string(roi.x) + ", y=" + std::to_string(roi.y) +
                                    ", width=" + std::to_string(roi.width) + ", height=" + std::to_string(roi.height) +
                                    ") must lie inside the " + std::to_string(image.width) + "x" +
                                    std::to_string(image.height) + " (WxH) frame");
    }
    if (!whole && is_yuv(image.format) && (roi.x % 2 || roi.y % 2 || roi.width % 2 || roi.height % 2)) {
        throw std::invalid_argument("an nv12/nv21 roi needs even x, y, width and height (4:2:0 chroma)");
    }
}

UprightFrame::UprightFrame(const ImageView& frame) : rotation_(frame.rotation) {
    check_image_view(frame);
    roi_ = frame.roi;
    if (roi_.width == 0) roi_ = {0, 0, frame.width, frame.height};
    ncnn_type_ = ncnn_type_to_bgr(frame.format);
    int channels = bytes_per_pixel(frame.format);
    const std::uint8_t* region = frame.data + static_cast<std::size_t>(roi_.y) * frame.row_stride +
                                 static_cast<std::size_t>(roi_.x) * channels;
    int stride = static_cast<int>(frame.row_stride);
    if (is_yuv(frame.format)) {
        // ncnn's converters take a packed w*h Y plane and w*h/2 chroma: gather the region's rows.
        const std::size_t w = roi_.width;
        const std::size_t h = roi_.height;
        std::vector<std::uint8_t> packed(w * h * 3 / 2);
        const std::uint8_t* uv_plane =
            frame.uv_data != nullptr ? frame.uv_data : frame.data + frame.row_stride * frame.height;
        for (std::size_t row = 0; row < h; ++row) {
            std::memcpy(&packed[row * w], region + row * frame.row_stride, w);
        }
        for (std::size_t row = 0; row < h / 2; ++row) {
            std::memcpy(&packed[w * h + row * w], uv_plane + (roi_.y / 2 + row) * frame.row_stride + roi_.x, w);
        }
        converted_.resize(w * h * 3);
        if (frame.format == PixelFormat::nv12) {
            ncnn::yuv420sp2rgb_nv12(packed.data(), roi_.width, roi_.height, converted_.data());
        } else {
            ncnn::yuv420sp2rgb(packed.data(), roi_.width, roi_.height, converted_.data());
        }
        region = converted_.data();
        channels = 3;
        stride = roi_.width * 3;
    }
    data_ = region;
    width_ = roi_.width;
    height_ = roi_.height;
    row_stride_ = stride;
    if (rotation_ != 0) {
        if (rotation_ != 180) std::swap(width_, height_);
        rotated_.resize(static_cast<std::size_t>(width_) * height_ * channels);
        kanna_rotate(region, roi_.width, roi_.height, stride, channels, rotated_.data(), width_, height_, rotation_);
        data_ = rotated_.data();
        row_stride_ = width_ * channels;
    }
}

void UprightFrame::to_frame(std::vector<Detection>& faces) const {
    // Continuous pixel coordinates: the upright region spans [0, width_] x [0, height_].
    const float region_w = static_cast<float>(roi_.width);
    const float region_h = static_cast<float>(roi_.height);
    const auto to_region = [&](float u, float v) -> std::pair<float, float> {
        switch (rotation_) {
            case 90: return {v, region_h - u};
            case 180: return {region_w - u, region_h - v};
            case 270: return {region_w - v, u};
            default: return {u, v};
        }
    };
    const float dx = static_cast<float>(roi_.x);
    const float dy = static_cast<float>(roi_.y);
    for (Detection& face : faces) {
        const auto [ax, ay] = to_region(face.x1, face.y1);
        const auto [bx, by] = to_region(face.x2, face.y2);
        face.x1 = std::min(ax, bx) + dx;
        face.x2 = std::max(ax, bx) + dx;
        face.y1 = std::min(ay, by) + dy;
        face.y2 = std::max(ay, by) + dy;
        for (int point = 0; point < 5; ++point) {
            const auto [x, y] = to_region(face.landmarks[2 * point], face.landmarks[2 * point + 1]);
            face.landmarks[2 * point] = x + dx;
            face.landmarks[2 * point + 1] = y + dy;
        }
    }
}

}  // namespace mosface
