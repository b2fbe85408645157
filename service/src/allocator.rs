//! The servers' global allocator (the `allocator` feature, which both
//! server binaries enable): mimalloc hands memory freed after a burst of
//! load back to the system within milliseconds, where glibc's per-thread
//! arenas keep their peak (docs/benchmarks.md has the measurements).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
