//! The `/metrics` HTTP server: tokio and hyper's HTTP/1.1 server.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ACCEPT, ALLOW, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

use crate::{Error, Format, ProcessCollector, SystemCollector, encode};

/// When the collectors read /proc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Collection {
    /// On every scrape of `/metrics`: always fresh, one read per scrape.
    #[default]
    OnScrape,
    /// Every so often in the background; scrapes get the last reading
    /// (the seed's "every 5 seconds"). Several Prometheus servers
    /// scraping one host then cost one read.
    Interval(Duration),
}

type Refresh = Box<dyn Fn() -> Vec<Error> + Send + Sync>;

/// Builds an [`Exporter`].
pub struct ExporterBuilder {
    registry: Registry,
    refreshers: Vec<Refresh>,
    collection: Collection,
    grace: Duration,
}

impl std::fmt::Debug for ExporterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExporterBuilder")
            .field("registry", &self.registry)
            .field("refreshers", &self.refreshers.len())
            .field("collection", &self.collection)
            .field("grace", &self.grace)
            .finish()
    }
}

impl ExporterBuilder {
    /// Serves `registry`'s metrics (your own, or an empty one to start
    /// from; the default).
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = registry;
        self
    }

    /// Adds the system collector, refreshed as [`Collection`] says.
    pub fn system(mut self, collector: SystemCollector) -> Self {
        let collector = Arc::new(collector);
        self.registry
            .register_collector(Box::new(Arc::clone(&collector)));
        self.refreshers.push(Box::new(move || collector.refresh()));
        self
    }

    /// Adds a process collector, refreshed as [`Collection`] says.
    pub fn process(mut self, collector: ProcessCollector) -> Self {
        let collector = Arc::new(collector);
        self.registry
            .register_collector(Box::new(Arc::clone(&collector)));
        self.refreshers.push(Box::new(move || {
            collector.refresh().err().into_iter().collect()
        }));
        self
    }

    /// Adds a function to run at every collection, with the collectors:
    /// to update metrics of your own registry from a file or a query, say.
    /// The errors it returns are logged.
    pub fn on_collect<F>(mut self, collect: F) -> Self
    where
        F: Fn() -> Vec<Error> + Send + Sync + 'static,
    {
        self.refreshers.push(Box::new(collect));
        self
    }

    /// When to collect (default [`Collection::OnScrape`]).
    pub fn collection(mut self, collection: Collection) -> Self {
        self.collection = collection;
        self
    }

    /// How long in-flight requests may take after shutdown is asked for
    /// (default 5 s); connections still open then are dropped.
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The exporter; an error for a zero interval.
    pub fn build(self) -> Result<Exporter, Error> {
        if self.collection == Collection::Interval(Duration::ZERO) {
            return Err(Error::Option(
                "collection interval must be more than 0".to_owned(),
            ));
        }
        Ok(Exporter {
            inner: Arc::new(Inner {
                registry: self.registry,
                refreshers: self.refreshers,
                collection: self.collection,
                grace: self.grace,
                last_len: AtomicUsize::new(16 << 10),
            }),
        })
    }
}

struct Inner {
    registry: Registry,
    refreshers: Vec<Refresh>,
    collection: Collection,
    grace: Duration,
    /// The last exposition's size, to allocate the next one at once.
    last_len: AtomicUsize,
}

/// Serves a registry over HTTP: `GET /metrics` in OpenMetrics or text
/// 0.0.4 by the `Accept` header ([`Format::from_accept`]), `GET /healthz`
/// (`ok`), and `HEAD` of both.
///
/// ```no_run
/// use ops_metrics::{Collection, Exporter, ProcessCollector, SystemCollector};
/// use std::time::Duration;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let exporter = Exporter::builder()
///     .system(SystemCollector::new())
///     .process(ProcessCollector::new())
///     .collection(Collection::Interval(Duration::from_secs(5)))
///     .build()?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:9100").await?;
/// exporter.serve(listener, async { let _ = tokio::signal::ctrl_c().await; }).await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Exporter {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("registry", &self.inner.registry)
            .field("collection", &self.inner.collection)
            .finish()
    }
}

