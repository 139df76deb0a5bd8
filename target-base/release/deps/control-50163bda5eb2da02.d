/work/main/target-base/release/deps/control-50163bda5eb2da02.d: benches/control.rs benches/../tests/pid1/mod.rs

/work/main/target-base/release/deps/control-50163bda5eb2da02: benches/control.rs benches/../tests/pid1/mod.rs

benches/control.rs:
benches/../tests/pid1/mod.rs:

# env-dep:CARGO_BIN_EXE_init=/work/main/target-base/release/init
# env-dep:CARGO_BIN_EXE_initctl=/work/main/target-base/release/initctl
