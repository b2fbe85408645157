//! Just enough HTTP/1.0 for the smoke test to probe containers on
//! 127.0.0.1: HTTP/1.0 makes servers send a plain body and close, so there
//! is no chunked decoding or connection reuse to get wrong, and xtask needs
//! no HTTP client crate.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, bail};

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Sends one request to 127.0.0.1:`port`. `headers` are extra header lines.
pub fn request(
    method: &str,
    port: u16,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> anyhow::Result<Response> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let timeout = Duration::from_secs(10);
    let mut stream = TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or(""));
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .with_context(|| format!("reading the answer to {method} {path}"))?;
    parse(&raw).with_context(|| format!("bad answer to {method} {path}"))
}

pub fn get(port: u16, path: &str) -> anyhow::Result<Response> {
    request("GET", port, path, &[], None)
}

fn parse(raw: &[u8]) -> anyhow::Result<Response> {
    let text = String::from_utf8_lossy(raw);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        bail!("no end of headers in {} bytes", raw.len());
    };
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("no status code in {status_line:?}"))?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    Ok(Response {
        status,
        headers,
        body: body.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_status_headers_and_body() {
        let response = parse(
            b"HTTP/1.0 303 See Other\r\nLocation: /login\r\nSet-Cookie: a=b\r\n\r\n<p>hi</p>",
        )
        .unwrap();
        assert_eq!(response.status, 303);
        assert_eq!(
            response.headers,
            [
                ("Location".to_string(), "/login".to_string()),
                ("Set-Cookie".to_string(), "a=b".to_string())
            ]
        );
        assert_eq!(response.body, "<p>hi</p>");
    }

    #[test]
    fn rejects_a_truncated_answer() {
        assert!(parse(b"HTTP/1.0 200 OK\r\nContent-Type: text/html").is_err());
        assert!(parse(b"garbage\r\n\r\n").is_err());
    }
}
