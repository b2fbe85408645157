//! One request to a server on 127.0.0.1, for commands that wait for
//! containers and local servers to answer (smoke, dev, bench) or post to
//! them (smoke's signup burst): plain HTTP/1.1 over a std TcpStream,
//! `Connection: close`, redirects not followed, so a command sees what a
//! browser gets.

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
    exchange(port, "GET", path, None).with_context(|| format!("GET {path} on port {port}"))
}

/// `POST path` on 127.0.0.1:`port` with a JSON body.
pub fn post_json(port: u16, path: &str, json: &str) -> anyhow::Result<Response> {
    exchange(port, "POST", path, Some(json)).with_context(|| format!("POST {path} on port {port}"))
}

fn exchange(port: u16, method: &str, path: &str, json: Option<&str>) -> anyhow::Result<Response> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, LOOPBACK_TIMEOUT)?;
    stream.set_read_timeout(Some(LOOPBACK_TIMEOUT))?;
    stream.set_write_timeout(Some(LOOPBACK_TIMEOUT))?;
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if let Some(json) = json {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            json.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(json.unwrap_or(""));
    stream.write_all(request.as_bytes())?;
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

    #[test]
    fn a_post_carries_its_json_with_its_length() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"{\"a\":1}") && stream.read(&mut byte).unwrap() == 1 {
                request.push(byte[0]);
            }
            stream
                .write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            String::from_utf8(request).unwrap()
        });
        assert_eq!(post_json(port, "/x", r#"{"a":1}"#).unwrap().status, 201);
        let request = server.join().unwrap();
        assert!(request.starts_with("POST /x HTTP/1.1\r\n"), "{request}");
        assert!(request.contains("Content-Length: 7\r\n"), "{request}");
        assert!(request.ends_with("\r\n\r\n{\"a\":1}"), "{request}");
    }
}
