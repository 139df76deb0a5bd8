/work/main/target-base/release/deps/utmp_raw-1689071db6b3bac2.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-raw-0.4.0/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-raw-0.4.0/x32.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-raw-0.4.0/x64.rs

/work/main/target-base/release/deps/libutmp_raw-1689071db6b3bac2.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-raw-0.4.0/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-raw-0.4.0/x32.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-raw-0.4.0/x64.rs

/work/main/target-base/release/deps/libutmp_raw-1689071db6b3bac2.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-raw-0.4.0/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-raw-0.4.0/x32.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-raw-0.4.0/x64.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-raw-0.4.0/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-raw-0.4.0/x32.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/utmp-raw-0.4.0/x64.rs:
