/work/main/target-base/release/deps/initctl2dot-1d25dabd76eff7c7.d: src/bin/initctl2dot.rs

/work/main/target-base/release/deps/initctl2dot-1d25dabd76eff7c7: src/bin/initctl2dot.rs

src/bin/initctl2dot.rs:

# env-dep:CARGO_PKG_VERSION=0.1.0
