//! A PostgreSQL server of one test's own, which the test may stop and start again.

/// A PostgreSQL server of one test's own, in a temporary folder on a free port, that the
/// test may stop and start again: for what the system does when its database goes away,
/// which the shared test server must not do while other tests use it. Run by the
/// machine's `initdb` and `pg_ctl` (found on `PATH`, else by `pg_config --bindir`), as
/// the `postgres` user when the tests run as root, which PostgreSQL refuses. Stopped and
/// removed when dropped.
pub struct PostgresServer {
    folder: tempfile::TempDir,
    port: u16,
    bin: std::path::PathBuf,
    as_postgres: bool,
}

impl PostgresServer {
    /// Creates the cluster (trust auth, superuser `postgres`) and starts the server.
    pub fn start() -> PostgresServer {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let as_postgres = command_output("id", &["-u"]) == "0";
        if as_postgres {
            let path = folder.path().to_str().expect("a UTF-8 temporary path");
            command_output("chown", &["postgres:", path]);
        }
        let bin = match command_output("sh", &["-c", "command -v pg_ctl || true"]) {
            found if !found.is_empty() => std::path::Path::new(&found)
                .parent()
                .expect("pg_ctl's folder")
                .to_owned(),
            _ => command_output("pg_config", &["--bindir"]).into(),
        };
        // Below the ephemeral range (32768 and up on Linux), so that no client socket
        // takes the port while the server is down and the test's processes retry it.
        let port = std::iter::repeat_with(|| rand::random_range(20_000..30_000))
            .take(100)
            .find(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
            .expect("a free port between 20000 and 30000");
        let server = PostgresServer {
            folder,
            port,
            bin,
            as_postgres,
        };
        server.run(
            "initdb",
            &[
                "-D",
                &server.data(),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
                "--no-instructions",
            ],
        );
        server.start_again();
        server
    }

    /// `postgres://postgres@127.0.0.1:PORT`, for [`crate::TestDatabase::create_on_server`].
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    /// Stops the server as an administrator would (`pg_ctl stop -m fast`: open
    /// connections are ended, committed work is kept) and waits until it is down.
    pub fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    /// Starts the stopped server again, same port and data, and waits until it accepts
    /// connections.
    pub fn start_again(&self) {
        let folder = self.folder.path().display();
        let options = format!("-p {} -k {folder} -c listen_addresses=127.0.0.1", self.port);
        let log = format!("{folder}/server.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
    }

    fn data(&self) -> String {
        format!("{}/data", self.folder.path().display())
    }

    fn command(&self, program: &str) -> std::process::Command {
        let exe = self.bin.join(program);
        if self.as_postgres {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            std::process::Command::new(exe)
        }
    }

    /// Runs one of the server's programs; panics with its output and the server's log if
    /// it fails.
    fn run(&self, program: &str, args: &[&str]) {
        let out = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("running {program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}\nserver log:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.folder.path().join("server.log")).unwrap_or_default()
        );
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// The trimmed standard output of a command that must succeed.
fn command_output(program: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    assert!(out.status.success(), "{program} {args:?} failed");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
