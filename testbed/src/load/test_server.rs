//! A loopback HTTP server for the load generator's tests: every route
//! answers 200 after a fixed delay.

use std::time::Duration;

use axum::Router;

/// Starts the server on a free loopback port; returns its base URL.
pub(crate) async fn slow_server(delay: Duration) -> String {
    let app = Router::new().fallback(move || async move {
        tokio::time::sleep(delay).await;
        "{}"
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}
