//! An OpenID Connect provider for the tests: `tests/support/oidc`, built
//! on the certified `oidc-provider` from the npm registry (installed from
//! its lockfile by `scripts/test`), on a loopback port, with its own login
//! page. Subjects are `sub-LOGIN`, never the login itself.

use std::process::Child;

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
        let (child, issuer) = super::node::start(
            support,
            "provider.mjs",
            &[
                ("OIDC_PORT", "0".to_owned()),
                ("OIDC_CLIENTS", clients.to_string()),
                ("OIDC_ACCOUNTS", accounts.to_string()),
            ],
        );
        Provider { child, issuer }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
