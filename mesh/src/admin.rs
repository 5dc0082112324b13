//! A small blocking client for Envoy's admin interface on loopback (`/ready`, `/stats`,
//! `/clusters`, `/listeners`, `/config_dump`): one GET per connection, HTTP/1.1.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::error::MeshError;

/// Connecting to a local admin port either works at once or not at all.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A config dump of a busy Envoy still arrives well within this.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Envoy's admin interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admin {
    pub address: SocketAddr,
}

/// An admin response.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Admin {
    pub fn new(address: SocketAddr) -> Self {
        Self { address }
    }

    /// `GET path` (with its query string, already encoded).
    pub fn get(&self, path: &str) -> Result<Reply, MeshError> {
        let fail = |message: String| MeshError::Admin {
            address: self.address.to_string(),
            message,
        };
        let mut stream = TcpStream::connect_timeout(&self.address, CONNECT_TIMEOUT)
            .map_err(|error| fail(format!("connect: {error}")))?;
        stream
            .set_read_timeout(Some(READ_TIMEOUT))
            .and_then(|()| stream.set_write_timeout(Some(READ_TIMEOUT)))
            .map_err(|error| fail(error.to_string()))?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.address
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|error| fail(format!("send {path}: {error}")))?;
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .map_err(|error| fail(format!("read {path}: {error}")))?;
        parse_reply(&raw).ok_or_else(|| fail(format!("unreadable reply to {path}")))
    }

    /// `GET path`, requiring a 200.
    pub fn get_ok(&self, path: &str) -> Result<String, MeshError> {
        let reply = self.get(path)?;
        if reply.status == 200 {
            Ok(reply.body)
        } else {
            Err(MeshError::Admin {
                address: self.address.to_string(),
                message: format!("{path} answered {}: {}", reply.status, reply.body.trim()),
            })
        }
    }
}

fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let split = raw.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let body = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let chunked = lines.any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("transfer-encoding:") && lower.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Some(Reply {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Joins an HTTP/1.1 chunked body.
fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|window| window == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

/// Percent-encodes a query value (admin filters are regular expressions).
pub fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reply_reads_plain_and_chunked_bodies() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nLIVE";
        let reply = parse_reply(plain).unwrap();
        assert_eq!((reply.status, reply.body.as_str()), (200, "LIVE"));
        let chunked = b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nPRE_\r\n9\r\nINITIALIZ\r\n0\r\n\r\n";
        let reply = parse_reply(chunked).unwrap();
        assert_eq!((reply.status, reply.body.as_str()), (503, "PRE_INITIALIZ"));
    }

    #[test]
    fn encode_query_escapes_regex_characters() {
        assert_eq!(encode_query("a|b.c*"), "a%7Cb.c%2A");
    }
}
