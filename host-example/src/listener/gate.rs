//! The [`Gate`] that keeps a flood of junk posts from flooding a log: a few
//! warnings of each floodable kind per window, then one summary.

use std::time::{Duration, Instant};

use super::ListenerEvent;

/// How many warnings of one floodable kind are emitted per
/// [`WARNING_WINDOW`]; the rest are counted and summarised by one
/// [`ListenerEvent::Suppressed`], so that anyone posting junk to the URL
/// cannot fill a log.
pub(super) const WARNINGS_PER_WINDOW: u64 = 20;

/// See [`WARNINGS_PER_WINDOW`].
pub(super) const WARNING_WINDOW: Duration = Duration::from_secs(60);

/// The warnings that anyone who knows the URL can cause at will.
pub(super) const FLOODABLE: [&str; 2] = ["webhooks for jobs not in the ledger", "invalid webhook bodies"];

/// Counts of floodable warnings in the current window.
#[derive(Default)]
pub(super) struct Gate {
    window: Option<Instant>,
    emitted: [u64; 2],
    suppressed: [u64; 2],
}

impl Gate {
    /// Whether a warning of `kind` (an index into [`FLOODABLE`]) may be
    /// emitted at `now`, and the summaries of a window that has ended.
    pub(super) fn admit(&mut self, kind: usize, now: Instant) -> (bool, Vec<ListenerEvent>) {
        let mut summaries = Vec::new();
        if self
            .window
            .is_none_or(|start| now.duration_since(start) >= WARNING_WINDOW)
        {
            summaries = self.summaries();
            self.window = Some(now);
            self.emitted = [0; 2];
        }
        let admitted = self.emitted[kind] < WARNINGS_PER_WINDOW;
        if admitted {
            self.emitted[kind] += 1;
        } else {
            self.suppressed[kind] += 1;
        }
        (admitted, summaries)
    }

    /// A summary per kind with warnings left out, which are then forgotten.
    pub(super) fn summaries(&mut self) -> Vec<ListenerEvent> {
        let summaries = (0..FLOODABLE.len())
            .filter(|&kind| self.suppressed[kind] > 0)
            .map(|kind| ListenerEvent::Suppressed {
                count: self.suppressed[kind],
                what: FLOODABLE[kind],
            })
            .collect();
        self.suppressed = [0; 2];
        summaries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_warnings_is_summarised() {
        let mut gate = Gate::default();
        let start = Instant::now();
        let admitted = (0..1000).filter(|_| gate.admit(0, start).0).count();
        assert_eq!(admitted, WARNINGS_PER_WINDOW as usize);
        // The other kind has a budget of its own.
        assert!(gate.admit(1, start).0);
        // The next window starts with the summary of the last one.
        let (admitted, summaries) = gate.admit(0, start + WARNING_WINDOW);
        assert!(admitted);
        assert_eq!(
            summaries,
            vec![ListenerEvent::Suppressed {
                count: 1000 - WARNINGS_PER_WINDOW,
                what: FLOODABLE[0],
            }]
        );
        assert!(gate.summaries().is_empty());
    }
}
