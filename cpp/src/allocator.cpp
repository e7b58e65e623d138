// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "allocator.hpp"

#include <sys/mman.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <numeric>

namespace mosface {

namespace {

// What a request occupies: ncnn's kernels may read NCNN_MALLOC_OVERREAD bytes
// past a buffer, and every buffer starts NCNN_MALLOC_ALIGN-aligned.
std::size_t slot_for(std::size_t size) {
    const std::size_t bytes = size + NCNN_MALLOC_OVERREAD;
    return (bytes + NCNN_MALLOC_ALIGN - 1) / NCNN_MALLOC_ALIGN * NCNN_MALLOC_ALIGN;
}

void* map_pages(std::size_t bytes) {
    void* ptr = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return ptr == MAP_FAILED ? nullptr : ptr;
}

}  // namespace

FrameArena::FrameArena(bool planned) : planned_(planned) {}

FrameArena::~FrameArena() {
    // Buffers still in use belong to Mats that outlive the arena: a bug
    // elsewhere, but freeing them here would turn it into a use-after-free.
    if (live_in_block_.empty()) {
        unmap_block();
    }
}

FrameArena::Call::Call(FrameArena& arena, int height, int width) : arena_(arena) {
    arena_.begin(static_cast<Key>(static_cast<std::uint32_t>(height)) << 32 | static_cast<std::uint32_t>(width));
}

FrameArena::Call::~Call() { arena_.end(); }

void FrameArena::begin(Key key) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (++calls_in_flight_ > 1) {  // calls overlap: neither replays nor records a plan
        serving_ = false;
        clean_ = false;
        return;
    }
    ++call_;
    call_key_ = key;
    cursor_ = 0;
    clock_ = 0;
    misses_ = 0;
    events_.clear();
    clean_ = planned_;
    serving_ = planned_ && prepare_block(key);
}

void FrameArena::end() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--calls_in_flight_ > 0) {
        return;
    }
    const bool complete = std::all_of(events_.begin(), events_.end(), [](const Event& e) { return e.end > 0; });
    if (clean_ && complete && !events_.empty() && (!serving_ || misses_ > 0)) {
        plan_events_.swap(events_);  // planned at the next call of this size
        plan_key_ = call_key_;
        plan_ready_ = false;
    }
    serving_ = false;
    clean_ = false;
}

bool FrameArena::prepare_block(Key key) {
    if (plan_events_.empty() || plan_key_ != key) {
        if (live_in_block_.empty()) {
            unmap_block();  // another size: give the old block back
        }
        return false;
    }
    if (!plan_ready_) {
        plan();
    }
    const std::size_t needed = planned_bytes_;
    if (block_ != nullptr && block_bytes_ == needed) {
        return true;
    }
    if (!live_in_block_.empty()) {
        return false;  // an escaped Mat still uses the old block
    }
    unmap_block();
#if defined(__GLIBC__)
    // The recorded call's buffers were freed into malloc's heap: hand those pages
    // back before the block takes their place (once per plan, not per call).
    malloc_trim(0);
#endif
    block_ = static_cast<unsigned char*>(map_pages(needed));
    if (block_ == nullptr) {
        return false;  // the system path reports the failure if it persists
    }
    block_bytes_ = needed;
    counts_.block_peak_bytes = std::max(counts_.block_peak_bytes, needed);
    return true;
}

