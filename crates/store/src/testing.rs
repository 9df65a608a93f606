//! Throwaway PostgreSQL databases for tests: each test creates its own on
//! the local server and drops it afterwards. A missing server is a failure,
//! never a skip.

use sqlx::Executor;
use sqlx::any::AnyPoolOptions;

/// The server tests use; `ENTREPOT_TEST_POSTGRES` overrides it.
pub fn admin_url() -> String {
    std::env::var("ENTREPOT_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database that exists for as long as this value.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    /// Creates `entrepot_test_<pid>_<n>_<random>` on the local server.
    pub async fn create() -> TestDatabase {
        // The process and a counter keep one run's databases apart by
        // construction; the random part, runs that left one behind.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        sqlx::any::install_default_drivers();
        let admin = admin_url();
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!(
            "entrepot_test_{}_{n}_{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL must run at {admin} for these tests: {e}"));
        pool.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create the test database");
        pool.close().await;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        TestDatabase {
            url: format!("{base}/{name}"),
            name,
        }
    }

    /// Drops the database (any open connections are terminated).
    pub async fn drop_now(&self) {
        let Ok(pool) = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&admin_url())
            .await
        else {
            return;
        };
        let _ = pool
            .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
            .await;
        pool.close().await;
    }
}

/// An S3 emulator (`moto_server`, from PyPI's `moto[server]`) on a free
/// loopback port, for as long as this value lives.
pub struct S3Emulator {
    child: std::process::Child,
    pub endpoint: String,
}

impl S3Emulator {
    /// Starts the emulator and waits until it answers.
    pub fn start() -> S3Emulator {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = std::process::Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto_server must be installed for these tests (scripts/test installs moto[server])");
        let emulator = S3Emulator {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "moto_server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        emulator
    }

    /// Creates a bucket (S3's `PUT /BUCKET`) and returns its configuration.
    pub fn bucket(&self, name: &str) -> crate::S3Config {
        use std::io::{Read, Write};
        let host = self.endpoint.trim_start_matches("http://");
        let attempt = || -> std::io::Result<String> {
            let mut stream = std::net::TcpStream::connect(host)?;
            write!(
                stream,
                "PUT /{name} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )?;
            let mut answer = String::new();
            stream.read_to_string(&mut answer)?;
            Ok(answer)
        };
        // The emulator may accept connections a moment before it answers
        // them: retry dropped connections until a deadline.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let answer = loop {
            match attempt() {
                Ok(answer) if !answer.is_empty() => break answer,
                other => assert!(
                    std::time::Instant::now() < deadline,
                    "the emulator never answered: {other:?}"
                ),
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        };
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "bucket creation failed: {answer}"
        );
        crate::S3Config {
            bucket: name.to_owned(),
            prefix: String::new(),
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".into()),
            access_key_id: Some(TEST_KEY.into()),
            secret_access_key: Some(TEST_KEY.into()),
        }
    }
}

/// The credentials the emulator accepts (any).
pub const TEST_KEY: &str = "entrepot-test";

impl Drop for S3Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
