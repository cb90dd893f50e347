// A fixed pool of worker threads for the CPU kernels. parallel_for splits [0, n) into chunks of at least `grain` items;
// the calling thread works too. Small ranges and calls from inside a worker run inline, so kernels may nest freely.
#pragma once
#include <cstdint>
#include <type_traits>
#include <utility>

namespace ibot {

// A non-owning reference to a callable (no allocation per kernel launch, unlike std::function).
class RangeFn {
 public:
  template <typename F>
  RangeFn(F& f) : obj_(&f), call_(&invoke<F>) {}  // NOLINT: implicit on purpose
  void operator()(int64_t begin, int64_t end) const { call_(obj_, begin, end); }

 private:
  template <typename F>
  static void invoke(void* obj, int64_t b, int64_t e) { (*static_cast<F*>(obj))(b, e); }
  void* obj_;
  void (*call_)(void*, int64_t, int64_t);
};

void parallel_for_impl(int64_t n, int64_t grain, RangeFn fn);

template <typename F>
inline void parallel_for(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  std::remove_reference_t<F>& ref = f;
  parallel_for_impl(n, grain < 1 ? 1 : grain, RangeFn(ref));
}

int num_threads();            // workers + the caller
void set_num_threads(int n);  // resizes the pool (IBOT_NUM_THREADS sets the initial size)

}  // namespace ibot