impl Exporter {
    /// A builder with an empty registry.
    pub fn builder() -> ExporterBuilder {
        ExporterBuilder {
            registry: Registry::default(),
            refreshers: Vec::new(),
            collection: Collection::OnScrape,
            grace: Duration::from_secs(5),
        }
    }

    /// Runs every collector once; the errors of those that failed.
    pub fn refresh(&self) -> Vec<Error> {
        self.inner.refreshers.iter().flat_map(|r| r()).collect()
    }

    /// The registry's exposition in `format`, as of the last refresh.
    pub fn render(&self, format: Format) -> String {
        let mut out = String::with_capacity(self.inner.last_len.load(Ordering::Relaxed) + 1024);
        // Writing into a String cannot fail; a collector that fails leaves
        // what was written before it.
        let _ = encode(&mut out, &self.inner.registry, format);
        self.inner.last_len.store(out.len(), Ordering::Relaxed);
        out
    }

    /// Serves HTTP on `listener` until `shutdown` completes, then lets
    /// in-flight requests finish within the grace period. Collects once
    /// before accepting, then as [`Collection`] says. Errors accepting a
    /// connection (too many open files) are logged and the server goes on.
    pub async fn serve<F>(&self, listener: TcpListener, shutdown: F)
    where
        F: Future<Output = ()>,
    {
        self.refresh_logged().await;
        let ticker = match self.inner.collection {
            Collection::Interval(every) => {
                let this = self.clone();
                Some(tokio::spawn(async move { this.tick(every).await }))
            }
            Collection::OnScrape => None,
        };
        let graceful = GracefulShutdown::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = &mut shutdown => break,
            };
            let (stream, peer) = match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a connection");
                    // EMFILE and the like: give the fds a moment to close.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            self.spawn_connection(stream, peer, &graceful);
        }
        drop(listener);
        if let Some(t) = ticker {
            t.abort();
        }
        tracing::info!(connections = graceful.count(), "shutting down");
        if tokio::time::timeout(self.inner.grace, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                grace_seconds = self.inner.grace.as_secs_f64(),
                "connections still open after the grace period; dropped"
            );
        }
    }

    fn spawn_connection(
        &self,
        stream: tokio::net::TcpStream,
        peer: SocketAddr,
        graceful: &GracefulShutdown,
    ) {
        let this = self.clone();
        let service = service_fn(move |req| {
            let this = this.clone();
            async move { Ok::<_, Infallible>(this.handle(req).await) }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            // A client that never finishes its headers is dropped.
            .header_read_timeout(Duration::from_secs(30))
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }

    async fn tick(&self, every: Duration) {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is immediate, and `serve` has just collected.
        interval.tick().await;
        loop {
            interval.tick().await;
            self.refresh_logged().await;
        }
    }

    /// Collects on the blocking pool (statvfs on a network mount can block)
    /// and logs what failed.
    async fn refresh_logged(&self) {
        let this = self.clone();
        let errors = tokio::task::spawn_blocking(move || this.refresh())
            .await
            .unwrap_or_default();
        for e in errors {
            tracing::warn!(error = %e, "collection failed");
        }
    }

    /// For HEAD, hyper sends the headers (Content-Length included) and not
    /// the body.
    async fn handle(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            let mut resp = respond(
                StatusCode::METHOD_NOT_ALLOWED,
                "text/plain",
                "GET or HEAD\n",
            );
            resp.headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return resp;
        }
        match req.uri().path() {
            "/metrics" => {
                let format =
                    Format::from_accept(req.headers().get(ACCEPT).and_then(|v| v.to_str().ok()));
                if self.inner.collection == Collection::OnScrape {
                    self.refresh_logged().await;
                }
                respond(StatusCode::OK, format.content_type(), self.render(format))
            }
            "/healthz" => respond(StatusCode::OK, "text/plain; charset=utf-8", "ok\n"),
            "/" => respond(
                StatusCode::OK,
                "text/html; charset=utf-8",
                "<html><body><a href=\"/metrics\">/metrics</a></body></html>\n",
            ),
            _ => respond(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
        }
    }
}

fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}
