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
