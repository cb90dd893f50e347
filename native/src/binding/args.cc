// Argument parsing and validation for the N-API entries (see args.h).
#include "binding/args.h"

#include <cmath>

namespace ibot::binding {
namespace {

// Tags our handles so a foreign External can never be mistaken for a buffer.
const napi_type_tag kStorageTag = {0x1b07a11c0ffee001ULL, 0x6962'6f74'6a73'0001ULL};

void finalize_storage(Napi::Env, Storage* s) {
  storage_release(s);
  delete s;
}

}  // namespace

Napi::Value wrap_storage(Napi::Env env, Storage* s) {
  auto ext = Napi::External<Storage>::New(env, s, finalize_storage);
  napi_status st = napi_type_tag_object(env, ext, &kStorageTag);
  if (st != napi_ok) {
    finalize_storage(env, s);
    fail("internal: could not tag a tensor handle (napi status ", static_cast<int>(st), ")");
  }
  return ext;
}

Tensor alloc_tensor(Device device, DType dtype, const Shape& shape) {
  Tensor t;
  t.storage = storage_alloc(device, dtype, numel(shape));
  t.shape = shape;
  return t;
}

void Args::expect_count(size_t n) const {
  if (info_.Length() != n) fail("expected ", n, " arguments, got ", info_.Length());
}

Napi::Value Args::arg(size_t i, const char* name) const {
  if (i >= info_.Length()) fail("missing argument ", i, " (", name, ")");
  return info_[i];
}

Storage* Args::handle_of(Napi::Value v, const std::string& name) const {
  bool tagged = false;
  if (v.IsExternal()) napi_check_object_type_tag(env(), v, &kStorageTag, &tagged);
  if (!tagged)
    fail(name, " must be a tensor handle, got ", v.IsNull() ? "null" : v.IsUndefined() ? "undefined" : "a value of another kind");
  Storage* s = v.As<Napi::External<Storage>>().Data();
  if (!s || s->magic != kStorageMagic) fail(name, " is not a valid tensor handle");
  if (!s->data) fail(name, " refers to a tensor that was already freed");
  return s;
}

Shape Args::shape_of(Napi::Value v, const std::string& name) const {
  if (!v.IsArray()) fail(name, " shape must be an array of non-negative integers");
  Napi::Array a = v.As<Napi::Array>();
  Shape s(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value d = a.Get(k);
    double x = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : -1;
    if (!(x >= 0) || std::floor(x) != x || x > 9.0e15) fail(name, " shape must be an array of non-negative integers");
    s[k] = static_cast<int64_t>(x);
  }
  return s;
}

Tensor Args::tensor_of(Napi::Value h, Napi::Value shape, const std::string& name) const {
  Tensor t;
  t.storage = handle_of(h, name);
  t.shape = shape_of(shape, name);
  if (numel(t.shape) != t.storage->numel)
    fail(name, " has shape ", shape_str(t.shape), " (", numel(t.shape), " elements) but its buffer holds ",
         t.storage->numel, " ", dtype_name(t.storage->dtype), " elements");
  return t;
}

Storage* Args::handle(size_t i, const char* name) const { return handle_of(arg(i, name), name); }
Shape Args::shape(size_t i, const char* name) const { return shape_of(arg(i, name), name); }
Tensor Args::tensor(size_t i, const char* name) const { return tensor_of(arg(i, name), arg(i + 1, name), name); }

Tensor Args::optional_tensor(size_t i, const char* name) const {
  if (is_null(i)) return Tensor{};
  return tensor(i, name);
}

std::vector<Tensor> Args::tensor_list(size_t i, const char* name) const {
  Napi::Value v = arg(i, name);
  if (!v.IsArray()) fail(name, " must be an array of [handle, shape] pairs");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<Tensor> out;
  out.reserve(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value pair = a.Get(k);
    std::string item = str_cat(name, "[", k, "]");
    if (!pair.IsArray() || pair.As<Napi::Array>().Length() != 2) fail(item, " must be a [handle, shape] pair");
    Napi::Array p = pair.As<Napi::Array>();
    out.push_back(tensor_of(p.Get(0u), p.Get(1u), item));
  }
  return out;
}

int64_t Args::integer(size_t i, const char* name) const {
  Napi::Value v = arg(i, name);
  if (!v.IsNumber()) fail(name, " must be an integer");
  double x = v.As<Napi::Number>().DoubleValue();
  if (std::floor(x) != x || std::fabs(x) > 9.0e15) fail(name, " must be an integer, got ", x);
  return static_cast<int64_t>(x);
}

double Args::number(size_t i, const char* name) const {
  Napi::Value v = arg(i, name);
  if (!v.IsNumber()) fail(name, " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool Args::boolean(size_t i, const char* name) const {
  Napi::Value v = arg(i, name);
  if (!v.IsBoolean()) fail(name, " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string Args::string(size_t i, const char* name) const {
  Napi::Value v = arg(i, name);
  if (!v.IsString()) fail(name, " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

std::vector<int64_t> Args::integers(size_t i, const char* name) const {
  Napi::Value v = arg(i, name);
  if (!v.IsArray()) fail(name, " must be an array of integers");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value d = a.Get(k);
    double x = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : 0.5;
    if (std::floor(x) != x) fail(name, " must be an array of integers");
    out[k] = static_cast<int64_t>(x);
  }
  return out;
}

void Args::check_dtype(const Tensor& t, const char* name, std::initializer_list<DType> allowed) const {
  for (DType d : allowed)
    if (t.dtype() == d) return;
  std::string list;
  for (DType d : allowed) list += str_cat(list.empty() ? "" : " or ", dtype_name(d));
  fail(name, " must be ", list, ", got ", t.describe());
}

void Args::check_same_device(std::initializer_list<const Tensor*> tensors) const {
  const Tensor* first = nullptr;
  for (const Tensor* t : tensors) {
    if (!t->storage) continue;
    if (!first) first = t;
    else if (t->device() != first->device())
      fail("all tensors must be on one device, got ", device_name(first->device()), " and ", device_name(t->device()));
  }
}

void Args::check_shape(const Tensor& t, const char* name, const Shape& expected) const {
  if (t.shape != expected) fail(name, " must have shape ", shape_str(expected), ", got ", t.describe());
}

}  // namespace ibot::binding
