/work/main/target-base/release/deps/kindling-43b2e290b6ee12a2.d: src/lib.rs src/control/mod.rs src/control/client.rs src/control/config.rs src/control/dispatch.rs src/control/graph.rs src/control/protocol.rs src/control/server.rs src/daemon/mod.rs src/daemon/confsource.rs src/daemon/logging.rs src/daemon/options.rs src/daemon/pid1.rs src/daemon/reexec.rs src/engine/mod.rs src/engine/api.rs src/engine/commands.rs src/engine/condition.rs src/engine/instance.rs src/engine/lifecycle.rs src/engine/queue.rs src/engine/snapshot.rs src/environ.rs src/environ/expand.rs src/event/mod.rs src/event/fnmatch.rs src/event/matching.rs src/job/mod.rs src/job/confdir.rs src/job/lexer.rs src/job/stanza.rs src/signal.rs src/supervise/mod.rs src/supervise/child.rs src/supervise/log.rs src/supervise/reaper.rs src/supervise/signal.rs src/supervise/spawn.rs src/supervise/trace.rs

/work/main/target-base/release/deps/libkindling-43b2e290b6ee12a2.rlib: src/lib.rs src/control/mod.rs src/control/client.rs src/control/config.rs src/control/dispatch.rs src/control/graph.rs src/control/protocol.rs src/control/server.rs src/daemon/mod.rs src/daemon/confsource.rs src/daemon/logging.rs src/daemon/options.rs src/daemon/pid1.rs src/daemon/reexec.rs src/engine/mod.rs src/engine/api.rs src/engine/commands.rs src/engine/condition.rs src/engine/instance.rs src/engine/lifecycle.rs src/engine/queue.rs src/engine/snapshot.rs src/environ.rs src/environ/expand.rs src/event/mod.rs src/event/fnmatch.rs src/event/matching.rs src/job/mod.rs src/job/confdir.rs src/job/lexer.rs src/job/stanza.rs src/signal.rs src/supervise/mod.rs src/supervise/child.rs src/supervise/log.rs src/supervise/reaper.rs src/supervise/signal.rs src/supervise/spawn.rs src/supervise/trace.rs

/work/main/target-base/release/deps/libkindling-43b2e290b6ee12a2.rmeta: src/lib.rs src/control/mod.rs src/control/client.rs src/control/config.rs src/control/dispatch.rs src/control/graph.rs src/control/protocol.rs src/control/server.rs src/daemon/mod.rs src/daemon/confsource.rs src/daemon/logging.rs src/daemon/options.rs src/daemon/pid1.rs src/daemon/reexec.rs src/engine/mod.rs src/engine/api.rs src/engine/commands.rs src/engine/condition.rs src/engine/instance.rs src/engine/lifecycle.rs src/engine/queue.rs src/engine/snapshot.rs src/environ.rs src/environ/expand.rs src/event/mod.rs src/event/fnmatch.rs src/event/matching.rs src/job/mod.rs src/job/confdir.rs src/job/lexer.rs src/job/stanza.rs src/signal.rs src/supervise/mod.rs src/supervise/child.rs src/supervise/log.rs src/supervise/reaper.rs src/supervise/signal.rs src/supervise/spawn.rs src/supervise/trace.rs

src/lib.rs:
src/control/mod.rs:
src/control/client.rs:
src/control/config.rs:
src/control/dispatch.rs:
src/control/graph.rs:
src/control/protocol.rs:
src/control/server.rs:
src/daemon/mod.rs:
src/daemon/confsource.rs:
src/daemon/logging.rs:
src/daemon/options.rs:
src/daemon/pid1.rs:
src/daemon/reexec.rs:
src/engine/mod.rs:
src/engine/api.rs:
src/engine/commands.rs:
src/engine/condition.rs:
src/engine/instance.rs:
src/engine/lifecycle.rs:
src/engine/queue.rs:
src/engine/snapshot.rs:
src/environ.rs:
src/environ/expand.rs:
src/event/mod.rs:
src/event/fnmatch.rs:
src/event/matching.rs:
src/job/mod.rs:
src/job/confdir.rs:
src/job/lexer.rs:
src/job/stanza.rs:
src/signal.rs:
src/supervise/mod.rs:
src/supervise/child.rs:
src/supervise/log.rs:
src/supervise/reaper.rs:
src/supervise/signal.rs:
src/supervise/spawn.rs:
src/supervise/trace.rs:

# env-dep:CARGO_PKG_VERSION=0.1.0
