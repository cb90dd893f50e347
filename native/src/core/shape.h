// Shapes, strides and broadcasting. Shapes come from JS with every kernel call (tfjs keeps shapes per TensorInfo, not per
// buffer), so the native side validates them against the buffers it owns.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ibot {

using Shape = std::vector<int64_t>;

inline int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

inline std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ",";
    out += std::to_string(s[i]);
  }
  return out + "]";
}

// Row-major strides in elements.
inline Shape strides_of(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

// NumPy broadcasting of two shapes; returns false when they are incompatible.
inline bool broadcast_shapes(const Shape& a, const Shape& b, Shape* out) {
  size_t rank = a.size() > b.size() ? a.size() : b.size();
  out->assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    (*out)[i] = da == 1 ? db : da;
  }
  return true;
}

// Strides of `in` when broadcast to `out` (same rank after left-padding with 1s): 0 along broadcast dimensions.
inline Shape broadcast_strides(const Shape& in, const Shape& out) {
  Shape st(out.size(), 0);
  Shape own = strides_of(in);
  size_t offset = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) st[offset + i] = in[i] == 1 ? 0 : own[i];
  return st;
}

}  // namespace ibot
