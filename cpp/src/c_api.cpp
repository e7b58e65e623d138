// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// The C API: every entry point catches everything and turns it into a status
// plus a thread-local message.

#include "mosface_c.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "mosface/align.hpp"
#include "mosface/detector.hpp"
#include "mosface/errors.hpp"
#include "mosface/tracker.hpp"

static_assert(sizeof(mosface_face) == sizeof(mosface::Detection), "mosface_face must match mosface::Detection");
static_assert(sizeof(mosface_pose_std) == sizeof(mosface::PoseStd), "mosface_pose_std must match mosface::PoseStd");
static_assert(static_cast<int>(mosface::PixelFormat::bgr) == MOSFACE_BGR &&
                  static_cast<int>(mosface::PixelFormat::gray) == MOSFACE_GRAY &&
                  static_cast<int>(mosface::PixelFormat::nv21) == MOSFACE_NV21,
              "mosface_pixel_format must list mosface::PixelFormat's values in order");

struct mosface_detector {
    std::unique_ptr<mosface::Detector> detector;
};

struct mosface_tracker {
    std::unique_ptr<mosface::Tracker> tracker;
};

namespace {

thread_local std::string last_error;

mosface_status fail(mosface_status status, const char* message) {
    try {
        last_error = message;
    } catch (...) {  // no memory for the message: keep the status
    }
    return status;
}

// Runs `body`, mapping every exception to a status and message.
template <typename Body>
mosface_status guarded(Body&& body) noexcept {
    try {
        return body();
    } catch (const mosface::MissingFileError& error) {
        return fail(MOSFACE_FILE_NOT_FOUND, error.what());
    } catch (const mosface::ModelError& error) {
        return fail(MOSFACE_MODEL_ERROR, error.what());
    } catch (const std::invalid_argument& error) {
        return fail(MOSFACE_INVALID_ARGUMENT, error.what());
    } catch (const std::bad_alloc&) {
        return fail(MOSFACE_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception& error) {
        return fail(MOSFACE_INTERNAL_ERROR, error.what());
    } catch (...) {
        return fail(MOSFACE_INTERNAL_ERROR, "unknown error");
    }
}

void require(bool condition, const char* message) {
    if (!condition) throw std::invalid_argument(message);
}

mosface::ImageView image_view(const mosface_image* image) {
    require(image != nullptr, "image is NULL");
    require(image->format >= MOSFACE_BGR && image->format <= MOSFACE_NV21, "unknown pixel format");
    mosface::ImageView view{image->data, image->height, image->width, image->row_stride};
    // mosface_pixel_format lists the formats in mosface::PixelFormat's order.
    view.format = static_cast<mosface::PixelFormat>(image->format);
    view.rotation = image->rotation;
    view.roi = {image->roi_x, image->roi_y, image->roi_width, image->roi_height};
    view.uv_data = image->uv_data;
    return view;
}

// align and best shots read BGR pixels as they are.
mosface::ImageView plain_bgr_view(const mosface_image* image) {
    const mosface::ImageView view = image_view(image);
    require(view.format == mosface::PixelFormat::bgr && view.rotation == 0 && view.roi.width == 0,
            "align needs an upright BGR image without roi");
    return view;
}

// Copies up to capacity items; the status says whether all fitted.
template <typename Out, typename In, typename Convert>
mosface_status write_results(const std::vector<In>& results, Out* out, size_t capacity, size_t* count,
                             Convert convert) {
    *count = results.size();
    const size_t written = std::min(capacity, results.size());
    for (size_t i = 0; i < written; ++i) out[i] = convert(results[i]);
    if (written < results.size()) {
        return fail(MOSFACE_BUFFER_TOO_SMALL, "more results than the given capacity; the first ones were written");
    }
    return MOSFACE_OK;
}

mosface_face to_c(const mosface::Detection& face) {
    mosface_face out;
    std::memcpy(&out, &face, sizeof(out));
    return out;
}

mosface_track to_c(const mosface::Track& track) {
    mosface_track out;
    out.id = track.id;
    out.age = track.age;
    out.hits = track.hits;
    out.first_seen_ms = track.first_seen_ms;
    out.last_seen_ms = track.last_seen_ms;
    out.smoothed = to_c(track.smoothed);
    out.raw = to_c(track.raw);
    out.pose_std = {track.pose_std.yaw, track.pose_std.pitch, track.pose_std.roll};
    return out;
}

}  // namespace

extern "C" {

const char* mosface_last_error(void) { return last_error.c_str(); }

void mosface_detector_options_init(mosface_detector_options* options) {
    if (options == nullptr) return;
    const mosface::PostprocessParams defaults;
    *options = {defaults.conf_threshold, defaults.nms_threshold, defaults.top_k, defaults.keep_top_k, 0};
}

mosface_status mosface_detector_create(const char* model_dir, const mosface_detector_options* options,
                                       mosface_detector** detector) {
    return guarded([&] {
        require(model_dir != nullptr && detector != nullptr, "model_dir and detector must not be NULL");
        *detector = nullptr;
        mosface_detector_options given;
        mosface_detector_options_init(&given);
        if (options != nullptr) given = *options;
        mosface::DetectorOptions core;
        core.postprocess = {given.conf_threshold, given.nms_threshold, given.top_k, given.keep_top_k};
        core.num_threads = given.num_threads;
        auto handle = std::make_unique<mosface_detector>();
        handle->detector = std::make_unique<mosface::Detector>(model_dir, "", core);
        *detector = handle.release();
        return MOSFACE_OK;
    });
}

void mosface_detector_destroy(mosface_detector* detector) { delete detector; }

mosface_status mosface_detect(const mosface_detector* detector, const mosface_image* image, mosface_face* faces,
                              mosface_pose_std* pose_std, size_t capacity, size_t* count) {
    return guarded([&] {
        require(detector != nullptr && count != nullptr, "detector and count must not be NULL");
        require(faces != nullptr || capacity == 0, "faces is NULL but capacity is not 0");
        *count = 0;
        std::vector<mosface::PoseStd> spreads;
        const std::vector<mosface::Detection> found = detector->detector->detect(image_view(image), &spreads);
        if (pose_std != nullptr) {
            for (size_t i = 0; i < std::min(capacity, spreads.size()); ++i) {
                pose_std[i] = {spreads[i].yaw, spreads[i].pitch, spreads[i].roll};
            }
        }
        return write_results(found, faces, capacity, count, [](const mosface::Detection& f) { return to_c(f); });
    });
}

void mosface_tracker_options_init(mosface_tracker_options* options) {
    if (options == nullptr) return;
    const mosface::TrackerParams d;
    *options = {d.high_score,   d.low_score,  d.new_track_score,  d.match_iou,
                d.low_match_iou, d.lost_buffer_ms, d.position.min_cutoff_hz, d.position.beta,
                d.angles.min_cutoff_hz, d.angles.beta};
}

mosface_status mosface_tracker_create(const mosface_tracker_options* options, mosface_tracker** tracker) {
    return guarded([&] {
        require(tracker != nullptr, "tracker must not be NULL");
        *tracker = nullptr;
        mosface_tracker_options given;
        mosface_tracker_options_init(&given);
        if (options != nullptr) given = *options;
        mosface::TrackerParams params;
        params.high_score = given.high_score;
        params.low_score = given.low_score;
        params.new_track_score = given.new_track_score;
        params.match_iou = given.match_iou;
        params.low_match_iou = given.low_match_iou;
        params.lost_buffer_ms = given.lost_buffer_ms;
        params.position.min_cutoff_hz = given.position_min_cutoff_hz;
        params.position.beta = given.position_beta;
        params.angles.min_cutoff_hz = given.angle_min_cutoff_hz;
        params.angles.beta = given.angle_beta;
        auto handle = std::make_unique<mosface_tracker>();
        handle->tracker = std::make_unique<mosface::Tracker>(params);
        *tracker = handle.release();
        return MOSFACE_OK;
    });
}

void mosface_tracker_destroy(mosface_tracker* tracker) { delete tracker; }

mosface_status mosface_tracker_update(mosface_tracker* tracker, const mosface_face* faces,
                                      const mosface_pose_std* pose_std, size_t face_count, double timestamp_ms,
                                      mosface_track* tracks, size_t capacity, size_t* count) {
    return guarded([&] {
        require(tracker != nullptr && count != nullptr, "tracker and count must not be NULL");
        require(faces != nullptr || face_count == 0, "faces is NULL but face_count is not 0");
        require(tracks != nullptr || capacity == 0, "tracks is NULL but capacity is not 0");
        *count = 0;
        std::vector<mosface::Detection> rows(face_count);
        if (face_count > 0) std::memcpy(rows.data(), faces, face_count * sizeof(mosface_face));
        std::vector<mosface::PoseStd> spreads;
        if (pose_std != nullptr) {
            spreads.resize(face_count);
            std::memcpy(spreads.data(), pose_std, face_count * sizeof(mosface_pose_std));
        }
        const std::vector<mosface::Track> matched =
            tracker->tracker->update(rows, timestamp_ms, pose_std != nullptr ? &spreads : nullptr);
        return write_results(matched, tracks, capacity, count, [](const mosface::Track& t) { return to_c(t); });
    });
}

mosface_status mosface_tracker_ended(const mosface_tracker* tracker, mosface_track* tracks, size_t capacity,
                                     size_t* count) {
    return guarded([&] {
        require(tracker != nullptr && count != nullptr, "tracker and count must not be NULL");
        require(tracks != nullptr || capacity == 0, "tracks is NULL but capacity is not 0");
        *count = 0;
        return write_results(tracker->tracker->ended(), tracks, capacity, count,
                             [](const mosface::Track& t) { return to_c(t); });
    });
}

mosface_status mosface_align(const mosface_image* image, const mosface_face* face, int size, uint8_t* crop,
                             float matrix[6]) {
    return guarded([&] {
        require(face != nullptr && crop != nullptr, "face and crop must not be NULL");
        mosface::Detection row;
        std::memcpy(&row, face, sizeof(row));
        const mosface::AlignedFace aligned = mosface::align(plain_bgr_view(image), row, size);
        std::memcpy(crop, aligned.pixels.data(), aligned.pixels.size());
        if (matrix != nullptr) std::copy(aligned.matrix.begin(), aligned.matrix.end(), matrix);
        return MOSFACE_OK;
    });
}

}  // extern "C"
