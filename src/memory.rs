//! How the process allocates. Every audit builds a report of megabytes (JSON, gzip, CSV) and
//! drops the one before: with glibc's defaults the heap keeps those holes (its mmap threshold
//! rises after each large free, and every thread may get an arena), and the resident size creeps
//! up audit after audit. Large blocks go back to the system at once, and two arenas suffice for
//! two cores of work. A variable set by the operator (`MALLOC_ARENA_MAX`,
//! `MALLOC_MMAP_THRESHOLD_`) wins.

/// Tunes the allocator; call once, first thing in `main`.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes allocator parameters; called before other threads exist.
        if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
            }
        }
        if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
            unsafe {
                libc::mallopt(libc::M_ARENA_MAX, 2);
            }
        }
    }
}

/// Gives the heap's free pages back to the system. Called after a report is replaced: the old
/// report's megabytes are freed in many blocks below the mmap threshold, and glibc keeps them
/// (in every arena, not only at the top of the heap) until asked; without this the resident
/// size steps up under load and stays there. Cheap next to an audit (a walk of the free lists).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only returns free pages to the system; any thread may call it.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}
