//! A server process under a watchdog, so that no server outlives the test process.
//!
//! The watchdog is a short bash script between us and the server. Its stdin is a pipe whose
//! write end only this process holds: when this process exits for any reason (including a
//! panic or SIGKILL, where no destructor runs) the pipe reaches EOF and the watchdog stops the
//! server (SIGTERM, then SIGKILL after 5 s) and removes the control plane's whole folder. If the
//! server dies on its own, the watchdog removes only the server's scratch data (its log stays
//! for the error message) and exits with the server's status, so [`Supervised::exited`] sees it.

use anyhow::{Context, Result};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

const WATCHDOG: &str = r#"
set -u
root="$1"; scratch="$2"; shift 2
"$@" </dev/null &
child=$!
stop() {
  kill -TERM "$child" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$child" 2>/dev/null
  wait "$child" 2>/dev/null
  rm -rf "$root"
}
trap 'stop; exit 0' TERM INT HUP
while kill -0 "$child" 2>/dev/null; do
  read -r -t 1 _
  rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -le 128 ]; then stop; exit 0; fi
done
wait "$child"
status=$?
rm -rf "$scratch"
exit "$status"
"#;

/// One server process under its watchdog.
pub struct Supervised {
    name: &'static str,
    child: Child,
    lifeline: Option<ChildStdin>,
    log: PathBuf,
}

impl Supervised {
    /// Starts `program args…` with its output in `log`. `scratch` (the server's data) is
    /// removed when it stops; `root` (everything of this control plane) when we go away.
    pub fn spawn(
        name: &'static str,
        program: &Path,
        args: &[String],
        (root, scratch): (&Path, &Path),
        log: &Path,
    ) -> Result<Self> {
        let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone().context("duplicating the log handle")?;
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("slb-testkit-watchdog")
            .arg(root)
            .arg(scratch)
            .arg(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("starting {name} ({})", program.display()))?;
        let lifeline = child.stdin.take();
        Ok(Self {
            name,
            child,
            lifeline,
            log: log.to_owned(),
        })
    }

    /// `Some(description)` once the server has exited.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!("{} exited with {status}", self.name)),
            Ok(None) => None,
            Err(err) => Some(format!("{} cannot be waited for: {err}", self.name)),
        }
    }

    /// The last lines of the server's log, for error messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Stops the server and waits (up to about 6 s) for the watchdog to finish.
    pub fn stop(&mut self) {
        drop(self.lifeline.take());
        for _ in 0..60 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop();
    }
}
