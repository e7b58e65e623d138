// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// mosface-bench: per-stage latency of one converted model on this machine.
// The binary a user copies to a board (built static for aarch64): it loads a
// model folder, runs warm-up and timed detect() calls on a PPM/PGM image or a
// synthetic one, and prints median and p90 of preprocess, inference and
// post-process, then the same figures as one JSON line (and --json FILE).
// Under an emulator (qemu) the figures are not timings of any real CPU.

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/utsname.h>

#include "mosface/detector.hpp"
#include "mosface/errors.hpp"

namespace {

constexpr const char* kUsage = R"(usage: mosface-bench MODEL [options]

Per-stage latency (preprocess, inference, post-process) of a converted mosface
model: median and p90 over the timed iterations, then one JSON line.

  MODEL                   model folder from `mosface convert` (manifest.json,
                          model.param, model.bin) or its .param file
  --image FILE            binary PPM (P6, RGB) or PGM (P5, gray) image, 8 bits
  --size WxH              synthetic image of this size (default: the model's
                          input size); ignored with --image
  --input-size WxH        network input box the image is fitted into (default:
                          the manifest's); --size 320x240 --input-size 320x240
                          runs the network at 320x240
  --iterations N          timed detect() calls (default 50)
  --warmup N              untimed calls first (default 5)
  --threads N             ncnn threads; 0 = ncnn's default, the number of big
                          cores (default 0)
  --powersave MODE        pin the threads that run inference to all, little or
                          big cores (ncnn's CPU sets); default: leave thread
                          affinity alone (no extra OpenMP team is started)
  --fp16                  fp16 storage and arithmetic where the CPU has them
                          (the RK3399 has fp16 storage only)
  --no-memory-pool        malloc alone for feature maps and workspaces
                          (default: one block planned from the previous
                          call at the same size, kept between calls)
  --vary-size             each call detects on a random sub-rectangle (16x16
                          up to the full image): memory under changing sizes
  --conf-threshold F      face probability threshold (default 0.5)
  --nms-threshold F       NMS IoU threshold (default 0.4)
  --json FILE             also write the JSON summary to FILE
  --detections FILE       write the faces of the last call to FILE, one per
                          line: x1 y1 x2 y2 score, 10 landmark coordinates,
                          yaw pitch roll (image pixels, degrees)
  --label TEXT            free text copied into the JSON (board, build)
  -h, --help              this text

Exit status: 0 on success, 2 on a usage error, 1 when the model or image
cannot be used.
)";

// A usage error: printed with a pointer to --help, exit status 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Arguments {
    std::string model;
    std::string image_path;
    int synthetic_width = 0;  // 0: the model's input size
    int synthetic_height = 0;
    int input_width = 0;  // 0: the manifest's input size
    int input_height = 0;
    int iterations = 50;
    int warmup = 5;
    int threads = 0;
    mosface::PowerSave powersave = mosface::PowerSave::keep;
    bool fp16 = false;
    bool memory_pool = true;
    bool vary_size = false;
    float conf_threshold = 0.5f;
    float nms_threshold = 0.4f;
    std::string json_path;
    std::string detections_path;
    std::string label;
};

int parse_int(const std::string& option, const std::string& text, int minimum) {
    char* end = nullptr;
    errno = 0;
    const long value = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno != 0 || value < minimum || value > 1000000000L) {
        throw UsageError(option + " expects an integer >= " + std::to_string(minimum) + ", got '" + text + "'");
    }
    return static_cast<int>(value);
}

float parse_float(const std::string& option, const std::string& text) {
    char* end = nullptr;
    errno = 0;
    const float value = std::strtof(text.c_str(), &end);
    if (text.empty() || *end != '\0' || errno != 0 || !std::isfinite(value)) {
        throw UsageError(option + " expects a number, got '" + text + "'");
    }
    return value;
}

