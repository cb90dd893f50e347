// N-API entries of the distill family (kernels/distill.h). Outputs are allocated by the caller and passed in; every
// entry checks argument count, handles, devices, dtypes, shapes and temperatures, then dispatches.
//   IbotDistill(student, sShape, teacher, tShape, center, cShape, rowMask|null, maskShape|null,
//               studentTemp, teacherTemp, loss, lossShape, colSum, colSumShape)
//   IbotDistillGrad(student, sShape, teacher, tShape, center, cShape, dLoss, dLossShape, rowMask|null, maskShape|null,
//                   studentTemp, teacherTemp, dStudent, dStudentShape)
// student and teacher are [..., K] (the leading dimensions are the rows); center has K elements ([K] or [1, K]);
// rowMask, loss and dLoss have the leading shape; colSum is [K]; dStudent has the student's shape.
#include <cmath>

#include "binding/args.h"
#include "binding/families.h"
#include "kernels/distill.h"

namespace ibot::binding {
namespace {

Shape leading(const Shape& s) { return Shape(s.begin(), s.end() - 1); }

void check_not_input(const Args& args, const Tensor& out, const char* name, std::initializer_list<const Tensor*> ins) {
  for (const Tensor* in : ins)
    if (in->present() && in->storage == out.storage) args.fail(name, " must not share a buffer with an input");
}

// Reads and checks the inputs every entry shares; `mask_at` is the argument index of rowMask, `temps_at` of studentTemp.
DistillArgs read_inputs(const Args& args, size_t mask_at, size_t temps_at) {
  DistillArgs a;
  a.student = args.tensor(0, "student");
  a.teacher = args.tensor(2, "teacher");
  a.center = args.tensor(4, "center");
  a.row_mask = args.optional_tensor(mask_at, "rowMask");
  args.check_same_device({&a.student, &a.teacher, &a.center, &a.row_mask});
  args.check_dtype(a.student, "student", {DType::kFloat32});
  args.check_dtype(a.teacher, "teacher", {DType::kFloat32});
  args.check_dtype(a.center, "center", {DType::kFloat32});
  if (a.student.rank() < 1) args.fail("student must have rank >= 1 ([rows, K]), got ", a.student.describe());
  if (a.teacher.shape != a.student.shape)
    args.fail("teacher must have the student's shape ", shape_str(a.student.shape), ", got ", a.teacher.describe());
  a.cols = a.student.shape.back();
  a.rows = numel(leading(a.student.shape));
  if (a.center.rank() < 1 || a.center.shape.back() != a.cols || a.center.numel() != a.cols)
    args.fail("center must have ", a.cols, " elements ([", a.cols, "] or [1, ", a.cols, "]) for student ",
              a.student.describe(), ", got ", a.center.describe());
  if (a.row_mask.present()) {
    args.check_dtype(a.row_mask, "rowMask", {DType::kBool});
    args.check_shape(a.row_mask, "rowMask", leading(a.student.shape));
  }
  const double ts = args.number(temps_at, "studentTemp"), tt = args.number(temps_at + 1, "teacherTemp");
  if (!(ts > 0) || !std::isfinite(ts) || !(static_cast<float>(ts) > 0))
    args.fail("studentTemp must be a positive finite number, got ", ts);
  if (!(tt > 0) || !std::isfinite(tt) || !(static_cast<float>(tt) > 0))
    args.fail("teacherTemp must be a positive finite number, got ", tt);
  a.student_temp = static_cast<float>(ts);
  a.teacher_temp = static_cast<float>(tt);
  return a;
}

Napi::Value IbotDistill(const Napi::CallbackInfo& info) {
  Args args(info, "IbotDistill");
  args.expect_count(14);
  const DistillArgs a = read_inputs(args, 6, 8);
  Tensor loss = args.tensor(10, "loss");
  Tensor col_sum = args.tensor(12, "colSum");
  args.check_same_device({&a.student, &loss, &col_sum});
  args.check_dtype(loss, "loss", {DType::kFloat32});
  args.check_dtype(col_sum, "colSum", {DType::kFloat32});
  args.check_shape(loss, "loss", leading(a.student.shape));
  args.check_shape(col_sum, "colSum", {a.cols});
  check_not_input(args, loss, "loss", {&a.student, &a.teacher, &a.center, &a.row_mask});
  check_not_input(args, col_sum, "colSum", {&a.student, &a.teacher, &a.center, &a.row_mask, &loss});
  IBOT_DISPATCH(a.student.device(), ibot_distill, a, loss, col_sum);
  return info.Env().Undefined();
}

Napi::Value IbotDistillGrad(const Napi::CallbackInfo& info) {
  Args args(info, "IbotDistillGrad");
  args.expect_count(14);
  const DistillArgs a = read_inputs(args, 8, 10);
  Tensor d_loss = args.tensor(6, "dLoss");
  Tensor d_student = args.tensor(12, "dStudent");
  args.check_same_device({&a.student, &d_loss, &d_student});
  args.check_dtype(d_loss, "dLoss", {DType::kFloat32});
  args.check_dtype(d_student, "dStudent", {DType::kFloat32});
  args.check_shape(d_loss, "dLoss", leading(a.student.shape));
  args.check_shape(d_student, "dStudent", a.student.shape);
  check_not_input(args, d_student, "dStudent", {&a.student, &a.teacher, &a.center, &a.row_mask, &d_loss});
  IBOT_DISPATCH(a.student.device(), ibot_distill_grad, a, d_loss, d_student);
  return info.Env().Undefined();
}

}  // namespace

void register_distill(Napi::Env env, Napi::Object exports) {
  export_op<IbotDistill>(env, exports, "IbotDistill");
  export_op<IbotDistillGrad>(env, exports, "IbotDistillGrad");
}

}  // namespace ibot::binding
