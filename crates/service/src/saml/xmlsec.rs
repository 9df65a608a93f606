//! Checking XML signatures with `xmlsec1`, libxmlsec1's command (what
//! pysaml2 does): the most used verifier there is, out of our process,
//! kept up to date by the system. It is trusted with the cryptography
//! only: which nodes it verifies, and that they are the ones read, is
//! `response.rs`'s work. The key is only ever the organization's
//! certificate; keys the document carries are never used
//! (`--enabled-key-data raw-x509-cert`, the fix of CVE-2021-21239).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::LazyLock;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;
use tokio::sync::{OnceCell, Semaphore};

/// The command: `ENTREPOT_XMLSEC1`, or `xmlsec1` found on the server's
/// `PATH` (resolved here: the child's environment is cleared).
fn program() -> Option<PathBuf> {
    if let Some(named) = std::env::var_os("ENTREPOT_XMLSEC1") {
        return Some(PathBuf::from(named));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("xmlsec1"))
        .find(|candidate| candidate.is_file())
}

/// At most this many verifications at once: each is a process.
static RUNNING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(4));
/// For a verification, waiting for its turn included.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The command and its version's major and minor, once found (until then
/// it is looked for again, so installing it needs no restart).
async fn installed() -> Option<&'static (PathBuf, (u32, u32))> {
    static FOUND: OnceCell<(PathBuf, (u32, u32))> = OnceCell::const_new();
    FOUND
        .get_or_try_init(|| async {
            let program = program().ok_or(())?;
            let out = Command::new(&program)
                .arg("--version")
                .env_clear()
                .stdin(Stdio::null())
                .kill_on_drop(true)
                .output()
                .await
                .map_err(|_| ())?;
            let text = String::from_utf8_lossy(&out.stdout);
            // "xmlsec1 1.2.37 (openssl)"
            let number = text.split_whitespace().nth(1).ok_or(())?;
            let mut parts = number.split('.').map(str::parse::<u32>);
            let (Some(Ok(major)), Some(Ok(minor))) = (parts.next(), parts.next()) else {
                return Err(());
            };
            Ok((program, (major, minor)))
        })
        .await
        .ok()
}

/// Whether signatures can be checked here at all.
pub async fn available() -> bool {
    installed().await.is_some()
}

/// Whether the enveloped signature of the element `node_id` in `xml` was
/// made with the key of `certificate_pem`.
pub async fn verify(xml: &[u8], certificate_pem: &str, node_id: &str) -> Result<bool, String> {
    tokio::time::timeout(TIMEOUT, run(xml, certificate_pem, node_id))
        .await
        .map_err(|_| "xmlsec1 took too long".to_owned())?
}

async fn run(xml: &[u8], certificate_pem: &str, node_id: &str) -> Result<bool, String> {
    let Some((program, (major, minor))) = installed().await else {
        return Err("xmlsec1 is not installed on the server".into());
    };
    let _permit = RUNNING
        .acquire()
        .await
        .map_err(|e| format!("xmlsec1: {e}"))?;
    let pem = certificate_pem.to_owned();
    let certificate = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
        let mut file = tempfile::NamedTempFile::new()?;
        std::io::Write::write_all(&mut file, pem.as_bytes())?;
        Ok(file.into_temp_path())
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("xmlsec1's certificate file: {e}"))?;
    let mut command = Command::new(program);
    command
        .args(["--verify", "--enabled-reference-uris", "same-doc"])
        .args(["--enabled-key-data", "raw-x509-cert"])
        .arg("--pubkey-cert-pem")
        .arg(&*certificate)
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:Response",
        ])
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
        ])
        .args(["--node-id", node_id]);
    if (*major, *minor) >= (1, 3) {
        command.arg("--lax-key-search");
    }
    let mut child = command
        .arg("-")
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("xmlsec1: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("xmlsec1 has no stdin")?;
    let mut stderr = child.stderr.take().ok_or("xmlsec1 has no stderr")?;
    let xml = xml.to_vec();
    let work = async move {
        let feed = async {
            // A failed write means it stopped reading: its status says why.
            let _ = stdin.write_all(&xml).await;
            drop(stdin);
        };
        let mut said = Vec::new();
        let mut bounded = (&mut stderr).take(64 * 1024);
        let read = bounded.read_to_end(&mut said);
        let ((), read) = tokio::join!(feed, read);
        read.map_err(|e| e.to_string())?;
        let status = child.wait().await.map_err(|e| e.to_string())?;
        Ok::<_, String>((status, String::from_utf8_lossy(&said).into_owned()))
    };
    let (status, said) = work.await?;
    drop(certificate);
    Ok(verified(status.success(), &said))
}

/// Reads xmlsec1's verdict: success, an `OK` status (1.2 prints `OK`,
/// 1.3 `Verification status: OK`), and its one reference checked.
fn verified(success: bool, said: &str) -> bool {
    let ok = said
        .lines()
        .any(|l| l.trim() == "OK" || l.trim() == "Verification status: OK");
    let one_reference = said
        .lines()
        .any(|l| l.trim() == "SignedInfo References (ok/all): 1/1");
    success && ok && one_reference
}

#[cfg(test)]
mod tests {
    use super::{verified, verify};

    const BOTH: &str = include_str!("fixtures/both.xml");
    const IDP: &str = include_str!("fixtures/idp.crt");
    const OTHER: &str = include_str!("fixtures/other.crt");

    fn id_of(element: &str) -> String {
        let doc = roxmltree::Document::parse(BOTH).unwrap();
        doc.descendants()
            .find(|n| n.tag_name().name() == element)
            .and_then(|n| n.attribute("ID"))
            .unwrap()
            .to_owned()
    }

    /// Against the real xmlsec1 (scripts/test installs it): the provider's
    /// signatures verify with its certificate only, and not once the
    /// content changed.
    #[tokio::test]
    async fn signatures_verify_with_the_providers_certificate_only() {
        for element in ["Response", "Assertion"] {
            let id = id_of(element);
            assert!(
                verify(BOTH.as_bytes(), IDP, &id).await.unwrap(),
                "{element}"
            );
            assert!(
                !verify(BOTH.as_bytes(), OTHER, &id).await.unwrap(),
                "{element}"
            );
            let tampered = BOTH.replace("id-alice", "id-mallory");
            assert!(
                !verify(tampered.as_bytes(), IDP, &id).await.unwrap(),
                "{element}"
            );
        }
    }

    /// A signature by another key that carries its own key is not
    /// trusted for it.
    #[tokio::test]
    async fn a_key_in_the_document_is_never_used() {
        let id = id_of("Assertion");
        let with_key = BOTH.replace(
            "<ns2:KeyInfo>",
            "<ns2:KeyInfo><ns2:KeyName>attacker</ns2:KeyName>",
        );
        assert!(!verify(with_key.as_bytes(), OTHER, &id).await.unwrap());
    }

    #[test]
    fn only_an_ok_over_the_one_reference_verifies() {
        let ok = "OK\nSignedInfo References (ok/all): 1/1\nManifests References (ok/all): 0/0\n";
        assert!(verified(true, ok));
        assert!(verified(
            true,
            "Verification status: OK\nSignedInfo References (ok/all): 1/1\n"
        ));
        assert!(!verified(false, ok));
        assert!(!verified(
            true,
            "FAIL\nSignedInfo References (ok/all): 0/1\n"
        ));
        assert!(!verified(true, "OK\nSignedInfo References (ok/all): 1/2\n"));
    }
}
