// Keeps the prebuilt binary's glibc requirement at 2.34 (the floor set by the static CUDA runtime). Prebuilds link
// libstdc++ statically (native/scripts/build.cjs), and GCC 12's libstdc++.a references arc4random, new in glibc 2.36,
// from std::random_device, which ibotjs never calls. A hidden definition here satisfies that reference inside the
// binary, so the loader needs no GLIBC_2.36 symbol; builds with a shared libstdc++ simply never call it.
#include <sys/random.h>

#include <cerrno>
#include <cstdint>

extern "C" __attribute__((visibility("hidden"))) uint32_t arc4random() noexcept {
  uint32_t value = 0;
  // getrandom (glibc 2.25) blocks only until the kernel's pool is first seeded; retry when a signal interrupts it.
  while (getrandom(&value, sizeof value, 0) != static_cast<ssize_t>(sizeof value) && errno == EINTR) {
  }
  return value;
}
