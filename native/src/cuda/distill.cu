// CUDA IbotDistill / IbotDistillGrad (the math and the online statistics: kernels/distill.h).
//   Forward: one block per group of rows. For each row of the group the block folds the row into per-thread online
//   statistics (float4 loads), merges them across the block with warp shuffles, and thread 0 writes the loss; the same
//   loads add the raw teacher row into per-thread column partials (registers when K <= 8192, else global scratch), which
//   the block writes to scratch [groups, K] at the end. A second kernel adds the groups in order (double) per column:
//   the column sums need no atomics and do not depend on the schedule. The teacher is read once for both results.
//   Backward: one block per row, a statistics sweep and a writing sweep (the second mostly from L2).
// Rows the mask leaves out cost only the teacher read the column sums need (forward) or a zero fill (backward).
#include <algorithm>
#include <cstdint>

#include "cuda/common.cuh"
#include "cuda/scratch.cuh"
#include "kernels/distill.h"

namespace ibot::cuda {
namespace {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kThreads = 256;
constexpr int kMaxRegVecs = 8;                    // float4 column partials per thread in registers: K <= 8192
constexpr int64_t kMaxGroups = 1024;              // forward blocks
constexpr int64_t kMinGroupRows = 4;
constexpr int64_t kMaxPartialFloats = 1LL << 24;  // scratch for the column partials: at most 64 MiB

// Running statistics (kernels/distill.h): mt = max t', zt = Σ e^{t'-mt}, a = Σ e^{t'-mt} (ms - s'), ms = max s',
// zs = Σ e^{s'-ms}. Empty: {-inf, 0, 0, -inf, 0}.
struct Stats {
  float mt, zt, a, ms, zs;
};

__device__ inline Stats empty_stats() { return {-INFINITY, 0.0f, 0.0f, -INFINITY, 0.0f}; }

// Folds n values (t' and s', already scaled) into st: the maxima are raised once for the group, then the exps added.
// A teacher max still at -inf means every t' so far was -inf: subtract 0 instead, so they add e^-inf = 0, not NaN.
template <bool kCross, int N>
__device__ inline void fold(Stats& st, const float (&tp)[N], const float (&sp)[N]) {
  float cmt = tp[0], cms = sp[0];
#pragma unroll
  for (int j = 1; j < N; ++j) {
    cmt = fmaxf(cmt, tp[j]);  // fmaxf drops NaN; a NaN still reaches the sums below
    cms = fmaxf(cms, sp[j]);
  }
  if (cmt > st.mt) {
    if (st.mt != -INFINITY) {
      const float f = expf(st.mt - cmt);
      st.zt *= f;
      if (kCross) st.a *= f;
    }
    st.mt = cmt;
  }
  if (cms > st.ms) {
    if (st.ms != -INFINITY) {
      if (kCross) st.a += (cms - st.ms) * st.zt;
      st.zs *= expf(st.ms - cms);
    }
    st.ms = cms;
  }
  const float mt = st.mt == -INFINITY ? 0.0f : st.mt;
#pragma unroll
  for (int j = 0; j < N; ++j) {
    const float e = expf(tp[j] - mt);
    st.zt += e;
    if (kCross) st.a += e * (st.ms - sp[j]);
    st.zs += expf(sp[j] - st.ms);
  }
}

template <bool kCross>
__device__ inline Stats merge(const Stats& x, const Stats& y) {
  if (x.zt == 0.0f && x.zs == 0.0f) return y;  // empty (a thread with no columns); real data gives zs >= 1 or NaN
  if (y.zt == 0.0f && y.zs == 0.0f) return x;
  Stats r;
  r.mt = fmaxf(x.mt, y.mt);
  r.ms = fmaxf(x.ms, y.ms);
  const float fx = x.mt == -INFINITY ? 0.0f : expf(x.mt - r.mt), fy = y.mt == -INFINITY ? 0.0f : expf(y.mt - r.mt);
  r.zt = x.zt * fx + y.zt * fy;
  r.zs = x.zs * expf(x.ms - r.ms) + y.zs * expf(y.ms - r.ms);
  if (kCross) r.a = (x.a + (r.ms - x.ms) * x.zt) * fx + (y.a + (r.ms - y.ms) * y.zt) * fy;
  else r.a = 0.0f;
  return r;
}

template <bool kCross>
__device__ inline Stats warp_merge(Stats s) {
  for (int d = 16; d > 0; d >>= 1) {
    Stats o{__shfl_xor_sync(kFullMask, s.mt, d), __shfl_xor_sync(kFullMask, s.zt, d),
            __shfl_xor_sync(kFullMask, s.a, d), __shfl_xor_sync(kFullMask, s.ms, d),
            __shfl_xor_sync(kFullMask, s.zs, d)};
    s = merge<kCross>(s, o);
  }
  return s;
}

// The block's merged statistics, in every thread. `parts` is shared memory for kThreads / 32 values; the leading
// barrier keeps a previous call's readers clear of this call's writes.
template <bool kCross>
__device__ inline Stats block_merge(Stats s, Stats* parts, Stats* total) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  s = warp_merge<kCross>(s);
  __syncthreads();
  if (lane == 0) parts[warp] = s;
  __syncthreads();
  if (warp == 0) {
    s = lane < kThreads / 32 ? parts[lane] : empty_stats();
    s = warp_merge<kCross>(s);
    if (lane == 0) *total = s;
  }
  __syncthreads();
  return *total;
}

// loss = logsumexp(s') - Σ p s' = log Z_s + A / Z_t.
__device__ inline float finish_loss(const Stats& s) { return s.a / s.zt + logf(s.zs); }

__device__ inline bool selected(const uint8_t* mask, int64_t r) { return mask == nullptr || mask[r] != 0; }

struct FwdParams {
  const float* s;
  const float* t;
  const float* c;
  const uint8_t* mask;  // null: every row
  float is, it;         // 1 / studentTemp, 1 / teacherTemp
  int64_t rows, k, group_rows;
  float* loss;   // [rows]
  float* parts;  // [groups, k]
};

// K % 4 == 0, 16-byte aligned rows, K <= kVecs * 4 * kThreads: thread tid owns float4 columns q * kThreads + tid and
// keeps their partial column sums in registers.
template <int kVecs>
__global__ void __launch_bounds__(kThreads) distill_fwd_vec_kernel(FwdParams p) {
  __shared__ Stats parts[kThreads / 32];
  __shared__ Stats total;
  const int64_t k4 = p.k / 4, g = blockIdx.x;
  const int64_t r0 = g * p.group_rows, r1 = r0 + p.group_rows < p.rows ? r0 + p.group_rows : p.rows;
  const float4* c4 = reinterpret_cast<const float4*>(p.c);
  float4 col[kVecs];
#pragma unroll
  for (int q = 0; q < kVecs; ++q) col[q] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  for (int64_t r = r0; r < r1; ++r) {
    const float4* t4 = reinterpret_cast<const float4*>(p.t + r * p.k);
    const float4* s4 = reinterpret_cast<const float4*>(p.s + r * p.k);
    if (selected(p.mask, r)) {  // uniform across the block
      Stats st = empty_stats();
#pragma unroll
      for (int q = 0; q < kVecs; ++q) {
        const int64_t j = q * kThreads + threadIdx.x;
        if (j < k4) {
          const float4 tv = t4[j], sv = s4[j], cv = c4[j];
          col[q].x += tv.x;
          col[q].y += tv.y;
          col[q].z += tv.z;
          col[q].w += tv.w;
          const float tp[4] = {(tv.x - cv.x) * p.it, (tv.y - cv.y) * p.it, (tv.z - cv.z) * p.it, (tv.w - cv.w) * p.it};
          const float sp[4] = {sv.x * p.is, sv.y * p.is, sv.z * p.is, sv.w * p.is};
          fold<true>(st, tp, sp);
        }
      }
      st = block_merge<true>(st, parts, &total);
      if (threadIdx.x == 0) p.loss[r] = finish_loss(st);
    } else {
#pragma unroll
      for (int q = 0; q < kVecs; ++q) {
        const int64_t j = q * kThreads + threadIdx.x;
        if (j < k4) {
          const float4 tv = t4[j];
          col[q].x += tv.x;
          col[q].y += tv.y;
          col[q].z += tv.z;
          col[q].w += tv.w;
        }
      }
      if (threadIdx.x == 0) p.loss[r] = 0.0f;
    }
  }
  float4* out = reinterpret_cast<float4*>(p.parts + g * p.k);
#pragma unroll
  for (int q = 0; q < kVecs; ++q) {
    const int64_t j = q * kThreads + threadIdx.x;
    if (j < k4) out[j] = col[q];
  }
}

// Any K and alignment: scalar loads, the column partials read and written in the group's scratch row (each thread
// only ever touches its own columns, so no synchronisation is needed).
__global__ void __launch_bounds__(kThreads) distill_fwd_any_kernel(FwdParams p) {
  __shared__ Stats parts[kThreads / 32];
  __shared__ Stats total;
  const int64_t g = blockIdx.x;
  const int64_t r0 = g * p.group_rows, r1 = r0 + p.group_rows < p.rows ? r0 + p.group_rows : p.rows;
  float* col = p.parts + g * p.k;
  for (int64_t r = r0; r < r1; ++r) {
    const float* tr = p.t + r * p.k;
    const float* sr = p.s + r * p.k;
    const bool sel = selected(p.mask, r);
    Stats st = empty_stats();
    for (int64_t j = threadIdx.x; j < p.k; j += kThreads) {
      const float tv = tr[j];
      col[j] = (r == r0 ? 0.0f : col[j]) + tv;
      if (sel) {
        const float tp[1] = {(tv - p.c[j]) * p.it}, sp[1] = {sr[j] * p.is};
        fold<true>(st, tp, sp);
      }
    }
    if (sel) {
      st = block_merge<true>(st, parts, &total);
      if (threadIdx.x == 0) p.loss[r] = finish_loss(st);
    } else if (threadIdx.x == 0) {
      p.loss[r] = 0.0f;
    }
  }
}

// col_sum[j] = Σ_g parts[g, j], groups in order, in double.
__global__ void col_sum_kernel(const float* __restrict__ parts, int64_t groups, int64_t k, float* __restrict__ out) {
  for (int64_t j = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; j < k;
       j += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    double acc = 0.0;
    for (int64_t g = 0; g < groups; ++g) acc += parts[g * k + j];
    out[j] = static_cast<float>(acc);
  }
}

struct GradParams {
  const float* s;
  const float* t;
  const float* c;
  const uint8_t* mask;
  const float* d_loss;
  float is, it;
  int64_t rows, k;
  float* ds;
};

// One block per row (grid-stride). kVec: K % 4 == 0 and 16-byte aligned rows, float4 loads and stores.
template <bool kVec>
__global__ void __launch_bounds__(kThreads) distill_grad_kernel(GradParams p) {
  __shared__ Stats parts[kThreads / 32];
  __shared__ Stats total;
  const int64_t k4 = kVec ? p.k / 4 : p.k;
  for (int64_t r = blockIdx.x; r < p.rows; r += gridDim.x) {
    const float* sr = p.s + r * p.k;
    const float* tr = p.t + r * p.k;
    float* out = p.ds + r * p.k;
    if (!selected(p.mask, r)) {
      if (kVec) {
        for (int64_t j = threadIdx.x; j < k4; j += kThreads)
          reinterpret_cast<float4*>(out)[j] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      } else {
        for (int64_t j = threadIdx.x; j < p.k; j += kThreads) out[j] = 0.0f;
      }
      continue;
    }
    Stats st = empty_stats();
    for (int64_t j = threadIdx.x; j < k4; j += kThreads) {
      if (kVec) {
        const float4 tv = reinterpret_cast<const float4*>(tr)[j], sv = reinterpret_cast<const float4*>(sr)[j];
        const float4 cv = reinterpret_cast<const float4*>(p.c)[j];
        const float tp[4] = {(tv.x - cv.x) * p.it, (tv.y - cv.y) * p.it, (tv.z - cv.z) * p.it, (tv.w - cv.w) * p.it};
        const float sp[4] = {sv.x * p.is, sv.y * p.is, sv.z * p.is, sv.w * p.is};
        fold<false>(st, tp, sp);
      } else {
        const float tp[1] = {(tr[j] - p.c[j]) * p.it}, sp[1] = {sr[j] * p.is};
        fold<false>(st, tp, sp);
      }
    }
    st = block_merge<false>(st, parts, &total);
    // ds = dLoss/τs (e^{s'-ms} / Z_s - e^{t'-mt} / Z_t)
    const float g = p.d_loss[r] * p.is;
    const float gs = g / st.zs, gt = g / st.zt;
    const float mt = st.mt == -INFINITY ? 0.0f : st.mt, ms = st.ms;
    for (int64_t j = threadIdx.x; j < k4; j += kThreads) {
      if (kVec) {
        const float4 tv = reinterpret_cast<const float4*>(tr)[j], sv = reinterpret_cast<const float4*>(sr)[j];
        const float4 cv = reinterpret_cast<const float4*>(p.c)[j];
        float4 o;
        o.x = gs * expf(sv.x * p.is - ms) - gt * expf((tv.x - cv.x) * p.it - mt);
        o.y = gs * expf(sv.y * p.is - ms) - gt * expf((tv.y - cv.y) * p.it - mt);
        o.z = gs * expf(sv.z * p.is - ms) - gt * expf((tv.z - cv.z) * p.it - mt);
        o.w = gs * expf(sv.w * p.is - ms) - gt * expf((tv.w - cv.w) * p.it - mt);
        reinterpret_cast<float4*>(out)[j] = o;
      } else {
        out[j] = gs * expf(sr[j] * p.is - ms) - gt * expf((tr[j] - p.c[j]) * p.it - mt);
      }
    }
  }
}

bool aligned16(const void* ptr) { return (reinterpret_cast<uintptr_t>(ptr) & 15u) == 0; }

}  // namespace

