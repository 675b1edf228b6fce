// Fuzzing of the file readers behind tldse-sim and tldse._core (docs/reliability.md,
// "The C++ core"). One entry point per reader; built as libFuzzer targets (clang,
// TLDSE_LIBFUZZER) and into a standalone driver (any compiler, run by ctest).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tldse_fuzz {

// The readers, named as the corpus folders are: tests/cpp/fuzz/{corpus,regressions}/KIND/.
enum class Kind { topology = 0, cfg = 1, arch = 2, energy = 3 };
inline constexpr const char* kKindNames[] = {"topology", "cfg", "arch", "energy"};

// Reads `data` as a file of that kind, and on success evaluates and writes reports with
// the result. Returns normally when the input is read or rejected with a well-formed
// error (std::invalid_argument naming the input, valid UTF-8); aborts on anything else
// (another exception, a broken invariant), and sanitizers abort on memory errors.
void fuzz_one(Kind kind, const std::uint8_t* data, std::size_t size);

}  // namespace tldse_fuzz
