// Which x86-64 vector ISA the CPU kernels use, chosen once at load time (IBOT_CPU_ISA=avx512|avx2|generic overrides it,
// and set_cpu_isa switches at run time so tests can compare paths). One binary serves any x86-64.
#pragma once

namespace ibot {

enum class CpuIsa : int { kGeneric = 0, kAvx2 = 1, kAvx512 = 2 };

CpuIsa cpu_isa();
CpuIsa cpu_isa_best();  // the best the CPU supports
const char* cpu_isa_name(CpuIsa isa);
// Returns false (and changes nothing) when the CPU lacks the requested ISA.
bool set_cpu_isa(CpuIsa isa);

}  // namespace ibot
