#include <stddef.h>
#include <stdint.h>
#include "fuzz_driver.h"

// Both from libFuzzer (linked by -sanitize=fuzzer); the test function from the Swift target.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test)(const uint8_t *data, size_t size));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int atelier_fuzz_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
