//! An OpenID Connect provider for the tests: `tests/support/oidc`, built
//! on the certified `oidc-provider` from the npm registry (installed from
//! its lockfile by `scripts/test`), on a loopback port, with its own login
//! page. Subjects are `sub-LOGIN`, never the login itself.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

pub struct Provider {
    child: Child,
    /// Its issuer URL, `http://127.0.0.1:PORT`.
    pub issuer: String,
}

impl Provider {
    /// Starts the provider with `clients` (`client_id`, `client_secret`,
    /// `redirect_uris`) and `accounts` (login → password and claims).
    pub fn start(clients: &Value, accounts: &Value) -> Provider {
        let support = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/oidc");
        assert!(
            std::path::Path::new(support)
                .join("node_modules/oidc-provider")
                .exists(),
            "run scripts/test (it installs oidc-provider from the lockfile)"
        );
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(support)
            .env("OIDC_PORT", "0")
            .env("OIDC_CLIENTS", clients.to_string())
            .env("OIDC_ACCOUNTS", accounts.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the OpenID provider");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the OpenID provider says where it listens");
        let issuer = line
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_owned();
        Provider { child, issuer }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
