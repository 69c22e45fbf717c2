//! The Exporter over real HTTP on 127.0.0.1.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use ops_metrics::{Collection, Exporter, ProcessCollector, SystemCollector};

fn request(addr: SocketAddr, head: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(s, "{head}\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn body(resp: &str) -> &str {
    resp.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

async fn with_exporter(collection: Collection, check: impl FnOnce(SocketAddr) + Send + 'static) {
    let exporter = Exporter::builder()
        .system(SystemCollector::new())
        .process(ProcessCollector::new())
        .collection(collection)
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        exporter
            .serve(listener, async {
                let _ = stopped.await;
            })
            .await;
    });
    tokio::task::spawn_blocking(move || check(addr))
        .await
        .unwrap();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(20), server)
        .await
        .expect("the server stops after shutdown")
        .unwrap();
}

#[tokio::test]
async fn interval_collection_serves_the_last_reading() {
    with_exporter(Collection::Interval(Duration::from_secs(3600)), |addr| {
        let a = request(addr, "GET /metrics HTTP/1.1");
        let b = request(addr, "GET /metrics HTTP/1.1");
        assert!(a.starts_with("HTTP/1.1 200 OK\r\n"), "{a}");
        assert!(body(&a).contains("node_cpu_seconds_total{"));
        // One reading an hour: both scrapes get the same one.
        assert_eq!(body(&a), body(&b));
    })
    .await;
}

#[tokio::test]
async fn methods_and_paths() {
    with_exporter(Collection::OnScrape, |addr| {
        let head = request(addr, "HEAD /metrics HTTP/1.1");
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert_eq!(body(&head), "");
        let length = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length: ")
                    .map(str::to_owned)
            })
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        assert!(length > 1000, "{head}");
        let post = request(addr, "POST /metrics HTTP/1.1");
        assert!(post.starts_with("HTTP/1.1 405 "), "{post}");
        assert!(
            post.to_ascii_lowercase().contains("allow: get, head\r\n"),
            "{post}"
        );
        assert!(request(addr, "GET /x HTTP/1.1").starts_with("HTTP/1.1 404 "));
        assert_eq!(body(&request(addr, "GET /healthz HTTP/1.1")), "ok\n");
    })
    .await;
}

#[test]
fn zero_interval_is_rejected() {
    let err = Exporter::builder()
        .collection(Collection::Interval(Duration::ZERO))
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid collector option: collection interval must be more than 0"
    );
}

#[test]
fn render_without_http() {
    let exporter = Exporter::builder()
        .system(SystemCollector::new())
        .build()
        .unwrap();
    assert!(exporter.refresh().is_empty());
    let text = exporter.render(ops_metrics::Format::OpenMetrics);
    assert!(text.contains("# TYPE node_load1 gauge\n"));
    assert!(text.ends_with("# EOF\n"));
}

/// On virtual time: a collection at start, then one every interval, and
/// none after shutdown.
#[tokio::test(start_paused = true)]
async fn interval_collection_runs_on_the_interval() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    let exporter = Exporter::builder()
        .on_collect(move || {
            seen.fetch_add(1, Ordering::SeqCst);
            Vec::new()
        })
        .collection(Collection::Interval(Duration::from_secs(5)))
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    exporter
        .serve(listener, tokio::time::sleep(Duration::from_millis(26_500)))
        .await;
    // At 0 s, then at 5, 10, 15, 20 and 25 s.
    assert_eq!(count.load(Ordering::SeqCst), 6);
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(count.load(Ordering::SeqCst), 6);
}
