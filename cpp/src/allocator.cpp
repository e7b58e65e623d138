// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "allocator.hpp"

#include <algorithm>

namespace mosface {

namespace {

std::size_t capacity_for(std::size_t size) { return (size + NCNN_MALLOC_ALIGN - 1) / NCNN_MALLOC_ALIGN * NCNN_MALLOC_ALIGN; }

}  // namespace

BoundedPoolAllocator::BoundedPoolAllocator(bool keep_freed, std::size_t max_waste_divisor)
    : keep_freed_(keep_freed), max_waste_divisor_(max_waste_divisor) {}

BoundedPoolAllocator::~BoundedPoolAllocator() {
    for (const Block& block : cached_) {
        ncnn::fastFree(block.ptr);
    }
    // Buffers still in use belong to Mats that outlive the allocator: a bug
    // elsewhere, but freeing them here would turn it into a use-after-free.
}

long BoundedPoolAllocator::find_cached(std::size_t size) const {
    long best = -1;
    for (std::size_t i = 0; i < cached_.size(); ++i) {
        const std::size_t capacity = cached_[i].capacity;
        const bool fits = capacity >= size && (max_waste_divisor_ == 0 || capacity - size <= size / max_waste_divisor_);
        if (fits && (best < 0 || capacity < cached_[static_cast<std::size_t>(best)].capacity)) {
            best = static_cast<long>(i);
        }
    }
    return best;
}

void BoundedPoolAllocator::trim_for(std::size_t incoming) {
    // The bound: buffers in use plus cached never exceed the largest live set
    // ncnn asked for (or what this request needs on top of those in use).
    const std::size_t bound = std::max(counts_.peak_requested, counts_.in_use + incoming);
    while (!cached_.empty() && counts_.in_use + counts_.cached + incoming > bound) {
        const auto oldest = std::min_element(cached_.begin(), cached_.end(),
                                             [](const Block& a, const Block& b) { return a.last_use < b.last_use; });
        ncnn::fastFree(oldest->ptr);
        counts_.cached -= oldest->capacity;
        *oldest = cached_.back();
        cached_.pop_back();
    }
}

void* BoundedPoolAllocator::fastMalloc(size_t size) {
    const std::size_t capacity = capacity_for(size);
    std::lock_guard<std::mutex> lock(mutex_);
    requested_ += size;
    counts_.peak_requested = std::max(counts_.peak_requested, requested_);
    const long index = find_cached(capacity);
    Block block{nullptr, capacity, 0};
    if (index >= 0) {
        block = cached_[static_cast<std::size_t>(index)];
        cached_[static_cast<std::size_t>(index)] = cached_.back();
        cached_.pop_back();
        counts_.cached -= block.capacity;
        ++counts_.reused;
    } else {
        trim_for(capacity);
        block.ptr = ncnn::fastMalloc(capacity);
        if (block.ptr == nullptr) {
            requested_ -= size;
            return nullptr;  // ncnn reports a failed allocation as an error of the layer
        }
        ++counts_.fresh_allocations;
        counts_.fresh_bytes += capacity;
    }
    in_use_.emplace(block.ptr, InUse{block.capacity, size});
    counts_.in_use += block.capacity;
    counts_.peak_in_use = std::max(counts_.peak_in_use, counts_.in_use);
    counts_.peak_held = std::max(counts_.peak_held, counts_.in_use + counts_.cached);
    return block.ptr;
}

void BoundedPoolAllocator::fastFree(void* ptr) {
    if (ptr == nullptr) {
        return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = in_use_.find(ptr);
    if (found == in_use_.end()) {
        return;  // not ours: never free what another allocator owns
    }
    const InUse entry = found->second;
    in_use_.erase(found);
    counts_.in_use -= entry.capacity;
    requested_ -= entry.requested;
    if (keep_freed_) {
        cached_.push_back({ptr, entry.capacity, ++clock_});
        counts_.cached += entry.capacity;
    } else {
        ncnn::fastFree(ptr);
    }
}

AllocatorCounts BoundedPoolAllocator::counts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return counts_;
}

}  // namespace mosface
