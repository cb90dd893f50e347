// CUDA AdamW / Ema / ClipPerParam (math: kernels/optim.h), one launch over all parameters. The host builds a segment
// table (pointers, sizes, per-tensor scalars) and a chunk table (every tensor cut into chunks of kChunk elements, so a
// chunk never spans two tensors), copies both into one stream-ordered scratch buffer, and a grid-stride kernel walks
// the chunks. ClipPerParam: a sum of squares per chunk (double), then one block per tensor adds its chunks in a fixed
// order (so the norm does not depend on the schedule) and picks the factor, then a scaling pass.
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "cuda/common.cuh"
#include "cuda/scratch.cuh"
#include "kernels/optim.h"

namespace ibot::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kChunk = 8192;

struct Segment {
  const float* in[4];  // AdamW: p, g, m, v; Ema: teacher, student; Clip: g
  float* out[3];       // AdamW: p', m', v'; Ema: t'; Clip: g'
  int64_t n;
  float x, y, z;       // AdamW: decay, step size, √(1-β2^t)
};

struct Chunk {
  int64_t seg;
  int64_t offset;  // first element of the chunk within its tensor
};

// The tables on the device, and room for what the clipping kernels pass between them.
class DeviceTables {
 public:
  DeviceTables(const std::vector<Segment>& segs, bool clip) : nseg_(static_cast<int64_t>(segs.size())) {
    std::vector<int64_t> first(segs.size() + 1, 0);
    for (size_t i = 0; i < segs.size(); ++i) {
      first[i] = static_cast<int64_t>(chunks_.size());
      for (int64_t off = 0; off < segs[i].n; off += kChunk) chunks_.push_back({static_cast<int64_t>(i), off});
    }
    first[segs.size()] = static_cast<int64_t>(chunks_.size());
    nchunks_ = static_cast<int64_t>(chunks_.size());
    // Layout (8-byte aligned pieces): segments, chunks, first chunk of each segment; then, for clipping, the chunks'
    // sums of squares (double) and the segments' factors (float).
    seg_bytes_ = segs.size() * sizeof(Segment);
    chunk_bytes_ = chunks_.size() * sizeof(Chunk);
    first_bytes_ = first.size() * sizeof(int64_t);
    const size_t host_bytes = seg_bytes_ + chunk_bytes_ + first_bytes_;
    const size_t bytes = host_bytes + (clip ? chunks_.size() * sizeof(double) + segs.size() * sizeof(float) : 0);
    scratch_ = std::make_unique<Scratch>(DType::kFloat32, static_cast<int64_t>((bytes + 3) / 4));
    std::vector<unsigned char> host(host_bytes);
    if (seg_bytes_) std::memcpy(host.data(), segs.data(), seg_bytes_);
    if (chunk_bytes_) std::memcpy(host.data() + seg_bytes_, chunks_.data(), chunk_bytes_);
    std::memcpy(host.data() + seg_bytes_ + chunk_bytes_, first.data(), first_bytes_);
    // From pageable memory: the call returns once `host` has been staged, so it may go out of scope right after.
    IBOT_CUDA_CHECK(cudaMemcpyAsync(base(), host.data(), host_bytes, cudaMemcpyHostToDevice, stream()));
  }
  DeviceTables(const DeviceTables&) = delete;
  DeviceTables& operator=(const DeviceTables&) = delete;

  int64_t segments() const { return nseg_; }
  int64_t chunks() const { return nchunks_; }
  const Segment* seg() const { return reinterpret_cast<const Segment*>(base()); }
  const Chunk* chunk() const { return reinterpret_cast<const Chunk*>(base() + seg_bytes_); }
  const int64_t* first_chunk() const { return reinterpret_cast<const int64_t*>(base() + seg_bytes_ + chunk_bytes_); }
  double* sums() const { return reinterpret_cast<double*>(base() + seg_bytes_ + chunk_bytes_ + first_bytes_); }
  float* factors() const { return reinterpret_cast<float*>(sums() + nchunks_); }

 private:
  unsigned char* base() const { return scratch_->data<unsigned char>(); }

  int64_t nseg_ = 0, nchunks_ = 0;
  std::vector<Chunk> chunks_;
  size_t seg_bytes_ = 0, chunk_bytes_ = 0, first_bytes_ = 0;
  std::unique_ptr<Scratch> scratch_;
};

