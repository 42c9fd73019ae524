//! The CPU priority of collection. A run is background work: on a machine
//! of two cores, a collector at the server's own priority takes a core
//! whenever it writes, and readers queue behind it. At a lower priority
//! (a higher `nice`) the kernel gives the readers the processor first and
//! the run the rest, so reads keep their latency while a run writes, and a
//! run on an idle machine goes as fast as ever.
//!
//! Linux keeps the nice value per thread, and a thread starts with its
//! creator's: lowering a thread before it starts a runtime lowers every
//! thread that runtime starts, SQLite's connection threads included. Other
//! Unix systems keep it per process.

/// The default of `REACH_COLLECT_NICE`.
pub const DEFAULT_NICE: u8 = 10;

/// Lowers the calling thread's CPU priority to `nice`; a thread already as
/// low (started under `nice`, say) is left, since raising it back needs
/// privileges. The threads it starts from now on inherit it. An error (a
/// system that refuses) leaves the priority as it was; the caller logs it.
pub fn lower_this_thread(nice: u8) -> std::io::Result<()> {
    if current()? >= i32::from(nice) {
        return Ok(());
    }
    // `None`: the calling thread on Linux, the process elsewhere.
    rustix::process::setpriority_process(None, i32::from(nice)).map_err(std::io::Error::from)
}

/// The calling thread's nice value.
pub fn current() -> std::io::Result<i32> {
    rustix::process::getpriority_process(None).map_err(std::io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lowered_thread_and_the_threads_it_starts_run_at_the_lower_priority() {
        // On a thread of its own: the test harness's threads keep theirs.
        std::thread::spawn(|| {
            let before = current().unwrap();
            lower_this_thread(0).unwrap();
            assert_eq!(current().unwrap(), before, "0 leaves the priority");
            lower_this_thread(DEFAULT_NICE).unwrap();
            assert_eq!(current().unwrap(), i32::from(DEFAULT_NICE).max(before));
            let child = std::thread::spawn(|| current().unwrap()).join().unwrap();
            assert_eq!(child, i32::from(DEFAULT_NICE).max(before));
        })
        .join()
        .unwrap();
    }
}
