//! Everything the command says on stderr: informational lines, warnings, and
//! the live progress line drawn while a job runs.
//!
//! They go through one place so that a warning never lands in the middle of
//! the progress line: the line is cleared, the warning printed, and the next
//! tick draws the line again below it.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use matchkraft_host::Job;
use matchkraft_host::text::printable;

use crate::term::Term;

/// How often the progress line is redrawn.
const TICK: Duration = Duration::from_millis(120);

/// The spinner's frames: plain ASCII, so that any terminal font has them.
const FRAMES: [char; 4] = ['|', '/', '-', '\\'];

/// stderr for this command; cheap to clone (one shared progress line).
#[derive(Clone)]
pub(crate) struct Console {
    term: Term,
    shared: Arc<Mutex<Line>>,
    /// Set when a line could not be written to stderr (other than to a
    /// closed pipe): the command then cannot exit 0.
    failed: Arc<AtomicBool>,
}

/// The progress line: what it says, and whether a ticker draws it.
#[derive(Default)]
struct Line {
    /// `Some` while a wait is shown.
    label: Option<String>,
    started: Option<Instant>,
    /// Characters drawn last, to blank them out on the next draw.
    drawn: usize,
    frame: usize,
    ticker: Option<JoinHandle<()>>,
}

impl Console {
    pub(crate) fn new(term: Term) -> Console {
        Console {
            term,
            shared: Arc::default(),
            failed: Arc::default(),
        }
    }

    pub(crate) fn term(&self) -> &Term {
        &self.term
    }

    /// A line for a person (`submitted job …`); `--quiet` drops it.
    pub(crate) fn info(&self, message: &str) {
        if self.term.chatty {
            self.say(message);
        }
    }

    /// `warning: …`, always.
    pub(crate) fn warn(&self, message: &str) {
        self.say(&format!("warning: {message}"));
    }

    /// `error: …`, always (the command's last words).
    pub(crate) fn error(&self, message: &str) {
        self.say(&format!("error: {message}"));
    }

    /// `hint: …`, always, after an error.
    pub(crate) fn hint(&self, message: &str) {
        self.say(&format!("hint: {message}"));
    }

    /// Whether a line could not be written to stderr.
    pub(crate) fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// One line on stderr, its control characters made visible (a message
    /// may quote the API), below the progress line's last draw.
    fn say(&self, message: &str) {
        let mut line = self.line();
        let mut stderr = std::io::stderr().lock();
        clear(&mut stderr, &mut line);
        let written = writeln!(stderr, "{}", printable(message)).and_then(|()| stderr.flush());
        if let Err(error) = written
            && error.kind() != std::io::ErrorKind::BrokenPipe
        {
            self.failed.store(true, Ordering::Relaxed);
        }
    }

    /// Shows `label` with a spinner and the time waited, until [`stop`] (or
    /// the next `waiting`). Nothing happens without a terminal.
    ///
    /// [`stop`]: Console::stop
    pub(crate) fn waiting(&self, label: String) {
        if !self.term.progress {
            return;
        }
        let mut line = self.line();
        line.label = Some(label);
        line.started.get_or_insert_with(Instant::now);
        if line.ticker.is_none() {
            let shared = Arc::clone(&self.shared);
            line.ticker = Some(std::thread::spawn(move || tick(&shared)));
        }
    }

    /// The job's latest status and progress, on the progress line.
    pub(crate) fn job(&self, job: &Job) {
        self.waiting(job_label(job));
    }

    /// Removes the progress line (and waits for the ticker to notice).
    pub(crate) fn stop(&self) {
        let ticker = {
            let mut line = self.line();
            line.label = None;
            line.started = None;
            let mut stderr = std::io::stderr().lock();
            clear(&mut stderr, &mut line);
            line.ticker.take()
        };
        if let Some(ticker) = ticker {
            let _ = ticker.join();
        }
    }

    fn line(&self) -> MutexGuard<'_, Line> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The ticker's loop: redraw until the label is gone.
fn tick(shared: &Mutex<Line>) {
    loop {
        {
            let mut line = shared.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(label) = line.label.clone() else {
                return;
            };
            let waited = line.started.map_or(0, |s| s.elapsed().as_secs());
            let frame = FRAMES[line.frame % FRAMES.len()];
            line.frame += 1;
            // The clock and the status first: a narrow terminal cuts the job id.
            let text = fit(&format!("{frame} {} {label}", clock(waited)), width());
            let mut stderr = std::io::stderr().lock();
            clear(&mut stderr, &mut line);
            let _ = write!(stderr, "{text}");
            let _ = stderr.flush();
            line.drawn = text.chars().count();
        }
        std::thread::sleep(TICK);
    }
}

/// Blanks what the last draw left, with spaces rather than escape codes (a
/// terminal that shows colour codes literally still shows this right).
fn clear(stderr: &mut impl std::io::Write, line: &mut Line) {
    if line.drawn > 0 {
        let _ = write!(stderr, "\r{}\r", " ".repeat(line.drawn));
        let _ = stderr.flush();
        line.drawn = 0;
    }
}

/// `processing [####......] 45%  email-validation job 1a2b…`.
fn job_label(job: &Job) -> String {
    let mut label = job.status.to_string();
    if let Some(progress) = job.progress {
        let percent = progress.clamp(0.0, 100.0);
        // A tenth is filled only once reached.
        let filled = (percent / 10.0).floor() as usize;
        label.push_str(&format!(
            " [{}{}] {percent:.0}%",
            "#".repeat(filled),
            ".".repeat(10 - filled)
        ));
    }
    label.push_str(&format!("  {} job {}", job.job_type, job.id));
    label
}

/// `42s`, `3m05s`.
fn clock(secs: u64) -> String {
    if secs < 60 {
        format!("{secs}s")
    } else {
        format!("{}m{:02}s", secs / 60, secs % 60)
    }
}

/// The terminal's width from `COLUMNS`, else 80: a line longer than the
/// terminal wraps, and `\r` then redraws only its last part.
fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&c: &usize| c >= 20)
        .unwrap_or(80)
}

/// `text` cut to fit in `width - 1` columns, marking the cut with `…`.
fn fit(text: &str, width: usize) -> String {
    let room = width.saturating_sub(1);
    if text.chars().count() <= room {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(room.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use matchkraft_host::{JobStatus, JobType};

    #[test]
    fn the_label_shows_status_and_a_bar_for_progress() {
        let mut job = Job {
            id: "j1".into(),
            name: Some("ignored here".into()),
            job_type: JobType::EmailValidation,
            status: JobStatus::Processing,
            progress: None,
        };
        assert_eq!(job_label(&job), "processing  email-validation job j1");
        job.progress = Some(45.0);
        assert_eq!(
            job_label(&job),
            "processing [####......] 45%  email-validation job j1"
        );
        job.progress = Some(250.0);
        assert_eq!(
            job_label(&job),
            "processing [##########] 100%  email-validation job j1"
        );
    }

    #[test]
    fn clock_and_fit() {
        assert_eq!(clock(7), "7s");
        assert_eq!(clock(185), "3m05s");
        assert_eq!(fit("abcdef", 80), "abcdef");
        assert_eq!(fit("abcdef", 5), "abc…");
    }
}
