// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT
//
// FrameArena: where ncnn's feature maps (blobs) and layer workspaces live
// during detect().
//
// At one network size ncnn asks for the same buffers in the same order on
// every call. The first call at a size takes them from the system and records
// each buffer's size and lifetime; the next calls place them in one block, at
// offsets planned from that record: largest first, each at the lowest offset
// that no buffer alive at the same time uses. The block is then about the
// size of the largest live set, is reused untouched by malloc (no heap
// fragmentation, no page faults), and is replaced when the size changes.
//
// Safety does not rest on the replay being exact (threads, another size): a
// request is served from the block only when it has the planned size and its
// planned range is free now; anything else comes from malloc, and a call that
// needed malloc is recorded as the next plan. A call at a new size runs on
// malloc alone, as fast as without a block when sizes change every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "allocator.h"

#include "mosface/detector.hpp"

namespace mosface {

enum class BufferKind { blob = 0, workspace = 1 };

class FrameArena {
public:
    // planned: false gives malloc alone (nothing kept between calls).
    explicit FrameArena(bool planned);
    ~FrameArena();
    FrameArena(const FrameArena&) = delete;
    FrameArena& operator=(const FrameArena&) = delete;

    // One detect() for the lifetime of the object; every Mat of the call must
    // be released before it ends. The size is what fixes ncnn's requests (the
    // resized image's, before any padding to a fixed input).
    class Call {
    public:
        Call(FrameArena& arena, int height, int width);
        ~Call();
        Call(const Call&) = delete;
        Call& operator=(const Call&) = delete;

    private:
        FrameArena& arena_;
    };

    void* allocate(std::size_t size, BufferKind kind);
    void release(void* ptr);
    MemoryCounts counts() const;

private:
    struct Event {  // one buffer of a recorded call
        std::size_t slot;    // bytes it occupies in the block (aligned, with ncnn's overread)
        std::uint64_t start;  // call clock at allocation and at release
        std::uint64_t end;
    };
    struct Live {
        BufferKind kind;
        std::size_t requested;
        long event;  // index into events_ of the current call, or -1
        std::uint64_t call;
        bool in_block;
    };
    struct Range {
        std::size_t begin;
        std::size_t end;
    };
    using Key = std::uint64_t;

    void begin(Key key);
    void end();
    // Makes the block match a recorded call of this key; false when there is none.
    bool prepare_block(Key key);
    void plan();
    void unmap_block();
    bool range_free(std::size_t begin, std::size_t end) const;

    const bool planned_;
    mutable std::mutex mutex_;

    // The block and its plan (offsets into it, by allocation index).
    unsigned char* block_ = nullptr;
    std::size_t block_bytes_ = 0;
    std::vector<std::size_t> offsets_;
    std::vector<Event> plan_events_;  // the recorded call the plan comes from
    std::size_t planned_bytes_ = 0;   // the block the plan needs
    Key plan_key_ = 0;
    bool plan_ready_ = false;
    std::vector<Range> live_in_block_;

    // The call in flight.
    int calls_in_flight_ = 0;
    std::uint64_t call_ = 0;  // generation: releases of an older call are not recorded
    Key call_key_ = 0;
    bool serving_ = false;  // the block serves this call
    bool clean_ = false;    // a single call from begin to end: its record can be a plan
    std::size_t cursor_ = 0;
    std::uint64_t clock_ = 0;
    std::uint64_t misses_ = 0;
    std::vector<Event> events_;

    std::unordered_map<void*, Live> live_;
    std::size_t live_bytes_ = 0;
    MemoryCounts counts_;
};

// The ncnn::Allocator of one kind of buffer; forwards to the shared FrameArena.
class ArenaAllocator final : public ncnn::Allocator {
public:
    ArenaAllocator(FrameArena& arena, BufferKind kind) : arena_(arena), kind_(kind) {}
    void* fastMalloc(size_t size) override { return arena_.allocate(size, kind_); }
    void fastFree(void* ptr) override { arena_.release(ptr); }

private:
    FrameArena& arena_;
    BufferKind kind_;
};

}  // namespace mosface
