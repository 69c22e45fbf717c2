//! Checking targets: each attempt runs through the target host's circuit
//! breaker and a time limit, and attempts are retried by one policy.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ops_resilience::{
    Backoff, BreakerError, CallOutcome, CircuitBreaker, Jitter, OpenWait, RetryError, RetryPolicy,
    TokioClock, Verdict, Window, http_verdict,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::targets::{Check, Target};

/// How targets are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// Checks running at once.
    pub(crate) concurrency: usize,
    /// The time limit of each attempt (connect, request and body).
    pub(crate) timeout: Duration,
    /// Attempts after the first.
    pub(crate) retries: u32,
    /// The cap on a server's `Retry-After`.
    pub(crate) max_retry_after: Duration,
}

/// The verdict on one target.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct Outcome {
    /// The target as written.
    pub(crate) target: String,
    /// Whether it passed.
    pub(crate) healthy: bool,
    /// What was seen: `200 OK`, the SSH banner, or the error.
    pub(crate) detail: String,
    /// How long the last attempt took, in milliseconds (none when no
    /// attempt was made: the host's breaker was open).
    pub(crate) latency_ms: Option<f64>,
    /// Attempts made.
    pub(crate) attempts: u32,
}

/// Bytes of body searched for `contains=` text, and of greeting read for
/// an SSH banner: enough for any health page, and bounded for a hostile
/// server.
const MAX_BODY: usize = 1 << 20;
const MAX_BANNER: u64 = 8 << 10;

/// What one attempt saw.
#[derive(Debug)]
struct Seen {
    healthy: bool,
    detail: String,
    latency: Duration,
    verdict: Verdict,
}

/// Why an attempt failed.
#[derive(Debug)]
enum ProbeError {
    Timeout(Duration),
    Connect(std::io::Error),
    Http(reqwest::Error),
    Banner(String),
}

impl ProbeError {
    /// Whether another attempt could go differently.
    fn transient(&self) -> bool {
        !matches!(self, ProbeError::Banner(_))
    }
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::Timeout(d) => write!(f, "timed out after {:.1} s", d.as_secs_f64()),
            ProbeError::Connect(e) => write!(f, "cannot connect: {e}"),
            ProbeError::Http(e) if e.is_connect() => write!(f, "cannot connect: {}", root_cause(e)),
            ProbeError::Http(e) => write!(f, "{}", ops_cli::error_chain(e)),
            ProbeError::Banner(why) => f.write_str(why),
        }
    }
}

/// The innermost source of an error: for a refused connection, the
/// operating system's words.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut e = e;
    while let Some(s) = e.source() {
        e = s;
    }
    e.to_string()
}

type Attempt = Result<Seen, BreakerError<ProbeError>>;

/// Retry what a retry could fix: transient errors and the statuses of
/// [`http_verdict`]; never a rejection by the breaker.
fn classify(r: &Attempt) -> Verdict {
    match r {
        Ok(seen) => seen.verdict,
        Err(BreakerError::Inner(e)) if e.transient() => Verdict::Retry,
        Err(_) => Verdict::Done,
    }
}

/// A host is unwell when calls fail, or answer 5xx.
fn breaker_outcome(r: &Result<Seen, ProbeError>) -> CallOutcome {
    match r {
        Ok(seen) if seen.verdict == Verdict::Done => CallOutcome::Success,
        _ => CallOutcome::Failure,
    }
}

/// Checks every target, at most `concurrency` at once; the outcomes come
/// back in the targets' order.
pub(crate) async fn check_all(
    targets: Vec<Target>,
    settings: &Settings,
) -> Result<Vec<Outcome>, Box<dyn std::error::Error + Send + Sync>> {
    // reqwest is built without a bundled TLS provider: ring it is. An
    // error means one is installed already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .connect_timeout(settings.timeout)
        .user_agent(concat!("opskit-healthcheck/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let policy = RetryPolicy::builder()
        .max_attempts(settings.retries.saturating_add(1))
        .backoff(Backoff::exponential(
            Duration::from_millis(200),
            2.0,
            Duration::from_secs(5),
        )?)
        .jitter(Jitter::Full)
        .max_retry_after(settings.max_retry_after)
        .clock(TokioClock::new())
        .classify(classify)
        .build()?;
    // One breaker per host: once a host has failed four calls in a row
    // (a target's attempts, or several targets'), its other targets are
    // reported without being tried.
    let mut breakers = HashMap::new();
    for t in &targets {
        if !breakers.contains_key(&t.host) {
            let b = CircuitBreaker::builder()
                .name(t.host.clone())
                .window(Window::Count(4))
                .minimum_calls(4)
                .failure_rate(100.0)
                .wait_in_open(OpenWait::Fixed(Duration::from_secs(3600)))
                .clock(TokioClock::new())
                .build()?;
            breakers.insert(t.host.clone(), b);
        }
    }
    let limit = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let timeout = settings.timeout;
    let mut tasks = JoinSet::new();
    for (i, target) in targets.into_iter().enumerate() {
        let Some(breaker) = breakers.get(&target.host).cloned() else {
            continue;
        };
        // Taking the slot before spawning starts checks in input order
        // (so a host's breaker sees its targets in that order) and keeps
        // at most `concurrency` tasks alive. The semaphore is never closed.
        let slot = Arc::clone(&limit).acquire_owned().await?;
        let (client, policy) = (client.clone(), policy.clone());
        tasks.spawn(async move {
            let outcome = check_one(&target, &breaker, &client, &policy, timeout).await;
            drop(slot);
            (i, outcome)
        });
    }
    let mut out = Vec::with_capacity(tasks.len());
    while let Some(done) = tasks.join_next().await {
        out.push(done?);
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, o)| o).collect())
}

