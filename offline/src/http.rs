//! The status code of one `GET` on loopback, as a kubelet's HTTP probe
//! asks it: plain HTTP/1.1 over a std TcpStream, within a timeout.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::Context;

/// Probes send this, as the kubelet of the Kubernetes version the chart is
/// tested on does.
const USER_AGENT: &str = "kube-probe/1.34";

/// The status code `GET path` on 127.0.0.1:`port` answers with.
pub fn status(port: u16, path: &str, timeout: Duration) -> anyhow::Result<u16> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .with_context(|| format!("connecting to 127.0.0.1:{port}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: {USER_AGENT}\r\n\
         Accept: */*\r\nConnection: close\r\n\r\n"
    )?;
    let mut status_line = String::new();
    BufReader::new(stream)
        .read_line(&mut status_line)
        .with_context(|| format!("GET {path} on port {port}: no answer"))?;
    status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("GET {path} on port {port}: not an HTTP answer: {status_line:?}"))
}

/// One JSON request on loopback, as a client of the app makes it: the
/// status and the body parsed as JSON (null when empty). Bodies here are
/// small; the answer is read to its end (`Connection: close`).
pub fn json(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
    timeout: Duration,
) -> anyhow::Result<(u16, serde_json::Value)> {
    use std::io::Read;
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .with_context(|| format!("connecting to 127.0.0.1:{port}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let payload = body.map(serde_json::Value::to_string).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\
         Connection: close\r\nContent-Length: {}\r\n",
        payload.len()
    );
    if body.is_some() {
        head.push_str("Content-Type: application/json\r\n");
    }
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(payload.as_bytes())?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .with_context(|| format!("{method} {path} on port {port}: no complete answer"))?;
    let text = String::from_utf8(answer).context("the answer is not UTF-8")?;
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .with_context(|| format!("{method} {path}: not an HTTP answer"))?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("{method} {path}: no status in {head:?}"))?;
    let chunked = head.lines().any(|line| {
        line.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_owned()
    };
    let value = if body.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&body)
            .with_context(|| format!("{method} {path}: the body is not JSON: {body:.200}"))?
    };
    Ok((status, value))
}

/// A chunked body's data (HTTP/1.1 chunked transfer coding).
fn dechunk(mut rest: &str) -> anyhow::Result<String> {
    let mut body = String::new();
    loop {
        let (size, tail) = rest
            .split_once("\r\n")
            .context("a chunk without a size line")?;
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
            .context("a chunk size that is not hex")?;
        if size == 0 {
            return Ok(body);
        }
        body.push_str(tail.get(..size).context("a chunk shorter than its size")?);
        rest = tail
            .get(size..)
            .and_then(|t| t.strip_prefix("\r\n"))
            .context("a chunk not followed by CRLF")?;
    }
}
