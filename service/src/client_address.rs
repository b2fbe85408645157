//! The address of the client a request comes from, when trusted proxies
//! (an ingress controller, the frontend) stand in between.
//!
//! Each proxy appends the address it received the request from to
//! `X-Forwarded-For`, so the list reads client first, nearest proxy last,
//! and anything a client wrote itself sits at the left. With
//! `trusted_hops` proxies in front, the last `trusted_hops - 1` entries and
//! the TCP peer are proxies; the entry before them is the client. Entries
//! further left are the client's own words and never count, so a forged
//! header can neither dodge a per-client limit nor spend someone else's.

use std::net::IpAddr;

use axum::http::HeaderMap;
use axum::http::header::HeaderName;

pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The client's address: the TCP `peer` when `trusted_hops` is 0, else the
/// entry `trusted_hops` places from the right of peer-appended
/// `X-Forwarded-For`. When the list is shorter (the request skipped a
/// proxy), the leftmost entry; when that entry is not an address, the
/// nearest trusted proxy's.
pub fn client_ip(headers: &HeaderMap, peer: IpAddr, trusted_hops: u8) -> IpAddr {
    if trusted_hops == 0 {
        return peer;
    }
    // Several header lines are one list, in order.
    let forwarded: Vec<&str> = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in forwarded.iter().rev().take(usize::from(trusted_hops)) {
        match entry.parse::<IpAddr>() {
            Ok(address) => client = address,
            // A trusted proxy wrote garbage: stop at the last good hop.
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(X_FORWARDED_FOR, line.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    const PEER: &str = "10.1.0.7";

    #[test]
    fn without_trusted_proxies_only_the_peer_counts() {
        let forged = headers(&["203.0.113.9"]);
        assert_eq!(client_ip(&forged, ip(PEER), 0), ip(PEER));
    }

    #[test]
    fn one_proxy_the_last_entry_is_the_client() {
        let list = headers(&["198.51.100.1, 192.0.2.44"]);
        assert_eq!(client_ip(&list, ip(PEER), 1), ip("192.0.2.44"));
    }

    #[test]
    fn entries_a_client_wrote_never_count() {
        // The client forged two entries; the one proxy appended the truth.
        let forged = headers(&["1.1.1.1, 2.2.2.2", "192.0.2.44"]);
        assert_eq!(client_ip(&forged, ip(PEER), 1), ip("192.0.2.44"));
        assert_eq!(client_ip(&forged, ip(PEER), 2), ip("2.2.2.2"));
    }

    #[test]
    fn a_request_that_skipped_the_proxies_is_its_leftmost_entry_or_peer() {
        assert_eq!(client_ip(&HeaderMap::new(), ip(PEER), 1), ip(PEER));
        let short = headers(&["192.0.2.44"]);
        assert_eq!(client_ip(&short, ip(PEER), 3), ip("192.0.2.44"));
    }

    #[test]
    fn garbage_from_a_trusted_proxy_stops_at_the_last_good_hop() {
        let list = headers(&["nonsense, 192.0.2.44"]);
        assert_eq!(client_ip(&list, ip(PEER), 2), ip("192.0.2.44"));
        let garbage = headers(&["nonsense"]);
        assert_eq!(client_ip(&garbage, ip(PEER), 1), ip(PEER));
        let v6 = headers(&["2001:db8::1"]);
        assert_eq!(client_ip(&v6, ip(PEER), 1), ip("2001:db8::1"));
    }
}
