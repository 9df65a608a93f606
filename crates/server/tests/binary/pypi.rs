//! The Python package index with the real clients: wheels and sdists built
//! by `python3 -m build`, uploaded by twine 7 and installed by pip 23 in
//! fresh virtual environments (`python3 -m venv`): plainly, hash-checked
//! with the hashes of the PEP 691 JSON index, and from the sdist; yanked
//! releases (PEP 592), which only a pin reaches; and a private index that
//! wants credentials until the project is made public. Every command runs
//! with its own `HOME` and none of the machine's pip, twine or Python
//! settings (`PIP_CONFIG_FILE=/dev/null`, no `PIP_*` variables such as a
//! `PIP_FIND_LINKS`), so pip sees no index but ours.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common::process::{run, text};
use crate::common::{Server, alice_packages, make_public, token};
use reqwest::blocking::Client;
use serde_json::{Value, json};
use sha2::Digest;

/// The PEP 691 media type of the JSON simple index.
const SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";

/// The project every test builds: `Tiny_Pkg`, normalised `tiny-pkg`, whose
/// module `tinypkg` says hi with its version.
const PROJECT: &str = "tiny-pkg";

/// A scratch folder for the Python clients, with its own home.
pub(crate) struct Python {
    root: PathBuf,
}

impl Python {
    pub(crate) fn new(parent: &Path) -> Python {
        let root = parent.join("python");
        std::fs::create_dir_all(root.join("home")).unwrap();
        Python { root }
    }

