#!/usr/bin/env bash
# Runs every check kindling has; the README's test command and what CI runs (.ci/run).
#
#   1. cargo fmt --check
#   2. cargo clippy --all-targets -D warnings
#   3. the test suite: cargo nextest (when installed) or cargo test, for lib, bins and tests/
#   4. doc tests
#   5. the benches, once each as smoke tests (`cargo bench` measures them)
#   6. a short fuzz run of each fuzz target (job parser, control protocol, re-exec state),
#      when cargo-fuzz is installed
#
# Every step runs even when an earlier one failed. The last two lines sum up: which steps
# passed, then the number of tests passed, failed and skipped. Exit status 0 only if all
# steps passed.
#
# Environment: FUZZ_SECONDS (default 30, shared among the fuzz targets; 0 skips fuzzing),
# NO_NEXTEST=1 (use cargo test).
set -uo pipefail
cd "$(dirname "$0")"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
FUZZ_SECONDS="${FUZZ_SECONDS:-30}"

log_dir="$(mktemp -d "${TMPDIR:-/tmp}/kindling-test.XXXXXX")"
trap 'rm -rf "$log_dir"' EXIT

steps=()
failed_steps=0
passed=0
failed=0
skipped=0

# step NAME COMMAND...: runs COMMAND with its output shown and kept for counting.
step() {
    local name="$1"
    shift
    echo "==> $name: $*"
    if "$@" 2>&1 | tee "$log_dir/$name.log"; then
        steps+=("$name ok")
    else
        steps+=("$name FAILED")
        failed_steps=$((failed_steps + 1))
    fi
}

# count LOG: adds the test counts a runner printed in LOG to the totals.
count() {
    local log="$1" line n
    [ -f "$log" ] || return 0
    # nextest: "Summary [   3.2s] 57 tests run: 55 passed, 2 failed, 1 skipped"
    line="$(grep -E '^ *Summary \[' "$log" | tail -n 1)"
    if [ -n "$line" ]; then
        n="$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')" && passed=$((passed + n))
        n="$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')" && failed=$((failed + n))
        n="$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+')" && skipped=$((skipped + n))
        return 0
    fi
    # cargo test: one "test result: ok. 4 passed; 0 failed; 1 ignored; …" per test binary
    while read -r line; do
        n="$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')" && passed=$((passed + n))
        n="$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')" && failed=$((failed + n))
        n="$(grep -oE '[0-9]+ ignored' <<<"$line" | grep -oE '[0-9]+')" && skipped=$((skipped + n))
    done < <(grep -E '^test result:' "$log")
}

step fmt cargo fmt --all -- --check
step clippy cargo clippy --all-targets -- -D warnings

if [ "${NO_NEXTEST:-0}" != 1 ] && cargo nextest --version >/dev/null 2>&1; then
    step tests cargo nextest run --lib --bins --tests --no-fail-fast
else
    step tests cargo test --lib --bins --tests --no-fail-fast
fi
count "$log_dir/tests.log"

step doctests cargo test --doc
count "$log_dir/doctests.log"

# Without --bench each bench runs its routine once: it must build and must not panic.
step benches cargo test --bench '*'

if [ "$FUZZ_SECONDS" = 0 ]; then
    steps+=("fuzz skipped (FUZZ_SECONDS=0)")
elif cargo fuzz --version >/dev/null 2>&1; then
    # `--sanitizer none` builds on stable Rust (AddressSanitizer needs RUSTC_BOOTSTRAP=1,
    # and the decoders have no unsafe code for it to watch). FUZZ_SECONDS is shared among
    # the targets. Seeds: the shared job corpus, and fuzz/seeds/TARGET (kept in git); what
    # a run finds goes to fuzz/corpus/TARGET (not kept).
    targets=(parse_job control_decode state_decode)
    per_target=$((FUZZ_SECONDS / ${#targets[@]}))
    [ "$per_target" -ge 1 ] || per_target=1
    for target in "${targets[@]}"; do
        mkdir -p "fuzz/corpus/$target"
        seeds=()
        [ -d "fuzz/seeds/$target" ] && seeds+=("fuzz/seeds/$target")
        [ "$target" = parse_job ] && [ -d ../shared/corpus/upstart-jobs ] &&
            seeds+=(../shared/corpus/upstart-jobs)
        step "fuzz-$target" cargo fuzz run --sanitizer none "$target" "fuzz/corpus/$target" \
            "${seeds[@]}" -- -max_total_time="$per_target"
    done
else
    steps+=("fuzz skipped (cargo-fuzz not installed: cargo install cargo-fuzz --locked)")
fi

echo
summary="${steps[0]}"
for s in "${steps[@]:1}"; do summary="$summary, $s"; done
echo "steps: $summary"
echo "test.sh: $passed passed, $failed failed, $skipped skipped"
# A step can fail with no test failing (fmt, clippy, a build error): the steps line says which.
[ "$failed_steps" -eq 0 ]