unsigned grid_for(int64_t chunks) { return blocks_for(chunks, 1, 65535); }

struct AdamConsts {
  float b1, ob1, b2, ob2, eps;
};

__global__ void __launch_bounds__(kThreads)
    adamw_kernel(const Segment* __restrict__ segs, const Chunk* __restrict__ chunks, int64_t nchunks, AdamConsts k) {
  for (int64_t ch = blockIdx.x; ch < nchunks; ch += gridDim.x) {
    const Chunk c = chunks[ch];
    const Segment sg = segs[c.seg];
    const int64_t end = c.offset + kChunk < sg.n ? c.offset + kChunk : sg.n;
    for (int64_t j = c.offset + threadIdx.x; j < end; j += kThreads) {
      const float g = sg.in[1][j];
      const float p1 = sg.in[0][j] * sg.x;
      const float m1 = sg.in[2][j] * k.b1 + k.ob1 * g;
      const float v1 = sg.in[3][j] * k.b2 + k.ob2 * g * g;
      const float denom = sqrtf(v1) / sg.z + k.eps;
      sg.out[0][j] = p1 - sg.y * (m1 / denom);
      sg.out[1][j] = m1;
      sg.out[2][j] = v1;
    }
  }
}

__global__ void __launch_bounds__(kThreads) ema_kernel(const Segment* __restrict__ segs,
                                                       const Chunk* __restrict__ chunks, int64_t nchunks, float mom,
                                                       float omm) {
  for (int64_t ch = blockIdx.x; ch < nchunks; ch += gridDim.x) {
    const Chunk c = chunks[ch];
    const Segment sg = segs[c.seg];
    const int64_t end = c.offset + kChunk < sg.n ? c.offset + kChunk : sg.n;
    for (int64_t j = c.offset + threadIdx.x; j < end; j += kThreads) sg.out[0][j] = sg.in[0][j] * mom + omm * sg.in[1][j];
  }
}

// The block's sum of one double per thread, in thread 0 (a fixed tree: deterministic).
__device__ inline double block_sum(double v, double* shared) {
  for (int d = 16; d > 0; d >>= 1) v += __shfl_xor_sync(0xffffffffu, v, d);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = 0.0;
  if (warp == 0) {
    v = lane < kThreads / 32 ? shared[lane] : 0.0;
    for (int d = 16; d > 0; d >>= 1) v += __shfl_xor_sync(0xffffffffu, v, d);
  }
  return v;
}

__global__ void __launch_bounds__(kThreads) sum_squares_kernel(const Segment* __restrict__ segs,
                                                               const Chunk* __restrict__ chunks, int64_t nchunks,
                                                               double* __restrict__ sums) {
  __shared__ double shared[kThreads / 32];
  for (int64_t ch = blockIdx.x; ch < nchunks; ch += gridDim.x) {
    const Chunk c = chunks[ch];
    const float* g = segs[c.seg].in[0];
    const int64_t n = segs[c.seg].n;
    const int64_t end = c.offset + kChunk < n ? c.offset + kChunk : n;
    float acc = 0.0f;  // at most kChunk / kThreads = 32 squares per thread
    for (int64_t j = c.offset + threadIdx.x; j < end; j += kThreads) acc += g[j] * g[j];
    const double total = block_sum(acc, shared);
    if (threadIdx.x == 0) sums[ch] = total;
  }
}

// One block per tensor: its norm (an output) and its clipping factor.
__global__ void __launch_bounds__(kThreads) norm_kernel(const int64_t* __restrict__ first_chunk, int64_t nseg,
                                                        const double* __restrict__ sums, double max_norm,
                                                        float* __restrict__ norms, float* __restrict__ factors) {
  __shared__ double shared[kThreads / 32];
  for (int64_t s = blockIdx.x; s < nseg; s += gridDim.x) {
    double acc = 0.0;
    for (int64_t ch = first_chunk[s] + threadIdx.x; ch < first_chunk[s + 1]; ch += kThreads) acc += sums[ch];
    const double total = block_sum(acc, shared);
    if (threadIdx.x == 0) {
      const double norm = sqrt(total);
      norms[s] = static_cast<float>(norm);
      factors[s] = static_cast<float>(clip_coefficient(norm, max_norm));
    }
  }
}