    /// `program` in `cwd` without the machine's pip, twine or Python
    /// settings; stdin is empty, so a prompt cannot hang.
    fn command(&self, program: impl AsRef<OsStr>, cwd: &Path) -> Command {
        let mut cmd = Command::new(program);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            let upper = key.to_ascii_uppercase();
            if upper.starts_with("PIP_")
                || upper.starts_with("TWINE_")
                || upper.starts_with("PYTHON")
                || upper == "VIRTUAL_ENV"
                || upper.ends_with("_PROXY")
            {
                cmd.env_remove(key);
            }
        }
        let home = self.root.join("home");
        cmd.current_dir(cwd)
            .env("HOME", &home)
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            // pip reads no configuration file at all.
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("NO_COLOR", "1")
            .env("NO_PROXY", "*")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, cwd: &Path, program: impl AsRef<OsStr>, args: &[&str]) -> Output {
        run(self.command(program, cwd).args(args))
    }

    /// Runs the command, asserts it succeeded and returns its stdout.
    fn ok(&self, cwd: &Path, program: impl AsRef<OsStr>, args: &[&str]) -> String {
        let program = program.as_ref();
        let out = self.run(cwd, program, args);
        assert!(
            out.status.success(),
            "{} {args:?} failed:\n{}",
            Path::new(program).display(),
            text(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Fresh virtual environments, made side by side (each takes seconds):
    /// `(name, with the system's site-packages)`.
    fn venvs(&self, specs: &[(&str, bool)]) -> Vec<Venv<'_>> {
        std::thread::scope(|scope| {
            let made: Vec<_> = specs
                .iter()
                .map(|&(name, system)| scope.spawn(move || self.venv(name, system)))
                .collect();
            made.into_iter().map(|v| v.join().unwrap()).collect()
        })
    }

    /// `python3 -m venv`, with the pip it bundles.
    fn venv(&self, name: &str, system_site_packages: bool) -> Venv<'_> {
        let dir = self.root.join(format!("venv-{name}"));
        let mut args = vec!["-m", "venv"];
        if system_site_packages {
            args.push("--system-site-packages");
        }
        args.push(dir.to_str().unwrap());
        self.ok(&self.root, "python3", &args);
        Venv { python: self, dir }
    }

    /// Writes `Tiny_Pkg` `version` in its own folder and builds it with
    /// `python3 -m build --no-isolation` (the wheel alone unless `sdist`).
    /// Returns the distributions sorted by name: the wheel first.
    pub(crate) fn build(&self, version: &str, sdist: bool) -> Vec<PathBuf> {
        self.build_project(("Tiny_Pkg", "tinypkg"), version, &[], sdist)
    }

    /// `build` of the project `(name, module)` with `requires` as its
    /// `dependencies` (what the wheel's `Requires-Dist` lines say).
    pub(crate) fn build_project(
        &self,
        (name, module): (&str, &str),
        version: &str,
        requires: &[&str],
        sdist: bool,
    ) -> Vec<PathBuf> {
        let dir = self.root.join(format!("src-{module}-{version}"));
        std::fs::create_dir_all(dir.join(format!("src/{module}"))).unwrap();
        let dependencies = serde_json::to_string(requires).unwrap();
        std::fs::write(
            dir.join("pyproject.toml"),
            format!(
                r#"[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "{version}"
description = "Says hi"
readme = "README.md"
requires-python = ">=3.8"
dependencies = {dependencies}

[project.urls]
Source = "https://github.com/alice/tinypkg"
"#
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("README.md"),
            format!("# {name}\n\nVersion {version}, a project for Entrepot's tests.\n"),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("src/{module}/__init__.py")),
            format!("def hi():\n    return \"hi from {module} {version}\"\n"),
        )
        .unwrap();
        let mut args = vec!["-m", "build", "--no-isolation"];
        if !sdist {
            args.push("--wheel");
        }
        self.ok(&dir, "python3", &args);
        let mut dists: Vec<PathBuf> = std::fs::read_dir(dir.join("dist"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        dists.sort();
        let names: Vec<String> = dists.iter().map(|d| file_name(d)).collect();
        let mut want = vec![format!("{name}-{version}-py3-none-any.whl")];
        if sdist {
            want.push(format!("{name}-{version}.tar.gz"));
        }
        assert_eq!(names, want, "python -m build made the wheel (and sdist)");
        dists
    }

    /// `twine upload --repository-url URL -u USER -p PASSWORD FILES`.
    pub(crate) fn twine_upload(
        &self,
        url: &str,
        user: &str,
        password: &str,
        files: &[PathBuf],
    ) -> Output {
        let mut args = vec![
            "-m",
            "twine",
            "--no-color",
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            url,
            "-u",
            user,
            "-p",
            password,
        ];
        args.extend(files.iter().map(|f| f.to_str().unwrap()));
        self.run(&self.root, "python3", &args)
    }
}

/// One virtual environment and its pip.
struct Venv<'a> {
    python: &'a Python,
    dir: PathBuf,
}

impl Venv<'_> {
    fn interpreter(&self) -> PathBuf {
        self.dir.join("bin/python")
    }

    /// `python -m pip ARGS` with no cache and no version check.
    fn pip(&self, args: &[&str]) -> Output {
        let mut all = vec!["-m", "pip", "--no-cache-dir", "--disable-pip-version-check"];
        all.extend_from_slice(args);
        self.python.run(&self.python.root, self.interpreter(), &all)
    }

    /// `pip install --no-input --index-url INDEX ARGS`.
    fn install(&self, index: &str, args: &[&str]) -> Output {
        let mut all = vec!["install", "--no-input", "--index-url", index];
        all.extend_from_slice(args);
        self.pip(&all)
    }

    /// `pip install` of `requirement` into the fresh folder `target` (where
    /// pip sees nothing installed), which must succeed; returns pip's output.
    fn install_into(&self, index: &str, requirement: &str, target: &Path) -> String {
        assert!(!target.exists(), "{} is fresh", target.display());
        let out = self.install(index, &["--target", target.to_str().unwrap(), requirement]);
        assert!(
            out.status.success(),
            "pip install {requirement} failed:\n{}",
            text(&out)
        );
        text(&out)
    }

    /// What `code` prints in this environment, with `path` on `sys.path`.
    fn python(&self, code: &str, path: Option<&Path>) -> String {
        let mut cmd = self.python.command(self.interpreter(), &self.python.root);
        cmd.args(["-c", code]);
        if let Some(path) = path {
            cmd.env("PYTHONPATH", path);
        }
        let out = run(&mut cmd);
        assert!(out.status.success(), "python -c {code:?}:\n{}", text(&out));
        String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
    }

    /// What `tinypkg.hi()` says when imported from `path` (or the venv).
    fn hi(&self, path: Option<&Path>) -> String {
        self.python("import tinypkg; print(tinypkg.hi())", path)
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The `*.dist-info` folders pip put in `target`.
fn dist_infos(target: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(target)
        .map(|dir| {
            dir.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".dist-info"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Where twine uploads to `owner`'s index.
pub(crate) fn upload_url(server: &Server, owner: &str) -> String {
    server.url(&format!("/pypi/{owner}/"))
}

/// `owner`'s simple index for pip, with `user:token` in it when given.
fn index(server: &Server, owner: &str, credentials: Option<(&str, &str)>) -> String {
    let url = server.url(&format!("/pypi/{owner}/simple/"));
    match credentials {
        Some((user, token)) => url.replacen("http://", &format!("http://{user}:{token}@"), 1),
        None => url,
    }
}

/// A GET of `url` with `accept` and optional basic credentials: the status,
/// the headers and the body. Redirects are not followed.
fn get(
    url: &str,
    accept: Option<&str>,
    auth: Option<(&str, &str)>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut req = client.get(url);
    if let Some(accept) = accept {
        req = req.header("Accept", accept);
    }
    if let Some((user, password)) = auth {
        req = req.basic_auth(user, Some(password));
    }
    let r = req.send().unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().unwrap().to_vec())
}

/// `tiny-pkg`'s page of alice's index as PEP 691 JSON, read as alice.
fn project_json(server: &Server, auth: Option<(&str, &str)>) -> Value {
    let url = server.url(&format!("/pypi/alice/simple/{PROJECT}/"));
    let (status, headers, body) = get(&url, Some(SIMPLE_JSON), auth);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers["content-type"], SIMPLE_JSON);
    serde_json::from_slice(&body).unwrap()
}

/// The file entry named `filename` in a PEP 691 project page.
fn file_entry<'a>(page: &'a Value, filename: &str) -> &'a Value {
    page["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["filename"] == filename)
        .unwrap_or_else(|| panic!("{filename} is not listed: {page}"))
}

/// Sends a yank (or unyank) request with the form field `reason`; returns
/// the status.
fn yank(request: reqwest::blocking::RequestBuilder, reason: &str) -> u16 {
    let r = request.form(&[("reason", reason)]).send().unwrap();
    r.status().as_u16()
}

/// Checks `tiny-pkg`'s page of alice's index against the uploaded `dists`
/// (1.0.0's wheel and sdist) in both forms: PEP 691 JSON with sha256 hashes,
/// the Python requirement and the wheel's core metadata (PEP 658/714), and
/// PEP 503 HTML, where any spelling of the name redirects to the normalised
/// one. Returns the files' sha256 hashes.
fn the_index_describes(server: &Server, t: &str, dists: &[PathBuf]) -> Vec<String> {
    let [wheel, sdist] = [&dists[0], &dists[1]];
    // PEP 691 JSON...
    let page = project_json(server, Some(("alice", t)));
    assert_eq!(page["meta"]["api-version"], "1.1", "{page}");
    assert_eq!(page["name"], PROJECT);
    assert_eq!(page["versions"], json!(["1.0.0"]));
    assert_eq!(page["files"].as_array().unwrap().len(), 2, "{page}");
    let mut hashes = Vec::new();
    for dist in dists {
        let bytes = std::fs::read(dist).unwrap();
        let entry = file_entry(&page, &file_name(dist));
        assert_eq!(entry["hashes"]["sha256"], sha256_hex(&bytes), "{entry}");
        assert_eq!(entry["size"], bytes.len(), "{entry}");
        assert_eq!(entry["requires-python"], ">=3.8", "{entry}");
        assert_eq!(entry["yanked"], false, "{entry}");
        assert!(
            entry["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/{}", file_name(dist))),
            "{entry}"
        );
        hashes.push(sha256_hex(&bytes));
    }
    let wheel_entry = file_entry(&page, &file_name(wheel));
    let metadata_url = format!("{}.metadata", wheel_entry["url"].as_str().unwrap());
    let (status, _, metadata) = get(&metadata_url, None, Some(("alice", t)));
    assert_eq!(status, 200, "{metadata_url}");
    assert_eq!(
        wheel_entry["core-metadata"],
        json!({"sha256": sha256_hex(&metadata)})
    );
    let metadata = String::from_utf8(metadata).unwrap();
    assert!(
        metadata.contains("\nVersion: 1.0.0\n") && metadata.contains("Requires-Python: >=3.8"),
        "{metadata}"
    );
    assert_eq!(file_entry(&page, &file_name(sdist))["core-metadata"], false);
    // ...and PEP 503 HTML, where the name in any spelling redirects to the
    // normalised one.
    let html_url = server.url(&format!("/pypi/alice/simple/{PROJECT}/"));
    let (status, headers, html) = get(&html_url, None, Some(("alice", t)));
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{headers:?}"
    );
    let html = String::from_utf8(html).unwrap();
    for hash in &hashes {
        assert!(html.contains(&format!("#sha256={hash}\"")), "{html}");
    }
    assert!(html.contains("data-requires-python=\"&gt;=3.8\""), "{html}");
    assert!(
        html.contains(&format!(
            "data-core-metadata=\"sha256={}\"",
            sha256_hex(metadata.as_bytes())
        )),
        "{html}"
    );
    assert!(!html.contains("data-yanked"), "{html}");
    let (status, headers, _) = get(
        &server.url("/pypi/alice/simple/Tiny_Pkg/"),
        None,
        Some(("alice", t)),
    );
    assert_eq!(status, 301);
    assert_eq!(headers["location"], html_url.as_str());

    hashes
}

