//! The package page's snippets: curl and wget download a file of the
//! version (with a token only where anonymous readers may not: the package
//! is not public), and curl uploads one (always with a token).

use entrepot_core::{Package, Version, Visibility};
use entrepot_http::format::Snippet;
use entrepot_service::site::Site;

/// The environment variable every snippet reads the token from.
const TOKEN: &str = "ENTREPOT_TOKEN";

pub fn snippets(site: &Site, package: &Package, version: Option<&Version>) -> Vec<Snippet> {
    let version = version.map_or("VERSION", |v| v.name.as_str());
    let url = site.url(&format!(
        "/generic/{}/{}/{version}/FILE",
        package.owner_login, package.name
    ));
    let private = package.visibility != Visibility::Public;
    let (curl_auth, wget_auth) = if private {
        (
            format!(" -u \"USERNAME:${TOKEN}\""),
            format!(" --user USERNAME --password \"${TOKEN}\""),
        )
    } else {
        (String::new(), String::new())
    };
    vec![
        shell(
            "Download with curl (FILE: one of the files listed)",
            format!("curl --fail -O{curl_auth} {url}"),
        ),
        shell("Download with wget", format!("wget{wget_auth} {url}")),
        shell(
            "Upload a file with curl",
            format!("curl --fail-with-body -u \"USERNAME:${TOKEN}\" --upload-file FILE {url}"),
        ),
    ]
}

fn shell(title: &str, body: String) -> Snippet {
    Snippet {
        title: title.into(),
        language: "shell".into(),
        body,
    }
}