void ibot_distill(const DistillArgs& a, const Tensor& loss, const Tensor& col_sum) {
  const int64_t rows = a.rows, k = a.cols;
  if (k == 0) {  // a sum over no classes
    if (rows > 0) IBOT_CUDA_CHECK(cudaMemsetAsync(loss.data<float>(), 0, rows * sizeof(float), stream()));
    return;
  }
  int64_t group_rows = std::max(kMinGroupRows, (rows + kMaxGroups - 1) / kMaxGroups);
  group_rows = std::max(group_rows, (rows * k + kMaxPartialFloats - 1) / kMaxPartialFloats);
  const int64_t groups = (rows + group_rows - 1) / group_rows;
  Scratch partials(groups * k);  // [groups, K]
  FwdParams p{a.student.data<float>(), a.teacher.data<float>(), a.center.data<float>(),
              a.row_mask.present() ? a.row_mask.data<uint8_t>() : nullptr, 1.0f / a.student_temp,
              1.0f / a.teacher_temp, rows, k, group_rows, loss.data<float>(), partials.data()};
  if (groups > 0) {
    const bool vec = k % 4 == 0 && aligned16(p.s) && aligned16(p.t) && aligned16(p.c);
    const int64_t vecs = (k / 4 + kThreads - 1) / kThreads;  // float4 per thread
    const unsigned grid = static_cast<unsigned>(groups);
    if (vec && vecs <= 1) distill_fwd_vec_kernel<1><<<grid, kThreads, 0, stream()>>>(p);
    else if (vec && vecs <= 2) distill_fwd_vec_kernel<2><<<grid, kThreads, 0, stream()>>>(p);
    else if (vec && vecs <= 4) distill_fwd_vec_kernel<4><<<grid, kThreads, 0, stream()>>>(p);
    else if (vec && vecs <= kMaxRegVecs) distill_fwd_vec_kernel<kMaxRegVecs><<<grid, kThreads, 0, stream()>>>(p);
    else distill_fwd_any_kernel<<<grid, kThreads, 0, stream()>>>(p);
    IBOT_CUDA_CHECK_LAUNCH("distill_fwd_kernel");
  }
  col_sum_kernel<<<blocks_for(k, kThreads), kThreads, 0, stream()>>>(partials.data(), groups, k,
                                                                     col_sum.data<float>());
  IBOT_CUDA_CHECK_LAUNCH("col_sum_kernel");
}

void ibot_distill_grad(const DistillArgs& a, const Tensor& d_loss, const Tensor& d_student) {
  const int64_t rows = a.rows, k = a.cols;
  if (rows == 0 || k == 0) return;
  GradParams p{a.student.data<float>(), a.teacher.data<float>(), a.center.data<float>(),
               a.row_mask.present() ? a.row_mask.data<uint8_t>() : nullptr, d_loss.data<float>(),
               1.0f / a.student_temp, 1.0f / a.teacher_temp, rows, k, d_student.data<float>()};
  const unsigned grid = blocks_for(rows, 1);
  if (k % 4 == 0 && aligned16(p.s) && aligned16(p.t) && aligned16(p.c) && aligned16(p.ds)) {
    distill_grad_kernel<true><<<grid, kThreads, 0, stream()>>>(p);
  } else {
    distill_grad_kernel<false><<<grid, kThreads, 0, stream()>>>(p);
  }
  IBOT_CUDA_CHECK_LAUNCH("distill_grad_kernel");
}

}  // namespace ibot::cuda
