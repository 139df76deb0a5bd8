#!/usr/bin/env bash
# Runs every check: formatting, clippy, the whole test suite.
set -euo pipefail
cd "$(dirname "$0")"
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
