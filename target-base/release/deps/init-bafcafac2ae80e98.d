/work/main/target-base/release/deps/init-bafcafac2ae80e98.d: src/bin/init.rs

/work/main/target-base/release/deps/init-bafcafac2ae80e98: src/bin/init.rs

src/bin/init.rs:
