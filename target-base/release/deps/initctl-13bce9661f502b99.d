/work/main/target-base/release/deps/initctl-13bce9661f502b99.d: src/bin/initctl.rs

/work/main/target-base/release/deps/initctl-13bce9661f502b99: src/bin/initctl.rs

src/bin/initctl.rs:

# env-dep:CARGO_PKG_NAME=kindling
# env-dep:CARGO_PKG_VERSION=0.1.0
