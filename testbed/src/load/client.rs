//! One HTTP request per planned request, read to the end of its body.

use std::sync::Arc;
use std::time::Duration;

use crate::endpoint::Endpoint;
use crate::load::plan::Planned;
use crate::load::record::Status;

/// A keep-alive HTTP client bound to the service's base URL.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    base: Arc<str>,
}

impl Client {
    /// A client for `base` (`http://127.0.0.1:port`) that gives up after `timeout`.
    pub fn new(base: &str, timeout: Duration) -> reqwest::Result<Client> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .tcp_nodelay(true)
            .pool_max_idle_per_host(usize::MAX)
            .build()?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').into(),
        })
    }

    /// Sends `p` and reads its whole response.
    pub async fn send(&self, p: &Planned) -> Status {
        let base = &self.base;
        let request = match p.endpoint {
            Endpoint::ListProjects => self
                .http
                .get(format!("{base}/tenants/{}/projects", p.tenant)),
            Endpoint::GetProject => self.http.get(format!("{base}/projects/{}", p.key)),
            Endpoint::UpdateProject => self.http.put(format!("{base}/projects/{}", p.key)),
        };
        let failed = |e: reqwest::Error| {
            if e.is_timeout() {
                Status::Timeout
            } else {
                Status::Error
            }
        };
        match request.send().await {
            Ok(response) => {
                let code = response.status().as_u16();
                match response.bytes().await {
                    Ok(_) => Status::Http(code),
                    Err(e) => failed(e),
                }
            }
            Err(e) => failed(e),
        }
    }
}
