// CPU TopK along the last axis: per row, a partial sort of the indices by (value descending, index ascending), which
// is the order tfjs cpu returns when sorted=true (and a valid answer for sorted=false, whose order tfjs leaves open).
// NaN sorts above everything (tfjs's comparator is inconsistent with NaN, so no order can match it; this one at least
// is a strict weak order, which std::partial_sort requires).
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <type_traits>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/reduce.h"
#include "kernels/reduce_dispatch.h"

namespace ibot::cpu {
namespace {

template <typename T>
inline bool before(T a, T b, int32_t i, int32_t j) {
  if constexpr (std::is_floating_point_v<T>) {
    const bool an = a != a, bn = b != b;
    if (an || bn) return an && bn ? i < j : an;
  }
  if (a != b) return a > b;
  return i < j;
}

template <typename T>
void topk_typed(const T* x, T* values, int32_t* indices, int64_t rows, int64_t n, int64_t k) {
  parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
    std::vector<int32_t> order(n);
    for (int64_t row = b; row < e; ++row) {
      const T* xr = x + row * n;
      std::iota(order.begin(), order.end(), 0);
      auto cmp = [xr](int32_t i, int32_t j) { return before(xr[i], xr[j], i, j); };
      std::partial_sort(order.begin(), order.begin() + k, order.end(), cmp);
      for (int64_t i = 0; i < k; ++i) {
        values[row * k + i] = xr[order[i]];
        indices[row * k + i] = order[i];
      }
    }
  });
}

}  // namespace

void topk(const Tensor& x, int64_t k, const Tensor& values, const Tensor& indices) {
  dispatch_topk(x, k, values, indices, [&](const auto* xd, auto* vd, int32_t* id, int64_t rows, int64_t n) {
    topk_typed(xd, vd, id, rows, n, k);
  });
}

}  // namespace ibot::cpu
