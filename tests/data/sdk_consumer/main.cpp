// Loads a model folder given on the command line, detects on the raw BGR image
// in IMAGE_FILE (HEIGHT x WIDTH x 3 bytes) and prints every face, one per line.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "mosface/detector.hpp"

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: consumer MODEL_DIR IMAGE_FILE HEIGHT WIDTH\n");
        return 2;
    }
    const mosface::Detector detector(argv[1]);
    std::ifstream file(argv[2], std::ios::binary);
    const std::vector<unsigned char> bgr((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    const int height = std::atoi(argv[3]);
    const int width = std::atoi(argv[4]);
    if (bgr.size() != static_cast<std::size_t>(height) * width * 3) {
        std::fprintf(stderr, "image file holds %zu bytes, expected %d x %d x 3\n", bgr.size(), height, width);
        return 2;
    }
    const auto faces = detector.detect({bgr.data(), height, width, static_cast<std::size_t>(width) * 3});
    std::printf("anchors=%zu faces=%zu\n", mosface::anchor_count(height, width, detector.manifest().anchors),
                faces.size());
    for (const mosface::Detection& face : faces) {
        float values[18];
        std::memcpy(values, &face, sizeof values);
        for (int i = 0; i < 18; ++i) {
            std::printf(i ? " %.9g" : "%.9g", values[i]);
        }
        std::printf("\n");
    }
    return 0;
}
