//! Real mail servers for the inbox tests: an SMTP server (Python's aiosmtpd, writing what it
//! receives into a Maildir) and an IMAP server (Debian's Dovecot, configured here in a temp
//! directory with a plain-text passdb on a free high port; mail is delivered into it with
//! dovecot-lda). `.ci/run` and `scripts/test` install both. Outside CI a missing server skips
//! the test with a notice; in CI it fails it.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// `None` (with a notice) when the tool is missing outside CI; a failure in CI.
fn missing<T>(what: &str) -> Option<T> {
    assert!(!in_ci(), "{what} is required in CI (.ci/run installs it)");
    eprintln!("note: {what} is not installed: this test is skipped (scripts/test installs it)");
    None
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap()
}

async fn wait_listening(port: u16) {
    for _ in 0..200 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server on port {port} did not start");
}

fn temp_dir(prefix: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// aiosmtpd on a free port, keeping every message it accepts in a Maildir.
pub struct Smtp {
    pub port: u16,
    dir: PathBuf,
    python: &'static str,
    child: Option<Child>,
}

/// The first Python that has aiosmtpd (pip's, or Debian's python3-aiosmtpd).
fn python_with_aiosmtpd() -> Option<&'static str> {
    ["python3", "/usr/bin/python3"].into_iter().find(|py| {
        Command::new(py).args(["-c", "import aiosmtpd"]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    })
}

impl Smtp {
    pub async fn start() -> Option<Self> {
        let Some(python) = python_with_aiosmtpd() else {
            return missing("Python's aiosmtpd (pip install aiosmtpd, or apt-get install python3-aiosmtpd)");
        };
        let mut s = Smtp { port: free_port(), dir: temp_dir("clientele-smtp"), python, child: None };
        s.restart().await;
        Some(s)
    }

    /// (Re)starts the server on the same port and Maildir.
    pub async fn restart(&mut self) {
        let child = Command::new(self.python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{}", self.port),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(self.dir.join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        wait_listening(self.port).await;
    }

    /// Stops the server: connections are refused until [`Smtp::restart`].
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Every message received so far, raw.
    pub fn received(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(rd) = std::fs::read_dir(self.dir.join("maildir").join(sub)) {
                for e in rd.flatten() {
                    out.push(std::fs::read_to_string(e.path()).unwrap_or_default());
                }
            }
        }
        out
    }

    /// Waits (a bounded number of short sleeps) until `n` messages arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..100 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the SMTP server received {} messages, expected {n}", self.received().len());
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Dovecot serving IMAP on a free port for one user with a plain-text password.
pub struct Imap {
    pub port: u16,
    pub user: String,
    pub password: String,
    dir: PathBuf,
}

const DOVECOT: &str = "/usr/sbin/dovecot";
const LDA: &str = "/usr/lib/dovecot/dovecot-lda";

impl Imap {
    pub async fn start(user: &str) -> Option<Self> {
        if !Path::new(DOVECOT).exists() || !Path::new(LDA).exists() {
            return missing("Dovecot (apt-get install dovecot-imapd)");
        }
        let dir = temp_dir("clientele-imap");
        let port = free_port();
        let password = "imap-test-password".to_owned();
        for d in ["run", "home"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        // Mail belongs to an unprivileged user: Dovecot refuses root's mail.
        let home = dir.join("home");
        let _ = Command::new("chown").args(["nobody:nogroup"]).arg(&home).status();
        let _ = Command::new("chmod").args(["755"]).arg(&dir).status();
        std::fs::write(dir.join("passwd"), format!("{user}:{{PLAIN}}{password}\n")).unwrap();
        let d = dir.display();
        let conf = format!(
            "base_dir = {d}/run\nstate_dir = {d}/run\nlog_path = {d}/dovecot.log\nprotocols = imap\nlisten = 127.0.0.1\n\
             ssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\nfirst_valid_uid = 1\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={d}/home/%u\n}}\n\
             mail_location = maildir:~/Maildir\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service stats {{\n  unix_listener stats-reader {{\n    mode = 0666\n  }}\n  unix_listener stats-writer {{\n    mode = 0666\n  }}\n}}\n"
        );
        std::fs::write(dir.join("dovecot.conf"), conf).unwrap();
        let status = Command::new(DOVECOT).arg("-c").arg(dir.join("dovecot.conf")).status().unwrap();
        assert!(
            status.success(),
            "dovecot did not start: {}",
            std::fs::read_to_string(dir.join("dovecot.log")).unwrap_or_default()
        );
        wait_listening(port).await;
        Some(Imap { port, user: user.to_owned(), password, dir })
    }

    /// Delivers a raw message into the user's INBOX (as the mail server's delivery agent would).
    pub fn deliver(&self, raw: &str) {
        use std::io::Write;
        let mut child = Command::new(LDA)
            .arg("-c")
            .arg(self.dir.join("dovecot.conf"))
            .args(["-d", &self.user])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(raw.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success(), "dovecot-lda refused the message");
    }
}

impl Drop for Imap {
    fn drop(&mut self) {
        let _ = Command::new(DOVECOT).arg("-c").arg(self.dir.join("dovecot.conf")).arg("stop").status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A header's value in a raw message (unfolded).
pub fn header(raw: &str, name: &str) -> Option<String> {
    let unfolded = raw.replace("\r\n", "\n").replace("\n ", " ").replace("\n\t", " ");
    let head = unfolded.split("\n\n").next().unwrap_or("");
    head.lines()
        .find(|l| l.to_ascii_lowercase().starts_with(&format!("{}:", name.to_ascii_lowercase())))
        .map(|l| l[name.len() + 1..].trim().to_owned())
}
