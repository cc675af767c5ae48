//! CPU: caps that make worker processes stand in for small hosts of their own (cgroup v1's
//! cpu controller, a group per worker with a quota of a fraction of a core), and the CPU
//! time processes have used (from /proc), to put a cost in CPU on each assignment.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// The cpu controller's hierarchy (cgroup v1).
const ROOT: &str = "/sys/fs/cgroup/cpu";
/// The scheduler period the quotas are fractions of.
const PERIOD_US: u64 = 100_000;
/// Linux's clock ticks per second in /proc (USER_HZ, 100 on every architecture it runs
/// this on).
const TICKS: f64 = 100.0;

/// A process capped at a fraction of a core, in a control group of its own; the group is
/// removed (the process first moved back to the root group) when this is dropped.
pub struct Cap {
    dir: PathBuf,
    pid: u32,
}

impl Cap {
    /// Moves `pid` (all its threads) into a new group allowed `cores` of CPU time.
    pub fn new(pid: u32, cores: f64) -> anyhow::Result<Cap> {
        anyhow::ensure!(cores > 0.0, "a cap of {cores} cores");
        let dir = Path::new(ROOT).join(format!("bench-worker-{pid}"));
        std::fs::create_dir_all(&dir).with_context(|| {
            format!(
                "creating {} (the cgroup v1 cpu controller, as root)",
                dir.display()
            )
        })?;
        let cap = Cap { dir, pid };
        let quota = (cores * PERIOD_US as f64).round() as u64;
        std::fs::write(cap.dir.join("cpu.cfs_period_us"), PERIOD_US.to_string())?;
        std::fs::write(cap.dir.join("cpu.cfs_quota_us"), quota.to_string())?;
        std::fs::write(cap.dir.join("cgroup.procs"), pid.to_string())
            .with_context(|| format!("moving process {pid} into {}", cap.dir.display()))?;
        Ok(cap)
    }

    /// How many scheduler periods the group was held back in (it wanted more than its
    /// quota): the evidence that the cap, not something else, bounded it.
    pub fn throttled_periods(&self) -> u64 {
        std::fs::read_to_string(self.dir.join("cpu.stat"))
            .ok()
            .and_then(|stat| {
                stat.lines()
                    .find_map(|l| l.strip_prefix("nr_throttled ")?.trim().parse().ok())
            })
            .unwrap_or(0)
    }
}

impl Drop for Cap {
    fn drop(&mut self) {
        let _ = std::fs::write(Path::new(ROOT).join("cgroup.procs"), self.pid.to_string());
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// The CPU time (user and system, seconds) process `pid` has used, or `None` once it is gone.
pub fn seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces, in parentheses): state is
    // the first, utime the 12th and stime the 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / TICKS)
}

/// The bytes process `pid` has handed to `write` and its kin (`wchar` in /proc: the log's
/// frames and the checkpoints' pages, on SQLite), whether or not they reached the disk yet.
/// Unlike its time, what a drain writes is the same from one run to the next.
pub fn bytes_written(pid: u32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("wchar:")?.trim().parse().ok())
}

/// The CPU time of every PostgreSQL server process on the machine (the server and its
/// backends; a backend that exits between two readings takes its share with it).
pub fn postgres_seconds() -> f64 {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    procs
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .filter_map(seconds)
        .sum()
}
