/* Detect, track and align through the C API on a generated image; print what it found.
 * Usage: c_example MODEL_DIR. The image is pixel(y, x, c) = (7 x + 13 y + 50 c) mod 256, 64 x 96 BGR. */
#include <stdio.h>
#include <stdlib.h>

#include "mosface_c.h"

#define HEIGHT 64
#define WIDTH 96
#define MAX_FACES 256

static int check(mosface_status status, const char* what) {
    if (status != MOSFACE_OK) {
        fprintf(stderr, "%s failed (%d): %s\n", what, (int)status, mosface_last_error());
        return 0;
    }
    return 1;
}

int main(int argc, char** argv) {
    static unsigned char pixels[HEIGHT * WIDTH * 3];
    static unsigned char crop[112 * 112 * 3];
    mosface_face faces[MAX_FACES];
    mosface_pose_std spreads[MAX_FACES];
    mosface_track tracks[MAX_FACES];
    mosface_detector* detector = NULL;
    mosface_tracker* tracker = NULL;
    mosface_detector_options options;
    mosface_image image = {0};
    size_t count = 0, track_count = 0, i;
    float matrix[6];
    int frame, y, x, c;

    if (argc != 2) {
        fprintf(stderr, "usage: c_example MODEL_DIR\n");
        return 2;
    }
    for (y = 0; y < HEIGHT; ++y)
        for (x = 0; x < WIDTH; ++x)
            for (c = 0; c < 3; ++c) pixels[(y * WIDTH + x) * 3 + c] = (unsigned char)((7 * x + 13 * y + 50 * c) % 256);
    image.data = pixels;
    image.height = HEIGHT;
    image.width = WIDTH;
    image.row_stride = WIDTH * 3;

    /* Errors come back as statuses with a message, not as crashes. */
    if (mosface_detector_create("/no/such/model", NULL, &detector) == MOSFACE_FILE_NOT_FOUND && detector == NULL)
        printf("missing model: status %d\n", (int)MOSFACE_FILE_NOT_FOUND);

    mosface_detector_options_init(&options);
    options.conf_threshold = 0.3f;
    options.num_threads = 1;
    if (!check(mosface_detector_create(argv[1], &options, &detector), "mosface_detector_create")) return 1;
    if (!check(mosface_detect(detector, &image, faces, spreads, MAX_FACES, &count), "mosface_detect")) return 1;
    printf("faces %zu\n", count);
    for (i = 0; i < count; ++i)
        printf("face %.4f %.4f %.4f %.4f %.6f std %.4f %.4f %.4f\n", faces[i].x1, faces[i].y1, faces[i].x2,
               faces[i].y2, faces[i].score, spreads[i].yaw, spreads[i].pitch, spreads[i].roll);
    if (count > 1 && mosface_detect(detector, &image, faces, NULL, 1, &i) == MOSFACE_BUFFER_TOO_SMALL)
        printf("capacity 1: status %d, found %zu\n", (int)MOSFACE_BUFFER_TOO_SMALL, i);

    /* The same pixels as a camera mounted upside down, read from a 64 x 64 region. */
    image.rotation = 180;
    image.roi_x = 16;
    image.roi_width = 64;
    image.roi_height = 64;
    if (!check(mosface_detect(detector, &image, faces + count, NULL, MAX_FACES - count, &i), "mosface_detect (roi)"))
        return 1;
    printf("rotated roi faces %zu first %.4f %.4f\n", i, i ? faces[count].x1 : 0.f, i ? faces[count].y1 : 0.f);
    image.rotation = image.roi_x = image.roi_width = image.roi_height = 0;

    if (!check(mosface_tracker_create(NULL, &tracker), "mosface_tracker_create")) return 1;
    for (frame = 0; frame < 3; ++frame) {
        if (!check(mosface_tracker_update(tracker, faces, spreads, count, 40.0 * frame, tracks, MAX_FACES,
                                          &track_count), "mosface_tracker_update"))
            return 1;
        printf("frame %d tracks", frame);
        for (i = 0; i < track_count; ++i) printf(" %lld/%d", (long long)tracks[i].id, tracks[i].hits);
        printf("\n");
    }
    if (mosface_tracker_update(tracker, faces, NULL, count, 0.0, tracks, MAX_FACES, &track_count) ==
        MOSFACE_INVALID_ARGUMENT)
        printf("old timestamp: status %d\n", (int)MOSFACE_INVALID_ARGUMENT);

    if (count > 0) {
        if (!check(mosface_align(&image, &faces[0], 112, crop, matrix), "mosface_align")) return 1;
        printf("matrix %.5f %.5f %.5f %.5f %.5f %.5f\n", matrix[0], matrix[1], matrix[2], matrix[3], matrix[4],
               matrix[5]);
    }
    mosface_tracker_destroy(tracker);
    mosface_detector_destroy(detector);
    return 0;
}
