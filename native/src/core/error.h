// Errors: every failure in the addon becomes an ibot::Error, which the binding turns into a JS Error. Nothing aborts.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace ibot {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

template <typename... Parts>
std::string str_cat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

template <typename... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  throw Error(str_cat(parts...));
}

}  // namespace ibot

// IBOT_CHECK(cond, "Op: message ", value, ...) throws ibot::Error with the concatenated message when cond is false.
#define IBOT_CHECK(cond, ...)            \
  do {                                   \
    if (!(cond)) ::ibot::fail(__VA_ARGS__); \
  } while (0)
