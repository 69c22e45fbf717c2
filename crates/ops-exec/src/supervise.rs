//! The deadlines of one run, as a state machine that both engines (the
//! blocking poll loop and the tokio one) drive: they report what happened
//! (the leader exited, the pipes closed, time passed) and carry out the
//! actions it returns. It does no I/O and reads no clock, so every path is
//! unit-tested with made-up instants.

use std::time::{Duration, Instant};

/// What the engine must do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Nothing yet.
    Wait,
    /// SIGTERM to the process group: the timeout ran out.
    Terminate,
    /// SIGKILL to the process group: the grace period ran out, or the
    /// timed-out leader is gone and stragglers may remain.
    Kill,
    /// Stop reading the output pipes: someone outside the group holds them.
    Abandon,
    /// Reap the leader and return.
    Finish,
}

/// Why a run's group was terminated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndedBy {
    /// The timeout ran out.
    Timeout,
    /// A [`Cancel`](crate::Cancel) handle was cancelled.
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the timeout (if any).
    Running,
    /// SIGTERM sent; SIGKILL at `until`.
    Terminating { until: Instant },
    /// SIGKILL sent (or the leader exited); pipes abandoned at `until`.
    Draining { until: Instant },
    /// The pipes were abandoned.
    Abandoned,
}

#[derive(Debug, Clone)]
pub(crate) struct Supervisor {
    deadline: Option<Instant>,
    grace: Duration,
    wait_delay: Duration,
    phase: Phase,
    /// Why the group was terminated, once it was.
    ended_by: Option<EndedBy>,
    cancel_requested: bool,
    killed: bool,
    exited: bool,
    pipes_open: bool,
}

impl Supervisor {
    pub(crate) fn new(
        start: Instant,
        timeout: Option<Duration>,
        grace: Duration,
        wait_delay: Duration,
        pipes_open: bool,
    ) -> Supervisor {
        Supervisor {
            deadline: timeout.and_then(|t| start.checked_add(t)),
            grace,
            wait_delay,
            phase: Phase::Running,
            ended_by: None,
            cancel_requested: false,
            killed: false,
            exited: false,
            pipes_open,
        }
    }

    /// Why the group was terminated, if it was.
    pub(crate) fn ended_by(&self) -> Option<EndedBy> {
        self.ended_by
    }

    /// A cancel was asked for: it acts as the timeout would, if the leader
    /// is still running.
    pub(crate) fn cancel(&mut self) {
        self.cancel_requested = true;
    }

    pub(crate) fn abandoned(&self) -> bool {
        self.phase == Phase::Abandoned
    }

