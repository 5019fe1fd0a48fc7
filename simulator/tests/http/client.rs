//! A deliberately tiny HTTP/1.1 client over a raw `TcpStream`.
//!
//! Writing requests by hand gives the tests full control (chunked bodies,
//! missing headers, lying lengths) and lets them see exactly what came back,
//! including the broken responses a real client would refuse to parse.
//! Every request says `Connection: close`, so "the server closed the
//! connection" marks the end of a complete response.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Everything the server sent back within the wait.
#[derive(Debug)]
pub struct Exchange {
    /// The raw bytes received.
    pub bytes: Vec<u8>,
    /// Whether the server closed the connection (EOF or reset) within the
    /// wait; false means it was still open when we gave up.
    pub closed: bool,
}

/// Sends `request` and collects what comes back until the server closes the
/// connection or `wait` has passed, whichever is first.
pub async fn exchange(addr: SocketAddr, request: &[u8], wait: Duration) -> Exchange {
    let mut stream = TcpStream::connect(addr).await.expect("connect to the simulator");
    stream.write_all(request).await.expect("send the request");
    let deadline = tokio::time::Instant::now() + wait;
    let mut bytes = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_elapsed) => {
                return Exchange { bytes, closed: false };
            }
            Ok(Ok(0)) | Ok(Err(_)) => {
                return Exchange { bytes, closed: true };
            }
            Ok(Ok(n)) => bytes.extend_from_slice(&buf[..n]),
        }
    }
}

/// Sends `request` and parses the complete response, checking that its
/// Content-Length matches the body actually received.
pub async fn send(addr: SocketAddr, request: &[u8]) -> Response {
    let exchange = exchange(addr, request, Duration::from_secs(5)).await;
    assert!(exchange.closed, "the server kept the connection open");
    let response = Response::parse(&exchange.bytes).expect("a complete HTTP response");
    let declared: usize = response
        .header("content-length")
        .expect("every answer has a Content-Length")
        .parse()
        .unwrap();
    assert_eq!(declared, response.body.len(), "Content-Length matches the body");
    response
}

/// A parsed response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// Splits status line, headers and body; `None` if the head is incomplete.
    pub fn parse(bytes: &[u8]) -> Option<Response> {
        let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&bytes[..end]).ok()?;
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        Some(Response {
            status,
            headers,
            body: bytes[end + 4..].to_vec(),
        })
    }

    /// The first header with this (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics with the body text if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The `message` of an error body.
    pub fn message(&self) -> String {
        self.json()["message"].as_str().expect("a message").to_owned()
    }
}

/// A request with an optional key and an optional JSON body sent with a
/// Content-Length.
pub fn request(method: &str, path: &str, key: Option<&str>, body: Option<&[u8]>) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if let Some(key) = key {
        head.push_str(&format!("apikey: {key}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(body.unwrap_or_default());
    bytes
}

/// A POST whose body is sent in the given chunks with chunked encoding.
pub fn chunked_post(path: &str, key: &str, chunks: &[&[u8]]) -> Vec<u8> {
    let mut bytes = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\napikey: {key}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for chunk in chunks {
        bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        bytes.extend_from_slice(chunk);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"0\r\n\r\n");
    bytes
}