/// `pip install --require-hashes` of 1.0.0 in `venv`: refused with a wrong
/// hash (into a scratch folder), installed with the index's `hashes`.
fn hash_checked_install(venv: &Venv, alice_index: &str, hashes: &[String]) {
    let python = venv.python;
    let wrong = python.root.join("wrong-requirements.txt");
    std::fs::write(
        &wrong,
        format!("{PROJECT}==1.0.0 --hash=sha256:{}\n", "0".repeat(64)),
    )
    .unwrap();
    let target = python.root.join("wrong-hash");
    let out = venv.install(
        alice_index,
        &[
            "--require-hashes",
            "-r",
            wrong.to_str().unwrap(),
            "--target",
            target.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("DO NOT MATCH THE HASHES") && text(&out).contains(&hashes[0]),
        "{}",
        text(&out)
    );
    assert!(dist_infos(&target).is_empty());
    let requirements = python.root.join("requirements.txt");
    std::fs::write(
        &requirements,
        format!(
            "{PROJECT}==1.0.0 --hash=sha256:{} --hash=sha256:{}\n",
            hashes[0], hashes[1]
        ),
    )
    .unwrap();
    let out = venv.install(
        alice_index,
        &["--require-hashes", "-r", requirements.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(venv.hi(None), "hi from tinypkg 1.0.0");
}

#[test]
fn twine_uploads_a_wheel_and_an_sdist_that_pip_installs_plainly_hash_checked_and_from_source() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", "alice/tinypkg"]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    let python = Python::new(dir.path());
    // The virtual environments take seconds to make: made while the project
    // builds. The second sees the system's setuptools and wheel, with which
    // pip prepares the sdist.
    let (dists, venvs) = std::thread::scope(|scope| {
        let venvs = scope.spawn(|| python.venvs(&[("plain", false), ("build", true)]));
        let dists = python.build("1.0.0", true);
        (dists, venvs.join().unwrap())
    });
    let [wheel, sdist] = [&dists[0], &dists[1]];
    let [plain, with_build_tools] = [&venvs[0], &venvs[1]];

    let out = python.twine_upload(&upload_url(&server, "alice"), "__token__", &t, &dists);
    assert!(out.status.success(), "twine upload: {}", text(&out));
    for dist in &dists {
        assert!(
            text(&out).contains(&format!("Uploading {}", file_name(dist))),
            "{}",
            text(&out)
        );
    }
    // A file name is never reused: twine reports our 409.
    let again = python.twine_upload(
        &upload_url(&server, "alice"),
        "__token__",
        &t,
        std::slice::from_ref(wheel),
    );
    assert!(!again.status.success(), "{}", text(&again));
    // The reason phrase carries why, as PyPI's own does: twine prints it.
    let said = text(&again);
    assert!(
        said.contains("409 Conflict") && said.contains("File already exists"),
        "{said}"
    );

    let hashes = the_index_describes(&server, &t, &dists);

    // pip installs it by its own spelling into a fresh venv, and it runs.
    let alice_index = index(&server, "alice", Some(("alice", &t)));
    let out = plain.install(&alice_index, &["Tiny_Pkg"]);
    assert!(out.status.success(), "pip install: {}", text(&out));
    assert!(
        text(&out).contains("Successfully installed Tiny_Pkg-1.0.0"),
        "{}",
        text(&out)
    );
    assert_eq!(plain.hi(None), "hi from tinypkg 1.0.0");
    assert_eq!(
        plain.python(
            "import importlib.metadata as m; print(m.version('tiny-pkg'))",
            None
        ),
        "1.0.0"
    );

    // Hash-checking mode with the index's hashes installs in another fresh
    // venv; a wrong hash is refused.
    hash_checked_install(with_build_tools, &alice_index, &hashes);

    // The sdist downloads intact (pip prepares its metadata with the
    // system's setuptools and wheel: no index of ours has them).
    let downloads = python.root.join("downloads");
    let out = with_build_tools.pip(&[
        "download",
        "--no-input",
        "--index-url",
        &alice_index,
        "--no-deps",
        "--no-binary",
        ":all:",
        "--no-build-isolation",
        "--dest",
        downloads.to_str().unwrap(),
        PROJECT,
    ]);
    assert!(out.status.success(), "pip download: {}", text(&out));
    let downloaded = downloads.join(file_name(sdist));
    assert_eq!(
        std::fs::read(&downloaded).unwrap(),
        std::fs::read(sdist).unwrap(),
        "{} is the uploaded sdist",
        downloaded.display()
    );
    assert_eq!(std::fs::read_dir(&downloads).unwrap().count(), 1);

    // The REST API knows the package, private and in its repository.
    let packages = alice_packages(&server, &t, "pypi");
    assert_eq!(packages.as_array().unwrap().len(), 1, "{packages}");
    assert_eq!(packages[0]["name"], PROJECT, "{packages}");
    assert_eq!(packages[0]["package_type"], "pypi");
    assert_eq!(packages[0]["visibility"], "private");
    assert_eq!(packages[0]["version_count"], 1);
    assert_eq!(packages[0]["repository"]["full_name"], "alice/tinypkg");
}

#[test]
fn a_yanked_release_is_skipped_unless_pinned_and_returns_when_unyanked() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    let no_delete = token(&server, "alice", "read:packages,write:packages");
    let python = Python::new(dir.path());
    let (wheels, venv) = std::thread::scope(|scope| {
        let venv = scope.spawn(|| python.venv("pip", false));
        let mut wheels = python.build("1.0.0", false);
        wheels.extend(python.build("1.1.0", false));
        (wheels, venv.join().unwrap())
    });
    // Any user name goes with the token.
    let out = python.twine_upload(&upload_url(&server, "alice"), "alice", &t, &wheels);
    assert!(out.status.success(), "twine upload: {}", text(&out));
    let alice_index = index(&server, "alice", Some(("alice", &t)));
    let fresh = |name: &str| python.root.join(format!("target-{name}"));

    let reason = "Broken build: use 1.0.0";
    let yank_url = server.url(&format!("/pypi/alice/{PROJECT}/1.1.0/yank"));
    // Yanking needs delete:packages.
    let status = yank(
        Client::new()
            .post(&yank_url)
            .basic_auth("alice", Some(&no_delete)),
        reason,
    );
    assert_eq!(status, 403, "yanked without delete:packages");
    assert_eq!(
        file_entry(
            &project_json(&server, Some(("alice", &t))),
            "Tiny_Pkg-1.1.0-py3-none-any.whl"
        )["yanked"],
        false
    );
    let status = yank(
        Client::new().post(&yank_url).basic_auth("alice", Some(&t)),
        reason,
    );
    assert_eq!(status, 200);
    let page = project_json(&server, Some(("alice", &t)));
    assert_eq!(page["versions"], json!(["1.0.0", "1.1.0"]), "{page}");
    assert_eq!(
        file_entry(&page, "Tiny_Pkg-1.1.0-py3-none-any.whl")["yanked"],
        reason
    );
    assert_eq!(
        file_entry(&page, "Tiny_Pkg-1.0.0-py3-none-any.whl")["yanked"],
        false
    );
    let (_, _, html) = get(
        &server.url(&format!("/pypi/alice/simple/{PROJECT}/")),
        None,
        Some(("alice", &t)),
    );
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("data-yanked=\"Broken build: use 1.0.0\">Tiny_Pkg-1.1.0-py3-none-any.whl<"),
        "{html}"
    );

    // The resolver skips the yanked release...
    let target = fresh("latest-while-yanked");
    venv.install_into(&alice_index, PROJECT, &target);
    assert_eq!(dist_infos(&target), ["Tiny_Pkg-1.0.0.dist-info"]);
    assert_eq!(venv.hi(Some(&target)), "hi from tinypkg 1.0.0");
    // ...unless pinned, with a warning giving our reason.
    let target = fresh("pinned");
    let out = venv.install_into(&alice_index, &format!("{PROJECT}==1.1.0"), &target);
    assert!(out.contains("is a yanked version"), "{out}");
    assert!(
        out.contains(&format!("Reason for being yanked: {reason}")),
        "{out}"
    );
    assert_eq!(dist_infos(&target), ["Tiny_Pkg-1.1.0.dist-info"]);
    assert_eq!(venv.hi(Some(&target)), "hi from tinypkg 1.1.0");

    // Unyanked (here with a bearer token), 1.1.0 is the newest again.
    let status = yank(
        Client::new()
            .post(server.url(&format!("/pypi/alice/{PROJECT}/1.1.0/unyank")))
            .bearer_auth(&t),
        "",
    );
    assert_eq!(status, 200);
    assert_eq!(
        file_entry(
            &project_json(&server, Some(("alice", &t))),
            "Tiny_Pkg-1.1.0-py3-none-any.whl"
        )["yanked"],
        false
    );
    let target = fresh("latest-after-unyank");
    let out = venv.install_into(&alice_index, PROJECT, &target);
    assert!(!out.contains("yanked"), "{out}");
    assert_eq!(dist_infos(&target), ["Tiny_Pkg-1.1.0.dist-info"]);
    assert_eq!(venv.hi(Some(&target)), "hi from tinypkg 1.1.0");
}

