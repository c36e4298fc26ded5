//! indicatif progress on stderr, fed by the probe runner's observer.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vetter::probe::{Observer, Task};

pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar when `visible` (a terminal and no --quiet), else a hidden one.
    pub fn new(visible: bool, color: bool, vendor: &str) -> Self {
        let bar = ProgressBar::with_draw_target(
            Some(0),
            if visible {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        bar.set_style(
            ProgressStyle::with_template(if color {
                "{prefix:.bold} [{bar:30.cyan}] {pos}/{len} {wide_msg}"
            } else {
                "{prefix} [{bar:30}] {pos}/{len} {wide_msg}"
            })
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(vendor.to_string());
        Progress { bar }
    }
}

impl Observer for Progress {
    fn start(&self, total: usize) {
        self.bar.set_length(total as u64);
    }
    fn task_started(&self, task: &Task) {
        self.bar.set_message(task.label.clone());
    }
    fn task_finished(&self, _task: &Task) {
        self.bar.inc(1);
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
