// Reuse of freed host buffers. A training step allocates and frees the same large tensors every iteration; giving
// them back to the OS and faulting fresh pages in again costs more than many kernels (measured here: ~450 ms of page
// faults for a fresh 60 MB output on a loaded VM, against 25–50 ms for the softmax that fills it). Buffers of 64 KiB
// and more are kept in size classes (4 per power of two, so at most 25 % slack) up to a byte budget; buffers of
// 2 MiB and more are 2 MiB aligned and asked to use transparent huge pages, so a fault maps 2 MiB instead of 4 KiB.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ibot {

// Returns a 64-byte aligned buffer of at least `bytes` (never null; throws when out of memory). `*capacity` is
// set to the size actually reserved, which host_release needs back.
void* host_acquire(size_t bytes, size_t* capacity);
void host_release(void* ptr, size_t capacity);
// Frees every cached buffer (the cache refills as tensors are freed again).
void host_cache_clear();
int64_t host_cached_bytes();
// The most bytes the cache may hold (default: a quarter of physical memory, at most 4 GiB; IBOT_HOST_CACHE_MB
// overrides it, 0 disables caching).
int64_t host_cache_limit();

}  // namespace ibot
