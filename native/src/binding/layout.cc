// N-API entries of the layout family. Tensors travel as (handle, shape) pairs and outputs are allocated by the caller;
// attributes arrive already normalised by the TS kernels (non-negative axes, parsed slice parameters), and every entry
// re-checks them against the shapes so no call can read or write outside a buffer. Each entry builds a CopyPlan or
// the index description its kernel needs, then dispatches on the device.
#include <cmath>

#include "binding/args.h"
#include "binding/families.h"
#include "kernels/elementwise.h"
#include "kernels/layout.h"

namespace ibot::binding {
namespace {

// x and out: one device, one dtype, and distinct buffers (an output aliasing its input would be overwritten mid-copy).
void check_io(const Args& args, const Tensor& x, const Tensor& out, const char* xname = "x") {
  args.check_same_device({&x, &out});
  if (out.dtype() != x.dtype()) args.fail("out must be ", dtype_name(x.dtype()), " like ", xname, ", got ", out.describe());
  if (out.storage == x.storage) args.fail("out must not share ", xname, "'s buffer");
}

int64_t axis_arg(const Args& args, size_t i, const char* name, int64_t rank) {
  int64_t a = args.integer(i, name);
  if (a < 0 || a >= rank) args.fail(name, " must be in [0, ", rank, ") for a rank-", rank, " tensor, got ", a);
  return a;
}

// A fill value must be exactly representable in the output dtype (the TS side converts it as tfjs's typed arrays do).
double value_arg(const Args& args, size_t i, const char* name, DType dtype) {
  double v = args.number(i, name);
  if (dtype == DType::kInt32 && !(std::floor(v) == v && v >= -2147483648.0 && v <= 2147483647.0))
    args.fail(name, " must be an int32 value for an int32 output, got ", v);
  if (dtype == DType::kBool && !(std::floor(v) == v && v >= 0 && v <= 255))
    args.fail(name, " must be an integer in [0, 255] for a bool output, got ", v);
  return v;
}

int64_t product(const Shape& s, size_t from, size_t to) {
  int64_t n = 1;
  for (size_t i = from; i < to && i < s.size(); ++i) n *= s[i];
  return n;
}

// The head shared by the entries (x, xShape, list, ..., out, outShape): the integer list at 2 and out like x.
struct ListArgs {
  Tensor x;
  std::vector<int64_t> list;
  Tensor out;
};

ListArgs read_x_list_out(const Args& args, size_t count, const char* list_name, size_t out_index) {
  args.expect_count(count);
  ListArgs a{args.tensor(0, "x"), args.integers(2, list_name), args.tensor(out_index, "out")};
  check_io(args, a.x, a.out);
  return a;
}

// out's shape for paddings [before0, after0, before1, ...] around x; the caller checks their ranges.
Shape padded_shape(const Args& args, const Tensor& x, const std::vector<int64_t>& pads) {
  const int r = x.rank();
  if (static_cast<int>(pads.size()) != 2 * r)
    args.fail("paddings must hold 2 entries per axis of x ", x.describe(), ", got ", pads.size());
  Shape padded(r);
  for (int d = 0; d < r; ++d) padded[d] = pads[2 * d] + x.shape[d] + pads[2 * d + 1];
  return padded;
}

// indices: int32, on out's device, and not out's buffer.
void check_indices(const Args& args, const Tensor& idx, const Tensor& out) {
  args.check_same_device({&idx, &out});
  args.check_dtype(idx, "indices", {DType::kInt32});
  if (out.storage == idx.storage) args.fail("out must not share indices' buffer");
}

void run_copy(const Args& args, const CopyPlan& p, const Tensor& x, const Tensor& out) {
  check_copy_bounds(p, x.numel(), out.numel(), args.op());
  IBOT_DISPATCH(x.device(), strided_copy, p, x, out);
}

// Transpose(x, xShape, perm, out, outShape): out[i...] = x[i permuted back]; outShape[k] = xShape[perm[k]].
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  Args args(info, "Transpose");
  auto [x, perm, out] = read_x_list_out(args, 5, "perm", 3);
  const int r = x.rank();
  if (static_cast<int>(perm.size()) != r) args.fail("perm has ", perm.size(), " entries for x ", x.describe());
  std::vector<bool> seen(r, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= r || seen[p]) args.fail("perm must be a permutation of 0..", r - 1, " for x ", x.describe());
    seen[p] = true;
  }
  Shape expect(r), src(r);
  const Shape xs = strides_of(x.shape);
  for (int k = 0; k < r; ++k) {
    expect[k] = x.shape[perm[k]];
    src[k] = xs[perm[k]];
  }
  args.check_shape(out, "out", expect);
  run_copy(args, plan_copy(expect, src, 0, strides_of(expect), 0), x, out);
  return info.Env().Undefined();
}