async fn check_one<C>(
    target: &Target,
    breaker: &CircuitBreaker,
    client: &reqwest::Client,
    policy: &RetryPolicy<C>,
    timeout: Duration,
) -> Outcome
where
    C: ops_resilience::Classify<Seen, BreakerError<ProbeError>>,
{
    let mut attempts = 0u32;
    let result = policy
        .retry_async(|| {
            attempts += 1;
            let attempt = async move {
                match tokio::time::timeout(timeout, probe(target, client)).await {
                    Ok(r) => r,
                    Err(_) => Err(ProbeError::Timeout(timeout)),
                }
            };
            breaker.call_async_with(&breaker_outcome, attempt)
        })
        .await;
    let (healthy, detail, latency) = match result {
        Ok(seen) => (seen.healthy, seen.detail, Some(seen.latency)),
        Err(RetryError::Failed {
            error: BreakerError::Rejected(_),
            attempts: n,
            ..
        }) => {
            // The rejected attempt was not made.
            attempts = n - 1;
            let detail = match attempts {
                0 => format!("not tried: circuit breaker open for host {}", target.host),
                n => format!(
                    "circuit breaker opened for host {} after {n} failed attempt{}",
                    target.host,
                    if n == 1 { "" } else { "s" }
                ),
            };
            (false, detail, None)
        }
        Err(e) => {
            let detail = match &e {
                RetryError::Failed { error, .. } => error.to_string(),
                other => other.to_string(),
            };
            (false, detail, None)
        }
    };
    Outcome {
        target: target.name.clone(),
        healthy,
        detail,
        latency_ms: latency.map(|d| (d.as_secs_f64() * 1e4).round() / 10.0),
        attempts,
    }
}

async fn probe(target: &Target, client: &reqwest::Client) -> Result<Seen, ProbeError> {
    let start = Instant::now();
    match &target.check {
        Check::Http { url, contains, .. } => {
            let resp = client.get(url).send().await.map_err(ProbeError::Http)?;
            let status = resp.status();
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let mut detail = status.to_string();
            let mut healthy = target.status_ok(status.as_u16());
            if healthy
                && let Some(text) = contains
                && !body_contains(resp, text.as_bytes())
                    .await
                    .map_err(ProbeError::Http)?
            {
                healthy = false;
                detail = format!("{status}, body lacks {text:?}");
            }
            let verdict = if target.status_ok(status.as_u16()) {
                Verdict::Done
            } else {
                http_verdict(status.as_u16(), retry_after.as_deref(), SystemTime::now())
            };
            Ok(Seen {
                healthy,
                detail,
                latency: start.elapsed(),
                verdict,
            })
        }
        Check::Tcp => {
            connect(target).await?;
            Ok(Seen {
                healthy: true,
                detail: "connected".to_string(),
                latency: start.elapsed(),
                verdict: Verdict::Done,
            })
        }
        Check::Ssh => {
            let stream = connect(target).await?;
            let banner = ssh_banner(stream).await?;
            Ok(Seen {
                healthy: true,
                detail: banner,
                latency: start.elapsed(),
                verdict: Verdict::Done,
            })
        }
    }
}

async fn connect(target: &Target) -> Result<TcpStream, ProbeError> {
    TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(ProbeError::Connect)
}

/// Reads the body up to [`MAX_BODY`] bytes, looking for `needle`.
async fn body_contains(mut resp: reqwest::Response, needle: &[u8]) -> Result<bool, reqwest::Error> {
    let mut seen = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        seen.extend_from_slice(&chunk);
        if seen.windows(needle.len()).any(|w| w == needle) {
            return Ok(true);
        }
        if seen.len() >= MAX_BODY {
            break;
        }
    }
    Ok(false)
}

/// The server's identification line (RFC 4253 §4.2): lines before it are
/// allowed; it must be `SSH-2.0-...` (or `SSH-1.99-`, which speaks 2.0).
async fn ssh_banner(stream: TcpStream) -> Result<String, ProbeError> {
    let mut reader = BufReader::new(stream.take(MAX_BANNER));
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .await
            .map_err(ProbeError::Connect)?;
        if n == 0 {
            return Err(ProbeError::Banner(
                "closed before an SSH banner".to_string(),
            ));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.starts_with("SSH-2.0-") || text.starts_with("SSH-1.99-") {
            return Ok(text.to_string());
        }
        if text.starts_with("SSH-") {
            return Err(ProbeError::Banner(format!(
                "not SSH 2.0: {:?}",
                truncate(text)
            )));
        }
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}
