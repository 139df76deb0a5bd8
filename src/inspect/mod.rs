//! What kindling says about job classes without running them: `show-config`, `check-config`
//! and `usage` ([`config`]) and the `initctl2dot` graph ([`graph`]).
//!
//! Pure views: classes (or show-config lines) in, output lines out. They serve init's
//! control requests as well as `init-checkconf` and `initctl2dot`, which is why they live
//! beside the control channel rather than in it. Never: files, sockets, processes.

pub mod config;
pub mod graph;
