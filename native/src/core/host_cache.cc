// Size-class cache of freed host buffers (see host_cache.h).
#include "core/host_cache.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/error.h"

namespace ibot {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kCacheMin = 64 * 1024;        // smaller blocks: malloc's own bins already reuse them well
constexpr size_t kHuge = 2 * 1024 * 1024;      // transparent huge page size on x86-64

// Rounds up to one of four classes per power of two (e.g. 1, 1.25, 1.5, 1.75 MiB), at least 4 KiB granular.
size_t size_class(size_t bytes) {
  if (bytes < kCacheMin) return (bytes + kAlign - 1) / kAlign * kAlign;
  size_t top = size_t{1} << (63 - __builtin_clzll(bytes));  // highest power of two <= bytes
  size_t step = std::max<size_t>(top / 4, 4096);
  return (bytes + step - 1) / step * step;
}

int64_t initial_limit() {
  if (const char* env = std::getenv("IBOT_HOST_CACHE_MB")) return std::atoll(env) * 1024 * 1024;
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  int64_t quarter = pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page / 4 : int64_t{1} << 30;
  return std::min<int64_t>(quarter, int64_t{4} << 30);
}

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_lists;
  int64_t cached = 0;
  int64_t limit = initial_limit();
};

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: finalizers may release buffers during process exit
  return *c;
}

void* fresh(size_t capacity) {
  size_t align = capacity >= kHuge ? kHuge : kAlign;
  void* p = nullptr;
  // posix_memalign, unlike aligned_alloc, takes sizes that are not a multiple of the alignment.
  if (posix_memalign(&p, align, capacity) != 0 || !p) fail("out of host memory allocating ", capacity, " bytes");
#ifdef MADV_HUGEPAGE
  if (capacity >= kHuge) madvise(p, capacity, MADV_HUGEPAGE);  // advisory: ignored where THP is off
#endif
  return p;
}

}  // namespace

void* host_acquire(size_t bytes, size_t* capacity) {
  size_t cls = size_class(bytes == 0 ? 1 : bytes);
  *capacity = cls;
  if (cls >= kCacheMin) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_lists.find(cls);
    if (it != c.free_lists.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached -= static_cast<int64_t>(cls);
      return p;
    }
  }
  return fresh(cls);
}

void host_release(void* ptr, size_t capacity) {
  if (!ptr) return;
  if (capacity >= kCacheMin) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.cached + static_cast<int64_t>(capacity) <= c.limit) {
      c.free_lists[capacity].push_back(ptr);
      c.cached += static_cast<int64_t>(capacity);
      return;
    }
  }
  std::free(ptr);
}

void host_cache_clear() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [cls, list] : c.free_lists)
    for (void* p : list) std::free(p);
  c.free_lists.clear();
  c.cached = 0;
}

int64_t host_cached_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.cached;
}

int64_t host_cache_limit() { return cache().limit; }

}  // namespace ibot