// Slice(x, xShape, begin, out, outShape): out = x[begin : begin + outShape].
Napi::Value Slice(const Napi::CallbackInfo& info) {
  Args args(info, "Slice");
  auto [x, begin, out] = read_x_list_out(args, 5, "begin", 3);
  const int r = x.rank();
  if (static_cast<int>(begin.size()) != r || out.rank() != r)
    args.fail("begin ", shape_str(begin), " and out ", out.describe(), " must have x's rank (", x.describe(), ")");
  const Shape xs = strides_of(x.shape);
  int64_t offset = 0;
  for (int d = 0; d < r; ++d) {
    if (begin[d] < 0 || begin[d] + out.shape[d] > x.shape[d])
      args.fail("slice begin ", shape_str(begin), " size ", shape_str(out.shape), " is outside x ", x.describe());
    offset += begin[d] * xs[d];
  }
  run_copy(args, plan_copy(out.shape, xs, offset, strides_of(out.shape), 0), x, out);
  return info.Env().Undefined();
}

// StridedSlice(x, xShape, offset, strides, out, outShape): out[i...] = x.flat[offset + sum_k i_k * strides[k]]. The TS
// kernel reduces tfjs's strided-slice specification (masks included) to this affine map.
Napi::Value StridedSlice(const Napi::CallbackInfo& info) {
  Args args(info, "StridedSlice");
  args.expect_count(6);
  Tensor x = args.tensor(0, "x");
  int64_t offset = args.integer(2, "offset");
  std::vector<int64_t> strides = args.integers(3, "strides");
  Tensor out = args.tensor(4, "out");
  check_io(args, x, out);
  if (strides.size() != out.shape.size())
    args.fail("strides ", shape_str(strides), " must have one entry per dimension of out ", out.describe());
  run_copy(args, plan_copy(out.shape, strides, offset, strides_of(out.shape), 0), x, out);
  return info.Env().Undefined();
}

// Reverse(x, xShape, dims, out, outShape): dims are distinct axes in [0, rank).
Napi::Value Reverse(const Napi::CallbackInfo& info) {
  Args args(info, "Reverse");
  auto [x, dims, out] = read_x_list_out(args, 5, "dims", 3);
  args.check_shape(out, "out", x.shape);
  const int r = x.rank();
  Shape src = strides_of(x.shape);
  std::vector<bool> seen(r, false);
  int64_t offset = 0;
  for (int64_t d : dims) {
    if (d < 0 || d >= r || seen[d]) args.fail("dims ", shape_str(dims), " must be distinct axes of x ", x.describe());
    seen[d] = true;
    if (x.shape[d] > 0) offset += (x.shape[d] - 1) * src[d];
    src[d] = -src[d];
  }
  run_copy(args, plan_copy(x.shape, src, offset, strides_of(x.shape), 0), x, out);
  return info.Env().Undefined();
}

// Tile(x, xShape, reps, out, outShape): outShape[d] = xShape[d] * reps[d]. Each output dimension splits into
// (repetition, position): the repetition index has source stride 0.
Napi::Value Tile(const Napi::CallbackInfo& info) {
  Args args(info, "Tile");
  auto [x, reps, out] = read_x_list_out(args, 5, "reps", 3);
  const int r = x.rank();
  if (static_cast<int>(reps.size()) != r) args.fail("reps ", shape_str(reps), " must have one entry per axis of x ", x.describe());
  Shape expect(r), box, src;
  const Shape xs = strides_of(x.shape);
  for (int d = 0; d < r; ++d) {
    if (reps[d] < 0) args.fail("reps ", shape_str(reps), " must be non-negative");
    expect[d] = x.shape[d] * reps[d];
    box.push_back(reps[d]);
    box.push_back(x.shape[d]);
    src.push_back(0);
    src.push_back(xs[d]);
  }
  args.check_shape(out, "out", expect);
  run_copy(args, plan_copy(box, src, 0, strides_of(box), 0), x, out);
  return info.Env().Undefined();
}

