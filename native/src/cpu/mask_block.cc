// CPU BlockMask: one block_mask::generate_crop per crop, crops spread over the thread pool. This file must stay a
// baseline x86-64 file compiled with -ffp-contract=off (native/CMakeLists.txt) so its float64 math matches the CUDA
// kernel and the JS reference bit for bit (kernels/block_mask_impl.h says why).
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/mask.h"

// native/CMakeLists.txt defines this next to -ffp-contract=off; without the flag GCC may fuse a*b+c into an FMA
// whenever FMA instructions are enabled (-march=native), and the masks would drift from the CUDA and JS ones.
#if !defined(IBOT_FP_CONTRACT_OFF)
#error "cpu/mask_block.cc must be compiled with -ffp-contract=off (see kernels/block_mask_impl.h)"
#endif

namespace ibot::cpu {

void block_mask(const block_mask::Params& params, const Tensor& out) {
  const int64_t batch = out.shape[0];
  const int64_t cells = params.grid_h * params.grid_w;
  uint8_t* data = out.data<uint8_t>();
  // A 14x14 crop takes a few microseconds: chunks of a few crops amortise the pool's wake-up.
  const int64_t grain = cells >= 4096 ? 1 : 8;
  parallel_for(batch, grain, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b)
      block_mask::generate_crop(params, static_cast<uint32_t>(b), data + b * cells);
  });
}

}  // namespace ibot::cpu
