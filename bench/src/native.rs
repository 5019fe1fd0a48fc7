//! The native baseline: the same HTTP requests made by plain Rust with hyper,
//! parsed by the component's own `wire` module compiled natively.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use matchkraft_component::{Job, JobResults, JobType, Records, wire};
use tokio::net::TcpStream;

/// A client for one API origin. `keep_alive` reuses one connection, as a
/// pooled client would; otherwise every request opens its own, as
/// `wasmtime-wasi-http`'s default `send_request` does.
pub struct NativeClient {
    authority: String,
    base_path: String,
    api_key: String,
    connection: Option<SendRequest<Full<Bytes>>>,
    keep_alive: bool,
    last_body_len: usize,
}

impl NativeClient {
    /// `base_url` is `http://host:port/path` (loopback, plain HTTP).
    pub fn new(base_url: &str, api_key: &str, keep_alive: bool) -> NativeClient {
        let rest = base_url.strip_prefix("http://").expect("a plain http base URL");
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        NativeClient {
            authority: authority.to_string(),
            base_path: format!("/{path}").trim_end_matches('/').to_string(),
            api_key: api_key.to_string(),
            connection: None,
            keep_alive,
            last_body_len: 0,
        }
    }

    pub async fn submit(&mut self, job_name: &str, records: &Records) -> anyhow::Result<Job> {
        let body = wire::submit_body(job_name, records);
        let job_type = wire::job_type_of(records);
        let path = format!("/{}", wire::endpoint(job_type));
        let answer = self.request("POST", &path, Bytes::from(body)).await?;
        wire::parse_submitted(&answer, job_type).map_err(|e| anyhow::anyhow!("{e:?}"))
    }

    pub async fn status(&mut self, job_type: JobType, job_id: &str) -> anyhow::Result<Job> {
        let answer = self
            .request("GET", &wire::results_path(job_type, job_id), Bytes::new())
            .await?;
        wire::parse_job(&answer, job_type, job_id).map_err(|e| anyhow::anyhow!("{e:?}"))
    }

    pub async fn results(&mut self, job_type: JobType, job_id: &str) -> anyhow::Result<JobResults> {
        let answer = self
            .request("GET", &wire::results_path(job_type, job_id), Bytes::new())
            .await?;
        wire::parse_results(&answer, job_type, job_id).map_err(|e| anyhow::anyhow!("{e:?}"))
    }

    /// The size of the last response body, in bytes.
    pub fn last_body_len(&self) -> usize {
        self.last_body_len
    }

    async fn request(&mut self, method: &str, path: &str, body: Bytes) -> anyhow::Result<Bytes> {
        let mut sender = match self.connection.take() {
            Some(sender) if self.keep_alive && !sender.is_closed() => sender,
            _ => self.connect().await?,
        };
        let request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base_path))
            .header("host", &self.authority)
            .header("apikey", &self.api_key)
            .header("accept", "application/json")
            .header("content-type", "application/json")
            .header("content-length", body.len())
            .body(Full::new(body))?;
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        self.last_body_len = bytes.len();
        anyhow::ensure!(status.is_success(), "HTTP {status}");
        if self.keep_alive {
            self.connection = Some(sender);
        }
        Ok(bytes)
    }

    async fn connect(&self) -> anyhow::Result<SendRequest<Full<Bytes>>> {
        let stream = TcpStream::connect(&self.authority).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(sender)
    }
}