__global__ void __launch_bounds__(kThreads) scale_kernel(const Segment* __restrict__ segs,
                                                         const Chunk* __restrict__ chunks, int64_t nchunks,
                                                         const float* __restrict__ factors) {
  for (int64_t ch = blockIdx.x; ch < nchunks; ch += gridDim.x) {
    const Chunk c = chunks[ch];
    const Segment sg = segs[c.seg];
    const float f = factors[c.seg];
    const int64_t end = c.offset + kChunk < sg.n ? c.offset + kChunk : sg.n;
    for (int64_t j = c.offset + threadIdx.x; j < end; j += kThreads) sg.out[0][j] = sg.in[0][j] * f;
  }
}

}  // namespace

void adamw(const AdamWArgs& a) {
  std::vector<Segment> segs(a.p.size());
  for (size_t i = 0; i < segs.size(); ++i) {
    segs[i] = Segment{{a.p[i].data<float>(), a.g[i].data<float>(), a.m[i].data<float>(), a.v[i].data<float>()},
                      {a.p_out[i].data<float>(), a.m_out[i].data<float>(), a.v_out[i].data<float>()},
                      a.p[i].numel(),
                      a.scalars[i].decay,
                      a.scalars[i].step_size,
                      a.scalars[i].bc2_sqrt};
  }
  DeviceTables tables(segs, false);
  if (tables.chunks() == 0) return;
  const AdamConsts k{a.beta1, a.one_minus_beta1, a.beta2, a.one_minus_beta2, a.eps};
  adamw_kernel<<<grid_for(tables.chunks()), kThreads, 0, stream()>>>(tables.seg(), tables.chunk(), tables.chunks(), k);
  IBOT_CUDA_CHECK_LAUNCH("adamw_kernel");
}

void ema(const EmaArgs& a) {
  std::vector<Segment> segs(a.teacher.size());
  for (size_t i = 0; i < segs.size(); ++i) {
    segs[i] = Segment{{a.teacher[i].data<float>(), a.student[i].data<float>(), nullptr, nullptr},
                      {a.out[i].data<float>(), nullptr, nullptr},
                      a.teacher[i].numel(),
                      0.0f,
                      0.0f,
                      0.0f};
  }
  DeviceTables tables(segs, false);
  if (tables.chunks() == 0) return;
  ema_kernel<<<grid_for(tables.chunks()), kThreads, 0, stream()>>>(tables.seg(), tables.chunk(), tables.chunks(),
                                                                   a.momentum, a.one_minus_momentum);
  IBOT_CUDA_CHECK_LAUNCH("ema_kernel");
}

void clip_per_param(const ClipArgs& a) {
  if (a.g.empty()) return;
  std::vector<Segment> segs(a.g.size());
  for (size_t i = 0; i < segs.size(); ++i) {
    segs[i] = Segment{{a.g[i].data<float>(), nullptr, nullptr, nullptr},
                      {a.out[i].data<float>(), nullptr, nullptr},
                      a.g[i].numel(),
                      0.0f,
                      0.0f,
                      0.0f};
  }
  DeviceTables tables(segs, true);
  const int64_t nchunks = tables.chunks(), nseg = tables.segments();
  if (nchunks > 0) {
    sum_squares_kernel<<<grid_for(nchunks), kThreads, 0, stream()>>>(tables.seg(), tables.chunk(), nchunks,
                                                                     tables.sums());
    IBOT_CUDA_CHECK_LAUNCH("sum_squares_kernel");
  }
  norm_kernel<<<grid_for(nseg), kThreads, 0, stream()>>>(tables.first_chunk(), nseg, tables.sums(), a.max_norm,
                                                         a.norms.data<float>(), tables.factors());
  IBOT_CUDA_CHECK_LAUNCH("norm_kernel");
  if (nchunks > 0) {
    scale_kernel<<<grid_for(nchunks), kThreads, 0, stream()>>>(tables.seg(), tables.chunk(), nchunks,
                                                               tables.factors());
    IBOT_CUDA_CHECK_LAUNCH("scale_kernel");
  }
}

}  // namespace ibot::cuda
