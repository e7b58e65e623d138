// Loads a model folder given on the command line and detects on a grey image.
#include <cstdio>
#include <vector>

#include "mosface/detector.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: consumer MODEL_DIR\n");
        return 2;
    }
    const mosface::Detector detector(argv[1]);
    std::vector<unsigned char> grey(64 * 64 * 3, 128);
    const auto faces = detector.detect({grey.data(), 64, 64, 64 * 3});
    std::printf("anchors=%zu faces=%zu\n", mosface::anchor_count(64, 64, mosface::AnchorConfig::mos()), faces.size());
    return 0;
}
