//! Fuzz target `parse_job`: arbitrary bytes, lossily decoded as the daemon reads job files,
//! go through `parse_job` and then `parse_override` on top of the result. Any panic (or
//! stack overflow) is a bug: PID 1 parses every file an admin drops into `/etc/init`.

#![no_main]

use kindling::job::{parse_job, parse_override, JobClass};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let base = match parse_job("fuzz", &text) {
        Ok(class) => class,
        Err(error) => {
            let _ = error.to_string();
            JobClass::new("fuzz")
        }
    };
    let _ = parse_override(base, &text);
});
