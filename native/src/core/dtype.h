// Element types the native storage knows. tfjs 'string' and 'complex64' never reach the addon (the backend keeps them in JS).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ibot {

// The numeric codes are part of the JS ABI (packages/tfjs-backend-native/src/addon/core.ts mirrors them).
enum class DType : int32_t { kFloat32 = 0, kInt32 = 1, kBool = 2 };

inline size_t dtype_size(DType t) { return t == DType::kBool ? 1 : 4; }

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::kFloat32: return "float32";
    case DType::kInt32: return "int32";
    case DType::kBool: return "bool";
  }
  return "unknown";
}

inline bool dtype_from_int(int64_t code, DType* out) {
  if (code < 0 || code > 2) return false;
  *out = static_cast<DType>(code);
  return true;
}

}  // namespace ibot