// PadV2(x, xShape, paddings, value, out, outShape): paddings = [before0, after0, before1, ...], all >= 0.
Napi::Value PadV2(const Napi::CallbackInfo& info) {
  Args args(info, "PadV2");
  auto [x, pads, out] = read_x_list_out(args, 6, "paddings", 4);
  double value = value_arg(args, 3, "constantValue", x.dtype());
  const int r = x.rank();
  const Shape expect = padded_shape(args, x, pads);
  for (int64_t p : pads)
    if (p < 0) args.fail("paddings ", shape_str(pads), " must be non-negative");
  args.check_shape(out, "out", expect);
  const Shape os = strides_of(expect);
  int64_t offset = 0;
  for (int d = 0; d < r; ++d) offset += pads[2 * d] * os[d];
  CopyPlan p = plan_copy(x.shape, strides_of(x.shape), 0, os, offset);
  check_copy_bounds(p, x.numel(), out.numel(), args.op());
  if (out.numel() != x.numel()) IBOT_DISPATCH(x.device(), fill, out, value);
  IBOT_DISPATCH(x.device(), strided_copy, p, x, out);
  return info.Env().Undefined();
}

// MirrorPad(x, xShape, paddings, mode, out, outShape): mode 'reflect' (pads <= dim - 1) or 'symmetric' (pads <= dim).
Napi::Value MirrorPad(const Napi::CallbackInfo& info) {
  Args args(info, "MirrorPad");
  args.expect_count(6);
  Tensor x = args.tensor(0, "x");
  std::vector<int64_t> pads = args.integers(2, "paddings");
  std::string mode = args.string(3, "mode");
  Tensor out = args.tensor(4, "out");
  check_io(args, x, out);
  if (mode != "reflect" && mode != "symmetric") args.fail("mode must be 'reflect' or 'symmetric', got '", mode, "'");
  const int64_t offset = mode == "reflect" ? 0 : 1;
  const int r = x.rank();
  const Shape expect = padded_shape(args, x, pads);
  Shape before(r);
  for (int d = 0; d < r; ++d) {
    const int64_t limit = x.shape[d] - 1 + offset;
    if (pads[2 * d] < 0 || pads[2 * d + 1] < 0 || pads[2 * d] > limit || pads[2 * d + 1] > limit)
      args.fail("paddings ", shape_str(pads), " must lie in [0, ", limit, "] on axis ", d, " of x ", x.describe(),
                " in ", mode, " mode");
    before[d] = pads[2 * d];
  }
  args.check_shape(out, "out", expect);
  if (x.numel() == 0 && out.numel() != 0) args.fail("cannot mirror-pad an empty tensor ", x.describe());
  IBOT_DISPATCH(x.device(), mirror_pad, x, before, offset, out);
  return info.Env().Undefined();
}

// Each part agrees with `whole` on every axis but `axis`, and the parts' extents along `axis` add up to whole's.
void check_joined(const Args& args, const Shape& whole, const std::vector<Tensor>& parts, int64_t axis,
                  const char* what) {
  int64_t sum = 0;
  for (size_t k = 0; k < parts.size(); ++k) {
    const Shape& s = parts[k].shape;
    bool ok = s.size() == whole.size();
    for (size_t d = 0; ok && d < s.size(); ++d) ok = static_cast<int64_t>(d) == axis || s[d] == whole[d];
    if (!ok)
      args.fail(what, "[", k, "] ", parts[k].describe(), " does not match ", shape_str(whole), " outside axis ", axis);
    sum += s[axis];
  }
  if (sum != whole[axis]) args.fail(what, " extents along axis ", axis, " add up to ", sum, ", expected ", whole[axis]);
}