void FrameArena::plan() {
    // Largest first, each at the lowest offset free of every placed buffer
    // whose lifetime overlaps its own (greedy by size, as TFLite's planner).
    const std::size_t n = plan_events_.size();
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return plan_events_[a].slot > plan_events_[b].slot; });
    offsets_.assign(n, 0);
    std::vector<std::size_t> placed;
    std::vector<Range> taken;
    std::size_t total = 0;
    for (const std::size_t i : order) {
        const Event& event = plan_events_[i];
        taken.clear();
        for (const std::size_t j : placed) {
            const Event& other = plan_events_[j];
            if (other.start < event.end && event.start < other.end) {
                taken.push_back({offsets_[j], offsets_[j] + other.slot});
            }
        }
        std::sort(taken.begin(), taken.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
        std::size_t offset = 0;
        for (const Range& range : taken) {
            if (range.begin >= offset + event.slot) {
                break;
            }
            offset = std::max(offset, range.end);
        }
        offsets_[i] = offset;
        total = std::max(total, offset + event.slot);
        placed.push_back(i);
    }
    planned_bytes_ = total;
    plan_ready_ = true;
    ++counts_.plans;
}

void FrameArena::unmap_block() {
    if (block_ != nullptr) {
        munmap(block_, block_bytes_);
    }
    block_ = nullptr;
    block_bytes_ = 0;
}

bool FrameArena::range_free(std::size_t begin, std::size_t end) const {
    return std::none_of(live_in_block_.begin(), live_in_block_.end(),
                        [&](const Range& r) { return r.begin < end && begin < r.end; });
}

void* FrameArena::allocate(std::size_t size, BufferKind kind) {
    const std::size_t slot = slot_for(size);
    std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t index = cursor_++;
    void* ptr = nullptr;
    bool in_block = false;
    if (serving_) {
        const bool as_planned = index < offsets_.size() && plan_events_[index].slot == slot &&
                                range_free(offsets_[index], offsets_[index] + slot);
        if (as_planned) {
            ptr = block_ + offsets_[index];
            in_block = true;
            live_in_block_.push_back({offsets_[index], offsets_[index] + slot});
        } else {
            ++misses_;
            ++counts_.misses;
        }
    }
    if (ptr == nullptr) {
        ptr = ncnn::fastMalloc(size);  // malloc reuses its heap when sizes change call to call
        if (ptr == nullptr) {
            return nullptr;  // ncnn reports a failed allocation as an error of the layer
        }
    }
    long event = -1;
    if (clean_) {
        event = static_cast<long>(events_.size());
        events_.push_back({slot, ++clock_, 0});
    }
    live_.emplace(ptr, Live{kind, size, event, call_, in_block});

    AllocatorCounts& c = kind == BufferKind::blob ? counts_.blobs : counts_.workspace;
    c.in_use += size;
    c.peak_requested = std::max(c.peak_requested, c.in_use);
    if (in_block) {
        ++c.from_block;
    } else {
        ++c.from_system;
        c.system_bytes += size;
    }
    live_bytes_ += size;
    counts_.live_peak = std::max(counts_.live_peak, live_bytes_);
    return ptr;
}

void FrameArena::release(void* ptr) {
    if (ptr == nullptr) {
        return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = live_.find(ptr);
    if (found == live_.end()) {
        return;  // not ours: never free what another allocator owns
    }
    const Live entry = found->second;
    live_.erase(found);
    if (entry.event >= 0 && entry.call == call_ && static_cast<std::size_t>(entry.event) < events_.size()) {
        events_[static_cast<std::size_t>(entry.event)].end = ++clock_;
    }
    AllocatorCounts& c = entry.kind == BufferKind::blob ? counts_.blobs : counts_.workspace;
    c.in_use -= entry.requested;
    live_bytes_ -= entry.requested;
    if (entry.in_block) {
        const std::size_t begin = static_cast<std::size_t>(static_cast<unsigned char*>(ptr) - block_);
        const auto range = std::find_if(live_in_block_.begin(), live_in_block_.end(),
                                        [&](const Range& r) { return r.begin == begin; });
        if (range != live_in_block_.end()) {
            *range = live_in_block_.back();
            live_in_block_.pop_back();
        }
    } else {
        ncnn::fastFree(ptr);
    }
}

MemoryCounts FrameArena::counts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    MemoryCounts counts = counts_;
    counts.block_bytes = block_bytes_;
    return counts;
}

}  // namespace mosface
