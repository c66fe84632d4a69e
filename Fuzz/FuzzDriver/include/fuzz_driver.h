#ifndef ATELIER_FUZZ_DRIVER_H
#define ATELIER_FUZZ_DRIVER_H

/// Runs libFuzzer on the program's LLVMFuzzerTestOneInput with the command line's options.
/// SwiftPM links every executable with `main` renamed to `<Target>_main`, so libFuzzer's own main
/// is never linked; each fuzz target's `<Target>_main` calls this instead.
int atelier_fuzz_main(int argc, char **argv);

#endif
