//! The SAML 2.0 identity provider the organization sign-on tests start on
//! loopback: `tests/support/saml/idp.py`, built on pysaml2 (which signs
//! through xmlsec1), in the virtual environment `scripts/test` makes at
//! `target/saml-venv` (or the Python `ENTREPOT_TEST_SAML_PYTHON` names).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct IdentityProvider {
    child: Child,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its entity ID (the `Issuer` of its responses).
    pub issuer: String,
    /// The PEM certificate it signs with.
    pub certificate: String,
    _dir: tempfile::TempDir,
}

fn python() -> PathBuf {
    std::env::var_os("ENTREPOT_TEST_SAML_PYTHON").map_or_else(
        || {
            Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../target/saml-venv/bin/python"
            ))
            .to_path_buf()
        },
        PathBuf::from,
    )
}

impl IdentityProvider {
    /// Starts one that knows the service provider `sp_entity`, answering
    /// at `acs`.
    pub fn start(sp_entity: &str, acs: &str) -> IdentityProvider {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/saml/idp.py");
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(python())
            .args(["-W", "ignore", script, "0", sp_entity, acs])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect(
                "the SAML test IdP's Python (scripts/test makes target/saml-venv with pysaml2)",
            );
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("the SAML test IdP did not start: {line:?}"))
            .trim()
            .to_owned();
        let base = format!("http://127.0.0.1:{port}");
        IdentityProvider {
            child,
            issuer: format!("{base}/metadata"),
            certificate: std::fs::read_to_string(dir.path().join("idp.crt")).unwrap(),
            base,
            _dir: dir,
        }
    }
}

impl Drop for IdentityProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
