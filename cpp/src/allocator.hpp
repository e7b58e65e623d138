// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// BoundedPoolAllocator: the ncnn allocator for activations (blobs) and layer
// workspaces. It counts bytes in use, keeps freed buffers for reuse by the
// next request of a similar size, and never holds more than the largest live
// set it has seen: ncnn's own pool keeps every buffer it ever handed out, and
// at varying image sizes it grows without bound. A cached buffer serves any
// request it is large enough for (the smallest such one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "allocator.h"

#include "mosface/detector.hpp"

namespace mosface {

class BoundedPoolAllocator final : public ncnn::Allocator {
public:
    // keep_freed: keep freed buffers for reuse (false: every free goes to malloc's free).
    // max_waste_divisor: a cached buffer serves a request when it is larger by
    // at most size / max_waste_divisor (0: any larger buffer serves).
    BoundedPoolAllocator(bool keep_freed, std::size_t max_waste_divisor);
    ~BoundedPoolAllocator() override;
    BoundedPoolAllocator(const BoundedPoolAllocator&) = delete;
    BoundedPoolAllocator& operator=(const BoundedPoolAllocator&) = delete;

    void* fastMalloc(size_t size) override;
    void fastFree(void* ptr) override;

    AllocatorCounts counts() const;

private:
    struct Block {
        void* ptr;
        std::size_t capacity;
        std::uint64_t last_use;  // for dropping the least recently freed first
    };

    // Index of the smallest cached block that fits size without wasting much, or -1.
    long find_cached(std::size_t size) const;
    // Drops least recently freed blocks until held bytes plus `incoming` fit the bound.
    void trim_for(std::size_t incoming);

    struct InUse {
        std::size_t capacity;
        std::size_t requested;
    };

    const bool keep_freed_;
    const std::size_t max_waste_divisor_;
    mutable std::mutex mutex_;
    std::vector<Block> cached_;
    std::unordered_map<void*, InUse> in_use_;
    std::size_t requested_ = 0;  // bytes ncnn asked for that are in use now
    AllocatorCounts counts_;
    std::uint64_t clock_ = 0;
};

}  // namespace mosface
