//! The global allocator of every musl build that links the chassis (the images): mimalloc.
//!
//! Why on musl: the images are static musl binaries (Alpine's toolchain, a scratch runtime), and
//! musl's malloc takes one lock for every allocation, so under a multi-threaded load the shipped
//! binary would be far slower than the glibc build the benchmark measures; mimalloc keeps
//! per-thread heaps. Why not on glibc: glibc's malloc already keeps per-thread arenas, and with
//! mimalloc every service's peak RSS in the benchmark went from under 9 MiB to 23-26 MiB (the
//! target is 15) for no throughput the benchmark could show.

#[cfg(target_env = "musl")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
