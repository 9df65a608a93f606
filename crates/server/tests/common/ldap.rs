//! A throwaway OpenLDAP directory for the tests: Debian's `slapd` on a
//! loopback port, configured from `tests/support/ldap` in a temporary
//! folder (nothing under /etc/ldap is touched), with the users frank and
//! grace and the groups developers (both) and admins (grace).

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::free_port;
use super::process::run;

pub struct Directory {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Directory {
    pub fn start() -> Directory {
        let support = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/ldap"));
        let dir = tempfile::tempdir().unwrap();
        for sub in ["slapd.d", "db", "run"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let config = std::fs::read_to_string(support.join("config.ldif"))
            .unwrap()
            .replace("@RUN_DIR@", dir.path().join("run").to_str().unwrap())
            .replace("@DB_DIR@", dir.path().join("db").to_str().unwrap());
        let config_file = dir.path().join("config.ldif");
        std::fs::write(&config_file, config).unwrap();
        let slapd_d = dir.path().join("slapd.d");
        for (database, ldif) in [("0", config_file.clone()), ("1", support.join("data.ldif"))] {
            let out = run(Command::new("slapadd")
                .args(["-n", database, "-F"])
                .arg(&slapd_d)
                .arg("-l")
                .arg(&ldif));
            assert!(
                out.status.success(),
                "slapadd (Debian's slapd) loads {}: {}",
                ldif.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("slapd.log")).unwrap();
        let child = Command::new("slapd")
            .args([
                "-d",
                "none",
                "-h",
                &format!("ldap://127.0.0.1:{port}/"),
                "-F",
            ])
            .arg(&slapd_d)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("slapd (Debian's slapd) runs");
        // It listens once its database is open.
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "slapd never listened: {}",
                std::fs::read_to_string(dir.path().join("slapd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Directory {
            child,
            url: format!("ldap://127.0.0.1:{port}"),
            _dir: dir,
        }
    }
}

impl Drop for Directory {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
