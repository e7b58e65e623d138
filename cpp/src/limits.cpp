// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "mosface/limits.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mosface/errors.hpp"

namespace mosface {

void check_input_size(int height, int width) {
    if (height < 1 || width < 1 || height > kMaxInputSide || width > kMaxInputSide) {
        throw std::invalid_argument("network input height and width must be 1.." + std::to_string(kMaxInputSide) +
                                    ", got height=" + std::to_string(height) + ", width=" + std::to_string(width));
    }
}

void check_num_threads(int num_threads) {
    if (num_threads < 0 || num_threads > kMaxThreads) {
        throw std::invalid_argument("num_threads must be 0.." + std::to_string(kMaxThreads) +
                                    " (0: ncnn's default), got " + std::to_string(num_threads));
    }
}

void check_image_size(std::uint64_t height, std::uint64_t width, std::uint64_t row_stride) {
    // Each factor is bounded first so the products below cannot wrap.
    const bool too_large = height > INT_MAX || width > INT_MAX / 3 || row_stride > INT_MAX ||
                           (height > 0 && row_stride > kMaxImageBytes / height) ||
                           (height > 0 && 3 * width > kMaxImageBytes / height);
    if (too_large) {
        throw std::invalid_argument("image of " + std::to_string(width) + "x" + std::to_string(height) +
                                    " (WxH) pixels, row stride " + std::to_string(row_stride) +
                                    " bytes, is larger than the " + std::to_string(kMaxImageBytes) +
                                    " bytes mosface accepts (height * row stride); downscale it first");
    }
}

namespace {

// Closes the descriptor on every path out.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) close(fd_);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

// Checks that the opened file is a regular file of at most max_bytes; returns its size.
std::uint64_t checked_size(const FileDescriptor& file, const std::string& path, const char* what,
                                std::uint64_t max_bytes) {
    if (file.get() < 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            throw MissingFileError(std::string(what) + " not found: " + path);
        }
        throw ModelError(std::string(what) + " cannot be opened: " + path + " (" + std::strerror(errno) + ")");
    }
    struct stat info {};
    if (fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
        throw ModelError(std::string(what) + " is not a regular file: " + path);
    }
    if (static_cast<std::uint64_t>(info.st_size) > max_bytes) {
        throw ModelError(std::string(what) + " is " + std::to_string(info.st_size) + " bytes, more than the " +
                         std::to_string(max_bytes) + " mosface reads: " + path);
    }
    return static_cast<std::uint64_t>(info.st_size);
}

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
int open_nonblocking(const std::string& path) { return open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC); }

// realpath(3): the absolute path with every symlink, '.' and '..' resolved; empty when it does not resolve.
std::string resolved(const std::string& path) {
    const std::unique_ptr<char, decltype(&std::free)> real(realpath(path.c_str(), nullptr), &std::free);
    return real ? std::string(real.get()) : std::string();
}

}  // namespace

void check_regular_file(const std::string& path, const char* what, std::uint64_t max_bytes) {
    const FileDescriptor file(open_nonblocking(path));
    checked_size(file, path, what, max_bytes);
}

std::vector<unsigned char> read_regular_file(const std::string& path, const char* what, std::uint64_t max_bytes) {
    const FileDescriptor file(open_nonblocking(path));
    std::vector<unsigned char> bytes(static_cast<std::size_t>(checked_size(file, path, what, max_bytes)));
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = read(file.get(), bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            throw ModelError(std::string(what) + " could not be read completely: " + path);
        }
        done += static_cast<std::size_t>(n);
    }
    return bytes;
}

void check_model_file_name(const std::string& name, const std::string& field, const std::string& origin) {
    bool parent = false;
    std::size_t start = 0;
    while (start <= name.size()) {
        const std::size_t slash = std::min(name.find('/', start), name.size());
        parent = parent || name.compare(start, slash - start, "..") == 0;
        start = slash + 1;
    }
    if (name.empty() || name[0] == '/' || parent) {
        throw ModelError(origin + ": field '" + field + "' must name a file inside the model folder, got '" + name +
                         "'");
    }
}

void check_resolves_inside(const std::string& folder, const std::string& name, const std::string& field,
                           const std::string& origin) {
    const std::string real_folder = resolved(folder);
    const std::string real_file = resolved(folder + "/" + name);
    if (real_folder.empty() || real_file.empty()) {
        return;
    }
    const std::string prefix = real_folder == "/" ? real_folder : real_folder + "/";
    if (real_file.compare(0, prefix.size(), prefix) != 0) {
        throw ModelError(origin + ": field '" + field + "' names '" + name +
                         "', which resolves outside the model folder (to " + real_file +
                         "); copy the file into the folder instead of linking it");
    }
}

}  // namespace mosface
