//! One `GET` to a server on 127.0.0.1, for commands that wait for
//! containers and local servers to answer (smoke, dev, bench): plain
//! HTTP/1.1 over a std TcpStream, `Connection: close`, redirects not
//! followed, so a command sees what a browser gets.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::Context;

/// A short timeout for probing servers on loopback.
const LOOPBACK_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// As sent (a chunked body keeps its chunk sizes: it is only shown).
    pub body: String,
}

/// `GET path` on 127.0.0.1:`port`.
pub fn get(port: u16, path: &str) -> anyhow::Result<Response> {
    exchange(port, path).with_context(|| format!("GET {path} on port {port}"))
}

fn exchange(port: u16, path: &str) -> anyhow::Result<Response> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, LOOPBACK_TIMEOUT)?;
    stream.set_read_timeout(Some(LOOPBACK_TIMEOUT))?;
    stream.set_write_timeout(Some(LOOPBACK_TIMEOUT))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("not an HTTP answer: {:?}", head.lines().next()))?;
    Ok(Response {
        status,
        body: body.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_status_and_body_of_one_answer() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
                request.push(byte[0]);
            }
            stream
                .write_all(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 8\r\n\r\nnot yet\n",
                )
                .unwrap();
            String::from_utf8(request).unwrap()
        });
        let response = get(port, "/ready").unwrap();
        assert_eq!(
            (response.status, response.body.as_str()),
            (503, "not yet\n")
        );
        assert!(
            server
                .join()
                .unwrap()
                .starts_with("GET /ready HTTP/1.1\r\n")
        );
    }
}
