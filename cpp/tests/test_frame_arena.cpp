// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// FrameArena: a replayed call is served from one block no larger than the
// buffers it holds at once would need side by side, no two live buffers
// share bytes (each is filled with its own pattern and checked before it is
// freed), a call that departs from the plan still gets valid memory and
// becomes the next plan, another size gives the block back, and overlapping
// calls never replay.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "allocator.hpp"
#include "check.hpp"

using namespace mosface;

namespace {

struct Step {
    bool allocate;
    int id;            // buffer id within the call
    std::size_t size;  // bytes (allocate only)
};

// A stem-like sequence: input, padded copy, output, then a smaller pooled map.
const std::vector<Step> kCall = {
    {true, 0, 3 << 20},  {true, 1, 3 << 20},   {true, 2, 6 << 20}, {false, 1, 0}, {false, 0, 0},
    {true, 3, 100},      {true, 4, 6 << 20},   {false, 3, 0},      {true, 5, 1 << 20}, {false, 4, 0},
    {false, 2, 0},       {true, 6, 200 << 10}, {false, 5, 0},      {false, 6, 0},
};

struct Buffer {
    unsigned char* ptr = nullptr;
    std::size_t size = 0;
};

// Runs one call; returns the most bytes requested at once.
std::size_t run_call(FrameArena& arena, const std::vector<Step>& steps, int key) {
    ArenaAllocator blobs(arena, BufferKind::blob);
    ArenaAllocator workspace(arena, BufferKind::workspace);
    const FrameArena::Call call(arena, key, key);
    std::vector<Buffer> buffers(16);
    std::size_t live = 0;
    std::size_t peak = 0;
    for (const Step& step : steps) {
        Buffer& buffer = buffers[static_cast<std::size_t>(step.id)];
        ncnn::Allocator& allocator = step.id % 2 ? static_cast<ncnn::Allocator&>(workspace) : blobs;
        if (step.allocate) {
            buffer.ptr = static_cast<unsigned char*>(allocator.fastMalloc(step.size));
            CHECK(buffer.ptr != nullptr);
            CHECK(reinterpret_cast<std::uintptr_t>(buffer.ptr) % NCNN_MALLOC_ALIGN == 0);
            buffer.size = step.size;
            std::memset(buffer.ptr, step.id + 1, step.size + NCNN_MALLOC_OVERREAD);
            live += step.size;
            peak = std::max(peak, live);
        } else {
            bool intact = true;
            for (std::size_t i = 0; i < buffer.size + NCNN_MALLOC_OVERREAD; i += 4093) {
                intact = intact && buffer.ptr[i] == step.id + 1;
            }
            CHECK(intact);  // no other live buffer wrote into this one
            allocator.fastFree(buffer.ptr);
            live -= buffer.size;
        }
    }
    return peak;
}

}  // namespace

int main() {
    FrameArena arena(true);
    const std::size_t peak = run_call(arena, kCall, 480);  // recorded, from the system
    MemoryCounts counts = arena.counts();
    CHECK(counts.block_bytes == 0 && counts.blobs.from_block == 0 && counts.blobs.from_system > 0);
    CHECK(counts.live_peak == peak);

    run_call(arena, kCall, 480);  // replayed in the block
    counts = arena.counts();
    CHECK(counts.plans == 1 && counts.misses == 0);
    CHECK(counts.blobs.from_block == 4 && counts.workspace.from_block == 3);
    // Greedy placement is optimal here: the block is the live peak plus each slot's alignment and overread.
    CHECK(counts.block_bytes >= peak);
    CHECK(counts.block_bytes <= peak + kCall.size() * (NCNN_MALLOC_ALIGN + NCNN_MALLOC_OVERREAD));
    CHECK(counts.blobs.in_use == 0 && counts.workspace.in_use == 0);

    // A call that departs from the plan: valid memory all the same, and it becomes the plan.
    std::vector<Step> departed = kCall;
    departed[8].size = 2 << 20;
    run_call(arena, departed, 480);
    counts = arena.counts();
    CHECK(counts.misses > 0);
    const std::uint64_t misses = counts.misses;
    const std::uint64_t served = counts.blobs.from_block + counts.workspace.from_block;
    run_call(arena, departed, 480);
    counts = arena.counts();
    CHECK(counts.plans == 2 && counts.misses == misses);
    CHECK(counts.blobs.from_block + counts.workspace.from_block == served + 7);

    // Overlapping calls: neither replays, both get valid memory.
    {
        const FrameArena::Call outer(arena, 480, 480);
        run_call(arena, departed, 480);
    }
    counts = arena.counts();
    CHECK(counts.blobs.from_block + counts.workspace.from_block == served + 7);

    // Another size: the block goes back to the system.
    run_call(arena, kCall, 240);
    CHECK(arena.counts().block_bytes == 0);

    // memory_pool off: malloc alone, never a block.
    FrameArena unplanned(false);
    run_call(unplanned, kCall, 480);
    run_call(unplanned, kCall, 480);
    CHECK(unplanned.counts().block_peak_bytes == 0 && unplanned.counts().plans == 0);
    return mosface_test::failures == 0 ? 0 : 1;
}
