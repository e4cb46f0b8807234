// libFuzzer's entry for programs that have their own main (LLVM >= 12): runs the fuzzing loop
// with the usual command line, calling `callback` for each input. Provided by the runtime that
// `-sanitize=fuzzer` links.
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