// Sizes are written WIDTHxHEIGHT on the command line, as cameras and OpenCV write them.
void parse_size(const std::string& option, const std::string& text, int* width, int* height) {
    const std::size_t x = text.find('x');
    if (x == std::string::npos) {
        throw UsageError(option + " expects WIDTHxHEIGHT (for example 640x480), got '" + text + "'");
    }
    *width = parse_int(option + " width", text.substr(0, x), 1);
    *height = parse_int(option + " height", text.substr(x + 1), 1);
}

mosface::PowerSave parse_powersave(const std::string& text) {
    if (text == "all") return mosface::PowerSave::all;
    if (text == "little") return mosface::PowerSave::little;
    if (text == "big") return mosface::PowerSave::big;
    throw UsageError("--powersave expects all, little or big, got '" + text + "'");
}

const char* powersave_name(mosface::PowerSave mode) {
    switch (mode) {
        case mosface::PowerSave::little: return "little";
        case mosface::PowerSave::big: return "big";
        case mosface::PowerSave::all: return "all";
        default: return "unchanged";
    }
}

Arguments parse_arguments(int argc, char** argv) {
    Arguments args;
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
        const std::string option = argv[i];
        // Options that take a value read the next argument.
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                throw UsageError(option + " needs a value");
            }
            return argv[++i];
        };
        if (option == "-h" || option == "--help") {
            std::cout << kUsage;
            std::exit(0);
        } else if (option == "--image") {
            args.image_path = value();
        } else if (option == "--size") {
            parse_size(option, value(), &args.synthetic_width, &args.synthetic_height);
        } else if (option == "--input-size") {
            parse_size(option, value(), &args.input_width, &args.input_height);
        } else if (option == "--iterations") {
            args.iterations = parse_int(option, value(), 1);
        } else if (option == "--warmup") {
            args.warmup = parse_int(option, value(), 0);
        } else if (option == "--threads") {
            args.threads = parse_int(option, value(), 0);
        } else if (option == "--powersave") {
            args.powersave = parse_powersave(value());
        } else if (option == "--fp16") {
            args.fp16 = true;
        } else if (option == "--no-memory-pool") {
            args.memory_pool = false;
        } else if (option == "--vary-size") {
            args.vary_size = true;
        } else if (option == "--conf-threshold") {
            args.conf_threshold = parse_float(option, value());
        } else if (option == "--nms-threshold") {
            args.nms_threshold = parse_float(option, value());
        } else if (option == "--json") {
            args.json_path = value();
        } else if (option == "--detections") {
            args.detections_path = value();
        } else if (option == "--label") {
            args.label = value();
        } else if (option.size() > 1 && option[0] == '-') {
            throw UsageError("unknown option " + option);
        } else {
            positional.push_back(option);
        }
    }
    if (positional.size() != 1) {
        throw UsageError(positional.empty() ? "MODEL is missing" : "expected one MODEL, got " + std::to_string(positional.size()) + " arguments");
    }
    args.model = positional[0];
    return args;
}

// An interleaved 8-bit BGR image that owns its pixels.
struct BgrImage {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels;

    mosface::ImageView view() const {
        return {pixels.data(), height, width, static_cast<std::size_t>(width) * 3};
    }
};

// Netpbm header fields are separated by whitespace and may carry # comments.
int read_netpbm_number(std::istream& stream, const std::string& path) {
    int c = stream.get();
    while (c != EOF && (std::isspace(c) || c == '#')) {
        if (c == '#') {
            while (c != EOF && c != '\n') c = stream.get();
        }
        c = stream.get();
    }
    long value = 0;
    bool any = false;
    while (c != EOF && std::isdigit(c)) {
        value = value * 10 + (c - '0');
        any = true;
        if (value > 1000000) break;
        c = stream.get();
    }
    if (!any || value > 1000000) {
        throw std::runtime_error(path + ": malformed PPM/PGM header");
    }
    // c is the single whitespace byte that ends the field (before the raster for maxval).
    return static_cast<int>(value);
}

