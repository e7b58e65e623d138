/* Copyright 2026 mosface authors
 * SPDX-License-Identifier: MIT
 *
 * mosface C API: detection, tracking and alignment for C firmware.
 *
 * - Opaque handles, created and destroyed here; every call returns a
 *   mosface_status and no C++ exception crosses this interface.
 * - On failure, mosface_last_error() describes the latest error of the calling
 *   thread (valid until that thread's next failing call).
 * - Faces use the 18-float layout of the C++ and Python APIs.
 * - A detector may be used from several threads at once; a tracker may not.
 * - The library is C++ inside: link it with a C++ linker (a CMake project needs
 *   `project(... LANGUAGES C CXX)`, then find_package(mosface) and mosface::core).
 */
#ifndef MOSFACE_C_H
#define MOSFACE_C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mosface_status {
    MOSFACE_OK = 0,
    MOSFACE_INVALID_ARGUMENT = 1, /* a bad value, size, image or option */
    MOSFACE_FILE_NOT_FOUND = 2,   /* the model folder or one of its files */
    MOSFACE_MODEL_ERROR = 3,      /* a model file exists but cannot be used */
    MOSFACE_BUFFER_TOO_SMALL = 4, /* results were cut to the given capacity; *count says how many exist */
    MOSFACE_OUT_OF_MEMORY = 5,
    MOSFACE_INTERNAL_ERROR = 6
} mosface_status;

typedef struct mosface_face {
    float x1, y1, x2, y2;  /* box in image pixels */
    float score;           /* face probability */
    float landmarks[10];   /* (x, y) of right eye, left eye, nose, right and left mouth corner */
    float yaw, pitch, roll; /* degrees */
} mosface_face;

typedef struct mosface_pose_std {
    float yaw, pitch, roll; /* standard deviation of each angle's bin distribution, degrees */
} mosface_pose_std;

typedef enum mosface_pixel_format {
    MOSFACE_BGR = 0, /* 3 bytes per pixel */
    MOSFACE_RGB = 1,
    MOSFACE_BGRA = 2, /* 4 bytes per pixel */
    MOSFACE_RGBA = 3,
    MOSFACE_GRAY = 4, /* 1 byte per pixel */
    MOSFACE_NV12 = 5, /* Y plane, then interleaved U,V rows (height / 2 of them); even sizes */
    MOSFACE_NV21 = 6  /* as NV12 with V,U order */
} mosface_pixel_format;

/* A camera frame. Zero-initialise it ({0}) and fill what you need: zeros mean BGR,
 * upright, the whole frame. Faces come back in this frame's pixels. */
typedef struct mosface_image {
    const uint8_t* data;
    int height;
    int width;
    size_t row_stride;            /* bytes per row (of the Y plane for NV12/NV21) */
    mosface_pixel_format format;
    int rotation;                 /* degrees the frame must be turned clockwise to be upright: 0/90/180/270 */
    int roi_x, roi_y, roi_width, roi_height; /* region in the frame's pixels; roi_width 0: whole frame */
    const uint8_t* uv_data;       /* NV12/NV21 chroma plane (row_stride bytes per row); NULL: after the Y plane */
} mosface_image;

typedef struct mosface_detector_options {
    float conf_threshold; /* 0.5 */
    float nms_threshold;  /* 0.4 */
    int top_k;            /* 5000 */
    int keep_top_k;       /* 750 */
    int num_threads;      /* 0: ncnn's default (the big cores) */
} mosface_detector_options;

typedef struct mosface_tracker_options {
    float high_score;       /* 0.5: matched first, may start tracks */
    float low_score;        /* 0.1: may only continue tracks seen in the previous frame */
    float new_track_score;  /* 0.6 */
    float match_iou;        /* 0.2 */
    float low_match_iou;    /* 0.5 */
    double lost_buffer_ms;  /* 1000: a track unmatched for longer ends */
    float position_min_cutoff_hz, position_beta; /* 1.0, 5.0: One-Euro smoothing of box and landmarks */
    float angle_min_cutoff_hz, angle_beta;       /* 1.0, 0.05: One-Euro smoothing of the angles */
} mosface_tracker_options;

typedef struct mosface_track {
    int64_t id; /* stable, never reused by one tracker */
    int age;    /* updates since the track started */
    int hits;   /* updates with a matched face */
    double first_seen_ms, last_seen_ms;
    mosface_face smoothed; /* filtered box, landmarks and angles */
    mosface_face raw;      /* the latest matched face */
    mosface_pose_std pose_std;
} mosface_track;

typedef struct mosface_detector mosface_detector;
typedef struct mosface_tracker mosface_tracker;

/* The latest error message of the calling thread ("" if none). */
const char* mosface_last_error(void);

void mosface_detector_options_init(mosface_detector_options* options);
/* model_dir: a converted model folder (manifest.json). options may be NULL (defaults). */
mosface_status mosface_detector_create(const char* model_dir, const mosface_detector_options* options,
                                       mosface_detector** detector);
void mosface_detector_destroy(mosface_detector* detector); /* NULL is fine */

/* Detects faces, best first. Writes up to `capacity` faces (and pose_std entries when pose_std
 * is not NULL); *count receives the number found. Returns MOSFACE_BUFFER_TOO_SMALL when
 * more were found than fit (the best `capacity` are written). */
mosface_status mosface_detect(const mosface_detector* detector, const mosface_image* image, mosface_face* faces,
                              mosface_pose_std* pose_std, size_t capacity, size_t* count);

void mosface_tracker_options_init(mosface_tracker_options* options);
mosface_status mosface_tracker_create(const mosface_tracker_options* options, mosface_tracker** tracker);
void mosface_tracker_destroy(mosface_tracker* tracker); /* NULL is fine */

/* Feeds one frame's faces (pose_std may be NULL) at timestamp_ms, which must increase
 * from call to call. Writes the tracks matched in this frame, by id; capacity and
 * *count as in mosface_detect. */
mosface_status mosface_tracker_update(mosface_tracker* tracker, const mosface_face* faces,
                                      const mosface_pose_std* pose_std, size_t face_count, double timestamp_ms,
                                      mosface_track* tracks, size_t capacity, size_t* count);
/* The tracks that ended in the latest update (lost longer than lost_buffer_ms). */
mosface_status mosface_tracker_ended(const mosface_tracker* tracker, mosface_track* tracks, size_t capacity,
                                     size_t* count);

/* Crops a face for recognition: the least-squares similarity taking its landmarks onto the
 * ArcFace 112x112 template scaled to size (16..1024). image: BGR, upright, no roi (the
 * other fields must be 0). crop: size * size * 3 bytes, BGR.
 * matrix: 6 floats, row-major 2x3, image pixels -> crop pixels. */
mosface_status mosface_align(const mosface_image* image, const mosface_face* face, int size, uint8_t* crop,
                             float matrix[6]);

#ifdef __cplusplus
}
#endif

#endif /* MOSFACE_C_H */
