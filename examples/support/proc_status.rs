//! This process's resident size, read from `/proc/self/status` (Linux); shared by the examples
//! that measure memory (`soak`, `soak_orgs`, `hostile_trail`).

/// The resident size in KiB (`VmRSS`), or 0 where the system does not say.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