// Binary PPM (P6, RGB) or PGM (P5, gray), maxval 255: needs no image library on the board.
BgrImage read_netpbm(const std::string& path) {
    std::ifstream stream(path, std::ios::binary);
    if (!stream) {
        throw mosface::MissingFileError("image not found: " + path);
    }
    char magic[2] = {0, 0};
    stream.read(magic, 2);
    const bool rgb = magic[0] == 'P' && magic[1] == '6';
    const bool gray = magic[0] == 'P' && magic[1] == '5';
    if (!rgb && !gray) {
        throw std::runtime_error(path + ": not a binary PPM (P6) or PGM (P5) file; convert it first, e.g. "
                                        "`convert photo.jpg photo.ppm` or PIL's Image.save('photo.ppm')");
    }
    BgrImage image;
    image.width = read_netpbm_number(stream, path);
    image.height = read_netpbm_number(stream, path);
    const int maxval = read_netpbm_number(stream, path);
    if (image.width < 1 || image.height < 1 || maxval != 255) {
        throw std::runtime_error(path + ": expected a non-empty 8-bit image (maxval 255), got " +
                                 std::to_string(image.width) + "x" + std::to_string(image.height) +
                                 " maxval " + std::to_string(maxval));
    }
    const std::size_t count = static_cast<std::size_t>(image.width) * image.height;
    std::vector<std::uint8_t> raster(count * (rgb ? 3 : 1));
    stream.read(reinterpret_cast<char*>(raster.data()), static_cast<std::streamsize>(raster.size()));
    if (static_cast<std::size_t>(stream.gcount()) != raster.size()) {
        throw std::runtime_error(path + ": truncated raster (" + std::to_string(stream.gcount()) + " of " +
                                 std::to_string(raster.size()) + " bytes)");
    }
    image.pixels.resize(count * 3);
    for (std::size_t i = 0; i < count; ++i) {
        if (rgb) {  // PPM stores R, G, B; the detector takes B, G, R.
            image.pixels[3 * i + 0] = raster[3 * i + 2];
            image.pixels[3 * i + 1] = raster[3 * i + 1];
            image.pixels[3 * i + 2] = raster[3 * i + 0];
        } else {
            std::fill_n(image.pixels.begin() + 3 * i, 3, raster[i]);
        }
    }
    return image;
}

// Deterministic, textured content (smooth gradients plus xorshift noise) so
// the timing does not depend on a file and every build sees the same pixels.
BgrImage synthetic_image(int width, int height) {
    BgrImage image;
    image.width = width;
    image.height = height;
    image.pixels.resize(static_cast<std::size_t>(width) * height * 3);
    std::uint32_t state = 7767517u;
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            for (int c = 0; c < 3; ++c) {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                const int ramp = (c == 0 ? x * 255 / width : c == 1 ? y * 255 / height : (x + y) * 127 / (width + height));
                const int value = ramp / 2 + static_cast<int>(state % 128);
                image.pixels[(static_cast<std::size_t>(y) * width + x) * 3 + c] = static_cast<std::uint8_t>(std::min(value, 255));
            }
        }
    }
    return image;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Nearest-rank p90: the smallest value that at least 90% of the runs do not exceed.
double percentile90(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t rank = static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(values.size())));
    return values[std::max<std::size_t>(rank, 1) - 1];
}

std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                    out += escaped;
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

std::string fixed(double value, int digits) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", digits, value);
    return text;
}

// A field of /proc/self/status in MiB (VmRSS: resident now, VmHWM: peak resident); -1 where there is none.
double status_mib(const char* field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    const std::string prefix = std::string(field) + ":";
    while (std::getline(status, line)) {
        if (line.compare(0, prefix.size(), prefix) == 0) {
            return std::strtod(line.c_str() + prefix.size(), nullptr) / 1024.0;  // the kernel writes kB
        }
    }
    return -1.0;
}