// Concat(inputs, axis, out, outShape): inputs is an array of [handle, shape] pairs of one dtype and rank.
Napi::Value Concat(const Napi::CallbackInfo& info) {
  Args args(info, "Concat");
  args.expect_count(4);
  std::vector<Tensor> ins = args.tensor_list(0, "inputs");
  Tensor out = args.tensor(2, "out");
  if (ins.empty()) args.fail("needs at least one input");
  const int64_t axis = axis_arg(args, 1, "axis", out.rank());
  for (const Tensor& t : ins) check_io(args, t, out, "every input");
  check_joined(args, out.shape, ins, axis, "inputs");
  IBOT_DISPATCH(out.device(), concat, ins, product(out.shape, 0, axis), out);
  return info.Env().Undefined();
}

// SplitV(x, xShape, axis, outputs): outputs is an array of [handle, shape] pairs whose extents along axis cover x.
Napi::Value SplitV(const Napi::CallbackInfo& info) {
  Args args(info, "SplitV");
  args.expect_count(4);
  Tensor x = args.tensor(0, "x");
  const int64_t axis = axis_arg(args, 2, "axis", x.rank());
  std::vector<Tensor> outs = args.tensor_list(3, "outputs");
  if (outs.empty()) args.fail("needs at least one output");
  for (size_t k = 0; k < outs.size(); ++k) {
    check_io(args, x, outs[k]);
    for (size_t j = 0; j < k; ++j)
      if (outs[j].storage == outs[k].storage) args.fail("outputs ", j, " and ", k, " share a buffer");
  }
  check_joined(args, x.shape, outs, axis, "outputs");
  IBOT_DISPATCH(x.device(), split, x, product(x.shape, 0, axis), outs);
  return info.Env().Undefined();
}

// GatherV2(x, xShape, indices, indicesShape, axis, batchDims, out, outShape), with tfjs's shape rules
// (collectGatherOpShapeInfo) and its error for out-of-range indices on the CPU.
Napi::Value GatherV2(const Napi::CallbackInfo& info) {
  Args args(info, "GatherV2");
  args.expect_count(8);
  Tensor x = args.tensor(0, "x");
  Tensor idx = args.tensor(2, "indices");
  const int64_t axis = axis_arg(args, 4, "axis", x.rank());
  const int64_t bd = args.integer(5, "batchDims");
  Tensor out = args.tensor(6, "out");
  check_io(args, x, out);
  check_indices(args, idx, out);
  if (bd < 0 || bd > idx.rank() || bd > axis)
    args.fail("batchDims must be in [0, min(axis, rank(indices))], got ", bd, " for axis ", axis, " and indices ",
              idx.describe());
  Shape expect;
  for (int64_t i = 0; i < bd; ++i) {
    if (x.shape[i] != idx.shape[i])
      args.fail("x ", x.describe(), " and indices ", idx.describe(), " differ in batch dimension ", i);
    expect.push_back(x.shape[i]);
  }
  for (int64_t i = bd; i < axis; ++i) expect.push_back(x.shape[i]);
  for (int64_t i = bd; i < idx.rank(); ++i) expect.push_back(idx.shape[i]);
  for (int64_t i = axis + 1; i < x.rank(); ++i) expect.push_back(x.shape[i]);
  args.check_shape(out, "out", expect);
  GatherDims g;
  g.batch = product(x.shape, 0, bd);
  g.outer = product(x.shape, bd, axis);
  g.dim = x.shape[axis];
  g.slice = product(x.shape, axis + 1, x.shape.size());
  g.count = product(idx.shape, bd, idx.shape.size());
  if (x.device() == Device::kCpu) {
    int64_t bad = cpu::first_bad_index(idx, g.dim);
    if (bad >= 0) fail("GatherV2: the index value ", idx.data<int32_t>()[bad], " is not in [0, ", g.dim - 1, "]");
  }
  IBOT_DISPATCH(x.device(), gather, x, idx, g, out);
  return info.Env().Undefined();
}

