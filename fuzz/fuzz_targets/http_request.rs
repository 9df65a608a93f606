#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| entrepot_fuzzing::run("http_request", data));
