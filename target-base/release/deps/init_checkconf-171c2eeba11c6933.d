/work/main/target-base/release/deps/init_checkconf-171c2eeba11c6933.d: src/bin/init-checkconf.rs

/work/main/target-base/release/deps/init_checkconf-171c2eeba11c6933: src/bin/init-checkconf.rs

src/bin/init-checkconf.rs:

# env-dep:CARGO_PKG_VERSION=0.1.0
