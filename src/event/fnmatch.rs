//! fnmatch(3) with flags 0, exactly as glibc does it in the C locale.

/// Does `text` match the shell pattern `pattern` (glibc `fnmatch(pattern, text, 0) == 0`)?
pub fn fnmatch(pattern: &str, text: &str) -> bool {
    // Placeholder so the crate builds; replaced by the real matcher.
    pattern == "*" || pattern == text
}
