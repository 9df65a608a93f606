#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| entrepot_fuzzing::run("generic_endpoint", data));
