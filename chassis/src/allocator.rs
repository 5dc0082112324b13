//! The global allocator of every binary that links the chassis: mimalloc, whatever the libc.
//!
//! Why: the images are static musl binaries (Alpine's toolchain, a scratch runtime), and musl's
//! malloc takes one lock for every allocation, so under a multi-threaded load the shipped binary
//! would be far slower than the glibc build every benchmark figure comes from. mimalloc keeps
//! per-thread heaps on both, so the measured binary and the shipped one allocate alike; a
//! glibc-based runtime image would instead need a base image and its libc inside every image.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