    /// The next instant at which [`Supervisor::step`] has something to do.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Running if !self.exited => self.deadline,
            Phase::Running | Phase::Abandoned => None,
            Phase::Terminating { until } | Phase::Draining { until } => Some(until),
        }
    }

    /// The leader process exited (it is not reaped yet).
    pub(crate) fn leader_exited(&mut self, now: Instant) {
        if self.exited {
            return;
        }
        self.exited = true;
        if self.phase == Phase::Running {
            self.phase = Phase::Draining {
                until: now + self.wait_delay,
            };
        }
    }

    /// Both output pipes reached end of file.
    pub(crate) fn pipes_closed(&mut self) {
        self.pipes_open = false;
    }

    /// What to do at `now`; call it after every event and whenever the
    /// next deadline passes, and carry the action out before calling again.
    pub(crate) fn step(&mut self, now: Instant) -> Action {
        let done = self.exited && (!self.pipes_open || self.phase == Phase::Abandoned);
        if done {
            // A timed-out group may hold processes that outlived the
            // leader; they go while its pid still anchors the group.
            if self.ended_by.is_some() && !self.killed {
                self.killed = true;
                return Action::Kill;
            }
            return Action::Finish;
        }
        match self.phase {
            Phase::Running if !self.exited => {
                let why = if self.deadline.is_some_and(|d| now >= d) {
                    EndedBy::Timeout
                } else if self.cancel_requested {
                    EndedBy::Cancel
                } else {
                    return Action::Wait;
                };
                self.ended_by = Some(why);
                self.phase = Phase::Terminating {
                    until: now + self.grace,
                };
                Action::Terminate
            }
            Phase::Terminating { until } if now >= until => {
                self.killed = true;
                self.phase = Phase::Draining {
                    until: now + self.wait_delay,
                };
                Action::Kill
            }
            Phase::Draining { until } if now >= until => {
                self.phase = Phase::Abandoned;
                Action::Abandon
            }
            Phase::Running
            | Phase::Terminating { .. }
            | Phase::Draining { .. }
            | Phase::Abandoned => Action::Wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn sup(timeout: Option<Duration>) -> (Supervisor, Instant) {
        let t0 = Instant::now();
        (Supervisor::new(t0, timeout, 5 * S, 2 * S, true), t0)
    }

    #[test]
    fn normal_exit_finishes_when_pipes_close() {
        let (mut s, t0) = sup(Some(10 * S));
        assert_eq!(s.next_deadline(), Some(t0 + 10 * S));
        assert_eq!(s.step(t0 + S), Action::Wait);
        s.leader_exited(t0 + 2 * S);
        assert_eq!(s.step(t0 + 2 * S), Action::Wait);
        s.pipes_closed();
        assert_eq!(s.step(t0 + 2 * S), Action::Finish);
        assert!(s.ended_by().is_none() && !s.abandoned());
    }

    #[test]
    fn timeout_terminates_then_kills_then_abandons() {
        let (mut s, t0) = sup(Some(S));
        assert_eq!(s.step(t0 + S), Action::Terminate);
        assert_eq!(s.next_deadline(), Some(t0 + 6 * S));
        assert_eq!(s.step(t0 + 3 * S), Action::Wait);
        assert_eq!(s.step(t0 + 6 * S), Action::Kill);
        s.leader_exited(t0 + 6 * S);
        assert_eq!(s.next_deadline(), Some(t0 + 8 * S));
        assert_eq!(s.step(t0 + 8 * S), Action::Abandon);
        assert!(s.abandoned());
        assert_eq!(s.step(t0 + 8 * S), Action::Finish);
        assert_eq!(s.ended_by(), Some(EndedBy::Timeout));
    }

    #[test]
    fn timed_out_leader_that_dies_on_term_still_gets_its_group_killed() {
        let (mut s, t0) = sup(Some(S));
        assert_eq!(s.step(t0 + S), Action::Terminate);
        s.leader_exited(t0 + S);
        s.pipes_closed();
        assert_eq!(s.step(t0 + S), Action::Kill);
        assert_eq!(s.step(t0 + S), Action::Finish);
    }

    #[test]
    fn pipes_held_after_exit_are_abandoned_after_the_wait_delay() {
        let (mut s, t0) = sup(None);
        assert_eq!(s.next_deadline(), None);
        s.leader_exited(t0 + S);
        assert_eq!(s.next_deadline(), Some(t0 + 3 * S));
        assert_eq!(s.step(t0 + 2 * S), Action::Wait);
        assert_eq!(s.step(t0 + 3 * S), Action::Abandon);
        assert_eq!(s.step(t0 + 3 * S), Action::Finish);
        assert_eq!(s.ended_by(), None);
    }

    #[test]
    fn a_cancel_acts_as_a_timeout_while_the_leader_runs() {
        let (mut s, t0) = sup(None);
        assert_eq!(s.step(t0 + S), Action::Wait);
        s.cancel();
        assert_eq!(s.step(t0 + S), Action::Terminate);
        assert_eq!(s.ended_by(), Some(EndedBy::Cancel));
        assert_eq!(s.step(t0 + 6 * S), Action::Kill);
        let (mut late, t0) = sup(None);
        late.leader_exited(t0);
        late.cancel();
        late.pipes_closed();
        assert_eq!(late.step(t0), Action::Finish);
        assert_eq!(late.ended_by(), None);
    }

    #[test]
    fn a_timeout_after_the_leader_exited_does_not_fire() {
        let (mut s, t0) = sup(Some(2 * S));
        s.leader_exited(t0 + S);
        assert_eq!(s.step(t0 + 2 * S + S / 2), Action::Wait);
        assert_eq!(s.ended_by(), None);
    }
}