// "1,2" for an index tuple, as tfjs prints arrays in its errors.
std::string tuple_str(const int32_t* v, int64_t n) {
  std::string s;
  for (int64_t j = 0; j < n; ++j) s += str_cat(j ? "," : "", v[j]);
  return s;
}

std::string list_str(const Shape& v) {
  std::string s = shape_str(v);
  return s.substr(1, s.size() - 2);
}

// Index tuples of `rank` entries into the leading axes of `target` (params for GatherNd, out for ScatterNd); the
// caller sets the tuple count.
NdIndexing nd_indexing(const Shape& target, int64_t rank) {
  NdIndexing nd;
  nd.rank = rank;
  nd.count = 0;
  nd.slice = product(target, rank, target.size());
  nd.limit = product(target, 0, rank);
  for (int64_t j = 0; j < rank; ++j) nd.strides.push_back(product(target, j + 1, rank));
  return nd;
}

// On the CPU, tfjs's error for the first tuple that is out of range (the GPU kernels cannot stop to report it).
void check_nd_indices(const Args& args, const Tensor& idx, const NdIndexing& nd, const Shape& target) {
  if (idx.device() != Device::kCpu) return;
  int64_t bad = cpu::first_bad_nd_index(idx, nd);
  if (bad >= 0)
    args.fail("Invalid indices: ", tuple_str(idx.data<int32_t>() + bad * nd.rank, nd.rank), " does not index into ",
              list_str(target));
}

// GatherNd(params, paramsShape, indices, indicesShape, out, outShape): out = params[indices[..., :]] with
// tfjs's prepareAndValidate shape rules.
Napi::Value GatherNd(const Napi::CallbackInfo& info) {
  Args args(info, "GatherNd");
  args.expect_count(6);
  Tensor params = args.tensor(0, "params");
  Tensor idx = args.tensor(2, "indices");
  Tensor out = args.tensor(4, "out");
  check_io(args, params, out, "params");
  check_indices(args, idx, out);
  if (params.rank() < 1 || idx.rank() < 1) args.fail("params and indices must have rank >= 1, got ", params.describe(),
                                                      " and ", idx.describe());
  const int64_t rank = idx.shape.back();
  if (rank > params.rank()) args.fail("indices ", idx.describe(), " index more axes than params ", params.describe());
  if (params.numel() == 0) args.fail("params ", params.describe(), " is empty");
  NdIndexing nd = nd_indexing(params.shape, rank);
  nd.count = product(idx.shape, 0, idx.shape.size() - 1);
  Shape expect(idx.shape.begin(), idx.shape.end() - 1);
  for (int64_t d = nd.rank; d < params.rank(); ++d) expect.push_back(params.shape[d]);
  args.check_shape(out, "out", expect);
  check_nd_indices(args, idx, nd, params.shape);
  IBOT_DISPATCH(params.device(), gather_nd, params, idx, nd, out);
  return info.Env().Undefined();
}

// ScatterNd(indices, indicesShape, updates, updatesShape, out, outShape): out (shape = the op's `shape`) starts at 0
// and every update slice is added at its index tuple (tfjs's calculateShapes).
Napi::Value ScatterNd(const Napi::CallbackInfo& info) {
  Args args(info, "ScatterNd");
  args.expect_count(6);
  Tensor idx = args.tensor(0, "indices");
  Tensor upd = args.tensor(2, "updates");
  Tensor out = args.tensor(4, "out");
  check_io(args, upd, out, "updates");
  check_indices(args, idx, out);
  if (idx.rank() < 1 || out.rank() < 1) args.fail("indices and out must have rank >= 1, got ", idx.describe(),
                                                   " and ", out.describe());
  const int64_t rank = idx.rank() > 1 ? idx.shape.back() : 1;
  if (rank > out.rank()) args.fail("indices ", idx.describe(), " index more axes than out ", out.describe());
  NdIndexing nd = nd_indexing(out.shape, rank);
  nd.count = nd.rank > 0 ? idx.numel() / nd.rank : 0;
  if (out.numel() > 0 && upd.numel() != nd.count * nd.slice)
    args.fail("updates ", upd.describe(), " must hold ", nd.count, " slices of ", nd.slice, " elements for indices ",
              idx.describe(), " and out ", out.describe());
  if (out.numel() > 0) check_nd_indices(args, idx, nd, out.shape);
  if (out.numel() == 0) nd.count = 0;
  IBOT_DISPATCH(out.device(), scatter_nd, idx, upd, nd, out);
  return info.Env().Undefined();
}