#[test]
fn a_private_index_wants_alices_credentials_until_the_project_is_public() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["user", "create", "bob"]);
    let t = token(&server, "alice", "read:packages,write:packages");
    let read_only = token(&server, "alice", "read:packages");
    let bob_t = token(&server, "bob", "read:packages,write:packages");
    let python = Python::new(dir.path());
    let (wheels, venv) = std::thread::scope(|scope| {
        let venv = scope.spawn(|| python.venv("pip", false));
        let mut wheels = python.build("1.0.0", false);
        wheels.extend(python.build("1.1.0", false));
        (wheels, venv.join().unwrap())
    });
    let url = upload_url(&server, "alice");
    let out = python.twine_upload(&url, "__token__", &t, &wheels[..1]);
    assert!(out.status.success(), "twine upload: {}", text(&out));
    let anonymous_index = index(&server, "alice", None);
    let fresh = |name: &str| python.root.join(format!("target-{name}"));

    // Anonymous readers are challenged, for the index and the files alike.
    let file_url = file_entry(
        &project_json(&server, Some(("alice", &t))),
        "Tiny_Pkg-1.0.0-py3-none-any.whl",
    )["url"]
        .as_str()
        .unwrap()
        .to_owned();
    for url in [
        server.url("/pypi/alice/simple/"),
        server.url(&format!("/pypi/alice/simple/{PROJECT}/")),
        file_url.clone(),
    ] {
        let (status, headers, _) = get(&url, None, None);
        assert_eq!(status, 401, "{url}");
        assert_eq!(
            headers["www-authenticate"], "Basic realm=\"Entrepot PyPI\"",
            "{url}"
        );
    }
    // pip without credentials finds nothing; only its debug output says why
    // (with --no-input it does not ask for a user name).
    let target = fresh("anonymous");
    let out = venv.install(
        &anonymous_index,
        &["-vv", "--target", target.to_str().unwrap(), PROJECT],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("401 Client Error: Unauthorized"),
        "{}",
        text(&out)
    );
    assert!(dist_infos(&target).is_empty());
    // Bob's token does not open alice's private project.
    let target = fresh("bob");
    let out = venv.install(
        &index(&server, "alice", Some(("bob", &bob_t))),
        &["--target", target.to_str().unwrap(), PROJECT],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(dist_infos(&target).is_empty());

    // No upload by another user (answered as for a new name in alice's
    // account, so that the private project's existence is not given away)
    // or without `write:packages`.
    for (who, password, status) in [
        ("bob", bob_t.as_str(), "403 Forbidden"),
        ("read-only token", &read_only, "403 Forbidden"),
    ] {
        let out = python.twine_upload(&url, "__token__", password, &wheels[1..]);
        assert!(!out.status.success(), "{who} uploaded: {}", text(&out));
        assert!(text(&out).contains(status), "{who}: {}", text(&out));
    }
    assert_eq!(
        project_json(&server, Some(("alice", &t)))["versions"],
        json!(["1.0.0"])
    );

    // Made public, the project installs without credentials.
    let made_public = make_public(&server, &t, "pypi", PROJECT);
    assert_eq!(made_public["visibility"], "public", "{made_public}");
    let page = project_json(&server, None);
    assert_eq!(page["versions"], json!(["1.0.0"]), "{page}");
    let target = fresh("public");
    venv.install_into(&anonymous_index, PROJECT, &target);
    assert_eq!(dist_infos(&target), ["Tiny_Pkg-1.0.0.dist-info"]);
    assert_eq!(venv.hi(Some(&target)), "hi from tinypkg 1.0.0");
    // Public to read is not open to write.
    let out = python.twine_upload(&url, "__token__", &bob_t, &wheels[1..]);
    assert!(!out.status.success(), "bob uploaded: {}", text(&out));
    assert!(text(&out).contains("403 Forbidden"), "{}", text(&out));
    assert_eq!(project_json(&server, None)["versions"], json!(["1.0.0"]));
}
