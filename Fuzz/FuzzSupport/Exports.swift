/// `atelier_fuzz_main`, which each target's `<Target>_main` calls to start libFuzzer.
@_exported import FuzzDriver
