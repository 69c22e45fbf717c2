//! `tower::Layer`s: retry and circuit breaker around any `Service`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tower_layer::Layer;
use tower_service::Service;

use crate::breaker::{BreakerError, CircuitBreaker, ClassifyCall, ErrorsFail};
use crate::retry::{Classify, RetryError, RetryPolicy};

/// A boxed, sendable future, the response future of both services.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

type Sleep = Arc<dyn Fn(Duration) -> BoxFuture<()> + Send + Sync>;

/// Retries a service's calls by a [`RetryPolicy`]. The request must be
/// `Clone` (each attempt sends a clone) and so must the service (each
/// attempt calls a clone, after waiting for it to be ready).
///
/// ```
/// # #[cfg(feature = "tokio")]
/// # {
/// use ops_resilience::{RetryLayer, RetryPolicy};
/// use tower_layer::Layer;
///
/// let policy = RetryPolicy::builder().max_attempts(3).build()?;
/// let layer = RetryLayer::new(policy); // sleeps on tokio's timer
/// # let _ = layer;
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RetryLayer<C> {
    policy: RetryPolicy<C>,
    sleep: Sleep,
}

impl<C> fmt::Debug for RetryLayer<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryLayer")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl<C> RetryLayer<C> {
    /// Retries by `policy`, sleeping with tokio's timer.
    #[cfg(feature = "tokio")]
    pub fn new(policy: RetryPolicy<C>) -> Self {
        RetryLayer::with_sleep(policy, |d| Box::pin(tokio::time::sleep(d)) as BoxFuture<()>)
    }

    /// Retries by `policy`, sleeping with the runtime's timer `sleep`.
    pub fn with_sleep(
        policy: RetryPolicy<C>,
        sleep: impl Fn(Duration) -> BoxFuture<()> + Send + Sync + 'static,
    ) -> Self {
        RetryLayer {
            policy,
            sleep: Arc::new(sleep),
        }
    }
}

impl<S, C: Clone> Layer<S> for RetryLayer<C> {
    type Service = Retry<S, C>;

    fn layer(&self, inner: S) -> Retry<S, C> {
        Retry {
            inner,
            policy: self.policy.clone(),
            sleep: Arc::clone(&self.sleep),
        }
    }
}

/// The service `RetryLayer` makes.
#[derive(Clone)]
pub struct Retry<S, C> {
    inner: S,
    policy: RetryPolicy<C>,
    sleep: Sleep,
}

impl<S: fmt::Debug, C> fmt::Debug for Retry<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("inner", &self.inner)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl<S, C, Req> Service<Req> for Retry<S, C>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Future: Send,
    S::Response: Send + 'static,
    S::Error: fmt::Display + Send + 'static,
    Req: Clone + Send + 'static,
    C: Classify<S::Response, S::Error> + Clone + 'static,
{
    type Response = S::Response;
    type Error = RetryError<S::Error>;
    type Future = BoxFuture<Result<S::Response, RetryError<S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner
            .poll_ready(cx)
            .map_err(|error| RetryError::Failed {
                error,
                attempts: 0,
                reason: crate::retry::GiveUp::Permanent,
            })
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let policy = self.policy.clone();
        let sleep = Arc::clone(&self.sleep);
        // The clone goes in place of the service that was made ready.
        let ready = self.inner.clone();
        let svc = std::mem::replace(&mut self.inner, ready);
        Box::pin(async move {
            let mut first = Some(svc.clone());
            policy
                .retry_async_with(
                    move |d| sleep(d),
                    move || {
                        let req = req.clone();
                        let ready = first.take();
                        let mut svc = svc.clone();
                        async move {
                            match ready {
                                Some(mut s) => s.call(req).await,
                                None => {
                                    std::future::poll_fn(|cx| svc.poll_ready(cx)).await?;
                                    svc.call(req).await
                                }
                            }
                        }
                    },
                )
                .await
        })
    }
}

/// Passes a service's calls through a [`CircuitBreaker`]: a rejected call
/// fails at once with [`BreakerError::Rejected`], without calling the
/// service.
///
/// ```
/// use ops_resilience::{BreakerLayer, CircuitBreaker};
///
/// let breaker = CircuitBreaker::builder().name("api").build()?;
/// let layer = BreakerLayer::new(breaker.clone());
/// # let _ = layer;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct BreakerLayer<C = ErrorsFail> {
    breaker: CircuitBreaker,
    classify: Arc<C>,
}

impl BreakerLayer {
    /// Counts `Err` as failure, `Ok` as success.
    pub fn new(breaker: CircuitBreaker) -> Self {
        BreakerLayer::with_classifier(breaker, ErrorsFail)
    }
}

impl<C> BreakerLayer<C> {
    /// Counts outcomes as `classify` says.
    pub fn with_classifier(breaker: CircuitBreaker, classify: C) -> Self {
        BreakerLayer {
            breaker,
            classify: Arc::new(classify),
        }
    }
}

impl<S, C> Layer<S> for BreakerLayer<C> {
    type Service = Breaker<S, C>;

    fn layer(&self, inner: S) -> Breaker<S, C> {
        Breaker {
            inner,
            breaker: self.breaker.clone(),
            classify: Arc::clone(&self.classify),
        }
    }
}

/// The service `BreakerLayer` makes.
#[derive(Debug, Clone)]
pub struct Breaker<S, C = ErrorsFail> {
    inner: S,
    breaker: CircuitBreaker,
    classify: Arc<C>,
}

impl<S, C, Req> Service<Req> for Breaker<S, C>
where
    S: Service<Req>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
    S::Error: Send + 'static,
    C: ClassifyCall<S::Response, S::Error> + 'static,
{
    type Response = S::Response;
    type Error = BreakerError<S::Error>;
    type Future = BoxFuture<Result<S::Response, BreakerError<S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(BreakerError::Inner)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let permit = match self.breaker.try_acquire_owned() {
            Ok(p) => p,
            Err(r) => return Box::pin(std::future::ready(Err(BreakerError::Rejected(r)))),
        };
        let fut = self.inner.call(req);
        let classify = Arc::clone(&self.classify);
        Box::pin(async move {
            let result = fut.await;
            permit.record(classify.classify(&result));
            result.map_err(BreakerError::Inner)
        })
    }
}
