//! How long admin jobs (copy, fsck) show they are working: a bar with
//! counts, rate and bytes on a terminal; a line every few seconds in a log
//! otherwise; the caller prints the summary at the end.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How often a line is logged when standard error is no terminal.
const LOG_EVERY: Duration = Duration::from_secs(5);

struct Stage {
    what: String,
    total: Option<u64>,
    done: u64,
    bytes: u64,
    started: Instant,
    logged: Instant,
    bar: Option<ProgressBar>,
}

/// Progress shown on standard error.
pub struct Reporter {
    terminal: bool,
    stage: Mutex<Option<Stage>>,
}

impl Reporter {
    pub fn new() -> Reporter {
        Reporter {
            terminal: std::io::IsTerminal::is_terminal(&std::io::stderr()),
            stage: Mutex::new(None),
        }
    }

    /// Clears the bar of the stage in progress.
    pub fn finish(&self) {
        if let Some(stage) = self.lock().take()
            && let Some(bar) = stage.bar
        {
            bar.finish_and_clear();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Stage>> {
        self.stage
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Default for Reporter {
    fn default() -> Self {
        Self::new()
    }
}

fn line(stage: &Stage) -> String {
    let seconds = stage.started.elapsed().as_secs_f64().max(0.001);
    let total = stage.total.map_or_else(String::new, |t| format!(" of {t}"));
    #[expect(clippy::cast_precision_loss, reason = "a rate to show")]
    let rate = stage.done as f64 / seconds;
    let mut text = format!("{}: {}{total}, {rate:.0}/s", stage.what, stage.done);
    if stage.bytes > 0 {
        #[expect(clippy::cast_precision_loss, reason = "a size to show")]
        let mib = stage.bytes as f64 / (1024.0 * 1024.0);
        let _ = write!(text, ", {mib:.1} MiB");
    }
    text
}

impl entrepot_store::copy::Progress for Reporter {
    fn start(&self, what: &str, total: Option<u64>) {
        self.finish();
        let bar = self.terminal.then(|| {
            let bar = total.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
            let template = "{msg:>8} [{bar:30}] {pos}/{len} {per_sec} {elapsed_precise}";
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(what.to_owned());
            bar
        });
        if !self.terminal {
            eprintln!(
                "{what}: starting{}",
                total.map_or_else(String::new, |t| format!(" ({t})"))
            );
        }
        let now = Instant::now();
        *self.lock() = Some(Stage {
            what: what.to_owned(),
            total,
            done: 0,
            bytes: 0,
            started: now,
            logged: now,
            bar,
        });
    }

    fn advance(&self, items: u64, bytes: u64) {
        let mut guard = self.lock();
        let Some(stage) = guard.as_mut() else {
            return;
        };
        stage.done += items;
        stage.bytes += bytes;
        if let Some(bar) = &stage.bar {
            bar.inc(items);
        } else if stage.logged.elapsed() >= LOG_EVERY {
            stage.logged = Instant::now();
            eprintln!("{}", line(stage));
        }
    }
}
