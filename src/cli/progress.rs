//! indicatif progress on stderr, fed by the probe runner's observer: one bar counting the
//! run's tasks, and a byte-based bar under it for each large file being read.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use vetter::probe::{ByteSink, Observer, Task};

/// Files smaller than this are read too quickly for a bar of their own to help.
const FILE_BAR_MIN_BYTES: u64 = 32 * 1024 * 1024;

pub struct Progress {
    multi: MultiProgress,
    bar: ProgressBar,
    visible: bool,
    color: bool,
}

impl Progress {
    /// A bar when `visible` (a terminal and no --quiet), else a hidden one.
    pub fn new(visible: bool, color: bool, vendor: &str) -> Self {
        let multi = MultiProgress::with_draw_target(if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let bar = multi.add(ProgressBar::new(0));
        bar.set_style(style(
            color,
            "{prefix:.bold} [{bar:30.cyan}] {pos}/{len} {wide_msg}",
            "{prefix} [{bar:30}] {pos}/{len} {wide_msg}",
        ));
        bar.set_prefix(vendor.to_string());
        Progress {
            multi,
            bar,
            visible,
            color,
        }
    }
}

fn style(color: bool, colored: &str, plain: &str) -> ProgressStyle {
    ProgressStyle::with_template(if color { colored } else { plain })
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// Clears a file's bar when the reader lets go of its sink.
struct FileBar(ProgressBar);

impl Drop for FileBar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

impl Observer for Progress {
    fn start(&self, total: usize) {
        self.bar.set_length(total as u64);
    }
    fn task_started(&self, task: &Task) {
        // Labels are manifest text: escaped for the terminal.
        self.bar
            .set_message(vetter::report::text::escape_controls(&task.label).into_owned());
    }
    fn task_finished(&self, _task: &Task) {
        self.bar.inc(1);
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
    fn file_started(&self, _task: &Task, path: &str, total: u64) -> Option<ByteSink> {
        if !self.visible || total < FILE_BAR_MIN_BYTES {
            return None;
        }
        let fb = self.multi.add(ProgressBar::new(total));
        fb.set_style(style(
            self.color,
            "  {msg} [{bar:30.green}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            "  {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ));
        fb.set_message(vetter::report::text::escape_controls(path).into_owned());
        let guard = FileBar(fb);
        // A compressed file is read past its on-disk size only if it grows while read; the
        // position is capped so the bar never overflows.
        Some(Box::new(move |pos| guard.0.set_position(pos.min(total))))
    }
}
