// N-API entries of the reduce family. Outputs are allocated by the caller (the backend's makeOutput) and passed in;
// every entry checks argument count, devices, dtypes, axes and the output shapes, then dispatches to cpu:: or cuda::.
//   Sum|Mean|Prod|Max|Min|Any|All(x, xShape, axes, out, outShape)   axes: integers in [-rank, rank), no repeats;
//                                                                     outShape: x's shape without the axes, or with
//                                                                     them set to 1 (keepDims)
//   ArgMax|ArgMin(x, xShape, axis, out, outShape)                    out int32, x's shape without axis
//   Softmax(logits, shape, dim, out, outShape)                       dim = -1 or rank - 1 (tfjs supports only that)
//   TopK(x, xShape, k, sorted, values, valuesShape, indices, indicesShape)
//   Cumsum|Cumprod(x, xShape, axis, exclusive, reverse, out, outShape)
#include <algorithm>
#include <climits>
#include <vector>

#include "binding/args.h"
#include "binding/families.h"
#include "kernels/reduce.h"

namespace ibot::binding {
namespace {

constexpr int kMaxRank = 16;

std::string ints_str(const std::vector<int>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += str_cat(i ? "," : "", v[i]);
  return s + "]";
}

// Every entry starts the same way: the argument count, then the input at 0 with a rank in [min_rank, kMaxRank].
Tensor read_input(const Args& args, size_t count, const char* name, int min_rank) {
  args.expect_count(count);
  Tensor x = args.tensor(0, name);
  if (x.rank() > kMaxRank) args.fail(name, " has rank ", x.rank(), "; at most ", kMaxRank, " is supported");
  if (x.rank() < min_rank) args.fail(name, " must have rank >= ", min_rank, ", got ", x.describe());
  return x;
}

int normalize_axis(const Args& args, int64_t a, const Tensor& x) {
  const int rank = x.rank();
  if (a < -rank || a >= rank) args.fail("axis ", a, " is out of range for x ", x.describe(), " (rank ", rank, ")");
  return static_cast<int>(a < 0 ? a + rank : a);
}

// Sorted, unique, non-negative axes.
std::vector<int> parse_axes(const Args& args, size_t i, const Tensor& x) {
  std::vector<int> axes;
  for (int64_t a : args.integers(i, "axes")) {
    int n = normalize_axis(args, a, x);
    if (std::find(axes.begin(), axes.end(), n) != axes.end())
      args.fail("axes name dimension ", n, " twice (x ", x.describe(), ")");
    axes.push_back(n);
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

void check_distinct(const Args& args, const Tensor& x, const Tensor& out, const char* name) {
  if (x.storage == out.storage) args.fail(name, " must not share the input's buffer");
}

Napi::Value reduce_entry(const Napi::CallbackInfo& info, const char* name, ReduceOp op,
                         std::initializer_list<DType> dtypes) {
  Args args(info, name);
  Tensor x = read_input(args, 5, "x", 0);
  std::vector<int> axes = parse_axes(args, 2, x);
  Tensor out = args.tensor(3, "out");
  args.check_same_device({&x, &out});
  args.check_dtype(x, "x", dtypes);
  args.check_dtype(out, "out", {reduce_out_dtype(op, x.dtype())});
  check_distinct(args, x, out, "out");
  Shape dropped, kept;
  for (int d = 0; d < x.rank(); ++d) {
    const bool reduced = std::binary_search(axes.begin(), axes.end(), d);
    if (!reduced) dropped.push_back(x.shape[d]);
    kept.push_back(reduced ? 1 : x.shape[d]);
  }
  if (out.shape != dropped && out.shape != kept)
    args.fail("out must have shape ", shape_str(dropped), " (or ", shape_str(kept), " with keepDims) for x ",
              x.describe(), " and axes ", ints_str(axes), ", got ", out.describe());
  IBOT_DISPATCH(x.device(), reduce, op, x, axes, out);
  return info.Env().Undefined();
}

constexpr std::initializer_list<DType> kNumeric = {DType::kFloat32, DType::kInt32, DType::kBool};

Napi::Value Sum(const Napi::CallbackInfo& info) { return reduce_entry(info, "Sum", ReduceOp::kSum, kNumeric); }
Napi::Value Mean(const Napi::CallbackInfo& info) { return reduce_entry(info, "Mean", ReduceOp::kMean, kNumeric); }
Napi::Value Prod(const Napi::CallbackInfo& info) { return reduce_entry(info, "Prod", ReduceOp::kProd, kNumeric); }
Napi::Value Max(const Napi::CallbackInfo& info) { return reduce_entry(info, "Max", ReduceOp::kMax, kNumeric); }
Napi::Value Min(const Napi::CallbackInfo& info) { return reduce_entry(info, "Min", ReduceOp::kMin, kNumeric); }
Napi::Value Any(const Napi::CallbackInfo& info) { return reduce_entry(info, "Any", ReduceOp::kAny, {DType::kBool}); }
Napi::Value All(const Napi::CallbackInfo& info) { return reduce_entry(info, "All", ReduceOp::kAll, {DType::kBool}); }

Napi::Value arg_entry(const Napi::CallbackInfo& info, const char* name, bool is_max) {
  Args args(info, name);
  Tensor x = read_input(args, 5, "x", 1);
  const int axis = normalize_axis(args, args.integer(2, "axis"), x);
  Tensor out = args.tensor(3, "out");
  args.check_same_device({&x, &out});
  args.check_dtype(x, "x", kNumeric);
  args.check_dtype(out, "out", {DType::kInt32});
  if (x.shape[axis] > INT32_MAX) args.fail("x ", x.describe(), " is too long along axis ", axis, " for int32 indices");
  Shape expected = x.shape;
  expected.erase(expected.begin() + axis);
  args.check_shape(out, "out", expected);
  IBOT_DISPATCH(x.device(), arg_reduce, is_max, x, axis, out);
  return info.Env().Undefined();
}

Napi::Value ArgMax(const Napi::CallbackInfo& info) { return arg_entry(info, "ArgMax", true); }
Napi::Value ArgMin(const Napi::CallbackInfo& info) { return arg_entry(info, "ArgMin", false); }

Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Args args(info, "Softmax");
  Tensor x = read_input(args, 5, "logits", 1);
  const int64_t dim = args.integer(2, "dim");
  if (dim != -1 && dim != x.rank() - 1)
    args.fail("dim must be -1 or ", x.rank() - 1, " (the last axis) for logits ", x.describe(), ", got ", dim);
  Tensor out = args.tensor(3, "out");
  args.check_same_device({&x, &out});
  args.check_dtype(x, "logits", {DType::kFloat32});
  args.check_dtype(out, "out", {DType::kFloat32});
  check_distinct(args, x, out, "out");
  args.check_shape(out, "out", x.shape);
  IBOT_DISPATCH(x.device(), softmax, x, out);
  return info.Env().Undefined();
}

Napi::Value TopK(const Napi::CallbackInfo& info) {
  Args args(info, "TopK");
  Tensor x = read_input(args, 8, "x", 1);
  const int64_t k = args.integer(2, "k");
  args.boolean(3, "sorted");  // the result is always sorted, which is also a valid unsorted answer
  Tensor values = args.tensor(4, "values");
  Tensor indices = args.tensor(6, "indices");
  args.check_same_device({&x, &values, &indices});
  args.check_dtype(x, "x", kNumeric);
  const int64_t n = x.shape.back();
  if (k < 0 || k > n) args.fail("k must be in [0, ", n, "] for x ", x.describe(), ", got ", k);
  if (n > INT32_MAX) args.fail("x ", x.describe(), " has rows too long for int32 indices");
  args.check_dtype(values, "values", {x.dtype()});
  args.check_dtype(indices, "indices", {DType::kInt32});
  Shape expected = x.shape;
  expected.back() = k;
  args.check_shape(values, "values", expected);
  args.check_shape(indices, "indices", expected);
  check_distinct(args, x, values, "values");
  if (values.storage == indices.storage) args.fail("values and indices must be different buffers");
  IBOT_DISPATCH(x.device(), topk, x, k, values, indices);
  return info.Env().Undefined();
}

Napi::Value scan_entry(const Napi::CallbackInfo& info, const char* name, ScanOp op) {
  Args args(info, name);
  Tensor x = read_input(args, 7, "x", 1);
  const int axis = normalize_axis(args, args.integer(2, "axis"), x);
  const bool exclusive = args.boolean(3, "exclusive");
  const bool reverse = args.boolean(4, "reverse");
  Tensor out = args.tensor(5, "out");
  args.check_same_device({&x, &out});
  args.check_dtype(x, "x", kNumeric);
  args.check_dtype(out, "out", {x.dtype() == DType::kBool ? DType::kInt32 : x.dtype()});
  check_distinct(args, x, out, "out");
  args.check_shape(out, "out", x.shape);
  IBOT_DISPATCH(x.device(), scan, op, x, axis, exclusive, reverse, out);
  return info.Env().Undefined();
}

Napi::Value Cumsum(const Napi::CallbackInfo& info) { return scan_entry(info, "Cumsum", ScanOp::kSum); }
Napi::Value Cumprod(const Napi::CallbackInfo& info) { return scan_entry(info, "Cumprod", ScanOp::kProd); }

}  // namespace

void register_reduce(Napi::Env env, Napi::Object exports) {
  export_op<Sum>(env, exports, "Sum");
  export_op<Mean>(env, exports, "Mean");
  export_op<Prod>(env, exports, "Prod");
  export_op<Max>(env, exports, "Max");
  export_op<Min>(env, exports, "Min");
  export_op<Any>(env, exports, "Any");
  export_op<All>(env, exports, "All");
  export_op<ArgMax>(env, exports, "ArgMax");
  export_op<ArgMin>(env, exports, "ArgMin");
  export_op<Softmax>(env, exports, "Softmax");
  export_op<TopK>(env, exports, "TopK");
  export_op<Cumsum>(env, exports, "Cumsum");
  export_op<Cumprod>(env, exports, "Cumprod");
}

}  // namespace ibot::binding
