//! A throwaway PostgreSQL cluster for the test run: created in a temp folder on a free port with
//! trust authentication, stopped and deleted when dropped. `initdb` refuses to run as root, so
//! as root it runs as the `postgres` user.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::tools::apt_install;

pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    pub port: u16,
}

/// The newest installed PostgreSQL's binaries (Debian keeps them under /usr/lib/postgresql/N/bin).
fn find_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SWIPESAVVY_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Cluster {
    pub fn start() -> Result<Cluster> {
        let bin = match find_bin_dir() {
            Some(bin) => bin,
            None => {
                apt_install(&["postgresql"], "PostgreSQL (the integration tests run on it too)")?;
                find_bin_dir().context("PostgreSQL was installed but its binaries were not found")?
            }
        };
        let dir = std::env::temp_dir().join(format!("swipesavvy-test-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        if is_root() {
            run_plain(Command::new("chown").arg("postgres").arg(&dir))?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let cluster = Cluster { bin, dir, port };
        let data = cluster.dir.join("data");
        cluster.pg("initdb", &["-D", &data.to_string_lossy(), "--auth=trust", "-U", "postgres", "--no-sync"])?;
        let options = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", cluster.dir.display());
        let log = cluster.dir.join("log");
        cluster.pg("pg_ctl", &["-D", &data.to_string_lossy(), "-l", &log.to_string_lossy(), "-o", &options, "-w", "start"])?;
        Ok(cluster)
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs `psql` against database `db` of the cluster with the given arguments.
    pub fn psql(&self, db: &str, args: &[&str]) -> Result<()> {
        let port = self.port.to_string();
        let mut all = vec!["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-q"];
        all.extend_from_slice(args);
        self.pg("psql", &all)
    }

    /// One value from a query (`psql -At`).
    pub fn query(&self, db: &str, sql: &str) -> Result<String> {
        let port = self.port.to_string();
        let exe = self.bin.join("psql");
        let args = ["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-d", db, "-At", "-c", sql];
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd.args(args).stdin(Stdio::null()).output().with_context(|| format!("cannot start {exe:?}"))?;
        if !out.status.success() {
            bail!("psql failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    fn pg(&self, program: &str, args: &[&str]) -> Result<()> {
        let exe = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args);
        run_plain(&mut cmd)
    }
}

fn run_plain(cmd: &mut Command) -> Result<()> {
    let out = cmd.stdin(Stdio::null()).output().with_context(|| format!("cannot start {cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self.pg("pg_ctl", &["-D", &data.to_string_lossy(), "-m", "fast", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
