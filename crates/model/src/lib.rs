//! xpf model (placeholder until its first module lands).