// UnsortedSegmentSum(x, xShape, segmentIds, idsShape, numSegments, out, outShape): ids are [rows, ...t] where x is
// [rows, ..., ...t] (tfjs masks x with the ids expanded to [rows, 1, ..., 1, ...t]); out is float32
// [numSegments, ...xShape[1:]] (tfjs cpu's result for every input dtype).
Napi::Value UnsortedSegmentSum(const Napi::CallbackInfo& info) {
  Args args(info, "UnsortedSegmentSum");
  args.expect_count(7);
  Tensor x = args.tensor(0, "x");
  Tensor ids = args.tensor(2, "segmentIds");
  const int64_t segments = args.integer(4, "numSegments");
  Tensor out = args.tensor(5, "out");
  args.check_same_device({&x, &ids, &out});
  args.check_dtype(ids, "segmentIds", {DType::kInt32});
  args.check_dtype(out, "out", {DType::kFloat32});
  if (out.storage == x.storage) args.fail("out must not share x's buffer");
  const int k = ids.rank(), r = x.rank();
  bool fits = k >= 1 && k <= r && ids.shape[0] == x.shape[0];
  for (int d = 1; fits && d < k; ++d) fits = ids.shape[d] == x.shape[r - k + d];
  if (!fits)
    args.fail("segmentIds ", ids.describe(), " must be [rows, ...t] for x ", x.describe(), " of shape [rows, ..., ...t]");
  if (segments < 0) args.fail("numSegments must be >= 0, got ", segments);
  Shape expect = x.shape;
  expect[0] = segments;
  args.check_shape(out, "out", expect);
  SegmentDims s;
  s.rows = x.shape[0];
  s.mid = product(x.shape, 1, r - k + 1);
  s.cols = product(ids.shape, 1, k);
  s.segments = segments;
  IBOT_DISPATCH(x.device(), unsorted_segment_sum, x, ids, s, out);
  return info.Env().Undefined();
}

// OneHot(indices, indicesShape, depth, onValue, offValue, out, outShape): out = [...indicesShape, depth] of any dtype.
Napi::Value OneHot(const Napi::CallbackInfo& info) {
  Args args(info, "OneHot");
  args.expect_count(7);
  Tensor idx = args.tensor(0, "indices");
  const int64_t depth = args.integer(2, "depth");
  Tensor out = args.tensor(5, "out");
  check_indices(args, idx, out);
  if (depth < 0) args.fail("depth must be >= 0, got ", depth);
  const double on = value_arg(args, 3, "onValue", out.dtype());
  const double off = value_arg(args, 4, "offValue", out.dtype());
  Shape expect = idx.shape;
  expect.push_back(depth);
  args.check_shape(out, "out", expect);
  IBOT_DISPATCH(out.device(), one_hot, idx, depth, on, off, out);
  return info.Env().Undefined();
}

}  // namespace

void register_layout(Napi::Env env, Napi::Object exports) {
  export_op<Transpose>(env, exports, "Transpose");
  export_op<Slice>(env, exports, "Slice");
  export_op<StridedSlice>(env, exports, "StridedSlice");
  export_op<Reverse>(env, exports, "Reverse");
  export_op<Tile>(env, exports, "Tile");
  export_op<PadV2>(env, exports, "PadV2");
  export_op<MirrorPad>(env, exports, "MirrorPad");
  export_op<Concat>(env, exports, "Concat");
  export_op<SplitV>(env, exports, "SplitV");
  export_op<GatherV2>(env, exports, "GatherV2");
  export_op<GatherNd>(env, exports, "GatherNd");
  export_op<ScatterNd>(env, exports, "ScatterNd");
  export_op<UnsortedSegmentSum>(env, exports, "UnsortedSegmentSum");
  export_op<OneHot>(env, exports, "OneHot");
}

}  // namespace ibot::binding
