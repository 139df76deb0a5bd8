/work/main/target-base/release/deps/utmp_rs-a72061898ffb211a.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-rs-0.4.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-rs-0.4.0/src/entry.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-rs-0.4.0/src/parse.rs

/work/main/target-base/release/deps/libutmp_rs-a72061898ffb211a.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-rs-0.4.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-rs-0.4.0/src/entry.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-rs-0.4.0/src/parse.rs

/work/main/target-base/release/deps/libutmp_rs-a72061898ffb211a.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-rs-0.4.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-rs-0.4.0/src/entry.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-rs-0.4.0/src/parse.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-rs-0.4.0/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-rs-0.4.0/src/entry.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-rs-0.4.0/src/parse.rs:
