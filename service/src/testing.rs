//! Test support for both servers' suites (feature `testing`): HTTP/1.1
//! spoken byte by byte, for what a pooled client cannot show reliably.

/// Sends `request` in parts, a pause after each, as a slow client does (so
/// the server may answer while the body is still arriving), then
/// `GET next_path` on the same raw HTTP/1.1 connection; returns both
/// status lines. The second must arrive unless the first announced
/// `Connection: close`.
pub async fn raw_exchange(address: &str, request: &[&[u8]], next_path: &str) -> [String; 2] {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    for part in request {
        stream.write_all(part).await.expect("the request is sent");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (status, closing) = read_response(&mut stream).await;
    if closing {
        return [status, "(closed, as announced)".into()];
    }
    let next = format!("GET {next_path} HTTP/1.1\r\nHost: {address}\r\n\r\n");
    stream
        .write_all(next.as_bytes())
        .await
        .expect("the next request is sent");
    let (next, _) = read_response(&mut stream).await;
    [status, next]
}

/// Reads one response with a Content-Length body: its status line, and
/// whether it says `Connection: close`.
async fn read_response(stream: &mut tokio::net::TcpStream) -> (String, bool) {
    use tokio::io::AsyncReadExt;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read_u8().await {
            Ok(byte) => head.push(byte),
            Err(e) => panic!("the connection ended inside a response head ({e}): {head:?}"),
        }
    }
    let head = String::from_utf8(head).expect("an ASCII head");
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let length: usize = header("content-length").map_or(0, |n| n.parse().expect("a length"));
    let closing = header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.expect("the whole body");
    (head.lines().next().unwrap_or_default().to_owned(), closing)
}