double mib(std::uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// A view of a sub-rectangle of `image` (no copy: the stride stays the full row).
mosface::ImageView crop(const BgrImage& image, int width, int height) {
    return {image.pixels.data(), height, width, static_cast<std::size_t>(image.width) * 3};
}

std::string machine_name() {
    utsname info{};
    return uname(&info) == 0 ? std::string(info.machine) : std::string("unknown");
}

void write_detections(const std::string& path, const std::vector<mosface::Detection>& faces) {
    std::ofstream out(path);
    if (!out) {
        throw std::runtime_error("cannot write detections to " + path);
    }
    for (const mosface::Detection& face : faces) {
        float values[18];  // the packed layout of Detection (static_assert in postprocess.hpp)
        std::memcpy(values, &face, sizeof values);
        for (int i = 0; i < 18; ++i) {
            char text[32];
            std::snprintf(text, sizeof text, "%.9g", static_cast<double>(values[i]));
            out << (i ? " " : "") << text;
        }
        out << '\n';
    }
    if (!out) {
        throw std::runtime_error("cannot write detections to " + path);
    }
}

int run(const Arguments& args) {
    mosface::DetectorOptions options;
    options.num_threads = args.threads;
    options.input_height = args.input_height;
    options.input_width = args.input_width;
    options.powersave = args.powersave;
    options.fp16 = args.fp16;
    options.memory_pool = args.memory_pool;
    options.postprocess.conf_threshold = args.conf_threshold;
    options.postprocess.nms_threshold = args.nms_threshold;
    const double rss_start = status_mib("VmRSS");
    const mosface::Detector detector(args.model, "", options);
    const double rss_loaded = status_mib("VmRSS");

    const mosface::Manifest& manifest = detector.manifest();
    const BgrImage image = !args.image_path.empty()
                               ? read_netpbm(args.image_path)
                               : synthetic_image(args.synthetic_width > 0 ? args.synthetic_width : manifest.input_width,
                                                 args.synthetic_height > 0 ? args.synthetic_height : manifest.input_height);
    int net_height = 0;
    int net_width = 0;
    detector.network_input_size(image.height, image.width, &net_height, &net_width);
    const int threads = detector.options().num_threads;  // resolved: 0 became ncnn's default

    std::uint32_t state = 2463534242u;  // xorshift: the same sizes on every run
    auto next_view = [&]() {
        if (!args.vary_size) {
            return image.view();
        }
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        const int width = std::min(image.width, 16 + static_cast<int>(state % static_cast<std::uint32_t>(image.width)));
        const int height = std::min(image.height, 16 + static_cast<int>((state >> 12) % static_cast<std::uint32_t>(image.height)));
        return crop(image, width, height);
    };
    std::vector<mosface::Detection> faces;
    for (int i = 0; i < args.warmup; ++i) {
        faces = detector.detect(next_view());
    }
    const double rss_warm = status_mib("VmRSS");
    std::vector<double> stage_ms[4];  // preprocess, inference, postprocess, total
    for (int i = 0; i < args.iterations; ++i) {
        mosface::StageTimes times;
        faces = detector.detect(next_view(), &times);
        stage_ms[0].push_back(times.preprocess_ms);
        stage_ms[1].push_back(times.inference_ms);
        stage_ms[2].push_back(times.postprocess_ms);
        stage_ms[3].push_back(times.preprocess_ms + times.inference_ms + times.postprocess_ms);
    }

    const char* stage_names[4] = {"preprocess", "inference", "postprocess", "total"};
    const std::string source = args.image_path.empty() ? "synthetic" : args.image_path;
    std::printf("mosface-bench: %s (%s), image %s %dx%d, network input %dx%d\n", args.model.c_str(),
                manifest.architecture.c_str(), source.c_str(), image.width, image.height, net_width, net_height);
    std::printf("machine %s, %u hardware threads; ncnn threads %d, powersave %s, fp16 %s; %d runs after %d warm-up\n",
                machine_name().c_str(), std::thread::hardware_concurrency(), threads, powersave_name(args.powersave),
                args.fp16 ? "on" : "off", args.iterations, args.warmup);
    std::printf("%-12s %10s %10s\n", "stage", "median ms", "p90 ms");
    std::ostringstream json;
    json << "{\"tool\": \"mosface-bench\", \"model\": " << json_string(args.model)
         << ", \"architecture\": " << json_string(manifest.architecture) << ", \"image\": " << json_string(source)
         << ", \"width\": " << image.width << ", \"height\": " << image.height << ", \"net_width\": " << net_width
         << ", \"net_height\": " << net_height << ", \"machine\": " << json_string(machine_name())
         << ", \"hardware_threads\": " << std::thread::hardware_concurrency() << ", \"threads\": " << threads
         << ", \"powersave\": \"" << powersave_name(args.powersave) << "\", \"fp16\": " << (args.fp16 ? "true" : "false")
         << ", \"iterations\": " << args.iterations << ", \"warmup\": " << args.warmup
         << ", \"faces\": " << faces.size() << ", \"label\": " << json_string(args.label);
    // Flat keys (<stage>_median_ms, <stage>_p90_ms) so shell scripts on a bare board can grep them.
    for (int s = 0; s < 4; ++s) {
        const double med = median(stage_ms[s]);
        const double p90 = percentile90(stage_ms[s]);
        std::printf("%-12s %10.3f %10.3f\n", stage_names[s], med, p90);
        json << ", \"" << stage_names[s] << "_median_ms\": " << fixed(med, 4) << ", \"" << stage_names[s]
             << "_p90_ms\": " << fixed(p90, 4);
    }
    // Where the memory went: the process before and after loading, after the
    // warm-up and at its peak; the live set of ncnn's feature maps and
    // workspaces and the planned block that holds them (mosface's FrameArena).
    const mosface::MemoryCounts counts = detector.memory_counts();
    const double rss_end = status_mib("VmRSS");
    const double peak_rss = status_mib("VmHWM");
    std::printf("memory (MiB): start %.1f, after load %.1f, after warm-up %.1f, end %.1f, peak %.1f; "
                "live set peak %.1f (feature maps %.1f, workspaces %.1f), block %.1f, plans %llu, misses %llu%s\n",
                rss_start, rss_loaded, rss_warm, rss_end, peak_rss, mib(counts.live_peak),
                mib(counts.blobs.peak_requested), mib(counts.workspace.peak_requested), mib(counts.block_peak_bytes),
                static_cast<unsigned long long>(counts.plans), static_cast<unsigned long long>(counts.misses),
                args.vary_size ? ", random sizes" : "");
    json << ", \"vary_size\": " << (args.vary_size ? "true" : "false") << ", \"memory_pool\": "
         << (args.memory_pool ? "true" : "false") << ", \"rss_start_mib\": " << fixed(rss_start, 1)
         << ", \"rss_after_load_mib\": " << fixed(rss_loaded, 1) << ", \"rss_after_warmup_mib\": " << fixed(rss_warm, 1)
         << ", \"rss_end_mib\": " << fixed(rss_end, 1) << ", \"peak_rss_mib\": " << fixed(peak_rss, 1)
         << ", \"live_peak_mib\": " << fixed(mib(counts.live_peak), 2)
         << ", \"activations_peak_mib\": " << fixed(mib(counts.blobs.peak_requested), 2)
         << ", \"workspace_peak_mib\": " << fixed(mib(counts.workspace.peak_requested), 2)
         << ", \"block_peak_mib\": " << fixed(mib(counts.block_peak_bytes), 2) << ", \"plans\": " << counts.plans
         << ", \"misses\": " << counts.misses << "}";
    std::printf("faces: %zu\n%s\n", faces.size(), json.str().c_str());

    if (!args.json_path.empty()) {
        std::ofstream out(args.json_path);
        out << json.str() << '\n';
        if (!out) {
            throw std::runtime_error("cannot write JSON to " + args.json_path);
        }
    }
    if (!args.detections_path.empty()) {
        write_detections(args.detections_path, faces);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse_arguments(argc, argv));
    } catch (const UsageError& error) {
        std::fprintf(stderr, "mosface-bench: %s\n(run mosface-bench --help for usage)\n", error.what());
        return 2;
    } catch (const std::invalid_argument& error) {  // bad option value the core rejected (threads, thresholds, powersave)
        std::fprintf(stderr, "mosface-bench: %s\n", error.what());
        return 2;
    } catch (const std::exception& error) {  // missing or unusable model, image or output file
        std::fprintf(stderr, "mosface-bench: %s\n", error.what());
        return 1;
    }
}
