//! xpf store (placeholder until its first module lands).
