//! Secrets never reach logs, errors, `Debug` or dry-run output: the tracing
//! output of real runs is captured and searched.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ops_exec::{Command, Error, RunMode};
use tracing_subscriber::fmt::MakeWriter;

const ARG_SECRET: &str = "hunter2-arg-s3cr3t";
const ENV_SECRET: &str = "hunter2-env-s3cr3t";

/// Everything the subscriber writes, kept for the test to read.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Log {
    type Writer = Log;
    fn make_writer(&'a self) -> Log {
        self.clone()
    }
}

fn secret_command(script: &str) -> Command {
    // The script echoes both secrets to stderr, as a careless tool would.
    let mut cmd = Command::new("sh");
    cmd.args(["-c", script, "sh"])
        .secret_arg(ARG_SECRET)
        .secret_env("API_TOKEN", ENV_SECRET)
        .env("PLAIN", "visible-value");
    cmd
}

#[test]
fn secrets_stay_out_of_logs_errors_and_dry_runs() {
    let log = Log::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .finish();
    let mut texts = Vec::new();
    tracing::subscriber::with_default(subscriber, || {
        let failing = secret_command("echo \"token $1 and $API_TOKEN\" >&2; exit 4");
        let err = failing.run().unwrap_err();
        assert!(matches!(err, Error::Failed(_)));
        texts.push(err.to_string());
        texts.push(format!("{err:?}"));
        texts.push(format!("{failing:?}"));
        texts.push(failing.to_string());

        let slow = {
            let mut c = secret_command("echo \"$1 $API_TOKEN\" >&2; sleep 60");
            c.timeout(Duration::from_millis(200));
            c
        };
        let err = slow.run().unwrap_err();
        assert!(matches!(err, Error::TimedOut(_)));
        texts.push(err.to_string());

        let dry = {
            let mut c = secret_command("exit 0");
            c.run_mode(RunMode::DryRun);
            c
        };
        let out = dry.run().unwrap();
        texts.push(serde_json::to_string(&out).unwrap());

        // A retried run logs each failed attempt with its error.
        let flaky = {
            let mut c = secret_command("echo \"$1 $API_TOKEN\" >&2; exit 75");
            c.transient_exit_codes([75]);
            c
        };
        let policy = ops_resilience::RetryPolicy::builder()
            .max_attempts(2)
            .clock(ops_resilience::ManualClock::new())
            .build()
            .unwrap();
        let err = flaky.run_with_retry(&policy).unwrap_err();
        texts.push(err.to_string());
        texts.push(format!("{err:?}"));
    });
    let logged = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    // The runs were logged, with the command line and the redaction mark.
    assert!(logged.contains("dry run: not executed"), "{logged}");
    assert!(
        logged.contains("API_TOKEN=***") && logged.contains("PLAIN=visible-value"),
        "{logged}"
    );
    assert!(
        logged.contains("outcome=exit 4") && logged.contains("outcome=timeout"),
        "{logged}"
    );
    assert!(
        logged.contains("exec_retry") && logged.contains("retrying"),
        "{logged}"
    );
    assert!(
        texts[texts.len() - 2].ends_with("stderr: *** *** (after 2 attempts, attempts exhausted)")
    );
    for text in texts.iter().chain([&logged]) {
        assert!(!text.contains("hunter2"), "a secret leaked: {text}");
    }
    // The stderr the command wrote is in the error, secrets scrubbed.
    assert!(
        texts[0].ends_with("stderr: token *** and ***"),
        "{}",
        texts[0]
    );
}
