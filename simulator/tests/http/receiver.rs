//! A webhook receiver for the tests: a raw HTTP/1.1 reader on 127.0.0.1
//! that records every request exactly as it arrived and answers it with the
//! next status of a script.
//!
//! It can also do what the API docs tell a receiver to do: fetch the job's
//! results as soon as the webhook arrives, before answering, so a test can
//! check that the simulator never announces a job the results endpoint does
//! not yet show finished.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::client;

/// One webhook request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// Lowercase names, trimmed values.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status this receiver answered.
    pub answered: u16,
    /// The job's `status` on the results endpoint, fetched on arrival, if
    /// the receiver was asked to fetch results.
    pub results_status: Option<String>,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON webhook body")
    }

    pub fn job_id(&self) -> String {
        self.json()["jobId"].as_str().expect("a jobId").to_owned()
    }
}

/// A running receiver; dropping it stops it.
pub struct Receiver {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl Receiver {
    /// Answers the n-th request (counted from 0, in order of arrival) with
    /// `script[n]`, and with 200 once the script has run out. With
    /// `fetch_results_from`, fetches the job's results from that simulator
    /// before answering.
    pub async fn start(script: Vec<u16>, fetch_results_from: Option<SocketAddr>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a receiver");
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        let arrivals = Arc::new(AtomicUsize::new(0));
        let task = {
            let received = Arc::clone(&received);
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let (received, script, arrivals) =
                        (Arc::clone(&received), Arc::clone(&script), Arc::clone(&arrivals));
                    tokio::spawn(async move {
                        serve(stream, &received, &script, &arrivals, fetch_results_from).await;
                    });
                }
            })
        };
        Receiver { addr, received, task }
    }

    /// The URL to configure, e.g. `http://127.0.0.1:PORT/hooks/mk`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `at_least` requests have arrived and then
    /// nothing new for `quiet`, and returns all received; gives up (and
    /// returns what there is) after 5 s.
    pub async fn settle(&self, at_least: usize, quiet: Duration) -> Vec<Received> {
        let give_up = Instant::now() + Duration::from_secs(5);
        let mut count = usize::MAX;
        loop {
            let now = self.received.lock().unwrap().len();
            if (now >= at_least && now == count) || Instant::now() > give_up {
                return self.received();
            }
            count = now;
            tokio::time::sleep(quiet).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    received: &Mutex<Vec<Received>>,
    script: &[u16],
    arrivals: &AtomicUsize,
    fetch_results_from: Option<SocketAddr>,
) {
    let at = Instant::now();
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let path = request_line.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = bytes[head_end + 4..].to_vec();
    while body.len() < length {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }

    let n = arrivals.fetch_add(1, Ordering::SeqCst);
    let answered = script.get(n).copied().unwrap_or(200);
    let results_status = match fetch_results_from {
        Some(sim) => Some(fetch_status(sim, &body).await),
        None => None,
    };
    received.lock().unwrap().push(Received {
        method,
        path,
        headers,
        body,
        answered,
        results_status,
        at,
    });
    let response =
        format!("HTTP/1.1 {answered} Scripted\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// What the results endpoint says about the job a webhook announces.
async fn fetch_status(sim: SocketAddr, webhook_body: &[u8]) -> String {
    let payload: Value = serde_json::from_slice(webhook_body).expect("a JSON webhook body");
    let path = format!(
        "/api/v2/{}/results/{}",
        payload["jobType"].as_str().unwrap(),
        payload["jobId"].as_str().unwrap()
    );
    let response = client::send(sim, &client::request("GET", &path, Some(crate::KEY), None)).await;
    assert_eq!(response.status, 200);
    response.json()["status"].as_str().unwrap().to_owned()
}
